"""Numeric precisions, in bits. Bytes are always derived from bits, never typed in."""
from __future__ import annotations

from .errors import InputError

BITS = {"int4": 4, "int8": 8, "fp16": 16, "bf16": 16, "fp32": 32}
NAMES = tuple(BITS)


def bits(name: str) -> int:
    try:
        return BITS[str(name).lower()]
    except KeyError:
        raise InputError(
            f"unknown precision {name!r}: use one of {', '.join(NAMES)}") from None


def nbytes(elements: int, nbits: int) -> int:
    """Bytes to store ``elements`` values of ``nbits`` each (sub-byte values packed)."""
    return (int(elements) * int(nbits) + 7) // 8
