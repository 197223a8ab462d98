"""Compare: throughput vs batch (absolute or relative to batch 1), one curve per scenario."""
from __future__ import annotations

from typing import TYPE_CHECKING


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt


from .base import MUTED
from .compare_base import OverlayPlot, batch_ticks

if TYPE_CHECKING:     # the plots draw CompareData; they never build it
    from sramfit.gui.compare.data import CompareData


class ThroughputOverlayPlot(OverlayPlot):
    """Throughput vs batch; ``relative``: divided by the throughput at batch 1."""

    def __init__(self, parent=None, relative: bool = True):
        self.relative = relative
        self.title = ("Throughput vs batch, relative to batch 1" if relative
                      else "Throughput vs batch")
        self.help_text = ("Images per second at each batch size (everything else "
                          "unchanged)" + (", divided by the images per second at batch 1"
                                          if relative else "") +
                          ". Dots: each scenario's own batch.")
        super().__init__(parent)
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        if not relative:
            self.plotItem.getAxis("left").setLogMode(False, True)
        self.set_labels("× images/s of batch 1" if relative
                        else "throughput (images/s, log scale)",
                        "batch size (log scale)")
        self.ref = pg.InfiniteLine(pos=1.0, angle=0, movable=False,
                                   pen=pg.mkPen(MUTED, width=1, style=Qt.PenStyle.DotLine))
        self.ref.setVisible(relative)
        self.plotItem.addItem(self.ref)

    def render(self, data: CompareData):
        n = len(data.names)
        self._ensure(n, symbol="o")
        key = "throughput_vs_batch1" if self.relative else "throughput_ips"
        ys, xs = [], []
        for i, c in enumerate(data.batch_curves):
            b = np.asarray(c["batch"], float)
            y = np.asarray(c[key], float)
            x = np.log10(b)
            yv = y if self.relative else np.log10(np.maximum(y, 1e-9))
            est = i < len(data.speed_estimated) and data.speed_estimated[i]
            self.curves[i].opts["name"] = data.names[i] + (" (speed estimated)" if est else "")
            self.curves[i].setData(x, yv)
            own = data.entries[i].scenario.batch
            hit = np.flatnonzero(b == own)
            self.marks[i].opts["name"] = f"{data.names[i]}: its batch"
            if len(hit):
                self.marks[i].setData([x[hit[0]]], [yv[hit[0]]])
            else:
                self.marks[i].setData([], [])
            xs.append(x), ys.append(yv)
        self.set_title(self.title, self._key(data.names, [("own batch", MUTED, "●")]))
        vb = self.plotItem.getViewBox()
        if xs:
            allx, ally = np.concatenate(xs), np.concatenate(ys)
            allx, ally = allx[np.isfinite(allx)], ally[np.isfinite(ally)]
            vb.setXRange(float(allx.min()), float(allx.max()), padding=0.04)
            self.plotItem.getAxis("bottom").setTicks(batch_ticks(allx))
            if self.relative:
                vb.setYRange(0, max(float(ally.max()) * 1.12, 1.5), padding=0)
            else:
                vb.setYRange(float(ally.min()) - 0.15, float(ally.max()) + 0.15, padding=0)
