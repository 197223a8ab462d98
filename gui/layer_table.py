"""The layer table: a QAbstractTableModel over ``analysis.layer_rows()`` behind a
QSortFilterProxyModel, so it sorts on the raw numbers and filters by name or op."""
from __future__ import annotations

import weakref

import numpy as np

from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt,
                            Signal)
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QTableView, QVBoxLayout, QWidget)

from .evidence import speed_note
from .schedule_info import stack_text

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STEP_ROLE = Qt.ItemDataRole.UserRole + 2
FILTER_ROLE = Qt.ItemDataRole.UserRole + 3      # the text the filter box matches
MB = 1e6

# (key, header, tooltip, formatter of the raw value)
COLUMNS = [
    ("step", "#", "execution step (layers fused into a step share one row)",
     lambda v: str(v)),
    ("name", "layer", "the step's first layer; (+n) = n elementwise layers fused into it",
     str),
    ("op", "op", "operation of the step's first layer", str),
    ("shape", "output N×C×H×W", "output tensor shape: batch x channels x height x width",
     str),
    ("activation_bytes", "activation (MB)",
     "output activation bytes for the whole batch; MB = 10^6 bytes",
     lambda v: f"{v / MB:,.3f}"),
    ("weight_bytes", "weights (MB)", "weight bytes at the weight precision; MB = 10^6 bytes",
     lambda v: f"{v / MB:,.3f}"),
    ("macs", "MACs (M)", "multiply-accumulates for the whole batch, in millions",
     lambda v: f"{v / 1e6:,.1f}"),
    ("in_sram", "activation in", "where this step's output lives: on-chip SRAM, or "
     "spilled to DRAM (written, then read back by each consumer)",
     lambda v: "SRAM" if v else "DRAM (spill)"),
    ("dram_bytes", "DRAM (MB/image)",
     "bytes this step moves to or from DRAM per image; MB = 10^6 bytes",
     lambda v: f"{v / MB:,.3f}"),
    ("fused_stack", "stack", "depth-first schedule: the fused stack this step runs in "
     "(tile by tile, its output kept in a line buffer); empty: run layer by layer",
     lambda v: "" if v < 0 else str(v + 1)),
    ("line_buffer_bytes", "line buffer (MB)", "depth-first: SRAM bytes of this step's "
     "output line buffer inside its fused stack (the rows still to be read), whole "
     "batch; MB = 10^6 bytes", lambda v: f"{v / MB:,.3f}" if v else ""),
    ("time_us", "time (µs)", "modelled time of the step for the whole batch", 
     lambda v: f"{v:,.1f}"),
    ("bound", "bound", "compute-bound (MAC array busy) or memory-bound (waiting on DRAM)",
     str),
]
KEYS = [c[0] for c in COLUMNS]
NCOLS = len(COLUMNS)
RIGHT = {"activation_bytes", "weight_bytes", "macs", "dram_bytes", "time_us", "step",
         "fused_stack", "line_buffer_bytes"}
#: TextAlignmentRole per column
ALIGN = [int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) if key in RIGHT
         else None for key in KEYS]
IN_SRAM = KEYS.index("in_sram")
BRUSH = {True: QBrush(QColor("#1d7a6f")), False: QBrush(QColor("#c4472a"))}
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


#: per footprint, the columns an SRAM change leaves alone (a drag reuses the footprint)
_STATIC: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _static_rows(footprint) -> list[dict]:
    rows = _STATIC.get(footprint)
    if rows is None:
        rows = []
        for i, row in enumerate(footprint.layer_rows()):
            fused = row.get("fused") or []
            rows.append({
                "step": i,
                "name": row["name"] + (f" (+{len(fused)})" if fused else ""),
                "op": row["op"],
                "shape": "×".join(str(v) for v in row["output_shape"]),
                "activation_bytes": row["activation_bytes"],
                "weight_bytes": row["weight_bytes"],
                "macs": row["macs"],
                "fused": fused,
            })
        _STATIC[footprint] = rows
    return rows


def table_rows(analysis) -> list[dict]:
    """The table's rows: per step, the columns of COLUMNS plus ``fused`` (the layers
    fused into the step) and ``fused_stack_text``. The footprint's columns are made once
    per footprint; the placement's come from the analysis' arrays (a slider notch
    rebuilt ~80 full engine rows, ~1 ms)."""
    static = _static_rows(analysis.footprint)
    in_sram = np.asarray(analysis.in_sram, dtype=bool).tolist()
    dram = np.asarray(analysis.dram_bytes, dtype=float).tolist()
    lbuf = [int(round(v)) for v in np.asarray(analysis.line_buffer_bytes,
                                                dtype=float).tolist()]
    time_s = getattr(analysis, "time_s", None)
    time_us = None if time_s is None else (np.asarray(time_s, dtype=float) * 1e6).tolist()
    bound = getattr(analysis, "bound", None)
    bound = None if bound is None else [str(b) for b in bound]
    fused_stack = analysis.fused_stack()
    stacks = getattr(analysis, "stacks", None) or []
    rows = []
    for i, base in enumerate(static):
        row = dict(base)
        row["in_sram"] = in_sram[i]
        row["dram_bytes"] = dram[i]
        row["line_buffer_bytes"] = lbuf[i]
        if time_us is not None:
            row["time_us"] = time_us[i]
        if bound is not None:
            row["bound"] = bound[i]
        k = fused_stack[i]
        row["fused_stack"] = -1 if k is None else int(k)
        if k is not None:
            row["fused_stack_text"] = stack_text(stacks[k], int(k))
        rows.append(row)
    return rows


def _differs(a, b) -> bool:
    """True if a table cell's value changed (NaN equals NaN; unsure means changed)."""
    if a is b:
        return False
    try:
        if bool(a == b):
            return False
        return not (a != a and b != b)        # both NaN: unchanged
    except (TypeError, ValueError):
        return True


class LayerTableModel(QAbstractTableModel):
    """The rows' cells are formatted once per row, when first shown (a view asks each
    cell for seven roles on every paint: the answers are looked up, not made)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []
        self._cells: list = []    # per row: (display texts, sort values), made when asked
        self.speed_note = ""      # evidence.speed_note: the chip's speed is an estimate

    def _row_cells(self, r: int):
        cells = self._cells[r]
        if cells is None:
            row = self.rows[r]
            values = [row.get(key) for key in KEYS]
            texts = tuple("" if v is None else fmt(v)
                          for v, (_, _, _, fmt) in zip(values, COLUMNS))
            sort = tuple(v if isinstance(v, (int, float, str)) else str(v)
                         for v in values)
            cells = self._cells[r] = (texts, sort)
        return cells

    def set_rows(self, rows: list[dict]):
        if len(rows) == len(self.rows) and rows and self.rows \
                and [r["name"] for r in rows] == [r["name"] for r in self.rows]:
            # same layers: update values in place (keeps selection), and tell the view
            # only about the rows and columns whose values changed (an SRAM drag changes
            # a few placement columns; repainting every cell cost ms per notch)
            old, self.rows = self.rows, rows
            self._cells = [None] * len(rows)
            # a column whose values compare equal as a list needs no cell compared
            # (NaN cells make the lists unequal: then the cells are compared)
            was = {key: [r.get(key) for r in old] for key in KEYS}
            now = {key: [r.get(key) for r in rows] for key in KEYS}
            cols = [c for c, key in enumerate(KEYS) if was[key] != now[key]
                    and any(_differs(a, b) for a, b in zip(was[key], now[key]))]
            if cols:
                changed = [r for r in range(len(rows))
                           if any(_differs(was[KEYS[c]][r], now[KEYS[c]][r]) for c in cols)]
                self.dataChanged.emit(self.index(changed[0], cols[0]),
                                      self.index(changed[-1], cols[-1]))
            return
        self.beginResetModel()
        self.rows = rows
        self._cells = [None] * len(rows)
        self.endResetModel()

    #: called with (column, order) when the view sorts the model itself (it is shown
    #: without the proxy in step order; LayerTable then puts the proxy in)
    on_sort = None

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        if self.on_sort is not None:
            self.on_sort(column, order)

    def index(self, row, column, parent=QModelIndex()):
        # one call into Python per index: Qt's own index() asks rowCount() and
        # columnCount() through Python for every index the proxy and view make (~2,000
        # calls per model switch; issue 15)
        if 0 <= row < len(self.rows) and 0 <= column < NCOLS and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.ToolTipRole:
            if COLUMNS[section][0] == "time_us" and self.speed_note:    # issue 12
                return f"{COLUMNS[section][2]} ({self.speed_note})"
            return COLUMNS[section][2]
        return None

    def data(self, index, role=DISPLAY):
        if role == DISPLAY:
            r = index.row()
            return self._row_cells(r)[0][index.column()] if r >= 0 else None
        if role == ALIGNMENT:
            return ALIGN[index.column()]
        if role == FOREGROUND:
            if index.column() != IN_SRAM or index.row() < 0:
                return None
            value = self.rows[index.row()].get("in_sram")
            return None if value is None else BRUSH[bool(value)]
        if role == SORT_ROLE:
            r = index.row()
            return self._row_cells(r)[1][index.column()] if r >= 0 else None
        if role == STEP_ROLE:
            return self.rows[index.row()]["step"] if index.isValid() else None
        if role == FILTER_ROLE and index.isValid():
            row = self.rows[index.row()]
            return f"{row['name']}\n{row['op']}"
        if role == TOOLTIP and index.isValid():
            row = self.rows[index.row()]
            key = KEYS[index.column()]
            if key == "name" and row.get("fused"):
                return "fused: " + ", ".join(row["fused"])
            if key == "fused_stack" and row.get("fused_stack_text"):
                return row["fused_stack_text"]
            return COLUMNS[index.column()][2]
        return None


class LayerFilter(QSortFilterProxyModel):
    """Sorts on the raw numbers (SORT_ROLE); filters by name or op (FILTER_ROLE of the
    first column, matched by Qt without a call per row into Python). Sorted by step,
    ascending, is the model's own order: then nothing is sorted (a model switch sorted
    every row again, a few hundred calls into Python)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(0)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    #: called after each sort (LayerTable shows the model without the proxy when the
    #: proxy would show it as it is)
    after_sort = None

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        if column == 0 and order == Qt.SortOrder.AscendingOrder:
            column = -1                 # the steps' own order
        super().sort(column, order)
        if self.after_sort is not None:
            self.after_sort()


class LayerTable(QWidget):
    """Filter box + sortable table. ``stepSelected(step)`` when the user picks a row."""

    stepSelected = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = LayerTableModel(self)
        self.proxy = LayerFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView(self)
        # In step order and unfiltered (the usual case) the view shows the model itself;
        # the proxy is put in only to sort or filter. Through the proxy, each cell's
        # paint made ~14 calls into Python (index and data per role, mapped); a model
        # switch repainted ~130 cells (issue 15).
        self._swapping = False
        self.view.setModel(self.model)
        self.model.on_sort = self._sort_requested
        self.proxy.after_sort = self._choose_model
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, width in enumerate((40, 170, 70, 150, 115, 105, 95, 110, 130, 90, 80)):
            self.view.setColumnWidth(col, width)
        for key, width in (("fused_stack", 55), ("line_buffer_bytes", 125), ("time_us", 90),
                           ("bound", 80)):     # issue 11's columns sit before time
            self.view.setColumnWidth(KEYS.index(key), width)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("filter layers by name or op (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter)
        QShortcut(QKeySequence.StandardKey.Find, self, self.filter.setFocus)
        self.summary = QLabel(self)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter, 1)
        top.addWidget(self.summary)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self._quiet = False

    def _on_filter(self, text):
        self.proxy.setFilterFixedString(text.strip())
        self._choose_model()

    def _sort_requested(self, column, order):
        """The view asked the model itself to sort: by step, ascending, it is already in
        that order; any other order goes through the proxy."""
        if self._swapping:
            return
        self.proxy.sort(column, order)      # LayerFilter.sort, then _choose_model

    def _choose_model(self):
        """Show the model itself when the proxy would show it unchanged (no sort, no
        filter), else the proxy; column widths, sort indicator and selection kept."""
        if self._swapping:
            return
        plain = self.proxy.sortColumn() == -1 and not self.proxy.filterRegularExpression()\
            .pattern()
        want = self.model if plain else self.proxy
        view = self.view
        if view.model() is want:
            return
        step = self.selected_step()
        hh = view.horizontalHeader()
        widths = [hh.sectionSize(c) for c in range(hh.count())]
        section, order = hh.sortIndicatorSection(), hh.sortIndicatorOrder()
        self._swapping = True
        try:
            view.setModel(want)
            for c, w in enumerate(widths):
                hh.resizeSection(c, w)
            blocked = hh.blockSignals(True)
            hh.setSortIndicator(section, order)
            hh.blockSignals(blocked)
            view.selectionModel().selectionChanged.connect(self._on_selection)
        finally:
            self._swapping = False
        if step is not None and self._shown_index(step).isValid():
            self.select_step(step)      # (a step the filter hides stays unselected)

    def set_analysis(self, analysis):
        self._quiet = True
        try:
            self.model.speed_note = speed_note(analysis)
            self.model.set_rows(table_rows(analysis))
        finally:
            self._quiet = False
        n = len(self.model.rows)
        spilled = sum(1 for r in self.model.rows if r.get("in_sram") is False)
        self.summary.setText(f"{n} steps, {spilled} spill to DRAM")

    def _on_selection(self, *_):
        if self._quiet:
            return
        step = self.selected_step()
        if step is not None:
            self.stepSelected.emit(step)

    def selected_step(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return int(rows[0].data(STEP_ROLE))

    def _shown_index(self, step: int):
        """The view's index of ``step``'s row (through the proxy when it is shown)."""
        index = self.model.index(step, 0)
        return index if self.view.model() is self.model else self.proxy.mapFromSource(index)

    def select_step(self, step: int):
        """Select (and scroll to) the row of ``step`` without emitting stepSelected."""
        if not 0 <= step < len(self.model.rows):
            return
        shown = self._shown_index(step)
        if not shown.isValid():             # filtered out: clear the filter
            self.filter.clear()
            shown = self._shown_index(step)
        self._quiet = True
        try:
            self.view.selectRow(shown.row())
            self.view.scrollTo(shown)
        finally:
            self._quiet = False
