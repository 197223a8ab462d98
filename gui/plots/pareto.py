"""Compare: the Pareto plot of SRAM (cost) against throughput, DRAM bandwidth or DRAM
per image."""
from __future__ import annotations

from typing import TYPE_CHECKING


import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from sramfit.engine.labels import PARETO_Y

from .base import MUTED, PlotBase, _font
from .compare_base import PALETTE, color

if TYPE_CHECKING:     # the plots draw CompareData; they never build it
    from sramfit.gui.compare.data import CompareData


class ParetoPlot(PlotBase):
    """SRAM area (cost) vs a benefit for the family; the Pareto front connected."""

    title = "SRAM area vs throughput: the Pareto front"
    help_text = ("Each scenario (big dots) and, if shown, the same scenario with other "
                 "SRAM sizes (small dots). Ringed and connected: the Pareto-optimal "
                 "points, where no other point has less SRAM area and a better value.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.front = pg.PlotDataItem([], [], pen=pg.mkPen("#1a1a1a", width=2),
                                     name="Pareto front")
        self.variants = pg.ScatterPlotItem(size=7, pen=None, name="other SRAM sizes")
        self.points = pg.ScatterPlotItem(size=15, pen=pg.mkPen("w", width=1.5),
                                         name="scenarios")
        self.rings = pg.ScatterPlotItem(size=24, brush=None,
                                        pen=pg.mkPen("#1a1a1a", width=2), name="optimal")
        for it in (self.front, self.variants, self.points, self.rings):
            self.plotItem.addItem(it)
        self.labels: list[pg.TextItem] = []
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self._y = "throughput_ips"
        self.set_labels("throughput (images/s)", "SRAM area (mm², log scale)")

    def render(self, data: CompareData):
        fam = data.family
        area = np.log10(np.maximum(fam.area_mm2, 1e-6))
        y = fam.y
        log_y = fam.y_key != "throughput_ips" and len(y) and np.nanmin(y) > 0
        self.plotItem.getAxis("left").setLogMode(False, bool(log_y))
        yv = np.log10(np.maximum(y, 1e-12)) if log_y else y
        is_var = np.array([v is not None for v in fam.variant], bool)
        sc = np.asarray(fam.scenario, int)
        self.variants.setData(x=area[is_var], y=yv[is_var],
                              brush=[pg.mkBrush(QColor(PALETTE[s % len(PALETTE)]).lighter(130))
                                     for s in sc[is_var]])
        self.points.setData(x=area[~is_var], y=yv[~is_var],
                            brush=[pg.mkBrush(color(s)) for s in sc[~is_var]])
        f = fam.front
        self.front.setData(area[f], yv[f])
        self.rings.setData(area[f], yv[f])
        while len(self.labels) < int((~is_var).sum()):
            t = pg.TextItem("", anchor=(0, 1))
            t.setFont(_font(8.5, True))
            self.plotItem.addItem(t)
            self.labels.append(t)
        for t in self.labels:
            t.hide()
        yspan = float(np.nanmax(yv) - np.nanmin(yv)) if len(yv) else 0.0
        placed: list[tuple[float, float]] = []
        for t, i in zip(self.labels, np.flatnonzero(~is_var)):
            # labels of points that (nearly) coincide are stacked, not overprinted
            k = sum(1 for (x0, y0) in placed
                    if abs(x0 - area[i]) < 0.08 and abs(y0 - yv[i]) <= 0.04 * yspan + 1e-12)
            placed.append((float(area[i]), float(yv[i])))
            t.setText(f" {data.names[sc[i]]}")
            t.setColor(color(sc[i]))
            t.setAnchor((0, 1 - 1.05 * k))
            t.setPos(area[i], yv[i])
            t.show()
        unit = fam.y_label + (", log scale" if log_y else "")
        self.set_labels(unit, "SRAM area (mm², log scale)")
        what = fam.y_label.split(" (")[0]
        self.title = f"SRAM area vs {what}: the Pareto front"
        better = PARETO_Y[fam.y_key][2]
        self.set_title(self.title, [(n, color(i), "●") for i, n in enumerate(data.names)]
                       + [("Pareto-optimal", QColor("#1a1a1a"), "◯"),
                          (f"{better} is better", MUTED, "")])
        vb = self.plotItem.getViewBox()
        if len(area):
            xlo, xhi = float(area.min()), float(area.max())
            if xhi - xlo < 0.5:
                xlo, xhi = xlo - 0.25, xhi + 0.25
            vb.setXRange(xlo - 0.05 * (xhi - xlo), xhi + 0.25 * (xhi - xlo), padding=0)
            ylo, yhi = float(np.nanmin(yv)), float(np.nanmax(yv))
            if log_y:
                vb.setYRange(ylo - 0.15, yhi + 0.2, padding=0)
            else:
                vb.setYRange(0, yhi * 1.15 or 1, padding=0)
