"""Shape inference with PyTorch's arithmetic.

Shapes are per image (batch excluded): (C, H, W) for feature maps, (F,) after a
flatten. Batch is a pure multiplier on activations and MACs, applied later.

conv / pool:  out = floor((H + pad_top + pad_bottom - d*(k-1) - 1) / s) + 1
pool with ceil_mode uses ceil and drops a last window that would start in the
bottom padding, exactly as torch.nn.MaxPool2d does.
"""
from __future__ import annotations

import math

from .errors import ShapeError
from .graph import INPUT, Model
from .schema import MAX_RANK, MAX_TENSOR_ELEMENTS, show


def _conv_out(size, k, s, d, p0, p1, ceil_mode=False):
    span = size + p0 + p1 - d * (k - 1) - 1
    if span < 0:
        return 0
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= size + p0:
            out -= 1
        return out
    return span // s + 1


def same_padding(size, k, s, d):
    """ONNX SAME_UPPER padding (extra pixel at the end), as (before, after)."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _broadcast(shapes, name):
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = {s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ShapeError(
                f"layer {name!r} (add): input shapes {' and '.join(_fmt(s) for s in shapes)} "
                f"do not match")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def _fmt(shape) -> str:
    return "x".join(str(v) for v in shape)


def _too_small(layer, shape):
    return ShapeError(
        f"layer {layer.name!r} ({layer.op}) gets a {_fmt(shape)} (CxHxW) input, too small "
        f"for kernel {layer.attrs.get('kernel')} and stride {layer.attrs.get('stride')}: "
        f"use a larger input size")


def infer_shapes(model: Model, width: int, height: int, channels: int | None = None) -> dict:
    """Return {tensor name: per-image shape tuple} for the input and every layer."""
    c0 = model.channels if channels is None else channels
    shapes = {INPUT: (c0, height, width)}
    for layer in model.layers:
        op, a, name = layer.op, layer.attrs, layer.name
        try:
            x = shapes[layer.inputs[0]]
        except KeyError:
            raise ShapeError(f"layer {name!r}: input {layer.inputs[0]!r} is unknown") from None
        if op == "conv" or (op == "pool" and not a["global"] and a["output_size"] is None):
            if len(x) != 3:
                raise ShapeError(f"layer {name!r} ({op}) needs a CxHxW input, got {_fmt(x)}")
            c, h, w = x
            (kh, kw), (sh, sw) = a["kernel"], a["stride"]
            dh, dw = a["dilation"] if op == "conv" else (1, 1)
            pad = a["padding"]
            if pad == "same":
                pt, pb = same_padding(h, kh, sh, dh)
                pl, pr = same_padding(w, kw, sw, dw)
            else:
                pt, pl, pb, pr = pad
            ceil = op == "pool" and a["ceil_mode"]
            oh = _conv_out(h, kh, sh, dh, pt, pb, ceil)
            ow = _conv_out(w, kw, sw, dw, pl, pr, ceil)
            if oh < 1 or ow < 1:
                raise _too_small(layer, x)
            if op == "conv":
                if c % a["groups"]:
                    raise ShapeError(f"layer {name!r} (conv): {c} input channels are not "
                                     f"divisible by groups={a['groups']}")
                shapes[name] = (a["out"], oh, ow)
            else:
                shapes[name] = (c, oh, ow)
        elif op == "pool":
            if len(x) != 3:
                raise ShapeError(f"layer {name!r} (pool) needs a CxHxW input, got {_fmt(x)}")
            oh, ow = (1, 1) if a["global"] else a["output_size"]
            shapes[name] = (x[0], oh, ow)
        elif op in ("act", "norm", "softmax"):
            shapes[name] = x
        elif op == "fc":
            if len(x) == 3:  # implicit flatten of a feature map
                shapes[name] = (a["out"],)
            else:
                shapes[name] = x[:-1] + (a["out"],)
        elif op == "add":
            ins = [shapes[t] for t in layer.inputs]
            shapes[name] = ins[0] if all(s == ins[0] for s in ins) else _broadcast(ins, name)
        elif op == "concat":
            ins = [shapes[t] for t in layer.inputs]
            g = a.get("groups", 1)
            if g > 1:  # darknet [route] groups: each input contributes channel slice group_id
                if any(len(s) != 3 or s[0] % g for s in ins):
                    raise ShapeError(f"layer {name!r} (concat): channels of "
                                     f"{', '.join(_fmt(s) for s in ins)} are not divisible "
                                     f"by groups={g}")
                ins = [(s[0] // g,) + s[1:] for s in ins]
                x = ins[0]
            ax = a["axis"]
            rank = len(x)
            ax = ax - 1 if ax > 0 else rank + ax  # axis counted with batch in NCHW terms
            if not 0 <= ax < rank or any(len(s) != rank for s in ins):
                raise ShapeError(f"layer {name!r} (concat): axis {a['axis']} does not fit "
                                 f"inputs {', '.join(_fmt(s) for s in ins)}")
            for s in ins[1:]:
                if s[:ax] + s[ax + 1:] != x[:ax] + x[ax + 1:]:
                    raise ShapeError(
                        f"layer {name!r} (concat) joins {_fmt(x)} ({layer.inputs[0]}) with "
                        f"{_fmt(s)} ({layer.inputs[ins.index(s)]}): all sizes but axis "
                        f"{a['axis']} must match")
            shapes[name] = x[:ax] + (sum(s[ax] for s in ins),) + x[ax + 1:]
        elif op == "upsample":
            if len(x) != 3:
                raise ShapeError(f"layer {name!r} (upsample) needs a CxHxW input, got {_fmt(x)}")
            if a["size"] is not None:
                shapes[name] = (x[0],) + tuple(a["size"])
            else:
                sh, sw = a["scale"]
                shapes[name] = (x[0], int(math.floor(x[1] * sh)), int(math.floor(x[2] * sw)))
        elif op == "reshape":
            kind = a["kind"]
            if kind == "flatten":
                sd = max(a["start_dim"] - 1, 0)
                n = 1
                for v in x[sd:]:
                    n *= v
                shapes[name] = x[:sd] + (n,)
            elif kind == "transpose":
                perm = a["perm"]
                if sorted(perm) != list(range(len(x))):
                    raise ShapeError(f"layer {name!r} (reshape): perm {list(perm)} does not "
                                     f"fit input {_fmt(x)}")
                shapes[name] = tuple(x[i] for i in perm)
            else:
                total = math.prod(x)
                target = list(a["shape"])
                if target.count(-1) == 1:
                    known = math.prod(v for v in target if v != -1)
                    if known <= 0 or total % known:
                        raise ShapeError(f"layer {name!r} (reshape): cannot reshape "
                                         f"{_fmt(x)} to {target}")
                    target[target.index(-1)] = total // known
                if math.prod(target) != total:
                    raise ShapeError(f"layer {name!r} (reshape): cannot reshape {_fmt(x)} "
                                     f"({total} values) to {target}")
                shapes[name] = tuple(target)
        else:  # other
            shapes[name] = tuple(a["out_shape"]) if a["out_shape"] is not None else x
        out = shapes[name]
        if len(out) > MAX_RANK or min(out, default=1) < 1 or math.prod(out) > MAX_TENSOR_ELEMENTS:
            raise ShapeError(f"layer {show(name)} ({op}): output {_fmt(out)} is empty, has more "
                             f"than {MAX_RANK} dimensions (MAX_RANK) or more than "
                             f"{MAX_TENSOR_ELEMENTS} values (limit MAX_TENSOR_ELEMENTS)")
    return shapes
