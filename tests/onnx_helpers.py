"""Shared by the ONNX tests and tests/reference/fuzz_onnx.py: a small-graph model
builder (one image input, the last node's first output as the graph output) and the
byte mutations the fuzzers apply to real exports."""
from __future__ import annotations

import numpy as np


def graph_model(nodes, inits=(), shape=(1, 3, 8, 8), opset=17, input_name="x", out=None):
    """An onnx ModelProto of ``nodes``; ``inits`` maps names to numpy arrays (or
    TensorProtos), as a dict or (name, value) pairs."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    inits = [v if isinstance(v, onnx.TensorProto) else numpy_helper.from_array(
        np.asarray(v), k) for k, v in dict(inits or {}).items()]
    outs = [helper.make_tensor_value_info(out or nodes[-1].output[0], TensorProto.FLOAT,
                                          None)]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info(
        input_name, TensorProto.FLOAT, list(shape))], outs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


MUTATIONS = ("flip", "drop", "insert", "small", "dup")
#: bytes that turn a varint into a small or a huge number
SMALL_BYTES = (0, 1, 2, 0x7F, 0x80, 0xFF)


def mutate(raw: bytes, integer, choice, blob, rounds=6, kinds=MUTATIONS) -> bytes:
    """``raw`` with 1..rounds bytes flipped, runs dropped or inserted, a byte set to a
    varint edge, or a run duplicated. The draws come from the caller: ``integer(lo, hi)``
    (inclusive), ``choice(seq)`` and ``blob(n)`` (n random bytes): a random.Random or
    hypothesis' data.draw."""
    raw = bytearray(raw)
    for _ in range(integer(1, rounds)):
        if not raw:
            raw.append(0)
        i = integer(0, len(raw) - 1)
        how = choice(kinds)
        if how == "flip":
            raw[i] ^= integer(1, 255)
        elif how == "drop":
            del raw[i:i + integer(1, 64)]
        elif how == "insert":
            raw[i:i] = blob(integer(1, 16))
        elif how == "small":
            raw[i] = choice(SMALL_BYTES)
        else:
            j = integer(0, len(raw) - 1)
            raw[i:i] = raw[j:j + integer(1, 256)]
    return bytes(raw or b"\0")
