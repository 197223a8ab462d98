"""Import an ONNX file into an :class:`engine.graph.Model`.

Works on files as PyTorch writes them (``torch.onnx.export`` classic exporter and
``dynamo=True`` with weights in an external ``.onnx.data`` file), opset 11 and up.

How it works
------------
1. The file is memory-mapped and its protobuf is walked at the wire level; weight
   payloads (``raw_data`` and the packed ``*_data`` fields of large initializers) are
   cut out before the protobuf is parsed. Weights are never read: params are counted
   from initializer ``dims``. A 250 MB file costs a few MB of memory and well under a
   second (see ``benchmarks/bench_import.py``).
2. ONNX shape inference runs at one concrete input size (the file's, or the size the
   caller passes when the file's height/width are dynamic), with data propagation.
3. Nodes are walked in order. Shape plumbing (Constant, Shape, Gather, Unsqueeze,
   Concat of ints, Cast, Slice, ConstantOfShape, arithmetic on constants, ...) is
   evaluated to numbers and never becomes a layer. Compute nodes map onto the engine's
   op vocabulary; Dropout/Identity and no-op reshapes become aliases (no layer).
4. Anything else becomes an ``other`` layer with the output shape ONNX inferred (and
   the params of the initializers it uses), is listed in a ``warnings.warn`` and in
   the model's ``notes``: never dropped silently.

Input size and batch stay free: the engine re-infers every shape from the layer
attributes. Reshapes whose targets are literal numbers (they bake in the export
size) are listed in the notes, and ``load(path, width, height)`` refuses a size the
file cannot run at, saying which layers are fixed.
"""
from __future__ import annotations

import math
import mmap
import os
import warnings
from collections import Counter

from ..errors import ModelError
from ..graph import INPUT, Model, make_layer

#: Initializer payloads larger than this (bytes) are cut out before parsing; smaller
#: ones (shape targets, Resize scales, Clip bounds) are kept so they can be evaluated.
KEEP_BYTES = 4096
#: Largest constant (elements) the importer evaluates with numpy.
MAX_CONST_ELEMS = 1 << 16

INSTALL_HINT = "pip install 'sramfit[onnx]'"


class UnsupportedOnnxWarning(UserWarning):
    """Some nodes were kept as 'other' layers (fixed shapes, no MACs)."""


def _onnx():
    try:
        import onnx  # noqa: F401
        import onnx.numpy_helper  # noqa: F401
        import onnx.shape_inference  # noqa: F401
    except ImportError:
        raise ModelError(f"ONNX import needs the 'onnx' package: {INSTALL_HINT}") from None
    return onnx


# ---------------------------------------------------------------------------------
# protobuf wire-level stripping of weight payloads
# ---------------------------------------------------------------------------------
class _Truncated(Exception):
    pass


def _varint(buf, pos, end):
    result = shift = 0
    while True:
        if pos >= end:
            raise _Truncated()
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _Truncated()


def _enc_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(buf, pos, end):
    """Yield (field, wire_type, start_of_field, value_start, value_end) for a message."""
    while pos < end:
        start = pos
        tag, pos = _varint(buf, pos, end)
        field, wt = tag >> 3, tag & 7
        if field == 0:
            raise _Truncated()
        if wt == 0:
            _, pos = _varint(buf, pos, end)
            yield field, wt, start, pos, pos
        elif wt == 1:
            pos += 8
            if pos > end:
                raise _Truncated()
            yield field, wt, start, pos, pos
        elif wt == 5:
            pos += 4
            if pos > end:
                raise _Truncated()
            yield field, wt, start, pos, pos
        elif wt == 2:
            n, pos = _varint(buf, pos, end)
            if pos + n > end:
                raise _Truncated()
            yield field, wt, start, pos, pos + n
            pos += n
        else:
            raise _Truncated()


_TENSOR_DATA_FIELDS = {4, 5, 7, 9, 10, 11}   # float/int32/int64/raw/double/uint64 data


def _strip_tensor(buf, s, e):
    """TensorProto bytes with large payload fields removed (a list of byte chunks)."""
    out, last, changed = [], s, False
    for field, wt, fs, vs, ve in _fields(buf, s, e):
        if field in _TENSOR_DATA_FIELDS and wt == 2 and ve - vs > KEEP_BYTES:
            out.append(buf[last:fs])
            last = ve
            changed = True
    if not changed:
        return None
    out.append(buf[last:e])
    return b"".join(out)


def _strip_graph(buf, s, e):
    out, last = [], s
    for field, wt, fs, vs, ve in _fields(buf, s, e):
        if field == 5 and wt == 2:       # initializer
            new = _strip_tensor(buf, vs, ve)
            if new is not None:
                out.append(buf[last:fs])
                out.append(_enc_varint((5 << 3) | 2) + _enc_varint(len(new)) + new)
                last = ve
    out.append(buf[last:e])
    return b"".join(out)


def _stripped_bytes(path: str) -> bytes:
    """The ModelProto bytes of ``path`` without large weight payloads."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise ModelError(f"{path}: the file is empty; it is not an ONNX model")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            try:
                out, last, graphs = [], 0, 0
                for field, wt, fs, vs, ve in _fields(mm, 0, size):
                    if field == 7 and wt == 2:   # ModelProto.graph
                        g = _strip_graph(mm, vs, ve)
                        out.append(mm[last:fs])
                        out.append(_enc_varint((7 << 3) | 2) + _enc_varint(len(g)) + g)
                        last = ve
                        graphs += 1
                out.append(mm[last:size])
            except _Truncated:
                raise ModelError(
                    f"{path}: the file is truncated or not an ONNX model (its protobuf "
                    f"ends in the middle of a record); re-export or re-copy the file"
                ) from None
            if not graphs:
                raise ModelError(f"{path}: not an ONNX model (no graph found in the "
                                 f"file); expected a file written by torch.onnx.export or "
                                 f"onnx.save")
            return b"".join(out)


# ---------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------
def _attrs(node) -> dict:
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _dims(tensor) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor.dims)


def _has_payload(t) -> bool:
    return bool(t.raw_data or t.float_data or t.int32_data or t.int64_data
                or t.double_data or t.uint64_data or t.string_data)


def _ext_info(t) -> dict:
    return {e.key: e.value for e in t.external_data}


def _type_shape(vi):
    """Concrete dims of a ValueInfo (None for unknown dims), or None if no shape."""
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)


def _fmt_dims(shape) -> str:
    return "x".join("?" if v is None else str(v) for v in shape)


class _Const:
    """A constant value known at import time (shape_dep: derived from a Shape op)."""
    __slots__ = ("value", "shape_dep")

    def __init__(self, value, shape_dep=False):
        self.value, self.shape_dep = value, shape_dep


class _Weight:
    """A weight initializer whose payload was not loaded (counted by dims)."""
    __slots__ = ("name", "dims")

    def __init__(self, name, dims):
        self.name, self.dims = name, dims

    @property
    def size(self):
        return math.prod(self.dims)


class _Act:
    """An activation tensor: the engine tensor (layer name or INPUT) it aliases."""
    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


# ---------------------------------------------------------------------------------
# the importer
# ---------------------------------------------------------------------------------
ACT_OPS = {"Relu": "relu", "LeakyRelu": "leaky", "Sigmoid": "sigmoid", "Tanh": "tanh",
           "HardSwish": "hardswish", "HardSigmoid": "hardsigmoid", "Gelu": "gelu",
           "Mish": "mish", "Silu": "silu", "Swish": "silu", "Elu": "other",
           "Selu": "other", "Softplus": "other", "Softsign": "other", "Celu": "other",
           "ThresholdedRelu": "other", "Erf": "other", "Exp": "other", "Log": "other",
           "Abs": "other", "Neg": "other", "Sqrt": "other", "Reciprocal": "other",
           "Floor": "other", "Ceil": "other", "Round": "other", "Sign": "other",
           "Sin": "other", "Cos": "other", "Not": "other"}
BINARY_OPS = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Max": "max",
              "Min": "min", "Sum": "add"}
PASS_OPS = {"Identity", "Dropout"}


class _Importer:
    def __init__(self, path, width, height):
        self.path = path
        self.onnx = _onnx()
        self.req_size = (width, height)
        self.layers: list = []
        self.names: set[str] = {INPUT}
        self.vals: dict[str, object] = {}
        self.unknown: Counter = Counter()
        self.fixed: list[str] = []          # layers whose shapes are baked in
        self.notes: list[str] = []
        self.readers: Counter = Counter()
        self.producer: dict[str, object] = {}
        self.skip: set[int] = set()
        self.special: dict[int, tuple] = {}
        self.layer_out: dict[str, str] = {}
        self._padded: dict[str, tuple] = {}

    # -- errors ---------------------------------------------------------------------
    def fail(self, msg):
        raise ModelError(f"{self.path}: {msg}")

    # -- reading --------------------------------------------------------------------
    def read(self):
        onnx = self.onnx
        if not os.path.exists(self.path):
            self.fail("file not found")
        if os.path.isdir(self.path):
            self.fail("is a directory, not an ONNX file")
        data = _stripped_bytes(self.path)
        try:
            m = onnx.load_model_from_string(data)
        except Exception as err:  # google.protobuf DecodeError and friends
            self.fail(f"not an ONNX model or the file is damaged ({type(err).__name__}: "
                      f"{err}); expected a file written by torch.onnx.export or onnx.save")
        if not m.graph.node:
            self.fail("not an ONNX model (the graph has no nodes)")
        self.model = m
        self.base_dir = os.path.dirname(os.path.abspath(self.path))
        self._check_external()

    def _check_external(self):
        onnx = self.onnx
        seen = {}
        for t in self.model.graph.initializer:
            if t.data_location != onnx.TensorProto.EXTERNAL:
                continue
            info = _ext_info(t)
            loc = info.get("location", "")
            full = os.path.join(self.base_dir, loc)
            if loc not in seen:
                seen[loc] = os.path.getsize(full) if os.path.isfile(full) else None
            size = seen[loc]
            if size is None:
                self.fail(f"the weights are stored in an external data file {loc!r} "
                          f"that is missing (looked in {self.base_dir}); copy {loc!r} next "
                          f"to the .onnx file (PyTorch's dynamo exporter writes it beside "
                          f"the model)")
            need = int(info.get("offset", 0) or 0) + int(info.get("length", 0) or 0)
            if need > size:
                self.fail(f"the external data file {loc!r} is too short ({size} bytes; "
                          f"tensor {t.name!r} needs {need}): it is truncated; re-copy it "
                          f"with the .onnx file")

    def _const_of(self, t):
        """numpy value of a small initializer / Constant tensor, or None if it is a weight."""
        onnx = self.onnx
        n = math.prod(_dims(t))
        if t.data_location == onnx.TensorProto.EXTERNAL:
            if n > MAX_CONST_ELEMS:
                return None
            info = _ext_info(t)
            full = os.path.join(self.base_dir, info.get("location", ""))
            with open(full, "rb") as fh:
                fh.seek(int(info.get("offset", 0) or 0))
                raw = fh.read(int(info["length"]) if "length" in info else -1)
            t2 = onnx.TensorProto()
            t2.CopyFrom(t)
            del t2.external_data[:]
            t2.data_location = onnx.TensorProto.DEFAULT
            t2.raw_data = raw
            t = t2
        elif n > 0 and not _has_payload(t):
            return None     # payload cut out: a weight
        if n > MAX_CONST_ELEMS:
            return None
        try:
            return onnx.numpy_helper.to_array(t)
        except Exception:
            return None

    # -- size and shape inference -----------------------------------------------------
    def setup_input(self):
        g = self.model.graph
        inits = {t.name for t in g.initializer}
        inputs = [vi for vi in g.input if vi.name not in inits]
        if len(inputs) != 1:
            names = ", ".join(vi.name for vi in inputs) or "none"
            self.fail(f"the graph has {len(inputs)} data inputs ({names}); sramfit imports "
                      f"models with one image input (N x C x H x W)")
        vi = inputs[0]
        shape = _type_shape(vi)
        if shape is None or len(shape) != 4:
            self.fail(f"input {vi.name!r} has shape "
                      f"{_fmt_dims(shape) if shape else 'unknown'}; sramfit imports models "
                      f"with one 4-D image input (N x C x H x W)")
        _, c, h, w = shape
        if c is None:
            self.fail(f"input {vi.name!r}: the channel count is dynamic; re-export with a "
                      f"fixed channel count")
        rw, rh = self.req_size
        self.file_size = (w, h) if w is not None and h is not None else None
        if self.file_size is None and (rw is None or rh is None):
            self.fail(f"input {vi.name!r} has dynamic height/width "
                      f"({_fmt_dims(shape)}); pass the input size, e.g. --input 640x480")
        self.build_size = self.file_size or (rw, rh)
        self.channels = c
        self.input_name = vi.name
        self.vals[vi.name] = _Act(INPUT)

    def infer(self):
        onnx = self.onnx
        m = onnx.ModelProto()
        m.CopyFrom(self.model)
        g = m.graph
        del g.value_info[:]
        for vi in g.output:
            vi.type.tensor_type.ClearField("shape")
        w, h = self.build_size
        for vi in g.input:
            if vi.name == self.input_name:
                dims = vi.type.tensor_type.shape.dim
                for d, v in zip(dims, (1, self.channels, h, w)):
                    d.Clear()
                    d.dim_value = v
        try:
            m = onnx.shape_inference.infer_shapes(m, check_type=False, strict_mode=False,
                                                  data_prop=True)
        except Exception as err:
            warnings.warn(f"{self.path}: ONNX shape inference failed ({err}); importing "
                          f"with the shapes sramfit can derive itself", UnsupportedOnnxWarning,
                          stacklevel=3)
        self.shapes = {}
        for vi in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input):
            s = _type_shape(vi)
            if s is not None and all(v is not None for v in s):
                self.shapes[vi.name] = s
        self.shapes[self.input_name] = (1, self.channels, h, w)

    # -- layer creation -------------------------------------------------------------
    def _name(self, node, out):
        base = (node.name or "").strip("/") or out or node.op_type
        if base == INPUT:
            base = f"{INPUT}_{node.op_type}"
        name, i = base, 1
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        return name

    def emit(self, node, out, op, inputs, attrs=None, name=None):
        name = name or self._name(node, out)
        try:
            layer = make_layer(name, op, inputs, attrs or {})
        except ModelError as err:
            self.fail(f"node {node.name or node.op_type!r} ({node.op_type}): {err}")
        self.layers.append(layer)
        self.names.add(name)
        self.vals[out] = _Act(name)
        self.layer_out[name] = out
        return name

    def emit_other(self, node, reason=None):
        """Unknown / unmappable node: one 'other' layer per consumed output."""
        acts = [self.vals[i].tensor for i in node.input if isinstance(self.vals.get(i), _Act)]
        if not acts:
            acts = [INPUT]
        params = sum(math.prod(self.init_dims[i]) if i in self.init_dims else self.vals[i].size
                     for i in set(node.input)
                     if i in self.init_dims or isinstance(self.vals.get(i), _Weight))
        first_in = next((i for i in node.input if isinstance(self.vals.get(i), _Act)), None)
        in_shape = self.shapes.get(first_in) if first_in else None
        self.unknown[node.op_type if reason is None else f"{node.op_type} ({reason})"] += 1
        for k, out in enumerate(node.output):
            if not out or (k > 0 and not self.readers[out]):
                continue
            s = self.shapes.get(out)
            if s is None:
                self.fail(f"node {node.name or node.op_type!r} ({node.op_type}) is not "
                          f"supported and ONNX shape inference gives no shape for its "
                          f"output {out!r}; sramfit cannot continue past it")
            if len(s) == 0 or s[0] != 1:
                per_image = tuple(s)
            else:
                per_image = tuple(s[1:])
            same = in_shape is not None and tuple(s) == tuple(in_shape)
            name = self.emit(node, out, "other", acts,
                             {"type": node.op_type,
                              "out_shape": None if same else per_image,
                              "params": params if k == 0 else 0})
            if not same:
                self.fixed.append(name)

    def alias(self, out, src):
        self.vals[out] = self.vals[src]

    # -- the walk ---------------------------------------------------------------------
    def run(self):
        self.read()
        g = self.model.graph
        self.init_names = {t.name for t in g.initializer}
        self.init_dims = {t.name: _dims(t) for t in g.initializer}
        self.literals: set[str] = set()
        for t in g.initializer:
            v = self._const_of(t)
            self.vals[t.name] = _Const(v) if v is not None else _Weight(t.name, _dims(t))
        self.setup_input()
        self.infer()
        nodes = self._toposort(list(g.node))
        for n in nodes:
            for i in n.input:
                if i:
                    self.readers[i] += 1
            for o in n.output:
                self.producer[o] = n
        for vi in g.output:
            self.readers[vi.name] += 1
        self._patterns(nodes)
        for idx, node in enumerate(nodes):
            if idx in self.skip:
                continue
            self.node(idx, node)
        if not self.layers:
            self.fail("no compute layers found (the graph only has constants)")
        return self.finish()

    def _toposort(self, nodes):
        known = set(self.vals) | {""}
        ok = True
        for n in nodes:
            if any(i not in known for i in n.input):
                ok = False
                break
            known.update(n.output)
        if ok:
            return nodes
        known = set(self.vals) | {""}
        pending, out = list(nodes), []
        while pending:
            rest = [n for n in pending if not all(i in known for i in n.input)]
            ready = [n for n in pending if all(i in known for i in n.input)]
            if not ready:
                missing = sorted({i for n in rest for i in n.input if i not in known})
                self.fail(f"the graph reads tensors nothing produces: {', '.join(missing[:5])}")
            for n in ready:
                known.update(n.output)
            out += ready
            pending = rest
        return out

    def _patterns(self, nodes):
        """x * sigmoid(x) -> silu, x * hardsigmoid(x) -> hardswish; Pad into conv/pool."""
        for idx, n in enumerate(nodes):
            if n.op_type in ("Sigmoid", "HardSigmoid") and self.readers[n.output[0]] == 1:
                x = n.input[0]
                for j in range(idx + 1, len(nodes)):
                    m = nodes[j]
                    if n.output[0] in m.input:
                        if m.op_type == "Mul" and set(m.input) == {x, n.output[0]}:
                            hs = n.op_type == "HardSigmoid"
                            a = _attrs(n)
                            if hs and not (abs(a.get("alpha", 0.2) - 1 / 6) < 1e-6
                                           and abs(a.get("beta", 0.5) - 0.5) < 1e-6):
                                break
                            self.skip.add(idx)
                            self.special[j] = ("act", "hardswish" if hs else "silu", x)
                        break

    def node(self, idx, node):
        op = node.op_type
        ins = list(node.input)
        if idx in self.special:
            kind, fn, x = self.special[idx]
            self.emit(node, node.output[0], "act", [self.vals[x].tensor], {"fn": fn})
            return
        kinds = [self.vals.get(i) if i else None for i in ins]
        if any(i and i not in self.vals for i in ins):
            self.fail(f"node {node.name or op!r} ({op}) reads {ins} but some are unknown")
        acts = [i for i, k in zip(ins, kinds) if isinstance(k, _Act)]
        if node.domain not in ("", "ai.onnx"):
            if not acts:
                return self.const_node(node, kinds)
            return self.emit_other(node)
        if not acts:
            return self.const_node(node, kinds)
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            if op in ACT_OPS:
                return self.act(node, ACT_OPS[op])
            if op in BINARY_OPS:
                return self.binary(node, kinds)
            return self.emit_other(node)
        return handler(node, kinds)

    # -- constants ------------------------------------------------------------------
    def const_node(self, node, kinds):
        """A node whose inputs are all constants or weights: evaluate it or drop it."""
        if node.op_type == "Shape" and isinstance(kinds[0], _Weight):
            import numpy as np
            a = _attrs(node)
            dims = kinds[0].dims
            self.vals[node.output[0]] = _Const(
                np.array(dims, dtype=np.int64)[a.get("start", 0):a.get("end", len(dims))])
            return
        if any(isinstance(k, _Weight) for k in kinds):
            # weight preprocessing (e.g. a transposed or reshaped weight): keep dims
            for o in node.output:
                s = self.shapes.get(o)
                w = next(k for k in kinds if isinstance(k, _Weight))
                self.vals[o] = _Weight(w.name, s if s is not None else w.dims)
            return
        shape_dep = any(isinstance(k, _Const) and k.shape_dep for k in kinds)
        try:
            outs = self.evaluate(node, [k.value if k is not None else None for k in kinds])
        except Exception as err:
            self.fail(f"cannot evaluate the constant node {node.name or node.op_type!r} "
                      f"({node.op_type}): {err}")
        if node.op_type == "Constant" or (
                node.op_type == "Identity" and (node.input[0] in self.init_names
                                                or node.input[0] in self.literals)):
            self.literals.update(node.output)   # the classic exporter dedups via Identity
        for o, v in zip(node.output, outs):
            if v is None:
                continue
            self.vals[o] = _Const(v, shape_dep)

    def evaluate(self, node, values):
        import numpy as np
        op, a = node.op_type, _attrs(node)
        if op == "Constant":
            if "value" in a:
                return [self.onnx.numpy_helper.to_array(a["value"])]
            for k, dt in (("value_float", np.float32), ("value_int", np.int64),
                          ("value_floats", np.float32), ("value_ints", np.int64)):
                if k in a:
                    return [np.array(a[k], dtype=dt)]
        if op in ("Identity", "Cast", "CastLike") and values[0] is not None:
            if op == "Identity":
                return [values[0]]
        # general path: the ONNX reference evaluator on a one-node model
        from onnx.reference import ReferenceEvaluator
        feeds = {}
        inputs = []
        for i, v in zip(node.input, values):
            if not i:
                continue
            feeds[i] = np.asarray(v)
            inputs.append(self.onnx.helper.make_tensor_value_info(i, 0, None))
        outputs = [self.onnx.helper.make_tensor_value_info(o, 0, None) for o in node.output
                   if o]
        graph = self.onnx.helper.make_graph([node], "c", inputs, outputs)
        opsets = [self.onnx.helper.make_opsetid(o.domain, o.version)
                  for o in self.model.opset_import]
        mdl = self.onnx.helper.make_model(graph, opset_imports=opsets)
        res = ReferenceEvaluator(mdl).run(None, feeds)
        return list(res)

    # -- compute ops ------------------------------------------------------------------
    def _pads(self, node, a, x, kernel, strides, dilations):
        """Engine padding from ONNX pads / auto_pad, plus a Pad node folded in."""
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pad = "same"
        elif auto == "VALID":
            pad = (0, 0, 0, 0)
        else:
            p = list(a.get("pads", [0, 0, 0, 0]))
            if len(p) != 4:
                return None
            pad = (p[0], p[1], p[2], p[3])
        return pad

    def _fold_pad(self, x):
        """(engine tensor, extra pads (t,l,b,r)) when x is the output of a folded Pad."""
        info = self._padded.get(x)
        return info if info else (self.vals[x].tensor, (0, 0, 0, 0))

    def op_Conv(self, node, kinds):
        a = _attrs(node)
        x, w = node.input[0], kinds[1]
        if not isinstance(kinds[0], _Act) or not isinstance(w, _Weight) and not isinstance(
                w, _Const):
            return self.emit_other(node, "weights are not an initializer")
        wd = w.dims if isinstance(w, _Weight) else tuple(w.value.shape)
        if len(wd) != 4:
            return self.emit_other(node, f"{len(wd) - 2}-D")
        kernel = tuple(a.get("kernel_shape", wd[2:]))
        strides = tuple(a.get("strides", (1, 1)))
        dil = tuple(a.get("dilations", (1, 1)))
        pad = self._pads(node, a, x, kernel, strides, dil)
        src, extra = self._fold_pad(x)
        if pad == "same" and extra != (0, 0, 0, 0):
            return self.emit_other(node, "Pad before auto_pad")
        if pad != "same":
            pad = tuple(p + e for p, e in zip(pad, extra))
        has_bias = len(node.input) > 2 and self._real_bias(node.input[2], kinds[2])
        self.emit(node, node.output[0], "conv", [src],
                  {"out": wd[0], "kernel": kernel, "stride": strides, "padding": pad,
                   "dilation": dil, "groups": int(a.get("group", 1)), "bias": has_bias})
        self._check_conv(node, wd)

    def _real_bias(self, name, kind):
        """An initializer or Constant node is a real bias (folded BatchNorm biases can be
        all zeros); a *computed* all-zero constant (the dynamo exporter's unoptimised
        graphs Expand a 0 into a bias for bias-free convs) is not."""
        if not name or kind is None or isinstance(kind, _Act):
            return False
        if name in self.init_names or name in self.literals or isinstance(kind, _Weight):
            return True
        return bool((kind.value != 0).any())

    def op_CastLike(self, node, kinds):
        if isinstance(kinds[0], _Const):
            self.vals[node.output[0]] = kinds[0]
        else:
            self.alias(node.output[0], node.input[0])

    def op_Cast(self, node, kinds):
        self.alias(node.output[0], node.input[0])

    def _check_conv(self, node, wd):
        layer = self.layers[-1]
        s = self.shapes.get(node.input[0])
        if s is not None and len(s) == 4 and s[1] // layer.attrs["groups"] != wd[1]:
            self.fail(f"node {node.name!r} (Conv): weight {_fmt_dims(wd)} does not fit "
                      f"{s[1]} input channels with group={layer.attrs['groups']}")

    def _pool(self, node, kinds, mode):
        a = _attrs(node)
        if tuple(a.get("dilations", (1, 1))) != (1, 1):
            return self.emit_other(node, "dilated pool")
        kernel = tuple(a["kernel_shape"])
        if len(kernel) != 2:
            return self.emit_other(node, f"{len(kernel)}-D")
        strides = tuple(a.get("strides", (1, 1)))
        pad = self._pads(node, a, node.input[0], kernel, strides, (1, 1))
        src, extra = self._fold_pad(node.input[0])
        if pad == "same" and extra != (0, 0, 0, 0):
            return self.emit_other(node, "Pad before auto_pad")
        if pad != "same":
            pad = tuple(p + e for p, e in zip(pad, extra))
        self.emit(node, node.output[0], "pool", [src],
                  {"mode": mode, "kernel": kernel, "stride": strides, "padding": pad,
                   "ceil_mode": bool(a.get("ceil_mode", 0))})

    def op_MaxPool(self, node, kinds):
        return self._pool(node, kinds, "max")

    def op_AveragePool(self, node, kinds):
        return self._pool(node, kinds, "avg")

    def _global(self, node, mode):
        s = self.shapes.get(node.input[0])
        if s is not None and len(s) != 4:
            return self.emit_other(node, "not 2-D")
        self.emit(node, node.output[0], "pool", [self.vals[node.input[0]].tensor],
                  {"mode": mode, "global": True})

    def op_GlobalAveragePool(self, node, kinds):
        return self._global(node, "avg")

    def op_GlobalMaxPool(self, node, kinds):
        return self._global(node, "max")

    def _reduce(self, node, kinds, mode):
        a = _attrs(node)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            k = kinds[1]
            axes = list(k.value.reshape(-1)) if isinstance(k, _Const) else None
        s = self.shapes.get(node.input[0])
        if axes is None or s is None or len(s) != 4:
            return self.emit_other(node)
        if sorted(int(v) % 4 for v in axes) != [2, 3]:
            return self.emit_other(node)
        out = node.output[0]
        if a.get("keepdims", 1):
            self.emit(node, out, "pool", [self.vals[node.input[0]].tensor],
                      {"mode": mode, "global": True})
        else:
            name = self._name(node, out)
            self.emit(node, out + "#pool", "pool", [self.vals[node.input[0]].tensor],
                      {"mode": mode, "global": True}, name=name + "_pool")
            self.emit(node, out, "reshape", [name + "_pool"], {"kind": "flatten"}, name=name)

    def op_ReduceMean(self, node, kinds):
        return self._reduce(node, kinds, "avg")

    def op_ReduceMax(self, node, kinds):
        return self._reduce(node, kinds, "max")

    def op_BatchNormalization(self, node, kinds):
        self.emit(node, node.output[0], "norm", [self.vals[node.input[0]].tensor],
                  {"kind": "batch", "affine": True})

    def op_InstanceNormalization(self, node, kinds):
        self.emit(node, node.output[0], "norm", [self.vals[node.input[0]].tensor],
                  {"kind": "instance", "affine": True})

    def act(self, node, fn):
        x = self.vals[node.input[0]]
        if not isinstance(x, _Act):
            return self.emit_other(node)
        self.emit(node, node.output[0], "act", [x.tensor], {"fn": fn})

    def op_Clip(self, node, kinds):
        a = _attrs(node)
        lo, hi = a.get("min"), a.get("max")
        if len(node.input) > 1 and node.input[1]:
            lo = float(kinds[1].value) if isinstance(kinds[1], _Const) else None
        if len(node.input) > 2 and node.input[2]:
            hi = float(kinds[2].value) if isinstance(kinds[2], _Const) else None
        fn = "relu6" if (lo == 0 and hi == 6) else ("relu" if lo == 0 and hi is None
                                                     else "clip")
        return self.act(node, fn)

    def op_PRelu(self, node, kinds):
        return self.emit_other(node)

    def op_Softmax(self, node, kinds):
        a = _attrs(node)
        self.emit(node, node.output[0], "softmax", [self.vals[node.input[0]].tensor],
                  {"axis": int(a.get("axis", -1))})

    op_LogSoftmax = op_Softmax

    def op_Identity(self, node, kinds):
        self.alias(node.output[0], node.input[0])

    op_Dropout = op_Identity

    def binary(self, node, kinds):
        fn = BINARY_OPS[node.op_type]
        acts = [k for k in kinds if isinstance(k, _Act)]
        out = node.output[0]
        if len(acts) == len(kinds) and len(acts) >= 2:
            self.emit(node, out, "add", [k.tensor for k in acts], {"fn": fn})
            return
        # activation op constant
        x = next(i for i, k in zip(node.input, kinds) if isinstance(k, _Act))
        c = next(k for k in kinds if not isinstance(k, _Act))
        xs, os_ = self.shapes.get(x), self.shapes.get(out)
        if xs is not None and os_ is not None and tuple(xs) != tuple(os_):
            return self.emit_other(node, "broadcasts a constant")
        # a real bias: Add of a per-channel initializer right after a conv/fc without bias
        prev = self.layers[-1] if self.layers else None
        if (node.op_type == "Add" and isinstance(c, (_Weight, _Const)) and prev is not None
                and self.vals[x].tensor == prev.name and prev.op in ("conv", "fc")
                and not prev.attrs["bias"] and self.readers[x] == 1):
            n = c.size if isinstance(c, _Weight) else int(c.value.size)
            if n == prev.attrs["out"]:
                attrs = dict(prev.attrs)
                attrs["bias"] = True
                self.layers[-1] = make_layer(prev.name, prev.op, prev.inputs, attrs)
                self.alias(out, x)
                return
        if isinstance(c, _Const):
            v = c.value
            if v.size and ((node.op_type in ("Mul", "Div") and (v == 1).all())
                           or (node.op_type in ("Add", "Sub") and (v == 0).all())):
                self.alias(out, x)
                return
        self.emit(node, out, "act", [self.vals[x].tensor], {"fn": "linear"})

    def op_Concat(self, node, kinds):
        if not all(isinstance(k, _Act) for k in kinds if k is not None):
            return self.emit_other(node, "with constants")
        a = _attrs(node)
        acts = [k.tensor for k in kinds if k is not None]
        if len(acts) == 1:
            return self.alias(node.output[0], node.input[0])
        self.emit(node, node.output[0], "concat", acts, {"axis": int(a.get("axis", 1))})

    def _matmul_w(self, w, trans):
        dims = w.dims if isinstance(w, _Weight) else tuple(w.value.shape)
        if len(dims) != 2:
            return None
        return dims[0] if trans else dims[1], dims

    def op_Gemm(self, node, kinds):
        a = _attrs(node)
        if a.get("transA", 0) or not isinstance(kinds[1], (_Weight, _Const)):
            return self.emit_other(node)
        r = self._matmul_w(kinds[1], a.get("transB", 0))
        if r is None:
            return self.emit_other(node)
        out, dims = r
        bias = len(node.input) > 2 and self._real_bias(node.input[2], kinds[2])
        self.emit(node, node.output[0], "fc", [self.vals[node.input[0]].tensor],
                  {"out": out, "bias": bias})

    def op_MatMul(self, node, kinds):
        if not isinstance(kinds[0], _Act) or not isinstance(kinds[1], (_Weight, _Const)):
            return self.emit_other(node, "of two activations")
        r = self._matmul_w(kinds[1], False)
        if r is None:
            return self.emit_other(node)
        s = self.shapes.get(node.input[0])
        if s is not None and len(s) == 4:
            return self.emit_other(node, "on a feature map")
        self.emit(node, node.output[0], "fc", [self.vals[node.input[0]].tensor],
                  {"out": r[0], "bias": False})

    def op_Resize(self, node, kinds):
        a = _attrs(node)
        x = node.input[0]
        mode = a.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        mode = {"nearest": "nearest", "linear": "bilinear", "cubic": "cubic"}.get(mode)
        scales = sizes = None
        if node.op_type == "Upsample":
            k = kinds[1] if len(kinds) > 1 else None
            scales = k if isinstance(k, _Const) else None
            if scales is None and "scales" in a:
                scales = _Const(__import__("numpy").array(a["scales"]))
        else:
            if len(kinds) > 2 and node.input[2]:
                scales = kinds[2]
            if len(kinds) > 3 and node.input[3]:
                sizes = kinds[3]
        xs = self.shapes.get(x)
        if mode is None or xs is None or len(xs) != 4:
            return self.emit_other(node)
        attrs = {"mode": mode}
        if isinstance(scales, _Const) and scales.value.size == 4 and not (
                isinstance(sizes, _Const) and sizes.value.size):
            sv = [float(v) for v in scales.value.reshape(-1)]
            if sv[:2] != [1.0, 1.0]:
                return self.emit_other(node, "scales N or C")
            attrs["scale"] = (sv[2], sv[3])
        elif isinstance(sizes, _Const) and sizes.value.size == 4:
            sz = [int(v) for v in sizes.value.reshape(-1)]
            if sz[2] % xs[2] == 0 and sz[3] % xs[3] == 0 and sizes.shape_dep:
                attrs["scale"] = (sz[2] // xs[2], sz[3] // xs[3])   # computed from Shape
            else:
                attrs["size"] = (sz[2], sz[3])
        else:
            return self.emit_other(node, "scales not constant")
        name = self.emit(node, node.output[0], "upsample", [self.vals[x].tensor], attrs)
        if "size" in attrs:
            self.fixed.append(name)

    op_Upsample = op_Resize

    def op_Transpose(self, node, kinds):
        a = _attrs(node)
        s = self.shapes.get(node.input[0])
        perm = list(a.get("perm", [])) or (list(range(len(s)))[::-1] if s else [])
        if not perm or perm[0] != 0:
            return self.emit_other(node, "moves the batch axis")
        if perm == sorted(perm):
            return self.alias(node.output[0], node.input[0])
        self.emit(node, node.output[0], "reshape", [self.vals[node.input[0]].tensor],
                  {"kind": "transpose", "perm": [p - 1 for p in perm[1:]]})

    def op_Flatten(self, node, kinds):
        axis = int(_attrs(node).get("axis", 1))
        s = self.shapes.get(node.input[0])
        if axis < 0 and s is not None:
            axis += len(s)
        if axis < 1:
            return self.emit_other(node, "flattens the batch")
        if s is not None and axis == len(s) - 1:
            return self.alias(node.output[0], node.input[0])
        self.emit(node, node.output[0], "reshape", [self.vals[node.input[0]].tensor],
                  {"kind": "flatten", "start_dim": axis})

    def _reshape_like(self, node, kinds, dynamic):
        """Reshape / Squeeze / Unsqueeze on an activation, classified by shapes."""
        x, out = node.input[0], node.output[0]
        xs, os_ = self.shapes.get(x), self.shapes.get(out)
        if xs is None or os_ is None:
            return self.emit_other(node, "unknown shape")
        xs, os_ = tuple(xs), tuple(os_)
        if xs == os_:
            return self.alias(out, x)
        if os_[0] != xs[0]:
            return self.emit_other(node, "changes the batch")
        for k in range(1, len(xs)):
            if os_ == xs[:k] + (math.prod(xs[k:]),):
                return self.emit(node, out, "reshape", [self.vals[x].tensor],
                                 {"kind": "flatten", "start_dim": k})
        target = list(os_[1:])
        name = self.emit(node, out, "reshape", [self.vals[x].tensor],
                         {"kind": "shape", "shape": target})
        if len(xs) > 2:
            self.fixed.append(name)

    def op_Reshape(self, node, kinds):
        k = kinds[1]
        dynamic = isinstance(k, _Const) and k.shape_dep
        if not isinstance(k, _Const):
            return self._reshape_like(node, kinds, True)
        return self._reshape_like(node, kinds, dynamic)

    def op_Squeeze(self, node, kinds):
        return self._reshape_like(node, kinds, False)

    op_Unsqueeze = op_Squeeze

    def op_Expand(self, node, kinds):
        xs, os_ = self.shapes.get(node.input[0]), self.shapes.get(node.output[0])
        if xs is not None and xs == os_:
            return self.alias(node.output[0], node.input[0])
        return self.emit_other(node)

    def op_Shape(self, node, kinds):
        import numpy as np
        s = self.shapes.get(node.input[0])
        if s is None:
            self.fail(f"node {node.name or 'Shape'!r}: the shape of {node.input[0]!r} is "
                      f"unknown; pass the input size, e.g. --input 640x480")
        a = _attrs(node)
        v = np.array(s, dtype=np.int64)[a.get("start", 0):a.get("end", len(s))]
        self.vals[node.output[0]] = _Const(v, True)

    def op_Size(self, node, kinds):
        import numpy as np
        s = self.shapes.get(node.input[0])
        self.vals[node.output[0]] = _Const(np.array(math.prod(s), dtype=np.int64), True)

    def op_Pad(self, node, kinds):
        a = _attrs(node)
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        pads = a.get("pads")
        if pads is None and len(node.input) > 1 and isinstance(kinds[1], _Const):
            pads = [int(v) for v in kinds[1].value.reshape(-1)]
        out = node.output[0]
        consumers = [n for n in self.model.graph.node if out in n.input]
        if (mode == "constant" and pads is not None and len(pads) == 8
                and pads[0] == pads[1] == pads[4] == pads[5] == 0 and min(pads) >= 0
                and consumers and self.readers[out] == len(consumers)
                and all(c.op_type in ("Conv", "MaxPool", "AveragePool") for c in consumers)):
            self._padded[out] = (self.vals[node.input[0]].tensor,
                                 (pads[2], pads[3], pads[6], pads[7]))
            self.vals[out] = self.vals[node.input[0]]
            return
        return self.emit_other(node)

    # -- result ---------------------------------------------------------------------
    def finish(self):
        from ..shapes import infer_shapes
        name = os.path.splitext(os.path.basename(self.path))[0]
        m = self.model
        notes = [f"imported from {os.path.basename(self.path)} (producer "
                 f"{m.producer_name or '?'} {m.producer_version or ''}".rstrip() +
                 f", opset {max((o.version for o in m.opset_import if o.domain in ('', 'ai.onnx')), default='?')})"]
        if self.unknown:
            listing = ", ".join(f"{op} x{n}" for op, n in sorted(self.unknown.items()))
            msg = (f"{sum(self.unknown.values())} node(s) kept as 'other' layers (no MACs "
                   f"counted; output shapes from ONNX shape inference): {listing}")
            notes.append(msg)
            warnings.warn(f"{self.path}: {msg}", UnsupportedOnnxWarning, stacklevel=3)
        w, h = self.build_size
        if self.fixed:
            notes.append(f"{len(self.fixed)} layer(s) have output shapes fixed at the "
                         f"export size {w}x{h} (literal Reshape targets, Resize sizes or "
                         f"unsupported ops): {', '.join(self.fixed[:6])}"
                         f"{' ...' if len(self.fixed) > 6 else ''}; other input sizes may "
                         f"fail or be wrong: re-export at the size you need")
        self.notes = notes
        size = (self.req_size[0] or w, self.req_size[1] or h)
        model = Model(name, tuple(self.layers), self.channels, (int(w), int(h)),
                      source=f"ONNX file {self.path}", notes="; ".join(notes))
        # the engine's own shapes must agree with ONNX's at the build size
        eng = infer_shapes(model, w, h)
        bad = []
        for layer in self.layers:
            s = self.shapes.get(self.layer_out.get(layer.name, ""))
            if s is not None and len(s) and s[0] == 1 and tuple(s[1:]) != eng[layer.name]:
                bad.append(f"{layer.name} ({layer.op}): ONNX {_fmt_dims(s[1:])}, "
                           f"sramfit {_fmt_dims(eng[layer.name])}")
        if bad:
            msg = (f"{len(bad)} layer(s) get a different output shape in sramfit than in "
                   f"ONNX shape inference: {'; '.join(bad[:4])}")
            notes.append(msg)
            warnings.warn(f"{self.path}: {msg}", UnsupportedOnnxWarning, stacklevel=3)
        if size != (w, h):
            from ..errors import ShapeError
            if self.fixed:
                self.fail(f"the graph bakes in its export size {w}x{h} (layers "
                          f"{', '.join(self.fixed[:4])}{' ...' if len(self.fixed) > 4 else ''}"
                          f" have fixed shapes), so it cannot be analysed at "
                          f"{size[0]}x{size[1]}: re-export the model at "
                          f"{size[0]}x{size[1]} or with dynamic height/width")
            try:
                infer_shapes(model, size[0], size[1])
            except ShapeError as err:
                self.fail(f"cannot run at {size[0]}x{size[1]}: {err}")
            model = Model(name, model.layers, model.channels, (int(size[0]), int(size[1])),
                          model.source, model.notes)
        return model


def load(path, width: int | None = None, height: int | None = None) -> Model:
    """Import an ONNX file. ``width``/``height`` are needed only when the file's input
    height/width are dynamic; when given for a static file, the model is checked to run
    at that size and it becomes the model's default size."""
    path = os.fspath(path)
    return _Importer(path, width, height).run()
