"""PNG: the plot painted into a QImage of exactly the requested size."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui

from sramfit.gui.style import Style

from .render import _Render
from .common import DEFAULT_SIZE, ExportError


def render_image(plot, size=DEFAULT_SIZE, *, style: Style | str = "screen",
                 title: str | None = None, footnote: str | None = None,
                 dpi: float | None = None, scale: float | None = None) -> QtGui.QImage:
    """The plot as a ``QImage`` of exactly ``size`` pixels (device pixel ratio 1)."""
    with _Render(plot, size, style, title, footnote, scale) as r:
        img = r.image()
    if dpi:
        dpm = round(float(dpi) / 0.0254)
        img.setDotsPerMeterX(dpm)
        img.setDotsPerMeterY(dpm)
    return img




def png_bytes(img: QtGui.QImage, path: Path) -> bytes:
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    ok = img.save(buf, "PNG")
    buf.close()
    if not ok:
        raise ExportError(f"cannot write {path}: PNG encoding failed")
    return bytes(buf.data())




def widget_png(widget, path) -> bytes:
    """A window or widget as it is on screen (``QWidget.grab``), as PNG bytes."""
    return png_bytes(widget.grab().toImage(), Path(path))
