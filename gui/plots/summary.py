"""Compare: the two-panel summary figure for slides (throughput vs batch and DRAM
traffic by kind)."""
from __future__ import annotations

from typing import TYPE_CHECKING


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from sramfit.engine.labels import TRAFFIC_KINDS

from .base import MB, MUTED
from .compare_base import stack_bars, traffic_bars, KIND_COLORS, batch_ticks, color, pen
from sramfit.gui.text import fmt

if TYPE_CHECKING:     # the plots draw CompareData; they never build it
    from sramfit.gui.compare.data import CompareData


class SummaryFigure(pg.GraphicsLayoutWidget):
    """Two panels for a slide: throughput vs batch relative to batch 1, and what the
    DRAM traffic per image is made of. Export with an explicit title."""

    title = "Throughput vs batch, and what the DRAM traffic is"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.ci.setSpacing(30)
        self.left = self.addPlot(row=0, col=0)
        self.right = self.addPlot(row=0, col=1)
        self.ci.layout.setColumnStretchFactor(0, 5)
        self.ci.layout.setColumnStretchFactor(1, 5)
        self.panel_px = 15.0
        self.key_px = 12.0
        for pi in (self.left, self.right):
            pi.hideButtons()
            pi.setMenuEnabled(False)
            pi.getViewBox().setMouseEnabled(x=False, y=False)
            for side in ("left", "bottom"):
                ax = pi.getAxis(side)
                ax.setPen(pg.mkPen("#222"))
                ax.setTextPen(pg.mkPen("#222"))
                ax.enableAutoSIPrefix(False)
        self.left.getAxis("bottom").setLogMode(True, False)
        self.left.setLabel("left", "× images/s of batch 1")
        self.left.setLabel("bottom", "batch size (log scale)")
        self.right.setLabel("bottom", "% of DRAM traffic per image")
        self.right.getViewBox().invertY(True)
        self.ref = pg.InfiniteLine(pos=1.0, angle=0, movable=False,
                                   pen=pg.mkPen(MUTED, width=1, style=Qt.PenStyle.DotLine))
        self.left.addItem(self.ref)
        self.curves: list[pg.PlotDataItem] = []
        self.ends: list[pg.TextItem] = []
        self.bars = traffic_bars(self.right, 0.5)
        self.shares: list[pg.TextItem] = []
        self._data = None

    def set_text_px(self, panel_px: float, key_px: float):
        """Font sizes of the panel titles and keys (pixels): the export styles set
        axis fonts, these are the figure's own text."""
        self.panel_px, self.key_px = float(panel_px), float(key_px)
        if self._data is not None:
            self.render(self._data)

    @staticmethod
    def _set_title(pi, html):
        """setTitle, with the title row as high as its text (pyqtgraph fixes 30 px)."""
        pi.setTitle(html)
        h = pi.titleLabel.item.boundingRect().height() + 4
        pi.titleLabel.setMinimumHeight(h)
        pi.titleLabel.setMaximumHeight(h)
        pi.layout.setRowFixedHeight(0, h)

    def _title(self, text, key):
        keys = "&nbsp;&nbsp;&nbsp; ".join(
            f"<span style='color:{c.name()}'>{g}</span>&nbsp;{label.replace(' ', '&nbsp;')}"
            for label, c, g in key)
        return (f"<div align='center'><span style='font-size:{self.panel_px:g}px; "
                f"font-weight:bold; color:#1a1a1a'>{text}</span><br>"
                f"<span style='font-size:{self.key_px:g}px; color:#333'>{keys}</span></div>")

    def _spread_ends(self, n: int, yspan: float):
        """End labels at (nearly) the same place stack upwards instead of overprinting
        (bug 6): each is at least one label height above the one below it."""
        vb = self.left.getViewBox()
        px = vb.height() or 200.0
        text_px = max((t.textItem.boundingRect().height() for t in self.ends[:n]),
                      default=self.key_px)
        gap = yspan * text_px * 1.2 / px
        order = sorted(range(n), key=lambda i: (self.ends[i].pos().y(), i))
        last = None
        for i in order:
            t = self.ends[i]
            x, y = t.pos().x(), t.pos().y()
            if last is not None and abs(x - last[0]) < 0.3 and y < last[1] + gap:
                y = last[1] + gap
                t.setPos(x, y)
            last = (x, y)

    def render(self, data: CompareData):
        self._data = data
        n = len(data.names)
        while len(self.curves) < n:
            i = len(self.curves)
            c = pg.PlotDataItem([], [], pen=pen(i, 2.5), symbol="o", symbolSize=7,
                                symbolBrush=color(i), symbolPen=None)
            self.left.addItem(c)
            self.curves.append(c)
            t = pg.TextItem("", color=color(i), anchor=(1, 1))
            self.left.addItem(t)
            self.ends.append(t)
        ymax, xs = 1.5, []
        for i, cur in enumerate(data.batch_curves):
            b = np.asarray(cur["batch"], float)
            y = np.asarray(cur["throughput_vs_batch1"], float)
            c = self.curves[i]
            c.opts["name"] = data.names[i]
            c.setData(np.log10(b), y)
            c.setVisible(True)
            j = len(b) - 1
            self.ends[i].setText(f"{y[j]:.1f}×")
            self.ends[i].setPos(np.log10(b[j]), y[j])
            self.ends[i].setVisible(True)
            ymax = max(ymax, float(np.nanmax(y)))
            xs.append(np.log10(b))
        self._spread_ends(n, ymax * 1.15)
        for c, t in zip(self.curves[n:], self.ends[n:]):
            c.setVisible(False)
            t.setVisible(False)
        f = QFont("DejaVu Sans")
        f.setPixelSize(max(1, int(self.key_px)))
        for t in self.ends:
            t.setFont(f)
        if xs:
            allx = np.concatenate(xs)
            self.left.getAxis("bottom").setTicks(batch_ticks(allx))
            self.left.getViewBox().setXRange(float(allx.min()), float(allx.max()),
                                             padding=0.05)
        self.left.getViewBox().setYRange(0, ymax * 1.15, padding=0)
        glyphs = ["—", "╌", "─·", "┈"]
        self._set_title(self.left, self._title("Throughput vs batch, relative to batch 1",
                                       [(nm, color(i), glyphs[i % 4])
                                        for i, nm in enumerate(data.names)]))
        # right: 100 % bars
        stack_bars(self.bars, data.splits, 0.5)
        while len(self.shares) < n:
            t = pg.TextItem("", color="#1a1a1a", anchor=(0, 1))
            self.right.addItem(t)
            self.shares.append(t)
        for i, t in enumerate(self.shares):
            t.setVisible(i < n)
            if i >= n:
                continue
            s = data.splits[i]
            k = max(s["share"], key=s["share"].get)
            word = {"weights": "weights", "activations": "activations", "io": "input/output"}[k]
            t.setText(f"{s['share'][k] * 100:.0f}% {word} "
                      f"(of {fmt(s['total'] / MB)} MB per image)")
            t.setFont(f)
            t.setPos(0.0, i - 0.27)                 # just above the bar
        self.right.getAxis("left").setTicks([[(i, nm) for i, nm in enumerate(data.names)]])
        self.right.getAxis("bottom").setTicks([[(v, f"{v}%") for v in (0, 25, 50, 75, 100)]])
        self.right.getViewBox().setXRange(-5, 107, padding=0)
        self.right.getViewBox().setYRange(-0.75, n - 0.45, padding=0)
        short = {"weights": "weights", "activations": "activations", "io": "input/output"}
        self._set_title(self.right, self._title("What the DRAM traffic per image is",
                                                [(short[k], KIND_COLORS[k], "■")
                                                 for k, _ in TRAFFIC_KINDS]))
