"""What every live plot shares: the :class:`Frame` it draws, colours, unit
formatting, and :class:`PlotBase` (title with colour key, unit-carrying axes, hover
text, click-to-select) with :class:`StepPlot` for plots whose x axis is the step."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QFont, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QToolTip

from sramfit.gui.text import fmt_mb

from .axis_cache import cache_grid_pictures
from .ticks import sparse_log_labels




# No pg.setConfigOptions here: global pyqtgraph options would leak into every other
# user of pyqtgraph in the process (gui.export, tests). Colours are set per item.
FG = QColor("#222222")

MB = 1e6
FIT = QColor("#2a9d8f")        # fits in SRAM
SPILL = QColor("#e76f51")      # spills to DRAM
WEIGHT = QColor("#264653")
ACCENT = QColor("#3a86ff")     # current chip / selection
MUTED = QColor("#8d99ae")
GOAL = QColor("#2d6a4f")       # goal seek marks
COMPUTE = QColor("#3a86ff")
MEMORY = QColor("#e76f51")
LOG_FLOOR_MB = 1e-3            # 1 kB: the bottom of log byte axes
ESTIMATE = QColor("#b06f00")   # speed figures of a chip with no published measurement
ESTIMATE_PREFIX = "estimated "


@dataclass
class Frame:
    """Everything the plots draw, from one ``analyze(scenario)`` call plus sweeps."""
    analysis: Any                       # engine Analysis of the current scenario
    batch: int                          # the scenario's batch
    sram_bytes: float                   # the current chip's SRAM capacity
    sram_sweep: dict | None = None      # engine.sweep.over_sram result (or None)
    batch_sweep: dict | None = None     # engine.sweep.over_batch result (or None)
    dram_curves: dict | None = None     # engine.sweep.dram_curves: both schedules, floor
    reference_chips: list = field(default_factory=list)   # [(label, sram_bytes)]
    names: list = field(default_factory=list)             # step names
    knee_bytes: float | None = None     # engine.seek.knee of the SRAM sweep's DRAM curve
    goal: dict | None = None            # engine.seek result: {"text", "sram_bytes" (None:
                                        # unreachable), "goal", "value", "batch"}

    @property
    def footprint(self):
        return self.analysis.footprint


class Marker(QGraphicsPathItem):
    """One symbol at one data point (the chip's dot, the knee, the peak, the selected
    layer's ring), drawn by Qt itself: a pg.ScatterPlotItem of one point ran ~0.2 ms of
    Python per paint and per bounding-rect query (issue 15). The symbol keeps its size in
    pixels as the plot's range changes; an export scales it as it scales scatter symbols
    (``setExportMode`` with ``resolutionScale``). It answers what the plot's CSV export
    and the tests ask of a data item: ``setData``, ``getData``, ``name``."""

    def __init__(self, symbol: str = "o", size: float = 10.0, brush=None, pen=None,
                 name: str = ""):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        h = size / 2.0
        path = QPainterPath()
        if symbol == "d":
            path.addPolygon(QPolygonF([QPointF(0, -h), QPointF(h, 0), QPointF(0, h),
                                       QPointF(-h, 0), QPointF(0, -h)]))
        else:
            path.addEllipse(QRectF(-h, -h, size, size))
        self._symbol, self._size, self._name = path, float(size), name
        self.setBrush(pg.mkBrush(brush) if brush is not None else QBrush(Qt.BrushStyle.NoBrush))
        self.setPen(pg.mkPen(pen) if pen is not None else QPen(Qt.PenStyle.NoPen))
        self._x = self._y = np.zeros(0)
        self.setPath(QPainterPath())

    # -- what pg.PlotItem and the CSV export ask of a data item
    def implements(self, interface=None):
        return interface == "plotData" if interface is not None else ["plotData"]

    def name(self) -> str:
        return self._name

    def setData(self, x=None, y=None, **_):
        self._x = np.asarray([] if x is None else x, dtype=float).ravel()
        self._y = np.asarray([] if y is None else y, dtype=float).ravel()
        ok = len(self._x) > 0 and np.isfinite(self._x[0]) and np.isfinite(self._y[0])
        if ok:
            self.setPos(float(self._x[0]), float(self._y[0]))
        self.setPath(self._symbol if ok else QPainterPath())

    def getData(self):
        return self._x, self._y

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        d = self._x if ax == 0 else self._y
        return (None, None) if not len(d) else (float(d.min()), float(d.max()))

    def pixelPadding(self) -> float:
        return self._size / 2.0 + self.pen().widthF()

    def setExportMode(self, export: bool, opts=None):
        """An export draws the symbol ``resolutionScale`` times its screen size."""
        self.setScale(float((opts or {}).get("resolutionScale", 1.0)) if export else 1.0)
        return False


#: the ground of a label that may sit on a curve: the text reads, the curve shows through
LABEL_GROUND = pg.mkBrush(255, 255, 255, 170)


def _font(pt: float = 9.0, bold: bool = False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPointSizeF(pt)
    f.setBold(bold)
    return f


def _log10(values, floor):
    v = np.asarray(values, dtype=float)
    return np.log10(np.maximum(v, floor))


def sram_line(anchor_y: float) -> pg.InfiniteLine:
    """The dashed horizontal line of the SRAM available to activations, labelled at
    its right end (above it with ``anchor_y`` 1, below with 0)."""
    return pg.InfiniteLine(angle=0, movable=False,
                           pen=pg.mkPen(ACCENT, width=1.5, style=Qt.PenStyle.DashLine),
                           label="", labelOpts={"position": 0.98,
                                                "anchors": [(1, anchor_y), (1, anchor_y)],
                                                "color": ACCENT,
                                                # readable over bars (bug 6)
                                                "fill": pg.mkBrush(255, 255, 255, 225)})


def set_xy(item, x, y, **opts) -> bool:
    """``item.setData(x, y, **opts)`` unless the item already shows exactly these
    points (speed: a slider notch leaves most curves as they were, and setData
    re-renders every symbol). Use it for every setData of an item, or for none."""
    x = np.array(x, dtype=float)
    y = np.array(y, dtype=float)
    last = getattr(item, "_shown_xy", None)
    if (last is not None and last[2] == opts and np.array_equal(last[0], x, equal_nan=True)
            and np.array_equal(last[1], y, equal_nan=True)):
        return False
    item.setData(x=x, y=y, **opts)
    item._shown_xy = (x, y, opts)
    return True


_CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache


def cache_static(item):
    """Keep ``item``'s picture as a pixmap on screen (QGraphicsItem device coordinate
    cache): a repaint of the plot around it (a marker moving over a curve, an axis or
    the grid) then copies pixels instead of drawing it again. For items a slider notch
    leaves alone; the pixmap is redrawn when the item or the view range changes.
    Exports (gui.export calls setExportMode on every item) paint it uncached, so an SVG
    gets vectors, never a pixmap."""
    item.setCacheMode(_CACHED)
    plain = item.setExportMode

    def set_export_mode(export, opts=None):
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache if export else _CACHED)
        return plain(export, opts)
    item.setExportMode = set_export_mode
    return item


def set_text(item, text: str) -> bool:
    """``item.setText(text)`` (a pg.TextItem) unless it already shows ``text``: setText
    re-lays out the text and repaints it even when nothing changed (speed)."""
    if item.toPlainText() == text:
        return False
    item.setText(text)
    return True


def set_label(line, text: str) -> bool:
    """The text of an InfiniteLine's label, set only when it differs from what the label
    shows (read back from the label, not remembered: a label hidden when set keeps its
    old text, and an export restyles and restores labels)."""
    lab = line.label
    if lab.format == text and lab.toPlainText() == text:
        return False
    lab.setFormat(text)
    return True


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def set_bars(item, **opts) -> bool:
    """``item.setOpts(**opts)`` (a pg.BarGraphItem) unless every option already has
    that value (arrays equal, brush lists the same objects): setOpts redraws every bar
    and repaints the whole plot (speed: a slider notch leaves most bars as they were)."""
    opts = {k: (np.asarray(v, dtype=float) if k in _BAR_ARRAYS and not np.isscalar(v)
                else v) for k, v in opts.items()}
    if all(k in item.opts and _same(item.opts[k], v) for k, v in opts.items()):
        return False
    item.setOpts(**opts)
    return True


_BAR_ARRAYS = ("x", "y", "x0", "y0", "x1", "y1", "height", "width")


class PlotBase(pg.PlotWidget):
    """A titled plot with unit-carrying axes, hover text and click-to-select."""

    layerClicked = Signal(int)
    title = ""
    help_text = ""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setMenuEnabled(False)
        # no view-wide antialiasing on screen: it only softened the edges of bars, grid
        # and straight marker lines (curves and symbols set their own) and cost ~1/5 of
        # each repaint; exports paint with their own antialiased painter
        self.setAntialiasing(False)
        pi = self.plotItem
        pi.hideButtons()
        self.set_title(self.title)
        pi.showGrid(x=False, y=False)      # axis grids repaint tick text on every update
        self.grid = pg.GridItem(pen=pg.mkPen(0, 0, 0, 28), textPen=None)
        self.grid.setTickSpacing(x=[None], y=[None])
        self.grid.setZValue(-100)
        pi.addItem(self.grid, ignoreBounds=True)
        # the grid's lines are kept as pictures per state (a switch back replays them);
        # no pixmap cache: re-rendering a whole-plot pixmap on each new range cost ~0.4
        # ms per plot on a model switch, and the few lines of a notch's strips are cheap
        cache_grid_pictures(self.grid)
        for side in ("left", "bottom", "right", "top"):
            ax = pi.getAxis(side)
            cache_static(ax)
            ax.setPen(pg.mkPen(FG))
            ax.setTextPen(pg.mkPen(FG))
            ax.setStyle(tickFont=_font(8.5))
            ax.enableAutoSIPrefix(False)
            sparse_log_labels(ax)          # log ticks that do not run together (bug 6)
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
        """Title with an inline colour legend: [(label, QColor, glyph)]. The same
        title again is not set again (a new title re-lays out the plot)."""
        key = (title, tuple((label, c.name(), g) for label, c, g in legend))
        if key == getattr(self, "_title_key", None):
            return
        self._title_key = key
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

    def mark_speed_estimate(self, frame):
        """Issue 12: on a plot of speed figures, "estimated" before the left axis label, in
        the warning colour, when the chip has no published measurement
        (``speed_estimated`` of the analysis). The title stays as it is (one line)."""
        flags = getattr(frame.analysis, "speed_flags", None)
        est = bool(flags and flags().get("speed_estimated"))
        if est == getattr(self, "_estimate_marked", False):
            return
        self._estimate_marked = est
        left, _ = getattr(self, "_label_args", ("", ""))
        self.plotItem.setLabel("left", f"{ESTIMATE_PREFIX}{left}" if est else left,
                               **{"font-size": "9pt",
                                  "color": (ESTIMATE if est else FG).name()})

    def _fit_title(self, width=None):
        """Wrap the title to the plot's width, so a narrow plot never gets wider than
        its widget (which would clip its right axis)."""
        pi = self.plotItem
        if pi is None:                    # the widget is being torn down
            return
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
            self._fit_axis_labels()
            # re-apply the widget's rect to the plot item, as GraphicsView does on resize
            pg.GraphicsView.setRange(self, self.range, padding=0, disableAutoPixel=False)
        except RuntimeError:                       # widget already deleted
            pass

    def _fit_axis_labels(self):
        """An axis label longer than its axis wraps onto more lines, centred, so a small
        plot (a 1280x720 window) never clips its units; one that fits stays one line.
        (Exports undo the wrap: gui/export/render.py.)"""
        pi = self.plotItem
        if pi is None:
            return
        for side in ("left", "right", "bottom"):
            ax = pi.getAxis(side)
            lbl = ax.label
            if not (ax.isVisible() and lbl.isVisible() and lbl.toPlainText().strip()):
                continue
            vertical = side in ("left", "right")
            length = (ax.size().height() if vertical else ax.size().width()) - 6.0
            old = lbl.textWidth()
            lbl.setTextWidth(-1)
            want = -1.0 if lbl.boundingRect().width() <= length or length < 40 else length
            if want > 0:
                opt = lbl.document().defaultTextOption()
                opt.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                lbl.document().setDefaultTextOption(opt)
            lbl.setTextWidth(want)
            if want != old:
                (ax._updateWidth if vertical else ax._updateHeight)()
                ax.resizeEvent()

    def axis_unit(self, side: str, top: float, units, style=None) -> None:
        """Axis ``side`` in the largest of ``units`` = [(factor, label)], smallest
        first, whose tick values (data x factor) stay below 10,000 at the data's ``top``
        (bug 15: "400000 MB", "700000 ms"). The data are not changed: the axis scales
        its tick values. Nothing happens while the unit stays the same."""
        factor, label = units[0]
        for f, lbl in units[1:]:
            if top * factor >= 1e4:
                factor, label = f, lbl
        key = f"_axis_unit_{side}"
        if getattr(self, key, None) == (factor, label):
            return
        setattr(self, key, (factor, label))
        ax = self.plotItem.getAxis(side)
        ax.setScale(factor)
        if side == "left" and style is None:
            self.set_labels(label, self._label_args[1])
        else:
            ax.setLabel(label, **(style or {"font-size": "9pt", "color": FG.name()}))
        self._fit_axis_labels()

    def set_labels(self, left: str, bottom: str):
        self._label_args = (left, bottom)
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
            # keep only while the top moves by little (a log axis' 30 % was two decades:
            # the per-layer axis never shrank)
            if abs(lo - clo) <= 0.01 * cspan and chi - 0.06 * cspan <= hi <= chi:
                continue
            (vb.setXRange if axis == 0 else vb.setYRange)(lo, hi, padding=0)

    @property
    def _texts(self) -> list[str]:
        """The hover text of each point, made on the first hover after a render (a
        slider notch formats none of them)."""
        make = getattr(self, "_make_texts", None)
        if make is not None:
            self._made_texts, self._make_texts = make(), None
        return getattr(self, "_made_texts", [])

    @_texts.setter
    def _texts(self, texts: list[str]):
        self._made_texts, self._make_texts = texts, None

    def hover_texts(self, make):
        """``make()`` gives the hover texts of what was just rendered, when asked."""
        self._make_texts = make

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


class StepPlot(PlotBase):
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
        if i is None or i >= len(self._texts):
            self.show_hover("")
            return
        self.show_hover(self._texts[i] + "\n" + self._details(i))

    def _details(self, i: int) -> str:
        """Every per-layer figure of step ``i``, from the engine's layer rows of the
        frame drawn (read on the first hover of each frame, not on every redraw)."""
        frame = getattr(self, "_frame", None)
        if frame is None:
            return ""
        if getattr(self, "_rows_of", None) is not frame:
            self._rows_of, self._rows = frame, frame.analysis.layer_rows()
        if i >= len(self._rows):
            return ""
        r = self._rows[i]
        util = r.get("utilisation")
        util_txt = f", MAC utilisation {100 * float(util):.0f} %" if util is not None else ""
        return (f"{r['op']} -> {'x'.join(str(v) for v in r['output_shape'])}: "
                f"{r['macs'] / 1e6:,.1f} M MACs, {r['time_s'] * 1e6:,.1f} µs "
                f"(compute {r['compute_s'] * 1e6:,.1f} µs, memory "
                f"{r['memory_s'] * 1e6:,.1f} µs, {r['bound']}-bound{util_txt}), "
                f"DRAM {fmt_mb(r['dram_bytes'])} per image, weights "
                f"{fmt_mb(r['weight_bytes_stored'])}"
                f"{' in SRAM' if r.get('weights_in_sram') else ''}")

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




# -- views of the analysis the plots share (no new figures, only selection) ---------
def activation_capacity(analysis) -> float:
    """SRAM bytes the placement gives to activations (the engine's figure)."""
    return analysis.activation_budget_bytes


def capacity_label(analysis) -> str:
    """The activation-capacity line's label. The budget is what is left of SRAM after
    staging and pinned weights (whole compiled batch); when it holds no buffer (e.g.
    YOLOv3 2 MP, chip B, 2 MB, batch 4096: 2,000,000 - 49,152 staging - 1,950,656
    pinned = 192 B, under 0.05 B per image) the label says so instead of suggesting
    that 0.2 kB of activations sit in SRAM."""
    from sramfit.gui.text import fmt_mb
    cap = float(activation_capacity(analysis))
    text = f"SRAM for activations {fmt_mb(cap)}"
    used = float(np.asarray(analysis.placement.activations_in_sram, dtype=float)
                 .reshape(-1)[0])
    if cap > 0 and used == 0:
        text += ": no buffer fits"
    return text


def roofline(analysis) -> dict:
    """The engine's roofline arrays (engine.analysis.Analysis.roofline)."""
    return analysis.roofline()
