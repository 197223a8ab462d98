"""Units. MB = 10^6 bytes and GB = 10^9 bytes everywhere (MiB = 2^20 is never used
unless a label says MiB)."""
from __future__ import annotations

import re

from .errors import InputError


def fmt_bytes(n: float) -> str:
    n = float(n)
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:,.2f} {unit}"
    return f"{n:,.0f} B"


def fmt_count(n: float) -> str:
    n = float(n)
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:,.3f} {unit}"
    return f"{n:,.0f}"


_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1088' -> (1920, 1088): width x height."""
    m = _SIZE.match(str(text))
    if not m:
        raise InputError(f"--input {text!r}: expected width x height in pixels, e.g. 1920x1088")
    w, h = int(m.group(1)), int(m.group(2))
    if w < 1 or h < 1:
        raise InputError(f"--input {text!r}: width and height must be at least 1 pixel")
    return w, h
