"""The main window: docks for the model panel, chip panel and layer tables, a grid of
live plots in the middle, headline figures in the status bar, scenario files."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QKeySequence, QPen
from PySide6.QtWidgets import (QApplication, QDockWidget, QGraphicsRectItem,
                               QGraphicsSimpleTextItem, QGridLayout, QLabel, QMainWindow,
                               QScrollArea, QTabWidget, QWidget)

from sramfit.engine.errors import SramfitError
from sramfit.engine.graph import Model

from . import dialogs, evidence
from .assumptions import AssumptionsPanel, StatusClicks
from .chip_panel import ChipPanel
from .layer_editor import LayerEditor
from .layer_table import LayerTable
from .model_panel import ModelPanel
from .schedule_info import SCHEDULE_STATUS_TIP, schedule_status
from .plots.axis_cache import axis_picture
from .plots import (ActivationPlot, BatchPlot, DramVsSramPlot, Frame, LiveMemoryPlot,
                    RooflinePlot, TrafficPlot, fmt_mb)
from .text import fmt_seconds
from .widgets import ElidedLabel, SpinUndo, flat_scrollbars

MAX_RECENT = 8
QWIDGETSIZE_MAX = (1 << 24) - 1
GLOSSARY = """<h3>Terms</h3>
<p><b>MB</b> = 10<sup>6</sup> bytes, <b>GB</b> = 10<sup>9</sup> bytes, everywhere.</p>
<p><b>Activation</b>: a layer's output tensor; most are read by the next layer and
then dead.</p>
<p><b>Peak live</b>: the most activation bytes alive at any one step.</p>
<p><b>Arena</b>: one buffer that holds every activation at a fixed offset with no two
live ones overlapping (TFLite's greedy planner); at least the peak.</p>
<p><b>Spill</b>: an activation that does not fit in SRAM is written to DRAM and read
back by each layer that uses it.</p>
<p><b>Placement policy</b>: what the SRAM holds: weights first, activations first, or
the split that minimises DRAM bytes per image.</p>
<p><b>Schedule</b>: layer by layer (each layer over the whole tensor) or depth-first
(consecutive layers fused into stacks run over tiles of a few rows, each layer keeping a
line buffer of the input rows it still needs; only stack inputs and outputs touch
DRAM). <b>Floor</b>: the least DRAM any schedule in the modelled space could reach.</p>
<p><b>Roofline</b>: a layer runs no faster than the chip's peak ops/s, nor than DRAM
bandwidth × its arithmetic intensity (ops per DRAM byte).</p>
<p><b>Compiled batch</b>: the batch the model is compiled for; a larger client batch
runs as several calls, each paying the per-call overhead.</p>
<h3>Keyboard</h3>
<p>Ctrl+N new · Ctrl+O open · Ctrl+S save · Ctrl+Shift+S save as · Ctrl+Z undo ·
Ctrl+Shift+Z redo · Ctrl+L log scale for the layer bars · Ctrl+F filter layers ·
Ctrl+1…6 show a plot full size (again: back to the grid) · Ctrl+K compare scenarios ·
F1 this help ·
Ctrl+Q quit.</p>"""


def make_settings() -> QSettings:
    """The app's settings (INI, user scope). Tests redirect it with QSettings.setPath."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                     "sramfit", "sramfit")


class PlotArea(QWidget):
    """The six plots in a 3 × 2 grid; ``focus(i)`` shows one of them alone. Where three
    columns would make a plot narrower than ``MIN_CELL`` (a 1280x720 window), the grid
    reflows to 2 × 3 with plots at least ``MIN_CELL`` high, and the area (inside the
    window's scroll area) scrolls."""

    MIN_CELL = (330, 250)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.activation = ActivationPlot()
        self.live = LiveMemoryPlot()
        self.dram = DramVsSramPlot()
        self.batch = BatchPlot()
        self.roofline = RooflinePlot()
        self.traffic = TrafficPlot()
        self.plots = [self.activation, self.live, self.traffic, self.dram, self.batch,
                      self.roofline]
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(4)
        self.columns = 0
        self.focused = None
        self._place(3)

    def _place(self, columns: int):
        """Lay the plots out in ``columns`` columns, equal cells (also after the
        single-plot view, bug 5)."""
        if columns == self.columns:
            return
        self.columns = columns
        for p in self.plots:
            self.grid.removeWidget(p)
        for i, p in enumerate(self.plots):
            self.grid.addWidget(p, i // columns, i % columns)
        self._stretch()

    def _stretch(self):
        cols, idx = self.columns, self.focused
        rows = -(-len(self.plots) // cols)
        for k in range(3):
            self.grid.setColumnStretch(k, int(k < cols and (idx is None or k == idx % cols)))
        for k in range(3):
            self.grid.setRowStretch(k, int(k < rows and (idx is None or k == idx // cols)))
        m = self.grid.contentsMargins()
        tall = rows * self.MIN_CELL[1] + (rows - 1) * self.grid.spacing() + m.top() + m.bottom()
        self.setMinimumHeight(tall if cols < 3 and idx is None else 0)

    def resizeEvent(self, ev):
        self._place(3 if ev.size().width() >= 3 * self.MIN_CELL[0] else 2)
        super().resizeEvent(ev)

    def focus(self, index: int | None):
        if index is None or index == self.focused:
            self.focused = None
            for p in self.plots:
                p.show()
            self.grid.invalidate()
        else:
            self.focused = index
            for i, p in enumerate(self.plots):
                p.setVisible(i == index)
        # the shown plot's cell takes the whole area (hidden cells keep no stretch)
        self._stretch()
        self._render_stale()

    _frame = None
    _provisional = False
    _stale: frozenset = frozenset()

    def render(self, frame, provisional: bool = False):
        """Render the shown plots; the ones hidden by the single-plot view are rendered
        when shown again (speed: a slider drag then redraws one plot, not six).
        ``provisional`` (the first frame of a new model, gui/document.py): the plots of
        sweeps are not drawn but covered with "computing..." until the full frame."""
        self._frame, self._provisional = frame, provisional
        self._stale = {p for p in self.plots if p.isHidden()
                       or (provisional and p in (self.dram, self.batch))}
        for p in (self.dram, self.batch):
            cover(p, provisional)
        for p in self.plots:
            if p not in self._stale:
                p.render(frame)
                settle(p)

    def _render_stale(self):
        waiting = (self.dram, self.batch) if self._provisional else ()
        for p in [p for p in self.plots if p in self._stale and not p.isHidden()
                  and p not in waiting]:
            self._stale.discard(p)
            p.render(self._frame)
            settle(p)


def cover(plot, on: bool) -> None:
    """Hide a plot whose figures are being computed behind an opaque "computing..."
    (the first frame of a new model: never an old curve shown unmarked). An item of
    the plot's own scene: showing and hiding it repaints the plot once, with the rest
    of its changes (a widget over it painted the plot twice on hiding)."""
    item = getattr(plot, "_computing", None)
    if item is None:
        if not on:
            return
        item = plot._computing = QGraphicsRectItem()
        item.setBrush(QColor("white"))
        item.setPen(QPen(Qt.PenStyle.NoPen))
        item.setZValue(1e9)
        item.text = QGraphicsSimpleTextItem(f"{plot.title}\n\ncomputing...", item)
        item.text.setBrush(QColor("#666666"))
        plot.scene().addItem(item)
        # a cover made before the window had its size (a deferred start) follows the
        # plot's size
        item.follow = _OnResize(plot.viewport(), lambda: _place_cover(plot, item))
    if on:
        _place_cover(plot, item)
    item.setVisible(on)


def _place_cover(plot, item) -> None:
    r = plot.mapToScene(plot.viewport().rect()).boundingRect()
    item.setRect(r)
    t = item.text.boundingRect()
    item.text.setPos(r.center().x() - t.width() / 2, r.center().y() - t.height() / 2)


class _OnResize(QObject):
    """Calls ``then()`` after each resize of ``widget``."""

    def __init__(self, widget, then):
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Resize:
            self.then()
        return False


def settle(plot) -> None:
    """Do now what a rendered plot's first paint would do and then paint again for
    (issue 15: every plot painted two to four times after a model switch): pyqtgraph
    measures the axes' tick labels only while painting (new widths re-lay out the plot)
    and moves its view boxes and text items in the paint's ``prepareForPaint``; each
    moved item schedules a second paint. Measured, laid out and moved here, the next
    paint draws the plot once."""
    pi = plot.plotItem
    for turn in range(3):   # until the axes' widths hold (new widths move the ranges)
        drawn = False
        for side in ("left", "bottom", "right", "top"):
            ax = pi.getAxis(side)
            if ax.isVisible() and ax.picture is None:
                # AxisItem.paint's own picture: the tick labels measured (widths set),
                # or the same picture kept from when the axis was last in this state
                drawn = True
                axis_picture(ax)
        if turn and not drawn:
            break                       # nothing changed since the last turn's prepare
        pi.layout.activate()            # new axis widths: the view box resized now
        plot.scene().prepareForPaint()  # view transforms and text items updated now
        if not drawn:
            break


class MainWindow(QMainWindow):
    def __init__(self, document, remember: bool = True, parent=None):
        super().__init__(parent)
        self.doc = document
        self.remember = remember
        self.settings = make_settings() if remember else None
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.last_render_s = 0.0
        self._selected = None

        self.plots = PlotArea()
        # a small window (1280x720) scrolls the plots rather than squeezing them
        self.plot_scroll = QScrollArea()
        self.plot_scroll.setWidget(self.plots)
        self.plot_scroll.setWidgetResizable(True)
        self.plot_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.plot_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setCentralWidget(self.plot_scroll)
        self.model_panel = ModelPanel(document)
        self.chip_panel = ChipPanel(document)
        self.table = LayerTable()
        self.editor = LayerEditor()
        self.tabs = QTabWidget()
        # no pane frame: Fusion paints it with gradients, ~1.2 ms at 1600 px wide, twice
        # per model switch (issue 15); the tabs then sit flat on the dock
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.table, "Layers (analysis)")
        self.tabs.addTab(self.editor, "Model layers (definition)")
        # what the figures rest on (gui/assumptions.py; the exports' footnote says the same)
        self.assumptions = AssumptionsPanel()
        self.tabs.addTab(self.assumptions, "Assumptions")
        self.tabs.currentChanged.connect(self._show_stale_assumptions)
        self.model_dock = self._dock("Model", "model", self.model_panel,
                                     Qt.DockWidgetArea.LeftDockWidgetArea)
        self.chip_dock = self._dock("Chip", "chip", self.chip_panel,
                                    Qt.DockWidgetArea.LeftDockWidgetArea)
        self.table_dock = self._dock("Layers", "layers", self.tabs,
                                     Qt.DockWidgetArea.BottomDockWidgetArea)
        self.table_dock.visibilityChanged.connect(self._show_stale_assumptions)
        # the left panels run to the bottom; the layer table sits under the plots only,
        # so giving it a third of the height does not squeeze the panels
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.splitDockWidget(self.model_dock, self.chip_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.model_dock], [360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.table_dock], [250], Qt.Orientation.Vertical)
        self._table_sized = False
        self.resizeDocks([self.model_dock, self.chip_dock], [300, 520],
                         Qt.Orientation.Vertical)
        self._build_status()
        self.status_clicks = StatusClicks(self, {k: self.status[k] for k in
                                                 ("peak", "dram", "ips", "latency")})
        self._build_actions()
        # Ctrl+Z in a spin box: commit the typed value, then undo (bug 16)
        self.spin_undo = SpinUndo(self.doc.stack, self)
        self.spin_undo.watch(self)

        for p in self.plots.plots:
            p.layerClicked.connect(self.select_step)
        self.table.stepSelected.connect(self.select_step)
        self.editor.modelEdited.connect(
            lambda model, text: self.doc.edit(text, model=model.to_dict()))
        document.changed.connect(self._on_changed)
        document.rejected.connect(self._on_rejected)
        document.fileChanged.connect(lambda _: self._update_title())
        document.modelReplaced.connect(self.forget_state)
        document.dirtyChanged.connect(lambda _: self._update_title())
        flat_scrollbars(self)

        self.resize(1600, 1000)
        if self.remember:
            self._restore()
        self._update_title()
        self.refresh()
        self._mark_provisional(self.doc.provisional)   # a deferred start (gui/app.py)

    # -- construction ----------------------------------------------------------------
    def _dock(self, title, name, widget, area):
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        if name in ("model", "chip"):
            scroll = QScrollArea()
            scroll.setWidget(widget)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setMinimumWidth(widget.minimumSizeHint().width() + 16)
            widget = scroll
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_status(self):
        sb = self.statusBar()
        self.status = {}
        for key, tip in (
                ("peak", "peak live activation memory for the batch, and the arena that "
                         "holds it (MB = 10^6 bytes)"),
                ("weights", "weight bytes of the model at the weight precision"),
                ("fits", "whether weights and activations fit in the chip's SRAM, or how "
                         "many layers spill activations to DRAM"),
                ("dram", "DRAM bytes moved per image (MB = 10^6 bytes)"),
                ("ips", "throughput in images per second at this batch"),
                ("latency", "time for one batch, including per-call overheads"),
                ("schedule", SCHEDULE_STATUS_TIP)):
            label = QLabel()
            label.setToolTip(tip)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setStyleSheet("padding: 0 6px; border-left: 1px solid #ccc;")
            sb.addPermanentWidget(label)
            self.status[key] = label
        self.message = ElidedLabel()       # long messages end in "…", the tooltip whole
        sb.addWidget(self.message, 1)

    def _action(self, menu, text, slot, shortcut=None, tip=""):
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(slot)
        menu.addAction(act)
        self.addAction(act)
        return act

    def _build_actions(self):
        mb = self.menuBar()
        fm = mb.addMenu("&File")
        self._action(fm, "&New scenario", self.new_file, QKeySequence.StandardKey.New,
                     "Start again from the default scenario")
        self._action(fm, "&Open…", self.open_file, QKeySequence.StandardKey.Open)
        self.recent_menu = fm.addMenu("Open &recent")
        self._action(fm, "&Import model…", self.model_panel.choose_model_file, "Ctrl+I",
                     "Use your own model: an ONNX file, a darknet .cfg or a sramfit "
                     "model YAML (you can also drop the file on the window)")
        fm.addSeparator()
        self._action(fm, "&Save", self.save_file, QKeySequence.StandardKey.Save)
        self._action(fm, "Save &as…", self.save_file_as, "Ctrl+Shift+S")
        self._action(fm, "Save chip as &profile…", self.chip_panel.save_profile)
        fm.addSeparator()
        self.export_action = self._action(fm, "&Export plot…", self.export_plot, "Ctrl+E",
                                          "Save the plot shown alone (Ctrl+1…6), or the "
                                          "first plot, as PNG, SVG or CSV for slides")
        self._action(fm, "Export &all plots…", self.export_plots, "Ctrl+Shift+E",
                     "Save every plot as PNG, SVG and CSV into a folder")
        fm.addSeparator()
        self.compare_action = self._action(fm, "&Compare scenarios…", self.open_compare,
                                           "Ctrl+K", "Put this scenario side by side "
                                           "with others (gui/compare.py)")
        fm.addSeparator()
        self._action(fm, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        em = mb.addMenu("&Edit")
        self.undo_action = self.doc.stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.doc.stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        em.addAction(self.undo_action)
        em.addAction(self.redo_action)
        vm = mb.addMenu("&View")
        self.log_action = self._action(vm, "&Log scale for layer bars",
                                       lambda on: self.plots.activation.set_log(on),
                                       "Ctrl+L")
        self.log_action.setCheckable(True)
        self.log_action.setChecked(self.plots.activation.log)
        plot_menu = vm.addMenu("Show one &plot")
        for i, p in enumerate(self.plots.plots):
            self._action(plot_menu, p.title, lambda _=False, i=i: self.plots.focus(i),
                         f"Ctrl+{i + 1}")
        self._action(plot_menu, "All plots", lambda: self.plots.focus(None), "Ctrl+0")
        self._action(vm, "&Assumptions", lambda: (self.table_dock.show(),
                                                   self.tabs.setCurrentWidget(self.assumptions)),
                     "Ctrl+Shift+A", "What the current figures rest on")
        vm.addSeparator()
        for dock in (self.model_dock, self.chip_dock, self.table_dock):
            vm.addAction(dock.toggleViewAction())
        hm = mb.addMenu("&Help")
        self._action(hm, "&Terms and shortcuts", self.show_help, QKeySequence.StandardKey.HelpContents)
        self._update_recent_menu()

    def showEvent(self, ev):
        super().showEvent(ev)
        if not self._table_sized:    # a third of the window: ~10 rows at 1000 px high
            self._table_sized = True
            self.resizeDocks([self.table_dock], [max(200, self.height() // 3)],
                             Qt.Orientation.Vertical)

    # -- rendering -------------------------------------------------------------------
    def frame(self) -> Frame:
        """The document's frame (gui/document.py: the one builder, exports use it too)."""
        return self.doc.frame()

    def refresh(self):
        t0 = time.perf_counter()
        frame = self.frame()
        self.plots.render(frame, self.doc.provisional)
        self.table.set_analysis(frame.analysis)
        s = self.doc.scenario
        self.editor.set_model(frame.footprint.model, isinstance(s.model, (dict, Model)),
                              frame.footprint.shapes)
        self._update_status(frame.analysis)
        if self._selected is not None and self._selected < len(frame.names):
            self.select_step(self._selected)
        else:
            self._selected = None
        self.last_render_s = time.perf_counter() - t0

    def _on_changed(self, _analysis):
        self.model_panel.show_scenario(self.doc.scenario)
        self.chip_panel.show_scenario(self.doc.scenario)
        self.refresh()
        self._update_title()
        self._mark_provisional(self.doc.provisional)

    def _mark_provisional(self, on: bool) -> None:
        """The first frame of a model not analysed recently (gui/document.py) is drawn
        from the threshold placement rule with no sweeps: say so in the status bar, and
        paint it now; the exact placement and the curves replace it on the next turn
        of the event loop."""
        label = getattr(self, "provisional_label", None)
        if label is None:
            if not on:
                return
            label = self.provisional_label = QLabel(
                "<b style='color:#b06f00'>placing exactly…</b> curves computing…")
            label.setToolTip("The figures shown come from the fast threshold placement "
                             "rule; the exact placement (the CLI's) and the curves "
                             "replace them in a moment.")
            label.setStyleSheet("padding: 0 6px;")
            self.statusBar().addWidget(label)
        label.setVisible(on)
        if on and self.isVisible():
            # the first frame painted now, before the exact work queued after it starts:
            # the plots' scenes post their changes, the layouts theirs, and the window
            # paints on its next update request (repaint() would wait for it too)
            QApplication.sendPostedEvents()
            for p in self.plots.plots:
                settle(p)               # what those events changed, before the paint
            if self.windowHandle() is not None:
                QApplication.sendEvent(self.windowHandle(), QEvent(QEvent.Type.UpdateRequest))

    def forget_state(self, *_):
        """A new, opened or imported scenario: no message, problem or selection of the
        previous one survives (bug 4)."""
        self.message.setText("")
        self.message.setToolTip("")
        self.message.setStyleSheet("")
        self.editor.show_problem("")
        self.model_panel.show_problem("")
        for label in self.status.values():      # the status bar fits the new figures
            label.setMinimumSize(0, 0)
            label.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
        self._selected = None
        self.table.view.clearSelection()
        for p in self.plots.plots:
            p.select(None)

    def _on_rejected(self, message):
        self.show_message(message, error=True, timeout_ms=0)
        self.editor.show_problem(message)
        self.model_panel.show_problem(message)

    def show_message(self, text, error=False, timeout_ms=8000):
        self.message.setStyleSheet("color: #c4472a;" if error else "")
        self.message.setText(text.splitlines()[0] if text else "")
        self.message.setToolTip(text)
        if timeout_ms:
            # the label is the timer's context: closing the window cancels the timer
            # (a bare lambda fired on a deleted QLabel after the window was gone)
            label = self.message
            QTimer.singleShot(timeout_ms, label, lambda t=text: label.text() == (
                t.splitlines()[0] if t else "") and label.setText(""))

    def _update_status(self, a):
        t = a.totals()
        st = self.status
        st["peak"].setText(f"peak live <b>{fmt_mb(t['peak_live_bytes'])}</b>")
        stored = t.get("weight_bytes_stored", t["weight_bytes"])
        st["weights"].setText(f"weights <b>{fmt_mb(stored)}</b>"
                              + (" stored" if stored != t["weight_bytes"] else ""))
        spilled = int((~a.in_sram.astype(bool)).sum())
        if t.get("fits"):
            st["fits"].setText("<b style='color:#1d7a6f'>fits on chip</b>")
        elif spilled == 0:
            st["fits"].setText("<b style='color:#b06f00'>activations fit, weights "
                               "streamed</b>")
        else:
            st["fits"].setText(f"<b style='color:#c4472a'>spills: {spilled} of "
                               f"{len(a.in_sram)} layers</b>")
        st["dram"].setText(f"DRAM <b>{fmt_mb(t['dram_bytes_per_image'])}</b>/image")
        # issue 12: an uncalibrated chip's speed is marked as an estimate (gui/evidence.py)
        note = evidence.speed_note(a)
        evidence.mark_speed(st["ips"], f"<b>{t['throughput_ips']:,.1f}</b> images/s",
                            note)
        evidence.mark_speed(st["latency"], f"latency <b>{fmt_seconds(t['latency_s'])}</b>",
                            note)
        st["schedule"].setText(schedule_status(a))
        # the status bar keeps its layout while the figures change: each label has a
        # fixed size that only grows (a label of changing size relaid out and repainted
        # the whole bar and the window behind it at every notch)
        for label in st.values():
            hint = label.sizeHint()
            w, h = max(hint.width(), label.minimumWidth()), max(hint.height(),
                                                                label.minimumHeight())
            if (w, h) != (label.minimumWidth(), label.maximumWidth()) \
                    or label.minimumHeight() != label.maximumHeight():
                label.setFixedSize(w, h)
        if self.assumptions.isVisible() or not self.doc.dragging:
            self._assumptions_stale = False
            self.assumptions.show_analysis(a, t)
        else:                 # hidden during a drag: on release (settle), or when shown
            self._assumptions_stale = True
        dlg = self.status_clicks.dialog
        if dlg is not None and dlg.isVisible():         # follow the edits while open
            self.status_clicks.explain(dlg.formula.key)

    def _show_stale_assumptions(self, *_):
        if self._assumptions_stale and self.assumptions.isVisible():
            self._assumptions_stale = False
            self.assumptions.show_analysis(self.doc.analysis)

    _assumptions_stale = False

    def select_step(self, step: int):
        self._selected = step
        self.table.select_step(step)
        for p in self.plots.plots:
            p.select(step)
        names = [s.name for s in self.doc.analysis.footprint.steps]
        if 0 <= step < len(names):
            self.show_message(f"selected step {step}: {names[step]}", timeout_ms=0)

    # -- files -----------------------------------------------------------------------
    def _update_title(self):
        path = self.doc.path
        where = Path(path).name if path else "unsaved"
        self.setWindowTitle(f"{self.doc.scenario.name} ({where})[*] - sramfit")
        self.setWindowModified(self.doc.dirty)

    def maybe_save(self) -> bool:
        """True if it is fine to drop the current scenario (saved, or discarded)."""
        if not self.doc.dirty:
            return True
        answer = dialogs.ask_save_changes(self, self.doc.scenario.name)
        if answer == "save":
            return self.save_file()
        return answer == "discard"

    def new_file(self):
        if self.maybe_save():
            self.doc.new()

    def open_file(self):
        if not self.maybe_save():
            return
        path = dialogs.open_file(self, "Open scenario", self._last_dir())
        if path:
            self.open_path(path, ask=False)

    def open_path(self, path: str, ask: bool = True) -> bool:
        """Open a scenario; on any error show the engine's message and change nothing.
        The file is read and analysed before the unsaved-changes question."""
        try:
            scenario, analysis = self.doc.read(path)
        except SramfitError as err:
            dialogs.show_error(self, "Cannot open the scenario", str(err))
            return False
        except OSError as err:
            dialogs.show_error(self, "Cannot open the scenario", f"{path}: {err}")
            return False
        if ask and not self.maybe_save():
            return False
        self.doc.reset(scenario, analysis, path)
        self._add_recent(path)
        self.show_message(f"opened {path}")
        return True

    def save_file(self) -> bool:
        if not self.doc.path:
            return self.save_file_as()
        return self._save(self.doc.path)

    def save_file_as(self) -> bool:
        name = self.doc.scenario.name.replace(" ", "_").replace("/", "_") + ".yaml"
        path = dialogs.save_file(self, "Save scenario as",
                                 str(Path(self._last_dir()) / name))
        if not path:
            return False
        if not path.lower().endswith((".yaml", ".yml")):
            path += ".yaml"
        return self._save(path)

    def _save(self, path) -> bool:
        try:
            self.doc.save(path)
        except (SramfitError, OSError) as err:
            dialogs.show_error(self, "Cannot save the scenario", str(err))
            return False
        self._add_recent(path)
        self.show_message(f"saved {path}")
        return True

    # -- export (all files leave through gui.export) ----------------------------------
    def _footnote(self) -> str:
        from .headless import footnote      # the same text as `sramfit export`'s
        return footnote(self.doc.scenario, self.doc.analysis)

    def export_plot(self) -> bool:
        from . import export
        self.doc.complete()            # exports carry exact figures only
        i = self.plots.focused if self.plots.focused is not None else 0
        # each file is named after the scenario and the plot; the dialog picks the plot
        stem = export.slugify(self.doc.scenario.name)
        paths = [str(Path(self._last_dir()) / f"{stem}_{export.slugify(p.title)}.png")
                 for p in self.plots.plots]
        opts = dialogs.export_options(self, "Export plot", paths[i],
                                      plots=[(p.title, f) for p, f in
                                             zip(self.plots.plots, paths)], current=i)
        if not opts:
            return False
        plot = self.plots.plots[opts.get("plot", i)]
        path = opts["path"]
        try:
            export.export_plot(plot, path, size=opts["size"], dpi=opts["dpi"],
                               style=opts["style"], footnote=self._footnote())
        except (SramfitError, OSError) as err:
            dialogs.show_error(self, "Cannot export the plot", str(err))
            return False
        self.show_message(f"exported {path}")
        return True

    def export_plots(self) -> bool:
        from . import export
        self.doc.complete()            # exports carry exact figures only
        folder = dialogs.choose_directory(self, "Export all plots to folder",
                                          self._last_dir())
        if not folder:
            return False
        try:
            # files named after the scenario and the plot, as `sramfit export` names them
            name = self.doc.scenario.name
            paths = export.export_all({f"{name} {p.title}": p for p in self.plots.plots},
                                      folder, footnote=self._footnote(), titles=False)
        except (SramfitError, OSError) as err:
            dialogs.show_error(self, "Cannot export the plots", str(err))
            return False
        self.show_message(f"exported {len(paths)} files to {folder}")
        return True

    def open_compare(self):
        """The compare window (one per main window), with the current scenario added."""
        from .compare import CompareWindow
        win = getattr(self, "compare_window", None)
        if win is None:
            win = self.compare_window = CompareWindow(self.doc, parent=self)
        if not any(e.scenario == self.doc.scenario for e in win.entries):
            win.add_current()
        win.show()
        win.raise_()
        return win

    def _last_dir(self) -> str:
        if self.doc.path:
            return str(Path(self.doc.path).parent)
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.cwd())

    # -- recent files ------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        if self.settings is None:
            return []
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path):
        if self.settings is None:
            return
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self):
        self.recent_menu.clear()
        files = self.recent_files()
        for i, f in enumerate(files):
            act = self.recent_menu.addAction(f"&{i + 1} {Path(f).name}")
            act.setToolTip(f)
            act.triggered.connect(lambda _=False, f=f: self.open_path(f))
        self.recent_menu.setEnabled(bool(files))

    # -- window state ------------------------------------------------------------------
    def _restore(self):
        geo = self.settings.value("geometry")
        state = self.settings.value("window_state")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event):
        if not self.maybe_save():
            event.ignore()
            return
        if self.settings is not None:
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("window_state", self.saveState())
            self.settings.sync()
        if getattr(self, "compare_window", None) is not None:
            self.compare_window.close()
        event.accept()

    # -- drag and drop -----------------------------------------------------------------
    MODEL_SUFFIXES = (".onnx", ".cfg")

    @classmethod
    def _dropped_file(cls, event):
        """The first dropped scenario (.yaml) or model file (.onnx/.cfg), or None."""
        md = event.mimeData()
        if not md.hasUrls():
            return None
        for url in md.urls():
            p = url.toLocalFile()
            if p.lower().endswith((".yaml", ".yml") + cls.MODEL_SUFFIXES):
                return p
        return None

    def dragEnterEvent(self, event):
        if self._dropped_file(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):
        path = self._dropped_file(event)
        if not path:
            return
        event.acceptProposedAction()
        if path.lower().endswith(self.MODEL_SUFFIXES):
            self.model_panel.use_model_file(path)   # a model: into this scenario
        else:
            self.open_path(path)                    # a scenario: open it

    def show_help(self):
        from PySide6.QtWidgets import QMessageBox
        box = QMessageBox(QMessageBox.Icon.NoIcon, "sramfit: terms and shortcuts", GLOSSARY,
                          QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()


def running_windows() -> list[MainWindow]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]

