"""Issue 15 bug 16: Ctrl+Z after typing in a spin box did nothing."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def _type(qtbot, spin, text, enter=True):
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, text)
    if enter:
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    QApplication.processEvents()


def test_ctrl_z_after_enter_in_spin_box_undoes_the_edit(main_window, qtbot):
    win = main_window
    spin = win.chip_panel.sram
    before = win.doc.analysis.sram_mb
    _type(qtbot, spin, "128")
    assert win.doc.analysis.sram_mb == 128
    qtbot.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()
    assert win.doc.analysis.sram_mb == before
    assert spin.value() == before
    qtbot.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert win.doc.analysis.sram_mb == 128


def test_ctrl_z_while_typing_commits_then_undoes(main_window, qtbot):
    win = main_window
    spin = win.chip_panel.sram
    before = win.doc.analysis.sram_mb
    _type(qtbot, spin, "32", enter=False)            # typed, not committed
    assert win.doc.analysis.sram_mb == before
    qtbot.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.analysis.sram_mb == before
    assert spin.value() == before
    assert win.doc.stack.canRedo()                   # the typed value became an edit
    win.doc.stack.redo()
    assert win.doc.analysis.sram_mb == 32
