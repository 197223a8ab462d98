"""The compare window: the scenario list, the key-figure table, the overlaid plots,
the Pareto plot, the settings diff and the summary; files leave through
:mod:`sramfit.gui.compare.exports`."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QListWidget, QListWidgetItem, QMenu,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                               QTabWidget, QToolButton, QVBoxLayout, QWidget)

from sramfit import engine
from sramfit.engine import compare as cmp
from sramfit.engine.errors import SramfitError

from sramfit.gui import dialogs
from sramfit.gui.plots import compare_plots
from .data import mixed_models_warning, CompareData, Entry, FOOTNOTE, build_data, comparison_footnote, setting_text, table_cells
from .exports import export_comparison, export_one, plot_footnote, write_table


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
        pareto_page = QWidget()
        pl = QVBoxLayout(pareto_page)
        pl.setContentsMargins(0, 0, 0, 0)
        self.pareto_warning = QLabel("")
        self.pareto_warning.setWordWrap(True)
        self.pareto_warning.setStyleSheet("color: #b06f00; font-weight: bold;")
        self.pareto_warning.hide()
        pl.addWidget(self.pareto_warning)
        pl.addWidget(self.plots["pareto"], 1)
        self.tabs.addTab(pareto_page, "Pareto")
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
    def keyPressEvent(self, ev):
        if ev.key() == Qt.Key.Key_Escape:          # bug 16: Escape closes the window
            self.close()
            return
        super().keyPressEvent(ev)

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
        self.doc.complete()          # a provisional first frame: the exact figures now
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
            # never a scenario against itself while there is another (bug 16)
            ia = self.diff_a.currentIndex()
            if len(self.entries) > 1 and self.diff_b.currentIndex() == ia:
                self.diff_b.setCurrentIndex(1 if ia == 0 else 0)
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
        warn = mixed_models_warning(d)
        self.pareto_warning.setText(warn)
        self.pareto_warning.setVisible(bool(warn))

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
            export_one(plot, path, style=self._style(),
                       footnote=plot_footnote(self.data, key, self.footnote()))
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
