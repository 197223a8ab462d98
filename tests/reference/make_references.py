"""Generate independent PyTorch reference figures for sramfit's tests.

For each (model, input size) it builds the plain-PyTorch model from
torch_models.py, runs one real forward pass on zeros (batch 1, torch.no_grad) with
forward hooks on every nn.Conv2d and nn.Linear, and writes
tests/fixtures/torch_refs/<model>_<W>x<H>.json.

Run from the repository root:

    /work/venv/bin/python tests/reference/make_references.py [model ...]

With model names given, only those models are regenerated.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch_models  # noqa: E402

OUT_DIR = HERE.parent / "fixtures" / "torch_refs"

# (model, W, H)
CASES: list[tuple[str, int, int]] = [
    ("resnet50", 224, 224),
    ("resnet50", 1920, 1080),
    ("resnet50", 1280, 720),
    ("resnet50", 1920, 1088),
    ("resnet50", 299, 299),
    ("resnet50", 225, 225),
    ("resnet18", 224, 224),
    ("resnet18", 1280, 720),
    ("vgg16", 224, 224),
    ("vgg16", 1280, 720),
    ("googlenet", 224, 224),
    ("googlenet", 1280, 720),
    ("googlenet", 225, 225),
    ("mobilenet_v2", 224, 224),
    ("mobilenet_v2", 1280, 720),
    ("mobilenet_v2", 225, 225),
    ("yolov3", 416, 416),
    ("yolov3", 608, 608),
    ("yolov3", 1920, 1088),
    ("yolov3_tiny", 416, 416),
    ("yolov3_tiny", 1920, 1088),
    ("vit_b_16", 224, 224),
]


def mha_records(mod: nn.MultiheadAttention, name: str, x) -> list[dict]:
    """Self-attention through nn.MultiheadAttention runs its projections functionally
    (no Linear hook fires): its in-projection, scores, context and out-projection as
    four records, shapes in batch-first terms."""
    n, t = (x.shape[0], x.shape[1]) if mod.batch_first else (x.shape[1], x.shape[0])
    e, heads = mod.embed_dim, mod.num_heads
    hd = e // heads
    bias = lambda b: b.numel() if b is not None else 0  # noqa: E731
    return [
        {"kind": "fc", "name": name + ".in_proj", "out_shape": [n, t, 3 * e],
         "params": mod.in_proj_weight.numel() + bias(mod.in_proj_bias),
         "macs": n * t * e * 3 * e},
        {"kind": "matmul", "name": name + ".scores", "out_shape": [n, heads, t, t],
         "params": 0, "macs": n * heads * t * t * hd},
        {"kind": "matmul", "name": name + ".context", "out_shape": [n, heads, t, hd],
         "params": 0, "macs": n * heads * t * t * hd},
        {"kind": "fc", "name": name + ".out_proj", "out_shape": [n, t, e],
         "params": mod.out_proj.weight.numel() + bias(mod.out_proj.bias),
         "macs": n * t * e * e},
    ]


def profile(model: nn.Module, name: str, w: int, h: int) -> dict:
    model.eval()
    layers: list[dict] = []
    names = {m: n for n, m in model.named_modules()}

    def hook(mod, inputs, out):
        x = inputs[0]
        if isinstance(mod, nn.MultiheadAttention):   # torchvision's ViT attention
            layers.extend(mha_records(mod, names[mod], x))
            return
        if type(mod).__name__ == "RelativePositionalMultiHeadAttention":
            # torchvision MaxViT: x is B x G x P x D; scores B x G x H x P x P and
            # context B x G x H x P x DH, two einsums (its Linears are hooked as such)
            b, g, p_, d = x.shape
            hh, dh = mod.n_heads, mod.head_dim
            for shape, k in (([b, g, hh, p_, p_], dh), ([b, g, hh, p_, dh], p_)):
                layers.append({"kind": "matmul", "name": names[mod], "in_shape": list(x.shape),
                               "out_shape": shape, "params": 0,
                               "macs": math.prod(shape) * k})
            return
        if hasattr(mod, "relative_position_index") and hasattr(mod, "qkv"):
            # torchvision ShiftedWindowAttention(V2): x is B x H x W x C, padded to whole
            # windows; qkv and proj run functionally on B*windows x N x C, with the
            # scores and context matmuls per head (the V2 cpb_mlp Linears are modules)
            b, hh, ww, c = x.shape
            wh, wwin = mod.window_size
            nw = b * -(-hh // wh) * -(-ww // wwin)
            n, heads = wh * wwin, mod.num_heads
            for kind, shape, k, prm in (
                    ("fc", [nw, n, 3 * c], c, mod.qkv),
                    ("matmul", [nw, heads, n, n], c // heads, None),
                    ("matmul", [nw, heads, n, c // heads], n, None),
                    ("fc", [nw, n, c], c, mod.proj)):
                layers.append({"kind": kind, "name": names[mod], "in_shape": list(x.shape),
                               "out_shape": shape, "macs": math.prod(shape) * k,
                               "params": 0 if prm is None else sum(
                                   p.numel() for p in prm.parameters())})
            return
        if isinstance(mod, torch_models.MatMul):   # activation x activation (attention)
            layers.append({"kind": "matmul", "name": names[mod],
                           "in_shape": [list(x.shape), list(inputs[1].shape)],
                           "out_shape": list(out.shape), "params": 0,
                           "macs": out.numel() * x.shape[-1]})
            return
        params = mod.weight.numel() + (mod.bias.numel() if mod.bias is not None else 0)
        if isinstance(mod, nn.Conv2d):
            kh, kw = mod.kernel_size
            # N*Cout*Hout*Wout * (Cin/groups)*kh*kw ; weight is [Cout, Cin/groups, kh, kw]
            macs = out.numel() * (mod.in_channels // mod.groups) * kh * kw
            assert mod.weight.shape[1] == mod.in_channels // mod.groups
            rec = {
                "kind": "conv",
                "name": names[mod],
                "in_shape": list(x.shape),
                "out_shape": list(out.shape),
                "params": params,
                "macs": macs,
                "groups": mod.groups,
                "kernel": [kh, kw],
                "stride": list(mod.stride),
                "padding": list(mod.padding),
            }
        else:
            macs = out.numel() * mod.in_features    # rows x in x out, any rank
            rec = {
                "kind": "fc",
                "name": names[mod],
                "in_shape": list(x.shape),
                "out_shape": list(out.shape),
                "params": params,
                "macs": macs,
                "groups": 1,
                "kernel": [1, 1],
                "stride": [1, 1],
            }
        layers.append(rec)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear, torch_models.MatMul,
                                 nn.MultiheadAttention))
               or type(m).__name__ == "RelativePositionalMultiHeadAttention"
               or (hasattr(m, "relative_position_index") and hasattr(m, "qkv"))]
    t0 = time.perf_counter()
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w))
    elapsed = time.perf_counter() - t0
    for hd in handles:
        hd.remove()

    attn = [l for l in layers if l["kind"] == "matmul"]
    convs = [l for l in layers if l["kind"] == "conv"]
    # Ties (e.g. ResNet-50 at 224: 64x112x112 and 256x56x56 both have 802,816
    # elements) resolve to the first conv in execution order (max() keeps the first).
    largest = max(convs, key=lambda l: math.prod(l["out_shape"]))
    ref = {
        "model": name,
        "input": [1, 3, h, w],
        "torch_version": torch.__version__,
        "params": sum(p.numel() for p in model.parameters()),
        "conv_fc_macs": sum(l["macs"] for l in layers if l["kind"] != "matmul"),
        "attn_macs": sum(l["macs"] for l in attn),
        "largest_conv_output": largest["out_shape"],
        "sum_conv_output_elems": sum(math.prod(l["out_shape"]) for l in convs),
        "n_conv": len(convs),
        "n_fc": len(layers) - len(convs) - len(attn),
        "layers": layers,
    }
    return ref, elapsed


def dump(ref: dict, path: Path) -> None:
    """Small, diff-friendly JSON: header keys, then one line per layer."""
    head = {k: v for k, v in ref.items() if k != "layers"}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v)},")
    lines.append('  "layers": [')
    body = [f"    {json.dumps(l)}" for l in ref["layers"]]
    lines.append(",\n".join(body))
    lines.append("  ]")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    json.loads(path.read_text())  # round-trip check


def main(argv: list[str]) -> int:
    torch.manual_seed(0)
    wanted = set(argv) or {m for m, _, _ in CASES}
    unknown = wanted - set(torch_models.MODELS)
    if unknown:
        print(f"unknown model(s): {sorted(unknown)}", file=sys.stderr)
        return 2
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, w, h in CASES:
        if name not in wanted:
            continue
        model = torch_models.MODELS[name]()
        ref, elapsed = profile(model, name, w, h)
        expected = torch_models.EXPECTED_PARAMS[name]
        if ref["params"] != expected:
            raise SystemExit(f"{name}: params {ref['params']} != expected {expected}")
        dump(ref, OUT_DIR / f"{name}_{w}x{h}.json")
        c, hh, ww = ref["largest_conv_output"][1:]
        rows.append((name, f"{w}x{h}", f"{ref['params']:,}",
                     f"{ref['conv_fc_macs'] / 1e9:.3f}", f"{c}x{hh}x{ww}",
                     f"{ref['sum_conv_output_elems'] / 1e6:.1f}",
                     f"{elapsed:.2f}"))
        print(f"wrote {name}_{w}x{h}.json", file=sys.stderr, flush=True)

    hdr = ("model", "input WxH", "params", "GMACs", "largest conv out (CxHxW)",
           "sum conv out (M elems)", "forward s")
    widths = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    fmt = "| " + " | ".join(f"{{:{w}}}" for w in widths) + " |"
    print(fmt.format(*hdr))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(fmt.format(*r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
