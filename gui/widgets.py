"""Small widget helpers shared by the model and chip panels."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QAbstractSpinBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLabel, QScrollBar, QSpinBox)

#: Flat scroll bars: a grey handle on a light track, no arrow buttons. Fusion draws its
#: scroll bars with gradients, ~1 ms a repaint on this machine (0.02 ms flat), and a
#: model switch repaints the layer table's two bars twice each (issue 15).
FLAT_SCROLLBAR = """
QScrollBar:vertical { background: #eeeeee; width: 12px; margin: 0; border: none; }
QScrollBar:horizontal { background: #eeeeee; height: 12px; margin: 0; border: none; }
QScrollBar::handle { background: #b0b0b0; border-radius: 3px; }
QScrollBar::handle:hover, QScrollBar::handle:pressed { background: #808080; }
QScrollBar::handle:vertical { min-height: 24px; margin: 2px; }
QScrollBar::handle:horizontal { min-width: 24px; margin: 2px; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; border: none; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
"""


def flat_scrollbars(root) -> int:
    """Give every scroll bar under ``root`` the flat style (only the bars: a style sheet
    on a window would route every child's painting through the style-sheet style).
    Returns how many bars were styled."""
    bars = root.findChildren(QScrollBar)
    for bar in bars:
        if bar.styleSheet() != FLAT_SCROLLBAR:
            bar.setStyleSheet(FLAT_SCROLLBAR)
    return len(bars)


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


class SpinUndo(QObject):
    """Ctrl+Z / Ctrl+Shift+Z in a spin box act on the document (bug 16): the typed,
    not yet committed text is committed first (one undoable edit), then the document's
    undo stack steps back; the line edit's own text undo never eats the key."""

    def __init__(self, stack, parent=None):
        super().__init__(parent)
        self.stack = stack

    def watch(self, root) -> None:
        for sb in root.findChildren(QAbstractSpinBox):
            sb.installEventFilter(self)

    def _which(self, ev):
        if ev.matches(QKeySequence.StandardKey.Undo):
            return self.stack.undo
        if ev.matches(QKeySequence.StandardKey.Redo) or (
                ev.key() == Qt.Key.Key_Y and ev.modifiers() == Qt.KeyboardModifier.ControlModifier):
            return self.stack.redo
        return None

    def eventFilter(self, obj, ev):
        t = ev.type()
        if t in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            step = self._which(ev)
            if step is not None:
                ev.accept()
                if t == QEvent.Type.KeyPress:
                    obj.interpretText()         # commit what was typed (valueChanged)
                    step()
                return True
        return False


class ElidedLabel(QLabel):
    """A one-line label that, when its text is wider than the room it has, shows the
    start of it ending in "…" (the full text stays in ``text()`` and is given as the
    tooltip): the status bar's messages were cut mid-word at 1280x720."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)

    def setText(self, text):
        self._full = str(text)
        self._fit()

    def text(self):
        return self._full

    def shown(self) -> str:
        """The text as drawn (elided to the label's width)."""
        return super().text()

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        hint.setWidth(0)
        return hint

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._fit()

    def _fit(self):
        width = self.contentsRect().width()
        shown = self._full if width <= 0 else self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideRight, width)
        if shown != super().text():
            QLabel.setText(self, shown)
