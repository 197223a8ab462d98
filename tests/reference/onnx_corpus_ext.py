"""Corpus check outside torchvision: timm models (random weights, ``pretrained=False``)
and hand-written detectors, exported with both PyTorch exporters and compared with
PyTorch's own record. Needs torch, timm and onnxscript (never the test suite: CI checks
the recorded table, tests/reference/onnx_corpus_ext.json, and the committed fixtures).

PyTorch's record here does not rely on module hooks alone (timm runs convs and linears
through its own subclasses and functional calls, and attention as plain tensor
matmuls): a ``TorchDispatchMode`` sees every aten op the forward pass runs, and counts

- ``convolution``: weight MACs (out elements x in-channels/groups x kernel), output shape;
- ``mm``/``addmm``/``bmm``/``baddbmm``: weight MACs when an operand shares storage with
  a parameter (a Linear, its transposed weight), attention MACs when both operands are
  activations (q @ k^T, attn @ v);
- ``_scaled_dot_product_*``: attention MACs (L x S x (E + Ev) per batch and head).

Params: ``sum(p.numel())``, and the same with every BatchNorm that reads a conv's
output directly folded into that conv (found by data flow, not by module order).

Apart (``const_folded``: params, MACs; ``const_convs``): the convs and matmuls no input
reaches (every operand computed from params, buffers and literals alone, tracked by
storage through every aten op), with the params only they read: what an exporter folds
into one constant (EdgeNeXt's and XCiT's Fourier position encoding and its conv,
ConViT's positional Linear). A row whose difference is exactly that reads as a match
with the difference stated.

    python tests/reference/onnx_corpus_ext.py                  # the default corpus
    python tests/reference/onnx_corpus_ext.py timm/dla34 yolo/yoloish --exporters classic
    python tests/reference/onnx_corpus_ext.py --record tests/reference/onnx_corpus_ext.json

Prints one line per (model, exporter, size) and a summary; ``--record`` writes the
table (model, exporter, size, result) as JSON. Exit 1 on any mismatch.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from pathlib import Path

# timm's own default attention (F.scaled_dot_product_attention, as users export it);
# TIMM_FUSED_ATTN=0 gives explicit q @ k^T: both are counted as attention MACs

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from onnx_corpus import run, summarise  # noqa: E402

#: (source/name, export size WxH, other size WxH): tiny variants, 1-2 cores
DEFAULT = [
    "timm/efficientnet_b0", "timm/mobilenetv3_small_050", "timm/regnety_002",
    "timm/resnest14d", "timm/cspdarknet53", "timm/ghostnet_050", "timm/repvgg_a0",
    "timm/hrnet_w18_small", "timm/dla34", "timm/dpn68", "timm/tresnet_m",
    "timm/rexnet_100", "timm/mixnet_s", "timm/convnext_atto", "timm/edgenext_xx_small",
    "timm/poolformer_s12", "timm/levit_128s", "timm/deit_tiny_patch16_224",
    "timm/mobilevit_xxs", "timm/efficientformer_l1", "timm/pvt_v2_b0",
    "timm/twins_svt_small", "timm/convit_tiny", "timm/xcit_nano_12_p16_224",
    "timm/caformer_s18", "timm/fastvit_t8", "timm/selecsls42b", "timm/coat_lite_tiny",
    "timm/ese_vovnet19b_dw", "timm/lcnet_050", "timm/mobileone_s0",
    "timm/inception_next_atto", "timm/mobilenetv4_conv_small", "timm/eca_resnet33ts",
    "timm/mixer_s16_224", "timm/tiny_vit_5m_224", "timm/efficientvit_b0",
    "timm/vit_tiny_patch16_224", "timm/swin_tiny_patch4_window7_224",
    "timm/beit_base_patch16_224", "timm/eva02_tiny_patch14_224", "timm/cait_xxs24_224",
    "timm/pit_ti_224", "timm/crossvit_tiny_240", "timm/deit3_small_patch16_224",
    "timm/repvit_m0_9", "timm/gcvit_xxtiny", "timm/mvitv2_tiny", "timm/hiera_tiny_224",
    "yolo/yoloish", "local/tokenish",
]


# -- models built here (no download) -----------------------------------------------
class ConvBNSiLU(nn.Sequential):
    def __init__(self, cin, cout, k=1, s=1):
        super().__init__(nn.Conv2d(cin, cout, k, s, k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.SiLU())


class C2f(nn.Module):
    """YOLOv8's C2f: a 1x1 conv, chunk into two, a chain of bottlenecks each appended,
    concat, a 1x1 conv."""

    def __init__(self, cin, cout, n=1):
        super().__init__()
        self.c = cout // 2
        self.cv1 = ConvBNSiLU(cin, 2 * self.c)
        self.cv2 = ConvBNSiLU((2 + n) * self.c, cout)
        self.m = nn.ModuleList(nn.Sequential(ConvBNSiLU(self.c, self.c, 3),
                                             ConvBNSiLU(self.c, self.c, 3)) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(y[-1] + m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cv1, self.cv2 = ConvBNSiLU(c, c // 2), ConvBNSiLU(c * 2, c)
        self.m = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        y = [self.cv1(x)]
        y += [self.m(y[-1]) for _ in range(3)]
        return self.cv2(torch.cat(y, 1))


class YOLOish(nn.Module):
    """A YOLOv8-style detector: C2f backbone, SPPF, an FPN/PAN neck with nearest
    upsampling and concats, a decoupled head per level, the levels flattened to anchors
    and concatenated, and the DFL (softmax over 16 bins, a fixed 1x1 conv)."""

    def __init__(self, w=16, nc=8, reg=16):
        super().__init__()
        self.reg, self.nc = reg, nc
        self.stem = nn.Sequential(ConvBNSiLU(3, w, 3, 2), ConvBNSiLU(w, 2 * w, 3, 2),
                                  C2f(2 * w, 2 * w))
        self.p3 = nn.Sequential(ConvBNSiLU(2 * w, 4 * w, 3, 2), C2f(4 * w, 4 * w, 2))
        self.p4 = nn.Sequential(ConvBNSiLU(4 * w, 8 * w, 3, 2), C2f(8 * w, 8 * w))
        self.p5 = nn.Sequential(ConvBNSiLU(8 * w, 8 * w, 3, 2), C2f(8 * w, 8 * w), SPPF(8 * w))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.n4 = C2f(16 * w, 8 * w)
        self.n3 = C2f(12 * w, 4 * w)
        self.d3 = ConvBNSiLU(4 * w, 4 * w, 3, 2)
        self.m4 = C2f(12 * w, 8 * w)
        self.d4 = ConvBNSiLU(8 * w, 8 * w, 3, 2)
        self.m5 = C2f(16 * w, 8 * w)
        chans = (4 * w, 8 * w, 8 * w)
        self.box = nn.ModuleList(nn.Sequential(ConvBNSiLU(c, 4 * w, 3), ConvBNSiLU(4 * w, 4 * w, 3),
                                               nn.Conv2d(4 * w, 4 * reg, 1)) for c in chans)
        self.cls = nn.ModuleList(nn.Sequential(ConvBNSiLU(c, 4 * w, 3), ConvBNSiLU(4 * w, 4 * w, 3),
                                               nn.Conv2d(4 * w, nc, 1)) for c in chans)
        self.dfl = nn.Conv2d(reg, 1, 1, bias=False).requires_grad_(False)
        self.dfl.weight.data[:] = torch.arange(reg, dtype=torch.float).view(1, reg, 1, 1)

    def forward(self, x):
        p3 = self.p3(self.stem(x))
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        t4 = self.n4(torch.cat([self.up(p5), p4], 1))
        o3 = self.n3(torch.cat([self.up(t4), p3], 1))
        o4 = self.m4(torch.cat([self.d3(o3), t4], 1))
        o5 = self.m5(torch.cat([self.d4(o4), p5], 1))
        n = x.shape[0]
        outs = [torch.cat([b(o), c(o)], 1).view(n, 4 * self.reg + self.nc, -1)
                for o, b, c in zip((o3, o4, o5), self.box, self.cls)]
        y = torch.cat(outs, 2)
        box, cls = y.split((4 * self.reg, self.nc), 1)
        a = box.shape[2]
        box = self.dfl(box.view(n, 4, self.reg, a).transpose(2, 1).softmax(1)).view(n, 4, a)
        return torch.cat([box, cls.sigmoid()], 1)


class Tokenish(nn.Module):
    """The corpus's retargeting patterns in miniature, each with the sizes written as
    Python ints (as timm's classic exports and every dynamo export hold them):
    TResNet's space-to-depth stem (``view(n, c, h // 4, 4, w // 4, 4)``), PVT/Twins
    tokens back to a map (``transpose(1, 2).reshape(n, c, h, w)``), TinyViT's uneven
    q/k/v split of a batch-merged tensor, ECA's Conv1d channel attention."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(48, 16, 1)
        self.norm = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 16)
        self.proj = nn.Linear(8, 16)
        self.conv = nn.Conv2d(16, 24, 3, 2, 1)
        self.eca = nn.Conv1d(1, 1, 3, padding=1, bias=False)
        self.head = nn.Linear(24, 10)

    @staticmethod
    def attention(t, n, tokens):
        """Heads merged into the batch, q/k/v split unevenly (TinyViT: the unoptimised
        dynamo export writes SplitToSequence + SequenceAt on a batch-merged tensor)."""
        t = t.reshape(n, tokens, 2, 8).transpose(1, 2).reshape(n * 2, tokens, 8)
        q, k, v = t.split([2, 2, 4], dim=2)
        y = (q @ k.transpose(1, 2)).softmax(-1) @ v
        return y.view(n, 2, tokens, 4).transpose(1, 2).reshape(n, tokens, 8)

    def forward(self, x):
        n, c, h, w = (int(v) for v in x.shape)
        x = x.view(n, c, h // 4, 4, w // 4, 4).permute(0, 3, 5, 1, 2, 4)
        x = self.stem(x.reshape(n, c * 16, h // 4, w // 4))
        h, w = h // 4, w // 4
        t = self.fc(self.norm(x.flatten(2).transpose(1, 2)))
        t = t + self.proj(self.attention(t, n, h * w))
        x = self.conv(t.transpose(1, 2).reshape(n, 16, h, w))
        y = torch.sigmoid(self.eca(x.mean((2, 3)).view(n, 1, -1))).view(n, -1, 1, 1)
        return self.head((x * y).mean((2, 3)))


class LeViTish(nn.Module):
    """timm's own LeViT attention modules in miniature: a 4x4/4 conv stem with BN, an
    ``Attention`` (q/k/v and projection as Linear + BatchNorm1d on the tokens
    flattened with the batch, attention biases gathered by |dx|, |dy| offsets) at 8x8
    and an ``AttentionDownsample`` (a 4 x 16 bias index: queries on the stride-2 grid),
    a mean and a head. Runs at 32x32 only (the bias tables fix the resolution)."""

    def __init__(self):
        super().__init__()
        from timm.models.levit import Attention, AttentionDownsample
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 4, 4, bias=False), nn.BatchNorm2d(32))
        self.attn = Attention(32, 8, num_heads=2, attn_ratio=2, resolution=8)
        self.down = AttentionDownsample(32, 48, 8, num_heads=4, attn_ratio=2, stride=2,
                                        resolution=8)
        self.head = nn.Linear(48, 10)

    def forward(self, x):
        t = self.stem(x).flatten(2).transpose(1, 2)
        t = t + self.attn(t)
        return self.head(self.down(t).mean(1))


LOCAL = {"yolo/yoloish": YOLOish, "local/tokenish": Tokenish, "local/levitish": LeViTish}
SIZES = {"yolo/yoloish": ((320, 256), (416, 320)), "local/tokenish": ((64, 64), (72, 64)),
         "local/levitish": ((32, 32), (40, 32))}
#: committed fixtures (tests/fixtures/onnx/<name>*.onnx + <name>.json): name -> (model,
#: a size PyTorch refuses, which sramfit must refuse too)
FIXTURES = {"tokenish": ("local/tokenish", (66, 64)),
            "levitish": ("local/levitish", (36, 32))}


def build(name):
    src, model_name = name.split("/", 1)
    if name in LOCAL:
        m = LOCAL[name]()
    elif src == "timm":
        import timm
        m = timm.create_model(model_name, pretrained=False)
    else:
        raise ValueError(f"unknown source {src!r} (timm/<name> or one of {sorted(LOCAL)})")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in m.parameters():        # random: exporters drop zero biases, merge equal
            p.copy_(torch.rand(p.shape, generator=g) * 0.2 - 0.1)   # tensors
        for mod in m.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm) and mod.running_mean \
                    is not None:
                mod.running_mean.copy_(torch.rand(mod.num_features, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    if name == "yolo/yoloish":
        m.dfl.weight.data[:] = torch.arange(m.reg, dtype=torch.float).view(1, m.reg, 1, 1)
    return m.eval()


def export_size(name, model):
    if name in SIZES:
        return SIZES[name][0]
    cfg = getattr(model, "pretrained_cfg", {}) or {}
    _, h, w = cfg.get("input_size", (3, 224, 224))
    return (w, h)


def other_size(name, size):
    if name in SIZES:
        return SIZES[name][1]
    return (256, 192) if size != (256, 192) else (320, 240)


# -- PyTorch's record ---------------------------------------------------------------
class _Count(TorchDispatchMode):
    def __init__(self, param_storages, buffer_storages=frozenset()):
        super().__init__()
        self.params = param_storages
        # fixed float buffers (storages) and, per storage of a tensor computed from
        # constants alone, the buffers it was computed from (through cat, view, ...);
        # those read as an operand by a conv or matmul on the image, or added to it,
        # are weights the file stores (TResNet's blur filter, EVA-02's zero key bias
        # joined to the q and v biases, Swin's shifted-window attention mask)
        self.buffers = buffer_storages
        self.from_buffers = {}
        self.buffer_weights = set()
        self.weight = self.attn = 0
        self.convs = []
        self.last_conv = None           # (the last convolution's output, has bias)
        self.folds = []                 # (bn channels, conv has bias) per folded BN
        # storages of tensors computed from the image (the rest come from constants
        # alone: params, buffers, literals); a conv or matmul reading none of them is
        # what an exporter folds into one constant (EdgeNeXt's and XCiT's Fourier
        # position encoding and its conv, ConViT's positional Linear)
        self.tainted = set()
        self.const_macs = 0
        self.const_convs = []
        self.const_uses = set()         # param storages read by a constant-only op
        self.act_uses = set()           # param storages read by an op on the image

    def _is_param(self, t):
        return isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() in self.params

    def _tensors(self, obj):
        if isinstance(obj, torch.Tensor):
            yield obj
        elif isinstance(obj, (list, tuple)):
            for o in obj:
                yield from self._tensors(o)
        elif isinstance(obj, dict):
            for o in obj.values():
                yield from self._tensors(o)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = self._dispatch(func, args, kwargs)
        ins = list(self._tensors((args, kwargs)))
        tainted = any(t.untyped_storage().data_ptr() in self.tainted for t in ins)
        outs = {t.untyped_storage().data_ptr() for t in self._tensors(out)}
        name = func.overloadpacket.__name__
        self._track_buffers(ins, outs, tainted, name)
        if name.startswith(("convolution", "mm", "addmm", "bmm", "baddbmm")):
            used = {t.untyped_storage().data_ptr() for t in ins if self._is_param(t)}
            if tainted:
                self.act_uses |= used
            else:
                self.const_uses |= used
                self.const_macs += self.weight + self.attn - self._before
                if name == "convolution" and self.convs and self.convs[-1] == tuple(out.shape):
                    self.const_convs.append(self.convs[-1])
        if tainted:
            self.tainted |= outs
        else:
            self.tainted -= outs
        return out

    def _track_buffers(self, ins, outs, tainted, name):
        """Which buffers each constant-only tensor comes from; the buffers behind the
        constant operands of a conv or matmul on the image (weights, a bias) or of an add
        to it (a bias added after a matmul, an attention mask)."""
        def origin(t):
            p = t.untyped_storage().data_ptr()
            return ({p} if p in self.buffers else set()) | self.from_buffers.get(p, set())

        if not tainted:
            org = set().union(*(origin(t) for t in ins))
            for p in outs:
                if org:
                    self.from_buffers[p] = org
                else:
                    self.from_buffers.pop(p, None)
            return
        for p in outs:
            self.from_buffers.pop(p, None)
        if name.startswith(("convolution", "mm", "addmm", "bmm", "baddbmm", "add")):
            for t in ins:               # a weight or bias; a term added (a bias after a
                if t.untyped_storage().data_ptr() not in self.tainted:   # matmul, a mask)
                    self.buffer_weights |= origin(t)

    def _dispatch(self, func, args, kwargs):
        self._before = self.weight + self.attn
        out = func(*args, **kwargs)
        name = func.overloadpacket.__name__
        if name == "convolution":
            x, w = args[0], args[1]
            transposed = args[6]
            k = 1
            for d in w.shape[2:]:
                k *= d
            n = (x.numel() if transposed else out.numel()) * w.shape[1] * k
            self.weight += n
            if out.dim() == 4 and not transposed:
                self.convs.append(tuple(out.shape))
            self.last_conv = (out, args[2] is not None)   # held: its memory is not reused
        elif name in ("mm", "addmm", "bmm", "baddbmm"):
            a, b = (args[0], args[1]) if name in ("mm", "bmm") else (args[1], args[2])
            n = a.numel() * b.shape[-1]
            if self._is_param(a) or self._is_param(b):
                self.weight += n
            else:
                self.attn += n
        elif name.startswith("_scaled_dot_product") or name == "scaled_dot_product_attention":
            q, k, v = args[:3]
            self.attn += q.numel() // q.shape[-1] * k.shape[-2] * (q.shape[-1] + v.shape[-1])
        elif name in ("_native_batch_norm_legit_no_training", "native_batch_norm",
                      "_native_batch_norm_legit", "batch_norm"):
            x = args[0]
            if self.last_conv is not None and x is self.last_conv[0] and args[1] is not None:
                self.folds.append((x.shape[1], self.last_conv[1]))
        return out

    def folded(self, model):
        """(params, MACs) of what was computed from constants alone: the MACs of those
        ops and the params read only by them, as PyTorch's own modules give them."""
        only = self.const_uses - self.act_uses
        return (sum(p.numel() for p in model.parameters()
                    if p.untyped_storage().data_ptr() in only), self.const_macs)


def record(model, w, h):
    """PyTorch's own figures at one size, or {'refused': why} when it cannot run there."""
    storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    bn = {id(b) for mod in model.modules() if isinstance(mod, nn.modules.batchnorm._BatchNorm)
          for b in mod.buffers(recurse=False)}
    fixed_bufs = [b for b in model.buffers() if id(b) not in bn
                  and b.dtype.is_floating_point and b.numel() > 1]
    counter = _Count(storages, {b.untyped_storage().data_ptr() for b in fixed_bufs})
    x = torch.zeros(1, 3, h, w)
    counter.tainted.add(x.untyped_storage().data_ptr())
    try:
        with torch.no_grad(), counter:
            model(x)
    except Exception as err:                  # noqa: BLE001 (the model refuses the size)
        return {"refused": f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"}
    params = sum(p.numel() for p in model.parameters())
    folded = params - sum(2 * c - (0 if has_bias else c) for c, has_bias in counter.folds)
    # fixed float buffers the forward reads as weights of a conv or matmul on the image
    # or adds to it (an anti-aliasing blur filter run as a depthwise conv; a zero key
    # bias joined to the query and value bias params into one Linear bias; an attention
    # mask): the file stores them like any weight (tables only multiplied, such as a
    # rotary sin/cos, are not)
    fixed = sum(b.numel() for b in fixed_bufs
                if b.untyped_storage().data_ptr() in counter.buffer_weights)
    return {"params": params, "params_folded": folded,
            "params_alt": [params + fixed, folded + fixed] if fixed else [],
            "weight_macs": counter.weight,
            "attn_macs": counter.attn, "convs": counter.convs,
            "const_folded": list(counter.folded(model)), "const_convs": counter.const_convs}


def file_params(path):
    """Elements of every float initializer and Constant tensor in the file (more than
    one element): what it stores, counted with onnx alone (no sramfit code)."""
    import onnx
    m = onnx.load(str(path), load_external_data=False)
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
              onnx.TensorProto.BFLOAT16}
    tensors = list(m.graph.initializer)
    tensors += [a.t for n in m.graph.node if n.op_type == "Constant" for a in n.attribute
                if a.name == "value"]
    total = 0
    for t in tensors:
        n = 1
        for d in t.dims:
            n *= d
        if t.data_type in floats and n > 1:
            total += n
    return total


def write_fixtures(out_dir, only=()):
    """The tiny fixtures of FIXTURES, exported three ways with metadata stripped, and
    PyTorch's record at the export size, the other size and a refused size."""
    from make_onnx_fixtures import strip_metadata
    out_dir = Path(out_dir)
    for fname, (name, refused) in FIXTURES.items():
        if only and fname not in only:
            continue
        model = build(name)
        size, alt = SIZES[name]
        x = torch.zeros(1, 3, size[1], size[0])
        for suffix, exp in (("", "classic"), ("_dynamo", "dynamo"),
                            ("_dynamo_raw", "dynamo_raw")):
            path = out_dir / f"{fname}{suffix}.onnx"
            kw = {} if exp == "classic" else {"optimize": exp == "dynamo",
                                              "external_data": False}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, (x,), str(path), opset_version=18,
                                  input_names=["image"], output_names=["out"],
                                  dynamo=exp != "classic", **kw)
            strip_metadata(path)
        refs = {f"{w}x{h}": record(model, w, h) for w, h in (size, alt, refused)}
        assert "refused" in refs[f"{refused[0]}x{refused[1]}"], "PyTorch runs there"
        doc = {"model": fname, "torch_version": torch.__version__,
               "export_size": list(size), "other_size": list(alt),
               "refused_size": list(refused), "records": refs}
        (out_dir / f"{fname}.json").write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {fname}: {sorted(p.name for p in out_dir.glob(fname + '*'))}")


def merge_record(path, rows):
    """Merge ``rows`` into the JSON table at ``path``: rows of a model and exporter run
    now replace the recorded ones, other rows stay, so models can be re-recorded one by
    one (``--record`` with model names)."""
    doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"rows": []}
    done = {(r["model"], r["exporter"]) for r in rows}
    doc["rows"] = [r for r in doc["rows"] if (r["model"], r["exporter"]) not in done] + rows
    doc["torch_version"] = torch.__version__
    try:
        import timm
        doc["timm_version"] = timm.__version__
    except ImportError:
        pass
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--exporters", default="classic,dynamo,dynamo_raw")
    ap.add_argument("--record", default=None, help="merge the rows into this JSON table (rows of the models and exporters run are replaced)")
    ap.add_argument("--fixtures", default=None, help="write the tiny fixtures (those named, "
                    "or all) to this folder (tests/fixtures/onnx) and stop")
    args = ap.parse_args(argv)
    if args.fixtures:
        write_fixtures(args.fixtures, args.models)
        return 0
    names = args.models or DEFAULT
    logging.disable(logging.WARNING)
    torch.set_num_threads(1)

    def note(path, res):
        return f" [the file holds {file_params(path):,} float constants]" \
            if "params" in res else ""

    rows = run(names, build, lambda name, model: (export_size(name, model),
                                                  other_size(name, export_size(name, model))),
               record, args.exporters.split(","), note)
    failures = summarise(rows)
    if args.record:
        merge_record(Path(args.record), rows)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
