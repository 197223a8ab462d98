"""Per-layer activation bytes (fit/spill bars) and weights per layer."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from .base import sram_line, FIT, Frame, LOG_FLOOR_MB, MB, SPILL, StepPlot, WEIGHT, _log10, activation_capacity
from .base import cache_static, capacity_label, set_bars, set_label, set_xy
from sramfit.gui.text import fmt_mb
from .stack_bands import BAND_KEY, LABEL as STACK_LABEL, StackBands
class ActivationPlot(StepPlot):
    """Per-layer activation bytes (bars coloured by fit/spill) and weights per layer."""

    title = "Activations and weights per layer"
    help_text = ("Bars: bytes of each step's output activation for the whole batch, green "
                 "if it stays in on-chip SRAM, red if it spills to DRAM.\nDark diamonds: weight "
                 "bytes of the step. Dashed line: SRAM available to activations.\n"
                 "Click a bar to select the layer in the table. MB = 10^6 bytes.")

    def __init__(self, parent=None, log: bool = True):
        super().__init__(parent)
        self.log = log
        self._fit_brush, self._spill_brush = pg.mkBrush(FIT), pg.mkBrush(SPILL)
        self.bars = pg.BarGraphItem(x=np.zeros(0), y0=np.zeros(0), height=np.zeros(0),
                                    width=0.8, pen=None, brush=FIT,
                                    name="activation per step, whole batch")
        self.weights = pg.ScatterPlotItem(size=6, symbol="d", pen=None,
                                          brush=pg.mkBrush(WEIGHT), name="weights per step")
        cache_static(self.bars)               # a notch recolours a few bars at most
        self.capacity = sram_line(1)
        for item in (self.bars, self.weights, self.capacity):
            self.plotItem.addItem(item)
        self.stack_bands = StackBands(self.plotItem)          # issue 11
        self._legend_fused = None
        self._legend(False)
        self.set_labels("MB per step (10⁶ B)", "execution step")
        self._frame = None
        self.set_log(log)

    def _legend(self, fused: bool):
        if fused == self._legend_fused:
            return
        self._legend_fused = fused
        self.set_title(self.title, [("activation in SRAM", FIT, "■"),
                                    ("activation spilled", SPILL, "■"),
                                    ("weights", WEIGHT, "◆")]
                       + ([(STACK_LABEL, BAND_KEY, "▮")] if fused else []))

    def set_log(self, log: bool):
        self.log = bool(log)
        self.plotItem.getAxis("left").setLogMode(False, self.log)
        if self._frame is not None:
            self.render(self._frame)

    def _y(self, nbytes):
        mb = np.asarray(nbytes, dtype=float) / MB
        return _log10(mb, LOG_FLOOR_MB) if self.log else mb

    def render(self, frame: Frame):
        self._frame = frame
        a, fp = frame.analysis, frame.footprint
        act = np.asarray(fp.activation_bytes, dtype=float)
        wts = np.asarray(fp.weight_bytes, dtype=float)
        in_sram = np.asarray(a.in_sram, dtype=bool)
        n = len(act)
        self._n = n
        x = np.arange(n)
        base = math.log10(LOG_FLOOR_MB) if self.log else 0.0
        brushes = [self._fit_brush if f else self._spill_brush for f in in_sram]
        set_bars(self.bars, x=x, y0=np.full(n, base), height=self._y(act) - base, width=0.8,
                 brushes=brushes)
        has_w = wts > 0
        set_xy(self.weights, x[has_w], self._y(wts[has_w]))
        cap = float(activation_capacity(a))
        if cap > 0:
            # show first: a hidden line's label ignores new text (it kept "50.4 MB")
            self.capacity.show()
            self.capacity.setValue(float(self._y(cap)))
            set_label(self.capacity, capacity_label(a))
        else:
            self.capacity.hide()
        top = max(act.max(initial=0), wts.max(initial=0), cap)
        vb = self.plotItem.getViewBox()
        if self.log:
            self.set_range(vb, y=(base, math.log10(max(top / MB, 1e-2)) + 0.35))
        else:
            self.set_range(vb, y=(0, top / MB * 1.12 or 1))
        self.set_range(vb, x=(-1, n))
        y1 = (math.log10(max(top / MB, 1e-2)) + 0.35) if self.log else (top / MB * 1.12 or 1)
        self._legend(self.stack_bands.render(a, base, y1))
        names, spans = frame.names, list(self.stack_bands.spans)

        def texts():
            out = [f"{names[i]}: activation {fmt_mb(act[i])} "
                   f"({'in SRAM' if in_sram[i] else 'spilled to DRAM'}), "
                   f"weights {fmt_mb(wts[i])}" for i in range(n)]
            for k, (lo, hi) in enumerate(spans):
                for i in range(lo, min(hi + 1, n)):
                    out[i] += f"; in fused stack {k + 1} (steps {lo}-{hi})"
            return out
        self.hover_texts(texts)
