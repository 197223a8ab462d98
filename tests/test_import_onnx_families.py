"""ONNX import of the newer model families against PyTorch's own per-layer records:
channels-last Linear blocks with a layer scale (ConvNeXt), channel splits and shuffles
(ShuffleNetV2), a vision transformer with a class token and nn.MultiheadAttention
(ViT), window partitioning with padding and patch merging (Swin).

The fixtures are tiny models written with the same op patterns as torchvision's
(tests/reference/make_onnx_fixtures.py), exported by PyTorch with the classic exporter,
the dynamo exporter optimised, and the dynamo exporter unoptimised. Expected numbers
are PyTorch's forward-hook records (tests/fixtures/onnx/<name>.json), never the
importer's: params (with BatchNorm folded as eval exports hold it), conv/fc/attention
MACs and every conv/fc/matmul output shape, at the export size and at another size
(or, for the ViT, a size PyTorch itself refuses, which sramfit must refuse too).
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

pytest.importorskip("onnx")

from conftest import FIXTURES  # noqa: E402
from sramfit.engine.errors import SramfitError  # noqa: E402
from sramfit.engine.footprint import Footprint, layer_cost  # noqa: E402
from sramfit.engine.modelfile import load_model  # noqa: E402

ONNX_DIR = FIXTURES / "onnx"
FAMILIES = ("convnextish", "shufflenetish", "minivit", "swinish", "normish", "samepadish",
            "maxvitish", "swinv2ish")
VARIANTS = ("", "_dynamo", "_dynamo_raw")
#: Exports that write a size-dependent number as a literal that cannot be re-derived:
#: Swin's window padding (F.pad by Python ints) and the window split it feeds. At
#: another size these files are refused (PyTorch itself would run).
BAKED = {"swinish": r"(Reshape|Pad|Slice)\).*exported at 40x40 and runs at that size",
         # the classic exporter computes Conv2dSame's pad from the traced size minus
         # math.ceil(size / stride) written as a number: wrong pads at any other size
         "samepadish": r"/c2/Pad.*computed in the file from a size partly written as "
                       r"numbers.*'same' padding of '/c2/Conv'",
         # MaxViT's window partition x.reshape(B, C, H // P, P, W // P, P) with ints
         "maxvitish": r"Reshape\).*exported at 32x32 and runs at that size",
         "swinv2ish": r"Reshape\).*exported at 16x16 and runs at that size"}
BAKED_VARIANTS = {"swinish": VARIANTS, "samepadish": ("",), "maxvitish": VARIANTS,
                  "swinv2ish": ("_dynamo", "_dynamo_raw")}
#: Exports that fold Swin-V2's position-bias MLP (on a constant buffer) into the bias
#: it produces: the file holds the gathered table instead of the MLP (sramfit warns)
FOLDED_MLP = {("swinv2ish", "_dynamo")}


def _doc(name):
    return json.loads((ONNX_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _shape(shape):
    """A shape without leading 1s: a window-partitioned tensor is 9 x 16 x 8 in PyTorch
    (windows as its batch) and 1 x 9 x 16 x 8 in sramfit (windows per image)."""
    shape = tuple(shape)
    while len(shape) > 1 and shape[0] == 1:
        shape = shape[1:]
    return shape


def _records(fp):
    out = []
    for step in fp.steps:
        for layer in step.layers:
            if layer.op in ("conv", "fc", "matmul"):
                p, m = layer_cost(layer, fp.shapes[layer.inputs[0]], fp.shapes[layer.name])
                kind = "matmul" if layer.op == "matmul" else layer.op
                out.append((kind, _shape(fp.shapes[layer.name]), m))
    return out


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
@pytest.mark.parametrize("name", FAMILIES)
def test_family_matches_pytorch(name, variant):
    doc = _doc(name)
    path = str(ONNX_DIR / f"{name}{variant}.onnx")
    for size, ref in doc["records"].items():
        w, h = map(int, size.split("x"))
        if variant in BAKED_VARIANTS.get(name, ()) and [w, h] != doc["export_size"]:
            with pytest.raises(SramfitError, match=BAKED[name]):
                load_model(path, w, h)
            continue
        # Swin-V2's position-bias MLP runs on a constant buffer: sramfit holds it as a
        # 'constant subgraph' layer with PyTorch's params and MACs (not fc layers)
        cpb = [r for r in ref["layers"] if "cpb_mlp" in r["name"]]
        cpb_params, cpb_macs = sum(r["params"] for r in cpb), sum(r["macs"] for r in cpb)
        if (name, variant) in FOLDED_MLP:
            with pytest.warns(UserWarning, match=r"exporter computed from layers no longer "
                                                 r"in the file.*Swin-V2"):
                model = load_model(path, w, h)
            # the file holds the MLP's gathered output instead: PyTorch's figures less
            # the MLP's, plus the table's values (both from the torch model)
            ref = dict(ref, params=ref["params"] - cpb_params + doc["cpb_table_values"],
                       conv_fc_macs=ref["conv_fc_macs"] - cpb_macs)
            ref["params_folded"] = ref["params"]
        else:
            model = load_model(path, w, h)
            sub = [lay for lay in model.layers if lay.op == "other"
                   and lay.attrs["type"] == "constant subgraph"]
            assert [(lay.attrs["params"], lay.attrs["macs"]) for lay in sub] == (
                [(cpb_params, cpb_macs)] if cpb else [])
        fp = Footprint(model, w, h)
        t = fp.totals()
        # classic and optimised exports fold BatchNorm into the conv; the raw dynamo
        # graph may keep it: either PyTorch count is right, nothing else
        assert t["params"] in (ref["params"], ref["params_folded"]), (size, t["params"])
        assert t["macs"] - t["attn_macs"] == ref["conv_fc_macs"], size
        assert t["attn_macs"] == ref["attn_macs"], size
        theirs = Counter((r["kind"], _shape(r["out_shape"]), r["macs"])
                         for r in ref["layers"] if r not in cpb)
        assert Counter(_records(fp)) == theirs, size


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
@pytest.mark.parametrize("name, match", [
    ("minivit", r"minivit.*node .*(pos_embedding|[Aa]dd).*exported at 32x32"),
    ("maxvitish", r"maxvitish.*node .*Reshape.*exported at 32x32")])
def test_refuses_a_size_pytorch_refuses(name, match, variant):
    doc = _doc(name)
    rw, rh = doc["refused_size"]
    with pytest.raises(SramfitError, match=match):
        load_model(str(ONNX_DIR / f"{name}{variant}.onnx"), rw, rh)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
def test_same_padding_written_as_numbers_is_refused_where_it_would_differ(variant):
    """Conv2dSame's pads at 64x48 are (0, 0, 1, 1): 'same' padding, or a fixed
    ZeroPad2d((0, 1, 0, 1)); at 81x57 'same' needs (1, 1, 1, 1) and PyTorch pads so
    (its record differs from what the written pads give). The file cannot tell: refused,
    naming the node, both pads and the export size; at 80x56 (even: 'same' pads as
    written) the family test above checks PyTorch's figures."""
    doc = _doc("samepadish")
    w, h = doc["ambiguous_size"]
    # by hand, 3x3 stride 2 on 57x81: 'same' gives ceil(57/2) x ceil(81/2) = 29 x 41; the
    # pads as written, (57+1-3)//2+1 x (81+1-3)//2+1 = 28 x 40. PyTorch ran 'same':
    first = doc["ambiguous_record"]["layers"][0]
    assert first["out_shape"] == [1, 8, 29, 41]
    with pytest.raises(SramfitError, match=r"(Pad|Conv)\) pads .* 0, 0, 1, 1 here.*"
                                           r"export size 64x48.*needs 1, 1, 1, 1"):
        load_model(str(ONNX_DIR / f"samepadish{variant}.onnx"), w, h)


def test_families_exercise_the_new_ops():
    """What the issue names is really in the fixtures (so the checks above mean it)."""
    cnx = load_model(str(ONNX_DIR / "convnextish.onnx"))
    fc4d = [lay for lay in cnx.layers if lay.op == "fc" and not lay.attrs["flatten"]]
    assert len(fc4d) == 4 and all(lay.attrs["bias"] for lay in fc4d)
    assert [lay.attrs["operand"] for lay in cnx.layers if lay.op == "add"
            and lay.attrs["operand"]] == [(8, 1, 1), (16, 1, 1)]      # layer scales
    assert sum(lay.op == "norm" and lay.attrs["kind"] == "layer" for lay in cnx.layers) == 5
    shf = load_model(str(ONNX_DIR / "shufflenetish.onnx"))
    assert sum(lay.op == "reshape" and lay.attrs["kind"] == "slice" for lay in shf.layers) >= 4
    vit = load_model(str(ONNX_DIR / "minivit.onnx"))
    assert sum(lay.op == "matmul" for lay in vit.layers) == 4
    assert any(lay.op == "other" and lay.attrs["type"] == "constant" for lay in vit.layers)
    swin = load_model(str(ONNX_DIR / "swinish_dynamo_raw.onnx"))
    assert any(lay.op == "reshape" and lay.attrs["kind"] == "pad" for lay in swin.layers)
    assert any(lay.op == "reshape" and lay.attrs["kind"] == "slice" and lay.attrs["step"] == 2
               for lay in swin.layers)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
def test_norms_and_prelu_are_layers_not_other(variant):
    """GroupNorm, InstanceNorm and PReLU map to engine layers (fusable, params counted
    where PyTorch has them) with nothing left as 'other' or warned about."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = load_model(str(ONNX_DIR / f"normish{variant}.onnx"))
    kinds = Counter(lay.attrs["kind"] for lay in m.layers if lay.op == "norm")
    assert kinds["group"] == 1 and kinds["instance"] == 1
    prelu = [lay.attrs["params"] for lay in m.layers if lay.op == "act"
             and lay.attrs["fn"] == "prelu"]
    assert prelu == [8, 1]                              # nn.PReLU(8), nn.PReLU()
    assert not [lay for lay in m.layers if lay.op == "other"
                and lay.attrs["type"] not in ("ReduceL2",)]


def test_fixtures_are_small():
    """Committed fixtures stay small (the issue: a few hundred KB in all)."""
    total = sum(p.stat().st_size for name in FAMILIES for p in ONNX_DIR.glob(f"{name}*"))
    assert total < 1_000_000
