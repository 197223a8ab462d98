"""Live activation memory per step against the arena and the SRAM budget."""
from __future__ import annotations


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from .base import sram_line, ACCENT, FIT, Frame, MB, MUTED, SPILL, StepPlot, _font, activation_capacity
from .base import Marker, cache_static, capacity_label, set_label, set_text, set_xy
from sramfit.gui.text import fmt_mb
from .schedule_memory import USED, ScheduleMemory
class LiveMemoryPlot(StepPlot):
    """Live activation memory over the execution steps, peak and arena marked."""

    title = "Live activation memory over the run"
    help_text = ("Bytes of activations alive at each step (outputs still waiting for a "
                 "reader, for the whole batch).\nPeak live: the highest point. Arena: the "
                 "size of one buffer that holds every tensor at a fixed offset without "
                 "overlap (TFLite's greedy planner); it is at least the peak.\n"
                 "MB = 10^6 bytes.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curve = pg.PlotDataItem([], [], pen=pg.mkPen(FIT.darker(130), width=1.5),
                                     fillLevel=0, brush=pg.mkBrush(42, 157, 143, 70),
                                     stepMode="center", name="live activations")
        self.peak = Marker("o", 9, brush=SPILL, name="peak live")
        self.peak_text = pg.TextItem("", color=SPILL.darker(120), anchor=(0, 1))
        self.peak_text.setFont(_font(8.5, True))
        self.arena = pg.InfiniteLine(angle=0, movable=False,
                                     pen=pg.mkPen(MUTED, width=1.2, style=Qt.PenStyle.DotLine),
                                     label="", labelOpts={"position": 0.98,
                                                          "anchors": [(1, 1), (1, 1)],
                                                          "color": "#555"})
        cache_static(self.curve.curve)        # a notch moves the SRAM line only
        self.capacity = sram_line(0)
        for item in (self.curve, self.arena, self.capacity, self.peak, self.peak_text):
            self.plotItem.addItem(item)
        self.schedule_memory = ScheduleMemory(self.plotItem)   # issue 11
        self._fused_key = None
        self._key(False)
        self.set_labels("live MB (10⁶ B)", "execution step")

    def _key(self, fused: bool):
        if fused == self._fused_key:
            return
        self._fused_key = fused
        self.set_title(self.title, [("live activations", FIT, "■"), ("peak", SPILL, "●"),
                                    ("arena", MUTED, "┈"),
                                    ("act. SRAM", ACCENT, "╌")]
                       + ([("SRAM in use, depth-first", USED, "—")] if fused else []))

    def render(self, frame: Frame):
        self._frame = frame
        a, fp = frame.analysis, frame.footprint
        live = np.asarray(fp.live_bytes, dtype=float)
        n = len(live)
        self._n = n
        set_xy(self.curve, np.arange(n + 1) - 0.5, live / MB)
        i = int(np.argmax(live)) if n else 0
        peak = float(live[i]) if n else 0.0
        arena = float(fp.arena_bytes)
        set_xy(self.peak, [i], [peak / MB])
        # peak and arena equal as shown: one label, not two over each other (bug 6)
        same = fmt_mb(peak) == fmt_mb(arena)
        set_text(self.peak_text, f"peak live = arena {fmt_mb(peak)}" if same
                 else f"peak live {fmt_mb(peak)}")
        self.peak_text.setAnchor((1, 1) if i > n / 2 else (0, 1))
        self.peak_text.setPos(i, peak / MB)
        self.arena.setValue(arena / MB)
        set_label(self.arena, "" if same else f"arena {fmt_mb(arena)}")
        cap = float(activation_capacity(a))
        self.capacity.setVisible(cap > 0)     # before the text: hidden labels ignore it
        self.capacity.setValue(cap / MB)
        set_label(self.capacity, capacity_label(a))
        used = self.schedule_memory.render(a)
        self._key(used > 0)
        top = max(peak, arena, cap, used)
        # label below the line near the top (clear of the arena label), above it lower
        # down (clear of the x axis)
        lab = self.capacity.label
        lab.anchors = [(1, 0), (1, 0)] if cap > 0.5 * top else [(1, 1), (1, 1)]
        lab.updatePosition()
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(-1, n), y=(0, top / MB * 1.18 or 1))
        self.axis_unit("left", top / MB * 1.18, [(1.0, "live MB (10⁶ B)"),
                                                 (1e-3, "live GB (10⁹ B)"),
                                                 (1e-6, "live TB (10¹² B)")])
        names = frame.names
        per_step = a.df.sram_per_step if used > 0 else None

        def texts():
            out = [f"step {k} ({names[k]}): {fmt_mb(live[k])} live" for k in range(n)]
            if per_step is not None:
                out = [t + f"; SRAM in use (depth-first) {fmt_mb(per_step[k])}"
                       for k, t in enumerate(out)]
            return out
        self.hover_texts(texts)
