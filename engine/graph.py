"""Model graphs: layers in execution order, each producing one named tensor.

Tensors have any rank. Per image (batch excluded) a feature map is (C, H, W), a token
sequence (T, C), a channels-last map (H, W, C), attention scores (heads, T, T). Ops
that need a layout say so (conv/pool/upsample: CxHxW); the rest (fc, matmul, norm,
act, add, concat, reshape) work on the axes they are given.

A layer's output tensor has the layer's name; the model's input tensor is called
``input``. Layers list their input tensors explicitly, so residual adds, concats
(YOLO routes) and upsampling are plain edges of a DAG. The list order is the
execution order and must be topological (checked by :func:`Model.validate`).

Attributes are normalised by :func:`make_layer` (kernel -> (kh, kw), padding ->
(top, left, bottom, right), ...) so the rest of the engine never guesses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Mapping

from .errors import ModelError
from .schema import (MAX_CHANNELS, MAX_KERNEL, MAX_MACS, MAX_PARAMS, MAX_RANK, MAX_SCALE,
                     MAX_TENSOR_ELEMENTS, is_int, is_number, show, whole)

_whole = partial(whole, error=ModelError)       # schema.whole raising ModelError

INPUT = "input"

#: The op categories reported everywhere (JSON ``op`` field, layer table).
OPS = ("conv", "deconv", "fc", "matmul", "pool", "add", "concat", "upsample", "act",
       "norm", "reshape", "softmax", "other")

#: Elementwise ops that an accelerator fuses into the op that produced their input.
FUSABLE = frozenset({"act", "norm", "add"})

ACT_FNS = ("relu", "relu6", "leaky", "sigmoid", "tanh", "hardswish", "hardsigmoid",
           "silu", "gelu", "clip", "mish", "linear", "identity", "dropout", "prelu", "other")
ADD_FNS = ("add", "mul", "sub", "div", "max", "min")
POOL_MODES = ("max", "avg")
UPSAMPLE_MODES = ("nearest", "bilinear", "linear", "cubic")
RESHAPE_KINDS = ("flatten", "transpose", "shape", "slice", "pad")
NORM_KINDS = ("batch", "instance", "layer", "group", "lp")

REQUIRED = object()  # marker: the attribute has no default
_R = REQUIRED

# Which attributes each op accepts, with defaults.
_SPEC: dict[str, dict[str, Any]] = {
    "conv": {"out": _R, "kernel": _R, "stride": 1, "padding": 0, "dilation": 1,
             "groups": 1, "bias": True},
    # deconv: a transposed convolution (PyTorch's ConvTranspose2d, ONNX ConvTranspose):
    # output (in - 1) x stride - (pad_before + pad_after) + dilation x (kernel - 1)
    # + output_padding + 1 per axis; each input pixel meets out/groups x kernel weights
    "deconv": {"out": _R, "kernel": _R, "stride": 1, "padding": 0, "output_padding": 0,
               "dilation": 1, "groups": 1, "bias": True},
    # fc: a weight matmul over the last axis (flatten: a CxHxW input is flattened first,
    # as after a conv stack; in_features: the fan-in the weight was made for, checked)
    "fc": {"out": _R, "bias": True, "flatten": True, "in_features": None},
    # matmul: activation x activation (attention scores and context), no weights
    "matmul": {"transpose_b": False},
    "pool": {"mode": "max", "kernel": None, "stride": None, "padding": 0,
             "ceil_mode": False, "global": False, "output_size": None},
    # add with one input: the other operand is a constant of shape 'operand' (per image,
    # broadcast), a learned parameter (layer scale, position embedding) when 'learned'
    # (params: how many learned values stand behind the operand when that is not its
    # size, e.g. a relative-position table indexed into a per-window attention bias)
    "add": {"fn": "add", "operand": None, "learned": True, "params": None},
    "concat": {"axis": 1, "groups": 1, "group_id": 0},  # groups: darknet route slices
    "upsample": {"scale": None, "size": None, "mode": "nearest"},
    # act: params = learned values of the function (PReLU's slopes, one or per channel)
    "act": {"fn": "relu", "params": 0},
    # norm: 'axis' is the per-image axis whose size gives the affine scale and shift
    # (bias False: an affine scale without a shift, PyTorch's LayerNorm(bias=False))
    "norm": {"kind": "batch", "affine": True, "axis": 0, "bias": True},
    # reshape kinds: flatten / transpose (perm) / shape (target) move no data through the
    # array; slice (axis, start, end, step; end None = to the end) and pad (pads: per
    # image axis, [before..., after...]) copy a part or a padded whole
    "reshape": {"kind": "flatten", "start_dim": 1, "perm": None, "shape": None,
                "axis": None, "start": 0, "end": None, "step": 1, "pads": None},
    "softmax": {"axis": 1},
    "other": {"type": "unknown", "out_shape": None, "macs": 0, "params": 0},
}


@dataclass(frozen=True)
class Layer:
    name: str
    op: str
    inputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain dict in the user YAML form (only non-default attributes)."""
        d: dict[str, Any] = {"name": self.name, "op": self.op}
        d["inputs"] = list(self.inputs)
        spec = _SPEC[self.op]
        for k, v in self.attrs.items():
            default = spec.get(k)
            if default is REQUIRED:
                default = None
            if k in ("kernel", "stride", "dilation", "scale", "size", "output_size",
                     "output_padding") \
                    and isinstance(v, tuple) and len(v) == 2 and v[0] == v[1]:
                v = v[0]
            if k == "padding" and isinstance(v, tuple):
                t, l, b, r = v
                v = t if t == l == b == r else ([t, l] if (t, l) == (b, r) else list(v))
            if isinstance(v, tuple):
                v = list(v)
            if default is not None and v == default and k not in ("kernel", "out"):
                continue
            if v is None:
                continue
            d[k] = v
        return d


def _pair(value, what: str, allow_zero=False, hi=MAX_KERNEL) -> tuple[int, int]:
    if isinstance(value, bool):
        raise ModelError(f"{what}: expected an integer or [h, w], got {show(value)}")
    if isinstance(value, int):
        value = (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        lo = 0 if allow_zero else 1
        if min(value) < lo:
            raise ModelError(f"{what}: must be >= {lo}, got {show(list(value))}")
        if max(value) > hi:
            raise ModelError(f"{what}: must be <= {hi} (limit), got {show(list(value))}")
        return (int(value[0]), int(value[1]))
    raise ModelError(f"{what}: expected an integer or [h, w], got {show(value)}")


def _padding(value, what: str):
    if value == "same":
        return "same"
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        if any(v < 0 for v in value):
            raise ModelError(f"{what}: padding must be >= 0, got {show(list(value))}")
        if any(v > MAX_KERNEL for v in value):
            raise ModelError(f"{what}: padding must be <= {MAX_KERNEL} (limit MAX_KERNEL), "
                             f"got {show(list(value))}")
        if len(value) == 1:
            return (value[0],) * 4
        if len(value) == 2:  # [ph, pw]
            return (value[0], value[1], value[0], value[1])
        if len(value) == 4:  # [top, left, bottom, right]
            return tuple(int(v) for v in value)
    raise ModelError(f"{what}: expected an integer, [ph, pw], [top, left, bottom, right] "
                     f"or 'same', got {show(value)}")


def _count(value, what: str, hi: int):
    if value is None:
        return value
    if not is_number(value) or not 0 <= value <= hi:   # NaN fails both comparisons
        raise ModelError(f"{what}: expected a number 0..{hi} (limit), got {show(value)}")
    return value


def _dims(value, what: str, lo: int = 1) -> tuple[int, ...]:
    """A list of at most 2 x MAX_RANK integers lo..MAX_TENSOR_ELEMENTS (a shape, pads)."""
    if not isinstance(value, (list, tuple)) or len(value) > 2 * MAX_RANK or not all(
            is_int(v) and lo <= v <= MAX_TENSOR_ELEMENTS for v in value):
        raise ModelError(f"{what}: expected a list of integers >= {lo} (at most "
                         f"{2 * MAX_RANK}, each <= {MAX_TENSOR_ELEMENTS}), got {show(value)}")
    return tuple(int(v) for v in value)


def _choice(value, choices, what: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ModelError(f"{what}: {show(value)} is not one of {', '.join(choices)}")
    return value


def make_layer(name: str, op: str, inputs, attrs: Mapping[str, Any] | None = None) -> Layer:
    """Validate and normalise one layer. Raises ModelError naming the field."""
    where = "layer"
    if not isinstance(name, str) or not name:
        raise ModelError(f"layer name: expected a non-empty string, got {show(name)}")
    where = f"layer {show(name)}"
    if name == INPUT:
        raise ModelError(f"{where}: the name {INPUT!r} is reserved for the model input")
    if not isinstance(op, str) or op not in _SPEC:
        raise ModelError(f"{where}: field 'op': unknown op {show(op)}; use one of "
                         f"{', '.join(OPS)}")
    if isinstance(inputs, str):
        inputs = (inputs,)
    if not isinstance(inputs, (list, tuple)) or not inputs or not all(
            isinstance(i, str) for i in inputs):
        raise ModelError(f"{where}: field 'inputs': expected a list of tensor names")
    attrs = dict(attrs or {})
    spec = _SPEC[op]
    unknown = sorted((k for k in attrs if not isinstance(k, str) or k not in spec), key=str)
    if unknown:
        raise ModelError(f"{where}: unknown field(s) {', '.join(map(show, unknown[:5]))} for op "
                         f"{op!r}; allowed: {', '.join(spec)}")
    a = {k: attrs.get(k, d) for k, d in spec.items()}
    for k, d in spec.items():
        if a[k] is REQUIRED:
            raise ModelError(f"{where}: missing required field {k!r} for op {op!r}")
    f = lambda k: f"{where}: field {k!r}"  # noqa: E731
    if op == "conv":
        a["out"] = _whole(a["out"], f("out"), 1, MAX_CHANNELS)
        a["kernel"] = _pair(a["kernel"], f("kernel"))
        a["stride"] = _pair(a["stride"], f("stride"))
        a["dilation"] = _pair(a["dilation"], f("dilation"))
        a["padding"] = _padding(a["padding"], f("padding"))
        a["groups"] = _whole(a["groups"], f("groups"), 1, MAX_CHANNELS)
        a["bias"] = bool(a["bias"])
        if a["out"] % a["groups"]:
            raise ModelError(f"{where}: field 'out' ({a['out']}) must be divisible by "
                             f"'groups' ({a['groups']})")
    elif op == "deconv":
        a["out"] = _whole(a["out"], f("out"), 1, MAX_CHANNELS)
        a["kernel"] = _pair(a["kernel"], f("kernel"))
        a["stride"] = _pair(a["stride"], f("stride"))
        a["dilation"] = _pair(a["dilation"], f("dilation"))
        a["padding"] = _padding(a["padding"], f("padding"))
        if a["padding"] == "same":
            raise ModelError(f"{where}: field 'padding': 'same' is not defined for op "
                             f"'deconv'; give the pads as numbers")
        a["output_padding"] = _pair(a["output_padding"], f("output_padding"),
                                    allow_zero=True)
        a["groups"] = _whole(a["groups"], f("groups"), 1, MAX_CHANNELS)
        a["bias"] = bool(a["bias"])
        if a["out"] % a["groups"]:
            raise ModelError(f"{where}: field 'out' ({a['out']}) must be divisible by "
                             f"'groups' ({a['groups']})")
        for ax in (0, 1):     # PyTorch's rule: output_padding < stride or < dilation
            if a["output_padding"][ax] >= max(a["stride"][ax], a["dilation"][ax]):
                raise ModelError(f"{where}: field 'output_padding' "
                                 f"{show(list(a['output_padding']))} must be smaller than "
                                 f"the stride or the dilation")
    elif op == "fc":
        a["out"] = _whole(a["out"], f("out"), 1, MAX_CHANNELS)
        a["bias"] = bool(a["bias"])
        a["flatten"] = bool(a["flatten"])
        if a["in_features"] is not None:
            a["in_features"] = _whole(a["in_features"], f("in_features"), 1, MAX_CHANNELS)
    elif op == "matmul":
        a["transpose_b"] = bool(a["transpose_b"])
        if len(inputs) != 2:
            raise ModelError(f"{where}: op 'matmul' needs two inputs, got {list(inputs)}")
    elif op == "pool":
        a["mode"] = _choice(a["mode"], POOL_MODES, f("mode"))
        a["global"] = bool(a["global"])
        if a["output_size"] is not None:
            a["output_size"] = _pair(a["output_size"], f("output_size"), hi=MAX_CHANNELS)
        elif not a["global"]:
            if a["kernel"] is None:
                raise ModelError(f"{where}: missing required field 'kernel' for op 'pool' "
                                 f"(or set global: true, or output_size: [h, w])")
            a["kernel"] = _pair(a["kernel"], f("kernel"))
            a["stride"] = _pair(a["stride"] if a["stride"] is not None else a["kernel"],
                                f("stride"))
            a["padding"] = _padding(a["padding"], f("padding"))
        a["ceil_mode"] = bool(a["ceil_mode"])
    elif op == "add":
        a["fn"] = _choice(a["fn"], ADD_FNS, f("fn"))
        a["learned"] = bool(a["learned"])
        if a["params"] is not None:
            a["params"] = _whole(a["params"], f("params"), 1, MAX_CHANNELS)
        if a["operand"] is not None:
            a["operand"] = _dims(a["operand"], f("operand"))
        elif len(inputs) < 2:
            raise ModelError(f"{where}: op 'add' needs at least two inputs (or one and an "
                             f"'operand' shape), got {list(inputs)}")
    elif op == "concat":
        a["axis"] = _whole(a["axis"], f("axis"), -MAX_RANK, MAX_RANK)
        a["groups"] = _whole(a["groups"], f("groups"), 1, MAX_CHANNELS)
        if isinstance(a["group_id"], bool) or not isinstance(a["group_id"], int) or not (
                0 <= a["group_id"] < a["groups"]):
            raise ModelError(f"{f('group_id')}: expected 0..groups-1, got {show(a['group_id'])}")
    elif op == "upsample":
        if (a["scale"] is None) == (a["size"] is None):
            raise ModelError(f"{where}: op 'upsample' needs exactly one of 'scale' or 'size'")
        if a["scale"] is not None:
            s = a["scale"]
            if isinstance(s, (int, float)) and not isinstance(s, bool):
                s = (s, s)
            if not (isinstance(s, (list, tuple)) and len(s) == 2 and all(
                    is_number(v) and 1 / MAX_SCALE <= v <= MAX_SCALE for v in s)):
                raise ModelError(f"{f('scale')}: expected a number {1 / MAX_SCALE:g}.."
                                 f"{MAX_SCALE} (limit MAX_SCALE) or [sh, sw], "
                                 f"got {show(a['scale'])}")
            a["scale"] = tuple(int(v) if float(v).is_integer() else float(v) for v in s)
        else:
            a["size"] = _pair(a["size"], f("size"), hi=MAX_CHANNELS)
        a["mode"] = _choice(a["mode"], UPSAMPLE_MODES, f("mode"))
    elif op == "act":
        a["fn"] = _choice(a["fn"], ACT_FNS, f("fn"))
        a["params"] = _count(a["params"], f("params"), MAX_PARAMS)
    elif op == "norm":
        a["kind"] = _choice(a["kind"], NORM_KINDS, f("kind"))
        a["affine"] = bool(a["affine"])
        a["bias"] = bool(a["bias"])
        a["axis"] = _whole(a["axis"], f("axis"), -MAX_RANK, MAX_RANK)
    elif op == "softmax":
        a["axis"] = _whole(a["axis"], f("axis"), -MAX_RANK, MAX_RANK)
    elif op == "reshape":
        a["kind"] = _choice(a["kind"], RESHAPE_KINDS, f("kind"))
        a["start_dim"] = _whole(a["start_dim"], f("start_dim"), -MAX_RANK, MAX_RANK)
        if a["kind"] == "transpose":
            if not isinstance(a["perm"], (list, tuple)) or len(a["perm"]) > MAX_RANK or \
                    not all(is_int(v) for v in a["perm"]):
                raise ModelError(f"{f('perm')}: a transpose needs perm: [..] (batch "
                                 f"excluded; whole numbers), got {show(a['perm'])}")
            a["perm"] = tuple(a["perm"])
        if a["kind"] == "shape":
            if not isinstance(a["shape"], (list, tuple)) or not all(
                    isinstance(v, int) and not isinstance(v, bool) and v >= -1
                    for v in a["shape"]):
                raise ModelError(f"{f('shape')}: a reshape needs shape: [..] of sizes >= 1 "
                                 f"(one may be -1; batch excluded), got {show(a['shape'])}")
            a["shape"] = tuple(a["shape"])
        if a["kind"] == "slice":
            a["axis"] = _whole(a["axis"], f("axis"))
            a["start"] = _whole(a["start"], f("start"))
            if a["end"] is not None:
                a["end"] = _whole(a["end"], f("end"))
            a["step"] = _whole(a["step"], f("step"), 1, MAX_CHANNELS)
        if a["kind"] == "pad":
            a["pads"] = _dims(a["pads"], f("pads"), lo=0)
            if len(a["pads"]) % 2:
                raise ModelError(f"{f('pads')}: expected [before..., after...] per axis, "
                                 f"got {list(a['pads'])}")
    elif op == "other":
        if not isinstance(a["type"], str):
            raise ModelError(f"{f('type')}: expected a name, got {show(a['type'])}")
        if a["out_shape"] is not None:
            a["out_shape"] = _dims(a["out_shape"], f("out_shape"))
        a["params"] = _count(a["params"], f("params"), MAX_PARAMS)
        a["macs"] = _count(a["macs"], f("macs"), MAX_MACS)
    return Layer(name, op, tuple(inputs), a)


@dataclass(frozen=True)
class Model:
    """An immutable model: name, input channels, default input size, layers in order."""
    name: str
    layers: tuple[Layer, ...]
    channels: int = 3
    default_size: tuple[int, int] = (224, 224)  # (width, height)
    source: str = ""
    notes: str = ""

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        self.validate()

    def validate(self) -> None:
        if not self.layers:
            raise ModelError(f"model {self.name!r}: has no layers")
        _whole(self.channels, f"model {self.name!r}: field 'channels'", 1, MAX_CHANNELS)
        seen = {INPUT}
        for layer in self.layers:
            if layer.name in seen:
                raise ModelError(f"layer {layer.name!r}: the name is used twice; "
                                 f"every layer needs a unique name")
            for t in layer.inputs:
                if t not in seen:
                    raise ModelError(
                        f"layer {layer.name!r}: field 'inputs': {t!r} is not an earlier "
                        f"layer (layers must be listed in execution order; the model "
                        f"input is called {INPUT!r})")
            seen.add(layer.name)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "version": 1,
            "name": self.name,
            "source": self.source,
            "notes": self.notes,
            "input": {"channels": self.channels, "width": self.default_size[0],
                      "height": self.default_size[1]},
            "layers": [layer.to_dict() for layer in self.layers],
        }
