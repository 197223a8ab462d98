"""Shape inference with PyTorch's arithmetic.

Shapes are per image (batch excluded) and of any rank: (C, H, W) for feature maps,
(F,) after a flatten, (T, C) for tokens, (H, W, C) channels-last, (heads, T, T) for
attention scores. Batch is a pure multiplier on activations and MACs, applied later.

fc:      a weight matmul over the last axis (a CxHxW input with ``flatten`` is
         flattened first); its ``in_features``, when recorded, must match the fan-in.
matmul:  numpy matmul rules (leading axes broadcast; ``transpose_b`` swaps B's last two).
add:     numpy broadcasting of the inputs and of a constant ``operand``.
slice:   Python slice rules on one axis (start/end clamped, negative from the end).

conv / pool:  out = floor((H + pad_top + pad_bottom - d*(k-1) - 1) / s) + 1
pool with ceil_mode uses ceil and drops a last window that would start in the
bottom padding, exactly as torch.nn.MaxPool2d does.
"""
from __future__ import annotations

import math

from .errors import ShapeError
from .graph import INPUT, Model
from .schema import MAX_TENSOR_ELEMENTS

#: Resource cap: elements of one per-image tensor (2^40; 1 TB at int8).
MAX_ELEMS = MAX_TENSOR_ELEMENTS


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
        layer_shape(layer, shapes)
    return shapes


def fc_rows(in_shape, flatten=True) -> tuple[int, int]:
    """(rows, fan-in) of an fc layer on a per-image input shape."""
    if flatten and len(in_shape) == 3:
        return 1, math.prod(in_shape)
    return math.prod(in_shape[:-1]), (in_shape[-1] if in_shape else 1)


def _matmul(layer, a_shape, b_shape):
    if len(a_shape) < 1 or len(b_shape) < 1:
        raise ShapeError(f"layer {layer.name!r} (matmul): inputs {_fmt(a_shape)} and "
                         f"{_fmt(b_shape)} are scalars")
    if layer.attrs["transpose_b"] and len(b_shape) >= 2:
        b_shape = b_shape[:-2] + (b_shape[-1], b_shape[-2])
    a2 = a_shape if len(a_shape) > 1 else (1,) + a_shape
    b2 = b_shape if len(b_shape) > 1 else b_shape + (1,)
    if a2[-1] != b2[-2]:
        raise ShapeError(f"layer {layer.name!r} (matmul): {_fmt(a_shape)} x {_fmt(b_shape)}: "
                         f"inner sizes {a2[-1]} and {b2[-2]} differ")
    lead = _broadcast([a2[:-2], b2[:-2]], layer.name) if (a2[:-2] or b2[:-2]) else ()
    out = lead + (a2[-2], b2[-1])
    if len(a_shape) == 1:
        out = out[:-2] + out[-1:]
    if len(b_shape) == 1:
        out = out[:-1]
    return out


def layer_shape(layer, shapes: dict) -> tuple:
    """Compute and store the per-image output shape of one layer from its inputs'."""
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
    elif op == "deconv":
        if len(x) != 3:
            raise ShapeError(f"layer {name!r} (deconv) needs a CxHxW input, got {_fmt(x)}")
        c, h, w = x
        (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
        pt, pl, pb, pr = a["padding"]
        (oph, opw) = a["output_padding"]
        oh = (h - 1) * sh - pt - pb + dh * (kh - 1) + oph + 1
        ow = (w - 1) * sw - pl - pr + dw * (kw - 1) + opw + 1
        if oh < 1 or ow < 1:
            raise _too_small(layer, x)
        if c % a["groups"]:
            raise ShapeError(f"layer {name!r} (deconv): {c} input channels are not "
                             f"divisible by groups={a['groups']}")
        shapes[name] = (a["out"], oh, ow)
    elif op == "pool":
        if len(x) != 3:
            raise ShapeError(f"layer {name!r} (pool) needs a CxHxW input, got {_fmt(x)}")
        oh, ow = (1, 1) if a["global"] else a["output_size"]
        shapes[name] = (x[0], oh, ow)
    elif op in ("act", "softmax"):
        shapes[name] = x
    elif op == "norm":
        if a["affine"] and not -len(x) <= a["axis"] < len(x):
            raise ShapeError(f"layer {name!r} (norm): axis {a['axis']} does not fit "
                             f"input {_fmt(x)}")
        shapes[name] = x
    elif op == "fc":
        rows, fan_in = fc_rows(x, a["flatten"])
        if a["in_features"] is not None and fan_in != a["in_features"]:
            raise ShapeError(
                f"layer {name!r} (fc) has a weight for {a['in_features']} input features "
                f"but gets {fan_in} (input {_fmt(x)}) at this size")
        if a["flatten"] and len(x) == 3:  # implicit flatten of a feature map
            shapes[name] = (a["out"],)
        else:
            shapes[name] = x[:-1] + (a["out"],)
    elif op == "matmul":
        shapes[name] = _matmul(layer, x, shapes[layer.inputs[1]])
    elif op == "add":
        ins = [shapes[t] for t in layer.inputs]
        if a["operand"] is not None:
            ins.append(tuple(a["operand"]))
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
        elif kind == "slice":
            ax = a["axis"]
            if not -len(x) <= ax < len(x):
                raise ShapeError(f"layer {name!r} (reshape): slice axis {ax} does not "
                                 f"fit input {_fmt(x)}")
            n = len(range(*slice(a["start"], a["end"], a["step"]).indices(x[ax])))
            if n < 1:
                raise ShapeError(f"layer {name!r} (reshape): slice {a['start']}:"
                                 f"{a['end']} of axis {ax} is empty for input {_fmt(x)}")
            ax %= len(x)
            shapes[name] = x[:ax] + (n,) + x[ax + 1:]
        elif kind == "pad":
            pads = a["pads"]
            k = len(pads) // 2
            if k > len(x):
                raise ShapeError(f"layer {name!r} (reshape): pads {list(pads)} do not fit "
                                 f"input {_fmt(x)}")
            lead = x[:len(x) - k]
            tail = x[len(x) - k:]
            shapes[name] = lead + tuple(v + pads[i] + pads[i + k]
                                        for i, v in enumerate(tail))
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
    if any(v < 1 for v in shapes[name]) or math.prod(shapes[name]) > MAX_ELEMS:
        raise ShapeError(f"layer {name!r} ({op}): output shape {_fmt(shapes[name])} is "
                         f"empty or over the limit of {MAX_ELEMS:,} elements per image")
    return shapes[name]
