"""Import a darknet ``.cfg`` file into an :class:`engine.graph.Model`.

Supported sections: ``[net]`` (width, height, channels), ``[convolutional]``
(filters, size, stride, pad, padding, groups, dilation, batch_normalize, activation),
``[shortcut]`` (from, activation), ``[route]`` (layers, groups, group_id),
``[upsample]`` (stride), ``[maxpool]`` (size, stride, padding), ``[avgpool]``,
``[connected]`` (output, activation, batch_normalize), ``[dropout]``, ``[softmax]``
and the detection layers ``[yolo]`` / ``[region]`` / ``[detection]``, which decode
boxes on the host and keep no tensor of their own.

Layer names are darknet's layer indices (``012_conv``, ``012_bn``, ``012_leaky``,
``015_shortcut``...) as in the built-in YOLO models. Params are counted as PyTorch
counts the equivalent model: conv weights, BatchNorm scale + shift, conv bias only
when there is no BatchNorm. Weights files are not needed.

Darknet arithmetic reproduced here:

- ``[convolutional] pad=1`` means padding = size // 2 (an explicit ``padding=`` wins);
- ``[maxpool]`` pads ``padding`` pixels in total (default ``size - 1``): ``padding // 2``
  at the top/left and the rest at the bottom/right, so a size-2 stride-1 pool keeps
  13x13 at 13x13;
- a ``[route]`` of one layer is an alias (no tensor), of several a concat along
  channels; ``groups``/``group_id`` take that channel slice of every routed layer.
"""
from __future__ import annotations

import os

from ..errors import ModelError
from ..fileio import read_text
from ..footprint import MAX_INPUT_CHANNELS, MAX_SIDE
from ..graph import INPUT, Model, make_layer
from ..schema import MAX_CHANNELS, MAX_LAYERS, show

ACTIVATIONS = {"leaky": "leaky", "relu": "relu", "logistic": "sigmoid", "tanh": "tanh",
               "mish": "mish", "swish": "silu", "silu": "silu", "relu6": "relu6",
               "hardswish": "hardswish", "gelu": "gelu", "elu": "other", "selu": "other",
               "relie": "other", "ramp": "other", "plse": "other", "hardtan": "other",
               "lhtan": "other", "stair": "other", "loggy": "other",
               "normalize_channels": "other", "normalize_channels_softmax": "other"}
DETECTION = {"yolo", "region", "detection", "Gaussian_yolo", "gaussian_yolo"}
SECTIONS = {"net", "network", "convolutional", "conv", "shortcut", "route", "upsample",
            "maxpool", "max", "avgpool", "avg", "connected", "conn", "dropout", "softmax",
            "soft"} | DETECTION


#: options in one section (darknet's own have at most ~30)
MAX_OPTIONS = 1000
#: largest .cfg read (darknet's biggest, yolov4, is ~12 kB)
MAX_CFG_BYTES = 4 * 2 ** 20


class _Section:
    def __init__(self, kind, line):
        self.kind, self.line = kind, line
        self.opts: dict[str, tuple[str, int]] = {}
        self.used: set[str] = set()


def parse_cfg(text: str, path: str) -> list[_Section]:
    """The sections of a cfg. A file whose first line (comments aside) is not a
    [section] is refused without quoting any of it: it is some other kind of file."""
    sections: list[_Section] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        header = line.startswith("[") and line.endswith("]") and len(line) >= 3
        if not sections and not header:
            raise ModelError(f"{path}:{n}: not a darknet .cfg file: it must start with "
                             f"the [net] section (width, height, channels)")
        if line.startswith("["):
            if not header:
                raise ModelError(f"{path}:{n}: malformed section header {show(raw.strip())}; "
                                 f"expected e.g. [convolutional]")
            if len(sections) > MAX_LAYERS:
                raise ModelError(f"{path}:{n}: more than {MAX_LAYERS} sections (limit "
                                 f"MAX_LAYERS)")
            sections.append(_Section(line[1:-1].strip(), n))
            continue
        if "=" not in line:
            where = f" in [{sections[-1].kind}]" if sections else ""
            raise ModelError(f"{path}:{n}{where}: expected key=value or [section], got "
                             f"{show(raw.strip())}")
        if not sections:
            raise ModelError(f"{path}:{n}: an option before the first [section]; a "
                             f"darknet cfg starts with [net]")
        key, value = (s.strip() for s in line.split("=", 1))
        opts = sections[-1].opts
        if len(opts) >= MAX_OPTIONS and key not in opts:
            raise ModelError(f"{path}:{n}: more than {MAX_OPTIONS} options in one section "
                             f"(limit MAX_OPTIONS)")
        opts[key] = (value, n)
    if not sections:
        raise ModelError(f"{path}: no [sections] found; not a darknet .cfg file")
    return sections


class _Reader:
    def __init__(self, path, sec: _Section, index=None):
        self.path, self.sec, self.index = path, sec, index

    def where(self, key=None):
        line = self.sec.opts[key][1] if key in self.sec.opts else self.sec.line
        idx = f" (layer {self.index})" if self.index is not None else ""
        return f"{self.path}:{line}: [{self.sec.kind[:40]}]{idx}"

    def fail(self, msg, key=None):
        raise ModelError(f"{self.where(key)}: {msg}")

    def str(self, key, default=None):
        if key not in self.sec.opts:
            if default is None:
                self.fail(f"missing option {key!r}")
            return default
        return self.sec.opts[key][0]

    def int(self, key, default=None, lo=None, hi=MAX_CHANNELS):
        if key not in self.sec.opts:
            if default is None:
                self.fail(f"missing option {show(key)}")
            return default
        v = self.sec.opts[key][0]
        try:
            out = int(v) if len(v) <= 40 else None
        except ValueError:
            out = None
        if out is None:
            self.fail(f"option {key}={show(v)}: expected a whole number", key)
        if lo is not None and out < lo:
            self.fail(f"option {key}={out}: must be >= {lo}", key)
        if out > hi:
            self.fail(f"option {key}={out}: must be <= {hi} (limit)", key)
        return out

    def ints(self, key):
        v = self.str(key)
        try:
            out = [int(s) for s in v.split(",") if s.strip() and len(s) <= 40]
        except ValueError:
            out = None
        if out is None or len(out) != len([s for s in v.split(",") if s.strip()]):
            self.fail(f"option {key}={show(v)}: expected comma-separated whole numbers", key)
        return out


def load(path) -> Model:
    path = os.fspath(path)
    return from_text(read_text(path, ModelError, "a darknet .cfg text file",
                               limit=MAX_CFG_BYTES, limit_name="MAX_CFG_BYTES"), path)


def from_text(text: str, path: str = "<cfg>") -> Model:
    sections = parse_cfg(text, path)
    net = sections[0]
    if net.kind not in ("net", "network"):
        first = f"[{net.kind}]" if net.kind in SECTIONS else "not [net]"
        raise ModelError(f"{path}:{net.line}: the first section is {first}; a darknet "
                         f"cfg starts with [net] (width, height, channels)")
    r = _Reader(path, net)
    width, height = r.int("width", 416, 1, MAX_SIDE), r.int("height", 416, 1, MAX_SIDE)
    channels = r.int("channels", 3, 1, MAX_INPUT_CHANNELS)
    layers = []
    outs: list[str] = []          # darknet layer index -> engine tensor
    last = INPUT

    def add(name, op, inputs, **attrs):
        nonlocal last
        try:
            layers.append(make_layer(name, op, inputs, attrs))
        except ModelError as err:
            rd.fail(str(err))
        last = name
        return name

    def activation(i, key="activation", default="linear"):
        act = rd.str(key, default).strip()
        if act == "linear":
            return last
        fn = ACTIVATIONS.get(act)
        if fn is None:
            rd.fail(f"unknown activation {show(act)}; darknet's are "
                    f"{', '.join(['linear'] + sorted(ACTIVATIONS))}", key)
        return add(f"{i:03d}_{act}", "act", [last], fn=fn)

    def ref(i, j, key):
        k = j if j >= 0 else i + j
        if not 0 <= k < i:
            rd.fail(f"option {key}: layer {j} resolves to {k}, which is not an earlier "
                    f"layer (0..{i - 1})", key)
        return outs[k]

    for i, sec in enumerate(sections[1:]):
        rd = _Reader(path, sec, i)
        kind = sec.kind
        if kind not in SECTIONS:
            rd.fail(f"unsupported section type [{show(kind)[1:-1]}]; supported: "
                    f"{', '.join(sorted(SECTIONS - {'network', 'conv', 'max', 'avg', 'conn', 'soft'}))}")
        if kind in ("net", "network"):
            rd.fail("a second [net] section")
        if kind in ("convolutional", "conv"):
            size = rd.int("size", 1, 1)
            stride = rd.int("stride", 1, 1)
            pad = rd.int("pad", 0, 0)
            padding = rd.int("padding", 0, 0)
            if pad:
                padding = size // 2
            dil = rd.int("dilation", 1, 1)
            if dil > 1 and pad:
                padding = dil * (size // 2)
            bn = rd.int("batch_normalize", 0, 0)
            groups = rd.int("groups", 1, 1)
            filters = rd.int("filters", None, 1)
            add(f"{i:03d}_conv", "conv", [last], out=filters, kernel=size, stride=stride,
                padding=padding, dilation=dil, groups=groups, bias=not bn)
            if bn:
                add(f"{i:03d}_bn", "norm", [last])
            activation(i, default="logistic")
        elif kind == "shortcut":
            src = rd.ints("from")
            inputs = [last] + [ref(i, j, "from") for j in src]
            add(f"{i:03d}_shortcut", "add", inputs, fn="add")
            activation(i)
        elif kind == "route":
            idx = rd.ints("layers")
            if not idx:
                rd.fail("option 'layers' is empty", "layers")
            groups = rd.int("groups", 1, 1)
            gid = rd.int("group_id", 0, 0)
            if gid >= groups:
                rd.fail(f"group_id={gid} must be < groups={groups}", "group_id")
            srcs = [ref(i, j, "layers") for j in idx]
            if len(srcs) == 1 and groups == 1:
                last = srcs[0]              # an alias: no tensor of its own
            else:
                attrs = {"axis": 1}
                if groups > 1:
                    attrs.update(groups=groups, group_id=gid)
                add(f"{i:03d}_route", "concat", srcs, **attrs)
        elif kind == "upsample":
            stride = rd.int("stride", 2, 1)
            add(f"{i:03d}_upsample", "upsample", [last], scale=stride, mode="nearest")
        elif kind in ("maxpool", "max"):
            size = rd.int("size", 1, 1)
            stride = rd.int("stride", size, 1)
            padding = rd.int("padding", size - 1, 0)
            add(f"{i:03d}_maxpool", "pool", [last], mode="max", kernel=size, stride=stride,
                padding=[padding // 2, padding // 2, padding - padding // 2,
                         padding - padding // 2])
        elif kind in ("avgpool", "avg"):
            add(f"{i:03d}_avgpool", "pool", [last], mode="avg", **{"global": True})
        elif kind in ("connected", "conn"):
            bn = rd.int("batch_normalize", 0, 0)
            add(f"{i:03d}_connected", "fc", [last], out=rd.int("output", 1, 1), bias=not bn)
            if bn:
                add(f"{i:03d}_bn", "norm", [last])
            activation(i, default="logistic")
        elif kind == "dropout":
            pass                            # pass-through at inference
        elif kind in ("softmax", "soft"):
            add(f"{i:03d}_softmax", "softmax", [last], axis=1)
        elif kind in DETECTION:
            pass                            # box decoding on the host: no tensor
        outs.append(last)
        if len(layers) > MAX_LAYERS:
            rd.fail(f"more than {MAX_LAYERS} layers (limit MAX_LAYERS)")
    if not layers:
        raise ModelError(f"{path}: the cfg has no layers after [net]")
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        return Model(name, tuple(layers), channels, (width, height),
                     source=f"darknet cfg {path}",
                     notes="[yolo]/[region] layers decode boxes on the host and keep no "
                           "tensor; params as PyTorch counts them (BN scale+shift, conv bias "
                           "only without BN)")
    except ModelError as err:
        raise ModelError(f"{path}: {err}") from None
