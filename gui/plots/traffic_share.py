"""Compare: DRAM traffic by kind, one bar group per scenario."""
from __future__ import annotations

from typing import TYPE_CHECKING


import pyqtgraph as pg

from sramfit.engine.labels import TRAFFIC_KINDS

from .base import MB, PlotBase, _font
from .compare_base import stack_bars, traffic_bars, KIND_COLORS
from sramfit.gui.text import fmt

if TYPE_CHECKING:     # the plots draw CompareData; they never build it
    from sramfit.gui.compare.data import CompareData


class TrafficSharePlot(PlotBase):
    """Each scenario's DRAM traffic per image split by kind, as a 100 % bar."""

    title = "What the DRAM traffic is"
    help_text = ("Share of each scenario's DRAM bytes per image: weights read, "
                 "activations spilled and read back, input and output. The total is "
                 "written at the end of the bar. MB = 10^6 bytes.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bars = traffic_bars(self.plotItem, 0.55)
        self.totals: list[pg.TextItem] = []
        self.plotItem.getViewBox().invertY(True)
        self.set_labels("", "% of DRAM traffic per image")
        self.set_title(self.title, self._key())

    def _key(self):
        return [(label, KIND_COLORS[k], "■") for k, label in TRAFFIC_KINDS]

    def render(self, data: CompareData):
        n = len(data.names)
        stack_bars(self.bars, data.splits, 0.55)
        while len(self.totals) < n:
            t = pg.TextItem("", color="#222", anchor=(0, 0.5))
            t.setFont(_font(8.5))
            self.plotItem.addItem(t)
            self.totals.append(t)
        for i, t in enumerate(self.totals):
            t.setVisible(i < n)
            if i < n:
                t.setText(f" {fmt(data.splits[i]['total'] / MB)} MB")
                t.setPos(100.0, i)
        self.plotItem.getAxis("left").setTicks([[(i, nm) for i, nm in enumerate(data.names)]])
        self.plotItem.getAxis("bottom").setTicks([[(v, f"{v}%") for v in (0, 25, 50, 75,
                                                                           100)]])
        vb = self.plotItem.getViewBox()
        vb.setXRange(0, 128, padding=0)
        vb.setYRange(-0.6, n - 0.4, padding=0)
        self.set_title(self.title, self._key())
