"""Log-axis tick labels that do not run together (issue 15, bug 6).

pyqtgraph labels every tick of a log axis (2, 3, ... 9 x 10^k) once the axis is long
enough (the single-plot view, the Pareto tab): the labels run into each other. These
axes label only the decades when two or more are in view (else 1, 2 and 5 x 10^k), and
then every k-th of them so that labels stay ~1.5 label widths apart; the ticks stay.
"""
from __future__ import annotations

import numpy as np


def kept_log_labels(values, strings, px_per_decade: float, label_px) -> list[str]:
    """``strings`` with the labels to drop blanked. ``values`` are log10 positions,
    ``label_px(text)`` a label's extent along the axis in pixels."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return list(strings)
    frac = v - np.floor(v + 1e-9)
    decade = np.abs(frac) < 1e-6
    if decade.sum() >= 2:
        keep = decade
    else:
        mant = 10 ** frac
        keep = np.zeros(len(v), bool)
        for m in (1.0, 2.0, 5.0):
            keep |= np.isclose(mant, m, rtol=1e-6)
    idx = np.flatnonzero(keep)
    if len(idx) > 1 and px_per_decade > 0:
        widest = max(label_px(strings[i]) for i in idx)
        gap = px_per_decade * float(np.min(np.diff(v[idx])))
        step = int(np.ceil(1.5 * widest / max(gap, 1e-9)))
        if step > 1:
            idx = idx[::step]
    out = [""] * len(strings)
    for i in idx:
        out[i] = strings[i]
    return out


def sparse_log_labels(ax) -> None:
    """Make the pyqtgraph AxisItem ``ax`` label its log ticks sparsely (in log mode)."""
    from PySide6.QtGui import QFontMetricsF
    orig = ax.logTickStrings

    def log_tick_strings(values, scale, spacing):
        strings = orig(values, scale, spacing)
        if not len(values):
            return strings
        vertical = ax.orientation in ("left", "right")
        geo = ax.geometry()
        px = geo.height() if vertical else geo.width()
        lo, hi = sorted(float(x) for x in ax.range)
        fm = QFontMetricsF(ax.style.get("tickFont") or ax.font())
        extent = ((lambda t: fm.height()) if vertical
                  else (lambda t: fm.horizontalAdvance(t)))
        return kept_log_labels(values, strings, px / ((hi - lo) or 1.0), extent)

    ax.logTickStrings = log_tick_strings
