"""The built-in zoo against independent references:

1. DOMAIN.md's table of published figures (torchvision docs, darknet), typed here
   from the published sources, never from running sramfit;
2. per-layer records of real PyTorch forward passes (tests/fixtures/torch_refs,
   made by tests/reference/make_references.py from plain-PyTorch models);
3. live PyTorch at random odd sizes, when torch is installed (optional).
"""
import json
import math
from collections import Counter

import pytest

from sramfit import engine
from sramfit.engine.footprint import layer_cost

from conftest import FIXTURES

# model: (input WxH, params, GMACs, largest conv output CxHxW or None) -- DOMAIN.md
PUBLISHED = {
    "resnet50": ((224, 224), 25_557_032, 4.09, (64, 112, 112)),
    "resnet18": ((224, 224), 11_689_512, 1.81, (64, 112, 112)),
    "vgg16": ((224, 224), 138_357_544, 15.47, (64, 224, 224)),
    "googlenet": ((224, 224), 6_624_904, 1.50, None),
    "mobilenet_v2": ((224, 224), 3_504_872, 0.30, (96, 112, 112)),
    "yolov3": ((416, 416), 61_949_149, 32.93, (32, 416, 416)),
    "yolov3_tiny": ((416, 416), 8_850_000, 2.78, None),   # "~8.85 M"
    # torchvision docs: num_params 86,567,656, GFLOPS 17.56 (weight and attention matmuls)
    "vit_b_16": ((224, 224), 86_567_656, 17.56, (768, 14, 14)),
}


def conv_fc_records(fp):
    """(kind, output shape with batch, params, macs) for every conv/fc/matmul layer."""
    out = []
    for step in fp.steps:
        for layer in step.layers:
            if layer.op in ("conv", "fc", "matmul"):
                ins, outs = fp.shapes[layer.inputs[0]], fp.shapes[layer.name]
                p, m = layer_cost(layer, ins, outs)
                out.append((layer.op, (fp.batch, *outs), p, m * fp.batch))
    return out


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_figures(name):
    (w, h), params, gmacs, largest = PUBLISHED[name]
    fp = engine.analyze(name, w, h)
    t = fp.totals()
    assert abs(t["params"] - params) / params < 0.005
    assert abs(t["macs"] / 1e9 - gmacs) / gmacs < 0.005
    if largest is not None:
        conv = [r for r in conv_fc_records(fp) if r[0] == "conv"]
        biggest = max(math.prod(r[1]) for r in conv)
        shapes = {r[1][1:] for r in conv if math.prod(r[1]) == biggest}
        assert largest in shapes


def test_exact_published_param_counts():
    # torchvision's num_params and the ultralytics/darknet count are exact integers
    for name, (_, params, _, _) in PUBLISHED.items():
        if name != "yolov3_tiny":
            assert engine.analyze(name).totals()["params"] == params


def _refs():
    return sorted((FIXTURES / "torch_refs").glob("*.json"))


@pytest.mark.parametrize("path", _refs(), ids=lambda p: p.stem)
def test_against_pytorch_records(path):
    ref = json.loads(path.read_text())
    _, _, h, w = ref["input"]
    fp = engine.analyze(ref["model"], w, h)
    ours = conv_fc_records(fp)
    theirs = [(r["kind"], tuple(r["out_shape"]), r["params"], r["macs"])
              for r in ref["layers"]]
    assert Counter(ours) == Counter(theirs)
    assert fp.totals()["params"] == ref["params"]
    attn = ref.get("attn_macs", 0)
    assert fp.totals()["attn_macs"] == attn
    assert fp.totals()["macs"] == ref["conv_fc_macs"] + attn
    conv_elems = sum(math.prod(r[1]) for r in ours if r[0] == "conv")
    assert conv_elems == ref["sum_conv_output_elems"]


def test_torchvision_names_match_records():
    """Layer names follow torchvision's module paths, so users can match rows."""
    ref = json.loads((FIXTURES / "torch_refs" / "resnet50_224x224.json").read_text())
    names = {layer.name for layer in engine.zoo.get("resnet50").layers}
    assert {r["name"] for r in ref["layers"]} <= names


def test_vit_b_16_refuses_other_token_counts():
    """The learned 197x768 position embedding fixes the token count: 224..239 pixels
    give 14x14 patches (the conv floors), 240 gives 15x15 = 225 + 1 tokens."""
    from sramfit.engine.errors import ShapeError
    assert engine.analyze("vit_b_16", 239, 239).totals()["params"] == 86_567_656
    with pytest.raises(ShapeError, match=r"encoder\.pos_embedding.*226x768 and 197x768.*"
                                         r"nearest sizes that work: 239x239"):
        engine.analyze("vit_b_16", 240, 240)


def test_vit_b_16_attention_macs_by_hand():
    """Per block: scores and context are each heads x T x T x 64 = 12*197*197*64."""
    fp = engine.analyze("vit_b_16", 224, 224, batch=2)
    t = fp.totals()
    assert t["attn_macs"] == 2 * 12 * 2 * 12 * 197 * 197 * 64
    rows = [r for r in fp.layer_rows() if r["op"] == "matmul"]
    assert len(rows) == 24 and all(r["attn_macs"] == r["macs"] == 2 * 12 * 197 * 197 * 64
                                   for r in rows)
    assert all(r["attn_macs"] == 0 for r in fp.layer_rows() if r["op"] != "matmul")


def test_seed_figures_at_2mp():
    """DOMAIN.md: at 1920x1088 int8, ResNet-50's largest activation ~33.4 MB; YOLOv3's
    ~66.8 MB with ~400 G MACs and conv outputs summing to ~475 MB."""
    r50 = engine.analyze("resnet50", 1920, 1088).totals()
    assert r50["largest_activation_bytes"] == 64 * 544 * 960
    assert abs(r50["macs"] / 1e9 - 170) < 1.0   # seed's "103 Million" is wrong
    fp = engine.analyze("yolov3", 1920, 1088)
    t = fp.totals()
    assert t["largest_activation_bytes"] == 32 * 1088 * 1920   # 66.8 MB
    assert abs(t["largest_activation_bytes"] / 1e6 - 66.8) < 0.1
    assert 395e9 < t["macs"] < 405e9
    conv_bytes = sum(r["activation_bytes"] for r in fp.layer_rows() if r["op"] == "conv")
    assert abs(conv_bytes / 1e6 - 475) / 475 < 0.01
    assert t["weight_bytes"] == 61_949_149   # int8: one byte per parameter


def test_precisions_scale_bytes_from_bits():
    base = engine.analyze("resnet50", 224, 224, weights="int8", activations="int8").totals()
    for name, bits in (("int4", 4), ("fp16", 16), ("bf16", 16), ("fp32", 32)):
        t = engine.analyze("resnet50", 224, 224, weights=name, activations=name).totals()
        assert t["largest_activation_bytes"] == base["largest_activation_bytes"] * bits // 8
        # per-layer rounding up of packed int4 values can add at most one byte per layer
        assert abs(t["weight_bytes"] - base["weight_bytes"] * bits / 8) <= 200


def test_batch_multiplies_activations_and_macs_not_weights():
    one = engine.analyze("yolov3", 416, 416, batch=1).totals()
    four = engine.analyze("yolov3", 416, 416, batch=4).totals()
    assert four["macs"] == 4 * one["macs"]
    assert four["largest_activation_bytes"] == 4 * one["largest_activation_bytes"]
    assert four["peak_live_bytes"] == 4 * one["peak_live_bytes"]
    assert four["weight_bytes"] == one["weight_bytes"]




@pytest.mark.parametrize("name,size", [("resnet50", (1283, 721)), ("mobilenet_v2", (333, 197)),
                                       ("googlenet", (311, 257)), ("resnet18", (97, 65)),
                                       ("vgg16", (250, 260))])
def test_live_pytorch_at_odd_sizes(name, size):
    """Optional: needs torch (pip install torch). Compares every conv/fc output shape,
    param and MAC count with a real PyTorch forward pass at an odd size."""
    pytest.importorskip("torch")
    import importlib.util
    from conftest import ROOT
    spec = importlib.util.spec_from_file_location(
        "torch_models", ROOT / "tests" / "reference" / "torch_models.py")
    tm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tm)
    import torch as T
    model = getattr(tm, name)().eval()
    recs = []

    def hook(mod, inp, out):
        x = inp[0]
        if isinstance(mod, T.nn.Conv2d):
            kh, kw = mod.kernel_size
            m = out.numel() * (x.shape[1] // mod.groups) * kh * kw
            recs.append(("conv", tuple(out.shape), sum(p.numel() for p in mod.parameters()), m))
        else:
            recs.append(("fc", tuple(out.shape), sum(p.numel() for p in mod.parameters()),
                         out.numel() * mod.in_features))
    for mod in model.modules():
        if isinstance(mod, (T.nn.Conv2d, T.nn.Linear)):
            mod.register_forward_hook(hook)
    w, h = size
    with T.no_grad():
        model(T.zeros(1, 3, h, w))
    fp = engine.analyze(name, w, h)
    assert Counter(conv_fc_records(fp)) == Counter(recs)
