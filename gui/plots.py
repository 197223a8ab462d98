"""The live plots. One class per plot; each only turns arrays into pyqtgraph items.

Data interface: every plot has ``render(frame)`` where ``frame`` is a :class:`Frame`
built by the main window from ``engine.analyze(scenario)`` and the engine's sweeps.
Plots never compute a figure the engine did not give them; they only scale units
(bytes -> MB = 10^6 bytes, seconds -> ms) and take logs for log axes.

Items are created once in ``__init__`` and updated in place with ``setData`` /
``setOpts`` so that dragging a slider re-renders without clearing the scene.

Each layer plot emits ``layerClicked(step_index)`` when a bar or point is clicked,
and shows the selected step via ``select(step_index)`` (the table drives it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QCursor, QFont
from PySide6.QtWidgets import QToolTip

# No pg.setConfigOptions here: global pyqtgraph options would leak into every other
# user of pyqtgraph in the process (gui.export, tests). Colours are set per item.
FG = QColor("#222222")

MB = 1e6
FIT = QColor("#2a9d8f")        # fits in SRAM
SPILL = QColor("#e76f51")      # spills to DRAM
WEIGHT = QColor("#264653")
ACCENT = QColor("#3a86ff")     # current chip / selection
MUTED = QColor("#8d99ae")
COMPUTE = QColor("#3a86ff")
MEMORY = QColor("#e76f51")
LOG_FLOOR_MB = 1e-3            # 1 kB: the bottom of log byte axes


@dataclass
class Frame:
    """Everything the plots draw, from one ``analyze(scenario)`` call plus sweeps."""
    analysis: Any                       # engine Analysis of the current scenario
    batch: int                          # the scenario's batch
    sram_bytes: float                   # the current chip's SRAM capacity
    sram_sweep: dict | None = None      # engine.sweep.over_sram result (or None)
    batch_sweep: dict | None = None     # engine.sweep.over_batch result (or None)
    reference_chips: list = field(default_factory=list)   # [(label, sram_bytes)]
    names: list = field(default_factory=list)             # step names

    @property
    def footprint(self):
        return self.analysis.footprint


def _font(pt: float = 9.0, bold: bool = False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPointSizeF(pt)
    f.setBold(bold)
    return f


def _log10(values, floor):
    v = np.asarray(values, dtype=float)
    return np.log10(np.maximum(v, floor))


def fmt_mb(nbytes: float) -> str:
    mb = float(nbytes) / MB
    if mb == 0:
        return "0 MB"
    if abs(mb) >= 100:
        return f"{mb:,.0f} MB"
    if abs(mb) >= 1:
        return f"{mb:,.1f} MB"
    if abs(mb) >= 0.01:
        return f"{mb:.2f} MB"
    return f"{mb * 1000:.1f} kB"


class PlotBase(pg.PlotWidget):
    """A titled plot with unit-carrying axes, hover text and click-to-select."""

    layerClicked = Signal(int)
    title = ""
    help_text = ""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setMenuEnabled(False)
        self.setAntialiasing(True)
        pi = self.plotItem
        pi.hideButtons()
        self.set_title(self.title)
        pi.showGrid(x=False, y=False)      # axis grids repaint tick text on every update
        self.grid = pg.GridItem(pen=pg.mkPen(0, 0, 0, 28), textPen=None)
        self.grid.setTickSpacing(x=[None], y=[None])
        self.grid.setZValue(-100)
        pi.addItem(self.grid, ignoreBounds=True)
        for side in ("left", "bottom", "right", "top"):
            ax = pi.getAxis(side)
            ax.setPen(pg.mkPen(FG))
            ax.setTextPen(pg.mkPen(FG))
            ax.setStyle(tickFont=_font(8.5))
            ax.enableAutoSIPrefix(False)
        pi.getViewBox().setMouseEnabled(x=False, y=False)
        self.setToolTip(self.help_text)
        self.hover_text = ""
        self.selected = None
        self._sel_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen(ACCENT, width=1.5,
                                                      style=Qt.PenStyle.DashLine))
        self._sel_line.setZValue(20)
        self._sel_line.hide()
        self.setMinimumSize(220, 170)

    def set_title(self, title: str, legend=()):
        """Title with an inline colour legend: [(label, QColor, glyph)]."""
        keys = "&nbsp;&nbsp; ".join(
            f"<span style='color:{c.name()}; font-size:11pt'>{g}</span>"
            f"<span style='font-size:8.5pt; color:#333'>&nbsp;{label.replace(' ', '&nbsp;')}"
            f"</span>"
            for label, c, g in legend)
        html = (f"<span style='font-size:10.5pt; font-weight:bold; color:{FG.name()}'>"
                f"{title}</span>")
        if keys:
            html += f"<br>{keys}"
        self._title_html = f"<div align='center'>{html}</div>"
        self.plotItem.setTitle(self._title_html)
        self._fit_title()

    def _fit_title(self, width=None):
        """Wrap the title to the plot's width, so a narrow plot never gets wider than
        its widget (which would clip its right axis)."""
        pi = self.plotItem
        label = pi.titleLabel
        width = self.width() if width is None else width
        axes = sum(pi.getAxis(side).width() for side in ("left", "right")
                   if pi.getAxis(side).isVisible())
        tw = max(120.0, width - axes - 24.0)
        for _ in range(2):                # second pass: correct by any remaining overflow
            label.item.setTextWidth(tw)
            br = label.item.boundingRect()
            label.setMinimumHeight(br.height())
            label.setMaximumHeight(br.height())
            label.resizeEvent(None)
            over = pi.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() - width
            if over <= 0 or tw <= 120.0:
                break
            tw = max(120.0, tw - over - 2.0)

    def resizeEvent(self, ev):
        if getattr(self, "_title_html", None):
            self._fit_title(ev.size().width())
            QTimer.singleShot(0, self._refit)      # again once the axes know their widths
        super().resizeEvent(ev)

    def paintEvent(self, ev):
        super().paintEvent(ev)
        # axes size themselves to their tick labels while painting; if that made the
        # plot wider than the widget, re-wrap the title on the next turn of the loop
        if self.plotItem.geometry().width() > self.width() + 0.5 and not self._refitting:
            self._refitting = True
            QTimer.singleShot(0, self._refit)

    _refitting = False

    def _refit(self):
        self._refitting = False
        try:
            self._fit_title()
            # re-apply the widget's rect to the plot item, as GraphicsView does on resize
            pg.GraphicsView.setRange(self, self.range, padding=0, disableAutoPixel=False)
        except RuntimeError:                       # widget already deleted
            pass

    def set_labels(self, left: str, bottom: str):
        style = {"font-size": "9pt", "color": FG.name()}
        self.plotItem.setLabel("left", left, **style)
        self.plotItem.setLabel("bottom", bottom, **style)

    @staticmethod
    def set_range(vb, x=None, y=None, pad=0.0):
        """Set the view range, but keep the current one while the new data still fills
        most of it: a slider drag then repaints no axes (their ticks do not move)."""
        cur = vb.viewRange()
        for axis, new, (clo, chi) in ((0, x, cur[0]), (1, y, cur[1])):
            if new is None:
                continue
            lo, hi = float(new[0]), float(new[1])
            if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
                continue
            span = hi - lo
            lo, hi = lo - pad * span, hi + pad * span
            cspan = chi - clo
            if abs(lo - clo) <= 0.01 * cspan and chi - 0.3 * cspan <= hi <= chi:
                continue
            (vb.setXRange if axis == 0 else vb.setYRange)(lo, hi, padding=0)

    def show_hover(self, text: str):
        self.hover_text = text
        if text:
            QToolTip.showText(QCursor.pos(), text, self)
        else:
            QToolTip.hideText()

    def select(self, index: int | None):
        self.selected = index

    def render(self, frame: Frame):  # pragma: no cover - abstract
        raise NotImplementedError


class _StepPlot(PlotBase):
    """A plot whose x axis is the execution step; hover/click map x to a step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plotItem.addItem(self._sel_line)
        self._n = 0
        self._texts: list[str] = []
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)

    def _index_at(self, scene_pos) -> int | None:
        vb = self.plotItem.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        x = vb.mapSceneToView(scene_pos).x()
        i = int(round(x))
        return i if 0 <= i < self._n else None

    def _on_move(self, pos):
        i = self._index_at(pos)
        self.show_hover(self._texts[i] if i is not None and i < len(self._texts) else "")

    def _on_click(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        i = self._index_at(ev.scenePos())
        if i is not None:
            self.layerClicked.emit(i)

    def select(self, index):
        super().select(index)
        if index is None or not 0 <= index < self._n:
            self._sel_line.hide()
        else:
            self._sel_line.setValue(index)
            self._sel_line.show()


class ActivationPlot(_StepPlot):
    """Per-layer activation bytes (bars coloured by fit/spill) and weights per layer."""

    title = "Activations and weights per layer"
    help_text = ("Bars: bytes of each step's output activation for the whole batch, green "
                 "if it stays in on-chip SRAM, red if it spills to DRAM.\nDark line: weight "
                 "bytes of the step. Dashed line: SRAM available to activations.\n"
                 "Click a bar to select the layer in the table. MB = 10^6 bytes.")

    def __init__(self, parent=None, log: bool = True):
        super().__init__(parent)
        self.log = log
        self._fit_brush, self._spill_brush = pg.mkBrush(FIT), pg.mkBrush(SPILL)
        self.bars = pg.BarGraphItem(x=np.zeros(0), y0=np.zeros(0), height=np.zeros(0),
                                    width=0.8, pen=None, brush=FIT,
                                    name="activation per step, whole batch")
        self.weights = pg.ScatterPlotItem(size=6, symbol="d", pen=None,
                                          brush=pg.mkBrush(WEIGHT), name="weights per step")
        self.capacity = pg.InfiniteLine(angle=0, movable=False,
                                        pen=pg.mkPen(ACCENT, width=1.5,
                                                     style=Qt.PenStyle.DashLine),
                                        label="", labelOpts={"position": 0.98,
                                                             "anchors": [(1, 1), (1, 1)],
                                                             "color": ACCENT})
        for item in (self.bars, self.weights, self.capacity):
            self.plotItem.addItem(item)
        self.set_title(self.title, [("activation in SRAM", FIT, "■"),
                                    ("activation spilled", SPILL, "■"),
                                    ("weights", WEIGHT, "◆")])
        self.set_labels("MB per step (10⁶ B)", "execution step")
        self._frame = None
        self.set_log(log)

    def set_log(self, log: bool):
        self.log = bool(log)
        self.plotItem.getAxis("left").setLogMode(False, self.log)
        if self._frame is not None:
            self.render(self._frame)

    def _y(self, nbytes):
        mb = np.asarray(nbytes, dtype=float) / MB
        return _log10(mb, LOG_FLOOR_MB) if self.log else mb

    def render(self, frame: Frame):
        self._frame = frame
        a, fp = frame.analysis, frame.footprint
        act = np.asarray(fp.activation_bytes, dtype=float)
        wts = np.asarray(fp.weight_bytes, dtype=float)
        in_sram = np.asarray(a.in_sram, dtype=bool)
        n = len(act)
        self._n = n
        x = np.arange(n)
        base = math.log10(LOG_FLOOR_MB) if self.log else 0.0
        brushes = [self._fit_brush if f else self._spill_brush for f in in_sram]
        self.bars.setOpts(x=x, y0=np.full(n, base), height=self._y(act) - base, width=0.8,
                          brushes=brushes)
        has_w = wts > 0
        self.weights.setData(x[has_w], self._y(wts[has_w]))
        cap = float(activation_capacity(a))
        if cap > 0:
            self.capacity.setValue(float(self._y(cap)))
            self.capacity.label.setFormat(f"SRAM for activations {fmt_mb(cap)}")
            self.capacity.show()
        else:
            self.capacity.hide()
        top = max(act.max(initial=0), wts.max(initial=0), cap)
        vb = self.plotItem.getViewBox()
        if self.log:
            self.set_range(vb, y=(base, math.log10(max(top / MB, 1e-2)) + 0.35))
        else:
            self.set_range(vb, y=(0, top / MB * 1.12 or 1))
        self.set_range(vb, x=(-1, n))
        names = frame.names
        self._texts = [f"{names[i]}: activation {fmt_mb(act[i])} "
                       f"({'in SRAM' if in_sram[i] else 'spilled to DRAM'}), "
                       f"weights {fmt_mb(wts[i])}" for i in range(n)]


class LiveMemoryPlot(_StepPlot):
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
        self.peak = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(SPILL), pen=None,
                                       name="peak live")
        self.peak_text = pg.TextItem("", color=SPILL.darker(120), anchor=(0, 1))
        self.peak_text.setFont(_font(8.5, True))
        self.arena = pg.InfiniteLine(angle=0, movable=False,
                                     pen=pg.mkPen(MUTED, width=1.2, style=Qt.PenStyle.DotLine),
                                     label="", labelOpts={"position": 0.98,
                                                          "anchors": [(1, 1), (1, 1)],
                                                          "color": "#555"})
        self.capacity = pg.InfiniteLine(angle=0, movable=False,
                                        pen=pg.mkPen(ACCENT, width=1.5,
                                                     style=Qt.PenStyle.DashLine),
                                        label="", labelOpts={"position": 0.98,
                                                             "anchors": [(1, 0), (1, 0)],
                                                             "color": ACCENT})
        for item in (self.curve, self.arena, self.capacity, self.peak, self.peak_text):
            self.plotItem.addItem(item)
        self.set_title(self.title, [("live activations", FIT, "■"), ("peak", SPILL, "●"),
                                    ("arena", MUTED, "┈"),
                                    ("act. SRAM", ACCENT, "╌")])
        self.set_labels("live MB (10⁶ B)", "execution step")

    def render(self, frame: Frame):
        a, fp = frame.analysis, frame.footprint
        live = np.asarray(fp.live_bytes, dtype=float)
        n = len(live)
        self._n = n
        self.curve.setData(np.arange(n + 1) - 0.5, live / MB)
        i = int(np.argmax(live)) if n else 0
        peak = float(live[i]) if n else 0.0
        arena = float(fp.arena_bytes)
        self.peak.setData([i], [peak / MB])
        self.peak_text.setText(f"peak live {fmt_mb(peak)}")
        self.peak_text.setAnchor((1, 1) if i > n / 2 else (0, 1))
        self.peak_text.setPos(i, peak / MB)
        self.arena.setValue(arena / MB)
        self.arena.label.setFormat(f"arena {fmt_mb(arena)}")
        cap = float(activation_capacity(a))
        self.capacity.setValue(cap / MB)
        self.capacity.label.setFormat(f"SRAM for activations {fmt_mb(cap)}")
        self.capacity.setVisible(cap > 0)
        top = max(peak, arena, cap)
        # label below the line near the top (clear of the arena label), above it lower
        # down (clear of the x axis)
        lab = self.capacity.label
        lab.anchors = [(1, 0), (1, 0)] if cap > 0.5 * top else [(1, 1), (1, 1)]
        lab.updatePosition()
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(-1, n), y=(0, top / MB * 1.18 or 1))
        names = frame.names
        self._texts = [f"step {k} ({names[k]}): {fmt_mb(live[k])} live" for k in range(n)]


class DramVsSramPlot(PlotBase):
    """DRAM bytes per image as a function of SRAM size; reference and current chip."""

    title = "DRAM traffic per image vs SRAM size"
    help_text = ("DRAM bytes moved per image (weights streamed, activations spilled and "
                 "read back, input and output) if the chip had this much SRAM, everything "
                 "else unchanged.\nDotted lines: the seed chips A/B/C; the blue dot is the "
                 "current chip. MB = 10^6 bytes.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curve = pg.PlotDataItem([], [], pen=pg.mkPen(WEIGHT, width=2),
                                     name="DRAM per image")
        self.points = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(0, 0, 0, 0),
                                         hoverable=True, hoverBrush=pg.mkBrush(WEIGHT),
                                         tip=self._tip)
        self.current = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(ACCENT),
                                          pen=pg.mkPen("w", width=1.5), name="this chip")
        self.current_text = pg.TextItem("", color=ACCENT, anchor=(0, 1))
        self.current_text.setFont(_font(8.5, True))
        for item in (self.curve, self.points, self.current, self.current_text):
            self.plotItem.addItem(item)
        self.set_title(self.title, [("DRAM per image", WEIGHT, "—"),
                                    ("this chip", ACCENT, "●"),
                                    ("chips A, B, C", MUTED, "┊")])
        self._chip_lines: list[pg.InfiniteLine] = []
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self.set_labels("DRAM MB per image (10⁶ B)", "SRAM size (MB, log scale)")
        self._sram = np.zeros(0)
        self._dram = np.zeros(0)

    def _tip(self, x, y, data):
        return (f"SRAM {fmt_mb(10 ** x * MB)} -> DRAM {fmt_mb(y * MB)} per image")

    def render(self, frame: Frame):
        sweep = frame.sram_sweep
        if sweep is None:
            return
        sram = np.asarray(sweep["sram_bytes"], dtype=float)
        dram = np.asarray(sweep["dram_bytes_per_image"], dtype=float)
        keep = sram > 0
        x = np.log10(sram[keep] / MB)
        y = dram[keep] / MB
        self._sram, self._dram = sram[keep], dram[keep]
        self.curve.setData(x, y)
        self.points.setData(x, y)
        chips = frame.reference_chips
        while len(self._chip_lines) < len(chips):
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(MUTED, width=1, style=Qt.PenStyle.DotLine),
                                   label="", labelOpts={"position": 0.93, "color": "#555",
                                                        "anchors": [(0, 0), (0, 0)]})
            self.plotItem.addItem(line)
            self._chip_lines.append(line)
        for line, (label, nbytes) in zip(self._chip_lines, chips):
            line.setValue(math.log10(max(nbytes, 1) / MB))
            line.label.setFormat(f" {label}")
            line.show()
        for line in self._chip_lines[len(chips):]:
            line.hide()
        cur_x = math.log10(max(frame.sram_bytes, 1) / MB)
        cur_y = float(frame.analysis.totals()["dram_bytes_per_image"]) / MB
        self.current.setData([cur_x], [cur_y])
        self.current_text.setText(f" this chip: {fmt_mb(cur_y * MB)}/image")
        xmin, xmax = (float(x.min()), float(x.max())) if len(x) else (-1.0, 3.0)
        self.current_text.setAnchor((1, 1) if cur_x > (xmin + xmax) / 2 else (0, 1))
        self.current_text.setPos(cur_x, cur_y)
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(xmin, xmax), pad=0.02)
        ymax = max(float(y.max()) if len(y) else 0.0, cur_y)
        self.set_range(vb, y=(0, ymax * 1.12 or 1))


class BatchPlot(PlotBase):
    """Throughput (left axis) and latency (right axis) vs batch size."""

    title = "Throughput and latency vs batch"
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
        self.lat_vb = pg.ViewBox()
        self.lat_vb.setMouseEnabled(x=False, y=False)
        pi.showAxis("right")
        pi.scene().addItem(self.lat_vb)
        right = pi.getAxis("right")
        right.linkToView(self.lat_vb)
        right.setStyle(tickFont=_font(8.5))
        right.enableAutoSIPrefix(False)
        right.setWidth(64)
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
        self.lat_vb.setGeometry(self.plotItem.getViewBox().sceneBoundingRect())
        self.lat_vb.linkedViewChanged(self.plotItem.getViewBox(), self.lat_vb.XAxis)

    def render(self, frame: Frame):
        sweep = frame.batch_sweep
        if sweep is None:
            return
        b = np.asarray(sweep["batch"], dtype=float)
        self._batches = b
        self._thr = np.asarray(sweep["throughput_ips"], dtype=float)
        self._lat = np.asarray(sweep["latency_s"], dtype=float)
        x = np.log10(b)
        self.thr.setData(x, self._thr)
        self.lat.setData(x, self._lat * 1e3)
        self.current.setValue(math.log10(frame.batch))
        self.current.label.setFormat(f" batch {frame.batch}")
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(float(x.min()), float(x.max())), pad=0.04)
        self.set_range(vb, y=(0, float(self._thr.max(initial=0)) * 1.15 or 1))
        self.set_range(self.lat_vb, y=(0, float(self._lat.max(initial=0)) * 1e3 * 1.15 or 1))
        self._sync()


class RooflinePlot(PlotBase):
    """Each layer's arithmetic intensity against the ops/s it attains, under the roof."""

    title = "Roofline of the layers"
    help_text = ("Roofline: a layer cannot run faster than the chip's peak ops/s (flat "
                 "roof) nor than DRAM bandwidth x arithmetic intensity (slanted roof).\n"
                 "Arithmetic intensity = operations (2 per MAC) per byte moved to or from "
                 "DRAM. Points: each layer's attained ops/s, blue if compute-bound, red if "
                 "memory-bound. Layers with no DRAM traffic sit at the right edge.\n"
                 "Click a point to select the layer.")

    NO_DRAM_AI = 1e5   # where layers with no DRAM bytes are drawn (ops/byte)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.roof = pg.PlotDataItem([], [], pen=pg.mkPen(WEIGHT, width=2), name="roof")
        self.points = pg.ScatterPlotItem(size=8, pen=pg.mkPen("w", width=0.5),
                                         hoverable=True, hoverSize=12, tip=self._tip,
                                         name="layers")
        self.points.sigClicked.connect(self._clicked)
        self.sel = pg.ScatterPlotItem(size=16, brush=None, pen=pg.mkPen(ACCENT, width=2),
                                      name="selected layer")
        for item in (self.roof, self.points, self.sel):
            self.plotItem.addItem(item)
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self.plotItem.getAxis("left").setLogMode(False, True)
        self.set_labels("attained TOPS (10¹² ops/s)",
                        "arithmetic intensity (ops per DRAM byte)")
        self.set_title(self.title, [("compute-bound", COMPUTE, "●"),
                                    ("memory-bound", MEMORY, "●"), ("roof", WEIGHT, "—")])
        self._texts: list[str] = []
        self._xy = np.zeros((0, 2))

    def _tip(self, x, y, data):
        return self._texts[data] if data is not None and data < len(self._texts) else ""

    def _clicked(self, item, points, ev):
        if len(points):
            self.layerClicked.emit(int(points[0].data()))

    def select(self, index):
        super().select(index)
        if index is None or index >= len(self._xy):
            self.sel.setData([], [])
        else:
            self.sel.setData([self._xy[index, 0]], [self._xy[index, 1]])

    def render(self, frame: Frame):
        a = frame.analysis
        r = roofline(a)
        ops, dram, t = r["ops"], r["dram_bytes"], r["time_s"]
        has = ops > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ai = np.where(dram > 0, ops / np.maximum(dram, 1), self.NO_DRAM_AI)
            achieved = np.where(t > 0, ops / np.maximum(t, 1e-30), 0.0)
        ai = np.minimum(ai, self.NO_DRAM_AI)
        idx = np.nonzero(has)[0]
        x = np.log10(ai[idx])
        y = np.log10(np.maximum(achieved[idx], 1.0) / 1e12)
        self._xy = np.full((len(ops), 2), np.nan)
        self._xy[idx, 0], self._xy[idx, 1] = x, y
        bound = np.asarray(a.bound)
        brushes = [pg.mkBrush(MEMORY if str(bound[i]) == "memory" else COMPUTE) for i in idx]
        self.points.setData(x=x, y=y, data=idx.tolist(), brush=brushes)
        peak, bw = r["peak_ops"], r["dram_bytes_per_s"]
        xs = np.linspace(-1, math.log10(self.NO_DRAM_AI), 200)
        roof = np.minimum(peak, bw * 10 ** xs)
        self.roof.setData(xs, np.log10(roof / 1e12))
        names = frame.names
        self._texts = [""] * len(ops)
        for i in idx:
            ai_txt = (f"{ai[i]:,.1f} ops/B" if dram[i] > 0 else "no DRAM traffic")
            self._texts[i] = (f"{names[i]}: {achieved[i] / 1e12:,.3f} TOPS attained, "
                              f"{ai_txt}, {bound[i]}-bound")
        vb = self.plotItem.getViewBox()
        ylo = min(float(y.min()) if len(y) else -3, math.log10(roof.min() / 1e12))
        self.set_range(vb, x=(-1, math.log10(self.NO_DRAM_AI)), pad=0.02)
        self.set_range(vb, y=(ylo - 0.2, math.log10(peak / 1e12) + 0.3))
        self.select(self.selected)


class TrafficPlot(PlotBase):
    """DRAM traffic per image broken down by kind (horizontal bars)."""

    title = "DRAM traffic per image, by kind"
    help_text = ("Bytes moved to or from DRAM for one image: the input image read, "
                 "weights streamed (shared by the batch), activations spilled (written "
                 "and read back by every consumer) and the output written. "
                 "MB = 10^6 bytes.")

    KINDS = [("input", "input read"), ("weights", "weights read"),
             ("activation_writes", "spill writes"), ("activation_reads", "spill reads"),
             ("output", "output written")]

    def __init__(self, parent=None):
        super().__init__(parent)
        n = len(self.KINDS)
        colors = [MUTED, WEIGHT, SPILL, SPILL.lighter(125), MUTED.darker(120)]
        self.bars = pg.BarGraphItem(x0=np.zeros(n), y=np.arange(n), height=0.6,
                                    width=np.zeros(n), brushes=[pg.mkBrush(c) for c in colors],
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
        left = self.plotItem.getAxis("left")
        left.setTicks([[(i, label) for i, (_, label) in enumerate(self.KINDS)]])
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
        if 0 <= i < len(self.KINDS):
            total = self._bytes.sum() or 1
            self.show_hover(f"{self.KINDS[i][1]}: {fmt_mb(self._bytes[i])} per image "
                            f"({self._bytes[i] / total:.0%} of the total)")

    def render(self, frame: Frame):
        traffic = frame.analysis.traffic
        b = np.array([float(traffic.get(k, 0)) for k, _ in self.KINDS])
        self._bytes = b
        mb = b / MB
        self.bars.setOpts(width=mb)
        top = float(mb.max(initial=0)) or 1.0
        total = b.sum() or 1
        for i, t in enumerate(self.values):
            t.setText(f" {fmt_mb(b[i])} ({b[i] / total:.0%})")
            t.setPos(mb[i], i)
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(0, top * 1.7), y=(-0.6, len(self.KINDS) - 0.4))


# -- views of the analysis the plots share (no new figures, only selection) ---------
def activation_capacity(analysis) -> float:
    """SRAM bytes the placement gives to activations (the engine's figure)."""
    return analysis.activation_budget_bytes


def roofline(analysis) -> dict:
    """The engine's roofline arrays (engine.analysis.Analysis.roofline)."""
    return analysis.roofline()


ALL_PLOTS = (ActivationPlot, LiveMemoryPlot, DramVsSramPlot, BatchPlot, RooflinePlot,
             TrafficPlot)
