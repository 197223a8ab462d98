"""Malformed and hostile ONNX files: every one is one ModelError line naming the file
(and the node or field), never a traceback, never a byte of a foreign file, never
gigabytes of memory. The cases are the importer's raise sites found by an independent
fuzz of main (issue 14), plus a hypothesis fuzz that mutates real fixtures.
"""
from __future__ import annotations

import os
import time
import warnings

import numpy as np

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from conftest import FIXTURES  # noqa: E402
from onnx_helpers import graph_model as _model, mutate  # noqa: E402
from sramfit.engine.errors import ModelError, SramfitError  # noqa: E402
from sramfit.engine.importers import onnx_import  # noqa: E402


def _save(tmp_path, model, name="bad.onnx"):
    p = tmp_path / name
    p.write_bytes(model.SerializeToString())
    return p


def _refused(path, match, **kw):
    with pytest.raises(ModelError) as info:
        onnx_import.load(path, **kw)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path)), msg
    assert __import__("re").search(match, msg), msg
    return msg


W = np.zeros((4, 3, 3, 3), np.float32)

CASES = {
    "sum_one_input": None,   # accepted: Sum of one tensor is that tensor (see below)
    "maxpool_no_kernel": ([helper.make_node("MaxPool", ["x"], ["y"])], {},
                          r"MaxPool.*'kernel_shape' is missing"),
    "conv_one_input": ([helper.make_node("Conv", ["x"], ["y"])], {},
                       r"Conv.*needs an input and a weight"),
    "pads_wrong_length": ([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1])],
                          {"w": W}, r"Conv.*'pads' has 3 values.*needs 4"),
    "string_int_attribute": ([helper.make_node("Conv", ["x", "w"], ["y"], group="two")],
                             {"w": W}, r"node 'Conv' \(Conv\): malformed"),
    "inf_resize_scale": ([helper.make_node("Resize", ["x", "", "s"], ["y"])],
                         {"s": np.array([1, 1, np.inf, 2], np.float32)},
                         r"Resize.*scales .*inf.* finite"),
    "negative_weight_dims": None,
}


@pytest.mark.parametrize("case", [c for c, v in CASES.items() if v])
def test_malformed_node_is_one_error_line(tmp_path, case):
    nodes, inits, match = CASES[case]
    _refused(_save(tmp_path, _model(nodes, inits)), match)


def test_sum_of_one_input_and_clip_with_vector_bounds(tmp_path):
    """Valid ONNX that used to raise: Sum of one tensor is that tensor; a Clip whose
    minimum is a vector is a plain clip."""
    m = onnx_import.load(_save(tmp_path, _model([
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("Sum", ["r"], ["s"]),
        helper.make_node("Clip", ["s", "lo"], ["y"])], {"lo": np.zeros(3, np.float32)})))
    assert [(lay.op, lay.attrs["fn"]) for lay in m.layers] == [("act", "relu"),
                                                               ("act", "clip")]


def test_squeeze_to_a_scalar(tmp_path):
    with pytest.warns(onnx_import.UnsupportedOnnxWarning, match=r"Squeeze \(to a scalar\)"):
        m = onnx_import.load(_save(tmp_path, _model([
            helper.make_node("ReduceMean", ["x"], ["m"], keepdims=1),
            helper.make_node("Squeeze", ["m"], ["y"])])), 8, 8)
    assert m.layers[-1].op == "other"


def _dims_only(dims):
    t = TensorProto()
    t.name, t.data_type = "w", TensorProto.FLOAT
    t.dims.extend(dims)
    return t


def test_negative_and_huge_weight_dims(tmp_path):
    t = _dims_only([-4, 1, 1])
    _refused(_save(tmp_path, _model([helper.make_node("Add", ["x", "w"], ["y"])], {"w": t})),
             r"tensor 'w': dims \[-4, 1, 1\] are negative")
    t = _dims_only([1 << 30, 1 << 30, 4])
    _refused(_save(tmp_path, _model([helper.make_node("Add", ["x", "w"], ["y"])], {"w": t})),
             r"over the limit of 1,099,511,627,776 elements per tensor")


def test_non_utf8_names(tmp_path):
    data = _model([helper.make_node("Relu", ["x"], ["y"], name="abc")]).SerializeToString()
    p = tmp_path / "bad.onnx"
    p.write_bytes(data.replace(b"abc", b"a\xffc"))
    _refused(p, r"node #0: field 'name' is not valid UTF-8")


def _external(tmp_path, location, offset="0", length="16", name="ext.onnx"):
    t = _dims_only([4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, v
    return _save(tmp_path, _model([helper.make_node("Add", ["x", "w"], ["y"])], {"w": t},
                                  shape=(1, 3, 8, 4)), name)


@pytest.mark.parametrize("offset,length", [("abc", "16"), ("-8", "16"), ("0", "1e3"),
                                           ("0", "99999999999999999999999")])
def test_external_offsets_must_be_whole_numbers(tmp_path, offset, length):
    (tmp_path / "w.bin").write_bytes(bytes(16))
    _refused(_external(tmp_path, "w.bin", offset, length),
             r"tensor 'w': external data field '(offset|length)' must be a non-negative")


@pytest.mark.parametrize("location", ["/etc/passwd", "../secret.bin", "sub/../../secret.bin",
                                      "..", "C:secret.bin"])
def test_external_data_confined_to_the_model_folder(tmp_path, location, monkeypatch):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"TOPSECRET-BYTES!")
    model_dir = tmp_path / "models"
    model_dir.mkdir()
    opened = []
    real_open = open

    def spy(path, *a, **k):
        opened.append(os.fspath(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr("builtins.open", spy)
    msg = _refused(_external(model_dir, location), r"location .* (refused|leads out)")
    assert "TOPSECRET" not in msg
    assert not any("secret" in p or p.startswith("/etc") for p in opened)


def test_external_data_symlink_escape(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"TOPSECRET-BYTES!")
    model_dir = tmp_path / "models"
    model_dir.mkdir()
    (model_dir / "w.bin").symlink_to(secret)
    msg = _refused(_external(model_dir, "w.bin"), r"leads out of the model's folder")
    assert "TOPSECRET" not in msg


def test_external_data_inside_the_folder_is_read(tmp_path):
    (tmp_path / "w.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    m = onnx_import.load(_external(tmp_path, "w.bin"))
    assert m.layers[0].op == "add" and m.layers[0].attrs["operand"] == (4,)


def test_constant_of_shape_bomb_is_refused_quickly(tmp_path):
    """A 239-byte file asking for a 2 GB constant: refused before it is built, naming
    the limit on evaluated constants."""
    nodes = [helper.make_node("ConstantOfShape", ["shp"], ["big"],
                              value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
             helper.make_node("ReduceSum", ["big"], ["s"], keepdims=0),
             helper.make_node("Add", ["x", "s"], ["y"])]
    p = _save(tmp_path, _model(nodes, {"shp": np.array([1 << 14, 1 << 15], np.int64)}))
    assert os.path.getsize(p) < 400
    t0 = time.perf_counter()
    _refused(p, r"ConstantOfShape.*536,870,912 elements, over the limit of 4,194,304 "
                r"evaluated constant elements")
    assert time.perf_counter() - t0 < 5


def test_no_foreign_contents_in_errors(tmp_path):
    """A text file (say a password file) given as a model: the error names the file and
    quotes none of it."""
    p = tmp_path / "shadow.onnx"
    p.write_text("root:$6$SECRETHASH:19000:0:99999:7:::\n")
    with pytest.raises(ModelError) as info:
        onnx_import.load(p)
    assert "SECRETHASH" not in str(info.value) and str(p) in str(info.value)


# ------------------------------------------------------------------------------ fuzz
_SEEDS = [FIXTURES / "onnx" / n for n in ("resnetish.onnx", "minivit.onnx",
                                           "shufflenetish_dynamo.onnx")]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.sampled_from(_SEEDS), data=st.data())
def test_fuzz_mutated_fixtures(tmp_path_factory, seed, data):
    """Flip, drop or insert bytes of real exports: the import either succeeds or raises
    one SramfitError line naming the file. Nothing else escapes."""
    raw = mutate(seed.read_bytes(), lambda lo, hi: data.draw(st.integers(lo, hi)),
                 lambda seq: data.draw(st.sampled_from(seq)),
                 lambda n: data.draw(st.binary(min_size=n, max_size=n)), rounds=4)
    p = tmp_path_factory.mktemp("fuzz") / "m.onnx"
    p.write_bytes(raw)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            onnx_import.load(p)
        except SramfitError as err:
            msg = str(err)
            assert str(p) in msg and "\n" not in msg, msg
    # an import that succeeds may warn about what it could not translate: only the
    # importer's own one-line warning, naming the file
    for w in seen:
        assert issubclass(w.category, onnx_import.UnsupportedOnnxWarning), w
        assert str(w.message).startswith(str(p)) and "\n" not in str(w.message), w


@pytest.mark.parametrize("target", [(1, 5, 8, 8), (1, 3, -1, 8)])
def test_expand_that_does_not_broadcast_is_one_line(tmp_path, target):
    """Expand follows numpy broadcasting: 3 channels against 5 (or a negative size) is
    refused naming the node, for an activation and for a constant alike."""
    t = np.array(target, np.int64)
    nodes = [helper.make_node("Expand", ["x", "t"], ["y"])]
    _refused(_save(tmp_path, _model(nodes, {"t": t})),
             r"node 'Expand' \(Expand\).*(do not broadcast|cannot expand)")
    nodes = [helper.make_node("Expand", ["c", "t"], ["e"]),
             helper.make_node("Add", ["x", "e"], ["y"])]
    _refused(_save(tmp_path, _model(nodes, {"t": t, "c": np.ones((3, 1, 1), np.float32)}),
                   "c.onnx"), r"node 'Expand' \(Expand\).*(do not broadcast|cannot expand)")
