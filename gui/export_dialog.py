"""The export dialog: file, picture size, DPI and style for one plot.

Only collects options; the file is written by sramfit.gui.export. Opened through
``dialogs.export_options`` so tests never block on it.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout)

from .widgets import form_layout, hbox, ispin

STYLES = (("slide", "slide: white, large type, thick lines, title and footnote"),
          ("screen", "screen: as in the window"))


class ExportDialog(QDialog):
    def __init__(self, parent, title: str, path: str, size=(1920, 1080), dpi: int = 144,
                 style: str = "slide", plots=None, current: int = 0):
        """``plots``: ``[(title, file path)]`` to choose the plot from (its file name
        follows the choice); ``current`` the one chosen first."""
        super().__init__(parent)
        self.setWindowTitle(title)
        form = form_layout()
        self.plots = list(plots or [])
        self.plot = QComboBox()
        for name, _ in self.plots:
            self.plot.addItem(name)
        if self.plots:
            self.plot.setCurrentIndex(max(0, min(int(current), len(self.plots) - 1)))
            self.plot.currentIndexChanged.connect(self._on_plot)
            form.addRow("Plot", self.plot)
        self.path = QLineEdit(str(path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        form.addRow("File", hbox((self.path, 1), browse))
        self.width_px = ispin(16, 20000, "picture width in pixels", " px")
        self.height_px = ispin(16, 20000, "picture height in pixels", " px")
        self.width_px.setValue(int(size[0]))
        self.height_px.setValue(int(size[1]))
        form.addRow("Size", hbox((self.width_px, 1), "×", (self.height_px, 1)))
        self.dpi = ispin(30, 1200, "resolution written into the PNG (1920 px at 144 dpi "
                                   "= 13.33 in, a widescreen slide)", " dpi")
        self.dpi.setValue(int(dpi))
        form.addRow("DPI", self.dpi)
        self.style = QComboBox()
        for key, label in STYLES:
            self.style.addItem(label, key)
        self.style.setCurrentIndex(max(0, self.style.findData(style)))
        form.addRow("Style", self.style)
        note = QLabel("PNG: exactly this size; SVG: vector, this view box; CSV: the "
                      "plotted data. The format follows the file's suffix.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)

    def _on_plot(self, i: int):
        """The file name follows the chosen plot (in the folder the field names now)."""
        folder = Path(self.path.text().strip() or ".").parent
        self.path.setText(str(folder / Path(self.plots[i][1]).name))

    def _browse(self):
        path, _ = QFileDialog.getSaveFileName(
            self, "Export to", self.path.text(),
            "PNG image (*.png);;SVG vector image (*.svg);;CSV data (*.csv)")
        if path:
            self.path.setText(path)

    def options(self) -> dict:
        path = self.path.text().strip()
        if path and not Path(path).suffix:
            path += ".png"
        out = {"path": path, "size": (self.width_px.value(), self.height_px.value()),
               "dpi": self.dpi.value(), "style": self.style.currentData()}
        if self.plots:
            out["plot"] = self.plot.currentIndex()
        return out
