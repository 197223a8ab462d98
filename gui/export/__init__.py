"""The one door through which every PNG, SVG and CSV leaves sramfit.

One module per format behind a small registry (as pyqtgraph's exporters are):
``png`` (QImage), ``svg`` (QtSvg, then cleaned), ``csvdata`` (the plotted data read
back from the items), ``table`` (the compare table in all three), ``clipboard``;
``render`` restyles and paints a plot for any of them, ``common`` holds what they
share (errors, fonts, atomic writes, file names, reading titles and axes).
:data:`EXPORTERS` maps a format to the function that turns a plot into its bytes.
An import contract (pyproject.toml) keeps ``csv``, ``tempfile`` and ``xml`` (SVG
post-processing) out of every other GUI module.

Plots are ordinary pyqtgraph objects (``pg.PlotItem``, ``pg.PlotWidget``,
``pg.GraphicsLayoutWidget``); this module knows nothing about sramfit's plot classes.

Public API
----------
``export_plot(plot, path, fmt=None, size=(1920, 1080), dpi=None, style="screen",
title=None, footnote=None, columns=None, scale=None) -> Path``
    PNG (exactly ``size`` pixels), SVG (vector, ``viewBox`` = size) or CSV (the
    plotted data, one row per plotted point, units in the header).
``render_image(plot, size, ...) -> QImage`` and ``render_svg(plot, size, ...) -> bytes``
    the same pictures in memory.
``copy_plot_to_clipboard(plot, size=(1920, 1080), ...) -> QImage``
``export_all(plots, out_dir, formats=("png", "svg", "csv"), ...) -> list[Path]``
``export_table(headers, rows, path, fmt=None, ...) -> Path``
    the compare table as CSV, PNG or SVG.
``plot_csv(plot, ...) -> str``
    the CSV text without writing it.

How a plot is rendered
----------------------
Nothing is read from the on-screen widget size. For one render the plot's top item
is given the requested size (in "logical" pixels: ``size / scale``, see
``gui.style``), the export :class:`~gui.style.Style` is applied (fonts, pens, title
band, colours), layouts are activated explicitly, the axes are given a dry-run paint
so they can measure their tick labels, and the scene is painted with
``QGraphicsScene.render`` into a ``QImage`` of exactly the requested size (device
pixel ratio 1) or into a ``QSvgGenerator`` (SVG 1.1, so clipping survives).
Afterwards every change is undone in reverse order, so the window is unchanged.

Pending events are processed *before* the plot is touched, never while it is
resized: an event loop turn in the middle would let a parent layout move the item
back (or repaint a visible window with the export-sized plot).

Files are written atomically (temporary file in the target directory, then
``os.replace``); any failure raises :class:`ExportError` naming the path and cause
and leaves neither a partial file nor a temporary file behind.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from sramfit.gui.style import SCREEN, SLIDE, Style

from .clipboard import copy_plot_to_clipboard
from .common import (DEFAULT_SIZE, FORMATS, ExportError, _export_scale, _format_of,
                     bundled_family, plot_title, slugify, write_atomic)
from .csvdata import plot_csv
from .png import png_bytes, render_image, widget_png
from .svg import render_svg
from .table import export_table, table_natural_size

__all__ = [
    "ExportError", "FORMATS", "DEFAULT_SIZE", "EXPORTERS", "export_plot", "render_image",
    "render_svg", "plot_csv", "copy_plot_to_clipboard", "export_all", "export_table",
    "table_natural_size", "slugify", "write_atomic", "plot_title", "bundled_family",
    "export_widget", "Style", "SCREEN", "SLIDE", "_export_scale",
]


def _png(plot, path, *, size, dpi, style, title, footnote, columns, scale) -> bytes:
    return png_bytes(render_image(plot, size, style=style, title=title, footnote=footnote,
                                  dpi=dpi, scale=scale), path)


def _svg(plot, path, *, size, dpi, style, title, footnote, columns, scale) -> bytes:
    return render_svg(plot, size, style=style, title=title, footnote=footnote, dpi=dpi,
                      scale=scale)


def _csv(plot, path, *, size, dpi, style, title, footnote, columns, scale) -> bytes:
    return plot_csv(plot, title=title, footnote=footnote, columns=columns).encode("utf-8")


#: format -> function(plot, path, **options) -> the file's bytes
EXPORTERS: dict[str, Callable[..., bytes]] = {"png": _png, "svg": _svg, "csv": _csv}


def export_plot(plot, path, fmt: str | None = None, size=DEFAULT_SIZE,
                dpi: float | None = None, style: Style | str = "screen",
                title: str | None = None, footnote: str | None = None, *,
                columns: Mapping[str, Sequence] | None = None,
                scale: float | None = None) -> Path:
    """Write ``plot`` to ``path`` as PNG, SVG or CSV (format from the suffix by default).

    * PNG: exactly ``size`` pixels, antialiased; ``dpi`` only sets the file's
      resolution metadata (1920x1080 at 144 dpi is a full 13.33 in wide slide).
    * SVG: vector (curves are ``<path>`` elements), ``viewBox="0 0 W H"``.
    * CSV: the plotted data, one row per plotted point (``series, <x axis>,
      <y axis>``, units from the axis labels), ``# title:`` / ``# footnote:`` /
      ``# line:`` comment lines first. ``columns`` replaces the automatic
      extraction with explicit columns ``{header: values}``.

    ``style`` is a :class:`gui.style.Style` or 'screen'/'slide'; ``scale`` overrides
    the style's size-derived scale. Raises :class:`ExportError` on failure.
    """
    path = Path(path)
    f = _format_of(path, fmt)
    data = EXPORTERS[f](plot, path, size=size, dpi=dpi, style=style, title=title,
                        footnote=footnote, columns=columns, scale=scale)
    return write_atomic(path, data)



def export_widget(widget, path) -> Path:
    """Write a window or widget as it is on screen to the PNG ``path`` (screenshots)."""
    path = Path(path)
    _format_of(path, "png")
    return write_atomic(path, widget_png(widget, path))


def export_all(plots: Mapping[str, Any], out_dir, formats: Sequence[str] = FORMATS,
               size=DEFAULT_SIZE, style: Style | str = "screen",
               footnote: str | None = None, *, dpi: float | None = None,
               titles: bool = True) -> list[Path]:
    """Export every plot of ``plots`` (``{display name: plot}``) in every format.

    Files are ``<out_dir>/<slug of name>.<fmt>``; ``out_dir`` is created. The display
    name is the title of a plot that has none of its own (``titles=False``: never).
    """
    out = Path(out_dir)
    fmts = []
    for f in formats:
        f = str(f).lower().lstrip(".")
        if f not in FORMATS:
            raise ExportError(f"unknown export format {f!r}; use {', '.join(FORMATS)}")
        if f not in fmts:
            fmts.append(f)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot create export directory {out}: "
                          f"{err.strerror or err}") from err
    written: list[Path] = []
    used: set[str] = set()
    for name, plot in plots.items():
        slug = base = slugify(name)
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        title = None
        if titles and not plot_title(plot):
            title = str(name)
        for f in fmts:
            written.append(export_plot(plot, out / f"{slug}.{f}", fmt=f, size=size,
                                       dpi=dpi, style=style, title=title,
                                       footnote=footnote))
    return written


