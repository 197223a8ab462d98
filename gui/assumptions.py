"""The assumptions dock and the "how is this number made" pop-ups (issue 15).

The text comes from gui/explain.py (Qt-free), the same text every export's footnote
carries; this module only shows it.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from . import explain


class AssumptionsPanel(QTableWidget):
    """Term | value | explanation, one row per assumption of the current figures."""

    def __init__(self, parent=None):
        super().__init__(0, 3, parent)
        self.setObjectName("assumptions")
        self.setHorizontalHeaderLabels(["assumption", "value", "why / meaning"])
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)
        h = self.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        h.setStretchLastSection(True)
        self.setColumnWidth(1, 420)
        self.rows: list[tuple[str, str, str]] = []
        # rows follow the columns' widths (sized once, before the dock had its width,
        # they stayed three lines tall: three assumptions visible at 1280x720)
        self._fit = QTimer(self)
        self._fit.setSingleShot(True)
        self._fit.timeout.connect(self.resizeRowsToContents)
        h.sectionResized.connect(lambda *_: self._fit.start(0))

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._fit.start(0)          # once the stretched column has its new width

    def show_analysis(self, analysis, totals=None):
        rows = explain.assumptions(analysis, totals)
        if rows == self.rows:
            return
        self.rows = rows
        self.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.setItem(r, c, item)
        self.resizeRowsToContents()


class FormulaDialog(QDialog):
    """A headline figure with its formula and this scenario's numbers."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("formula_dialog")
        self.setWindowTitle("How this number is made")
        lay = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        f = self.title.font()
        f.setBold(True)
        self.title.setFont(f)
        self.body = QLabel()
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.close)
        for w in (self.title, self.body, self.note, box):
            lay.addWidget(w)
        self.formula = None

    def show_formula(self, formula: explain.Formula):
        self.formula = formula
        self.title.setText(formula.title)
        self.body.setText(formula.text)
        self.note.setText(formula.note + "\nMB = 10^6 bytes.")
        self.adjustSize()
        self.show()
        self.raise_()


class StatusClicks(QObject):
    """Makes status-bar figures clickable: a click shows how the figure is made."""

    def __init__(self, window, labels: dict):
        super().__init__(window)
        self.window = window
        self.labels = {lbl: key for key, lbl in labels.items()}
        self.dialog = None
        for lbl, key in self.labels.items():
            lbl.installEventFilter(self)
            lbl.setCursor(Qt.CursorShape.PointingHandCursor)
            lbl.setToolTip(lbl.toolTip() + " (click: how this number is made)")

    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.MouseButtonRelease and obj in self.labels:
            self.explain(self.labels[obj])
            return True
        return False

    def explain(self, key: str) -> FormulaDialog:
        if self.dialog is None:
            self.dialog = FormulaDialog(self.window)
        self.dialog.show_formula(explain.formula(self.window.doc.analysis, key))
        return self.dialog
