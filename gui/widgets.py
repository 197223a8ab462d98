"""Small widget helpers shared by the model and chip panels."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSpinBox


def put(widget, value):
    """Set a spin box or slider only if the value changed (no repaint otherwise)."""
    if hasattr(widget, "decimals"):
        value = round(float(value), widget.decimals())
    if widget.value() != value:
        widget.setValue(value)


def check(widget, on):
    if widget.isChecked() != bool(on):
        widget.setChecked(bool(on))


def _setup(s, tip, suffix):
    s.setKeyboardTracking(False)       # one edit per Enter/focus-out, not per keystroke
    s.setAccelerated(True)
    s.setToolTip(tip)
    if suffix:
        s.setSuffix(suffix)
    return s


def ispin(lo, hi, tip, suffix=""):
    s = QSpinBox()
    s.setRange(lo, hi)
    return _setup(s, tip, suffix)


def dspin(lo, hi, decimals, suffix, tip):
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(decimals)
    return _setup(s, tip, suffix)


def form_layout() -> QFormLayout:
    form = QFormLayout()
    form.setVerticalSpacing(5)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def hbox(*items) -> QHBoxLayout:
    """A row for a form: widgets, plain strings (shown as labels), ``(widget, stretch)``
    pairs, and ``None`` for a trailing stretch."""
    row = QHBoxLayout()
    row.setSpacing(6)
    for item in items:
        if item is None:
            row.addStretch(1)
        elif isinstance(item, str):
            row.addWidget(QLabel(item))
        elif isinstance(item, tuple):
            row.addWidget(*item)
        else:
            row.addWidget(item)
    return row
