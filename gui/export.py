"""The one door through which every PNG, SVG and CSV leaves sramfit.

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

import csv
import io
import math
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from sramfit.engine.errors import SramfitError
from sramfit.gui.style import SCREEN, SLIDE, Style, get_style, register_fonts

__all__ = [
    "ExportError", "FORMATS", "export_plot", "render_image", "render_svg", "plot_csv",
    "copy_plot_to_clipboard", "export_all", "export_table", "slugify",
    "Style", "SCREEN", "SLIDE",
]

FORMATS = ("png", "svg", "csv")
DEFAULT_SIZE = (1920, 1080)
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


class ExportError(SramfitError):
    """An export could not be written (bad path, permissions, disk) or rendered."""


# --------------------------------------------------------------------------- fonts

def bundled_family() -> str:
    """The bundled font family (registered once with Qt; see gui/style.py)."""
    return register_fonts()


def _font(px: float, bold: bool = False, family: str | None = None) -> QtGui.QFont:
    f = QtGui.QFont(family or bundled_family())
    f.setPixelSize(max(1, int(round(px))))
    f.setBold(bold)
    return f


# --------------------------------------------------------------------------- paths

def _format_of(path: Path, fmt: str | None, allowed: Sequence[str] = FORMATS) -> str:
    f = (fmt or path.suffix.lstrip(".")).lower()
    if f == "jpeg":
        f = "jpg"
    if f not in allowed:
        raise ExportError(f"cannot export {path}: unknown format {f or '(none)'!r}; "
                          f"use one of {', '.join(allowed)}")
    return f


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def _write_bytes(f, data: bytes) -> None:
    """The one place bytes reach a file (tests replace it to simulate a full disk)."""
    f.write(data)


def _cause(err: OSError, path: Path) -> str:
    if isinstance(err, FileNotFoundError) and not path.parent.exists():
        return f"directory {path.parent} does not exist"
    if isinstance(err, PermissionError):
        return f"permission denied ({err.strerror or err})"
    return err.strerror or str(err) or type(err).__name__


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` all-or-nothing; ``ExportError`` on any failure."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            _write_bytes(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise ExportError(f"cannot write {path}: {_cause(err, path)}") from err
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


def slugify(name: str) -> str:
    """'DRAM vs SRAM size' -> 'dram-vs-sram-size' (file-name safe, never empty)."""
    s = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    return s or "plot"


# --------------------------------------------------------------------------- items

def _root_item(plot) -> QtWidgets.QGraphicsWidget:
    """The graphics item that is exported for ``plot``."""
    if isinstance(plot, pg.GraphicsView):          # PlotWidget, GraphicsLayoutWidget
        item = plot.centralWidget
    elif isinstance(plot, QtWidgets.QGraphicsWidget):
        item = plot
    else:
        raise TypeError(f"cannot export {type(plot).__name__}: expected a pyqtgraph "
                        "PlotItem, PlotWidget or GraphicsLayoutWidget")
    if item is None:
        raise ExportError("cannot export an empty plot widget (no central item)")
    return item


def _walk(item: QtWidgets.QGraphicsItem) -> Iterable[QtWidgets.QGraphicsItem]:
    """``item`` and all its descendants, parents first."""
    yield item
    for ch in item.childItems():
        yield from _walk(ch)


def _plot_items(plot) -> list[pg.PlotItem]:
    root = _root_item(plot)
    if isinstance(root, pg.PlotItem):
        return [root]
    items = [it for it in _walk(root) if isinstance(it, pg.PlotItem)]
    items.sort(key=lambda p: (round(p.scenePos().y()), round(p.scenePos().x())))
    return items


def _plain(html_text: str) -> str:
    doc = QtGui.QTextDocument()
    doc.setHtml(html_text or "")
    return doc.toPlainText().strip()


_BR = re.compile(r"<br\s*/?>|\n", re.IGNORECASE)


def _title_parts(plot) -> tuple[str, str]:
    """(first line as plain text, the HTML of any further lines) of a plot's title.

    Plots may put a colour key under the title (``title<br>key``); the key is kept
    as rich text so an export that replaces the title can still show it.
    """
    try:
        root = _root_item(plot)
    except TypeError:
        return "", ""
    if not (isinstance(root, pg.PlotItem) and root.titleLabel.isVisible()):
        return "", ""
    html_text = root.titleLabel.text or ""
    parts = _BR.split(html_text, maxsplit=1)
    first = _plain(parts[0])
    rest = parts[1] if len(parts) > 1 and _plain(parts[1]) else ""
    if not first and rest:
        return _title_parts_from(rest)
    return first, rest


def _title_parts_from(html_text: str) -> tuple[str, str]:
    parts = _BR.split(html_text, maxsplit=1)
    return _plain(parts[0]), (parts[1] if len(parts) > 1 else "")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def plot_title(plot) -> str:
    """The plain-text title of a plot: its first line (empty if none is shown)."""
    return _title_parts(plot)[0]


def _axis_title(ax: pg.AxisItem | None) -> str:
    """'SRAM size (MB)' from an AxisItem's label text and units."""
    if ax is None:
        return ""
    text = (getattr(ax, "labelText", "") or "").strip()
    units = getattr(ax, "labelUnits", "") or ""
    if units:
        # with auto SI prefix the prefix only scales the tick labels; the data are in
        # plain units. Without it an explicit prefix is part of the unit.
        prefix = "" if getattr(ax, "autoSIPrefix", False) else (ax.labelUnitPrefix or "")
        text = f"{text} ({prefix}{units})".strip()
    return _one_line(_plain(text) if "<" in text else text)


def _luminance(c: QtGui.QColor) -> float:
    return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()


def _darken(c: QtGui.QColor, target: float = 0.5) -> QtGui.QColor:
    """``c`` made dark enough to read on white (hue kept)."""
    if _luminance(c) <= 0.62:
        return QtGui.QColor(c)
    h, s, l, a = c.getHslF()
    out = QtGui.QColor(c)
    while _luminance(out) > target and l > 0.02:
        l -= 0.04
        out = QtGui.QColor.fromHslF(max(h, 0.0), s, max(l, 0.0), a)
    return out


# --------------------------------------------------------------------------- restyling

class _Changes:
    """Records undo actions while an export changes a live plot; undoes in reverse."""

    def __init__(self):
        self._undo: list[Callable[[], None]] = []

    def add(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def undo_all(self) -> None:
        errors = []
        while self._undo:
            fn = self._undo.pop()
            try:
                fn()
            except Exception as err:  # keep restoring the rest
                errors.append(err)
        if errors:
            raise errors[0]


def _scaled_pen(pen: QtGui.QPen, s: float, min_width: float = 0.0,
                color: QtGui.QColor | None = None, darken: bool = False) -> QtGui.QPen:
    """A copy of ``pen`` as it must be set to look right at export scale ``s``.

    pyqtgraph pens are cosmetic (width in device pixels), so the painter's scale does
    not widen them: the width is multiplied here instead.
    """
    new = QtGui.QPen(pen)
    if new.style() == QtCore.Qt.PenStyle.NoPen:
        return new
    if color is not None:
        c = QtGui.QColor(color)
        c.setAlphaF(pen.color().alphaF())
        new.setColor(c)
    elif darken:
        new.setColor(_darken(pen.color()))
    if new.isCosmetic():
        w = max(pen.widthF() or 1.0, min_width)
        new.setWidthF(w * s)
    return new


def _ctx_family(style: Style) -> str:
    return style.font_family or bundled_family()


def _apply_style(root, style: Style, s: float, bg_light: bool, ch: _Changes,
                 hide_plot_title: bool) -> None:
    """Apply ``style`` (at export scale ``s``) to the items under ``root``."""
    family = _ctx_family(style)
    fg = QtGui.QColor(style.foreground) if style.foreground else None
    darken = style.darken_light_colors and bg_light

    for item in list(_walk(root)):
        # --- items drawn in device units would not follow the export scale
        flags = item.flags()
        IGN = QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
        parent = item.parentItem()
        if flags & IGN and (parent is None or parent.sceneTransform().type().value
                            <= QtGui.QTransform.TransformationType.TxTranslate.value):
            item.setFlag(IGN, False)
            ch.add(lambda it=item: it.setFlag(IGN, True))

        if isinstance(item, pg.AxisItem):
            _style_axis(item, style, s, fg, family, ch)
        elif isinstance(item, pg.PlotCurveItem):
            _style_curve(item, style, s, darken, ch)
        elif isinstance(item, pg.BarGraphItem):
            pen = item.opts.get("pen")
            if pen is not None and item.opts.get("pens") is None:
                old = pen
                newpen = _scaled_pen(pg.mkPen(pen), s, 0.0, darken=darken)
                item.setOpts(pen=newpen)
                ch.add(lambda it=item, o=old: it.setOpts(pen=o))
        elif isinstance(item, pg.InfiniteLine):
            old = item.pen
            item.setPen(_scaled_pen(old, s, min(style.line_width, 3.0) * 0.6,
                                    darken=darken))
            ch.add(lambda it=item, o=old: it.setPen(o))
        elif isinstance(item, pg.LegendItem):
            _style_legend(item, style, fg, family, ch)
        elif isinstance(item, pg.TextItem) and style.legend_px:
            old_font = item.textItem.font()
            f = QtGui.QFont(old_font)
            f.setFamily(family)
            f.setPixelSize(max(1, int(round(style.legend_px * 0.9))))
            item.setFont(f)
            ch.add(lambda it=item, o=old_font: it.setFont(o))
            if darken and getattr(item, "color", None) is not None:
                old_color = QtGui.QColor(item.color)
                item.setColor(_darken(old_color))
                ch.add(lambda it=item, o=old_color: it.setColor(o))

    if hide_plot_title and isinstance(root, pg.PlotItem):
        _hide_title(root, ch)


def _style_axis(ax: pg.AxisItem, style: Style, s: float, fg, family, ch: _Changes):
    saved = {
        "_pen": getattr(ax, "_pen", None),
        "_textPen": getattr(ax, "_textPen", None),
        "labelStyle": dict(ax.labelStyle),
        # setStyle() mutates the tickTextOffset list in place: copy lists
        "style": {k: (list(v) if isinstance(v, list) else v) for k, v in ax.style.items()},
        "textWidth": ax.textWidth,
        "textHeight": ax.textHeight,
        "_tickLevels": getattr(ax, "_tickLevels", None),
    }

    def undo():
        for k, v in saved.items():
            setattr(ax, k, v)
        ax.picture = None
        ax._updateLabel()        # label html, then _adjustSize() (width / height)
        ax.update()

    ch.add(undo)
    base = ax.pen()
    width = style.axis_width
    pen = QtGui.QPen(base)
    if fg is not None:
        pen.setColor(fg)
    if pen.isCosmetic():
        pen.setWidthF((width if width is not None else max(base.widthF(), 1.0)) * s)
    ax.setPen(pen)             # also sets the label colour
    if fg is not None:
        ax.setTextPen(fg)
    kw: dict[str, Any] = {}
    if style.tick_px:
        kw["tickFont"] = _font(style.tick_px, family=family)
        vertical = ax.orientation in ("left", "right")
        kw["tickTextOffset"] = int(max(5, round(style.tick_px * 0.35)) if vertical
                                   else max(2, round(style.tick_px * 0.2)))
    if style.tick_length is not None:
        kw["tickLength"] = int(style.tick_length)
    if style.sparse_tick_labels and getattr(ax, "logMode", False) and ax._tickLevels is None:
        _decade_ticks(ax)
    if kw:
        ax.setStyle(**kw)
    if style.label_px:
        ax.labelStyle = dict(ax.labelStyle, **{"font-size": f"{style.label_px:g}px",
                                               "font-family": family})
        ax._updateLabel()


def _decade_ticks(ax: pg.AxisItem) -> None:
    """Label only the decades of a log axis; minor ticks stay, unlabelled.

    pyqtgraph puts every log tick (0.1, 0.2 ... 0.9, 1, 2 ...) in one tick level when
    the range spans a few decades, so nothing thins the labels out; with slide-size
    fonts they overlap.
    """
    lo, hi = sorted(float(v) for v in ax.range)
    first, last = math.floor(lo), math.ceil(hi)
    decades = [d for d in range(first, last + 1) if lo - 1e-9 <= d <= hi + 1e-9]
    if len(decades) < 2 or last - first > 60:
        return
    minors = [d + math.log10(k) for d in range(first, last) for k in range(2, 10)]
    minors = [v for v in minors if lo <= v <= hi]
    labels = ax.logTickStrings(decades, 1.0, 1.0)
    ax.setTicks([list(zip(decades, labels)), [(v, "") for v in minors]])


def _style_curve(c: pg.PlotCurveItem, style: Style, s: float, darken: bool, ch):
    # one path per curve (not a polyline per segment): joins stay clean at large
    # widths and the SVG holds the curve as one element
    old_mode = c.opts.get("segmentedLineMode")
    if old_mode is not None:
        c.opts["segmentedLineMode"] = "off"
        ch.add(lambda: c.opts.__setitem__("segmentedLineMode", old_mode))
    # a PlotDataItem re-applies its own pens to its curve on every view change, so
    # its pens are the ones to change
    owner = c.parentItem() if isinstance(c.parentItem(), pg.PlotDataItem) else c
    old = {k: owner.opts.get(k) for k in ("pen", "shadowPen")}
    new = {}
    for k, pen in old.items():
        if pen is not None:
            new[k] = _scaled_pen(pg.mkPen(pen), s, style.line_width,
                                 darken=darken and k == "pen")

    def put(values):
        for k, v in values.items():
            owner.opts[k] = v
        if owner is c:
            c.invalidateBounds()
            c.update()
        else:
            owner.updateItems(styleUpdate=True)
    if new:
        ch.add(lambda: put(old))
        put(new)


def _style_legend(leg: pg.LegendItem, style: Style, fg, family, ch: _Changes):
    saved_opts = dict(leg.opts)
    saved_geometry = leg.geometry()
    saved_labels = [(label, label.text, dict(label.opts)) for _, label in leg.items]

    def undo():
        leg.opts.clear()
        leg.opts.update(saved_opts)
        for label, text, opts in saved_labels:
            label.opts = opts
            label.setText(text)
        # bigger labels grew the legend (a widget without a parent layout only grows):
        # put its old size back, then lay the labels out in it again
        leg.setGeometry(saved_geometry)
        lay = QtWidgets.QGraphicsWidget.layout(leg)
        if lay is not None:
            lay.invalidate()
            lay.activate()
    ch.add(undo)
    for label, text, _ in saved_labels:
        kw: dict[str, Any] = {}
        if style.legend_px:
            kw["size"] = f"{style.legend_px:g}px"
            kw["family"] = family
        if fg is not None:
            kw["color"] = fg.name()
        if kw:
            label.setText(text, **kw)


def _hide_title(pi: pg.PlotItem, ch: _Changes):
    lbl = pi.titleLabel
    lay = QtWidgets.QGraphicsWidget.layout(pi)
    saved = (lbl.isVisible(), lbl.maximumHeight(), lay.rowMinimumHeight(0),
             lay.rowMaximumHeight(0))

    def undo():
        vis, maxh, rmin, rmax = saved
        lbl.setMaximumHeight(maxh)
        lay.setRowMinimumHeight(0, rmin)
        lay.setRowMaximumHeight(0, rmax)
        lbl.setVisible(vis)
    ch.add(undo)
    lbl.setVisible(False)
    lay.setRowFixedHeight(0, 0)
    lbl.setMaximumHeight(0)


def _set_export_mode(root, opts: dict, s: float, style: Style, ch: _Changes):
    items = [it for it in _walk(root) if hasattr(it, "setExportMode")]
    for it in items:
        o = dict(opts)
        if isinstance(it, pg.ScatterPlotItem):
            o["resolutionScale"] = s * style.symbol_scale
        it.setExportMode(True, o)
    ch.add(lambda: [it.setExportMode(False) for it in items])


def _hide_others(root, ch: _Changes):
    """Hide everything in the scene that is not ``root``, its ancestors or children."""
    node = root
    while node is not None:
        parent = node.parentItem()
        siblings = parent.childItems() if parent is not None else [
            it for it in node.scene().items() if it.parentItem() is None]
        for sib in siblings:
            if sib is not node and sib.isVisible():
                sib.setVisible(False)
                ch.add(lambda it=sib: it.setVisible(True))
        node = parent


def _activate_layouts(root):
    for it in _walk(root):
        if isinstance(it, QtWidgets.QGraphicsWidget):
            lay = QtWidgets.QGraphicsWidget.layout(it)
            if lay is not None:
                lay.activate()


def _axis_geometry(root):
    return [(it.geometry().getRect(), getattr(it, "textWidth", 0), getattr(it, "textHeight", 0))
            for it in _walk(root) if isinstance(it, (pg.AxisItem, pg.ViewBox))]


# --------------------------------------------------------------------------- rendering

def _screen_dpi() -> float:
    app = QtGui.QGuiApplication.instance()
    screen = app.primaryScreen() if app is not None else None
    return float(screen.logicalDotsPerInch()) if screen is not None else 96.0


def _export_scale(style: Style, w: int, h: int, scale: float | None) -> float:
    if scale:
        return float(scale)
    ref_h = float(style.reference_height)
    ref_w = ref_h * 16.0 / 9.0
    return math.sqrt(w * h / (ref_w * ref_h))


def _background(root, style: Style) -> QtGui.QColor:
    if style.background is not None:
        return QtGui.QColor(style.background)
    scene = root.scene()
    views = scene.views() if scene is not None else []
    if views:
        brush = views[0].backgroundBrush()
        if brush.style() == QtCore.Qt.BrushStyle.NoBrush:
            return QtGui.QColor(0, 0, 0, 0)
        return QtGui.QColor(brush.color())
    return pg.mkColor(pg.getConfigOption("background"))


def _check_size(size) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ExportError(f"export size {size!r}: expected (width, height) in pixels") from None
    if not (1 <= w <= 20000 and 1 <= h <= 20000):
        raise ExportError(f"export size {w}x{h}: width and height must be 1..20000 pixels")
    return w, h


class _Render:
    """One export render of a plot: prepare (restyle, resize), paint, restore."""

    def __init__(self, plot, size, style, title, footnote, scale):
        self.plot = plot
        self.root = _root_item(plot)
        self.w, self.h = _check_size(size)
        self.style = get_style(style)
        self.s = _export_scale(self.style, self.w, self.h, scale)
        own_title, own_rest = _title_parts(plot)
        if title is None and self.style.title_from_plot:
            title = own_title or None
        self.title = _one_line(title or "")
        self.footnote = _one_line(footnote or "")
        # the plot's own small title is replaced by ours when we draw one; its extra
        # lines (a colour key) move under our title as a subtitle
        self.hide_plot_title = bool(self.title) and bool(own_title)
        self.subtitle = own_rest if self.hide_plot_title else ""

    # logical canvas
    def layout(self):
        st, s = self.style, self.s
        lw, lh = self.w / s, self.h / s
        m = st.margin_px
        top = m + (st.title_px * 1.45 if self.title else 0.0) + self._subtitle_height()
        bottom = m + (st.footnote_px * 1.6 if self.footnote else 0.0)
        plot_rect = QtCore.QRectF(m, top, max(lw - 2 * m, 10.0), max(lh - top - bottom, 10.0))
        return lw, lh, plot_rect

    def _subtitle_doc(self):
        """The subtitle as a QTextDocument and the scale that makes its text about
        ``legend_px`` (or ``footnote_px``) reference pixels high."""
        if not self.subtitle:
            return None, 1.0
        doc = QtGui.QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(_font(12, family=_ctx_family(self.style)))
        doc.setHtml(self.subtitle)
        base = QtGui.QFontMetricsF(doc.defaultFont()).height()
        line_h = max(doc.size().height() / max(doc.blockCount(), 1), base, 1.0)
        want = (self.style.legend_px or self.style.footnote_px * 1.2) * 1.3
        return doc, max(want / line_h, 1.0)

    def _subtitle_height(self) -> float:
        doc, k = self._subtitle_doc()
        return doc.size().height() * k + self.style.margin_px * 0.3 if doc else 0.0

    def __enter__(self):
        QtWidgets.QApplication.processEvents(
            QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        self.temp_scene = None
        if self.root.scene() is None:
            self.temp_scene = pg.GraphicsScene()
            self.temp_scene.addItem(self.root)
        self.bg = _background(self.root, self.style)
        self.bg_light = self.bg.alpha() < 128 or _luminance(self.bg) > 0.5
        if self.style.foreground:
            self.fg = QtGui.QColor(self.style.foreground)
        else:
            self.fg = QtGui.QColor("#1a1a1a" if self.bg_light else "#f0f0f0")
        self.changes = ch = _Changes()
        root = self.root
        try:
            old_geom = root.geometry()

            def restore_geometry():
                root.setGeometry(old_geom)
                _activate_layouts(root)
                root.update()
            ch.add(restore_geometry)
            _hide_others(root, ch)
            _set_export_mode(root, {"antialias": True, "background": self.bg,
                                    "painter": None, "resolutionScale": self.s},
                             self.s, self.style, ch)
            _apply_style(root, self.style, self.s, self.bg_light, ch, self.hide_plot_title)
            _, _, rect = self.layout()
            root.setGeometry(QtCore.QRectF(root.pos(), rect.size()))
            _activate_layouts(root)
            # axes size themselves to their tick labels while painting: let them
            # measure at the final size before the real paint
            for _ in range(3):
                before = _axis_geometry(root)
                scratch = self._new_image()
                p = QtGui.QPainter(scratch)
                try:
                    self._paint(p)
                finally:
                    p.end()
                _activate_layouts(root)
                if _axis_geometry(root) == before:
                    break
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc):
        self._restore()
        return False

    def _restore(self):
        try:
            self.changes.undo_all()
        finally:
            if self.temp_scene is not None:
                self.temp_scene.removeItem(self.root)
                self.temp_scene = None

    def _new_image(self) -> QtGui.QImage:
        img = QtGui.QImage(self.w, self.h, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(1.0)
        dpm = round(_screen_dpi() / 0.0254)   # text measured like on screen
        img.setDotsPerMeterX(dpm)
        img.setDotsPerMeterY(dpm)
        img.fill(self.bg)
        return img

    def _paint(self, p: QtGui.QPainter, svg: bool = False):
        st, s = self.style, self.s
        lw, lh, rect = self.layout()
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
        p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
        p.save()
        p.scale(s, s)
        if svg and self.bg.alpha() > 0:
            p.fillRect(QtCore.QRectF(0, 0, lw, lh), self.bg)
        m = st.margin_px
        if self.title:
            f = _font(st.title_px, bold=True, family=_ctx_family(st))
            p.setFont(f)
            p.setPen(self.fg)
            band = QtCore.QRectF(m, m * 0.5, lw - 2 * m, st.title_px * 1.45 + m * 0.5)
            text = QtGui.QFontMetricsF(f).elidedText(self.title, QtCore.Qt.TextElideMode.ElideRight,
                                                     band.width())
            p.drawText(band, int(QtCore.Qt.AlignmentFlag.AlignHCenter
                                 | QtCore.Qt.AlignmentFlag.AlignVCenter), text)
        doc, k = self._subtitle_doc()
        if doc is not None:
            width = doc.idealWidth() * k
            if width > lw - 2 * m:               # too wide: shrink to fit
                k *= (lw - 2 * m) / width
                width = lw - 2 * m
            p.save()
            p.translate((lw - width) / 2.0, m + st.title_px * 1.45)
            p.scale(k, k)
            doc.drawContents(p)
            p.restore()
        scene = self.root.scene()
        source = self.root.sceneBoundingRect()
        scene.render(p, rect, source, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio)
        if self.footnote:
            f = _font(st.footnote_px, family=_ctx_family(st))
            p.setFont(f)
            c = QtGui.QColor(self.fg)
            c.setAlphaF(0.8)
            p.setPen(c)
            band = QtCore.QRectF(m, lh - m - st.footnote_px * 1.5, lw - 2 * m,
                                 st.footnote_px * 1.5)
            text = QtGui.QFontMetricsF(f).elidedText(self.footnote,
                                                     QtCore.Qt.TextElideMode.ElideRight,
                                                     band.width())
            p.drawText(band, int(QtCore.Qt.AlignmentFlag.AlignLeft
                                 | QtCore.Qt.AlignmentFlag.AlignVCenter), text)
        p.restore()

    def image(self) -> QtGui.QImage:
        img = self._new_image()
        p = QtGui.QPainter(img)
        try:
            self._paint(p)
        finally:
            p.end()
        return img

    def svg(self) -> bytes:
        buf = QtCore.QBuffer()
        buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
        gen = QtSvg.QSvgGenerator(QtSvg.QSvgGenerator.SvgVersion.Svg11)
        gen.setOutputDevice(buf)
        gen.setSize(QtCore.QSize(self.w, self.h))
        gen.setViewBox(QtCore.QRect(0, 0, self.w, self.h))
        gen.setResolution(round(_screen_dpi()))   # same text metrics as on screen
        gen.setTitle(self.title or "sramfit plot")
        gen.setDescription(self.footnote or "exported by sramfit")
        p = QtGui.QPainter(gen)
        try:
            self._paint(p, svg=True)
        finally:
            p.end()
        buf.close()
        return bytes(buf.data())


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


def render_svg(plot, size=DEFAULT_SIZE, *, style: Style | str = "screen",
               title: str | None = None, footnote: str | None = None,
               dpi: float | None = None, scale: float | None = None) -> bytes:
    """The plot as SVG 1.1 bytes, ``viewBox="0 0 W H"``, curves as vector paths."""
    with _Render(plot, size, style, title, footnote, scale) as r:
        data = r.svg()
    w, h = r.w, r.h
    return _clean_svg(data, w, h, dpi)


# --------------------------------------------------------------------------- SVG cleanup

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"([A-Za-z])|({_NUM})")
_MATRIX = re.compile(rf"^\s*matrix\(\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,"
                     rf"\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*$")


def _fmt(v: float) -> str:
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _q(tag: str) -> str:
    return f"{{{SVG_NS}}}{tag}"


def _flatten_group(g: ET.Element) -> bool:
    """Bake a group's ``matrix()`` into its children's coordinates.

    Qt writes cosmetic pens (all pyqtgraph lines) as ``vector-effect:
    non-scaling-stroke`` inside a group scaled to data coordinates. Renderers that
    ignore ``vector-effect`` (PowerPoint, GIMP, older Inkscape, resvg) then draw the
    stroke hundreds of pixels wide. With the transform baked in, strokes are plain
    user units and every SVG renderer agrees.
    """
    m = _MATRIX.match(g.get("transform", ""))
    if not m:
        return False
    a, b, c, d, e, f = (float(v) for v in m.groups())
    children = list(g)
    if not children:
        return False
    stroked = g.get("stroke", "none") != "none"
    values = list(g.attrib.values()) + [v for ch in children for v in ch.attrib.values()]
    if any("url(" in v for v in values):
        return False                # gradients / patterns live in local coordinates
    for ch in children:
        tag = ch.tag.split("}")[-1]
        if tag not in ("path", "polyline", "polygon", "rect", "line", "ellipse"):
            return False
        if tag == "ellipse" and not (b == 0 and c == 0):
            return False
        if stroked and ch.get("vector-effect") != "non-scaling-stroke" \
                and ch.get("stroke", "") != "none" and not (a == d == 1 and b == c == 0):
            return False            # a scaling stroke would change width

    def tx(x, y):
        return a * x + c * y + e, b * x + d * y + f

    new_children = []
    for ch in children:
        tag = ch.tag.split("}")[-1]
        if tag == "path":
            out, nums, cmd = [], [], None
            for letter, num in _TOKEN.findall(ch.get("d", "")):
                if letter:
                    if letter not in "MLCZz":
                        return False
                    if nums:
                        return False
                    out.append(letter)
                    cmd = letter
                else:
                    nums.append(float(num))
                    if len(nums) == 2:
                        x, y = tx(*nums)
                        out.append(f"{_fmt(x)},{_fmt(y)}")
                        nums = []
            if nums or cmd is None:
                return False
            d_attr = " ".join(out).replace("M ", "M").replace("L ", "L").replace("C ", "C")
            new_children.append((ch, {"d": d_attr}, None))
        elif tag in ("polyline", "polygon"):
            vals = [float(v) for _, v in _TOKEN.findall(ch.get("points", "")) if v]
            if len(vals) % 2:
                return False
            pts = [tx(vals[i], vals[i + 1]) for i in range(0, len(vals), 2)]
            new_children.append((ch, {"points": " ".join(f"{_fmt(x)},{_fmt(y)}"
                                                         for x, y in pts)}, None))
        elif tag == "rect":
            x, y = float(ch.get("x", 0)), float(ch.get("y", 0))
            w, h = float(ch.get("width", 0)), float(ch.get("height", 0))
            corners = [tx(x, y), tx(x + w, y), tx(x + w, y + h), tx(x, y + h)]
            dd = "M" + " L".join(f"{_fmt(px)},{_fmt(py)}" for px, py in corners) + " Z"
            new_children.append((ch, {"d": dd}, "path"))
        elif tag == "line":
            x1, y1 = tx(float(ch.get("x1", 0)), float(ch.get("y1", 0)))
            x2, y2 = tx(float(ch.get("x2", 0)), float(ch.get("y2", 0)))
            new_children.append((ch, {"x1": _fmt(x1), "y1": _fmt(y1), "x2": _fmt(x2),
                                      "y2": _fmt(y2)}, None))
        else:  # ellipse, axis-aligned transform only
            cx, cy = tx(float(ch.get("cx", 0)), float(ch.get("cy", 0)))
            new_children.append((ch, {"cx": _fmt(cx), "cy": _fmt(cy),
                                      "rx": _fmt(abs(a) * float(ch.get("rx", 0))),
                                      "ry": _fmt(abs(d) * float(ch.get("ry", 0)))}, None))
    for ch, attrs, newtag in new_children:
        if newtag == "path":
            for k in ("x", "y", "width", "height", "rx", "ry"):
                ch.attrib.pop(k, None)
            ch.tag = _q("path")
        ch.attrib.update(attrs)
        if ch.get("vector-effect") == "non-scaling-stroke":
            del ch.attrib["vector-effect"]
    del g.attrib["transform"]
    return True


def _prune_empty(el: ET.Element) -> None:
    for ch in list(el):
        if ch.tag == _q("g"):
            _prune_empty(ch)
            if len(ch) == 0 and not (ch.text or "").strip():
                el.remove(ch)


def _clean_svg(data: bytes, w: int, h: int, dpi: float | None) -> bytes:
    """Make Qt's SVG portable: baked transforms, no empty groups, physical size."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:  # pragma: no cover - Qt wrote something odd
        raise ExportError(f"the SVG renderer produced invalid XML: {err}") from err
    for g in root.iter(_q("g")):
        if "transform" in g.attrib:
            _flatten_group(g)
    _prune_empty(root)
    dpi_eff = float(dpi) if dpi else _screen_dpi()
    root.set("width", f"{w / dpi_eff * 25.4:.3f}mm")
    root.set("height", f"{h / dpi_eff * 25.4:.3f}mm")
    root.set("viewBox", f"0 0 {w} {h}")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + body + "\n"
            ).encode("utf-8")


# --------------------------------------------------------------------------- CSV

def _num(v) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return str(int(v))
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return ""
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


def _real(values, axis_log: bool, item_log: bool) -> np.ndarray:
    """Plotted coordinates -> the quantity the axis shows (undo pre-logged data)."""
    v = np.asarray(values, dtype=float)
    if axis_log and not item_log:
        with np.errstate(over="ignore"):
            v = np.power(10.0, v)
        # 10**log10(8) is 7.999999999999999: drop the round-trip noise
        v = np.array([float(f"{x:.12g}") for x in v.ravel()]).reshape(v.shape)
    return v


def _tick_labels(ax: pg.AxisItem) -> dict[float, str]:
    levels = getattr(ax, "_tickLevels", None) or []
    out: dict[float, str] = {}
    for level in levels[:1]:
        for value, label in level:
            out[round(float(value), 9)] = str(label)
    return out


def _scatter_visible(item: pg.ScatterPlotItem) -> bool:
    def seen_brush(b):
        b = pg.mkBrush(b) if b is not None else None
        return b is not None and b.style() != QtCore.Qt.BrushStyle.NoBrush and b.color().alpha() > 0

    def seen_pen(p):
        p = pg.mkPen(p) if p is not None else None
        return p is not None and p.style() != QtCore.Qt.PenStyle.NoPen and p.color().alpha() > 0

    if seen_brush(item.opts.get("brush")) or seen_pen(item.opts.get("pen")):
        return True
    data = getattr(item, "data", None)
    if data is not None and len(data):
        for key, fn in (("brush", seen_brush), ("pen", seen_pen)):
            for v in data[key]:
                if v is not None and fn(v):
                    return True
    return False


def _bar_rows(item: pg.BarGraphItem):
    o = item.opts

    def arr(k):
        v = o.get(k)
        return None if v is None else np.asarray(v, dtype=float)

    x, x0, x1, width = arr("x"), arr("x0"), arr("x1"), arr("width")
    y, y0, y1, height = arr("y"), arr("y0"), arr("y1"), arr("height")
    if x0 is None:
        x0 = x1 - width if x1 is not None else x - width / 2.0
    if x1 is None:
        x1 = x0 + width
    if y0 is None:
        y0 = (y1 - height if y1 is not None and height is not None else
              y - height / 2.0 if y is not None and height is not None else np.zeros(1))
    if y1 is None:
        y1 = y0 + height
    x0, x1, y0, y1 = np.broadcast_arrays(x0, x1, y0, y1)
    horizontal = (np.ndim(o.get("height")) == 0 and o.get("y1") is None
                  and (np.ndim(o.get("width")) > 0 or np.ndim(o.get("x1")) > 0))
    if horizontal:
        pos = (y0 + y1) / 2.0 if y is None else np.broadcast_to(y, y0.shape)
        return horizontal, pos, x1, x0
    pos = (x0 + x1) / 2.0 if x is None else np.broadcast_to(x, x0.shape)
    return horizontal, pos, y1, y0


def _series(pi: pg.PlotItem):
    """[(name, x_real, y_real, extra: dict[str, list])], notes for one PlotItem."""
    xa, ya = pi.getAxis("bottom"), pi.getAxis("left")
    xlog, ylog = bool(getattr(xa, "logMode", False)), bool(getattr(ya, "logMode", False))
    out, notes = [], []
    k = 0
    for item in pi.listDataItems():
        if not item.isVisible():
            continue
        k += 1
        name = None
        if hasattr(item, "name"):
            name = item.name()
        name = name or (item.opts.get("name") if hasattr(item, "opts") else None)
        name = _one_line(_plain(str(name))) if name else f"series {k}"
        extra: dict[str, list] = {}
        if isinstance(item, pg.PlotDataItem):
            x, y = item.getOriginalDataset()
            if x is None or y is None:
                continue
            lm = item.opts.get("logMode", [False, False])
            x, y = np.asarray(x, float), np.asarray(y, float)
            if len(x) == len(y) + 1:           # stepMode="center": x are edges
                x = (x[:-1] + x[1:]) / 2.0
            x, y = _real(x, xlog, lm[0]), _real(y, ylog, lm[1])
        elif isinstance(item, pg.BarGraphItem):
            horizontal, pos, val, base = _bar_rows(item)
            if horizontal:
                y, x = _real(pos, ylog, False), _real(val, xlog, False)
                base_real, val_log, pos_axis = _real(base, xlog, False), xlog, ya
            else:
                x, y = _real(pos, xlog, False), _real(val, ylog, False)
                base_real, val_log, pos_axis = _real(base, ylog, False), ylog, xa
            labels = _tick_labels(pos_axis)
            if labels:
                extra["label"] = [labels.get(round(float(p), 9), "") for p in pos]
            if not val_log and np.any(base_real != 0):
                extra["bar base"] = list(base_real)
        elif isinstance(item, pg.ScatterPlotItem):
            if not _scatter_visible(item):
                continue
            x, y = item.getData()
            x, y = _real(x, xlog, False), _real(y, ylog, False)
        elif hasattr(item, "getData"):
            x, y = item.getData()
            if x is None or y is None:
                continue
            x, y = _real(x, xlog, False), _real(y, ylog, False)
        else:
            continue
        x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
        keep = np.isfinite(x) & np.isfinite(y)
        if not keep.any():
            continue
        extra = {k2: [v for v, kp in zip(vals, keep) if kp] for k2, vals in extra.items()}
        out.append((name, x[keep], y[keep], extra))
    out += _right_axis_series(pi, xlog)
    for item in pi.items:
        if not item.isVisible():
            continue
        if isinstance(item, pg.InfiniteLine):
            angle = item.angle % 180
            if angle not in (0, 90):
                continue
            ax, log = (xa, xlog) if angle == 90 else (ya, ylog)
            val = float(_real(item.value(), log, False))
            label = ""
            if getattr(item, "label", None) is not None and item.label.isVisible():
                label = item.label.toPlainText().strip()
            label = label or (item.name() if hasattr(item, "name") and item.name() else "line")
            notes.append(f"line: {_one_line(label)} at {_axis_title(ax) or ('x' if angle == 90 else 'y')}"
                         f" = {_num(val)}")
        elif isinstance(item, pg.TextItem) and not isinstance(item, pg.InfLineLabel):
            text = item.toPlainText().strip()
            if text:
                notes.append(f"note: {_one_line(text)}")
    return out, notes


def _right_axis_series(pi: pg.PlotItem, xlog: bool):
    """Curves drawn in a second ViewBox tied to the right axis (e.g. latency beside
    throughput): their values go into a column named after the right axis, the left-axis
    column stays empty, so no value is read against the wrong unit."""
    if "right" not in pi.axes:
        return []
    ra = pi.getAxis("right")
    vb = ra.linkedView() if ra.isVisible() else None
    if vb is None or vb is pi.getViewBox():
        return []
    title = _axis_title(ra) or "right axis"
    rlog = bool(getattr(ra, "logMode", False))
    out = []
    for item in vb.addedItems:
        if not (isinstance(item, pg.PlotDataItem) and item.isVisible()):
            continue
        x, y = item.getOriginalDataset()
        if x is None or y is None:
            continue
        lm = item.opts.get("logMode", [False, False])
        x = _real(np.asarray(x, float), xlog, lm[0])
        y = _real(np.asarray(y, float), rlog, lm[1])
        keep = np.isfinite(x) & np.isfinite(y)
        name = _one_line(_plain(str(item.name() or title)))
        out.append((name, x[keep], np.full(int(keep.sum()), np.nan), {title: list(y[keep])}))
    return out


def plot_csv(plot, *, title: str | None = None, footnote: str | None = None,
             columns: Mapping[str, Sequence] | None = None) -> str:
    """The plotted data as CSV text (see ``export_plot``)."""
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    first, rest = _title_parts(plot)
    title = _one_line(title if title is not None else first)
    if title:
        buf.write(f"# title: {title}\n")
    if rest and _plain(rest):
        buf.write(f"# key: {_one_line(_plain(rest))}\n")
    if footnote:
        buf.write(f"# footnote: {_one_line(footnote)}\n")
    if columns is not None:
        names = list(columns)
        cols = [list(np.asarray(columns[n]).tolist()) if not isinstance(columns[n], list)
                else list(columns[n]) for n in names]
        lengths = {len(c) for c in cols}
        if len(lengths) > 1:
            raise ValueError(f"columns have different lengths: "
                             f"{dict(zip(names, map(len, cols)))}")
        wr.writerow(names)
        for row in zip(*cols):
            wr.writerow([_num(v) for v in row])
        return buf.getvalue()

    plots = _plot_items(plot)
    blocks = []
    for pi in plots:
        series, notes = _series(pi)
        blocks.append((pi, series, notes))
    labels = {(_axis_title(pi.getAxis("bottom")), _axis_title(pi.getAxis("left")))
              for pi, _, _ in blocks}
    shared = len(labels) == 1
    xl, yl = next(iter(labels)) if shared else ("x", "y")
    xl, yl = xl or "x", yl or "y"
    multi = len(blocks) > 1
    for pi, _, notes in blocks:
        prefix = f"[{plot_title(pi) or 'plot'}] " if multi else ""
        if multi and not shared:
            buf.write(f"# {prefix}x = {_axis_title(pi.getAxis('bottom')) or 'x'}, "
                      f"y = {_axis_title(pi.getAxis('left')) or 'y'}\n")
        for n in notes:
            buf.write(f"# {prefix}{n}\n")
    extra_names: list[str] = []
    for _, series, _ in blocks:
        for *_, extra in series:
            for k in extra:
                if k not in extra_names:
                    extra_names.append(k)
    header = (["plot"] if multi else []) + ["series", xl, yl] + extra_names
    wr.writerow(header)
    for pi, series, _ in blocks:
        ptitle = plot_title(pi) or "plot"
        for name, x, y, extra in series:
            for i in range(len(x)):
                row = ([ptitle] if multi else []) + [name, _num(x[i]), _num(y[i])]
                row += [_num(extra[k][i]) if k in extra else "" for k in extra_names]
                wr.writerow(row)
    return buf.getvalue()


# --------------------------------------------------------------------------- public

def _png_bytes(img: QtGui.QImage, path: Path) -> bytes:
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    ok = img.save(buf, "PNG")
    buf.close()
    if not ok:
        raise ExportError(f"cannot write {path}: PNG encoding failed")
    return bytes(buf.data())


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
    if f == "csv":
        data = plot_csv(plot, title=title, footnote=footnote, columns=columns).encode("utf-8")
    elif f == "svg":
        data = render_svg(plot, size, style=style, title=title, footnote=footnote,
                          dpi=dpi, scale=scale)
    else:
        img = render_image(plot, size, style=style, title=title, footnote=footnote,
                           dpi=dpi, scale=scale)
        data = _png_bytes(img, path)
    return write_atomic(path, data)


def copy_plot_to_clipboard(plot, size=DEFAULT_SIZE, *, style: Style | str = "screen",
                           title: str | None = None, footnote: str | None = None,
                           scale: float | None = None) -> QtGui.QImage:
    """Put the rendered plot on the clipboard as an image; returns the image."""
    img = render_image(plot, size, style=style, title=title, footnote=footnote, scale=scale)
    QtGui.QGuiApplication.clipboard().setImage(img)
    return img


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


# --------------------------------------------------------------------------- tables

_NUMERIC = re.compile(r"^\s*[-+\u2212]?[\d.,]+\s*(%|[a-zA-Z/µ²]+)?\s*$|^\s*[-+\u2212]?\d")


def _table_layout(headers, rows, style: Style, family: str):
    px = style.tick_px or 14.0
    fh, fc = _font(px, bold=True, family=family), _font(px, family=family)
    mh, mc = QtGui.QFontMetricsF(fh), QtGui.QFontMetricsF(fc)
    pad_x, row_h = px * 0.8, px * 2.0
    ncol = max([len(headers)] + [len(r) for r in rows])
    cells = [[_num(v) for v in r] + [""] * (ncol - len(r)) for r in rows]
    heads = [str(h) for h in headers] + [""] * (ncol - len(headers))
    widths = []
    for j in range(ncol):
        w = mh.horizontalAdvance(heads[j])
        for r in cells:
            w = max(w, mc.horizontalAdvance(r[j]))
        widths.append(w + 2 * pad_x)
    return fh, fc, heads, cells, widths, row_h, pad_x


def _paint_table(p: QtGui.QPainter, headers, rows, style: Style, title: str,
                 footnote: str, w: int, h: int, bg: QtGui.QColor, fg: QtGui.QColor):
    family = _ctx_family(style)
    fh, fc, heads, cells, widths, row_h, pad_x = _table_layout(headers, rows, style, family)
    m = style.margin_px
    tw = sum(widths)
    title_h = style.title_px * 1.5 if title else 0.0
    foot_h = style.footnote_px * 1.7 if footnote else 0.0
    nat_w = tw + 2 * m
    nat_h = m + title_h + row_h * (len(cells) + 1) + foot_h + m
    s = min(w / nat_w, h / nat_h)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
    p.fillRect(QtCore.QRectF(0, 0, w, h), bg)
    p.save()
    p.translate((w - nat_w * s) / 2.0, (h - nat_h * s) / 2.0)
    p.scale(s, s)
    y = m
    if title:
        p.setFont(_font(style.title_px, bold=True, family=family))
        p.setPen(fg)
        p.drawText(QtCore.QRectF(m, y, tw, title_h),
                   int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter),
                   title)
        y += title_h
    header_bg = QtGui.QColor(fg)
    header_bg.setAlphaF(0.08)
    zebra = QtGui.QColor(fg)
    zebra.setAlphaF(0.035)
    rule = QtGui.QPen(fg, max(1.0, row_h / 28.0))
    rule.setCosmetic(False)
    p.fillRect(QtCore.QRectF(m, y, tw, row_h), header_bg)
    left = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
    right = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
    numeric = [j > 0 and all(not c[j] or _NUMERIC.match(c[j]) for c in cells)
               for j in range(len(widths))]

    def draw_row(texts, y):
        p.setPen(fg)
        x = m
        for j, text in enumerate(texts):
            p.drawText(QtCore.QRectF(x + pad_x, y, widths[j] - 2 * pad_x, row_h),
                       int(right if numeric[j] else left), text)
            x += widths[j]

    p.setFont(fh)
    draw_row(heads, y)
    y += row_h
    p.setPen(rule)
    p.drawLine(QtCore.QPointF(m, y), QtCore.QPointF(m + tw, y))
    p.setFont(fc)
    for i, r in enumerate(cells):
        if i % 2 == 1:
            p.fillRect(QtCore.QRectF(m, y, tw, row_h), zebra)
        draw_row(r, y)
        y += row_h
    thin = QtGui.QPen(fg, max(0.6, row_h / 56.0))
    p.setPen(thin)
    p.drawLine(QtCore.QPointF(m, y), QtCore.QPointF(m + tw, y))
    if footnote:
        c = QtGui.QColor(fg)
        c.setAlphaF(0.8)
        p.setPen(c)
        p.setFont(_font(style.footnote_px, family=family))
        p.drawText(QtCore.QRectF(m, y + style.footnote_px * 0.3, tw, foot_h), int(left), footnote)
    p.restore()
    return nat_w, nat_h


def table_natural_size(headers, rows, style: Style | str = "slide", title=None,
                       footnote=None) -> tuple[float, float]:
    st = get_style(style)
    family = _ctx_family(st)
    _, _, _, cells, widths, row_h, _ = _table_layout(headers, rows, st, family)
    m = st.margin_px
    return (sum(widths) + 2 * m,
            2 * m + (st.title_px * 1.5 if title else 0.0) + row_h * (len(cells) + 1)
            + (st.footnote_px * 1.7 if footnote else 0.0))


def export_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], path,
                 fmt: str | None = None, *, title: str | None = None,
                 footnote: str | None = None, style: Style | str = "slide",
                 size: tuple[int, int] | None = None, dpi: float | None = None,
                 scale: float = 2.0) -> Path:
    """Write a table (e.g. the compare table) as CSV, PNG or SVG.

    ``headers`` should carry units ("DRAM (MB/image)"). Cells may be numbers or
    preformatted strings; numeric columns are right-aligned. PNG/SVG: with ``size``
    the table is scaled to fit and centred; without, the image is the table's
    natural size times ``scale`` (crisp on slides).
    """
    path = Path(path)
    f = _format_of(path, fmt)
    headers = [str(h) for h in headers]
    rows = [list(r) for r in rows]
    if f == "csv":
        buf = io.StringIO()
        if title:
            buf.write(f"# title: {_one_line(title)}\n")
        if footnote:
            buf.write(f"# footnote: {_one_line(footnote)}\n")
        wr = csv.writer(buf, lineterminator="\n")
        wr.writerow(headers)
        for r in rows:
            wr.writerow([_num(v) for v in r])
        return write_atomic(path, buf.getvalue())
    st = get_style(style)
    bg = QtGui.QColor(st.background or "#ffffff")
    fg = QtGui.QColor(st.foreground or ("#1a1a1a" if _luminance(bg) > 0.5 else "#f0f0f0"))
    if size is None:
        nw, nh = table_natural_size(headers, rows, st, title, footnote)
        size = (math.ceil(nw * scale), math.ceil(nh * scale))
    w, h = _check_size(size)
    if f == "svg":
        buf = QtCore.QBuffer()
        buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
        gen = QtSvg.QSvgGenerator(QtSvg.QSvgGenerator.SvgVersion.Svg11)
        gen.setOutputDevice(buf)
        gen.setSize(QtCore.QSize(w, h))
        gen.setViewBox(QtCore.QRect(0, 0, w, h))
        gen.setResolution(round(_screen_dpi()))
        gen.setTitle(title or "sramfit table")
        gen.setDescription(footnote or "exported by sramfit")
        p = QtGui.QPainter(gen)
        try:
            _paint_table(p, headers, rows, st, title or "", footnote or "", w, h, bg, fg)
        finally:
            p.end()
        buf.close()
        return write_atomic(path, _clean_svg(bytes(buf.data()), w, h, dpi))
    img = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    img.setDevicePixelRatio(1.0)
    img.fill(bg)
    p = QtGui.QPainter(img)
    try:
        _paint_table(p, headers, rows, st, title or "", footnote or "", w, h, bg, fg)
    finally:
        p.end()
    if dpi:
        dpm = round(float(dpi) / 0.0254)
        img.setDotsPerMeterX(dpm)
        img.setDotsPerMeterY(dpm)
    return write_atomic(path, _png_bytes(img, path))
