"""Numbers as display text (no arithmetic beyond unit scaling): MB = 10^6 bytes.

Qt-free, shared by the plots, the panels, the compare table and the exports.
"""
from __future__ import annotations

import math

MB = 1e6


def fmt_mb(nbytes: float) -> str:
    mb = float(nbytes) / MB
    if mb == 0:
        return "0 MB"
    if abs(mb) >= 1e7:                      # 10^13 bytes and up: TB (10^12 bytes)
        return f"{mb / 1e6:,.1f} TB"
    if abs(mb) >= 1e4:                      # 10^10 bytes and up: GB (10^9 bytes)
        return f"{mb / 1e3:,.1f} GB"
    if abs(mb) >= 100:
        return f"{mb:,.0f} MB"
    if abs(mb) >= 1:
        return f"{mb:,.1f} MB"
    if abs(mb) >= 0.01:
        return f"{mb:.2f} MB"
    return f"{mb * 1000:.1f} kB"


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    v = float(v)
    if not math.isfinite(v):
        return ""
    a = abs(v)
    if v == int(v) and a < 1e6:
        return f"{int(v):,}"
    if a >= 100:
        return f"{v:,.0f}" if a >= 10000 else f"{v:,.1f}"
    if a >= 1 or abs(float(f"{v:.3g}")) >= 1:     # 0.9998 ms reads 1.00, not "1"
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_delta(v) -> str:
    if v is None:
        return ""
    s = fmt(v)
    return s if s.startswith("-") or s in ("", "0") else "+" + s


def fmt_pct(p, value=None, base=None) -> str:
    if p is None:
        return "new" if value not in (None, base) else ""
    return f"{p:+.0f}%"


def fmt_seconds(s: float) -> str:
    """A duration in ms below 10 s, in s above (bug 15: "2,248,487.85 ms")."""
    s = float(s)
    if abs(s) >= 10:
        return f"{s:,.1f} s"
    return f"{s * 1e3:,.2f} ms"
