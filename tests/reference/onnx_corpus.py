"""Corpus check: export torchvision models with both PyTorch exporters and compare
sramfit's ONNX import with PyTorch's own per-layer record. Needs torch, torchvision and
onnxscript (not needed by the test suite; CI checks the committed tiny fixtures).

For each model: random weights (exporters drop zero biases and merge equal tensors of
untrained models), then

- PyTorch's record at the export size and at another size: forward hooks on every
  Conv2d and Linear, nn.MultiheadAttention (its projections run functionally: in/out
  projection MACs and attention MACs), torchvision's ShiftedWindowAttention (qkv and
  proj projections and the window attention matmuls on the padded map) and MaxViT's
  RelativePositionalMultiHeadAttention (its einsum scores and context); total params,
  and the params with every BatchNorm folded into the conv before it (what eval-mode
  exports hold);
- three exports at the export size: classic (``dynamo=False``), dynamo optimised,
  dynamo unoptimised;
- sramfit's import of each at the export size and at the other size, compared on:
  params (either PyTorch count), weight MACs (conv + fc), attention MACs, every conv
  output shape. A size PyTorch cannot run must be refused by sramfit; a size sramfit
  refuses that PyTorch runs is reported as "refused" (never wrong, but not re-derived).

    python tests/reference/onnx_corpus.py                 # the default list
    python tests/reference/onnx_corpus.py resnet18 vit_b_16 --size 224 --other 256x192
    python tests/reference/onnx_corpus.py --all           # every classification,
                                                          # segmentation and ViT/Swin model

Prints one line per (model, exporter, size) and a summary; exit 1 on any mismatch.
"""
from __future__ import annotations

import argparse
import io
import logging
import math
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import torch
import torchvision
from torch import nn

from sramfit.engine.errors import SramfitError
from sramfit.engine.footprint import Footprint, layer_cost
from sramfit.engine.modelfile import load_model

DEFAULT = ["resnet18", "mobilenet_v3_small", "shufflenet_v2_x0_5", "squeezenet1_1",
           "efficientnet_b0", "regnet_x_400mf", "densenet121", "mnasnet0_5",
           "convnext_tiny", "googlenet", "lraspp_mobilenet_v3_large",
           "deeplabv3_mobilenet_v3_large", "fcn_resnet50", "vit_b_16", "swin_t"]
SEGMENTATION = {"lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large",
                "deeplabv3_resnet50", "deeplabv3_resnet101", "fcn_resnet50",
                "fcn_resnet101"}


class Out(nn.Module):
    """Segmentation models return a dict; export its 'out' tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


def build(name):
    kw = {"weights": None}
    if name in SEGMENTATION:
        kw.update(weights_backbone=None, aux_loss=False)
        m = Out(torchvision.models.get_model(name, **kw))
    else:
        if name.startswith(("googlenet", "inception")):
            kw.update(aux_logits=False, init_weights=False)
        m = torchvision.models.get_model(name, **kw)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 0.2 - 0.1)
        for mod in m.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                mod.running_mean.copy_(torch.rand(mod.num_features, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    return m.eval()


def record(model, w, h):
    """PyTorch's own figures at one size, or None when PyTorch cannot run there."""
    convs, fcs = [], []
    macs = {"weight": 0, "attn": 0}

    def hook(mod, inp, out):
        x = inp[0]
        if isinstance(mod, nn.Conv2d):
            kh, kw = mod.kernel_size
            convs.append(tuple(out.shape))
            macs["weight"] += out.numel() * (mod.in_channels // mod.groups) * kh * kw
        elif isinstance(mod, nn.Linear):
            fcs.append(tuple(out.shape))
            macs["weight"] += out.numel() * mod.in_features
        elif isinstance(mod, nn.MultiheadAttention):
            n, t = (x.shape[0], x.shape[1]) if mod.batch_first else (x.shape[1], x.shape[0])
            e = mod.embed_dim
            macs["weight"] += n * t * e * 4 * e
            macs["attn"] += 2 * n * t * t * e
        elif type(mod).__name__ == "RelativePositionalMultiHeadAttention":
            # torchvision MaxViT: x is B x G (windows or grid cells) x P x D; its to_qkv
            # and merge Linears are modules (hooked above); scores and context are two
            # einsums of P x P x D per window
            b, g, p, d = x.shape
            macs["attn"] += 2 * b * g * p * p * d
        else:                                     # torchvision ShiftedWindowAttention
            b, hh, ww, c = x.shape
            wh, wwin = mod.window_size
            hp, wp = -(-hh // wh) * wh, -(-ww // wwin) * wwin
            tokens = b * hp * wp
            macs["weight"] += tokens * c * 3 * c + tokens * c * c
            macs["attn"] += 2 * tokens * wh * wwin * c

    kinds = [nn.Conv2d, nn.Linear, nn.MultiheadAttention]
    try:
        from torchvision.models.swin_transformer import ShiftedWindowAttention
        kinds.append(ShiftedWindowAttention)
    except ImportError:
        pass
    try:
        from torchvision.models.maxvit import RelativePositionalMultiHeadAttention
        kinds.append(RelativePositionalMultiHeadAttention)
    except ImportError:
        pass
    # Linear layers inside the attention modules run functionally: no hook fires
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, tuple(kinds))]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, h, w))
    except Exception as err:                  # noqa: BLE001 (the model refuses the size)
        return {"refused": f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"}
    finally:
        for hd in handles:
            hd.remove()
    params = sum(p.numel() for p in model.parameters())
    # a BatchNorm defined right after a conv of its width is folded into it by eval
    # exports (a heuristic on definition order; the check accepts either count)
    folded = params
    seq = list(model.modules())
    for a, b in zip(seq, seq[1:]):
        if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d) \
                and a.out_channels == b.num_features:
            folded -= 2 * b.num_features - (0 if a.bias is not None else b.num_features)
    # Swin-V2's position-bias MLP runs on a constant buffer: the optimised dynamo export
    # folds its first Linear + ReLU into a stored constant (sramfit warns); what PyTorch
    # counts for those Linears, from the modules themselves
    cpb = [mod.cpb_mlp[0] for mod in model.modules() if hasattr(mod, "cpb_mlp")]
    cpb_params = sum(p.numel() for lin in cpb for p in lin.parameters())
    cpb_macs = sum(mod.relative_coords_table.numel() // lin.in_features * lin.in_features
                   * lin.out_features for mod in model.modules() if hasattr(mod, "cpb_mlp")
                   for lin in mod.cpb_mlp[:1])
    return {"params": params, "params_folded": folded, "weight_macs": macs["weight"],
            "attn_macs": macs["attn"], "convs": convs, "fcs": fcs,
            "folded_first_layers": (cpb_params, cpb_macs)}


def export(model, x, path, dynamo, optimize=True):
    with warnings.catch_warnings(), redirect_stdout(io.StringIO()), \
            redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        kw = {"dynamo": dynamo}
        if dynamo:
            kw.update(optimize=optimize, external_data=True)
        torch.onnx.export(model, (x,), str(path), opset_version=18, input_names=["image"],
                          output_names=["out"], **kw)


def compare(path, ref, w, h):
    """'ok', 'refused ...' or 'MISMATCH ...' for sramfit's import at w x h."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = load_model(str(path), w, h)
            fp = Footprint(model, w, h)
    except SramfitError as err:
        msg = str(err).split(": ", 1)[-1][:160]
        if "refused" in ref:
            return "ok (refused like PyTorch)"
        return f"refused: {msg}"
    if "refused" in ref:
        return f"MISMATCH: PyTorch refuses ({ref['refused']}) but sramfit imports"
    t = fp.totals()
    bad = []
    fp_params, fp_macs = ref.get("folded_first_layers", (0, 0))
    expected = ""
    if (fp_params and "exporter computed from layers" in model.notes
            and t["params"] == ref["params"] - fp_params
            and t["macs"] - t["attn_macs"] == ref["weight_macs"] - fp_macs):
        # the difference sramfit warns about, as PyTorch's own modules give it
        ref = dict(ref, params=t["params"], params_folded=t["params"],
                   weight_macs=ref["weight_macs"] - fp_macs)
        expected = (f" (warned: exporter folded the first position-bias MLP layers, "
                    f"-{fp_params:,} params, -{fp_macs:,} MACs as PyTorch's modules give)")
    cf_params, cf_macs = ref.get("const_folded", (0, 0))
    if (cf_params or cf_macs) and not expected and t["params"] in (
            ref["params"] - cf_params, ref["params_folded"] - cf_params) \
            and t["macs"] - t["attn_macs"] == ref["weight_macs"] - cf_macs:
        # convs and matmuls PyTorch runs on constants alone (no input reaches them),
        # which the exporter folded into the one constant the file holds
        ref = dict(ref, params=t["params"], params_folded=t["params"],
                   weight_macs=ref["weight_macs"] - cf_macs,
                   convs=list((Counter(map(tuple, ref["convs"]))
                               - Counter(map(tuple, ref.get("const_convs", ())))).elements()))
        warned = "value per position" in model.notes
        expected = (f" (stated: the exporter folded what PyTorch computes from constants "
                    f"alone, -{cf_params:,} params, -{cf_macs:,} MACs as PyTorch's modules "
                    f"give; {'warned' if warned else 'not warned'} by the import)")
    if t["params"] not in (ref["params"], ref["params_folded"], *ref.get("params_alt", ())):
        bad.append(f"params {t['params']:,} vs {ref['params']:,} "
                   f"(folded {ref['params_folded']:,})")
    if t["macs"] - t["attn_macs"] != ref["weight_macs"]:
        bad.append(f"weight MACs {t['macs'] - t['attn_macs']:,} vs {ref['weight_macs']:,}")
    if t["attn_macs"] != ref["attn_macs"]:
        bad.append(f"attention MACs {t['attn_macs']:,} vs {ref['attn_macs']:,}")
    if bad and (cf_params or cf_macs) and not expected:
        bad.append(f"PyTorch's convs and matmuls on constants alone: {cf_params:,} "
                   f"params, {cf_macs:,} MACs")
    mine = Counter((1, *fp.shapes[lay.name]) for lay in model.layers if lay.op == "conv")
    if mine != Counter(ref["convs"]):
        diff = (Counter(ref["convs"]) - mine) + (mine - Counter(ref["convs"]))
        bad.append(f"conv shapes differ: {list(diff)[:3]}")
    rest = [lay.attrs["type"] for lay in model.layers if lay.op == "other"
            and lay.attrs["type"] not in ("constant", "ReduceMean", "ReduceMax")]
    rest = [r for r in rest if r != "constant subgraph"]
    return "MISMATCH: " + "; ".join(bad) if bad else (
        "ok" + expected + (f" ({len(rest)} 'other': {sorted(set(rest))[:4]})" if rest else ""))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--size", default=None, help="export size WxH (default 224x224; "
                                                 "segmentation 256x192)")
    ap.add_argument("--other", default="256x192", help="the other size WxH")
    ap.add_argument("--exporters", default="classic,dynamo,dynamo_raw")
    ap.add_argument("--skip", default="", help="comma-separated models to leave out "
                    "(with --all: those already recorded)")
    ap.add_argument("--record", default=None, help="add the rows to this JSON table "
                    "(tests/reference/onnx_corpus_tv.json), replacing those of the same "
                    "model and exporter")
    args = ap.parse_args(argv)
    names = args.models or DEFAULT
    if args.all:
        names = (torchvision.models.list_models(module=torchvision.models)
                 + torchvision.models.list_models(module=torchvision.models.segmentation))
    names = [n for n in names if n not in set(args.skip.split(","))]
    logging.disable(logging.WARNING)
    other = tuple(map(int, args.other.split("x")))

    def sizes(name, model):
        size = tuple(map(int, (args.size or ("256x192" if name in SEGMENTATION
                                             else "224x224")).split("x")))
        return size, other if other != size else (320, 240)

    rows = []
    for name in names:                  # recorded model by model (long runs)
        got = run([name], build, sizes, record, args.exporters.split(","))
        rows += got
        if args.record:
            record_rows(Path(args.record), got)
    return 1 if summarise(rows) else 0


def record_rows(path, rows):
    """Merge ``rows`` into the JSON table at ``path`` (rows of the same model and
    exporter are replaced), so the corpus can be recorded batch by batch."""
    import json
    doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"rows": []}
    done = {(r["model"], r["exporter"]) for r in rows}
    doc["rows"] = [r for r in doc["rows"] if (r["model"], r["exporter"]) not in done] + rows
    doc["torch_version"] = torch.__version__
    doc["torchvision_version"] = torchvision.__version__
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def run(names, build, sizes, record, exporters, note=None):
    """Build each model, record PyTorch at its two sizes (``sizes(name, model)``:
    export size, other size), export it with each exporter and compare sramfit's
    import at both sizes; print one line per import; return the rows (model,
    exporter, size or None when the export failed, result). ``note(path, result)``
    may append to a mismatch."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            try:
                model = build(name)
            except Exception as err:          # noqa: BLE001
                print(f"{name:36s} cannot build: {err}", flush=True)
                continue
            size, alt = sizes(name, model)
            refs = {s: record(model, *s) for s in (size, alt)}
            for exp in exporters:
                path = Path(tmp) / f"{name.replace('/', '_')}_{exp}.onnx"
                t0 = time.perf_counter()
                try:
                    export(model, torch.zeros(1, 3, size[1], size[0]), path,
                           dynamo=exp != "classic", optimize=exp != "dynamo_raw")
                except Exception as err:      # noqa: BLE001
                    why = f"export failed: {str(err).splitlines()[0][:100]}"
                    print(f"{name:36s} {exp:10s} {why}", flush=True)
                    rows.append({"model": name, "exporter": exp, "size": None,
                                 "result": why})
                    continue
                for s in (size, alt):
                    try:
                        res = compare(path, refs[s], *s)
                        if note and res.startswith("MISMATCH"):
                            res += note(path, res)
                    except Exception:         # noqa: BLE001 (a traceback is a bug)
                        res = "MISMATCH: traceback " + " | ".join(
                            traceback.format_exc(limit=3).splitlines()[-4:])[-400:]
                    rows.append({"model": name, "exporter": exp, "size": f"{s[0]}x{s[1]}",
                                 "export_size": s == size, "result": res})
                    print(f"{name:36s} {exp:10s} {s[0]}x{s[1]:<5d} {res} "
                          f"({time.perf_counter() - t0:.0f} s)", flush=True)
                for p in Path(tmp).glob("*"):
                    p.unlink()
    return rows


def summarise(rows) -> int:
    """Print the summary line; the number of mismatches."""
    imports = [r for r in rows if r["size"]]
    ok = sum(r["result"].startswith("ok") for r in imports)
    refused = sum(r["result"].startswith("refused") for r in imports)
    bad = sum(r["result"].startswith("MISMATCH") for r in imports)
    print(f"\n{len(imports)} imports: {ok} match PyTorch, {refused} refused (PyTorch runs), "
          f"{bad} mismatches; {len(rows) - len(imports)} exports failed")
    return bad

if __name__ == "__main__":
    sys.exit(main())
