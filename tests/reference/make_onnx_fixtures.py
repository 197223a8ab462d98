"""Export small CNNs to ONNX with PyTorch, with PyTorch's own per-layer records beside them.

For each model below this writes, into tests/fixtures/onnx/:

- ``<name>.onnx``          torch.onnx.export, classic exporter (eval mode: BatchNorm is
                           folded into the preceding conv, which gains a bias)
- ``<name>_dynamo.onnx``   torch.onnx.export(dynamo=True) (+ ``<name>_dynamo.onnx.data``,
                           the external weights; BatchNorm folded as well)
- ``<name>_bnkept.onnx``   (resnetish only) classic exporter with
                           do_constant_folding=False, which keeps BatchNormalization nodes
- ``<name>.json``          PyTorch's records (forward hooks on every Conv2d / Linear, as
                           in make_references.py) at the export size and at one other size,
                           plus the parameter counts after folding BN into the convs,
                           computed by torch.nn.utils.fusion.fuse_conv_bn_eval.

No sramfit code is used here. Run from the repository root:

    /work/venv/bin/python tests/reference/make_onnx_fixtures.py

BatchNorm statistics are randomised (seeded) so folded biases are never all-zero.
"""
from __future__ import annotations

import copy
import io
import json
import logging
import os
import sys
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_references import profile  # noqa: E402

OUT = HERE.parent / "fixtures" / "onnx"
OPSET = 18


class ConvBN(nn.Module):
    def __init__(self, cin, cout, k=3, s=1, groups=1, act="relu"):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = {"relu": nn.ReLU(), "relu6": nn.ReLU6(), "silu": nn.SiLU(),
                    "hardswish": nn.Hardswish(), "leaky": nn.LeakyReLU(0.1),
                    None: nn.Identity()}[act]

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Block(nn.Module):
    """ResNet basic block (residual add), optional 1x1 downsample."""

    def __init__(self, cin, cout, s=1):
        super().__init__()
        self.c1 = ConvBN(cin, cout, 3, s)
        self.c2 = ConvBN(cout, cout, 3, 1, act=None)
        self.down = ConvBN(cin, cout, 1, s, act=None) if (s != 1 or cin != cout) else None

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        return torch.relu(self.c2(self.c1(x)) + idt)


class ResNetish(nn.Module):
    """Stem, ceil-mode max-pool, two residual blocks, a depthwise-separable block,
    global average pool and a Linear head."""

    def __init__(self):
        super().__init__()
        self.stem = ConvBN(3, 16, 3, 2)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.b1 = Block(16, 16)
        self.b2 = Block(16, 32, 2)
        self.dw = ConvBN(32, 32, 3, 1, groups=32, act="relu6")
        self.pw = ConvBN(32, 48, 1, act="relu6")
        self.head = nn.Linear(48, 10)

    def forward(self, x):
        x = self.pool(self.stem(x))
        x = self.b2(self.b1(x))
        x = self.pw(self.dw(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


class FPNish(nn.Module):
    """Down/up path with nearest upsampling, concats, a sigmoid gate (x * sigmoid(y)),
    SiLU / Hardswish / LeakyReLU activations, a ceil-mode pool and a 1x1 head with bias."""

    def __init__(self):
        super().__init__()
        self.c1 = ConvBN(3, 16, 3, 2, act="silu")
        self.c2 = ConvBN(16, 32, 3, 2, act="hardswish")
        self.c3 = ConvBN(32, 32, 3, 2, act="leaky")
        self.pool = nn.MaxPool2d(3, 1, padding=1, ceil_mode=True)
        self.gate = nn.Conv2d(32, 32, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.c4 = ConvBN(64, 32, 3, act="leaky")
        self.dw = ConvBN(32, 32, 3, groups=32, act="relu6")
        self.c5 = ConvBN(48, 24, 1, act="silu")
        self.head = nn.Conv2d(24, 18, 1, bias=True)

    def forward(self, x):
        a = self.c1(x)
        b = self.c2(a)
        c = self.pool(self.c3(b))
        c = c * torch.sigmoid(self.gate(c))
        u = torch.cat([self.up(c), b], 1)
        d = self.dw(self.c4(u))
        e = torch.cat([F.interpolate(d, scale_factor=2.0, mode="nearest"), a], 1)
        return self.head(self.c5(e))


#: name -> (constructor, export size (W, H), other size (W, H))
MODELS = {
    "resnetish": (ResNetish, (64, 48), (70, 50)),
    "fpnish": (FPNish, (64, 48), (96, 80)),
}


def randomise_bn(model):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def folded(model):
    """A copy with every ConvBN's BatchNorm folded into its conv (what eval exports hold)."""
    m = copy.deepcopy(model)
    for mod in m.modules():
        if isinstance(mod, ConvBN) and isinstance(mod.bn, nn.BatchNorm2d):
            mod.conv = fuse_conv_bn_eval(mod.conv, mod.bn)
            mod.bn = nn.Identity()
    return m


def record(model, name, w, h):
    ref, _ = profile(model, name, w, h)
    fm = folded(model)
    fref, _ = profile(fm, name, w, h)
    for rec, frec in zip(ref["layers"], fref["layers"]):
        assert rec["out_shape"] == frec["out_shape"] and rec["macs"] == frec["macs"]
        rec["params_folded"] = frec["params"]
    ref["params_folded"] = sum(p.numel() for p in fm.parameters())
    return ref


def strip_metadata(path):
    """Drop the exporter's metadata (stack traces with this machine's absolute paths,
    FX node dumps, class hierarchies) from every node, graph, function and the model,
    in place. External weights stay where they are (they are not loaded)."""
    import onnx
    m = onnx.load(str(path), load_external_data=False)
    holders = [m, m.graph, *m.graph.node, *m.functions]
    holders += [n for f in m.functions for n in f.node]
    for h in holders:
        if hasattr(h, "metadata_props"):
            del h.metadata_props[:]
        if hasattr(h, "doc_string"):
            h.doc_string = ""
    onnx.save(m, str(path))


def export(model, x, path, **kw):
    with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), opset_version=OPSET,
                          input_names=["image"], output_names=["out"], **kw)
    strip_metadata(path)


def main():
    logging.disable(logging.WARNING)
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (ctor, size, other) in MODELS.items():
        model = ctor().eval()
        randomise_bn(model)
        w, h = size
        x = torch.zeros(1, 3, h, w)
        export(model, x, OUT / f"{name}.onnx", dynamo=False)
        for p in OUT.glob(f"{name}_dynamo.onnx*"):
            p.unlink()
        export(model, x, OUT / f"{name}_dynamo.onnx", dynamo=True, external_data=True)
        if name == "resnetish":
            export(model, x, OUT / f"{name}_bnkept.onnx", dynamo=False,
                   do_constant_folding=False)
        refs = {f"{ww}x{hh}": record(model, name, ww, hh) for ww, hh in (size, other)}
        doc = {"model": name, "export_size": list(size), "other_size": list(other),
               "torch_version": torch.__version__, "opset": OPSET, "records": refs}
        text = json.dumps(doc, indent=1)
        (OUT / f"{name}.json").write_text(text + "\n")
        for p in sorted(OUT.glob(f"{name}*")):
            print(f"{p.name:32s} {os.path.getsize(p):>9,d} bytes")


if __name__ == "__main__":
    main()
