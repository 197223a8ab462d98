"""Per-layer footprint: fusion into execution steps, bytes, params, MACs, liveness.

This is the chip-independent part of an analysis. Everything is derived from the
layer definitions and the input size; batch multiplies activations and MACs, never
weights.

Fusion (on by default): an elementwise layer (norm, act, add) whose input is the
output of the step just before it, and is read by nothing else, joins that step:
its input is never written to memory, as on an accelerator that folds batchnorm and
applies activations and residual adds on the way out of the MAC array. A step is
reported under its first layer's name and op, with the fused layers listed.

In-place buffers (on by default; ``inplace=False`` for compilers that copy): an
elementwise step writes over an input that dies there, concat producers write into
slices of the concat's buffer, single-input routes are views
(:func:`~engine.liveness.plan_aliases`). Live bytes, the peak and the arena count
buffers, not tensors.

Weights are counted as PyTorch counts parameters (conv/fc weight and bias,
batchnorm/layernorm scale and shift, learned elementwise operands such as layer scales
and position embeddings), and stored at the weight precision.

MACs are of two kinds: weight MACs (conv and fc, what PyTorch's per-module counters
report) and attention MACs (``matmul`` of two activations: attention scores and
context). ``macs`` is their sum (the array runs both); ``attn_macs`` is the second
kind, reported apart in the totals and in every row.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import precision as prec
from .errors import InputError, ShapeError
from .graph import FUSABLE, INPUT, Model
from .liveness import live_bytes, plan_aliases, plan_offsets
from .schema import MAX_MACS, MAX_PARAMS, MAX_TOTAL_ELEMENTS, show, whole
from .shapes import fc_rows, infer_shapes

MAX_SIDE = 16384          # pixels per side
MAX_BATCH = 4096
MAX_INPUT_CHANNELS = 65536  # channels of the model input


_SHAPES: OrderedDict = OrderedDict()   # (id(model), w, h, c) -> (model, shapes)
_SHAPES_MAX = 64


def cached_shapes(model: Model, width: int, height: int, channels: int) -> dict:
    """infer_shapes, remembered for the last few (model, size) pairs so that a change of
    batch, precision, chip or SRAM size does not redo shape inference. The model object
    is kept in the entry, so its id cannot be reused while cached; the returned dict is
    shared and must not be modified."""
    key = (id(model), width, height, channels)
    hit = _SHAPES.get(key)
    if hit is not None and hit[0] is model:
        _SHAPES.move_to_end(key)
        return hit[1]
    shapes = infer_shapes(model, width, height, channels)
    _SHAPES[key] = (model, shapes)
    while len(_SHAPES) > _SHAPES_MAX:
        _SHAPES.popitem(last=False)
    return shapes


def layer_cost(layer, in_shape, out_shape) -> tuple[int, int]:
    """(params, MACs) of one layer for one image. MACs count conv, fc and matmul (the
    attention kind); everything else is free."""
    op, a = layer.op, layer.attrs
    if op == "conv":
        cin_g = in_shape[0] // a["groups"]
        kh, kw = a["kernel"]
        params = a["out"] * cin_g * kh * kw + (a["out"] if a["bias"] else 0)
        macs = out_shape[0] * out_shape[1] * out_shape[2] * cin_g * kh * kw
        return params, macs
    if op == "deconv":
        # weight Cin x (out/groups) x kh x kw; every input pixel is multiplied by the
        # out/groups x kh x kw weights of its channel (the zeros a stride inserts between
        # input pixels are never multiplied)
        kh, kw = a["kernel"]
        cout_g = a["out"] // a["groups"]
        params = in_shape[0] * cout_g * kh * kw + (a["out"] if a["bias"] else 0)
        macs = in_shape[0] * in_shape[1] * in_shape[2] * cout_g * kh * kw
        return params, macs
    if op == "fc":
        rows, fan_in = fc_rows(in_shape, a["flatten"])
        params = fan_in * a["out"] + (a["out"] if a["bias"] else 0)
        return params, rows * fan_in * a["out"]
    if op == "matmul":
        k = in_shape[-1] if in_shape else 1
        return 0, math.prod(out_shape) * k
    if op == "norm":
        per = 2 if a["bias"] else 1     # scale and shift, or a scale alone
        return (per * in_shape[a["axis"]] if a["affine"] and in_shape else 0), 0
    if op == "act":
        return a["params"], 0
    if op == "add" and a["operand"] is not None:
        if not a["learned"]:
            return 0, 0
        return (a["params"] if a["params"] is not None else math.prod(a["operand"])), 0
    if op == "other":
        return int(a.get("params") or 0), int(a.get("macs") or 0)
    return 0, 0


@dataclass
class Step:
    """One execution step: a layer plus the elementwise layers fused into it."""
    index: int
    name: str
    op: str
    layers: list            # graph.Layer objects, the first is the anchor
    shape: tuple            # per-image output shape
    in_shape: tuple         # per-image shape of the anchor's first input
    inputs: list = field(default_factory=list)   # tensor ids read (0 = model input)

    @property
    def anchor(self):
        return self.layers[0]


def _check_limits(name: str, totals) -> None:
    """Resource limits (engine/schema.py) that keep every int64 total exact."""
    for value, limit, what in ((totals[0], MAX_PARAMS, "parameters (MAX_PARAMS)"),
                               (totals[1], MAX_MACS, "MACs per image (MAX_MACS)"),
                               (totals[2], MAX_TOTAL_ELEMENTS,
                                "tensor values (MAX_TOTAL_ELEMENTS)")):
        if value > limit:
            raise ShapeError(f"layer {show(name)}: the model exceeds the limit of {limit} "
                             f"{what}; check the layer sizes and the input size")


class Footprint:
    """Chip-independent analysis of a model at one input size, batch and precision."""

    def __init__(self, model: Model, width: int, height: int, channels: int | None = None,
                 batch: int = 1, weights: str = "int8", activations: str = "int8",
                 fusion: bool = True, inplace: bool = True):
        self.model = model
        self.inplace = bool(inplace)
        self.width = whole(width, "input width", 1, MAX_SIDE,
                           "give the image width in pixels, e.g. 1920", InputError)
        self.height = whole(height, "input height", 1, MAX_SIDE,
                            "give the image height in pixels, e.g. 1088", InputError)
        self.channels = whole(model.channels if channels is None else channels,
                              "input channels", 1, MAX_INPUT_CHANNELS, "e.g. 3 for RGB",
                              InputError)
        self.batch = whole(batch, "batch", 1, MAX_BATCH, "use a batch of 1 or more",
                           InputError)
        self.weight_precision = str(weights).lower()
        self.activation_precision = str(activations).lower()
        self.weight_bits = prec.bits(weights)
        self.activation_bits = prec.bits(activations)
        self.fusion = bool(fusion)
        try:
            shapes = cached_shapes(model, self.width, self.height, self.channels)
        except ShapeError as err:
            raise ShapeError(f"{model.name} cannot run at {self.width}x{self.height}: {err}"
                             f"{suggest_sizes(model, self.width, self.height, self.channels)}"
                             ) from None
        self.shapes = shapes
        self._build_steps(shapes)
        self._compute()

    # -- steps -------------------------------------------------------------------
    def _build_steps(self, shapes):
        layers = self.model.layers
        readers: dict[str, int] = {}
        for layer in layers:
            for t in layer.inputs:
                readers[t] = readers.get(t, 0) + 1
        steps: list[Step] = []
        tensor_id = {INPUT: 0}
        for layer in layers:
            if self.fusion and layer.op in FUSABLE and steps:
                prev = steps[-1]
                out = prev.layers[-1].name
                if out in layer.inputs and readers.get(out, 0) == 1:
                    prev.layers.append(layer)
                    prev.shape = shapes[layer.name]
                    for t in layer.inputs:
                        if t != out and tensor_id[t] not in prev.inputs:
                            prev.inputs.append(tensor_id[t])
                    del tensor_id[out]
                    tensor_id[layer.name] = prev.index + 1
                    continue
            step = Step(len(steps), layer.name, layer.op, [layer], shapes[layer.name],
                        shapes[layer.inputs[0]])
            for t in layer.inputs:
                tid = tensor_id[t]
                if tid not in step.inputs:
                    step.inputs.append(tid)
            tensor_id[layer.name] = step.index + 1
            steps.append(step)
        self.steps = steps

    # -- numbers -----------------------------------------------------------------
    def _compute(self):
        steps, shapes, n = self.steps, self.shapes, len(self.steps)
        wbits, abits, batch = self.weight_bits, self.activation_bits, self.batch
        params = np.zeros(n, dtype=np.int64)
        macs = np.zeros(n, dtype=np.int64)
        attn = np.zeros(n, dtype=np.int64)
        wbytes = np.zeros(n, dtype=np.int64)
        elems = np.zeros(n + 1, dtype=np.int64)
        elems[0] = self.channels * self.height * self.width
        last = np.zeros(n + 1, dtype=np.int64)
        totals = [0, 0, int(elems[0])]          # params, MACs, tensor values: capped
        for s in steps:
            p_sum = m_sum = wb = 0
            for layer in s.layers:
                p, m = layer_cost(layer, shapes[layer.inputs[0]], shapes[layer.name])
                p_sum += p
                m_sum += m
                if layer.op == "matmul":
                    attn[s.index] += m
                wb += prec.nbytes(p, wbits)
            totals[0] += p_sum
            totals[1] += m_sum
            totals[2] += math.prod(s.shape)
            _check_limits(s.name, totals)
            params[s.index], macs[s.index], wbytes[s.index] = p_sum, m_sum, wb
            elems[s.index + 1] = math.prod(s.shape)
            for t in s.inputs:
                last[t] = s.index
        first = np.concatenate(([0], np.arange(n, dtype=np.int64)))
        unread = last < first
        unread[0] = False
        last[unread] = n - 1       # model outputs stay live to the end
        self.params = params
        self.macs = macs * batch
        self.attn_macs = attn * batch
        self.weight_bytes = wbytes
        # per-tensor arrays: tensor 0 is the model input, tensor i+1 is step i's output
        self.tensor_bytes = (elems * abits + 7) // 8 * batch
        self.tensor_first = first
        self.tensor_last = last
        self.activation_bytes = self.tensor_bytes[1:]
        self.tensor_is_output = unread
        self.aliasing = al = plan_aliases(self._alias_steps(), self.tensor_bytes, first,
                                          last, unread, self.inplace)
        bufs = al.buffers()
        self.live_bytes = live_bytes(al.size[bufs], al.first[bufs], al.last[bufs], n)

    def _alias_steps(self) -> list[tuple]:
        """Per step ``(kind, inputs, candidates)`` for :func:`plan_aliases`."""
        ids = {INPUT: 0}
        for s in self.steps:
            ids[s.layers[-1].name] = s.index + 1
        out = []
        for s in self.steps:
            a = s.anchor
            kind, cands = None, []
            if len(s.layers) == 1 and a.op == "concat" and len(a.inputs) == 1:
                kind = "view"
            elif len(s.layers) == 1 and a.op == "reshape" and a.attrs.get("kind") == "flatten":
                kind = "view"
            elif (len(s.layers) == 1 and a.op == "concat"
                  and len(set(a.inputs)) == len(a.inputs)):
                kind, cands = "concat", [ids[t] for t in a.inputs]
            else:
                own = {layer.name for layer in s.layers}
                ew = s.layers if a.op in FUSABLE else s.layers[1:]
                for layer in ew:
                    for t in layer.inputs:
                        if t not in own and self.shapes[t] == s.shape and ids[t] not in cands:
                            cands.append(ids[t])
                kind = "elementwise" if cands else None
            out.append((kind, s.inputs, cands))
        return out

    @cached_property
    def arena(self) -> tuple[list[int], int]:
        """(offsets per buffer id in ``aliasing.buffers()`` order, arena bytes)."""
        al = self.aliasing
        bufs = al.buffers()
        return plan_offsets(list(zip(al.size[bufs].tolist(), al.first[bufs].tolist(),
                                     al.last[bufs].tolist())))

    @property
    def arena_bytes(self) -> int:
        return self.arena[1]

    @property
    def input_bytes(self) -> int:
        return int(self.tensor_bytes[0])

    @property
    def output_tensors(self) -> list[int]:
        """Tensor ids no step reads: the model's outputs."""
        read = {t for s in self.steps for t in s.inputs}
        return [s.index + 1 for s in self.steps if s.index + 1 not in read]

    def totals(self) -> dict:
        return {
            "params": int(self.params.sum()),
            "weight_bytes": int(self.weight_bytes.sum()),
            "macs": int(self.macs.sum()),
            "attn_macs": int(self.attn_macs.sum()),
            "input_bytes": self.input_bytes,
            "largest_activation_bytes": int(self.activation_bytes.max()),
            "sum_activation_bytes": int(self.activation_bytes.sum()),
            "peak_live_bytes": int(self.live_bytes.max()),
            "arena_bytes": int(self.arena_bytes),
        }

    def layer_rows(self) -> list[dict]:
        """One dict per step (name, op, shapes, bytes, params, MACs, inputs, buffers):
        new dicts on every call (callers add their columns); the values are made once
        per footprint (an SRAM drag reuses the footprint: its rows are not rebuilt)."""
        made = self.__dict__.get("_layer_rows")
        if made is None:
            made = self._layer_rows = self._make_layer_rows()
        return [{k: list(v) if isinstance(v, list) else v for k, v in row.items()}
                for row in made]

    def _make_layer_rows(self) -> list[dict]:
        rows = []
        names = [INPUT] + [s.name for s in self.steps]  # inputs by row name
        slices: dict[int, list] = {}
        for u, c in enumerate(self.aliasing.slice_of.tolist()):
            if c >= 0:
                slices.setdefault(c, []).append(names[u])
        for s in self.steps:
            i = s.index
            row = {
                "name": s.name,
                "op": s.op,
                "output_shape": [self.batch, *s.shape],
                "activation_bytes": int(self.activation_bytes[i]),
                "weight_bytes": int(self.weight_bytes[i]),
                "params": int(self.params[i]),
                "macs": int(self.macs[i]),
                "attn_macs": int(self.attn_macs[i]),
                "inputs": [names[t] for t in s.inputs],
                "live_bytes": int(self.live_bytes[i]),
            }
            if s.op in ("conv", "deconv"):
                a = s.anchor.attrs
                row["groups"] = a["groups"]
                row["kernel"] = list(a["kernel"])
                row["stride"] = list(a["stride"])
            if len(s.layers) > 1:
                row["fused"] = [layer.name for layer in s.layers[1:]]
            row.update(self._alias_fields(i + 1, names, slices))
            rows.append(row)
        return rows


    def _alias_fields(self, t: int, names: list, slices: dict) -> dict:
        """Layer-row fields: the buffer tensor ``t`` lives in (named after the tensor
        owning it) and the aliases that put it there."""
        al = self.aliasing
        out = {"buffer": names[int(al.buffer[t])]}
        aliases = []
        if al.kind[t] is not None:
            aliases.append({"kind": al.kind[t], "of": names[int(al.of[t])]})
        if al.slice_of[t] >= 0:
            aliases.append({"kind": "slice_of", "of": names[int(al.slice_of[t])]})
        if t in slices:
            aliases.append({"kind": "concat_of_slices", "of": slices[t]})
        if aliases:
            out["aliases"] = aliases
        return out


def suggest_sizes(model: Model, width: int, height: int, channels: int, reach: int = 256) -> str:
    """'; nearest sizes that work: ...' for a size the model cannot take, or ''."""
    def ok(w, h):
        try:
            infer_shapes(model, w, h, channels)
            return True
        except ShapeError:
            return False

    def near(v):
        """Nearest valid values below and above v on one axis (tested square)."""
        below = next((c for c in range(v - 1, max(v - reach, 0), -1) if ok(c, c)), None)
        above = next((c for c in range(v + 1, v + reach) if ok(c, c)), None)
        return [c for c in (below, above) if c is not None]

    def aligned(v, a=32):
        return [c for c in (v // a * a, -(-v // a) * a) if c > 0 and ok(c, c)]

    ws = [width] if ok(width, width) else near(width) + aligned(width)
    hs = [height] if ok(height, height) else near(height) + aligned(height)
    cands = sorted({(w, h) for w in ws for h in hs if ok(w, h)},
                   key=lambda wh: (abs(wh[0] - width) + abs(wh[1] - height), wh))
    if not cands:
        return ""
    return "; nearest sizes that work: " + ", ".join(f"{w}x{h}" for w, h in cands[:4])
