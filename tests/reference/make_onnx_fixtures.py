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
import math
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

import torch_models  # noqa: E402
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


# -- tiny models with the op patterns of torchvision's newer families ----------------
class LayerNorm2d(nn.LayerNorm):
    """ConvNeXt's LayerNorm on NCHW: permute to channels-last, normalise, permute back."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """ConvNeXt block: depthwise 7x7, channels-last LayerNorm + Linear/GELU/Linear MLP,
    a layer scale (nn.Parameter), residual add."""

    def __init__(self, dim):
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.layer_scale = nn.Parameter(torch.rand(dim, 1, 1) + 0.5)

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(F.gelu(self.fc1(self.norm(y)))).permute(0, 3, 1, 2)
        return x + self.layer_scale * y


class ConvNeXtish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 4, 4)
        self.ln0 = LayerNorm2d(8, eps=1e-6)
        self.b1 = CNBlock(8)
        self.down = nn.Sequential(LayerNorm2d(8, eps=1e-6), nn.Conv2d(8, 16, 2, 2))
        self.b2 = CNBlock(16)
        self.norm = nn.LayerNorm(16, eps=1e-6)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.b2(self.down(self.b1(self.ln0(self.stem(x)))))
        return self.head(self.norm(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)))


def channel_shuffle(x, groups):
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, -1, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit with stride 1: chunk the channels, transform one half, concat,
    shuffle."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.branch = nn.Sequential(ConvBN(h, h, 1), ConvBN(h, h, 3, groups=h, act=None),
                                    ConvBN(h, h, 1))

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat((a, self.branch(b)), 1), 2)


class ShuffleNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvBN(3, 16, 3, 2)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.u1 = ShuffleUnit(16)
        self.u2 = ShuffleUnit(16)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.u2(self.u1(self.pool(self.stem(x))))
        return self.head(x.mean([2, 3]))


class EncoderBlock(nn.Module):
    """torchvision's ViT encoder block: nn.MultiheadAttention(batch_first=True)."""

    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class MiniViT(nn.Module):
    """torchvision's VisionTransformer in miniature: patch conv, class token, position
    embedding (fixes the token count), two blocks, head on the class token."""

    def __init__(self, size=(32, 32), patch=8, dim=16, heads=2, mlp=32):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.rand(1, 1, dim))
        tokens = (size[0] // patch) * (size[1] // patch) + 1
        self.pos_embedding = nn.Parameter(torch.rand(1, tokens, dim))
        self.layers = nn.Sequential(EncoderBlock(dim, heads, mlp),
                                    EncoderBlock(dim, heads, mlp))
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x).reshape(n, self.conv_proj.out_channels, -1).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = self.ln(self.layers(x + self.pos_embedding))
        return self.head(x[:, 0])


class WindowAttention(nn.Module):
    """Swin's window attention with explicit modules: qkv Linear, scores and context
    matmuls (hookable), torchvision's relative-position bias (a learned table of
    (2w-1)^2 x heads values gathered by a constant index into heads x w^2 x w^2; the
    exporters fold the gather into a constant), proj Linear."""

    def __init__(self, dim, heads, window):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window - 1) ** 2, heads))
        ar = torch.arange(window)
        coords = torch.stack(torch.meshgrid(ar, ar, indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window - 1
        self.register_buffer("relative_position_index",
                             (rel[:, :, 0] * (2 * window - 1) + rel[:, :, 1]).flatten())
        self.scores = torch_models.MatMul()
        self.context = torch_models.MatMul()

    @property
    def bias(self):
        n = self.window * self.window
        table = self.relative_position_bias_table[self.relative_position_index]
        return table.view(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0)

    def forward(self, x):                        # x: B x H x W x C, channels-last
        b, h, w, c = x.shape
        ws = self.window
        ph, pw = (ws - h % ws) % ws, (ws - w % ws) % ws
        x = F.pad(x, (0, 0, 0, pw, 0, ph))
        hp, wp = h + ph, w + pw
        x = x.view(b, hp // ws, ws, wp // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
        x = x.reshape(-1, ws * ws, c)            # windows x tokens x C (batch merged)
        qkv = self.qkv(x).reshape(x.size(0), ws * ws, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        a = self.scores(q * (c // self.heads) ** -0.5, k.transpose(-2, -1)) + self.bias
        y = self.context(a.softmax(-1), v).transpose(1, 2).reshape(x.size(0), ws * ws, c)
        y = self.proj(y).view(b, hp // ws, wp // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
        return y.reshape(b, hp, wp, c)[:, :h, :w, :].contiguous()


class SwinBlock(nn.Module):
    def __init__(self, dim, heads, window):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, window)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    """Swin's patch merging: four strided slices, concat on channels, LN, Linear."""

    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2],
                       x[:, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x))


class Swinish(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 8, 4, 4)
        self.norm0 = nn.LayerNorm(8)
        self.s1 = SwinBlock(8, 2, 4)
        self.merge = PatchMerging(8)
        self.s2 = SwinBlock(16, 2, 4)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.norm0(self.patch(x).permute(0, 2, 3, 1))
        x = self.norm(self.s2(self.merge(self.s1(x))))
        return self.head(x.mean([1, 2]))


class Normish(nn.Module):
    """The norms and activations that imported as 'other' before: GroupNorm (exported
    as Reshape + InstanceNormalization + per-channel Mul/Add, or GroupNormalization),
    PReLU per channel and single, InstanceNorm with affine, F.normalize (ReduceL2), and
    a literal asymmetric ZeroPad2d before a conv (size-independent)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, 2, 1)
        self.gn = nn.GroupNorm(2, 8)
        self.pr = nn.PReLU(8)
        self.pad = nn.ZeroPad2d((1, 2, 0, 1))
        self.c2 = nn.Conv2d(8, 8, 3, 2)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.pr1 = nn.PReLU()
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pr(self.gn(self.c1(x)))
        x = self.pr1(self.inorm(self.c2(self.pad(x))))
        x = F.normalize(x, dim=1)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Conv2dSame(nn.Conv2d):
    """timm's Conv2dSame: TF 'same' padding computed from the input size as Python ints,
    which the exporters write into the file as numbers."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation,
                        self.groups)


class SamePadish(nn.Module):
    """Two strided Conv2dSame (their literal pads hold only at sizes where 'same' pads
    the same) and a ZeroPad2d(1) before a stride-1 conv (size-independent)."""

    def __init__(self):
        super().__init__()
        self.c1 = Conv2dSame(3, 8, 3, 2)
        self.c2 = Conv2dSame(8, 16, 3, 2)
        self.pad = nn.ZeroPad2d(1)
        self.c3 = nn.Conv2d(16, 16, 3)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.c3(self.pad(torch.relu(self.c2(torch.relu(self.c1(x))))))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MaxViTish(nn.Module):
    """torchvision MaxViT's own attention blocks in miniature: window and grid
    partitions (WindowPartition / WindowDepartition, a swap of axes for the grid), each
    with RelativePositionalMultiHeadAttention (to_qkv and merge Linears, einsum scores
    and context, a relative-position table gathered into a bias that the exporters
    fold) and an MLP."""

    def __init__(self, dim=16, head_dim=8, p=4):
        super().__init__()
        from torchvision.models import maxvit
        self.p = p
        self.stem = nn.Conv2d(3, dim, 4, 4)
        self.part, self.depart = maxvit.WindowPartition(), maxvit.WindowDepartition()
        self.win = maxvit.RelativePositionalMultiHeadAttention(dim, head_dim, p * p)
        self.grid = maxvit.RelativePositionalMultiHeadAttention(dim, head_dim, p * p)
        self.swap = maxvit.SwapAxes(-2, -3)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.stem(x)
        gh, gw = x.shape[-2] // self.p, x.shape[-1] // self.p
        w = self.part(x, self.p)                        # windows: B x G x P*P x C
        w = w + self.win(w)
        x = self.depart(w, self.p, gh, gw)
        g = self.swap(self.part(x, gh))                 # grid: B x P*P x G x C, swapped
        g = g + self.grid(g)
        g = g + self.mlp(self.norm(g))
        x = self.depart(self.swap(g), gh, self.p, self.p)
        return self.head(x.mean([2, 3]))


class SwinV2ish(nn.Module):
    """torchvision's own SwinTransformerBlockV2 (cosine attention with a learned logit
    scale; a continuous position-bias MLP, Linear(2, 512) + ReLU + Linear(512, heads),
    run on a constant coordinate buffer and gathered into the attention bias), one
    unshifted block (a shifted one doubles the file), window 2 (so the folded MLP
    stays small)."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        from torchvision.models.swin_transformer import SwinTransformerBlockV2
        self.patch = nn.Conv2d(3, dim, 2, 2)
        self.norm0 = nn.LayerNorm(dim)
        self.b1 = SwinTransformerBlockV2(dim, heads, [2, 2], [0, 0])
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.norm0(self.patch(x).permute(0, 2, 3, 1))
        return self.head(self.b1(x).mean([1, 2]))


#: name -> (constructor, export size (W, H), other size (W, H) or None when the model
#: cannot run at another size (then the record says which size it refuses))
MODELS = {
    "resnetish": (ResNetish, (64, 48), (70, 50)),
    "fpnish": (FPNish, (64, 48), (96, 80)),
    "convnextish": (ConvNeXtish, (64, 48), (96, 80)),
    "shufflenetish": (ShuffleNetish, (64, 48), (80, 56)),
    "minivit": (MiniViT, (32, 32), None),
    "swinish": (Swinish, (40, 40), (64, 48)),
    "normish": (Normish, (64, 48), (81, 57)),
    "samepadish": (SamePadish, (64, 48), (80, 56)),
    "maxvitish": (MaxViTish, (32, 32), (64, 64)),
    "swinv2ish": (SwinV2ish, (16, 16), (20, 16)),
}
#: the new families: exported classic, dynamo optimised and dynamo unoptimised, each a
#: single file (no external data); the two CNNs above keep their original variants
NEW = ("convnextish", "shufflenetish", "minivit", "swinish", "normish", "samepadish",
       "maxvitish", "swinv2ish")
REFUSED_SIZE = {"minivit": (40, 32), "maxvitish": (48, 32)}
#: sizes PyTorch runs that the file cannot be retargeted to (recorded; sramfit refuses)
AMBIGUOUS_SIZE = {"samepadish": (81, 57)}


def randomise_bn(model):
    g = torch.Generator().manual_seed(1)
    for p in model.parameters():        # no two parameters alike: exporters dedup equal
        p.data.copy_(torch.rand(p.shape, generator=g) * 0.2 - 0.1)   # tensors, drop zeros
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
    wanted = set(sys.argv[1:]) or set(MODELS)
    for name, (ctor, size, other) in MODELS.items():
        if name not in wanted:
            continue
        model = ctor().eval()
        randomise_bn(model)
        w, h = size
        x = torch.zeros(1, 3, h, w)
        if name in NEW:
            export(model, x, OUT / f"{name}.onnx", dynamo=False)
            export(model, x, OUT / f"{name}_dynamo.onnx", dynamo=True, optimize=True,
                   external_data=False)
            export(model, x, OUT / f"{name}_dynamo_raw.onnx", dynamo=True, optimize=False,
                   external_data=False)
            sizes = [size] + ([other] if other else [])
            refs = {f"{ww}x{hh}": record(model, name, ww, hh) for ww, hh in sizes}
            doc = {"model": name, "export_size": list(size), "other_size":
                   list(other) if other else None, "torch_version": torch.__version__,
                   "opset": OPSET, "records": refs}
            if name in REFUSED_SIZE:       # PyTorch itself cannot run it there
                rw, rh = REFUSED_SIZE[name]
                try:
                    with torch.no_grad():
                        model(torch.zeros(1, 3, rh, rw))
                except Exception as err:      # noqa: BLE001 (any torch failure)
                    doc["refused_size"] = [rw, rh]
                    doc["refused_by_torch"] = type(err).__name__
                else:
                    raise SystemExit(f"{name} runs at {rw}x{rh}; pick a size it refuses")
            cpb = [m for m in model.modules() if hasattr(m, "cpb_mlp")]
            if cpb:       # what a folded position-bias MLP leaves: its gathered table
                doc["cpb_table_values"] = sum(m.relative_coords_table.numel() // 2
                                              * m.num_heads for m in cpb)
            if name in AMBIGUOUS_SIZE:
                rw, rh = AMBIGUOUS_SIZE[name]
                doc["ambiguous_size"] = [rw, rh]
                doc["ambiguous_record"] = record(model, name, rw, rh)
            (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
            for p in sorted(OUT.glob(f"{name}*")):
                print(f"{p.name:32s} {os.path.getsize(p):>9,d} bytes")
            continue
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
