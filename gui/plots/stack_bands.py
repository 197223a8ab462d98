"""Shaded bands behind a per-step plot over the steps that run inside a fused
depth-first stack (issue 11). Drawn in the ViewBox, not as a data series: CSV exports
stay the plotted figures; the layer table carries the stack of every step."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from .base import set_bars


BAND = QColor(131, 56, 236, 38)         # light violet, under the bars
BAND_ALT = QColor(131, 56, 236, 70)     # every other stack: adjacent stacks stay apart
BAND_KEY = QColor(131, 56, 236, 150)
LABEL = "in a fused stack (line-buffered)"


class StackBands:
    def __init__(self, plot_item):
        self.item = pg.BarGraphItem(x=np.zeros(0), y0=np.zeros(0), height=np.zeros(0),
                                    width=1.0, pen=None, brush=pg.mkBrush(BAND))
        self.item.setZValue(-50)
        plot_item.getViewBox().addItem(self.item, ignoreBounds=True)
        self.spans: list[tuple[int, int]] = []
        self._brushes = (pg.mkBrush(BAND), pg.mkBrush(BAND_ALT))

    def render(self, analysis, y0: float, y1: float) -> bool:
        """Bands over the fused steps, from ``y0`` to ``y1`` (view units). True if any."""
        stacks = getattr(analysis, "stacks", None) or []
        self.spans = [(int(s["first_step"]), int(s["last_step"])) for s in stacks]
        lo = np.array([a for a, _ in self.spans], dtype=float)
        hi = np.array([b for _, b in self.spans], dtype=float)
        brushes = [self._brushes[i % 2] for i in range(len(lo))]
        set_bars(self.item, x=(lo + hi) / 2, width=hi - lo + 1.0, y0=np.full(len(lo), y0),
                 height=np.full(len(lo), y1 - y0), brushes=brushes)
        self.item.setVisible(bool(len(lo)))
        return bool(self.spans)          # every stack spans at least one step
