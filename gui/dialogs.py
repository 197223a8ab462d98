"""Every modal dialog the app opens goes through one of these small functions.

Tests replace them with ``monkeypatch.setattr(gui.dialogs, "open_file", ...)`` so no
test ever blocks on a dialog. Callers must use ``dialogs.open_file(...)`` (attribute
access at call time), never ``from gui.dialogs import open_file``.
"""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

SCENARIO_FILTER = "Scenario files (*.yaml *.yml);;All files (*)"
MODEL_FILTER = "Model files (*.yaml *.yml *.onnx *.cfg);;All files (*)"
CHIP_FILTER = "Chip profiles (*.yaml *.yml)"


def open_file(parent: QWidget | None, title: str, directory: str = "",
              file_filter: str = SCENARIO_FILTER) -> str:
    """A path to open, or '' if the user cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, directory, file_filter)
    return path


def save_file(parent: QWidget | None, title: str, directory: str = "",
              file_filter: str = SCENARIO_FILTER) -> str:
    """A path to save to, or '' if the user cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, directory, file_filter)
    return path


def choose_directory(parent: QWidget | None, title: str, directory: str = "") -> str:
    """A directory, or '' if the user cancelled."""
    return QFileDialog.getExistingDirectory(parent, title, directory)


PLOT_FILTER = "PNG image (*.png);;SVG vector image (*.svg);;CSV data (*.csv)"


def export_options(parent: QWidget | None, title: str, path: str, size=(1920, 1080),
                   dpi: int = 144, style: str = "slide", plots=None,
                   current: int = 0) -> dict | None:
    """File, size, DPI and style (and, given ``plots`` = [(title, path)], which plot:
    key ``plot``) for an export (gui/export_dialog.py), or None if the user cancelled."""
    from .export_dialog import ExportDialog
    dlg = ExportDialog(parent, title, path, size, dpi, style, plots, current)
    return dlg.options() if dlg.exec() and dlg.options()["path"] else None


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.critical(parent, title, message)


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str:
    """A line of text, or '' if the user cancelled."""
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value.strip() if ok else ""


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """'save', 'discard' or 'cancel' for a scenario with unsaved changes."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"The scenario '{name}' has unsaved changes.",
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText("Save them before closing?")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return "save"
    if answer == QMessageBox.StandardButton.Discard:
        return "discard"
    return "cancel"
