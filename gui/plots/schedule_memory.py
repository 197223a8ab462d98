"""Issue 11 on the live-memory plot: under a depth-first schedule, the SRAM in use at
each step (engine/depthfirst.py ``DFResult.sram_per_step``: stack line buffers and
resident stack weights, tensors kept between segments, pinned weights; the chip's
staging space not included) against the whole SRAM capacity. The engine gives no such
per-step figure for layer by layer, so nothing is drawn then."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from .base import MB, set_label, set_xy

USED = QColor("#8338ec")
NAME = "SRAM in use, depth-first (line buffers, kept tensors, pinned weights)"


class ScheduleMemory:
    def __init__(self, plot_item):
        self.curve = pg.PlotDataItem([], [], pen=pg.mkPen(USED, width=1.8),
                                     stepMode="center", name=NAME)
        self.curve.setZValue(5)
        self.total = pg.InfiniteLine(angle=0, movable=False,
                                     pen=pg.mkPen(USED, width=1, style=Qt.PenStyle.DotLine),
                                     label="", labelOpts={"position": 0.02,
                                                          "anchors": [(0, 1), (0, 1)],
                                                          "color": USED})
        plot_item.addItem(self.curve)
        plot_item.addItem(self.total)
        self.curve.hide()
        self.total.hide()

    def render(self, analysis) -> float:
        """Draw the per-step SRAM use if the analysis ran depth-first; the highest
        value drawn (bytes), 0 if nothing."""
        df = getattr(analysis, "df", None)
        per_step = None if df is None else getattr(df, "sram_per_step", None)
        if per_step is None or not len(per_step):
            self.curve.hide()
            self.total.hide()
            return 0.0
        used = np.asarray(per_step, dtype=float)
        n = len(used)
        set_xy(self.curve, np.arange(n + 1) - 0.5, used / MB)
        self.curve.show()
        cap = float(analysis.sram_bytes)
        self.total.show()                  # before the text: hidden labels ignore it
        self.total.setValue(cap / MB)
        set_label(self.total, f"SRAM {cap / MB:,.1f} MB")
        return max(float(used.max()), cap)
