"""The compare view: several scenarios side by side.

* a list of scenarios with checkboxes ("add current scenario", "open files…");
* the key figures of the checked ones with absolute and % deltas against a baseline
  (engine.compare.compare);
* overlaid curves with a legend: DRAM per image vs SRAM size, throughput vs batch
  (relative to batch 1), activation bytes per layer, DRAM traffic by kind;
* a Pareto plot of SRAM area (cost) vs throughput, DRAM bandwidth or DRAM per image;
* a field-by-field diff of two scenarios' settings (engine.compare.diff_settings);
* a two-panel summary for slides (throughput vs batch + DRAM traffic by kind).

Every number comes from engine.analyze / engine.sweep / engine.compare
(:func:`build_data`); the plot classes here only turn those arrays into pyqtgraph
items (same base class and look as gui/plots.py). Every file leaves through
gui.export. The plot classes are also used by gui/headless.py (``sramfit export``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QListWidget, QListWidgetItem, QMenu,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                               QTabWidget, QToolButton, QVBoxLayout, QWidget)

from sramfit import engine
from sramfit.engine import compare as cmp
from sramfit.engine import sweep
from sramfit.engine.errors import SramfitError

from . import dialogs
from .plots import MB, MUTED, SPILL, WEIGHT, PlotBase, _font

#: one colour per scenario (colour-blind friendly order), and a dash per scenario so
#: curves stay apart in greyscale print
PALETTE = ["#264653", "#e76f51", "#3a86ff", "#2a9d8f", "#8338ec", "#bc6c25", "#6a994e",
           "#d62828"]
DASHES = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine,
          Qt.PenStyle.DotLine]
SRAM_GRID = np.concatenate(([0.0], np.geomspace(1e5, 1e9, 121)))
#: SRAM sizes (MB) of the "same scenario with other SRAM" points of the Pareto plot
SRAM_VARIANTS_MB = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
KIND_COLORS = {"weights": WEIGHT, "activations": SPILL, "io": MUTED}
FOOTNOTE = "sramfit compare. MB = 10^6 bytes."


def color(i: int) -> QColor:
    return QColor(PALETTE[i % len(PALETTE)])


def pen(i: int, width: float = 2.0):
    return pg.mkPen(color(i), width=width, style=DASHES[i % len(DASHES)])


# -- data --------------------------------------------------------------------------
@dataclass
class Entry:
    """One scenario in the compare list."""
    scenario: Any
    analysis: Any
    path: str = ""
    label: str = ""


@dataclass
class CompareData:
    """Everything the compare view draws, computed by the engine."""
    names: list
    entries: list
    baseline: int
    rows: list                                  # engine.compare.Row
    sram_sweeps: list                           # engine.sweep.over_sram (None: failed)
    batch_curves: list                          # engine.compare.batch_curves
    splits: list                                # engine.compare.traffic_split
    family: cmp.Family
    pareto_y: str = "throughput_ips"
    problems: list = field(default_factory=list)


def _unique(names):
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def build_data(entries, baseline: int = 0, pareto_y: str = "throughput_ips",
               variants: bool = True) -> CompareData:
    """All engine results for ``entries`` (a list of :class:`Entry`)."""
    entries = list(entries)
    names = _unique([e.label or e.scenario.name for e in entries])
    analyses = [e.analysis for e in entries]
    baseline = baseline if 0 <= baseline < len(entries) else 0
    problems = []
    rows = cmp.compare(analyses, baseline) if entries else []
    sweeps = []
    for e in entries:
        try:
            sweeps.append(sweep.over_sram(e.scenario, SRAM_GRID))
        except SramfitError as err:
            sweeps.append(None)
            problems.append(f"{e.scenario.name}: {err}")
    curves = cmp.batch_curves([e.scenario for e in entries]) if entries else []
    splits = [cmp.traffic_split(a) for a in analyses]
    fam = cmp.pareto_family(analyses, pareto_y, SRAM_VARIANTS_MB if variants else ())
    fam.labels = [names[s] if v is None else f"{names[s]} @ {v:g} MB"
                  for s, v in zip(fam.scenario, fam.variant)]
    return CompareData(names, entries, baseline, rows, sweeps, curves, splits, fam,
                       pareto_y, problems)


# -- table formatting (no arithmetic: the engine's values, as text) ------------------
def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    v = float(v)
    if not math.isfinite(v):
        return ""
    a = abs(v)
    if v == int(v) and a < 1e6:
        return f"{int(v):,}"
    if a >= 100:
        return f"{v:,.0f}" if a >= 10000 else f"{v:,.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_delta(v) -> str:
    if v is None:
        return ""
    s = fmt(v)
    return s if s.startswith("-") or s in ("", "0") else "+" + s


def fmt_pct(p, value=None, base=None) -> str:
    if p is None:
        return "new" if value not in (None, base) else ""
    return f"{p:+.0f}%"


def table_cells(data: CompareData, numeric: bool = False):
    """(headers, rows) of the compare table: figure, then per scenario its value and,
    for all but the baseline, the delta and the % delta. ``numeric``: numbers (for
    CSV) instead of text."""
    names, b = data.names, data.baseline
    headers = ["figure"]
    for i, n in enumerate(names):
        headers.append(n + (" (baseline)" if i == b else ""))
        if i != b:
            headers += [f"Δ {n}", f"% {n}"]
    out = []
    for r in data.rows:
        cells: list = [r.label.strip() if numeric else r.label]
        for i in range(len(names)):
            v = r.values[i]
            cells.append(fmt(v) if not numeric or isinstance(v, bool) else v)
            if i != b:
                if numeric:
                    cells += ["" if r.deltas[i] is None else r.deltas[i],
                              "" if r.pct[i] is None else r.pct[i]]
                else:
                    cells += [fmt_delta(r.deltas[i]),
                              fmt_pct(r.pct[i], r.values[i], r.values[b])
                              if r.key != "fits" else ""]
        out.append(cells)
    return headers, out


# -- plots -----------------------------------------------------------------------------
class _OverlayPlot(PlotBase):
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


class DramOverlayPlot(_OverlayPlot):
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


class ThroughputOverlayPlot(_OverlayPlot):
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
            self.curves[i].opts["name"] = data.names[i]
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


class ActivationOverlayPlot(_OverlayPlot):
    title = "Activation bytes per layer"
    help_text = ("Bytes of each execution step's output activation for the whole batch, "
                 "one curve per scenario. MB = 10^6 bytes.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plotItem.getAxis("left").setLogMode(False, True)
        self.set_labels("MB per step, whole batch (log scale)", "execution step")

    def render(self, data: CompareData):
        n = len(data.names)
        self._ensure(n)
        top, bottom, steps = [], [], []
        for i, e in enumerate(data.entries):
            act = np.asarray(e.analysis.footprint.activation_bytes, float)
            x = np.arange(len(act) + 1) - 0.5
            y = np.log10(np.maximum(act, 1.0) / MB)
            self.curves[i].opts["name"] = data.names[i]
            self.curves[i].setData(x, y, stepMode="center")
            self.marks[i].setData([], [])
            if len(y):
                top.append(y.max()), bottom.append(y.min()), steps.append(len(y))
        self.set_title(self.title, self._key(data.names))
        vb = self.plotItem.getViewBox()
        if steps:
            vb.setXRange(-1, max(steps), padding=0)
            vb.setYRange(min(bottom) - 0.2, max(top) + 0.3, padding=0)


class TrafficSharePlot(PlotBase):
    """Each scenario's DRAM traffic per image split by kind, as a 100 % bar."""

    title = "What the DRAM traffic is"
    help_text = ("Share of each scenario's DRAM bytes per image: weights read, "
                 "activations spilled and read back, input and output. The total is "
                 "written at the end of the bar. MB = 10^6 bytes.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bars = {}
        for k, label in cmp.TRAFFIC_KINDS:
            b = pg.BarGraphItem(x0=np.zeros(0), y=np.zeros(0), height=0.55,
                                width=np.zeros(0), brush=KIND_COLORS[k], pen=None,
                                name=f"{label} (% of DRAM per image)")
            self.plotItem.addItem(b)
            self.bars[k] = b
        self.totals: list[pg.TextItem] = []
        self.plotItem.getViewBox().invertY(True)
        self.set_labels("", "% of DRAM traffic per image")
        self.set_title(self.title, self._key())

    def _key(self):
        return [(label, KIND_COLORS[k], "■") for k, label in cmp.TRAFFIC_KINDS]

    def render(self, data: CompareData):
        n = len(data.names)
        y = np.arange(n, dtype=float)
        left = np.zeros(n)
        for k, _ in cmp.TRAFFIC_KINDS:
            w = np.array([s["share"][k] * 100.0 for s in data.splits])
            self.bars[k].setOpts(x0=left.copy(), y=y, width=w, height=0.55)
            left = left + w
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


class ParetoPlot(PlotBase):
    """SRAM area (cost) vs a benefit for the family; the Pareto front connected."""

    title = "SRAM area vs throughput: the Pareto front"
    help_text = ("Each scenario (big dots) and, if shown, the same scenario with other "
                 "SRAM sizes (small dots). Ringed and connected: the Pareto-optimal "
                 "points, where no other point has less SRAM area and a better value.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.front = pg.PlotDataItem([], [], pen=pg.mkPen("#1a1a1a", width=2),
                                     name="Pareto front")
        self.variants = pg.ScatterPlotItem(size=7, pen=None, name="other SRAM sizes")
        self.points = pg.ScatterPlotItem(size=15, pen=pg.mkPen("w", width=1.5),
                                         name="scenarios")
        self.rings = pg.ScatterPlotItem(size=24, brush=None,
                                        pen=pg.mkPen("#1a1a1a", width=2), name="optimal")
        for it in (self.front, self.variants, self.points, self.rings):
            self.plotItem.addItem(it)
        self.labels: list[pg.TextItem] = []
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self._y = "throughput_ips"
        self.set_labels("throughput (images/s)", "SRAM area (mm², log scale)")

    def render(self, data: CompareData):
        fam = data.family
        area = np.log10(np.maximum(fam.area_mm2, 1e-6))
        y = fam.y
        log_y = fam.y_key != "throughput_ips" and len(y) and np.nanmin(y) > 0
        self.plotItem.getAxis("left").setLogMode(False, bool(log_y))
        yv = np.log10(np.maximum(y, 1e-12)) if log_y else y
        is_var = np.array([v is not None for v in fam.variant], bool)
        sc = np.asarray(fam.scenario, int)
        self.variants.setData(x=area[is_var], y=yv[is_var],
                              brush=[pg.mkBrush(QColor(PALETTE[s % len(PALETTE)]).lighter(130))
                                     for s in sc[is_var]])
        self.points.setData(x=area[~is_var], y=yv[~is_var],
                            brush=[pg.mkBrush(color(s)) for s in sc[~is_var]])
        f = fam.front
        self.front.setData(area[f], yv[f])
        self.rings.setData(area[f], yv[f])
        while len(self.labels) < int((~is_var).sum()):
            t = pg.TextItem("", anchor=(0, 1))
            t.setFont(_font(8.5, True))
            self.plotItem.addItem(t)
            self.labels.append(t)
        for t in self.labels:
            t.hide()
        yspan = float(np.nanmax(yv) - np.nanmin(yv)) if len(yv) else 0.0
        placed: list[tuple[float, float]] = []
        for t, i in zip(self.labels, np.flatnonzero(~is_var)):
            # labels of points that (nearly) coincide are stacked, not overprinted
            k = sum(1 for (x0, y0) in placed
                    if abs(x0 - area[i]) < 0.08 and abs(y0 - yv[i]) <= 0.04 * yspan + 1e-12)
            placed.append((float(area[i]), float(yv[i])))
            t.setText(f" {data.names[sc[i]]}")
            t.setColor(color(sc[i]))
            t.setAnchor((0, 1 - 1.05 * k))
            t.setPos(area[i], yv[i])
            t.show()
        unit = fam.y_label + (", log scale" if log_y else "")
        self.set_labels(unit, "SRAM area (mm², log scale)")
        what = fam.y_label.split(" (")[0]
        self.title = f"SRAM area vs {what}: the Pareto front"
        better = cmp.PARETO_Y[fam.y_key][2]
        self.set_title(self.title, [(n, color(i), "●") for i, n in enumerate(data.names)]
                       + [("Pareto-optimal", QColor("#1a1a1a"), "◯"),
                          (f"{better} is better", MUTED, "")])
        vb = self.plotItem.getViewBox()
        if len(area):
            xlo, xhi = float(area.min()), float(area.max())
            if xhi - xlo < 0.5:
                xlo, xhi = xlo - 0.25, xhi + 0.25
            vb.setXRange(xlo - 0.05 * (xhi - xlo), xhi + 0.25 * (xhi - xlo), padding=0)
            ylo, yhi = float(np.nanmin(yv)), float(np.nanmax(yv))
            if log_y:
                vb.setYRange(ylo - 0.15, yhi + 0.2, padding=0)
            else:
                vb.setYRange(0, yhi * 1.15 or 1, padding=0)


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
        self.bars = {}
        for k, label in cmp.TRAFFIC_KINDS:
            b = pg.BarGraphItem(x0=np.zeros(0), y=np.zeros(0), height=0.5,
                                width=np.zeros(0), brush=KIND_COLORS[k], pen=None,
                                name=f"{label} (% of DRAM per image)")
            self.right.addItem(b)
            self.bars[k] = b
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
        y = np.arange(n, dtype=float)
        left = np.zeros(n)
        for k, _ in cmp.TRAFFIC_KINDS:
            w = np.array([s["share"][k] * 100.0 for s in data.splits])
            self.bars[k].setOpts(x0=left.copy(), y=y, width=w, height=0.5)
            left = left + w
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
                                                 for k, _ in cmp.TRAFFIC_KINDS]))


def batch_ticks(log_batches):
    """Tick labels at the swept batch sizes (log axis positions)."""
    vals = sorted({round(float(v), 9) for v in log_batches})
    return [[(v, f"{10 ** v:.0f}") for v in vals], []]


def compare_plots() -> dict:
    """A fresh instance of every compare plot: {file-name stem: plot}."""
    return {"dram-vs-sram": DramOverlayPlot(),
            "throughput-vs-batch-relative": ThroughputOverlayPlot(relative=True),
            "throughput-vs-batch": ThroughputOverlayPlot(relative=False),
            "activations-per-layer": ActivationOverlayPlot(),
            "dram-traffic-by-kind": TrafficSharePlot(),
            "pareto": ParetoPlot(),
            "summary": SummaryFigure()}


def open_files(parent, title: str, directory: str = "") -> list[str]:
    """Several scenario files to open ([] if cancelled). Tests replace this."""
    paths, _ = QFileDialog.getOpenFileNames(parent, title, directory,
                                            dialogs.SCENARIO_FILTER)
    return list(paths)


# -- the window -------------------------------------------------------------------------
class CompareWindow(QWidget):
    """The compare view (a top-level window owned by the main window)."""

    changed = Signal()

    def __init__(self, document=None, parent=None):
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setWindowTitle("Compare scenarios - sramfit")
        self.doc = document
        self.entries: list[Entry] = []
        self.data: CompareData | None = None
        self._updating = False

        # left: the scenario list and the choices
        self.list = QListWidget()
        self.list.setToolTip("Checked scenarios are compared. Drag to reorder is not "
                             "needed: the baseline is chosen below.")
        self.list.itemChanged.connect(lambda _: self.refresh())
        add_cur = QPushButton("Add current scenario")
        add_cur.setToolTip("Add the scenario open in the main window (as it is now)")
        add_cur.clicked.connect(self.add_current)
        add_cur.setEnabled(document is not None)
        open_btn = QPushButton("Open files…")
        open_btn.clicked.connect(self.open_files)
        remove = QPushButton("Remove")
        remove.setToolTip("Remove the selected scenario from the list")
        remove.clicked.connect(self.remove_selected)
        self.baseline = QComboBox()
        self.baseline.setToolTip("Deltas in the table are against this scenario")
        self.baseline.currentIndexChanged.connect(lambda _: self.refresh())
        self.pareto_y = QComboBox()
        for k, (label, _, better) in cmp.PARETO_Y.items():
            self.pareto_y.addItem(f"{label} ({better} is better)", k)
        self.pareto_y.currentIndexChanged.connect(lambda _: self.refresh())
        self.variants = QCheckBox("Pareto: also each scenario with other SRAM sizes")
        self.variants.setChecked(True)
        self.variants.toggled.connect(lambda _: self.refresh())
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.addWidget(QLabel("<b>Scenarios</b> (checked ones are compared)"))
        sl.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(add_cur)
        row.addWidget(open_btn)
        row.addWidget(remove)
        sl.addLayout(row)
        sl.addWidget(QLabel("Baseline for the deltas"))
        sl.addWidget(self.baseline)
        sl.addWidget(QLabel("Pareto plot: SRAM area vs"))
        sl.addWidget(self.pareto_y)
        sl.addWidget(self.variants)
        self.message = QLabel()
        self.message.setWordWrap(True)
        sl.addWidget(self.message)

        # right: tabs
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.plots = compare_plots()
        curves = QWidget()
        grid = QGridLayout(curves)
        grid.setContentsMargins(2, 2, 2, 2)
        for i, k in enumerate(("dram-vs-sram", "throughput-vs-batch-relative",
                               "activations-per-layer", "dram-traffic-by-kind")):
            grid.addWidget(self.plots[k], i // 2, i % 2)
        self.diff_a, self.diff_b = QComboBox(), QComboBox()
        self.diff_all = QCheckBox("show all fields")
        for w in (self.diff_a, self.diff_b):
            w.currentIndexChanged.connect(lambda _: self.update_diff())
        self.diff_all.toggled.connect(lambda _: self.update_diff())
        self.diff = QTableWidget()
        self.diff.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.diff.verticalHeader().setVisible(False)
        diff_page = QWidget()
        dl = QVBoxLayout(diff_page)
        dr = QHBoxLayout()
        dr.addWidget(QLabel("A"))
        dr.addWidget(self.diff_a, 1)
        dr.addWidget(QLabel("B"))
        dr.addWidget(self.diff_b, 1)
        dr.addWidget(self.diff_all)
        dl.addLayout(dr)
        dl.addWidget(self.diff, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "Key figures")
        self.tabs.addTab(curves, "Curves")
        self.tabs.addTab(self.plots["pareto"], "Pareto")
        self.tabs.addTab(diff_page, "Settings diff")
        self.tabs.addTab(self.plots["summary"], "Summary (slide)")

        # export buttons
        exp_table = QPushButton("Export table…")
        exp_table.clicked.connect(lambda: self.export_table())
        exp_plot = QToolButton()
        exp_plot.setText("Export plot…")
        exp_plot.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(exp_plot)
        for k, p in self.plots.items():
            act = QAction(getattr(p, "title", k), menu)
            act.triggered.connect(lambda _=False, k=k: self.export_plot(k))
            menu.addAction(act)
        exp_plot.setMenu(menu)
        exp_all = QPushButton("Export all…")
        exp_all.setToolTip("The table and every plot as PNG, SVG and CSV into a folder")
        exp_all.clicked.connect(lambda: self.export_all())
        self.slide = QCheckBox("slide style")
        self.slide.setChecked(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.slide)
        buttons.addWidget(exp_table)
        buttons.addWidget(exp_plot)
        buttons.addWidget(exp_all)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.tabs, 1)
        rl.addLayout(buttons)

        split = QSplitter()
        split.addWidget(side)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 1100])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(split)
        self.resize(1500, 950)

    # -- the list ------------------------------------------------------------------
    def add_entry(self, scenario, analysis=None, path: str = "", label: str = "",
                  checked: bool = True) -> Entry:
        if analysis is None:
            analysis = engine.analyze(scenario)
        e = Entry(scenario, analysis, str(path), label or scenario.name)
        self.entries.append(e)
        item = QListWidgetItem(e.label)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setToolTip(path or "from the main window")
        self._updating = True
        self.list.addItem(item)
        self._updating = False
        self.refresh()
        return e

    def add_current(self):
        if self.doc is None:
            return None
        s = self.doc.scenario
        return self.add_entry(s, self.doc.analysis, self.doc.path,
                              label=f"{s.name} (current)")

    def add_path(self, path: str) -> bool:
        try:
            s = engine.load_scenario(path)
            a = engine.analyze(s)
        except (SramfitError, OSError) as err:
            dialogs.show_error(self, "Cannot open the scenario", str(err))
            return False
        self.add_entry(s, a, path)
        return True

    def open_files(self):
        start = str(Path(self.doc.path).parent) if self.doc is not None and self.doc.path \
            else str(Path.cwd())
        for p in open_files(self, "Add scenarios to compare", start):
            self.add_path(p)

    def remove_selected(self):
        row = self.list.currentRow()
        if 0 <= row < len(self.entries):
            self.list.takeItem(row)
            del self.entries[row]
            self.refresh()

    def set_checked(self, index: int, on: bool):
        self.list.item(index).setCheckState(Qt.CheckState.Checked if on
                                            else Qt.CheckState.Unchecked)

    def checked(self) -> list[Entry]:
        return [e for i, e in enumerate(self.entries)
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    # -- rendering -----------------------------------------------------------------
    def refresh(self):
        if self._updating:
            return
        self._updating = True
        try:
            chosen = self.checked()
            labels = [e.label for e in chosen]
            old = self.baseline.currentText()
            self.baseline.clear()
            self.baseline.addItems(labels)
            if old in labels:
                self.baseline.setCurrentIndex(labels.index(old))
            for combo, default in ((self.diff_a, 0), (self.diff_b, 1)):
                prev = combo.currentText()
                combo.clear()
                combo.addItems([e.label for e in self.entries])
                if prev in [e.label for e in self.entries]:
                    combo.setCurrentIndex([e.label for e in self.entries].index(prev))
                elif len(self.entries) > default:
                    combo.setCurrentIndex(default)
        finally:
            self._updating = False
        self.render()
        self.update_diff()
        self.changed.emit()

    def render(self):
        chosen = self.checked()
        if not chosen:
            self.data = None
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.message.setText("Check at least one scenario (two or more to compare).")
            return
        try:
            self.data = build_data(chosen, max(self.baseline.currentIndex(), 0),
                                   self.pareto_y.currentData() or "throughput_ips",
                                   self.variants.isChecked())
        except SramfitError as err:
            self.data = None
            self.message.setText(str(err))
            return
        d = self.data
        self.message.setText("\n".join(d.problems) if d.problems else (
            "Check a second scenario to see deltas." if len(chosen) < 2 else ""))
        headers, rows = table_cells(d)
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(headers)
        bold = QFont()
        bold.setBold(True)
        for i, r in enumerate(rows):
            for j, text in enumerate(r):
                it = QTableWidgetItem(text)
                if j > 0:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                        | Qt.AlignmentFlag.AlignVCenter)
                hdr = headers[j]
                if hdr.startswith("% ") and text not in ("", "+0%", "-0%"):
                    better = d.rows[i].better
                    up = text.startswith("+") or text == "new"
                    if better in ("lower", "higher"):
                        good = up == (better == "higher")
                        it.setForeground(QColor("#1d7a6f" if good else "#c4472a"))
                self.table.setItem(i, j, it)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for p in self.plots.values():
            p.render(d)

    def update_diff(self):
        if self._updating:
            return
        ia, ib = self.diff_a.currentIndex(), self.diff_b.currentIndex()
        self.diff.clear()
        if not (0 <= ia < len(self.entries) and 0 <= ib < len(self.entries)):
            self.diff.setRowCount(0)
            self.diff.setColumnCount(0)
            return
        a, b = self.entries[ia], self.entries[ib]
        rows = cmp.diff_settings(a.scenario, b.scenario,
                                 only_different=not self.diff_all.isChecked())
        self.diff_rows = rows
        self.diff.setColumnCount(3)
        self.diff.setRowCount(max(len(rows), 1))
        self.diff.setHorizontalHeaderLabels(["field", f"A: {a.label}", f"B: {b.label}"])
        if not rows:
            self.diff.setItem(0, 0, QTableWidgetItem("(the settings are the same)"))
        for i, (f, va, vb) in enumerate(rows):
            for j, v in enumerate((f, va, vb)):
                it = QTableWidgetItem(setting_text(f, v) if j else str(v))
                if j and va != vb:
                    font = it.font()
                    font.setBold(True)
                    it.setFont(font)
                self.diff.setItem(i, j, it)
        self.diff.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)

    # -- export (through gui.export) --------------------------------------------------
    def _style(self):
        return "slide" if self.slide.isChecked() else "screen"

    def footnote(self) -> str:
        return FOOTNOTE if self.data is None else comparison_footnote(self.data)

    def _ready(self) -> bool:
        if self.data is None:
            dialogs.show_error(self, "Nothing to export", "Check at least one scenario.")
            return False
        return True

    def export_plot(self, key: str, path: str | None = None) -> bool:
        if not self._ready():
            return False
        plot = self.plots[key]
        if path is None:
            path = dialogs.save_file(self, "Export plot", str(Path.cwd() / f"compare-{key}.png"),
                                     dialogs.PLOT_FILTER)
        if not path:
            return False
        try:
            export_one(plot, path, style=self._style(), footnote=self.footnote())
        except (SramfitError, OSError) as err:
            dialogs.show_error(self, "Cannot export the plot", str(err))
            return False
        self.message.setText(f"exported {path}")
        return True

    def export_table(self, path: str | None = None) -> bool:
        if not self._ready():
            return False
        if path is None:
            path = dialogs.save_file(self, "Export table",
                                     str(Path.cwd() / "compare-table.png"),
                                     "PNG image (*.png);;SVG vector image (*.svg);;"
                                     "CSV data (*.csv)")
        if not path:
            return False
        try:
            write_table(self.data, path, style=self._style(), footnote=self.footnote())
        except (SramfitError, OSError) as err:
            dialogs.show_error(self, "Cannot export the table", str(err))
            return False
        self.message.setText(f"exported {path}")
        return True

    def export_all(self, folder: str | None = None) -> list:
        if not self._ready():
            return []
        if folder is None:
            folder = dialogs.choose_directory(self, "Export the comparison to folder",
                                              str(Path.cwd()))
        if not folder:
            return []
        try:
            paths = export_comparison(self.data, self.plots, folder, prefix="compare",
                                      style=self._style(), footnote=self.footnote())
        except (SramfitError, OSError) as err:
            dialogs.show_error(self, "Cannot export the comparison", str(err))
            return []
        self.message.setText(f"exported {len(paths)} files to {folder}")
        return paths


def setting_text(field_name: str, v) -> str:
    if v is None:
        return {"width": "model's", "height": "model's", "channels": "model's",
                "sram_mb": "chip's", "compiled_batch": "= batch"}.get(field_name, "none")
    if isinstance(v, dict):
        return f"inline ({v.get('name', field_name)})"
    if isinstance(v, str) and "\n" in v:
        return " ".join(v.split())[:80] + ("…" if len(v) > 80 else "")
    return str(v)


# -- export helpers shared with the headless export -------------------------------------
def summary_title(data: CompareData) -> str:
    return " vs ".join(data.names)


def export_one(plot, path, *, style="slide", size=(1920, 1080), footnote=None,
               fmt=None, title=None):
    """One compare plot through gui.export (the summary figure gets its title and
    slide-size panel text here)."""
    from . import export
    from .style import get_style
    if isinstance(plot, SummaryFigure):
        st = get_style(style)
        if st.name == "slide":
            plot.set_text_px(st.label_px or 32, st.legend_px or 28)
        if title is None:
            title = summary_title(plot._data) if plot._data is not None else plot.title
        try:
            return export.export_plot(plot, path, fmt=fmt, size=size, style=style,
                                      title=title, footnote=footnote)
        finally:
            plot.set_text_px(15.0, 12.0)
    return export.export_plot(plot, path, fmt=fmt, size=size, style=style,
                              footnote=footnote)


def write_table(data: CompareData, path, *, style="slide", footnote=None, fmt=None):
    from . import export
    numeric = (fmt or Path(path).suffix.lstrip(".").lower()) == "csv"
    headers, rows = table_cells(data, numeric=numeric)
    return export.export_table(headers, rows, path, fmt=fmt,
                               title="Key figures, deltas against "
                                     f"{data.names[data.baseline]}",
                               footnote=footnote, style=style)


def comparison_footnote(data: CompareData) -> str:
    """What each compared scenario is, for the footnote of exported compare plots."""
    def parts(e):
        a, s = e.analysis, e.scenario
        fp = a.footprint
        return {"model": fp.model.name, "size": f"{fp.width}x{fp.height}",
                "batch": f"batch {s.batch}", "precision": f"{s.weights}/{s.activations}",
                "chip": f"on {a.chip.name} ({a.sram_mb:.3g} MB SRAM)"}
    each = [parts(e) for e in data.entries]
    keys = list(each[0]) if each else []
    same = [k for k in keys if all(p[k] == each[0][k] for p in each)] if len(each) > 1         else []
    head = " ".join(each[0][k] for k in same) if same else ""
    rest = ["{}: {}".format(n, ", ".join(p[k] for k in keys if k not in same))
            for n, p in zip(data.names, each)]
    return "sramfit: " + (head + "; " if head else "") + "; ".join(rest) + \
        ". MB = 10^6 bytes."


def export_comparison(data: CompareData, plots: dict, out_dir, *, prefix="compare",
                      formats=("png", "svg", "csv"), style="slide", size=(1920, 1080),
                      footnote=None, summary_title=None) -> list:
    """The table and every compare plot into ``out_dir`` as ``<prefix>-<name>.<fmt>``."""
    from . import export
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise export.ExportError(f"cannot create export directory {out}: "
                                 f"{err.strerror or err}") from err
    written = []
    for f in formats:
        written.append(write_table(data, out / f"{prefix}-table.{f}", style=style,
                                   footnote=footnote, fmt=f))
    for key, plot in plots.items():
        for f in formats:
            written.append(export_one(plot, out / f"{prefix}-{key}.{f}", style=style,
                                      size=size, footnote=footnote, fmt=f,
                                      title=summary_title if key == "summary" else None))
    return written
