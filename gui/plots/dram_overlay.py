"""Compare: DRAM per image vs SRAM size, one curve per scenario."""
from __future__ import annotations

from typing import TYPE_CHECKING

import math

import numpy as np


from .base import MB, MUTED
from .compare_base import OverlayPlot

if TYPE_CHECKING:     # the plots draw CompareData; they never build it
    from sramfit.gui.compare.data import CompareData


class DramOverlayPlot(OverlayPlot):
    title = "DRAM traffic per image vs SRAM size"
    help_text = ("DRAM bytes per image if each scenario's chip had this much SRAM, "
                 "everything else unchanged. Dots: each scenario's own SRAM. "
                 "MB = 10^6 bytes.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self.plotItem.getAxis("left").setLogMode(False, True)
        self.set_labels("DRAM MB per image (10⁶ B, log scale)", "SRAM size (MB, log scale)")

    def render(self, data: CompareData):
        n = len(data.names)
        self._ensure(n)
        lo, hi, ylo, yhi = [], [], [], []
        for i in range(n):
            sw, a = data.sram_sweeps[i], data.entries[i].analysis
            self.curves[i].opts["name"] = data.names[i]
            self.marks[i].opts["name"] = f"{data.names[i]}: this chip"
            if sw is None:
                self.curves[i].setData([], [])
                continue
            sram = np.asarray(sw["sram_bytes"], float)
            dram = np.asarray(sw["dram_bytes_per_image"], float)
            keep = (sram > 0) & (dram > 0)
            x, y = np.log10(sram[keep] / MB), np.log10(dram[keep] / MB)
            self.curves[i].setData(x, y)
            cur = float(a.totals()["dram_bytes_per_image"])
            if a.sram_bytes > 0 and cur > 0:
                self.marks[i].setData([math.log10(a.sram_bytes / MB)],
                                      [math.log10(cur / MB)])
            else:
                self.marks[i].setData([], [])
            if len(x):
                lo.append(x.min()), hi.append(x.max()), ylo.append(y.min()), yhi.append(y.max())
        self.set_title(self.title, self._key(data.names, [("this chip", MUTED, "●")]))
        vb = self.plotItem.getViewBox()
        if lo:
            vb.setXRange(min(lo), max(hi), padding=0.02)
            vb.setYRange(min(ylo) - 0.1, max(yhi) + 0.15, padding=0)
