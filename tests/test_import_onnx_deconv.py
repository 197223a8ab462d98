"""ONNX import of transposed convolutions (ConvTranspose2d, the 'deconv' op) against
PyTorch's own record (tests/reference/make_deconv_fixture.py: output shapes PyTorch
computed, MACs as fvcore counts a transposed conv, params by numel), from the classic
and the dynamo exporter, at the export size and another; and the engine's rule by
hand."""
from __future__ import annotations

import json
import warnings

import pytest

onnx = pytest.importorskip("onnx")

from conftest import FIXTURES  # noqa: E402
from sramfit.engine.errors import ModelError  # noqa: E402
from sramfit.engine.footprint import Footprint  # noqa: E402
from sramfit.engine.graph import Model, make_layer  # noqa: E402
from sramfit.engine.importers import onnx_import  # noqa: E402

ONNX_DIR = FIXTURES / "onnx"
DOC = json.loads((ONNX_DIR / "deconvish.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("variant", ["", "_dynamo"])
@pytest.mark.parametrize("size", list(DOC["records"]))
def test_deconv_layers_are_pytorchs(variant, size):
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # every node understood, no warning
        m = onnx_import.load(ONNX_DIR / f"deconvish{variant}.onnx")
    w, h = (int(v) for v in size.split("x"))
    fp = Footprint(m, w, h)
    rec = DOC["records"][size]
    rows = [r for r in fp.layer_rows() if r["op"] == "deconv"]
    assert [r["output_shape"][1:] for r in rows] == [d["out_shape"] for d in rec["deconvs"]]
    assert [r["macs"] for r in rows] == [d["macs"] for d in rec["deconvs"]]
    assert fp.totals()["params"] == DOC["params"]
    assert not [r for r in fp.layer_rows() if r["op"] == "other"]


def test_deconv_rule_by_hand():
    """ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2) on
    8 x 5 x 7: output (5-1)*2 - 2 + 2 + 1 + 1 = 10 by (7-1)*2 - 2 + 2 + 1 + 1 = 14; params
    8 x 3 x 9 + 6 = 222; MACs 8*5*7 x 3 x 9 = 7,560 (input pixels x Cout/g x taps)."""
    layers = [make_layer("up", "deconv", ["input"],
                         {"out": 6, "kernel": 3, "stride": 2, "padding": 1,
                          "output_padding": 1, "groups": 2})]
    fp = Footprint(Model("t", layers, channels=8), 7, 5)
    row = fp.layer_rows()[0]
    assert row["output_shape"][1:] == [6, 10, 14]
    assert row["params"] == 222 and row["macs"] == 7560


@pytest.mark.parametrize("attrs, field", [
    ({"out": 4, "kernel": 3, "stride": 2, "output_padding": 2}, "output_padding"),
    ({"out": 4, "kernel": 3, "padding": "same"}, "padding"),
    ({"out": 5, "kernel": 3, "groups": 2}, "out"),
])
def test_bad_deconv_fields_are_named(attrs, field):
    with pytest.raises(ModelError, match=f"field '{field}'"):
        make_layer("up", "deconv", ["input"], attrs)


def test_deconv_round_trips_through_yaml(tmp_path):
    from sramfit.engine.modelfile import load_model
    m = onnx_import.load(ONNX_DIR / "deconvish.onnx")
    import yaml
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(m.to_dict(), sort_keys=False), encoding="utf-8")
    back = load_model(str(p))
    assert [(x.op, dict(x.attrs)) for x in back.layers] == \
        [(x.op, dict(x.attrs)) for x in m.layers]
