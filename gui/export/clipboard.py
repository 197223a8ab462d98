"""Copying a rendered plot to the clipboard."""
from __future__ import annotations


from PySide6 import QtGui

from sramfit.gui.style import Style

from .png import render_image
from .common import DEFAULT_SIZE


def copy_plot_to_clipboard(plot, size=DEFAULT_SIZE, *, style: Style | str = "screen",
                           title: str | None = None, footnote: str | None = None,
                           scale: float | None = None) -> QtGui.QImage:
    """Put the rendered plot on the clipboard as an image; returns the image."""
    img = render_image(plot, size, style=style, title=title, footnote=footnote, scale=scale)
    QtGui.QGuiApplication.clipboard().setImage(img)
    return img


