"""Calibration evidence in the app (issue 12): how far the chip's speed figures can be
trusted, and where a batch gain comes from.

* :class:`EvidenceLine` sits in the chip panel: one line, "calibrated on 2 published
  points, worst 1.00x; validated on 5, worst 1.31x", or, for a chip with no public
  measurement, "no public measurement: speed is an estimate" in the warning colour; its
  "Evidence…" button opens :class:`EvidenceDialog`.
* :class:`EvidenceDialog` lists every calibration and validation point (source, model,
  input, precision, batch, metric, published, predicted, ratio; from
  ``engine.calibration.report``) and the batch-gain breakdown of the open scenario
  (``engine.batching.batch_gain_breakdown``: batch 1 -> batch b split into overheads x
  weight reuse x utilisation x other).
* :func:`speed_note` and :func:`mark_speed` mark speed figures of an uncalibrated chip
  as estimates in the status bar, the plots and the layer table (exports say it once,
  in the assumptions' ``speed`` line, gui/explain.py; the reason is the engine's
  ``speed_estimate_reason``).

Nothing here computes a figure: the numbers come from the engine (``report`` runs each
measurement through the same analysis as the main window).
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from sramfit.engine import calibration
from sramfit.engine.errors import SramfitError

WARN = "#b06f00"          # the status bar's "weights streamed" colour
OK = "#1d7a6f"
MUTED = "#555"
ESTIMATE_MARK = "estimate"
FAR = 0.35                # ratios further off than this are shown in the warning colour

# report rows are cached per chip (a chip's repr holds every field, the lists included)
_REPORTS: dict[str, list[dict]] = {}


def evidence_rows(chip) -> list[dict]:
    """``engine.calibration.report(chip)``, cached per chip value."""
    key = repr(chip)
    if key not in _REPORTS:
        if len(_REPORTS) > 32:
            _REPORTS.clear()
        _REPORTS[key] = calibration.report(chip)
    return _REPORTS[key]


def _worst(rows, kind):
    return calibration.worst_ratio([r for r in rows if r["kind"] == kind])


def _points(n: int) -> str:
    return f"{n} published point{'s' if n != 1 else ''}"


def summary(chip, rows=None) -> tuple[str, bool]:
    """(the evidence line, speed is an estimate)."""
    est, _ = calibration.speed_estimate(chip)
    if est:
        return "no public measurement: speed is an estimate", True
    rows = evidence_rows(chip) if rows is None else rows
    cal = [r for r in rows if r["kind"] == "calibration"]
    val = [r for r in rows if r["kind"] == "validation"]
    text = f"calibrated on {_points(len(cal))}, worst {_worst(rows, 'calibration'):.2f}x"
    if val:
        text += f"; validated on {len(val)}, worst {_worst(rows, 'validation'):.2f}x"
    else:
        text += "; no other published point to validate on"
    return text, False


def speed_note(analysis) -> str:
    """'' for a calibrated chip, else 'speed estimated: <reason>'."""
    t = analysis.speed_flags() if hasattr(analysis, "speed_flags") else analysis.totals()
    if not t.get("speed_estimated"):
        return ""
    return f"speed estimated: {t.get('speed_estimate_reason') or 'no published measurement'}"


def mark_speed(label: QLabel, text: str, note: str) -> None:
    """Set a status-bar speed label; with a note, add the estimate mark and the reason
    (to the label's own tooltip, kept from its first call)."""
    tip = label.property("plain_tip")
    if tip is None:
        tip = label.toolTip()
        label.setProperty("plain_tip", tip)
    if note:
        text += f" <span style='color:{WARN}'>({ESTIMATE_MARK})</span>"
        tip = f"{tip}\n\n{note}"
    label.setText(text)
    label.setToolTip(tip)


class EvidenceLine(QWidget):
    """The chip panel's evidence line and its "Evidence…" button."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.doc = document
        self.dialog = None
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.button = QPushButton("Evidence…")
        self.button.setToolTip("Published measurements of this chip vs sramfit's "
                               "prediction, and where the batch gain comes from")
        self.button.clicked.connect(self.open_dialog)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        self.estimated = False

    def show_chip(self, chip, edited: bool = False) -> None:
        try:
            text, est = summary(chip)
        except SramfitError as err:          # a measurement the edited chip cannot run
            text, est = f"calibration evidence unavailable: {err}", True
        self.estimated = est
        tip = [text]
        if chip.calibration_note:
            tip.append(chip.calibration_note)
        if edited and not est:
            text += " (chip edited: predictions use your edits; the fit was for the profile)"
        self.plain = text
        self.label.setText(f"<span style='color:{WARN if est else OK}'>"
                           f"{'⚠ ' if est else ''}{html.escape(text)}</span>")
        self.label.setToolTip("\n\n".join(tip))
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.refresh()

    def open_dialog(self):
        if self.dialog is None:
            self.dialog = EvidenceDialog(self.doc, self.window())
        self.dialog.refresh()
        self.dialog.show()
        if QGuiApplication.platformName() != "offscreen":   # (no window stacking there)
            self.dialog.raise_()
        return self.dialog


COLUMNS = (("kind", "kind"), ("source", "source"), ("model", "model"),
           ("input", "input"), ("precision", "precision"), ("batch", "batch"),
           ("metric", "metric"), ("published", "published"), ("predicted", "sramfit"),
           ("ratio", "ratio"))


def _cell(key, r) -> str:
    v = r[key]
    if key in ("published", "predicted"):
        unit = "ms" if r["metric"] == "latency_ms" else "images/s"
        return f"{v:,.4g} {unit}"
    if key == "ratio":
        return f"{v:.2f}x"
    if key == "metric":
        return "latency" if v == "latency_ms" else "throughput"
    return str(v)


def breakdown_text(b: dict) -> str:
    """One paragraph for an engine.batching.batch_gain_breakdown result."""
    return (f"batch 1 → batch {b['batch']}: {b['throughput_1']:,.1f} → "
            f"{b['throughput_b']:,.1f} images/s, gain {b['gain']:.2f}x = overheads "
            f"{b['overheads']:.2f}x × weight reuse {b['weight_reuse']:.2f}x × utilisation "
            f"{b['utilisation']:.2f}x × other {b['other']:.2f}x")


class EvidenceDialog(QDialog):
    """Every published measurement of the chip vs sramfit, and the batch-gain split."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.doc = document
        self.setWindowTitle("Calibration evidence")
        self.setModal(False)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([h for _, h in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeaderItem(len(COLUMNS) - 1).setToolTip(
            "sramfit / published (1.00x = exact; the calibration points are fitted, the "
            "validation points are predictions)")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {MUTED};")
        self.batch = QSpinBox()
        self.batch.setRange(2, 4096)
        self.batch.setKeyboardTracking(False)
        self.batch.setToolTip("the batch whose gain over batch 1 is split")
        self.batch.valueChanged.connect(self.show_breakdown)
        self.gain = QLabel()
        self.gain.setWordWrap(True)
        self.gain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.gain.setToolTip(
            "The throughput gain of the batch over batch 1 (same scenario), split by "
            "switching causes off one after another: overheads (per-layer and per-call "
            "costs amortised), weight reuse (weights read once per batch), utilisation "
            "(small layers fill the MAC array when batched), other (spills that grow "
            "with the batch, overlap). The product of the factors is the gain.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.note)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Where the batch gain comes from</b>, batch 1 →"))
        row.addWidget(self.batch)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.gain)
        lay.addWidget(buttons)
        self.resize(1150, 620)
        self._batch_set_for = None

    def refresh(self):
        chip = self.doc.analysis.chip
        try:
            rows = evidence_rows(chip)
            text, est = summary(chip, rows)
        except SramfitError as err:
            rows, text, est = [], f"calibration evidence unavailable: {err}", True
        self.rows = rows
        self.heading.setText(f"<b>{html.escape(chip.name)}</b>: "
                             f"<span style='color:{WARN if est else OK}'>"
                             f"{html.escape(text)}</span>")
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, (key, _) in enumerate(COLUMNS):
                item = QTableWidgetItem(_cell(key, r))
                if key == "source":
                    item.setToolTip(r["source"] + (f"\n{r['note']}" if r["note"] else ""))
                if key == "ratio" and max(r["ratio"], 1 / r["ratio"]) > 1 + FAR:
                    item.setForeground(QBrush(QColor(WARN)))
                    item.setToolTip(f"more than {FAR:.0%} off the published figure")
                if key in ("batch", "published", "predicted", "ratio"):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.setVisible(bool(rows))
        why = calibration.speed_estimate(chip)[1]
        self.note.setText(why if est else (chip.calibration_note or ""))
        b = self.doc.scenario.batch
        key = (id(self.doc.scenario), b)
        if self._batch_set_for != key:        # follow the scenario's batch (or 8 at 1)
            self._batch_set_for = key
            self.batch.blockSignals(True)
            self.batch.setValue(b if b > 1 else 8)
            self.batch.blockSignals(False)
        self.show_breakdown()

    def show_breakdown(self, *_):
        from sramfit.engine.batching import batch_gain_breakdown
        try:
            self.breakdown = batch_gain_breakdown(self.doc.scenario, self.batch.value())
        except SramfitError as err:
            self.breakdown = None
            self.gain.setText(f"not available: {err}")
            return
        self.gain.setText(breakdown_text(self.breakdown))
