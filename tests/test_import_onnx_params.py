"""ONNX import: parameters the file names or hides, graph by graph as PyTorch's
exporters write them (torch 2.14, checked on timm's CAFormer, ConViT and EVA-02).
Expected figures are counted by hand from the PyTorch modules the graphs stand for,
never by the importer."""
from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402
import numpy as np  # noqa: E402

from onnx_helpers import graph_model  # noqa: E402
from sramfit.engine.footprint import Footprint  # noqa: E402
from sramfit.engine.importers import onnx_import  # noqa: E402


def _load(tmp_path, model, name="m.onnx"):
    """The import of ``model``; a Pow on activations is an 'other' layer (no params,
    no MACs), which the import warns about."""
    p = tmp_path / name
    onnx.save(model, str(p))
    with pytest.warns(onnx_import.UnsupportedOnnxWarning, match="Pow"):
        return onnx_import.load(p)


def _params(model, w, h):
    return Footprint(model, w, h).totals()["params"]


# -- StarReLU: s * relu(x)^2 + b, s and b one-value parameters -------------------------
#: two Linear(8, 16) / Linear(16, 8) blocks, each followed by a StarReLU, by hand
STAR_PARAMS = (8 * 16 + 16) + (16 * 8 + 8) + 2 * 2


def _star_graph(exporter, scale, bias):
    """Two Linears, each followed by a StarReLU, and an attention-like scale, as the
    exporter writes them: the params as initializers named by their module path, the
    literals (exponent 2, the scale 0.125) as Constant nodes (classic) or initializers
    the exporter names itself (dynamo: ``val_N``). Equal one-value params of an
    untrained model are merged: the classic exporter copies the first with Identity,
    the optimised dynamo export reads the first twice."""
    rng = np.random.default_rng(0)
    inits = {"w1": rng.standard_normal((8, 16)).astype(np.float32),
             "fc1.bias": rng.standard_normal(16).astype(np.float32),
             "w2": rng.standard_normal((16, 8)).astype(np.float32),
             "fc2.bias": rng.standard_normal(8).astype(np.float32)}
    merged = scale[0] == scale[1] and bias[0] == bias[1]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["m1"]),
             helper.make_node("Add", ["fc1.bias", "m1"], ["l1"])]
    if exporter == "classic":
        two = numpy_helper.from_array(np.array(2.0, np.float32), "two")
        att = numpy_helper.from_array(np.array([0.125], np.float32), "att")
        nodes += [helper.make_node("Constant", [], ["c2"], value=two),
                  helper.make_node("Constant", [], ["c_att"], value=att)]
        pow_in, att_in = "c2", "c_att"
        names = [("a1.scale", "a1.bias"), ("a2.scale", "a2.bias")]
        if merged:
            nodes += [helper.make_node("Identity", ["a1.scale"], ["a2.scale"]),
                      helper.make_node("Identity", ["a1.bias"], ["a2.bias"])]
    else:
        inits["val_7"] = np.array(2.0, np.float32)
        inits["val_9"] = np.array([0.125], np.float32)   # a literal with dims [1]
        pow_in, att_in = "val_7", "val_9"
        names = [("a1.scale", "a1.bias")] * 2 if merged else \
            [("a1.scale", "a1.bias"), ("a2.scale", "a2.bias")]
    for k, (s, b) in enumerate(names):
        if s not in inits and not (exporter == "classic" and merged and k):
            inits[s] = np.array([scale[k]], np.float32)
            inits[b] = np.array([bias[k]], np.float32)
    nodes += [helper.make_node("Relu", ["l1"], ["r1"]),
              helper.make_node("Pow", ["r1", pow_in], ["p1"]),
              helper.make_node("Mul", [names[0][0], "p1"], ["s1"]),
              helper.make_node("Add", ["s1", names[0][1]], ["a1"]),
              helper.make_node("Mul", ["a1", att_in], ["q"]),
              helper.make_node("MatMul", ["q", "w2"], ["m2"]),
              helper.make_node("Add", ["fc2.bias", "m2"], ["l2"]),
              helper.make_node("Relu", ["l2"], ["r2"]),
              helper.make_node("Pow", ["r2", pow_in], ["p2"]),
              helper.make_node("Mul", [names[1][0], "p2"], ["s2"]),
              helper.make_node("Add", ["s2", names[1][1]], ["out"])]
    return graph_model(nodes, inits, shape=(1, 1, 4, 8))


@pytest.mark.parametrize("exporter", ["classic", "dynamo"])
@pytest.mark.parametrize("scale,bias", [((0.3, -0.2), (0.05, 0.07)),   # trained
                                        ((1.0, 1.0), (0.0, 0.0))],      # untrained, merged
                         ids=["distinct", "merged"])
def test_starrelu_one_value_params_are_counted(tmp_path, exporter, scale, bias):
    """CAFormer was 48 params short (24 StarReLUs): a one-value initializer was read as
    a literal. One named as a module's parameter is one param per reader (merged equal
    ones count per module, as PyTorch does); the literals 2, 0.125 (a Constant node, or
    an initializer the exporter named ``val_N``, even with dims [1]) count none."""
    m = _load(tmp_path, _star_graph(exporter, scale, bias))
    assert _params(m, 8, 4) == STAR_PARAMS
    learned = [lay for lay in m.layers if lay.op == "add" and lay.attrs.get("operand")
               is not None and lay.attrs["learned"]]
    assert len(learned) == 4            # s and b of both StarReLUs, even when 1 and 0


def test_one_value_literals_count_nothing(tmp_path):
    """An epsilon added before a Sqrt, a scale, a power: literals of every naming the
    exporters use (``val_3``, ``onnx::Mul_5``, ``/blk/Constant_output_0``) count no
    params; only the weight does."""
    rng = np.random.default_rng(2)
    inits = {"w": rng.standard_normal((8, 8)).astype(np.float32),
             "val_3": np.array([1e-6], np.float32),
             "onnx::Mul_5": np.array([0.5], np.float32),
             "/blk/Constant_output_0": np.array([3.0], np.float32)}
    nodes = [helper.make_node("MatMul", ["x", "w"], ["a"]),
             helper.make_node("Add", ["a", "val_3"], ["b"]),
             helper.make_node("Mul", ["b", "onnx::Mul_5"], ["c"]),
             helper.make_node("Pow", ["c", "/blk/Constant_output_0"], ["out"])]
    m = _load(tmp_path, graph_model(nodes, inits, shape=(1, 1, 4, 8)))
    assert _params(m, 8, 4) == 8 * 8


@pytest.mark.parametrize("name,expected", [
    ("stages.0.blocks.1.mlp.act.scale", 1), ("act.bias", 1), ("logit_scale", 0),
    ("val_12", 0), ("onnx::Mul_3", 0), ("/blocks.0/attn/Constant_output_0", 0)])
def test_which_one_value_initializers_are_params(name, expected):
    """The rule itself: a dotted module path names a parameter; a top-module one-value
    parameter (no dot) cannot be told from the exporter's own names (README)."""
    assert onnx_import._learned_size(name, np.array([0.5], np.float32)) == expected
    assert onnx_import._learned_size(name, np.array([1], np.int64)) == 0
    assert onnx_import._learned_size(name, np.zeros(3, np.float32)) == 3


# -- ConViT's gated positional attention: (1 - sigmoid(p)) * patch + sigmoid(p) * pos ---
def _blend_graph(exporter, p, pos_from_constants=True):
    """Attention scores of 4 heads over 4 tokens blended with positional scores by a
    gating parameter p of 4 values: as the classic exporter writes it (p named, its
    sigmoid and 1 - sigmoid computed in the file) or as the optimised dynamo export does
    (p gone: the two gates stored as new constants ``sub_1`` and ``sigmoid_1``). The
    positional scores are a softmax of a stored table (ConViT's come from constants
    alone) or of the activations."""
    rng = np.random.default_rng(3)
    g = 1 / (1 + np.exp(-p.astype(np.float64)))
    inits = {"table": rng.standard_normal((1, 4, 4, 4)).astype(np.float32)}
    nodes = [helper.make_node("Softmax", ["x"], ["patch"], axis=-1)]
    if exporter == "classic":
        inits["blocks.0.attn.gating_param"] = p.reshape(1, 4, 1, 1).astype(np.float32)
        inits["one"] = np.array(1.0, np.float32)
        nodes += [helper.make_node("Sigmoid", ["blocks.0.attn.gating_param"], ["sigmoid_1"]),
                  helper.make_node("Sub", ["one", "sigmoid_1"], ["sub_1"])]
    else:
        inits["sigmoid_1"] = g.reshape(1, 4, 1, 1).astype(np.float32)
        inits["sub_1"] = (1 - g).reshape(1, 4, 1, 1).astype(np.float32)
    if pos_from_constants:
        nodes.append(helper.make_node("Softmax", ["table"], ["pos"], axis=-1))
    else:
        nodes += [helper.make_node("Add", ["x", "table"], ["xt"]),
                  helper.make_node("Softmax", ["xt"], ["pos"], axis=-1)]
    nodes += [helper.make_node("Mul", ["sub_1", "patch"], ["mul_1"]),
              helper.make_node("Mul", ["sigmoid_1", "pos"], ["mul_2"]),
              helper.make_node("Add", ["mul_1", "mul_2"], ["out"])]
    return graph_model(nodes, inits, shape=(1, 4, 4, 4))


@pytest.mark.parametrize("exporter", ["classic", "dynamo"])
@pytest.mark.parametrize("pos_from_constants", [True, False], ids=["const_pos", "act_pos"])
def test_gates_folded_from_one_parameter_count_it_once(tmp_path, exporter,
                                                       pos_from_constants):
    """ConViT's optimised dynamo export was 40 params over the stated difference: its
    gating parameter (4 values per block) is folded into g and 1 - g, each read as a
    4-value table. PyTorch counts p: 4 params (and the 4 x 4 x 4 table 64 when it is a
    learned operand added to activations, not when only constants reach it: a buffer
    whose scores the exporter computed, which the import warns about)."""
    p = np.array([0.3, -1.2, 0.05, 2.0])
    model = _blend_graph(exporter, p, pos_from_constants)
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    if pos_from_constants:
        with pytest.warns(onnx_import.UnsupportedOnnxWarning, match="value per position"):
            m = onnx_import.load(path)
    else:
        m = onnx_import.load(path)
    assert _params(m, 4, 4) == 4 + (0 if pos_from_constants else 4 * 4 * 4)
    if exporter == "dynamo":
        assert "1 gate(s) stored as g and 1 - g" in m.notes


def test_two_independent_gates_count_both(tmp_path):
    """Two stored per-head scales that do not sum to 1 are two parameters: 8."""
    rng = np.random.default_rng(4)
    inits = {"s1": rng.uniform(0.1, 0.4, (1, 4, 1, 1)).astype(np.float32),
             "s2": rng.uniform(0.1, 0.4, (1, 4, 1, 1)).astype(np.float32)}
    nodes = [helper.make_node("Softmax", ["x"], ["a"], axis=-1),
             helper.make_node("Sigmoid", ["x"], ["b"]),
             helper.make_node("Mul", ["s1", "a"], ["m1"]),
             helper.make_node("Mul", ["s2", "b"], ["m2"]),
             helper.make_node("Add", ["m1", "m2"], ["out"])]
    path = tmp_path / "m.onnx"
    onnx.save(graph_model(nodes, inits, shape=(1, 4, 4, 4)), str(path))
    m = onnx_import.load(path)
    assert _params(m, 4, 4) == 8
    assert "gate(s)" not in m.notes


# -- EVA-02's key bias: a zero buffer joined between the q and v bias params ----------
def test_reference_counts_buffers_read_as_weights_only(tmp_path):
    """Optional (needs torch): the corpus reference (tests/reference/
    onnx_corpus_ext.py) counts a fixed float buffer as a weight when a conv or matmul on
    the image reads it, directly (TResNet's blur filter) or joined into a Linear's bias
    (EVA-02's zero key bias between the q and v bias params: the file stores one bias
    of 3 x C values), or when it is added to the image's tensors (Swin's attention
    mask); a table only multiplied elementwise (rotary sin/cos) is not one. By hand,
    C = 3 (the reference runs a 3-channel image): Linear(3, 9) weight 27 + q and v
    biases 6 = 33 params; the alternative adds the key bias 3, the 3x3 depthwise blur
    3 x 9 = 27 and the 16 x 3 mask 48: 111 (the rotary table, 48 more, is left out). The file's import counts those 63 too (the file
    holds both buffers; exported without the rotary table, which an export stores and
    the import, unable to tell a buffer from a parameter, counts as learned)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxscript")
    import sys
    import warnings
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "tests" / "reference"))
    from onnx_corpus_ext import record
    from torch import nn
    from torch.nn import functional as F

    class Evaish(nn.Module):
        def __init__(self, c=3, rope=True):
            super().__init__()
            self.use_rope = rope
            self.qkv = nn.Linear(c, 3 * c, bias=False)
            self.q_bias = nn.Parameter(torch.rand(c))
            self.register_buffer("k_bias", torch.zeros(c), persistent=False)
            self.v_bias = nn.Parameter(torch.rand(c))
            self.register_buffer("rope", torch.rand(16, c), persistent=False)
            self.register_buffer("blur", torch.rand(c, 1, 3, 3))
            self.register_buffer("mask", torch.rand(16, c), persistent=False)

        def forward(self, x):                            # x: 1 x 3 x 4 x 4
            x = F.conv2d(x, self.blur, padding=1, groups=3)
            t = x.flatten(2).transpose(1, 2)                   # 1 x 16 x 3
            t = t * self.rope + self.mask if self.use_rope else t
            bias = torch.cat((self.q_bias, self.k_bias, self.v_bias))
            return F.linear(t, self.qkv.weight, bias)

    model = Evaish().eval()
    ref = record(model, 4, 4)
    assert ref["params"] == 3 * 9 + 3 + 3
    assert ref["params_alt"] == [ref["params"] + 3 + 27 + 48] * 2
    model = Evaish(rope=False).eval()
    for dynamo in (False, True):
        path = tmp_path / f"evaish_{dynamo}.onnx"
        kw = {"optimize": True, "external_data": False} if dynamo else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.zeros(1, 3, 4, 4),), str(path), opset_version=18,
                              dynamo=dynamo, **kw)
        m = onnx_import.load(path)
        assert _params(m, 4, 4) == 63, dynamo


# -- a weight shared by two layers (CoaT's shared convolutional position encoding) -----
def _shared_conv_graph(w2=None, b2=None):
    """x -> Conv(W, B) -> Relu -> Conv(W2, B2): one 4->4 3x3 conv module called twice
    when W2/B2 are W/B (as the exporters write a module called twice: one initializer
    read by two Conv nodes)."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    inits = {"pe.proj.weight": w, "pe.proj.bias": b}
    second = ("pe.proj.weight", "pe.proj.bias")
    if w2 is not None:
        inits.update({"other.weight": w2, "other.bias": b2})
        second = ("other.weight", "other.bias")
    nodes = [helper.make_node("Conv", ["x", "pe.proj.weight", "pe.proj.bias"], ["c1"],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", *second], ["c2"], pads=[1, 1, 1, 1])]
    return graph_model(nodes, inits, shape=(1, 4, 8, 8))


def test_a_weight_read_by_two_layers_is_named_with_its_excess(tmp_path):
    """The engine counts a conv weight at each layer: 2 x (4*4*9 + 4) = 296 params where
    PyTorch counts the module once (148). The import says so, with the excess (144
    weights + 4 biases) and the layers; a second conv with its own weights, or two equal
    constant tensors the exporter merged, are not called shared."""
    p = tmp_path / "shared.onnx"
    onnx.save(_shared_conv_graph(), str(p))
    with pytest.warns(onnx_import.UnsupportedOnnxWarning,
                      match=r"1 weight\(s\) read by more than one layer.*at least 148 values "
                            r"\(144 weights, 4 biases"):
        m = onnx_import.load(p)
    assert _params(m, 8, 8) == 2 * (4 * 4 * 9 + 4)
    rng = np.random.default_rng(1)
    own = _shared_conv_graph(rng.standard_normal((4, 4, 3, 3)).astype(np.float32),
                             rng.standard_normal(4).astype(np.float32))
    q = tmp_path / "own.onnx"
    onnx.save(own, str(q))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = onnx_import.load(q)
    assert _params(m, 8, 8) == 2 * (4 * 4 * 9 + 4)
    assert not any("more than one layer" in n for n in m.notes)
