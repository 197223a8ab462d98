"""Tensors of any rank in the engine, and the ONNX ops that map onto them. Every
expected number is hand arithmetic written next to the check."""
from __future__ import annotations

import json

import numpy as np
import pytest

from sramfit.engine.errors import ModelError, ShapeError
from sramfit.engine.footprint import Footprint
from sramfit.engine.graph import Model, make_layer
from sramfit.engine.shapes import infer_shapes


def _model(layers, channels=3, size=(8, 8)):
    return Model("t", tuple(make_layer(*lay) for lay in layers), channels, size)


# ----------------------------------------------------------------------------- engine
def test_tokens_fc_matmul_norm_by_hand():
    """A 2x2 patch conv on 8x8 gives 16 tokens of 4 channels; fc 4->12 on each token;
    scores = q (16x4) x k^T (4x16); context = scores x v."""
    m = _model([
        ("p", "conv", ["input"], {"out": 4, "kernel": 2, "stride": 2}),
        ("f", "reshape", ["p"], {"kind": "flatten", "start_dim": 2}),        # 4 x 16
        ("t", "reshape", ["f"], {"kind": "transpose", "perm": [1, 0]}),       # 16 x 4
        ("ln", "norm", ["t"], {"kind": "layer", "axis": -1}),
        ("qkv", "fc", ["ln"], {"out": 12, "flatten": False, "in_features": 4}),
        ("q", "reshape", ["qkv"], {"kind": "slice", "axis": -1, "start": 0, "end": 4}),
        ("k", "reshape", ["qkv"], {"kind": "slice", "axis": -1, "start": 4, "end": 8}),
        ("v", "reshape", ["qkv"], {"kind": "slice", "axis": -1, "start": 8}),
        ("s", "matmul", ["q", "k"], {"transpose_b": True}),
        ("a", "softmax", ["s"], {"axis": -1}),
        ("c", "matmul", ["a", "v"], {}),
    ])
    sh = infer_shapes(m, 8, 8)
    assert sh["t"] == (16, 4) and sh["qkv"] == (16, 12) and sh["v"] == (16, 4)
    assert sh["s"] == (16, 16) and sh["c"] == (16, 4)
    fp = Footprint(m, 8, 8, batch=3, fusion=False)
    t = fp.totals()
    conv = 4 * 4 * 4 * 3 * 2 * 2                      # out elems x (cin kh kw) = 768
    fc = 16 * 4 * 12                                   # rows x in x out = 768
    attn = 16 * 16 * 4 + 16 * 4 * 16                   # two matmuls = 2048
    assert t["macs"] == 3 * (conv + fc + attn) and t["attn_macs"] == 3 * attn
    assert t["params"] == (4 * 3 * 4 + 4) + 2 * 4 + (4 * 12 + 12)
    rows = {r["name"]: r for r in fp.layer_rows()}
    assert rows["s"]["attn_macs"] == rows["s"]["macs"] == 3 * 16 * 16 * 4
    assert rows["qkv"]["attn_macs"] == 0 and rows["qkv"]["output_shape"] == [3, 16, 12]


def test_channels_last_fc_does_not_flatten():
    """A 3-D per-image input to an fc with flatten off is H x W x C (ConvNeXt)."""
    m = _model([("perm", "reshape", ["input"], {"kind": "transpose", "perm": [1, 2, 0]}),
                ("fc", "fc", ["perm"], {"out": 5, "flatten": False})])
    assert infer_shapes(m, 6, 4)["fc"] == (4, 6, 5)
    assert Footprint(m, 6, 4).totals()["macs"] == 4 * 6 * 3 * 5
    legacy = _model([("fc", "fc", ["input"], {"out": 5})])
    assert infer_shapes(legacy, 6, 4)["fc"] == (5,)         # CxHxW flattened: 72 -> 5


def test_fc_in_features_refuses_other_sizes():
    m = _model([("fc", "fc", ["input"], {"out": 10, "in_features": 3 * 8 * 8})])
    assert infer_shapes(m, 8, 8)["fc"] == (10,)
    with pytest.raises(ShapeError, match=r"'fc'.*weight for 192 input features but gets "
                                         r"300"):
        infer_shapes(m, 10, 10)


def test_learned_operand_broadcast_and_params():
    m = _model([("scale", "add", ["input"], {"fn": "mul", "operand": [3, 1, 1]}),
                ("pos", "add", ["scale"], {"operand": [3, 8, 8]}),
                ("mask", "add", ["pos"], {"operand": [8, 8], "learned": False})])
    assert infer_shapes(m, 8, 8)["mask"] == (3, 8, 8)
    assert Footprint(m, 8, 8).totals()["params"] == 3 + 3 * 64
    with pytest.raises(ShapeError, match=r"'pos' \(add\).*3x16x16.*3x8x8"):
        infer_shapes(m, 16, 16)


def test_slice_pad_and_matmul_broadcast_rules():
    layers = [
        ("even", "reshape", ["input"], {"kind": "slice", "axis": 1, "start": 0, "step": 2}),
        ("tail", "reshape", ["input"], {"kind": "slice", "axis": -1, "start": -3}),
        # pads for the last two axes: before [H 0, W 1], after [H 2, W 3]
        ("pad", "reshape", ["input"], {"kind": "pad", "pads": [0, 1, 2, 3]}),
        ("mm", "matmul", ["input", "even"], {"transpose_b": True}),
    ]
    sh = infer_shapes(_model(layers), 7, 5)
    assert sh["even"] == (3, 3, 7) and sh["tail"] == (3, 5, 3)
    assert sh["pad"] == (3, 5 + 0 + 2, 7 + 1 + 3)
    assert sh["mm"] == (3, 5, 3)                   # 3x5x7 x (3x3x7)^T = 3x5x7 x 3x7x3
    # input 3x5x7 x (pad 3x7x11)^T = 3x5x7 x 3x11x7: inner sizes 7 and 11
    bad = _model(layers[2:3] + [("mm", "matmul", ["input", "pad"], {"transpose_b": True})])
    with pytest.raises(ShapeError, match=r"inner sizes 7 and 11 differ"):
        infer_shapes(bad, 7, 5)


def test_new_attrs_are_validated():
    with pytest.raises(ModelError, match=r"'matmul' needs two inputs"):
        make_layer("m", "matmul", ["a"])
    with pytest.raises(ModelError, match=r"field 'kind'.*'weird' is not one of"):
        make_layer("n", "norm", ["a"], {"kind": "weird"})
    with pytest.raises(ModelError, match=r"field 'pads'"):
        make_layer("p", "reshape", ["a"], {"kind": "pad", "pads": [1, -1]})
    with pytest.raises(ModelError, match=r"field 'shape'"):
        make_layer("r", "reshape", ["a"], {"kind": "shape", "shape": [-3, -4]})
    with pytest.raises(ModelError, match=r"field 'operand'"):
        make_layer("o", "add", ["a"], {"operand": [0, 3]})


def test_yaml_round_trip_keeps_new_attrs():
    from sramfit.engine.modelfile import model_from_dict
    m = _model([("t", "reshape", ["input"], {"kind": "transpose", "perm": [1, 2, 0]}),
                ("fc", "fc", ["t"], {"out": 5, "flatten": False, "in_features": 3}),
                ("s", "add", ["fc"], {"fn": "mul", "operand": [5]})])
    again = model_from_dict(json.loads(json.dumps(m.to_dict())), "<test>")
    assert again.layers == m.layers


# ----------------------------------------------------------------------------- ONNX
onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from onnx_helpers import graph_model  # noqa: E402
from sramfit.engine.importers import onnx_import  # noqa: E402


def _onnx(tmp_path, nodes, inits, shape, opset=18, **kw):
    p = tmp_path / "m.onnx"
    onnx.save(graph_model(nodes, inits, shape, opset), str(p))
    return onnx_import.load(p, **kw)


def _f(*shape):
    return np.random.default_rng(0).random(shape, dtype=np.float32)


def test_onnx_attention_matmuls_and_einsum(tmp_path):
    """x: 1x4x8x8 -> tokens 64x4 (Reshape, Transpose), q/k/v by MatMul with 4x4
    weights, scores by Einsum 'btc,bsc->bts', context by MatMul."""
    nodes = [helper.make_node("Reshape", ["x", "t"], ["f"]),
             helper.make_node("Transpose", ["f"], ["tok"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["tok", "wq"], ["q"]),
             helper.make_node("MatMul", ["tok", "wk"], ["k"]),
             helper.make_node("MatMul", ["tok", "wv"], ["v"]),
             helper.make_node("Einsum", ["q", "k"], ["s"], equation="btc,bsc->bts"),
             helper.make_node("Softmax", ["s"], ["a"], axis=-1),
             helper.make_node("MatMul", ["a", "v"], ["y"])]
    m = _onnx(tmp_path, nodes, {"t": np.array([1, 4, 64], np.int64), "wq": _f(4, 4),
                                "wk": _f(4, 4), "wv": _f(4, 4)}, (1, 4, 8, 8))
    ops = [lay.op for lay in m.layers]
    assert ops.count("fc") == 3 and ops.count("matmul") == 2
    t = Footprint(m, 8, 8).totals()
    assert t["attn_macs"] == 64 * 64 * 4 + 64 * 4 * 64
    assert t["macs"] - t["attn_macs"] == 3 * 64 * 4 * 4 and t["params"] == 3 * 16


def test_onnx_gemm_in_features_refused_at_another_size(tmp_path):
    """A classifier exported at 8x8 flattens 3*8*8 = 192 features into its Gemm; at
    16x16 it would feed 768: refused, naming the node and the export size."""
    nodes = [helper.make_node("Flatten", ["x"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]
    inits = {"w": _f(10, 192), "b": _f(10)}
    m = _onnx(tmp_path, nodes, inits, (1, 3, 8, 8))
    assert m.layers[-1].attrs["in_features"] == 192
    with pytest.raises(ModelError, match=r"m\.onnx: node 'Gemm' \(Gemm\).*192 input "
                                         r"features but gets 768.*exported at 8x8"):
        _onnx(tmp_path, nodes, inits, (1, 3, 8, 8), width=16, height=16)


def test_onnx_fixed_resize_refused_at_another_size(tmp_path):
    nodes = [helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="nearest")]
    inits = {"sz": np.array([1, 3, 16, 16], np.int64)}
    assert _onnx(tmp_path, nodes, inits, (1, 3, 8, 8)).layers[0].attrs["size"] == (16, 16)
    with pytest.raises(ModelError, match=r"Resize.*fixed 16x16.*export size 8x8"):
        _onnx(tmp_path, nodes, inits, (1, 3, 8, 8), width=12, height=12)


def test_onnx_resize_to_a_computed_size_follows_the_input(tmp_path):
    """Resize to Shape(x)[2:] * 2 (segmentation heads): 2x at every size, as an exact
    size at the size asked for."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Slice", ["s", "b", "e"], ["hw"]),
             helper.make_node("Mul", ["hw", "two"], ["hw2"]),
             helper.make_node("Concat", ["nc", "hw2"], ["sz"], axis=0),
             helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="linear")]
    inits = {"b": np.array([2], np.int64), "e": np.array([4], np.int64),
             "two": np.array([2], np.int64), "nc": np.array([1, 3], np.int64)}
    m = _onnx(tmp_path, nodes, inits, (1, 3, 8, 8), width=12, height=10)
    assert infer_shapes(m, 12, 10)["y"] == (3, 20, 24)


def test_onnx_split_to_sequence_and_layer_norm(tmp_path):
    """Channel split by SplitToSequence/SequenceAt (unoptimised dynamo graphs), then a
    LayerNormalization over the last axis: params 2 x 8."""
    nodes = [helper.make_node("SplitToSequence", ["x", "n"], ["seq"], axis=1),
             helper.make_node("SequenceAt", ["seq", "i"], ["b"]),
             helper.make_node("LayerNormalization", ["b", "g", "be"], ["y"], axis=-1)]
    m = _onnx(tmp_path, nodes, {"n": np.array(2, np.int64), "i": np.array(1, np.int64),
                                "g": _f(8), "be": _f(8)}, (1, 4, 6, 8))
    sh = infer_shapes(m, 8, 6)
    assert sh[m.layers[0].name] == (2, 6, 8)
    assert m.layers[0].attrs["start"] == 2 and m.layers[0].attrs["end"] is None
    assert Footprint(m, 8, 6).totals()["params"] == 2 * 8


def test_onnx_class_token_concat_and_position_embedding(tmp_path):
    """Concat of a learned 1x1x4 token with 16 patch tokens, plus a learned 17x4 position
    embedding: 4 + 68 params, and only 17 tokens fit (another size is refused)."""
    nodes = [helper.make_node("Reshape", ["x", "t"], ["f"]),
             helper.make_node("Transpose", ["f"], ["tok"], perm=[0, 2, 1]),
             helper.make_node("Concat", ["cls", "tok"], ["c"], axis=1),
             helper.make_node("Add", ["c", "pos"], ["y"])]
    inits = {"t": np.array([1, 4, 16], np.int64), "cls": _f(1, 1, 4), "pos": _f(1, 17, 4)}
    m = _onnx(tmp_path, nodes, inits, (1, 4, 4, 4))
    assert infer_shapes(m, 4, 4)["y"] == (17, 4)
    assert Footprint(m, 4, 4).totals()["params"] == 4 + 17 * 4


def test_onnx_indexed_parameter_table_counts_the_table(tmp_path):
    """Swin's relative-position bias: a 7 x 2 learned table Gathered by a 3x3 index into
    a 2 x 3 x 3 bias: PyTorch counts the table's 14 values, not the bias's 18."""
    nodes = [helper.make_node("Gather", ["table", "idx"], ["g"], axis=0),
             helper.make_node("Transpose", ["g"], ["bias"], perm=[2, 0, 1]),
             helper.make_node("Add", ["x", "bias"], ["y"])]
    inits = {"table": _f(7, 2), "idx": np.arange(9, dtype=np.int64).reshape(3, 3) % 7}
    m = _onnx(tmp_path, nodes, inits, (1, 2, 3, 3))
    assert m.layers[0].attrs["operand"] == (2, 3, 3) and m.layers[0].attrs["params"] == 14
    assert Footprint(m, 3, 3).totals()["params"] == 14


def test_onnx_expand_and_reductions_of_activations(tmp_path):
    """F.normalize as exported: ReduceL2 over the last axis (keepdims), Expand back to
    the input's shape, Div: shapes 3x4x1 then 3x4x5, no params, no MACs."""
    nodes = [helper.make_node("ReduceL2", ["x", "ax"], ["n"], keepdims=1),
             helper.make_node("Expand", ["n", "shp"], ["e"]),
             helper.make_node("Div", ["x", "e"], ["y"])]
    m = _onnx(tmp_path, nodes, {"ax": np.array([-1], np.int64),
                                "shp": np.array([1, 3, 4, 5], np.int64)}, (1, 3, 4, 5))
    sh = infer_shapes(m, 5, 4)
    assert [sh[lay.name] for lay in m.layers] == [(3, 4, 1), (3, 4, 5), (3, 4, 5)]
    t = Footprint(m, 5, 4).totals()
    assert t["params"] == 0 and t["macs"] == 0
