"""DRAM traffic by kind (weights, activations, input/output)."""
from __future__ import annotations


import numpy as np
import pyqtgraph as pg
from .base import Frame, MB, MUTED, PlotBase, SPILL, WEIGHT, _font, set_bars, set_text
from sramfit.gui.text import fmt_mb
class TrafficPlot(PlotBase):
    """DRAM traffic per image broken down by kind (horizontal bars)."""

    title = "DRAM traffic per image, by kind"
    help_text = ("Bytes moved to or from DRAM for one image: the input image read, "
                 "weights streamed (shared by the batch), activations spilled (written "
                 "and read back by every consumer) and the output written; on chips whose "
                 "layers are tiled to a small buffer, the weights and input activations "
                 "read again for each tile. MB = 10^6 bytes.")

    KINDS = [("input", "input read"), ("weights", "weights read"),
             ("activation_writes", "spill writes"), ("activation_reads", "spill reads"),
             ("output", "output written"),
             # tiling re-reads (issue 12): only chips with ``tiling: true`` report them
             ("weight_rereads", "weight re-reads"),
             ("activation_rereads", "act. re-reads")]
    OPTIONAL = ("weight_rereads", "activation_rereads")

    def __init__(self, parent=None):
        super().__init__(parent)
        n = len(self.KINDS)
        colors = [MUTED, WEIGHT, SPILL, SPILL.lighter(125), MUTED.darker(120),
                  WEIGHT.lighter(160), SPILL.darker(130)]
        self.brushes = [pg.mkBrush(c) for c in colors]
        self.kinds = list(self.KINDS)             # the rows shown (set by render)
        self.bars = pg.BarGraphItem(x0=np.zeros(n), y=np.arange(n), height=0.6,
                                    width=np.zeros(n), brushes=self.brushes,
                                    pen=None, name="DRAM per image")
        self.plotItem.addItem(self.bars)
        self.set_title(self.title, [("bytes moved per image;", MUTED, ""),
                                    ("MB = 10⁶ bytes", MUTED, "")])
        self.values = []
        for _ in range(n):
            t = pg.TextItem("", color="#222", anchor=(0, 0.5))
            t.setFont(_font(8.5))
            self.plotItem.addItem(t)
            self.values.append(t)
        self._ticks()
        self.plotItem.getViewBox().invertY(True)
        self.plotItem.showGrid(x=False, y=False)
        self.set_labels("", "DRAM MB per image (10⁶ B)")
        self._bytes = np.zeros(n)
        self.scene().sigMouseMoved.connect(self._on_move)

    def _on_move(self, pos):
        vb = self.plotItem.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return self.show_hover("")
        i = int(round(vb.mapSceneToView(pos).y()))
        if 0 <= i < len(self.kinds):
            total = self._bytes.sum() or 1
            self.show_hover(f"{self.kinds[i][1]}: {fmt_mb(self._bytes[i])} per image "
                            f"({self._bytes[i] / total:.0%} of the total)")

    def render(self, frame: Frame):
        traffic = frame.analysis.traffic
        kinds = [(k, label) for k, label in self.KINDS
                 if k not in self.OPTIONAL or k in traffic]
        if kinds != self.kinds:
            self.kinds = kinds
            self._ticks()
        n = len(kinds)
        b = np.array([float(traffic.get(k, 0)) for k, _ in kinds])
        self._bytes = b
        mb = b / MB
        set_bars(self.bars, y=np.arange(n), width=mb, x0=np.zeros(n),
                 brushes=[self.brushes[[k for k, _ in self.KINDS].index(k)]
                                   for k, _ in kinds])
        top = float(mb.max(initial=0)) or 1.0
        total = b.sum() or 1
        for i, t in enumerate(self.values):
            t.setVisible(i < n)
            if i < n:
                set_text(t, f" {fmt_mb(b[i])} ({b[i] / total:.0%})")
                t.setPos(mb[i], i)
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(0, top * 1.7), y=(-0.6, n - 0.4))

    def _ticks(self):
        left = self.plotItem.getAxis("left")
        left.setTicks([[(i, label) for i, (_, label) in enumerate(self.kinds)]])
