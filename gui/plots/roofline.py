"""The roofline: each step's arithmetic intensity against its attained speed."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from .base import _font, ACCENT, COMPUTE, Frame, MEMORY, PlotBase, WEIGHT, roofline
from .base import Marker, cache_static, set_text, set_xy



class RooflinePlot(PlotBase):
    """Each layer's arithmetic intensity against the ops/s it attains, under the roof."""

    title = "Roofline of the layers"
    help_text = ("Roofline: a layer cannot run faster than the chip's peak ops/s (flat "
                 "roof) nor than DRAM bandwidth x arithmetic intensity (slanted roof).\n"
                 "Arithmetic intensity = operations (2 per MAC) per byte moved to or from "
                 "DRAM. Points: each layer's attained ops/s, blue if compute-bound, red if "
                 "memory-bound. Steps with no DRAM traffic have no finite intensity: they are\n"
                 "not drawn, only counted (bottom right).\n"
                 "Click a point to select the layer.")

    X_MIN = 0.1        # ops/byte: the left edge

    def __init__(self, parent=None):
        super().__init__(parent)
        self.roof = pg.PlotDataItem([], [], pen=pg.mkPen(WEIGHT, width=2), name="roof")
        cache_static(self.roof.curve)         # a notch moves points, not the roof
        # one item per bound, each with one fixed brush: no per-point brushes, so a
        # redraw renders no symbols (it rendered ~77 per change)
        self.points = {}
        for bound, colour in (("compute", COMPUTE), ("memory", MEMORY)):
            item = pg.ScatterPlotItem(size=8, pen=pg.mkPen("w", width=0.5),
                                      brush=pg.mkBrush(colour), hoverable=True,
                                      hoverSize=12, tip=self._tip, name=f"{bound}-bound")
            item.sigClicked.connect(self._clicked)
            self.points[bound] = item
        self.no_dram = pg.TextItem("", color="#555", anchor=(1, 1))
        self.no_dram.setFont(_font(8.0))
        self.sel = Marker("o", 16, pen=pg.mkPen(ACCENT, width=2), name="selected layer")
        for item in (self.roof, *self.points.values(), self.sel, self.no_dram):
            self.plotItem.addItem(item)
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self.plotItem.getAxis("left").setLogMode(False, True)
        self.set_labels("attained TOPS (10¹² ops/s)",
                        "arithmetic intensity (ops per DRAM byte)")
        self.set_title(self.title, [("compute-bound", COMPUTE, "●"),
                                    ("memory-bound", MEMORY, "●"), ("roof", WEIGHT, "—")])
        self._xy = np.zeros((0, 2))

    def _tip(self, x, y, data):
        return self._texts[data] if data is not None and data < len(self._texts) else ""

    def _clicked(self, item, points, ev):
        if len(points):
            self.layerClicked.emit(int(points[0].data()))

    def select(self, index):
        super().select(index)
        if index is None or index >= len(self._xy) or np.isnan(self._xy[index]).any():
            set_xy(self.sel, [], [])          # not drawn (no DRAM traffic): no ring
        else:
            set_xy(self.sel, [self._xy[index, 0]], [self._xy[index, 1]])

    def render(self, frame: Frame):
        self.mark_speed_estimate(frame)         # issue 12
        a = frame.analysis
        r = roofline(a)
        ops, dram, t = r["ops"], r["dram_bytes"], r["time_s"]
        # a step with no DRAM bytes has no finite intensity: count it, do not invent one
        has = (ops > 0) & (dram > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ai = np.where(dram > 0, ops / np.maximum(dram, 1), np.nan)
            achieved = np.where(t > 0, ops / np.maximum(t, 1e-30), 0.0)
        idx = np.nonzero(has)[0]
        x = np.log10(ai[idx])
        y = np.log10(np.maximum(achieved[idx], 1.0) / 1e12)
        self._xy = np.full((len(ops), 2), np.nan)
        self._xy[idx, 0], self._xy[idx, 1] = x, y
        bound = np.asarray(a.bound).astype(str)
        for b, item in self.points.items():
            sel = bound[idx] == b
            set_xy(item, x[sel], y[sel], data=idx[sel].tolist())
        peak, bw = r["peak_ops"], r["dram_bytes_per_s"]
        ridge = math.log10(peak / bw) if bw > 0 else 3.0
        x_hi = max(float(x.max()) if len(x) else ridge, ridge) + 0.5
        x_lo = min(float(x.min()) if len(x) else 0.0, math.log10(self.X_MIN))
        xs = np.linspace(x_lo, x_hi, 200)
        roof = np.minimum(peak, bw * 10 ** xs)
        set_xy(self.roof, xs, np.log10(roof / 1e12))
        n_free = int(((ops > 0) & ~(dram > 0)).sum())
        set_text(self.no_dram, f"{n_free} steps with no DRAM traffic (not drawn) "
                             if n_free else "")
        names = frame.names

        def texts():
            out = [""] * len(ops)
            for i in idx:
                out[i] = (f"{names[i]}: {achieved[i] / 1e12:,.3f} TOPS attained, "
                          f"{ai[i]:,.1f} ops per DRAM byte, {bound[i]}-bound")
            return out
        self.hover_texts(texts)
        vb = self.plotItem.getViewBox()
        ylo = min(float(y.min()) if len(y) else -3, math.log10(roof.min() / 1e12))
        self.set_range(vb, x=(x_lo, x_hi), pad=0.02)
        self.set_range(vb, y=(ylo - 0.2, math.log10(peak / 1e12) + 0.3))
        self.no_dram.setPos(x_hi, ylo - 0.15)
        self.select(self.selected)
