"""What the compare plots share: one colour and one dash per scenario, and the
base class of the plots that overlay one curve per scenario."""
from __future__ import annotations

from typing import TYPE_CHECKING


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor


from .base import MUTED, PlotBase, SPILL, WEIGHT
from sramfit.engine.labels import TRAFFIC_KINDS

if TYPE_CHECKING:     # the plots draw CompareData; they never build it
    from sramfit.gui.compare.data import CompareData


#: one colour per scenario (colour-blind friendly order), and a dash per scenario so
#: curves stay apart in greyscale print
PALETTE = ["#264653", "#e76f51", "#3a86ff", "#2a9d8f", "#8338ec", "#bc6c25", "#6a994e",
           "#d62828"]
DASHES = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine,
          Qt.PenStyle.DotLine]
KIND_COLORS = {"weights": WEIGHT, "activations": SPILL, "io": MUTED}


def color(i: int) -> QColor:
    return QColor(PALETTE[i % len(PALETTE)])


def pen(i: int, width: float = 2.0):
    return pg.mkPen(color(i), width=width, style=DASHES[i % len(DASHES)])



class OverlayPlot(PlotBase):
    """A PlotBase with one curve per scenario and an inline colour key in the title."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves: list[pg.PlotDataItem] = []
        self.marks: list[pg.ScatterPlotItem] = []

    def _ensure(self, n: int, symbol: str | None = None):
        while len(self.curves) < n:
            i = len(self.curves)
            c = pg.PlotDataItem([], [], pen=pen(i), symbol=symbol, symbolSize=6,
                                symbolBrush=color(i), symbolPen=None)
            m = pg.ScatterPlotItem(size=13, brush=pg.mkBrush(color(i)),
                                   pen=pg.mkPen("w", width=1.5))
            self.plotItem.addItem(c)
            self.plotItem.addItem(m)
            self.curves.append(c)
            self.marks.append(m)
        for k, (c, m) in enumerate(zip(self.curves, self.marks)):
            c.setVisible(k < n)
            m.setVisible(k < n)

    def _key(self, names, extra=()):
        glyphs = ["—", "╌", "─·", "┈"]
        return [(n, color(i), glyphs[i % len(glyphs)]) for i, n in enumerate(names)] + \
            list(extra)

    def render(self, data: CompareData):  # pragma: no cover - abstract
        raise NotImplementedError



def batch_ticks(log_batches):
    """Tick labels at the swept batch sizes (log axis positions)."""
    vals = sorted({round(float(v), 9) for v in log_batches})
    return [[(v, f"{10 ** v:.0f}") for v in vals], []]


def traffic_bars(plot_item, height: float) -> dict:
    """One horizontal bar item per kind of DRAM traffic, added to ``plot_item``."""
    bars = {}
    for k, label in TRAFFIC_KINDS:
        b = pg.BarGraphItem(x0=np.zeros(0), y=np.zeros(0), height=height,
                            width=np.zeros(0), brush=KIND_COLORS[k], pen=None,
                            name=f"{label} (% of DRAM per image)")
        plot_item.addItem(b)
        bars[k] = b
    return bars


def stack_bars(bars: dict, splits, height: float) -> None:
    """Lay the engine's traffic shares (``engine.compare.traffic_split``) end to end,
    one 100 % bar per scenario."""
    n = len(splits)
    y = np.arange(n, dtype=float)
    left = np.zeros(n)
    for k, _ in TRAFFIC_KINDS:
        w = np.array([s["share"][k] * 100.0 for s in splits])
        bars[k].setOpts(x0=left.copy(), y=y, width=w, height=height)
        left = left + w
