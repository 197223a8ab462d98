"""Throughput and latency vs batch size."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from sramfit.gui.text import fmt_mb
from .base import GOAL, ACCENT, Frame, LABEL_GROUND, PlotBase, SPILL, WEIGHT, _font
from .base import set_label, set_xy



class BatchPlot(PlotBase):
    """Throughput (left axis) and latency (right axis) vs batch size."""

    title = "Throughput, latency vs batch"
    help_text = ("Images per second (solid, left axis) and latency of one batch (dashed, "
                 "right axis, milliseconds) for each batch size, everything else unchanged."
                 "\nThe vertical line marks the current batch. Bigger batches reuse each "
                 "weight read for more images, but their activations may no longer fit.")

    def __init__(self, parent=None):
        super().__init__(parent)
        pi = self.plotItem
        self.thr = pg.PlotDataItem([], [], pen=pg.mkPen(WEIGHT, width=2), symbol="o",
                                   symbolSize=5, symbolBrush=WEIGHT, symbolPen=None,
                                   name="throughput")
        pi.addItem(self.thr)
        # the latency view box is a child of the plot item (not a loose scene item), so
        # exports, which paint the plot item and its children, carry the curve
        self.lat_vb = pg.ViewBox()
        self.lat_vb.setParentItem(pi)     # after construction: joins the scene's paint prep
        self.lat_vb.setZValue(pi.getViewBox().zValue() + 1)   # over the main view
        self.lat_vb.setMouseEnabled(x=False, y=False)
        pi.showAxis("right")
        right = pi.getAxis("right")
        right.linkToView(self.lat_vb)
        right.setStyle(tickFont=_font(8.5))
        right.enableAutoSIPrefix(False)

        right.setLabel("latency (ms)", **{"font-size": "9pt", "color": SPILL.name()})
        self.lat_vb.setXLink(pi)
        self.lat = pg.PlotDataItem([], [], pen=pg.mkPen(SPILL, width=2,
                                                        style=Qt.PenStyle.DashLine),
                                   symbol="s", symbolSize=5, symbolBrush=SPILL,
                                   symbolPen=None, name="latency (ms)")
        self.lat_vb.addItem(self.lat)
        pi.getViewBox().sigResized.connect(self._sync)
        self.current = pg.InfiniteLine(angle=90, movable=False,
                                       pen=pg.mkPen(ACCENT, width=1.5),
                                       label="", labelOpts={"position": 0.55, "color": ACCENT,
                                                            "anchors": [(0, 0), (0, 0)]})
        pi.addItem(self.current)
        # goal seek: the target throughput (horizontal) or the batch to fit (vertical)
        self.goal_fps = pg.InfiniteLine(angle=0, movable=False,
                                        pen=pg.mkPen(GOAL, width=1.5, style=Qt.PenStyle.DashLine),
                                        label="", labelOpts={"position": 0.05, "color": GOAL,
                                                             "fill": LABEL_GROUND,
                                                             "anchors": [(0, 1), (0, 1)]})
        self.goal_batch = pg.InfiniteLine(angle=90, movable=False,
                                          pen=pg.mkPen(GOAL, width=1.5,
                                                       style=Qt.PenStyle.DashLine),
                                          label="", labelOpts={"position": 0.3, "color": GOAL,
                                                               "fill": LABEL_GROUND,
                                                               "anchors": [(0, 0), (0, 0)]})
        for item in (self.goal_fps, self.goal_batch):
            item.setZValue(25)                    # the labels above the curves
            pi.addItem(item)
            item.hide()
        self.set_title(self.title, [("images/s", WEIGHT, "—"),
                                    ("latency", SPILL, "╌"),
                                    ("this batch", ACCENT, "│")])
        pi.getAxis("bottom").setLogMode(True, False)
        self.set_labels("throughput (images/s)", "batch size (log scale)")
        self.thr.scatter.opts["hoverable"] = True
        self.thr.scatter.opts["tip"] = self._tip
        self._lat = np.zeros(0)
        self._thr = np.zeros(0)

    def _tip(self, x, y, data):
        b = int(round(10 ** x))
        i = int(np.argmin(np.abs(np.log10(self._batches) - x))) if len(self._thr) else 0
        return (f"batch {b}: {self._thr[i]:,.1f} images/s, latency "
                f"{self._lat[i] * 1e3:,.2f} ms" if len(self._thr) else "")

    def _sync(self):
        self.lat_vb.setGeometry(self.plotItem.getViewBox().geometry())
        self.lat_vb.linkedViewChanged(self.plotItem.getViewBox(), self.lat_vb.XAxis)

    def render(self, frame: Frame):
        self.mark_speed_estimate(frame)         # issue 12
        sweep = frame.batch_sweep
        if sweep is None:
            return
        b = np.asarray(sweep["batch"], dtype=float)
        self._batches = b
        self._thr = np.asarray(sweep["throughput_ips"], dtype=float)
        self._lat = np.asarray(sweep["latency_s"], dtype=float)
        x = np.log10(b)
        set_xy(self.thr, x, self._thr)
        set_xy(self.lat, x, self._lat * 1e3)
        self.current.setValue(math.log10(frame.batch))
        set_label(self.current, f" batch {frame.batch}")
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(float(x.min()), float(x.max())), pad=0.04)
        self.set_range(vb, y=(0, float(self._thr.max(initial=0)) * 1.15 or 1))
        top_ms = float(self._lat.max(initial=0)) * 1e3 * 1.15 or 1
        self.set_range(self.lat_vb, y=(0, top_ms))
        self.axis_unit("right", top_ms, [(1.0, "latency (ms)"), (1e-3, "latency (s)")],
                       style={"font-size": "9pt", "color": SPILL.name()})
        self._goal(frame.goal)
        self._sync()

    def _goal(self, g):
        need = (f"needs {fmt_mb(g['sram_bytes'])} SRAM" if g and g["sram_bytes"] is not None
                else "not reachable on this chip")
        if g and g["goal"] == "target_fps":
            self.goal_fps.show()
            self.goal_fps.setValue(g["value"])
            set_label(self.goal_fps, f"goal {g['value']:g} images/s: {need}")
        else:
            self.goal_fps.hide()
        if g and g["goal"] == "batch_on_chip":
            self.goal_batch.show()
            self.goal_batch.setValue(math.log10(max(g["batch"], 1)))
            set_label(self.goal_batch, f" batch {g['batch']} on chip: {need}")
        else:
            self.goal_batch.hide()
