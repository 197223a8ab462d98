"""Declarative field schemas and resource limits for sramfit's files.

The model: every file kind (scenario, chip profile, model, layer) is a flat mapping
whose fields are described by one :class:`Field` each (allowed types, default or
REQUIRED, inclusive range, choices, list item type, a hint saying how to fix a bad
value). :func:`check` turns a mapping plus its schema into problem messages; it never
raises on any input, however malformed (non-string keys, NaN, huge numbers, lists
where names belong), and it never quotes more than :data:`SHOW_CHARS` characters of a
value. Adding a field to a file kind is one line in that kind's schema.

The resource limits below bound every number the engine multiplies, so that the
int64 totals (params, MACs, bytes x batch) cannot overflow: see :data:`LIMITS`.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

REQUIRED = object()

#: longest excerpt of a value quoted in an error message
SHOW_CHARS = 60

# -- resource limits (per image; batch <= footprint.MAX_BATCH = 2^12 multiplies them) --
MAX_LAYERS = 100_000                 # layers in one model
MAX_CHANNELS = 1 << 24               # conv/fc output channels or features
MAX_KERNEL = 1 << 16                 # kernel, stride, dilation, padding per side
MAX_SCALE = 16384                    # upsample factor per axis
MAX_TENSOR_ELEMENTS = 1 << 40        # values in one tensor
MAX_TOTAL_ELEMENTS = 1 << 44         # values in all tensors of a model
MAX_PARAMS = 1 << 40                 # parameters of a model
MAX_MACS = 1 << 50                   # multiply-accumulates of a model, per image
MAX_RANK = 8                         # dimensions of a tensor shape

LIMITS = {"MAX_LAYERS": MAX_LAYERS, "MAX_CHANNELS": MAX_CHANNELS,
          "MAX_KERNEL": MAX_KERNEL, "MAX_SCALE": MAX_SCALE,
          "MAX_TENSOR_ELEMENTS": MAX_TENSOR_ELEMENTS,
          "MAX_TOTAL_ELEMENTS": MAX_TOTAL_ELEMENTS, "MAX_PARAMS": MAX_PARAMS,
          "MAX_MACS": MAX_MACS, "MAX_RANK": MAX_RANK}

_WORDS = {str: "a string", bool: "true or false", int: "a whole number",
          float: "a number", list: "a list", dict: "a mapping", type(None): "null"}


def show(value: Any) -> str:
    """repr(value), cut to :data:`SHOW_CHARS` characters (never raises)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails is shown by type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS - 3] + "..."


def is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def is_int(v: Any) -> bool:
    """A whole number (Python or numpy integer), not a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def whole(value: Any, what: str, lo: int | None = None, hi: int | None = None,
          fix: str = "", error: type = ValueError) -> int:
    """``value`` as an int when it is a whole number (Python or numpy integer, not a
    bool) in ``lo..hi`` (either bound optional); otherwise raise ``error`` with one
    line naming ``what`` (and ``fix``, how to fix it). The int-range check of every
    loader (layers, footprint sizes and batch)."""
    hint = f"; {fix}" if fix else ""
    if not is_int(value):
        raise error(f"{what}: expected a whole number, got {show(value)}{hint}")
    if hi is not None and value > hi:
        raise error(f"{what}: {value} is more than the limit {hi}{hint}")
    if lo is not None and value < lo:
        raise error(f"{what}: expected a whole number >= {lo}, got {value}{hint}")
    return int(value)


@dataclass(frozen=True)
class Field:
    """One field of a file kind."""
    types: tuple
    default: Any = None
    lo: float | None = None          # inclusive lower bound (numbers)
    hi: float | None = None          # inclusive upper bound (numbers)
    above: bool = False              # True: the value must be > lo, not >= lo
    choices: tuple | None = None     # allowed strings (case-insensitive)
    items: type | None = None        # lists: the type of every item
    fix: str = ""                    # how to fix a bad value
    check: Callable | None = None    # extra check: value -> message or None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def want(self) -> str:
        return " or ".join(_WORDS.get(t, t.__name__) for t in self.types
                           if not (t is int and float in self.types))

    def problem(self, v: Any) -> str | None:
        """None if ``v`` is acceptable, else why not (without the field name)."""
        if not isinstance(v, self.types) or (isinstance(v, bool) and bool not in self.types):
            return f"expected {self.want()}, got {show(v)}"
        hint = f"; {self.fix}" if self.fix else ""
        if is_number(v) and (self.lo is not None or self.hi is not None
                             or float in self.types):
            if isinstance(v, float) and not math.isfinite(v):
                return f"{show(v)} is not a finite number{hint}"
            if self.lo is not None and (v <= self.lo if self.above else v < self.lo):
                return f"must be {'>' if self.above else '>='} {self.lo:g}, got {show(v)}{hint}"
            if self.hi is not None and v > self.hi:
                return f"must be <= {self.hi:g}, got {show(v)}{hint}"
        if self.choices is not None and isinstance(v, str) \
                and v.lower() not in self.choices:
            return f"{show(v)} is not one of {', '.join(self.choices)}"
        if self.items is not None and isinstance(v, list):
            for i, item in enumerate(v):
                if not isinstance(item, self.items) or isinstance(item, bool) \
                        and self.items is not bool:
                    return f"item {i}: expected {_WORDS.get(self.items, 'a value')}, " \
                           f"got {show(item)}"
        if self.check is not None:
            return self.check(v)
        return None


def canonical(data: dict, schema: dict) -> dict:
    """``data`` with every value of a ``choices`` field in its canonical (lower) case:
    the check accepts any case, so what is stored must not depend on it."""
    return {k: (v.lower() if isinstance(v, str) and k in schema
                and schema[k].choices is not None else v) for k, v in data.items()}


def key_problems(data: dict, schema: dict, what: str, bad: Callable,
                 kind_keys: tuple = ()) -> bool:
    """Report non-string and unknown keys of ``data`` (at most five). Returns False
    when ``data`` does not look like this kind of file at all (empty, or unknown keys
    and none of ``kind_keys``), after one message that quotes nothing of it: the
    contents of a foreign file never leak into an error."""
    unknown = [k for k in data if not isinstance(k, str) or k not in schema]
    if kind_keys and (unknown or not data) and not any(isinstance(k, str) and k in kind_keys
                                                       for k in data):
        bad((), f"this is not {what} (it has none of the fields "
                f"{', '.join(kind_keys[:6])}, ...)")
        return False
    for k in unknown[:5]:
        if not isinstance(k, str):
            bad((), f"field names must be text, got {show(k)}")
        else:
            bad((k,), f"unknown field {show(k)}; allowed: {', '.join(schema)}")
    return True


def check(data: dict, schema: dict, bad: Callable, prefix: str = "") -> None:
    """Report every type/range problem of the known fields of ``data`` and every
    missing required field, via ``bad(key path, message)``."""
    for k, f in schema.items():
        if k not in data:
            if f.required:
                bad((), f"missing required field {prefix + k!r}")
            continue
        msg = f.problem(data[k])
        if msg:
            bad((k,), f"field {prefix + k!r}: {msg}")


__all__ = ["Field", "LIMITS", "REQUIRED", "canonical", "check", "is_int", "is_number",
           "key_problems", "show", "whole"] + list(LIMITS)
