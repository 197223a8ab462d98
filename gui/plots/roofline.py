"""The roofline: each step's arithmetic intensity against its attained speed."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from .base import ACCENT, COMPUTE, Frame, MEMORY, PlotBase, WEIGHT, roofline



class RooflinePlot(PlotBase):
    """Each layer's arithmetic intensity against the ops/s it attains, under the roof."""

    title = "Roofline of the layers"
    help_text = ("Roofline: a layer cannot run faster than the chip's peak ops/s (flat "
                 "roof) nor than DRAM bandwidth x arithmetic intensity (slanted roof).\n"
                 "Arithmetic intensity = operations (2 per MAC) per byte moved to or from "
                 "DRAM. Points: each layer's attained ops/s, blue if compute-bound, red if "
                 "memory-bound. Layers with no DRAM traffic sit at the right edge.\n"
                 "Click a point to select the layer.")

    NO_DRAM_AI = 1e5   # where layers with no DRAM bytes are drawn (ops/byte)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.roof = pg.PlotDataItem([], [], pen=pg.mkPen(WEIGHT, width=2), name="roof")
        self.points = pg.ScatterPlotItem(size=8, pen=pg.mkPen("w", width=0.5),
                                         hoverable=True, hoverSize=12, tip=self._tip,
                                         name="layers")
        self.points.sigClicked.connect(self._clicked)
        self.sel = pg.ScatterPlotItem(size=16, brush=None, pen=pg.mkPen(ACCENT, width=2),
                                      name="selected layer")
        for item in (self.roof, self.points, self.sel):
            self.plotItem.addItem(item)
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self.plotItem.getAxis("left").setLogMode(False, True)
        self.set_labels("attained TOPS (10¹² ops/s)",
                        "arithmetic intensity (ops per DRAM byte)")
        self.set_title(self.title, [("compute-bound", COMPUTE, "●"),
                                    ("memory-bound", MEMORY, "●"), ("roof", WEIGHT, "—")])
        self._texts: list[str] = []
        self._xy = np.zeros((0, 2))

    def _tip(self, x, y, data):
        return self._texts[data] if data is not None and data < len(self._texts) else ""

    def _clicked(self, item, points, ev):
        if len(points):
            self.layerClicked.emit(int(points[0].data()))

    def select(self, index):
        super().select(index)
        if index is None or index >= len(self._xy):
            self.sel.setData([], [])
        else:
            self.sel.setData([self._xy[index, 0]], [self._xy[index, 1]])

    def render(self, frame: Frame):
        self.mark_speed_estimate(frame)         # issue 12
        a = frame.analysis
        r = roofline(a)
        ops, dram, t = r["ops"], r["dram_bytes"], r["time_s"]
        has = ops > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ai = np.where(dram > 0, ops / np.maximum(dram, 1), self.NO_DRAM_AI)
            achieved = np.where(t > 0, ops / np.maximum(t, 1e-30), 0.0)
        ai = np.minimum(ai, self.NO_DRAM_AI)
        idx = np.nonzero(has)[0]
        x = np.log10(ai[idx])
        y = np.log10(np.maximum(achieved[idx], 1.0) / 1e12)
        self._xy = np.full((len(ops), 2), np.nan)
        self._xy[idx, 0], self._xy[idx, 1] = x, y
        bound = np.asarray(a.bound)
        brushes = [pg.mkBrush(MEMORY if str(bound[i]) == "memory" else COMPUTE) for i in idx]
        self.points.setData(x=x, y=y, data=idx.tolist(), brush=brushes)
        peak, bw = r["peak_ops"], r["dram_bytes_per_s"]
        xs = np.linspace(-1, math.log10(self.NO_DRAM_AI), 200)
        roof = np.minimum(peak, bw * 10 ** xs)
        self.roof.setData(xs, np.log10(roof / 1e12))
        names = frame.names
        self._texts = [""] * len(ops)
        for i in idx:
            ai_txt = (f"{ai[i]:,.1f} ops/B" if dram[i] > 0 else "no DRAM traffic")
            self._texts[i] = (f"{names[i]}: {achieved[i] / 1e12:,.3f} TOPS attained, "
                              f"{ai_txt}, {bound[i]}-bound")
        vb = self.plotItem.getViewBox()
        ylo = min(float(y.min()) if len(y) else -3, math.log10(roof.min() / 1e12))
        self.set_range(vb, x=(-1, math.log10(self.NO_DRAM_AI)), pad=0.02)
        self.set_range(vb, y=(ylo - 0.2, math.log10(peak / 1e12) + 0.3))
        self.select(self.selected)
