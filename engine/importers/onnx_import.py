"""Import an ONNX file into an :class:`engine.graph.Model`.

Works on files as PyTorch writes them (``torch.onnx.export`` classic exporter and
``dynamo=True``, optimised or not, weights inside or in an external ``.onnx.data``
file), opset 11 and up.

How it works
------------
1. The file is memory-mapped and its protobuf is walked at the wire level; weight
   payloads (``raw_data`` and the packed ``*_data`` fields of large initializers) are
   cut out before the protobuf is parsed (where each cut payload lies is recorded).
   Params are counted from initializer ``dims``; a weight's values are read back only
   where they decide a count: a constant added to attention scores (a folded
   relative-position table, see 4) and small weights (at most ``SMALL_WEIGHT``
   elements) that constant ops work on (Swin-V2's position-bias MLP). External data is
   opened only inside the model's folder (no absolute path, no ``..``, no symlink
   out), after its offset and length are checked.
2. The graph is built **at the size asked for** (the file's own size when none is
   given): the input's height/width are set there, and ONNX shape inference runs once,
   only as a fallback for ops sramfit does not translate and as a cross-check.
3. Nodes are walked in order. Shape plumbing (Constant, Shape, Gather, Concat, Cast,
   Range, Expand, ConstantOfShape, arithmetic, ...) is *evaluated* to numbers, with the
   ONNX reference evaluator, one node at a time, refusing any constant over
   ``MAX_EVAL_ELEMS`` before it is built. (onnxslim would fold the same subgraphs but
   rewrites the whole model and pulls in its own dependencies; the reference evaluator
   ships with onnx and sees only tensors sramfit already holds.)
4. Compute nodes become engine layers, and every activation's shape is the **engine's
   own** (``shapes.layer_shape``), not ONNX's value_info. Each activation carries the
   position of its batch axis (moved by Transpose, merged into another axis by the
   sequence-first attention of ``nn.MultiheadAttention``), so per-image shapes of any
   rank come out right: tokens T x C, channels-last H x W x C, heads x T x T.
   MatMul/Gemm/Einsum with a weight are ``fc`` (fan-in recorded and checked); of two
   activations they are ``matmul`` (attention MACs). Elementwise ops with a learned
   operand (layer scale, position embedding) count its params; a bias added to
   attention scores whose heads repeat one index pattern is a gathered table and
   counts the table (PyTorch's count). A constant computed from parameters carries
   their count and the MACs spent on it (an MLP run on a buffer: a 'constant
   subgraph' layer); where the exporter folded such layers away, a warning says
   PyTorch counts them. Slice/Split/Gather/Pad on activations are engine reshapes.
   A LayerNorm whose B input is absent (dynamo) or a Constant *node* of zeros (the
   classic exporter's placeholder for ``bias=False``) is a norm with ``bias: false``
   (the scale alone, PyTorch's count); a bias *initializer* stays learned even when
   all zero (an untrained model's). A one-value float initializer is a parameter when
   the file names it by a module path (StarReLU's ``scale`` and ``bias``), a literal
   otherwise (a Constant node; an attention scale the exporter named ``val_7``); a
   blend ``a * (1 - g) + b * g`` whose two gates are stored (ConViT's gating parameter
   folded by the optimised dynamo export) counts the gate once.
5. Retargeting: a Reshape target written as literal numbers (the classic exporter bakes
   ``x.size()``) is re-derived from its shapes at the export size (a probe import) when
   the size change only copies or merges axes (or reshapes back to an earlier tensor's
   shape); a target, slice, Resize size, Gemm in-features, position embedding or
   'same' padding written as numbers that cannot hold at the new size is refused in one
   line naming the node and the export size, never reported wrong.
6. Anything else becomes an ``other`` layer with the output shape ONNX inferred (and
   the params of the weights it uses), is listed in a ``warnings.warn`` and in the
   model's ``notes``: never dropped silently.

Every malformed file raises one :class:`ModelError` line naming the file (and the node
or field); resource caps (constants evaluated, tensor elements, nodes) name the limit.
"""
from __future__ import annotations

import math
import mmap
import os
import re
import warnings
from collections import Counter

from ..errors import ModelError, SramfitError
from ..graph import INPUT, Model, make_layer

#: Initializer payloads larger than this (bytes) are cut out before parsing; smaller
#: ones (shape targets, Resize scales, Clip bounds) are kept so they can be evaluated.
KEEP_BYTES = 4096
#: Largest initializer (elements) whose values are read (a position table, a bias);
#: bigger ones are weights, counted by their dims and never loaded.
MAX_CONST_ELEMS = 1 << 20
#: Resource cap: largest constant (elements) the importer evaluates with numpy; a
#: bigger computed constant is refused before it is built (a 239-byte ConstantOfShape
#: must not cost gigabytes). 2^22 float32 values are 16 MiB: MViTv2-T expands its
#: relative-position tables to 1,229,312 values.
MAX_EVAL_ELEMS = 1 << 22
#: Resource cap: elements of one weight or activation tensor in the file (2^40).
MAX_TENSOR_ELEMS = 1 << 40
#: Resource cap: nodes in the graph.
MAX_NODES = 1_000_000

INSTALL_HINT = "pip install 'sramfit[onnx]'"


def _warn(message: str) -> None:
    """Warn in one line (a file's text never brings its own line breaks along)."""
    warnings.warn(" ".join(message.split()), UnsupportedOnnxWarning, stacklevel=4)


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


def _strip_tensor(buf, s, e, cuts):
    """TensorProto bytes with large payload fields removed (a list of byte chunks); where
    each cut payload lies in the file is recorded in ``cuts`` by tensor name (so the
    values of one tensor can be read later, e.g. an attention bias)."""
    out, last, cut, name = [], s, [], None
    for field, wt, fs, vs, ve in _fields(buf, s, e):
        if field == 8 and wt == 2:                          # TensorProto.name
            name = bytes(buf[vs:ve])
        if field in _TENSOR_DATA_FIELDS and wt == 2 and ve - vs > KEEP_BYTES:
            out.append(buf[last:fs])
            last = ve
            cut.append((field, vs, ve))
    if not cut:
        return None
    if name is not None:
        cuts[name.decode("utf-8", "replace")] = cut
    out.append(buf[last:e])
    return b"".join(out)


def _strip_graph(buf, s, e, cuts):
    out, last = [], s
    for field, wt, fs, vs, ve in _fields(buf, s, e):
        if field == 5 and wt == 2:       # initializer
            new = _strip_tensor(buf, vs, ve, cuts)
            if new is not None:
                out.append(buf[last:fs])
                out.append(_enc_varint((5 << 3) | 2) + _enc_varint(len(new)) + new)
                last = ve
    out.append(buf[last:e])
    return b"".join(out)


def _stripped_bytes(path: str, cuts: dict | None = None) -> bytes:
    """The ModelProto bytes of ``path`` without large weight payloads (where they lie in
    the file goes into ``cuts``, by tensor name)."""
    cuts = {} if cuts is None else cuts
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise ModelError(f"{path}: the file is empty; it is not an ONNX model")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            try:
                out, last, graphs = [], 0, 0
                for field, wt, fs, vs, ve in _fields(mm, 0, size):
                    if field == 7 and wt == 2:   # ModelProto.graph
                        g = _strip_graph(mm, vs, ve, cuts)
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


def _checked_dims(tensor, fail) -> tuple[int, ...]:
    dims = _dims(tensor)
    if any(d < 0 for d in dims):
        fail(f"tensor {tensor.name!r}: dims {list(dims)} are negative")
    if math.prod(dims) > MAX_TENSOR_ELEMS:
        fail(f"tensor {tensor.name!r}: dims {list(dims)} give {math.prod(dims):,} "
             f"elements, over the limit of {MAX_TENSOR_ELEMS:,} elements per tensor")
    return dims


def _check_text(m, fail):
    """Every name must be text: protobuf hands back bytes for invalid UTF-8."""
    g = m.graph
    for i, n in enumerate(g.node):
        for field, v in (("name", n.name), ("op_type", n.op_type), ("domain", n.domain)):
            if isinstance(v, bytes):
                fail(f"node #{i}: field {field!r} is not valid UTF-8 text")
        for field, vs in (("input", n.input), ("output", n.output)):
            if any(isinstance(v, bytes) for v in vs):
                fail(f"node #{i} ({n.op_type if isinstance(n.op_type, str) else '?'}): a "
                     f"name in field {field!r} is not valid UTF-8 text")
        if any(isinstance(a.name, bytes) for a in n.attribute):
            fail(f"node #{i}: an attribute name is not valid UTF-8 text")
    for field, items in (("initializer", g.initializer), ("input", g.input),
                         ("output", g.output), ("value_info", g.value_info)):
        if any(isinstance(t.name, bytes) for t in items):
            fail(f"graph field {field!r}: a name is not valid UTF-8 text")
    for t in g.initializer:
        if any(isinstance(e.key, bytes) or isinstance(e.value, bytes)
               for e in t.external_data):
            fail(f"tensor {t.name!r}: external data fields are not valid UTF-8 text")
    for field in ("producer_name", "producer_version"):
        if isinstance(getattr(m, field), bytes):
            fail(f"model field {field!r} is not valid UTF-8 text")


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


def _concrete_shape(vi):
    """A ValueInfo's dims when every one is known and not negative, else None."""
    s = _type_shape(vi)
    return s if s is not None and all(v is not None and v >= 0 for v in s) else None


def _broadcast(a, b):
    """numpy's broadcast of two shapes (ONNX's rule), or None when they do not broadcast
    (3 against 5) or hold a negative size."""
    import numpy as np
    try:
        return tuple(int(d) for d in np.broadcast_shapes(tuple(a), tuple(b)))
    except (ValueError, TypeError):
        return None


def _gathered_count(v) -> int | None:
    """How many values a table holds when ``v`` is that table gathered by an index
    pattern shared by every slice along one axis of two or more (the heads of an
    attention bias): along the axis that gives the fewest, heads x distinct columns (two
    random values may be equal; whole columns over several heads are not). The full
    size when no value repeats or one value fills it all (a constant initialisation);
    None when values repeat in no such pattern (a single head: unknown)."""
    import numpy as np
    v = np.asarray(v)
    best = v.size
    for a, h in enumerate(v.shape):
        if h < 2 or v.size // h < 2:
            continue
        cols = np.moveaxis(v, a, 0).reshape(h, -1)
        k = np.unique(cols, axis=1).shape[1]
        if 2 <= k < cols.shape[1]:
            best = min(best, h * k)
    if best == v.size and 2 <= np.unique(v).size < v.size:
        return None
    return best


#: A name as PyTorch's exporters give a parameter of a submodule: its module path
#: (``stages.0.blocks.1.mlp.act.scale``). Literals are Constant nodes (classic) or
#: initializers the exporter names itself (``val_7``, ``onnx::Mul_12``,
#: ``/blocks.0/Constant_output_0``), never a dotted path of identifiers.
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+")


def _learned_size(name, v) -> int:
    """Parameter values PyTorch counts behind float initializer ``name`` of values
    ``v``: all of them when it holds more than one; one when it holds one value and is
    named as a submodule's parameter (StarReLU's ``scale`` and ``bias``, read by an
    elementwise op); 0 for a one-value literal (an attention scale, a power of 2, an
    epsilon), which no file names as a module path. A one-value parameter of the top
    module itself (no dot in its name) cannot be told from a literal: read as one."""
    if v.dtype.kind != "f" or v.size == 0:
        return 0
    if v.size > 1:
        return int(v.size)
    return 1 if _PARAM_NAME.fullmatch(name) else 0


class _Const:
    """A constant value known at import time (shape_dep: derived from a Shape op;
    learned: how many parameter values PyTorch counts behind it: the size of a float
    initializer of more than one value, kept through reshaped/expanded copies and
    through a Gather from it (Swin's relative-position table indexed into a bias);
    0 for literals and computed constants); origin: the initializers those params are
    (a parameter read by two layers, CaiT's class token joined to the tokens and added
    back, is counted once: :meth:`_Importer.claim`)."""
    __slots__ = ("value", "shape_dep", "learned", "macs", "origin")

    def __init__(self, value, shape_dep=False, learned=0, macs=0, origin=frozenset()):
        self.value, self.shape_dep, self.learned, self.macs = value, shape_dep, learned, macs
        self.origin = origin if learned else frozenset()


class _Weight:
    """A weight initializer whose payload was not loaded (counted by dims)."""
    __slots__ = ("name", "dims")

    def __init__(self, name, dims):
        self.name, self.dims = name, dims

    @property
    def size(self):
        return math.prod(self.dims)


class _Act:
    """An activation tensor: the engine tensor (layer name or INPUT) it aliases, and
    which axis of the ONNX tensor carries the batch (None: merged into another axis,
    as in the classic exporter's sequence-first attention (T, B*heads, d))."""
    __slots__ = ("tensor", "bax")

    def __init__(self, tensor, bax=0):
        self.tensor, self.bax = tensor, bax


class _Seq:
    """A SplitToSequence result: pieces of an activation along one ONNX axis."""
    __slots__ = ("src", "axis", "bounds", "keepdims")

    def __init__(self, src, axis, bounds, keepdims):
        self.src, self.axis, self.bounds, self.keepdims = src, axis, bounds, keepdims


def _full(img, bax):
    """ONNX shape (batch 1) of a per-image shape whose batch axis is ``bax``."""
    img = tuple(img)
    return img if bax is None else img[:bax] + (1,) + img[bax:]


def _new_bax(xs, bax, os_):
    """Where the batch axis goes when a tensor of shape xs is reshaped to os_ (batch 1):
    the size-1 axis after the same number of elements, else the first size-1 axis."""
    if bax is not None:
        pre = math.prod(xs[:bax])
        for j, v in enumerate(os_):
            if v == 1 and math.prod(os_[:j]) == pre:
                return j
        return None
    return next((j for j, v in enumerate(os_) if v == 1), None)


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
#: Ops that only copy, reshape or broadcast a constant (a parameter stays a parameter).
_LAYOUT_OPS = {"Identity", "Expand", "Reshape", "Unsqueeze", "Squeeze", "Cast", "CastLike",
               "Transpose", "Tile", "Flatten"}
#: Ops that index a constant (a parameter table indexed into a bias keeps the table's
#: parameter count).
_INDEX_OPS = {"Gather", "GatherND", "GatherElements"}
#: Elementwise ops on constants: the result stands for the params of its inputs.
_ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Exp", "Log", "Clip", "Sigmoid", "Relu",
                "Tanh", "Neg", "Sqrt", "Abs", "Reciprocal", "Max", "Min", "Softplus",
                "LeakyRelu", "Gelu", "Erf"}
#: Weights of at most this many elements are read in when constant ops work on them.
SMALL_WEIGHT = 1 << 16


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
        self.layer_bax: dict[str, object] = {}
        self.probing = False
        self.rederived: list[str] = []
        self.tables: list[str] = []         # attention biases counted as gathered tables
        self.unread: list[str] = []         # attention biases counted whole, unread
        self.subgraphs: list[str] = []      # operands computed from params (with MACs)
        self.folded: list[str] = []         # layers the exporter folded away
        self.const_terms: list[str] = []    # stored position terms (maybe folded layers)
        self.gates: dict[str, str] = {}     # Mul output -> its complement gate (a blend)
        self.blends: list[str] = []         # complement gates not counted again

    # -- errors ---------------------------------------------------------------------
    def fail(self, msg):
        raise ModelError(_one_line(f"{self.path}: {msg}"))

    # -- reading --------------------------------------------------------------------
    def read(self):
        onnx = self.onnx
        if not os.path.exists(self.path):
            self.fail("file not found")
        if os.path.isdir(self.path):
            self.fail("is a directory, not an ONNX file")
        self.cuts: dict = {}
        data = _stripped_bytes(self.path, self.cuts)
        try:
            m = onnx.load_model_from_string(data)
        except Exception as err:  # google.protobuf DecodeError and friends
            self.fail(f"not an ONNX model or the file is damaged ({type(err).__name__}: "
                      f"{err}); expected a file written by torch.onnx.export or onnx.save")
        if not m.graph.node:
            self.fail("not an ONNX model (the graph has no nodes)")
        if len(m.graph.node) > MAX_NODES:
            self.fail(f"the graph has {len(m.graph.node):,} nodes, over the limit of "
                      f"{MAX_NODES:,} nodes")
        _check_text(m, self.fail)
        for t in m.graph.initializer:
            _checked_dims(t, self.fail)
        self.model = m
        self.base_dir = os.path.dirname(os.path.abspath(self.path))
        self._check_external()

    def _ext_location(self, t) -> tuple[str, int, int | None]:
        """(confined full path, offset, length or None) of an external tensor. The
        location must name a file inside the model's folder (no absolute path, no
        '..', no symlink leading out): checked before any byte is read."""
        info = _ext_info(t)
        loc = info.get("location", "")
        where = f"tensor {t.name!r}: external data"
        if not loc or os.path.isabs(loc) or loc.startswith(("/", "\\")) or ".." in (
                loc.replace("\\", "/").split("/")) or "\0" in loc or loc[1:2] == ":":
            self.fail(f"{where} location {loc!r} is not a file name inside the model's "
                      f"folder (absolute paths and '..' are refused)")
        full = os.path.join(self.base_dir, loc)
        real, base = os.path.realpath(full), os.path.realpath(self.base_dir)
        if os.path.commonpath([real, base]) != base:
            self.fail(f"{where} location {loc!r} leads out of the model's folder (through "
                      f"a symbolic link); refused")
        nums = []
        for key in ("offset", "length"):
            v = info.get(key)
            if v is None or v == "":
                nums.append(None)
                continue
            if not (v.isascii() and v.isdigit()) or len(v) > 19:
                self.fail(f"{where} field {key!r} must be a non-negative whole number of "
                          f"bytes, got {v[:40]!r}")
            nums.append(int(v))
        return full, nums[0] or 0, nums[1]

    def _check_external(self):
        onnx = self.onnx
        seen = {}
        for t in self.model.graph.initializer:
            if t.data_location != onnx.TensorProto.EXTERNAL:
                continue
            full, offset, length = self._ext_location(t)
            loc = _ext_info(t)["location"]
            if loc not in seen:
                seen[loc] = os.path.getsize(full) if os.path.isfile(full) else None
            size = seen[loc]
            if size is None:
                self.fail(f"the weights are stored in an external data file {loc!r} "
                          f"that is missing (looked in {self.base_dir}); copy {loc!r} next "
                          f"to the .onnx file (PyTorch's dynamo exporter writes it beside "
                          f"the model)")
            need = offset + (length or 0)
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
            full, offset, length = self._ext_location(t)
            if length is None:
                length = n * 8
            with open(full, "rb") as fh:
                fh.seek(offset)
                raw = fh.read(length)
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

    def _values(self, name):
        """numpy values of initializer ``name`` read on demand, also when the reader cut
        its payload out; None when it is no initializer, is over MAX_CONST_ELEMS or is
        stored in a form not read back here."""
        onnx = self.onnx
        t = self.init_protos.get(name)
        if t is None or math.prod(_dims(t)) > MAX_CONST_ELEMS:
            return None
        if t.data_location == onnx.TensorProto.EXTERNAL or _has_payload(t):
            return self._const_of(t)
        cut = self.cuts.get(name)
        if not cut or len(cut) != 1 or not (cut[0][0] == 9 or (
                cut[0][0] == 4 and t.data_type == onnx.TensorProto.FLOAT)):
            return None
        _, vs, ve = cut[0]
        with open(self.path, "rb") as fh:
            fh.seek(vs)
            raw = fh.read(ve - vs)
        t2 = onnx.TensorProto()
        t2.CopyFrom(t)
        t2.raw_data = raw            # packed float_data is the raw little-endian layout
        try:
            return onnx.numpy_helper.to_array(t2)
        except Exception:            # noqa: BLE001 (a damaged payload: not read back)
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
        # shapes are derived at the size asked for: Shape arithmetic is evaluated there
        self.build_size = (rw, rh) if rw is not None and rh is not None else self.file_size
        if min(self.build_size) < 1:
            self.fail(f"input size {self.build_size[0]}x{self.build_size[1]} is not positive")
        self.channels = c
        self.input_name = vi.name
        self.vals[vi.name] = _Act(INPUT)
        self.eshape = {INPUT: (c, self.build_size[1], self.build_size[0])}

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
            why = str(err)[:200]
            _warn(f"{self.path}: ONNX shape inference failed ({why}); importing with the "
                  f"shapes sramfit can derive itself")
        self.shapes = {}
        for vi in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input):
            s = _concrete_shape(vi)
            if s is not None:
                self.shapes[vi.name] = s
        self.shapes[self.input_name] = (1, self.channels, h, w)
        # ONNX's own answer, kept to cross-check the engine's; self.shapes is overwritten
        # with the engine's shape of every tensor sramfit derives itself
        self.oshapes = dict(self.shapes)

    # -- layer creation -------------------------------------------------------------
    def _name(self, node, out):
        return self._unique((node.name or "").strip("/") or out or node.op_type, node)

    def _unique(self, base, node=None):
        if base == INPUT:
            base = f"{INPUT}_{node.op_type if node is not None else 'layer'}"
        name, i = base, 1
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        return name

    def size_hint(self) -> str:
        if self.file_size and self.file_size != self.build_size:
            return (f"; the file was exported at {self.file_size[0]}x{self.file_size[1]} "
                    f"and runs at that size")
        return ""

    def where(self, node) -> str:
        return f"node {node.name or node.op_type!r} ({node.op_type})"

    def emit(self, node, out, op, inputs, attrs=None, name=None, bax=...):
        """Append one engine layer; its shape comes from the engine's own rules."""
        from ..shapes import layer_shape
        name = self._unique(name) if name else self._name(node, out)
        if bax is ...:
            bax = next((self.vals[i].bax for i in node.input
                        if isinstance(self.vals.get(i), _Act)), 0)
        try:
            layer = make_layer(name, op, inputs, attrs or {})
            shape = layer_shape(layer, self.eshape)
        except SramfitError as err:
            self.fail(f"{self.where(node)}: {err}{self.size_hint()}")
        self.layers.append(layer)
        self.names.add(name)
        self.vals[out] = _Act(name, bax)
        self.shapes[out] = _full(shape, bax)
        self.layer_out[name] = out
        self.layer_bax[name] = bax
        return name

    def img(self, name) -> tuple:
        """Per-image (engine) shape of an activation value."""
        return self.eshape[self.vals[name].tensor]

    def img_axis(self, act, axis, rank):
        """The per-image axis of ONNX axis ``axis`` (None: it is the batch axis)."""
        if not -rank <= axis < rank:
            raise ValueError(f"axis {axis} does not fit a rank-{rank} tensor")
        axis %= rank
        if act.bax is None:
            return axis
        if axis == act.bax:
            return None
        return axis - (axis > act.bax)

    def claim(self, k) -> bool:
        """Whether the params behind constant or weight ``k`` are still to be counted
        (then they are now): a parameter read by two layers (CaiT's class token, joined
        to the tokens and added back to them) is one parameter, as PyTorch counts it.
        A constant with no origin (a literal, or computed from literals) has none. Only
        a tensor of more than one distinct value is taken for one parameter: exporters
        merge equal tensors (the layer scales of an untrained model, all 1e-5, become
        one initializer read by every block), which PyTorch counts per module; a weight
        whose values were not loaded cannot tell, and counts per reader."""
        if isinstance(k, _Weight) or not isinstance(k, _Const):
            return True
        origin = k.origin
        v = k.value
        if not origin or v.size < 2 or (v == v.flat[0]).all():
            return True
        claimed = self.__dict__.setdefault("_claimed", set())
        if origin <= claimed:
            return False
        claimed.update(origin)
        return True

    def note_weight(self, kind, bias=None):
        """Record that the layer just emitted reads ``kind`` as its conv or fc weight
        (and ``bias``, when given, as its bias). A weight read by more than one layer
        (CoaT's shared convolutional position encoding) is counted at each by the
        engine, which has no shared weight: :meth:`finish` warns with the excess. Only
        a tensor of more than one distinct value is taken for one weight (exporters
        merge equal tensors)."""
        def key(k):
            if isinstance(k, _Weight):
                return frozenset([k.name])
            if isinstance(k, _Const) and k.origin and k.value.size > 1 \
                    and not (k.value == k.value.flat[0]).all():
                return k.origin
            return None
        wk = key(kind)
        if wk is None:
            return
        size = kind.size if isinstance(kind, _Weight) else int(kind.value.size)
        bk = key(bias) if bias is not None else None
        bsize = 0 if bk is None else (bias.size if isinstance(bias, _Weight)
                                      else int(bias.value.size))
        self.__dict__.setdefault("weight_readers", {}).setdefault(wk, []).append(
            (self.layers[-1].name, size, bk, bsize))

    def emit_other(self, node, reason=None, known=False):
        """Unknown / unmappable node: one 'other' layer per consumed output (known: an
        op sramfit understands that needs no MACs, such as a reduction over channels-last
        axes; not listed as unsupported)."""
        acts = [self.vals[i].tensor for i in node.input if isinstance(self.vals.get(i), _Act)]
        if not acts:
            acts = [INPUT]
        params = sum(self.vals[i].learned for i in sorted(set(node.input))
                     if isinstance(self.vals.get(i), _Const) and self.claim(self.vals[i])) \
            + sum(self.vals[i].size for i in sorted(set(node.input))
                  if isinstance(self.vals.get(i), _Weight) and self.claim(self.vals[i]))
        first_in = next((i for i in node.input if isinstance(self.vals.get(i), _Act)), None)
        in_shape = self.shapes.get(first_in) if first_in else None
        bax = self.vals[first_in].bax if first_in else 0
        if not known:
            self.unknown[node.op_type if reason is None else f"{node.op_type} ({reason})"] += 1
        if any(o and o not in self.shapes for o in node.output):
            self._node_shapes(node)
        for k, out in enumerate(node.output):
            if not out or (k > 0 and not self.readers[out]):
                continue
            s = self.shapes.get(out)
            if s is None:
                self.fail(f"{self.where(node)} is not supported and ONNX shape inference "
                          f"gives no shape for its output {out!r}; sramfit cannot continue "
                          f"past it")
            b = bax if bax is not None and bax < len(s) and s[bax] == 1 else None
            per_image = tuple(s) if b is None else tuple(s[:b]) + tuple(s[b + 1:])
            same = in_shape is not None and tuple(s) == tuple(in_shape)
            name = self.emit(node, out, "other", acts,
                             {"type": node.op_type,
                              "out_shape": None if same else per_image,
                              "params": params if k == 0 else 0}, bax=b)
            if not same:
                self.fixed.append(name)

    def _node_shapes(self, node):
        """ONNX shape inference on this one node, from the shapes sramfit derived for
        its inputs (and the values of its constant inputs): the whole-graph inference
        loses track behind ops it cannot follow."""
        onnx = self.onnx
        helper = onnx.helper
        inputs, inits = [], []
        for i in node.input:
            if not i:
                continue
            v = self.vals.get(i)
            if isinstance(v, _Const):
                inits.append(onnx.numpy_helper.from_array(v.value, i))
            elif i in self.shapes:
                inputs.append(helper.make_tensor_value_info(i, onnx.TensorProto.FLOAT,
                                                            list(self.shapes[i])))
            else:
                return
        g = helper.make_graph([node], "n", inputs, [], inits)
        opsets = [helper.make_opsetid(o.domain, o.version) for o in self.model.opset_import]
        try:
            m = onnx.shape_inference.infer_shapes(helper.make_model(g, opset_imports=opsets),
                                                  strict_mode=False)
        except Exception:          # noqa: BLE001 (inference gives up: no shape)
            return
        for vi in m.graph.value_info:
            s = _concrete_shape(vi)
            if vi.name in node.output and s is not None:
                self.shapes[vi.name] = s

    def alias(self, out, src, bax=...):
        v = self.vals[src]
        if bax is ... or not isinstance(v, _Act) or bax == v.bax:
            self.vals[out] = v
            if src in self.shapes:
                self.shapes[out] = self.shapes[src]
            return
        self.vals[out] = _Act(v.tensor, bax)
        self.shapes[out] = _full(self.eshape[v.tensor], bax)

    # -- the walk ---------------------------------------------------------------------
    def run(self):
        self.read()
        g = self.model.graph
        self.init_names = {t.name for t in g.initializer}
        self.init_dims = {t.name: _dims(t) for t in g.initializer}
        self.init_protos = {t.name: t for t in g.initializer}
        self.literals: set[str] = set()
        for t in g.initializer:
            v = self._const_of(t)
            self.vals[t.name] = (_Const(v, learned=_learned_size(t.name, v),
                                        origin=frozenset((t.name,)))
                                 if v is not None else _Weight(t.name, _dims(t)))
        self.setup_input()
        self.infer()
        self.probe = {}
        if self.file_size and self.file_size != self.build_size and not self.probing:
            # the shapes every tensor has at the export size, to re-derive the sizes the
            # exporter wrote as literals (x.view(n, g, c // g, h, w) with Python ints)
            p = _Importer(self.path, *self.file_size)
            p.probing = True
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    p.run()
                self.probe = p.shapes
            except SramfitError:
                self.probe = {}
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
            try:
                self.node(idx, node)
            except SramfitError:
                raise
            except _MALFORMED as err:
                self.fail(f"node {node.name or node.op_type!r} ({node.op_type}): malformed "
                          f"or unsupported ({_short(err)})")
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
        """x * sigmoid(x) -> silu, x * hardsigmoid(x) -> hardswish; Pad into conv/pool;
        blends of two activations by stored gates g and 1 - g (:meth:`_blends`)."""
        self._blends(nodes)
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

    def _blends(self, nodes):
        """``a * (1 - g) + b * g`` with both gates stored (ConViT's gated positional
        attention, ``(1 - sigmoid(p)) * patch + sigmoid(p) * pos``: the optimised dynamo
        export folds the gating parameter p into two new constants and drops p). The
        two gates hold one parameter's values, so the second Mul (in node order) counts
        no params: PyTorch counts p once. Found by values (they sum to 1 elementwise),
        not by names; gates computed in the file from p itself are counted once by the
        origin rule (:meth:`claim`)."""
        import numpy as np
        order = {id(n): k for k, n in enumerate(nodes)}
        producer = {o: n for n in nodes for o in n.output}

        def gate(name):
            """(Mul node, stored float gate) when ``name`` is activation x gate."""
            m = producer.get(name)
            if m is None or m.op_type != "Mul" or len(m.input) != 2:
                return None
            consts = [self.vals[i] for i in m.input if isinstance(self.vals.get(i), _Const)]
            if len(consts) != 1:        # one stored gate, one tensor the graph computes
                return None
            v = consts[0].value
            if v.dtype.kind != "f" or not 1 < v.size <= SMALL_WEIGHT:
                return None
            return m, v

        for n in nodes:
            if n.op_type != "Add" or len(n.input) != 2:
                continue
            a, b = gate(n.input[0]), gate(n.input[1])
            if a is None or b is None or a[0] is b[0] or a[1].shape != b[1].shape:
                continue
            if np.allclose(a[1].astype(np.float64) + b[1], 1.0, rtol=0, atol=1e-6):
                first, second = sorted((a[0], b[0]), key=lambda m: order[id(m)])
                self.gates[second.output[0]] = first.name or first.output[0]

    def _complement_gate(self, node):
        """No params for the second gate of a blend (see :meth:`_blends`): noted."""
        self.blends.append(f"{self.where(node)} (gate of {self.gates[node.output[0]]!r})")
        return 0

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
        acts = [i for i, k in zip(ins, kinds) if isinstance(k, (_Act, _Seq))]
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
            loaded = self._small_weights(kinds)
            if loaded is None:
                # weight preprocessing (e.g. a transposed or reshaped weight): keep dims
                for o in node.output:
                    s = self.shapes.get(o)
                    w = next(k for k in kinds if isinstance(k, _Weight))
                    self.vals[o] = _Weight(w.name, s if s is not None else w.dims)
                return
            kinds = loaded
        shape_dep = any(isinstance(k, _Const) and k.shape_dep for k in kinds)
        learned, macs = self._const_cost(node, kinds)
        if learned and node.output[0] in self.gates:    # g x a constant (ConViT's
            learned = self._complement_gate(node)       # positional scores): see _blends
        self._check_const_size(node, [k.value if k is not None else None for k in kinds])
        try:
            outs = self.evaluate(node, [k.value if k is not None else None for k in kinds])
        except Exception as err:
            self.fail(f"cannot evaluate the constant node {node.name or node.op_type!r} "
                      f"({node.op_type}): {err}")
        if node.op_type == "Constant" or (
                node.op_type == "Identity" and (node.input[0] in self.init_names
                                                or node.input[0] in self.literals)):
            self.literals.update(node.output)   # the classic exporter dedups via Identity
        origin = frozenset().union(*(k.origin for k in kinds if isinstance(k, _Const)))
        for o, v in zip(node.output, outs):
            if v is None:
                continue
            if isinstance(v, list):
                # a constant sequence (SplitToSequence of a constant: EVA-02's rotary
                # sin/cos table, dynamo unoptimised), its pieces taken with SequenceAt:
                # a table the model computes, no params (the optimised export folds
                # the same table into the constants it multiplies with, and counts none)
                self.vals[o] = _Const(v, shape_dep)
                continue
            # a one-value result stands for no param unless it copies one (the classic
            # exporter's Identity of a deduplicated StarReLU scale)
            keep = v.size > 1 or macs or node.op_type in _LAYOUT_OPS
            self.vals[o] = _Const(v, shape_dep, learned if keep else 0, macs, origin=origin)

    def _small_weights(self, kinds):
        """The inputs with every weight of at most SMALL_WEIGHT elements read in as a
        learned constant (a bias edited by constant ops, a position-bias MLP's
        matrices), or None when one is larger or unreadable."""
        out = []
        for k in kinds:
            if isinstance(k, _Weight):
                if k.size > SMALL_WEIGHT or k.dims != self.init_dims.get(k.name):
                    return None
                v = self._values(k.name)
                if v is None:
                    return None
                k = _Const(v, learned=_learned_size(k.name, v), origin=frozenset((k.name,)))
            out.append(k)
        return out

    def _const_cost(self, node, kinds):
        """(learned params, MACs) behind a computed constant. Layout and index ops keep
        their first input's; elementwise ops and MatMul/Gemm add up their inputs' (a
        constant computed from parameters stands for them: Swin-V2's logit scale
        exp(clamp(p)), its position-bias MLP); a MatMul/Gemm with a learned input adds
        its own MACs (PyTorch's hooks count that MLP's Linears)."""
        op = node.op_type
        consts = {i: k for i, k in zip(node.input, kinds) if i and isinstance(k, _Const)}
        if op in _LAYOUT_OPS | _INDEX_OPS:
            k = kinds[0] if isinstance(kinds[0], _Const) else None
            return (k.learned, k.macs) if k is not None else (0, 0)
        if op not in _ELEMENTWISE and op not in ("MatMul", "Gemm"):
            return 0, 0
        learned = sum(k.learned for k in consts.values())
        macs = sum(k.macs for k in consts.values())
        if op in ("MatMul", "Gemm") and isinstance(kinds[0], _Const) and not kinds[0].macs \
                and len(kinds) > 1 and isinstance(kinds[1], _Const) and kinds[1].learned:
            learned -= kinds[0].learned     # the data operand, not computed from params:
            #                                 a buffer (Swin-V2's relative coords table)
            v = kinds[0].value
            if v.dtype.kind == "f" and v.size > 1 and (v >= 0).all() and \
                    (v == 0).mean() >= 0.1:
                self.folded.append(
                    f"{self.where(node)} reads a stored {_fmt_dims(v.shape)} constant of "
                    f"values >= 0, {(v == 0).mean():.0%} zeros: a ReLU's output the exporter "
                    f"computed, so the layers before it are gone from the file (PyTorch "
                    f"counts their params and MACs)")
        if op in ("MatMul", "Gemm") and learned and len(kinds) >= 2 and all(
                isinstance(k, _Const) for k in kinds[:2]):
            a, b = kinds[0].value, kinds[1].value
            if op == "Gemm":
                at = _attrs(node)
                m_, k_ = a.shape[::-1] if at.get("transA", 0) else a.shape
                n_ = b.shape[0] if at.get("transB", 0) else b.shape[-1]
                macs += int(m_) * int(k_) * int(n_)
            elif a.ndim >= 1 and b.ndim >= 1:
                rows = math.prod(a.shape[:-1]) if a.ndim > 1 else 1
                batch = math.prod(b.shape[:-2]) if b.ndim > 2 else 1
                macs += int(rows * batch * a.shape[-1] * (b.shape[-1] if b.ndim > 1 else 1))
        return learned, macs

    def _check_const_size(self, node, values):
        """Refuse, before it is built, a computed constant over MAX_EVAL_ELEMS."""
        import numpy as np
        op = node.op_type
        v = [np.asarray(x) if x is not None else None for x in values]
        n = expand = None
        try:
            if op == "ConstantOfShape" and v and v[0] is not None:
                n = math.prod(int(d) for d in v[0].reshape(-1))
            elif op == "Expand" and len(v) > 1 and v[1] is not None:
                expand = v
            elif op == "Tile" and len(v) > 1 and v[1] is not None:
                n = v[0].size * math.prod(int(d) for d in v[1].reshape(-1))
            elif op == "Range" and len(v) == 3 and all(x is not None for x in v):
                d = float(v[2])
                n = 0 if d == 0 else math.ceil((float(v[1]) - float(v[0])) / d)
            elif op in ("Pad", "Resize", "Upsample", "OneHot", "Einsum", "MatMul", "Gemm",
                        "EyeLike", "RandomNormal", "RandomUniform"):
                outs = [self.shapes.get(o) for o in node.output if o]
                if outs and all(o is not None for o in outs):
                    n = sum(math.prod(o) for o in outs)
                else:
                    n = sum(x.size for x in v if x is not None) + 1
        except (OverflowError, ValueError, TypeError):
            n = math.inf
        if expand is not None:
            n = math.prod(self._expanded(node, expand[0].shape, expand[1]))
        if n is not None and (not math.isfinite(n) or n > MAX_EVAL_ELEMS or n < 0):
            self.fail(f"node {node.name or op!r} ({op}) computes a constant of "
                      f"{'unbounded' if not math.isfinite(n) else f'{n:,}'} elements, over "
                      f"the limit of {MAX_EVAL_ELEMS:,} evaluated constant elements")

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
            p = [int(v) for v in a.get("pads", [0, 0, 0, 0])]
            if len(p) != 4:
                self.fail(f"{self.where(node)}: attribute 'pads' has {len(p)} values; a 2-D "
                          f"{node.op_type} needs 4 (top, left, bottom, right)")
            if min(p) < 0:
                self.fail(f"{self.where(node)}: attribute 'pads' {p} is negative")
            pad = (p[0], p[1], p[2], p[3])
        return pad

    def _image_input(self, node, kinds):
        """The activation a 2-D op reads, or None when it is not an N x C x H x W map."""
        x = kinds[0] if kinds else None
        s = self.shapes.get(node.input[0]) if node.input else None
        if not isinstance(x, _Act) or x.bax != 0 or s is None or len(s) != 4:
            return None
        return x

    def _fold_pad(self, x):
        """(engine tensor, extra pads (t,l,b,r)) when x is the output of a folded Pad."""
        info = self._padded.get(x)
        return info if info else (self.vals[x].tensor, (0, 0, 0, 0))

    def op_Conv(self, node, kinds):
        a = _attrs(node)
        if len(kinds) < 2 or not node.input[1]:
            self.fail(f"{self.where(node)}: a Conv needs an input and a weight, got "
                      f"{len([i for i in node.input if i])} input(s)")
        x, w = node.input[0], kinds[1]
        if not isinstance(kinds[0], _Act) or not isinstance(w, _Weight) and not isinstance(
                w, _Const):
            return self.emit_other(node, "weights are not an initializer")
        wd = w.dims if isinstance(w, _Weight) else tuple(w.value.shape)
        if len(wd) == 3:
            return self._conv1d(node, wd)
        if len(wd) != 4:
            return self.emit_other(node, f"{len(wd) - 2}-D")
        if self._image_input(node, kinds) is None:
            return self.emit_other(node, "input not N x C x H x W")
        kernel = tuple(int(v) for v in a.get("kernel_shape", wd[2:]))
        strides = tuple(int(v) for v in a.get("strides", (1, 1)))
        dil = tuple(int(v) for v in a.get("dilations", (1, 1)))
        pad = self._pads(node, a, x, kernel, strides, dil)
        src, extra = self._fold_pad(x)
        if pad == "same" and extra != (0, 0, 0, 0):
            return self.emit_other(node, "Pad before auto_pad")
        if pad != "same":
            self._check_own_pads(node, pad, kernel, strides, dil)
            pad = tuple(p + e for p, e in zip(pad, extra))
        has_bias = len(node.input) > 2 and self._real_bias(node.input[2], kinds[2])
        self.emit(node, node.output[0], "conv", [src],
                  {"out": wd[0], "kernel": kernel, "stride": strides, "padding": pad,
                   "dilation": dil, "groups": int(a.get("group", 1)), "bias": has_bias})
        self.note_weight(w, kinds[2] if has_bias else None)
        self._check_conv(node, wd)

    def op_ConvTranspose(self, node, kinds):
        """A 2-D transposed convolution (PyTorch's ConvTranspose2d): a 'deconv' layer. Its
        output size follows the engine's rule at any input size, as PyTorch's module
        does; an ``output_shape`` attribute (a size written for the export size) or an
        auto_pad other than NOTSET/VALID keeps it an 'other' layer, sized by ONNX."""
        a = _attrs(node)
        if len(kinds) < 2 or not node.input[1]:
            self.fail(f"{self.where(node)}: a ConvTranspose needs an input and a weight, got "
                      f"{len([i for i in node.input if i])} input(s)")
        w = kinds[1]
        if not isinstance(kinds[0], _Act) or not isinstance(w, (_Weight, _Const)):
            return self.emit_other(node, "weights are not an initializer")
        wd = w.dims if isinstance(w, _Weight) else tuple(w.value.shape)
        if len(wd) != 4:
            return self.emit_other(node, f"{len(wd) - 2}-D")
        if self._image_input(node, kinds) is None:
            return self.emit_other(node, "input not N x C x H x W")
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if "output_shape" in a or auto not in ("NOTSET", "VALID"):
            return self.emit_other(node, "output_shape" if "output_shape" in a else auto)
        groups = int(a.get("group", 1))
        kernel = tuple(int(v) for v in a.get("kernel_shape", wd[2:]))
        strides = tuple(int(v) for v in a.get("strides", (1, 1)))
        dil = tuple(int(v) for v in a.get("dilations", (1, 1)))
        outpad = tuple(int(v) for v in a.get("output_padding", (0, 0)))
        p = [0, 0, 0, 0] if auto == "VALID" else [int(v) for v in a.get("pads", [0, 0, 0, 0])]
        if len(p) != 4 or min(p) < 0 or len(kernel) != 2 or len(strides) != 2 \
                or len(dil) != 2 or len(outpad) != 2:
            self.fail(f"{self.where(node)}: attributes pads {p}, kernel_shape {list(kernel)}, "
                      f"strides {list(strides)}, dilations {list(dil)}, output_padding "
                      f"{list(outpad)}: expected a 2-D transposed convolution")
        s = self.shapes.get(node.input[0])
        if s is not None and s[1] != wd[0]:
            self.fail(f"{self.where(node)}: weight {_fmt_dims(wd)} does not fit {s[1]} input "
                      f"channels (a ConvTranspose weight is Cin x Cout/group x kH x kW)")
        has_bias = len(node.input) > 2 and self._real_bias(node.input[2], kinds[2])
        self.emit(node, node.output[0], "deconv", [kinds[0].tensor],
                  {"out": wd[1] * groups, "kernel": kernel, "stride": strides,
                   "padding": tuple(p), "output_padding": outpad, "dilation": dil,
                   "groups": groups, "bias": has_bias})
        self.note_weight(w, kinds[2] if has_bias else None)

    def _conv1d(self, node, wd):
        """A 1-D conv (ECA's channel attention: Conv1d over the pooled channels): an
        'other' layer of ONNX's output shape with its weight and bias as params and its
        MACs counted (output elements x in-channels/groups x kernel), not listed as
        unsupported."""
        self.emit_other(node, known=True)
        out = self.shapes.get(node.output[0])
        layer = self.layers[-1]
        if out is None or layer.attrs["type"] != "Conv":
            return
        self.layers[-1] = make_layer(layer.name, "other", layer.inputs,
                                     {**layer.attrs, "macs": math.prod(out) * wd[1] * wd[2]})

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
        if isinstance(kinds[0], _Const):     # a constant cast like an activation (float)
            import numpy as np
            k = kinds[0]
            self.vals[node.output[0]] = _Const(k.value.astype(np.float32), k.shape_dep,
                                               k.learned, origin=k.origin)
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
        if "kernel_shape" not in a:
            self.fail(f"{self.where(node)}: attribute 'kernel_shape' is missing")
        if tuple(a.get("dilations", (1, 1))) != (1, 1):
            return self.emit_other(node, "dilated pool")
        kernel = tuple(int(v) for v in a["kernel_shape"])
        if len(kernel) != 2:
            return self.emit_other(node, f"{len(kernel)}-D")
        if self._image_input(node, kinds) is None:
            return self.emit_other(node, "input not N x C x H x W")
        strides = tuple(int(v) for v in a.get("strides", (1, 1)))
        pad = self._pads(node, a, node.input[0], kernel, strides, (1, 1))
        src, extra = self._fold_pad(node.input[0])
        if pad == "same" and extra != (0, 0, 0, 0):
            return self.emit_other(node, "Pad before auto_pad")
        if pad != "same":
            self._check_own_pads(node, pad, kernel, strides, (1, 1))
            pad = tuple(p + e for p, e in zip(pad, extra))
        self.emit(node, node.output[0], "pool", [src],
                  {"mode": mode, "kernel": kernel, "stride": strides, "padding": pad,
                   "ceil_mode": bool(a.get("ceil_mode", 0))})

    def op_MaxPool(self, node, kinds):
        return self._pool(node, kinds, "max")

    def op_AveragePool(self, node, kinds):
        return self._pool(node, kinds, "avg")

    def _global(self, node, mode):
        if self._image_input(node, [self.vals[node.input[0]]]) is None:
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
        out = node.output[0]
        if mode is None or axes is None or s is None or not len(s) \
                or self._image_input(node, kinds) is None \
                or sorted(int(v) % 4 for v in axes) != [2, 3]:
            if s is not None and len(s):                  # shape by the ONNX rule
                keep = int(a.get("keepdims", 1))
                ax = {int(v) % len(s) for v in axes} if axes is not None else (
                    set(range(len(s))) if not a.get("noop_with_empty_axes", 0) else set())
                self.shapes[out] = tuple(1 if i in ax else d for i, d in enumerate(s)
                                         if keep or i not in ax)
            return self.emit_other(node, known=True)
        if a.get("keepdims", 1):
            self.emit(node, out, "pool", [self.vals[node.input[0]].tensor],
                      {"mode": mode, "global": True})
        else:
            name = self._name(node, out)
            pool = self.emit(node, out + "#pool", "pool", [self.vals[node.input[0]].tensor],
                             {"mode": mode, "global": True}, name=name + "_pool")
            self.emit(node, out, "reshape", [pool], {"kind": "flatten"}, name=name)

    def op_ReduceMean(self, node, kinds):
        return self._reduce(node, kinds, "avg")

    def op_ReduceMax(self, node, kinds):
        return self._reduce(node, kinds, "max")

    def _reduce_other(self, node, kinds):
        """Other reductions (ReduceL2 of F.normalize, ReduceSum, ...): no MACs, the
        shape by the ONNX rule."""
        return self._reduce(node, kinds, None)

    op_ReduceL2 = op_ReduceL1 = op_ReduceSum = op_ReduceSumSquare = op_ReduceMin = \
        op_ReduceProd = op_ReduceLogSum = op_ReduceLogSumExp = _reduce_other

    def op_BatchNormalization(self, node, kinds):
        """BatchNorm over ONNX axis 1, also where the batch axis was merged or moved
        (LeViT's BatchNorm1d on a Linear's tokens flattened to (N*T) x C): a per-channel
        affine of two params per channel, as PyTorch counts it (the running mean and
        variance are buffers, not params)."""
        try:
            act, ia = self._channel_axis(node)
        except ValueError:
            return self.emit_other(node, "normalises the batch axis")
        self.emit(node, node.output[0], "norm", [act.tensor],
                  {"kind": "batch", "affine": True, "axis": ia})

    def _channel_axis(self, node, axis=1):
        """The per-image axis of ONNX axis ``axis`` of the node's activation input."""
        act = self.vals[node.input[0]]
        ia = self.img_axis(act, axis, len(self.shapes[node.input[0]]))
        if ia is None:
            raise ValueError(f"axis {axis} is the batch axis")
        return act, ia

    def _unit_affine(self, kinds):
        """Scale all ones and bias all zeros, values known (the exporters' placeholder)."""
        sc, b = (kinds + [None, None, None])[1:3]
        return (isinstance(sc, _Const) and isinstance(b, _Const)
                and bool((sc.value == 1).all()) and not bool(b.value.any()))

    def op_InstanceNormalization(self, node, kinds):
        """InstanceNorm, or the exporters' GroupNorm: x reshaped to N x G x -1, instance-
        normalised with a placeholder scale of ones and bias of zeros (the learned affine
        follows as a per-channel Mul and Add): a group norm without params of its own."""
        act, ia = self._channel_axis(node)
        src = self.producer.get(node.input[0])
        grouped = (src is not None and src.op_type == "Reshape"
                   and len(self.shapes[node.input[0]]) == 3
                   and len(self.shapes.get(src.input[0], ())) == 4
                   and self._unit_affine(kinds))
        self.emit(node, node.output[0], "norm", [act.tensor],
                  {"kind": "group" if grouped else "instance", "affine": not grouped,
                   "axis": ia})

    def op_GroupNormalization(self, node, kinds):
        """GroupNormalization (opset 18 scale/bias per group, opset 21 per channel):
        PyTorch's GroupNorm has two params per channel."""
        act, ia = self._channel_axis(node)
        c = self.eshape[act.tensor][ia]
        sizes = [k.size if isinstance(k, _Weight) else k.value.size for k in kinds[1:3]
                 if k is not None]
        if sizes != [c, c]:
            return self.emit_other(node, "scale/bias per group")
        self.emit(node, node.output[0], "norm", [act.tensor],
                  {"kind": "group", "affine": True, "axis": ia})

    def op_LpNormalization(self, node, kinds):
        """x / ||x||_p along one axis: no params, no MACs."""
        act, ia = self._channel_axis(node, int(_attrs(node).get("axis", -1)))
        self.emit(node, node.output[0], "norm", [act.tensor],
                  {"kind": "lp", "affine": False, "axis": ia})

    def act(self, node, fn):
        x = self.vals[node.input[0]]
        if not isinstance(x, _Act):
            return self.emit_other(node)
        self.emit(node, node.output[0], "act", [x.tensor], {"fn": fn})

    def op_Clip(self, node, kinds):
        a = _attrs(node)
        lo, hi = a.get("min"), a.get("max")
        def bound(k):
            if isinstance(k, _Const) and k.value.size == 1:
                return float(k.value.reshape(-1)[0])
            return None     # a vector or computed bound: a plain clip
        if len(node.input) > 1 and node.input[1]:
            lo = bound(kinds[1])
        if len(node.input) > 2 and node.input[2]:
            hi = bound(kinds[2])
        fn = "relu6" if (lo == 0 and hi == 6) else ("relu" if lo == 0 and hi is None
                                                     else "clip")
        return self.act(node, fn)

    def op_PRelu(self, node, kinds):
        """PReLU: its slopes (one, or one per channel) are learned params."""
        x, k = kinds[0], kinds[1] if len(kinds) > 1 else None
        if not isinstance(x, _Act) or k is None or isinstance(k, _Act):
            return self.emit_other(node, "slope not a constant")
        n = k.size if isinstance(k, _Weight) else (k.learned or int(k.value.size))
        if isinstance(k, _Weight) or k.learned:
            n = n if self.claim(k) else 0
        self.emit(node, node.output[0], "act", [x.tensor], {"fn": "prelu", "params": n})

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
        out = node.output[0]
        present = [(i, k) for i, k in zip(node.input, kinds) if i]
        acts = [k for _, k in present if isinstance(k, _Act)]
        if len(present) == 1:                      # Sum / Max / Min of one input
            return self.alias(out, present[0][0])
        if len(acts) == len(present):
            self.emit(node, out, "add", [k.tensor for k in acts], {"fn": fn})
            return
        consts = [(i, k) for i, k in present if not isinstance(k, _Act)]
        if len(acts) != 1 or len(consts) != 1:
            return self.emit_other(node, "mixes several constants")
        x = next(i for i, k in present if isinstance(k, _Act))
        cname, c = consts[0]
        # a real bias: Add of a per-channel initializer right after a conv/fc without bias
        prev = self.layers[-1] if self.layers else None
        if (node.op_type == "Add" and prev is not None
                and self.vals[x].tensor == prev.name and prev.op in ("conv", "fc")
                and not prev.attrs["bias"] and self.readers[x] == 1):
            n = c.size if isinstance(c, _Weight) else int(c.value.size)
            cdims = c.dims if isinstance(c, _Weight) else tuple(c.value.shape)
            if n == prev.attrs["out"] and max(cdims, default=1) == n:
                attrs = dict(prev.attrs)
                attrs["bias"] = True
                self.layers[-1] = make_layer(prev.name, prev.op, prev.inputs, attrs)
                self.alias(out, x)
                return
        if isinstance(c, _Const) and not c.learned:   # a learned operand of an untrained
            v = c.value                                # model may be all ones: params
            if v.size and ((node.op_type in ("Mul", "Div") and (v == 1).all())
                           or (node.op_type in ("Add", "Sub") and (v == 0).all())):
                self.alias(out, x)
                return
        cdims = c.dims if isinstance(c, _Weight) else tuple(c.value.shape)
        learned = c.size if isinstance(c, _Weight) else c.learned
        if isinstance(c, _Const) and c.macs:
            return self._computed_operand(node, x, c, fn)
        if learned > 1 and self._after_matmul(self.vals[x].tensor):
            learned = self._bias_table(node, c, learned)
        if math.prod(cdims) == 1 and not learned:
            self.emit(node, out, "act", [self.vals[x].tensor], {"fn": "linear"})
            return
        if learned and not self.claim(c):       # read by a layer before: counted there
            learned = 0
        if learned and out in self.gates:       # 1 - g of a gate g counted before
            learned = self._complement_gate(node)
        act = self.vals[x]
        rank = len(self.shapes.get(x, ()))
        operand = tuple(cdims)
        if node.op_type == "Add" and isinstance(c, _Const) and not learned \
                and not c.shape_dep:
            self._position_term(node, c, x)
        if act.bax is not None and len(operand) > rank - 1:
            # the constant spans the batch axis: it must be 1 there
            k = act.bax - (rank - len(operand))
            if not 0 <= k < len(operand) or operand[k] != 1:
                return self.emit_other(node, "constant spans the batch")
            operand = operand[:k] + operand[k + 1:]
        self.emit(node, out, "add", [act.tensor],
                  {"fn": fn, "operand": list(operand), "learned": bool(learned),
                   "params": learned if learned and learned != math.prod(operand) else None})

    def _position_term(self, node, c, x):
        """A stored float constant, no parameter of the model, added to activations with
        a value per position (as many values as the activation holds per image, not all
        equal): a position encoding the exporter computed from constants alone
        (EdgeNeXt's and XCiT's Fourier encoding and the conv on it). Layers that
        computed it are gone from the file: noted for the warning."""
        v = c.value
        shape = self.shapes.get(x, ())
        per_image = math.prod(shape) // max(1, shape[self.vals[x].bax]
                                            if self.vals[x].bax is not None else 1)
        if v.dtype.kind == "f" and v.size == per_image and v.size > 1 \
                and not (v == v.flat[0]).all():
            self.const_terms.append(f"{self.where(node)} ({_fmt_dims(v.shape)})")

    def _computed_operand(self, node, x, c, fn):
        """An operand the file computes from parameters with MACs (Swin-V2's continuous
        position-bias MLP kept by an unfolded export): an 'other' layer holding those
        params and MACs (PyTorch's figures for the MLP) makes the operand, added to x."""
        act = self.vals[x]
        dims = tuple(c.value.shape)
        rank = len(self.shapes.get(x, ()))
        if act.bax is not None and len(dims) > rank - 1:
            k = act.bax - (rank - len(dims))
            if 0 <= k < len(dims) and dims[k] == 1:
                dims = dims[:k] + dims[k + 1:]
        base = self._name(node, node.output[0])
        # it reads x (live here anyway), not the model input, whose life it would stretch
        sub = self.emit(node, node.output[0] + "#operand", "other", [act.tensor],
                        {"type": "constant subgraph", "out_shape": list(dims) or [1],
                         "params": c.learned, "macs": c.macs},
                        name=base + "_operand", bax=act.bax)
        self.subgraphs.append(f"{self.where(node)}: {c.learned:,} params, {c.macs:,} MACs")
        self.emit(node, node.output[0], "add", [act.tensor, sub], {"fn": fn}, bax=act.bax)

    def _after_matmul(self, tensor):
        """Whether activation ``tensor`` is attention scores: a matmul's output, maybe
        scaled on the way by a scalar or a per-head vector (Swin-V2's logit scale)."""
        by_name = {lay.name: lay for lay in self.layers[-4:]}
        for _ in range(3):
            lay = by_name.get(tensor)
            if lay is None:
                return False
            if lay.op == "matmul":
                return True
            scalar = (lay.op == "act" and lay.attrs["fn"] == "linear") or (
                lay.op == "add" and lay.attrs["operand"] is not None
                and sum(d > 1 for d in lay.attrs["operand"]) <= 1)
            if not scalar:
                return False
            tensor = lay.inputs[0]
        return False

    def _bias_table(self, node, c, learned):
        """The learned values behind a constant added to attention scores. Exporters fold
        Swin's relative-position bias, a table of (2w-1)^2 x heads values gathered by a
        constant index, into a heads x T x T (or T*T x heads) constant: every head then
        repeats its table in the same index pattern, and PyTorch counts the table.
        A bias whose values cannot be read is counted whole, with a warning."""
        v = c.value if isinstance(c, _Const) else (
            self._values(c.name)
            if c.size == math.prod(self.init_dims.get(c.name, ())) else None)
        n = None if v is None else _gathered_count(v)
        if n is None:
            self.unread.append(f"{self.where(node)} ({learned:,} values)")
            return learned
        if n < learned:
            self.tables.append(f"{self.where(node)}: {n:,} (not {learned:,})")
            if (v > 0).all() and (v < 16).all():
                self.folded.append(
                    f"{self.where(node)} adds a bias of values in (0, 16) gathered from a "
                    f"table: 16 * sigmoid of Swin-V2's continuous position-bias MLP, "
                    f"folded by the exporter; counted as the table's {min(n, learned):,} "
                    f"values (PyTorch counts the MLP's params and MACs instead)")
        return min(n, learned)

    def _constant_layer(self, node, name, k, like):
        """A weight/constant joined to activations (a class token): an 'other' layer
        holding its params, with the per-image shape of the constant."""
        dims = k.dims if isinstance(k, _Weight) else tuple(k.value.shape)
        if name in self.shapes and isinstance(k, _Weight):
            dims = tuple(self.shapes[name])
        bax = like.bax
        if bax is not None and bax < len(dims) and dims[bax] == 1:
            dims = dims[:bax] + dims[bax + 1:]
        params = (k.size if isinstance(k, _Weight) else k.learned) if self.claim(k) else 0
        base = f"{self._name(node, name)}_const"
        self.emit(node, name + "#const", "other", [like.tensor],
                  {"type": "constant", "out_shape": list(dims), "params": params},
                  name=base, bax=bax)
        return base

    def op_Concat(self, node, kinds):
        a = _attrs(node)
        ins = [(i, k) for i, k in zip(node.input, kinds) if i]
        acts = [k for _, k in ins if isinstance(k, _Act)]
        first = acts[0]
        rank = len(self.shapes[next(i for i, k in ins if isinstance(k, _Act))])
        ax = self.img_axis(first, int(a.get("axis", 1)), rank)
        if ax is None:
            return self.emit_other(node, "along the batch")
        tensors = []
        for i, k in ins:
            if isinstance(k, _Act):
                if k.bax != first.bax:
                    return self.emit_other(node, "inputs with different layouts")
                tensors.append(k.tensor)
            else:
                size = k.size if isinstance(k, _Weight) else k.value.size
                if size == 0:
                    continue
                tensors.append(self._constant_layer(node, i, k, first))
        if len(tensors) == 1:
            return self.alias(node.output[0], next(i for i, k in ins if isinstance(k, _Act)))
        self.emit(node, node.output[0], "concat", tensors, {"axis": ax + 1})

    def _weight_dims(self, w):
        return w.dims if isinstance(w, _Weight) else tuple(w.value.shape)

    def op_Gemm(self, node, kinds):
        a = _attrs(node)
        if len(kinds) < 2 or a.get("transA", 0):
            return self.emit_other(node, "transA" if len(kinds) > 1 else "one input")
        x, w = kinds[0], kinds[1]
        if not isinstance(x, _Act):
            return self.emit_other(node, "weight first")
        if isinstance(w, _Act):
            return self.emit(node, node.output[0], "matmul", [x.tensor, w.tensor],
                             {"transpose_b": bool(a.get("transB", 0))})
        dims = self._weight_dims(w)
        if len(dims) != 2:
            return self.emit_other(node, f"{len(dims)}-D weight")
        out, fan_in = (dims[0], dims[1]) if a.get("transB", 0) else (dims[1], dims[0])
        bias = len(node.input) > 2 and self._real_bias(node.input[2], kinds[2])
        self.emit(node, node.output[0], "fc", [x.tensor],
                  {"out": out, "bias": bias, "in_features": fan_in})
        self.note_weight(w, kinds[2] if bias else None)

    def op_MatMul(self, node, kinds):
        a, b = kinds[0], kinds[1]
        if isinstance(a, _Act) and isinstance(b, _Act):
            return self.emit(node, node.output[0], "matmul", [a.tensor, b.tensor])
        if not isinstance(a, _Act):
            return self.emit_other(node, "weight first")
        dims = self._weight_dims(b)
        if len(dims) != 2:
            return self.emit_other(node, f"{len(dims)}-D weight")
        self.emit(node, node.output[0], "fc", [a.tensor],
                  {"out": dims[1], "bias": False, "flatten": False, "in_features": dims[0]})
        self.note_weight(b)

    def op_Einsum(self, node, kinds):
        """Two-operand einsums that are a matmul (activations) or a Linear (a 2-D
        weight); any other einsum is an 'other' layer with its MACs counted."""
        eq = _attrs(node).get("equation", b"")
        eq = (eq.decode() if isinstance(eq, bytes) else str(eq)).replace(" ", "")
        if len(node.input) != 2 or "->" not in eq or "." in eq:
            return self.emit_other(node, "equation")
        lhs, out = eq.split("->")
        ops = lhs.split(",")
        if len(ops) != 2:
            return self.emit_other(node, "equation")
        (p, q), (ka, kb) = ops, kinds
        sizes = {}
        for letters, i in zip(ops, node.input):
            shp = self.shapes.get(i) or (
                self._weight_dims(self.vals[i]) if not isinstance(self.vals[i], _Act) else None)
            if shp is None or len(shp) != len(letters):
                return self.emit_other(node, "equation")
            for c, d in zip(letters, shp):
                sizes[c] = max(sizes.get(c, 1), d)
        red = (set(p) & set(q)) - set(out)
        if len(red) == 1:
            k = red.pop()
            if isinstance(ka, _Act) and isinstance(kb, _Act) and p[-1] == k and p[:-2] == q[:-2] \
                    and len(p) >= 2 and len(q) >= 2:
                if q[-2] == k and out == p[:-1] + q[-1]:
                    return self.emit(node, node.output[0], "matmul", [ka.tensor, kb.tensor])
                if q[-1] == k and out == p[:-1] + q[-2]:
                    return self.emit(node, node.output[0], "matmul", [ka.tensor, kb.tensor],
                                     {"transpose_b": True})
            if isinstance(ka, _Act) and not isinstance(kb, _Act) and len(q) == 2 \
                    and p[-1] == k and out == p[:-1] + q.replace(k, ""):
                d = self._weight_dims(kb)
                return self.emit(node, node.output[0], "fc", [ka.tensor],
                                 {"out": d[1 - q.index(k)], "bias": False, "flatten": False,
                                  "in_features": d[q.index(k)]})
        self.emit_other(node, "einsum")
        self.layers[-1] = make_layer(self.layers[-1].name, "other", self.layers[-1].inputs,
                                     {**self.layers[-1].attrs,
                                      "macs": math.prod(sizes.values())})

    def op_LayerNormalization(self, node, kinds):
        x = kinds[0]
        rank = len(self.shapes[node.input[0]])
        axis = int(_attrs(node).get("axis", -1)) % max(rank, 1)
        if axis != rank - 1:
            return self.emit_other(node, "over several axes")
        affine = len(kinds) > 1 and kinds[1] is not None and not isinstance(kinds[1], _Act)
        self.emit(node, node.output[0], "norm", [x.tensor],
                  {"kind": "layer", "affine": affine, "axis": -1,
                   "bias": self._ln_bias(node, kinds)})

    def _ln_bias(self, node, kinds):
        """Whether a LayerNorm has a learned shift. PyTorch's LayerNorm(bias=False) is
        written without the B input (dynamo) or with B from a Constant *node* of zeros
        (the classic exporter's placeholder); a learned bias is an initializer (kept
        even when all zero, as an untrained model's is), so only those two cases count
        the scale alone."""
        b = kinds[2] if len(kinds) > 2 and node.input[2] else None
        if b is None:
            return False
        src = self.producer.get(node.input[2])
        placeholder = (src is not None and src.op_type == "Constant"
                       and node.input[2] not in self.init_names
                       and isinstance(b, _Const) and not bool(b.value.any()))
        return not placeholder

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
        if mode is None or xs is None or len(xs) != 4 or self.vals[x].bax != 0:
            return self.emit_other(node)
        attrs = {"mode": mode}
        if isinstance(scales, _Const) and scales.value.size == 4 and not (
                isinstance(sizes, _Const) and sizes.value.size):
            sv = [float(v) for v in scales.value.reshape(-1)]
            if not all(math.isfinite(v) and 0 < v < 1e6 for v in sv):
                self.fail(f"{self.where(node)}: scales {sv} must be finite and positive")
            if sv[:2] != [1.0, 1.0]:
                return self.emit_other(node, "scales N or C")
            attrs["scale"] = (sv[2], sv[3])
        elif isinstance(sizes, _Const) and sizes.value.size == 4:
            sz = [int(v) for v in sizes.value.reshape(-1)]
            if min(sz) < 1:
                self.fail(f"{self.where(node)}: sizes {sz} must be positive")
            if not sizes.shape_dep and self.file_size and self.file_size != self.build_size:
                fw, fh = self.file_size
                self.fail(f"{self.where(node)} resizes to a fixed {sz[3]}x{sz[2]} written "
                          f"in the file, so the model runs only at its export size {fw}x{fh}, "
                          f"not {self.build_size[0]}x{self.build_size[1]}: re-export with "
                          f"scale factors or at the size you need")
            attrs["size"] = (sz[2], sz[3])
        else:
            return self.emit_other(node, "scales not constant")
        name = self.emit(node, node.output[0], "upsample", [self.vals[x].tensor], attrs)
        if "size" in attrs:
            self.fixed.append(name)

    op_Upsample = op_Resize

    def op_Transpose(self, node, kinds):
        x = kinds[0]
        s = self.shapes[node.input[0]]
        perm = [int(p) for p in _attrs(node).get("perm", [])] or list(range(len(s)))[::-1]
        if sorted(perm) != list(range(len(s))):
            self.fail(f"{self.where(node)}: perm {perm} does not fit a rank-{len(s)} input")
        if x.bax is None:
            nb, ip = None, perm
        else:
            nb = perm.index(x.bax)
            ip = [p - (p > x.bax) for p in perm if p != x.bax]
        if ip == sorted(ip):
            return self.alias(node.output[0], node.input[0], bax=nb)
        self.emit(node, node.output[0], "reshape", [x.tensor],
                  {"kind": "transpose", "perm": ip}, bax=nb)

    def _reshape_to(self, node, os_, x=None, out=None):
        """Reshape-like node (Reshape, Flatten, Squeeze, Unsqueeze) to ONNX shape os_."""
        x, out = x or node.input[0], out or node.output[0]
        act, xs = self.vals[x], tuple(self.shapes[x])
        os_ = tuple(int(v) for v in os_)
        if math.prod(os_) != math.prod(xs) or min(os_, default=1) < 1:
            self.fail(f"{self.where(node)}: cannot reshape {_fmt_dims(xs)} to "
                      f"{_fmt_dims(os_)}{self.size_hint()}")
        nb = _new_bax(xs, act.bax, os_)
        img_in = self.eshape[act.tensor]
        img_out = os_ if nb is None else os_[:nb] + os_[nb + 1:]
        if img_out == img_in:
            return self.alias(out, x, bax=nb)
        for k in range(len(img_in)):
            if img_out == img_in[:k] + (math.prod(img_in[k:]),):
                return self.emit(node, out, "reshape", [act.tensor],
                                 {"kind": "flatten", "start_dim": k + 1}, bax=nb)
        name = self.emit(node, out, "reshape", [act.tensor],
                         {"kind": "shape", "shape": list(img_out)}, bax=nb)
        self.fixed.append(name)

    def op_Reshape(self, node, kinds):
        k = kinds[1] if len(kinds) > 1 else None
        xs = tuple(self.shapes[node.input[0]])
        if not isinstance(k, _Const):
            os_ = self.oshapes.get(node.output[0])
            if os_ is None:
                self.fail(f"{self.where(node)}: the target shape is not a constant and "
                          f"ONNX shape inference gives none")
            return self._reshape_to(node, os_)
        t = [int(v) for v in k.value.reshape(-1)]
        if not k.shape_dep and self.probe:
            t2 = self._rederive(node, xs)
            if t2 is not None:
                if t2 != t:     # ONNX shape inference follows the literal from here on
                    self.rederived.append(node.name or node.output[0])
                return self._reshape_to(node, t2)
        allowzero = int(_attrs(node).get("allowzero", 0))
        if not allowzero:
            t = [xs[i] if v == 0 and i < len(xs) else v for i, v in enumerate(t)]
        if t.count(-1) > 1 or any(v < -1 for v in t):
            self.fail(f"{self.where(node)}: target {t} is not a valid shape")
        if -1 in t:
            known = math.prod(v for v in t if v != -1)
            if known <= 0 or math.prod(xs) % known:
                self.fail(f"{self.where(node)}: cannot reshape {_fmt_dims(xs)} to {t}"
                          f"{self.size_hint()}")
            t[t.index(-1)] = math.prod(xs) // known
        self._reshape_to(node, t)

    def _rederive(self, node, xs):
        """A literal Reshape target at another size: match the axes of its input and
        output at the export size in groups of equal size; a group the size change
        leaves alone keeps its output dims, a copied or merged group takes the new size.
        A target that splits a changed group is re-derived only when it reshapes back
        to the shape an earlier tensor of the same chain had at the export size
        (GroupNorm's x.view(n, g, -1) ... .view(n, c, h, w)); else None."""
        out = self._rederive_groups(node, xs)
        return out if out is not None else self._shape_of_ancestor(node, xs)

    def _shape_of_ancestor(self, node, xs):
        b = self.probe.get(node.output[0])
        t, seen = node.input[0], 0
        while b is not None and seen < 8:
            src = self.producer.get(t)
            if src is None:
                return None
            acts = [i for i in src.input if isinstance(self.vals.get(i), _Act)]
            if len(acts) != 1:
                return None
            t, seen = acts[0], seen + 1
            if self.probe.get(t) == tuple(b) and t in self.shapes and \
                    math.prod(self.shapes[t]) == math.prod(xs):
                return list(self.shapes[t])
        return None

    def _rederive_groups(self, node, xs):
        a, b = self.probe.get(node.input[0]), self.probe.get(node.output[0])
        if a is None or b is None or len(a) != len(xs) or math.prod(a) != math.prod(b):
            return None
        out, i, j = [], 0, 0
        while i < len(a) or j < len(b):
            gi, gj = [], []
            pa = pb = 1
            while True:
                if i < len(a) and (pa < pb or not gi):
                    pa *= a[i]
                    gi.append(i)
                    i += 1
                elif j < len(b) and (pb < pa or not gj):
                    pb *= b[j]
                    gj.append(j)
                    j += 1
                elif pa == pb and i < len(a) and a[i] == 1 and (j >= len(b) or b[j] != 1):
                    gi.append(i)
                    i += 1
                elif pa == pb and j < len(b) and b[j] == 1 and (i >= len(a) or a[i] != 1):
                    gj.append(j)
                    j += 1
                else:
                    break
            if pa != pb:
                return None
            new = [xs[k] for k in gi]
            if new == [a[k] for k in gi]:
                out += [b[k] for k in gj]
            elif len([k for k in gj if b[k] != 1]) == 1:
                out += [math.prod(new) if b[k] != 1 else 1 for k in gj]
            else:
                split = self._split_group(math.prod(new), [b[k] for k in gj])
                if split is None:
                    return None
                out += split
        return out

    def _split_group(self, new, old_out):
        """Output dims, at the size asked for, of a literal Reshape that splits a group
        of axes the size change altered (``new`` elements now; ``old_out`` its dims at
        the export size), or None. Two rules, each with one answer or none:

        - two factors that were the height and width of a feature map at the export
          size (tokens back to a map: ``x.reshape(B, C, H, W)`` after attention) take
          that map's height and width now;
        - otherwise the outermost factor grows, the others stay (space-to-depth, patch
          and window partitions: ``(H // bs, bs)`` keeps the block size), when it is
          the only factor that can take the new size in whole numbers ((56, 4) ->
          (48, 4) at 192 rows); when another could too ((64, 256) -> (48, 256) or
          (64, 192)), or only another can ((4, 7) -> (4, 6): a window partition whose
          padding was zero at the export size), it is refused.
        """
        dims = [d for d in old_out if d != 1]
        if len(dims) == 2:
            fits = {hw for old, hw in self._map_sizes() if old == tuple(dims)
                    and math.prod(hw) == new}
            if len(fits) == 1:
                it = iter(fits.pop())
                return [next(it) if d != 1 else 1 for d in old_out]
        total = math.prod(old_out)
        grow = [k for k, d in enumerate(old_out) if d != 1 and new % (total // d) == 0
                and new // (total // d) > 1]
        if len(grow) != 1 or grow[0] != next(k for k, d in enumerate(old_out) if d != 1):
            return None
        k = grow[0]
        return [new // (total // d) if i == k else d for i, d in enumerate(old_out)]

    def _map_sizes(self):
        """((H, W) at the export size, (H, W) now) of every N x C x H x W map a conv or
        pool wrote, and of the input."""
        pairs = {(tuple(self.probe[self.input_name][2:]), tuple(self.build_size[::-1]))}
        for layer in self.layers:
            out = self.layer_out.get(layer.name)
            if layer.op in ("conv", "pool") and out in self.probe and out in self.shapes \
                    and len(self.probe[out]) == 4 and len(self.shapes[out]) == 4:
                pairs.add((tuple(self.probe[out][2:]), tuple(self.shapes[out][2:])))
        return pairs

    def _axes(self, node, kinds, rank):
        axes = _attrs(node).get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            k = kinds[1]
            if not isinstance(k, _Const):
                self.fail(f"{self.where(node)}: axes are not a constant")
            axes = k.value.reshape(-1).tolist()
        if axes is None:
            return None
        out = []
        for v in axes:
            v = int(v)
            if not -rank <= v < rank:
                self.fail(f"{self.where(node)}: axis {v} does not fit rank {rank}")
            out.append(v % rank)
        return out

    def op_Squeeze(self, node, kinds):
        xs = tuple(self.shapes[node.input[0]])
        axes = self._axes(node, kinds, len(xs))
        if axes is None:
            axes = [i for i, v in enumerate(xs) if v == 1]
        if any(xs[i] != 1 for i in axes):
            self.fail(f"{self.where(node)}: cannot squeeze axes {axes} of {_fmt_dims(xs)}")
        os_ = tuple(v for i, v in enumerate(xs) if i not in axes)
        if not os_:
            return self.emit_other(node, "to a scalar")
        self._reshape_to(node, os_)

    def op_Unsqueeze(self, node, kinds):
        xs = list(self.shapes[node.input[0]])
        axes = self._axes(node, kinds, len(xs) + len(_attrs(node).get("axes", [])) + (
            kinds[1].value.size if len(kinds) > 1 and isinstance(kinds[1], _Const) else 0))
        if axes is None:
            self.fail(f"{self.where(node)}: no axes")
        for ax in sorted(axes):
            xs.insert(ax, 1)
        self._reshape_to(node, xs)

    def op_Flatten(self, node, kinds):
        xs = tuple(self.shapes[node.input[0]])
        axis = int(_attrs(node).get("axis", 1))
        if not -len(xs) <= axis <= len(xs):
            self.fail(f"{self.where(node)}: axis {axis} does not fit rank {len(xs)}")
        axis = axis + len(xs) if axis < 0 else axis
        self._reshape_to(node, (math.prod(xs[:axis]), math.prod(xs[axis:])))

    def _slice(self, node, src, out, axis, start, end, step, keep=True, name=None,
               literal=False):
        """One slice of ONNX ``axis`` of activation value ``src`` into ``out``."""
        act = self.vals[src]
        xs = tuple(self.shapes[src])
        rank = len(xs)
        dim = xs[axis % rank]
        s, e, st = slice(start, end, step).indices(dim)
        n = len(range(s, e, st))
        if n < 1:
            self.fail(f"{self.where(node)}: slice {start}:{end} of axis {axis} of "
                      f"{_fmt_dims(xs)} is empty{self.size_hint()}")
        if literal and self.probe and src in self.probe and len(self.probe[src]) == rank:
            old = self.probe[src][axis % rank]
            if old != dim:
                s0, e0, st0 = slice(start, end, step).indices(old)
                if (s0, e0, st0) == (0, old, 1):
                    s, e, st, n = 0, dim, 1, dim
                else:
                    self.fail(f"{self.where(node)} takes {start}:{end} of an axis that is "
                              f"{old} at the export size and {dim} here, written in the "
                              f"file as numbers{self.size_hint()}")
        ia = self.img_axis(act, axis, rank)
        if ia is None:                               # the batch axis: keeps its one image
            self.alias(out, src, bax=act.bax if keep else None)
            return
        if (s, n, st) == (0, dim, 1):
            tensor = act.tensor
        else:
            tensor = self.emit(node, out + ("#slice" if not keep else ""), "reshape",
                               [act.tensor], {"kind": "slice", "axis": ia, "start": s,
                                              "end": None if e >= dim else e, "step": st},
                               name=name, bax=act.bax)
            if not keep:
                self.fixed.append(tensor)
        if keep:
            if tensor == act.tensor:
                self.alias(out, src)
            return
        img = self.eshape[tensor]
        new = img[:ia] + img[ia + 1:]
        nb = act.bax if act.bax is None or act.bax < axis % rank else act.bax - 1
        self.emit(node, out, "reshape", [tensor], {"kind": "shape", "shape": list(new)},
                  name=(name or self._name(node, out)) + "_squeeze", bax=nb)

    def op_Slice(self, node, kinds):
        import numpy as np
        a = _attrs(node)
        rank = len(self.shapes[node.input[0]])
        literal = not any(isinstance(k, _Const) and k.shape_dep for k in kinds[1:3])
        if len(node.input) >= 3:
            vals = []
            for k in kinds[1:5]:
                if k is not None and not isinstance(k, _Const):
                    self.fail(f"{self.where(node)}: starts/ends/axes/steps are not constants")
                vals.append(None if k is None else k.value.reshape(-1).tolist())
            vals += [None] * (4 - len(vals))
            starts, ends, axes, steps = vals
        else:
            starts, ends, axes, steps = a.get("starts"), a.get("ends"), a.get("axes"), None
        if starts is None or ends is None or len(starts) != len(ends):
            self.fail(f"{self.where(node)}: starts and ends must be given, of equal length")
        axes = list(range(len(starts))) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        if not len(axes) == len(steps) == len(starts):
            self.fail(f"{self.where(node)}: starts, ends, axes and steps differ in length")
        big = np.iinfo(np.int64).max
        src = node.input[0]
        for i, (ax, s, e, st) in enumerate(zip(axes, starts, ends, steps)):
            st = int(st)
            if st < 1:
                return self.emit_other(node, "negative step")
            s, e = int(s), int(e)
            e = None if e >= big // 2 else e
            out = node.output[0] if i == len(axes) - 1 else f"{node.output[0]}#{i}"
            self._slice(node, src, out, int(ax), s, e, st,
                        name=None if i == len(axes) - 1 else f"{self._name(node, out)}",
                        literal=literal)
            src = out

    def _split_sizes(self, node, kinds, dim, n_out):
        a = _attrs(node)
        split = a.get("split")
        if split is None and len(node.input) > 1 and node.input[1]:
            if not isinstance(kinds[1], _Const):
                self.fail(f"{self.where(node)}: split sizes are not a constant")
            split = kinds[1].value.reshape(-1).tolist()
        if split is None:
            n = int(a.get("num_outputs", n_out))
            if n < 1:
                self.fail(f"{self.where(node)}: num_outputs must be positive")
            part = -(-dim // n)
            split = [min(part, dim - part * i) for i in range(n)]
        split = [int(v) for v in split]
        if any(v < 0 for v in split) or sum(split) != dim:
            self.fail(f"{self.where(node)}: split {split} does not add up to {dim}")
        return split

    def op_Split(self, node, kinds):
        xs = self.shapes[node.input[0]]
        axis = int(_attrs(node).get("axis", 0))
        if not -len(xs) <= axis < len(xs):
            self.fail(f"{self.where(node)}: axis {axis} does not fit rank {len(xs)}")
        split = self._split_sizes(node, kinds, xs[axis], len(node.output))
        if len(split) != len(node.output):
            self.fail(f"{self.where(node)}: {len(split)} parts for {len(node.output)} "
                      f"outputs")
        literal = len(node.input) > 1 and bool(node.input[1]) and not kinds[1].shape_dep
        start = 0
        for out, n in zip(node.output, split):
            if out and self.readers[out]:
                self._slice(node, node.input[0], out, axis, start, start + n, 1,
                            name=self._name(node, out), literal=literal)
            start += n

    def op_SplitToSequence(self, node, kinds):
        xs = self.shapes[node.input[0]]
        a = _attrs(node)
        axis = int(a.get("axis", 0))
        if not -len(xs) <= axis < len(xs):
            self.fail(f"{self.where(node)}: axis {axis} does not fit rank {len(xs)}")
        dim = xs[axis]
        if len(node.input) > 1 and node.input[1]:
            k = kinds[1]
            if not isinstance(k, _Const):
                self.fail(f"{self.where(node)}: split sizes are not a constant")
            v = k.value
            if v.ndim == 0:
                part = int(v)
                if part < 1:
                    self.fail(f"{self.where(node)}: split size {part} must be positive")
                split = [min(part, dim - i) for i in range(0, dim, part)]
            else:
                split = [int(s) for s in v.reshape(-1)]
            keep = 1
        else:
            split, keep = [1] * dim, int(a.get("keepdims", 1))
        if any(s < 0 for s in split) or sum(split) != dim:
            self.fail(f"{self.where(node)}: split {split} does not add up to {dim}")
        bounds = [(sum(split[:i]), sum(split[:i + 1])) for i in range(len(split))]
        self.vals[node.output[0]] = _Seq(node.input[0], axis, bounds, bool(keep))

    def op_SequenceAt(self, node, kinds):
        seq, pos = kinds[0], kinds[1] if len(kinds) > 1 else None
        if not isinstance(seq, _Seq) or not isinstance(pos, _Const) or pos.value.size != 1:
            return self.emit_other(node, "position not constant")
        i = int(pos.value.reshape(-1)[0])
        if not -len(seq.bounds) <= i < len(seq.bounds):
            self.fail(f"{self.where(node)}: position {i} is outside the sequence of "
                      f"{len(seq.bounds)}")
        s, e = seq.bounds[i]
        self._slice(node, seq.src, node.output[0], seq.axis, s, e, 1, keep=seq.keepdims)

    def op_Gather(self, node, kinds):
        idx = kinds[1] if len(kinds) > 1 else None
        if not isinstance(idx, _Const) or idx.value.size < 1:
            return self.emit_other(node, "indices not constant")
        xs = self.shapes[node.input[0]]
        axis = int(_attrs(node).get("axis", 0))
        if not -len(xs) <= axis < len(xs):
            self.fail(f"{self.where(node)}: axis {axis} does not fit rank {len(xs)}")
        dim = xs[axis]
        if idx.value.size > 1 or idx.value.ndim > 1:
            # a run start, start+step, ... (as_strided, x[:, a:b]) is a slice, reshaped
            # to the indices' shape
            v = [int(i) % dim if -dim <= int(i) < dim else -1
                 for i in idx.value.reshape(-1)]
            step = v[1] - v[0] if len(v) > 1 else 1
            if min(v) < 0 or step < 1 or v != list(range(v[0], v[0] + step * len(v), step)):
                return self.emit_other(node, "indices not a run")
            out = node.output[0]
            self._slice(node, node.input[0], out + "#run", axis, v[0], v[-1] + 1, step)
            ax = axis % len(xs)
            return self._reshape_to(node, tuple(xs[:ax]) + tuple(idx.value.shape) +
                                    tuple(xs[ax + 1:]), x=out + "#run", out=out)
        i = int(idx.value.reshape(-1)[0])
        if not -dim <= i < dim:
            self.fail(f"{self.where(node)}: index {i} is outside axis {axis} of size {dim}")
        i %= dim
        self._slice(node, node.input[0], node.output[0], axis, i, i + 1, 1,
                    keep=idx.value.ndim > 0)

    def op_Expand(self, node, kinds):
        xs, os_ = self.shapes.get(node.input[0]), self.oshapes.get(node.output[0])
        k = kinds[1] if len(kinds) > 1 else None
        if isinstance(k, _Const) and xs is not None:
            t = k.value.reshape(-1)
            old = self.probe.get(node.input[0])
            if not k.shape_dep and old is not None and len(old) == len(xs) \
                    and len(t) >= len(xs):
                # a target written for the export size (F.normalize's expand_as): an
                # axis it copied from the input follows the input's size here
                t = t.copy()
                for i in range(1, len(xs) + 1):
                    if int(t[-i]) == old[-i]:
                        t[-i] = xs[-i]
            os_ = self._expanded(node, xs, t)
        if xs is not None and os_ is not None and tuple(xs) == tuple(os_):
            return self.alias(node.output[0], node.input[0])
        act = self.vals[node.input[0]]
        if isinstance(k, _Const) and xs is not None and (
                act.bax is None or (act.bax < len(os_) and os_[act.bax] == 1)):
            # a broadcast copy (F.normalize's expand_as): x + 0 of the target shape
            img = tuple(os_) if act.bax is None else tuple(os_[:act.bax]) + tuple(
                os_[act.bax + 1:])
            return self.emit(node, node.output[0], "add", [act.tensor],
                             {"operand": list(img), "learned": False})
        return self.emit_other(node)

    def _expanded(self, node, shape, target):
        """The shape Expand gives ``shape`` with ``target`` (numpy broadcasting), or one
        error line naming the node when the two do not broadcast."""
        t = [int(v) for v in target.reshape(-1)]
        out = _broadcast(shape, t)
        if out is None:
            self.fail(f"{self.where(node)}: cannot expand {_fmt_dims(shape)} to {t}: the "
                      f"sizes do not broadcast{self.size_hint()}")
        return out

    def op_Shape(self, node, kinds):
        import numpy as np
        s = self.shapes.get(node.input[0])
        if s is None:
            self.fail(f"{self.where(node)}: the shape of {node.input[0]!r} is unknown; pass "
                      f"the input size, e.g. --input 640x480")
        a = _attrs(node)
        v = np.array(s, dtype=np.int64)[int(a.get("start", 0)):a.get("end", len(s))]
        self.vals[node.output[0]] = _Const(v, True)

    def op_Size(self, node, kinds):
        import numpy as np
        s = self.shapes[node.input[0]]
        self.vals[node.output[0]] = _Const(np.array(math.prod(s), dtype=np.int64), True)

    def op_Pad(self, node, kinds):
        a = _attrs(node)
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        pads = a.get("pads")
        if pads is None and len(node.input) > 1 and node.input[1]:
            if not isinstance(kinds[1], _Const):
                return self.emit_other(node, "pads not constant")
            pads = kinds[1].value.reshape(-1).tolist()
        x, out = node.input[0], node.output[0]
        xs = self.shapes[x]
        rank = len(xs)
        pads = [int(v) for v in (pads or [])]
        if len(node.input) > 3 and node.input[3]:         # opset 18: pads of some axes
            k = kinds[3]
            if not isinstance(k, _Const):
                return self.emit_other(node, "axes not constant")
            axes = [int(v) % rank for v in k.value.reshape(-1)]
            if len(pads) != 2 * len(axes):
                self.fail(f"{self.where(node)}: {len(pads)} pads for {len(axes)} axes")
            full = [0] * (2 * rank)
            for i, ax in enumerate(axes):
                full[ax], full[ax + rank] = pads[i], pads[i + len(axes)]
            pads = full
        if len(pads) != 2 * rank:
            self.fail(f"{self.where(node)}: {len(pads)} pads for a rank-{rank} input "
                      f"(expected {2 * rank})")
        act = self.vals[x]
        consumers = [n for n in self.model.graph.node if out in n.input]
        to_conv = (mode == "constant" and rank == 4 and act.bax == 0
                   and pads[0] == pads[1] == pads[4] == pads[5] == 0
                   and consumers and self.readers[out] == len(consumers)
                   and all(c.op_type in ("Conv", "MaxPool", "AveragePool")
                           for c in consumers))
        if to_conv:
            literal = not (len(kinds) > 1 and isinstance(kinds[1], _Const)
                           and kinds[1].shape_dep)
            self._check_same_pad(node, x, (pads[2], pads[3], pads[6], pads[7]),
                                 [self._kernel_of(c) for c in consumers],
                                 None if literal else out)
        if min(pads) < 0:
            return self.emit_other(node, "negative pads")
        if to_conv:
            self._padded[out] = (act.tensor, (pads[2], pads[3], pads[6], pads[7]))
            self.vals[out] = act
            self.shapes[out] = (1, xs[1], xs[2] + pads[2] + pads[6], xs[3] + pads[3] + pads[7])
            return
        if act.bax is not None:
            if pads[act.bax] or pads[act.bax + rank]:
                return self.emit_other(node, "pads the batch")
            keep = [i for i in range(rank) if i != act.bax]
        else:
            keep = list(range(rank))
        img = [pads[i] for i in keep] + [pads[i + rank] for i in keep]
        if not any(img):
            return self.alias(out, x)
        name = self.emit(node, out, "reshape", [act.tensor], {"kind": "pad", "pads": img})
        self.fixed.append(name)

    def _check_own_pads(self, node, pad, kernel, strides, dil):
        """Asymmetric pads of a conv/pool itself come from a Pad the exporter folded in
        (PyTorch's own padding is symmetric): checked like that Pad."""
        if pad[0] != pad[2] or pad[1] != pad[3]:
            self._check_same_pad(node, node.input[0], pad,
                                 [(node.name or node.op_type, kernel, strides, dil)])

    def _kernel_of(self, c):
        """(name, kernel, strides, dilations) of a 2-D Conv/pool node without pads of its
        own, else None."""
        a = _attrs(c)
        auto = a.get("auto_pad", b"NOTSET")
        if any(int(v) for v in a.get("pads", ())) or auto not in (b"NOTSET", "NOTSET"):
            return None
        if c.op_type == "Conv":
            w = self.vals.get(c.input[1]) if len(c.input) > 1 else None
            if w is None or isinstance(w, (_Act, _Seq)):
                return None
            k = a.get("kernel_shape", self._weight_dims(w)[2:])
        else:
            k = a.get("kernel_shape", ())
        k = tuple(int(v) for v in k)
        st = tuple(int(v) for v in a.get("strides", (1, 1)))
        dl = tuple(int(v) for v in a.get("dilations", (1, 1)))
        if not len(k) == len(st) == len(dl) == 2:
            return None
        return c.name or c.op_type, k, st, dl

    def _check_same_pad(self, node, x, pad, kernels, out=None):
        """Pads before a conv/pool, (top, left, bottom, right) at the size asked for,
        against TF-style 'same' padding (timm's Conv2dSame pads by Python ints computed
        from the input size). Written as numbers (out None), they are either a fixed pad
        (ZeroPad2d: size-independent) or 'same' at the export size; computed (out: the
        padded tensor, whose export-size shape gives the pads there) they may still hold
        a part the exporter baked (math.ceil of the size). When the pads were exactly
        'same' at the export size and are not 'same' here, the file cannot say which
        was meant: refused, naming both."""
        from ..shapes import same_padding
        old, new = self.probe.get(x), self.shapes.get(x)
        if not old or new is None or len(old) != 4 or tuple(old) == tuple(new):
            return
        t, l, b, r = pad
        old_out = self.probe.get(out) if out is not None else None
        if out is not None and (old_out is None or len(old_out) != 4):
            return
        for spec in kernels:
            if spec is None:
                continue
            cname, k, st, dl = spec

            def same(hw):
                return (same_padding(hw[0], k[0], st[0], dl[0]),
                        same_padding(hw[1], k[1], st[1], dl[1]))
            (ot, ob), (ol, orr) = same(old[2:])
            if out is None:
                was_same = (ot, ol, ob, orr) == (t, l, b, r)
            else:
                was_same = (ot + ob, ol + orr) == (old_out[2] - old[2], old_out[3] - old[3])
            (nt, nb), (nl, nr) = same(new[2:])
            if was_same and (nt, nl, nb, nr) != (t, l, b, r):
                fw, fh = self.file_size
                how = ("written as numbers; a fixed pad or 'same' padding, the file does "
                       "not say which" if out is None else "computed in the file from a "
                       "size partly written as numbers")
                self.fail(f"{self.where(node)} pads (top, left, bottom, right) {t}, {l}, {b}, "
                          f"{r} here ({how}): at the export size {fw}x{fh} they are TF-style "
                          f"'same' padding of {cname!r}, which at {self.build_size[0]}x"
                          f"{self.build_size[1]} needs {nt}, {nl}, {nb}, {nr}: import at "
                          f"{fw}x{fh} or re-export at the size you need")

    # -- result ---------------------------------------------------------------------
    def finish(self):
        name = os.path.splitext(os.path.basename(self.path))[0]
        m = self.model
        opset = max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
                    default="?")
        notes = [f"imported from {os.path.basename(self.path)} (producer "
                 f"{m.producer_name or '?'} {m.producer_version or ''}".rstrip() +
                 f", opset {opset})"]

        def listed(items, k=4):
            return f"{'; '.join(items[:k])}{' ...' if len(items) > k else ''}"

        def warn(msg):
            notes.append(msg)
            _warn(f"{self.path}: {msg}")

        if self.unknown:
            listing = ", ".join(f"{op} x{n}" for op, n in sorted(self.unknown.items()))
            warn(f"{sum(self.unknown.values())} node(s) kept as 'other' layers (no MACs "
                 f"counted; output shapes from ONNX shape inference): {listing}")
        w, h = self.build_size
        if self.fixed:
            notes.append(f"{len(self.fixed)} layer(s) hold sizes derived at {w}x{h} "
                         f"(Reshape targets, Resize sizes, slices or unsupported ops): "
                         f"{', '.join(self.fixed[:6])}{' ...' if len(self.fixed) > 6 else ''}"
                         f"; for another input size import the file at that size")
        if self.tables:
            notes.append(f"{len(self.tables)} attention bias constant(s) hold a relative-"
                         f"position table gathered by the exporter; counted as the table's "
                         f"learned values, as PyTorch counts them: {listed(self.tables, 3)}")
        if self.subgraphs:
            notes.append(f"{len(self.subgraphs)} operand(s) computed in the file from "
                         f"parameters (a position-bias MLP kept by an unfolded export) are "
                         f"'constant subgraph' layers with those params and MACs: "
                         f"{listed(self.subgraphs, 3)}")
        if self.blends:
            notes.append(f"{len(self.blends)} gate(s) stored as g and 1 - g (a parameter the "
                         f"exporter folded into two constants) counted once, as PyTorch "
                         f"counts the parameter: {listed(self.blends, 2)}")
        if self.folded:
            warn(f"{len(self.folded)} constant(s) hold what the exporter computed from layers "
                 f"no longer in the file, so params and MACs differ from PyTorch's (re-export "
                 f"with do_constant_folding=False, or dynamo with optimize=False, to keep "
                 f"them): {listed(self.folded, 2)}")
        if self.const_terms:
            warn(f"{len(self.const_terms)} constant(s) added to activations with a value per "
                 f"position are stored in the file, not parameters: a position encoding the "
                 f"exporter computed from constants alone; any layers that computed it (a "
                 f"conv on Fourier features) are gone from the file, counted neither as "
                 f"params nor MACs (PyTorch counts them): {listed(self.const_terms, 2)}")
        if self.unread:
            warn(f"{len(self.unread)} attention bias constant(s) counted as learned params "
                 f"in full; their values could not be read, or repeat in no per-head "
                 f"pattern, to tell a gathered position table (PyTorch counts only the "
                 f"table) from a full bias: {listed(self.unread, 3)}")
        shared = [(readers[0][0], readers[1:]) for readers in
                  getattr(self, "weight_readers", {}).values() if len(readers) > 1]
        if shared:
            first = {r[0][0]: r[0] for r in getattr(self, "weight_readers", {}).values()}
            extra_w = sum(size for _, more in shared for _, size, _, _ in more)
            extra_b = sum(bsize for owner, more in shared for _, _, bk, bsize in more
                          if bk is not None and bk == first[owner][2])
            warn(f"{len(shared)} weight(s) read by more than one layer (a shared module); "
                 f"sramfit counts a weight at every layer that reads it, so params and "
                 f"stored weight bytes are over by at least {extra_w + extra_b:,} values "
                 f"({extra_w:,} weights, {extra_b:,} biases; a chip stores one copy, and "
                 f"PyTorch counts it once): "
                 f"{listed([f'{o} -> ' + ', '.join(n for n, *_ in more) for o, more in shared], 2)}")
        if self.rederived:
            notes.append(f"{len(self.rederived)} Reshape target(s) written for the export "
                         f"size re-derived at {w}x{h}: {listed(self.rederived)}")
        else:
            # the engine's own shapes (stored by emit) against ONNX shape inference, where
            # it has an answer (which follows a literal target: no check once re-derived)
            bad = []
            for layer in self.layers:
                s = self.oshapes.get(self.layer_out.get(layer.name, ""))
                mine = _full(self.eshape[layer.name], self.layer_bax.get(layer.name, 0))
                if s is not None and tuple(s) != mine and math.prod(s) != math.prod(mine):
                    bad.append(f"{layer.name} ({layer.op}): ONNX {_fmt_dims(s)}, "
                               f"sramfit {_fmt_dims(mine)}")
            if bad:
                warn(f"{len(bad)} layer(s) get a different output shape in sramfit than in "
                     f"ONNX shape inference: {listed(bad)}")
        return Model(name, tuple(self.layers), self.channels, (int(w), int(h)),
                     source=f"ONNX file {self.path}", notes="; ".join(notes))


#: Exceptions a malformed file can raise from inside the importer or onnx; each
#: becomes one ModelError line naming the file (and the node when known).
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, StopIteration, AttributeError,
              ArithmeticError, RecursionError, UnicodeError, MemoryError, AssertionError,
              NotImplementedError, RuntimeError)


def _one_line(text: str) -> str:
    """Names in a file may hold newlines or control characters: never in a message."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _short(err) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:160]}{'...' if len(text) > 160 else ''}"


def load(path, width: int | None = None, height: int | None = None) -> Model:
    """Import an ONNX file. ``width``/``height`` are needed only when the file's input
    height/width are dynamic; when given for a static file, the model is checked to run
    at that size and it becomes the model's default size."""
    path = os.fspath(path)
    try:
        return _Importer(path, width, height).run()
    except SramfitError as err:
        if str(err).startswith(path):
            raise
        raise ModelError(_one_line(f"{path}: {err}")) from None
    except _MALFORMED as err:
        raise ModelError(_one_line(f"{path}: malformed or unsupported ONNX model "
                                   f"({_short(err)})")) from None
