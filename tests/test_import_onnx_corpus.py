"""The corpus outside torchvision (tests/reference/onnx_corpus_ext.py: timm models and a
YOLO-style detector, three exports each, two sizes) as CI can check it without torch:

- ``tokenish``: a tiny model with the retargeting patterns the corpus found refused at
  sizes the model runs (TResNet's space-to-depth ``view`` and PVT/Twins' tokens-back-to-
  a-map ``reshape`` with sizes written as numbers), TinyViT's uneven q/k/v split of a
  batch-merged tensor (the unoptimised dynamo export failed at its own size) and ECA's
  Conv1d, whose MACs were dropped; its expected figures are PyTorch's own record (every aten convolution and
  matmul, tests/fixtures/onnx/tokenish.json), never the importer's;
- ``levitish``: timm's own LeViT Attention and AttentionDownsample (BatchNorm1d on
  tokens flattened with the batch, gathered attention-bias tables), against PyTorch's
  record (tests/fixtures/onnx/levitish.json) and by hand;
- the recorded corpus table (tests/reference/onnx_corpus_ext.json): its shape, and the
  summary the README quotes, derived from the rows.
"""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest

pytest.importorskip("onnx")

from conftest import FIXTURES, ROOT  # noqa: E402
from sramfit.engine.errors import SramfitError  # noqa: E402
from sramfit.engine.footprint import Footprint  # noqa: E402
from sramfit.engine.modelfile import load_model  # noqa: E402

ONNX_DIR = FIXTURES / "onnx"
VARIANTS = ("", "_dynamo", "_dynamo_raw")
TABLE = ROOT / "tests" / "reference" / "onnx_corpus_ext.json"


def _doc():
    return json.loads((ONNX_DIR / "tokenish.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
def test_tokenish_matches_pytorch_at_both_sizes(variant):
    doc = _doc()
    for size in (doc["export_size"], doc["other_size"]):
        w, h = size
        ref = doc["records"][f"{w}x{h}"]
        model = load_model(str(ONNX_DIR / f"tokenish{variant}.onnx"), w, h)
        fp = Footprint(model, w, h)
        t = fp.totals()
        assert t["params"] in (ref["params"], ref["params_folded"], *ref["params_alt"])
        assert t["macs"] - t["attn_macs"] == ref["weight_macs"], size
        assert t["attn_macs"] == ref["attn_macs"], size
        mine = Counter((1, *fp.shapes[lay.name]) for lay in model.layers if lay.op == "conv")
        assert mine == Counter(tuple(c) for c in ref["convs"]), size


def test_tokenish_figures_by_hand():
    """The record itself, by hand at 64x64: stem 1x1 conv 48->16 on 16x16, Linear 16->16
    on 256 tokens, two heads of q.k^T (2 deep) and attn.v (4 deep) over 256 tokens,
    Linear 8->16, 3x3/2 conv 16->24 on 8x8, Conv1d(1, 1, 3) over 24 channels, head
    24->10; at 72x64 the maps are 16x18 and 8x9 (288 tokens)."""
    rec = _doc()["records"]
    for key, (hh, ww) in (("64x64", (16, 16)), ("72x64", (16, 18))):
        t = hh * ww
        assert rec[key]["weight_macs"] == t * 16 * 48 + t * 16 * 16 + t * 8 * 16 \
            + (hh // 2) * (ww // 2) * 24 * 16 * 9 + 24 * 3 + 24 * 10, key
        assert rec[key]["attn_macs"] == 2 * t * t * 2 + 2 * t * t * 4, key
    assert rec["64x64"]["params"] == (48 * 16 + 16) + 2 * 16 + (16 * 16 + 16) \
        + (8 * 16 + 16) + (16 * 24 * 9 + 24) + 3 + (24 * 10 + 10)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
def test_eca_conv1d_macs_are_counted(variant):
    model = load_model(str(ONNX_DIR / f"tokenish{variant}.onnx"))
    conv1d = [lay for lay in model.layers if lay.op == "other" and lay.attrs["type"] == "Conv"]
    assert len(conv1d) == 1
    assert conv1d[0].attrs["macs"] == 24 * 1 * 3          # 24 outputs x 1 in x kernel 3
    assert conv1d[0].attrs["params"] == 3


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
def test_tokenish_refuses_a_size_pytorch_refuses(variant):
    rw, rh = _doc()["refused_size"]
    with pytest.raises(SramfitError, match=r"node .*\(Reshape\).*exported at 64x64"):
        load_model(str(ONNX_DIR / f"tokenish{variant}.onnx"), rw, rh)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
def test_a_split_with_two_readings_is_refused_not_guessed(variant):
    """At 96 columns the space-to-depth split 64 -> (16, 4) could become (24, 4) or
    (16, 6): the file does not say which factor is the block, so it is refused."""
    with pytest.raises(SramfitError, match=r"node .*\(Reshape\).*1x3x16x4x16x4.*exported "
                                           r"at 64x64"):
        load_model(str(ONNX_DIR / f"tokenish{variant}.onnx"), 96, 64)


def _table():
    return json.loads(TABLE.read_text(encoding="utf-8"))


def summary(rows):
    """The README's figures, derived from the recorded rows."""
    imports = [r for r in rows if r["size"]]
    return {
        "models": len({r["model"] for r in rows}),
        "imports": len(imports),
        "ok": sum(r["result"].startswith("ok") for r in imports),
        "refused": sum(r["result"].startswith("refused") for r in imports),
        "mismatch": sum(r["result"].startswith("MISMATCH") for r in imports),
        "export_failed": len(rows) - len(imports),
    }


def test_corpus_table_covers_models_outside_torchvision():
    rows = _table()["rows"]
    models = {r["model"] for r in rows}
    assert len(models) >= 25
    assert all(m.split("/")[0] in ("timm", "yolo", "local") for m in models)
    for m in models:            # every model, every exporter, both sizes (or a failure)
        got = Counter(r["exporter"] for r in rows if r["model"] == m)
        assert set(got) == {"classic", "dynamo", "dynamo_raw"}, m
        assert all(n in (1, 2) for n in got.values()), m
    for r in rows:
        assert re.match(r"(ok|refused|MISMATCH|export failed)", r["result"]), r


def test_readme_quotes_the_recorded_table():
    s = summary(_table()["rows"])
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    line = (f"{s['models']} models outside torchvision, {s['imports']} imports: "
            f"{s['ok']} match PyTorch, {s['refused']} refused at a size PyTorch runs, "
            f"{s['mismatch']} differ")
    assert line in " ".join(text.split()), line


def _levitish():
    return json.loads((ONNX_DIR / "levitish.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v or "classic")
def test_levitish_matches_pytorch_and_refuses_other_sizes(variant):
    """timm's own LeViT Attention and AttentionDownsample (tests/reference/
    onnx_corpus_ext.py LeViTish): BatchNorm1d on the tokens flattened with the batch
    counts two params per channel, the gathered attention-bias tables their
    heads x resolution^2 values, as PyTorch counts them; the bias tables fix the size."""
    doc = _levitish()
    w, h = doc["export_size"]
    ref = doc["records"][f"{w}x{h}"]
    path = str(ONNX_DIR / f"levitish{variant}.onnx")
    model = load_model(path, w, h)
    fp = Footprint(model, w, h)
    t = fp.totals()
    assert t["params"] in (ref["params"], ref["params_folded"])
    assert t["macs"] - t["attn_macs"] == ref["weight_macs"]
    assert t["attn_macs"] == ref["attn_macs"]
    mine = Counter((1, *fp.shapes[lay.name]) for lay in model.layers if lay.op == "conv")
    assert mine == Counter(tuple(c) for c in ref["convs"])
    for size in (doc["other_size"], doc["refused_size"]):
        assert "refused" in doc["records"][f"{size[0]}x{size[1]}"]
        with pytest.raises(SramfitError):
            load_model(path, *size)


def test_levitish_params_by_hand():
    """PyTorch's params, by hand: stem conv 3->32 4x4 (1,536) + BN (64); Attention:
    qkv Linear 32->64 (2,048) + BN (128), proj 32->32 (1,024) + BN (64), bias table
    2 heads x 8^2 (128); AttentionDownsample: kv 32->96 (3,072) + BN (192), q 32->32
    (1,024) + BN (64), proj 64->48 (3,072) + BN (96), bias table 4 heads x 8^2 (256);
    head 48->10 (490). Folded: the stem's BN into its bias-free conv (-32)."""
    ref = _levitish()["records"]["32x32"]
    hand = (1536 + 64 + 2048 + 128 + 1024 + 64 + 2 * 64 + 3072 + 192 + 1024 + 64
            + 3072 + 96 + 4 * 64 + 490)
    assert (ref["params"], ref["params_folded"]) == (hand, hand - 32)


TV_TABLE = ROOT / "tests" / "reference" / "onnx_corpus_tv.json"


def test_torchvision_table_rows_are_well_formed():
    """The torchvision models recorded beyond the README's hand-counted batches
    (tests/reference/onnx_corpus.py --record): every row names a torchvision model,
    an exporter, a size or an export failure, and a result of the known kinds."""
    rows = json.loads(TV_TABLE.read_text(encoding="utf-8"))["rows"]
    assert rows
    for r in rows:
        assert r["exporter"] in ("classic", "dynamo", "dynamo_raw"), r
        assert "/" not in r["model"], r
        assert re.match(r"(ok|refused|MISMATCH|export failed)", r["result"]), r
        assert (r["size"] is None) == r["result"].startswith("export failed"), r
    for m in {r["model"] for r in rows}:       # at most two sizes per export
        got = Counter(r["exporter"] for r in rows if r["model"] == m)
        assert all(n in (1, 2) for n in got.values()), m


def test_readme_quotes_the_recorded_torchvision_table():
    s = summary(json.loads(TV_TABLE.read_text(encoding="utf-8"))["rows"])
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    line = (f"{s['models']} further torchvision models, {s['imports']} imports: "
            f"{s['ok']} match PyTorch, {s['refused']} refused at a size PyTorch runs, "
            f"{s['mismatch']} differ")
    assert line in " ".join(text.split()), line
