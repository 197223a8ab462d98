"""What every export format shares: the error, sizes, fonts, atomic file
writing, file names, number text, and reading a plot's items, titles and axes."""
from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from sramfit.engine.errors import SramfitError
from sramfit.gui.style import Style, register_fonts


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


def _wrap(text: str, fm: QtGui.QFontMetricsF, width: float, indent: float) -> list[str]:
    """``text`` word-wrapped to ``width`` (continuation lines ``indent`` narrower); a
    word wider than a line is elided."""
    out: list[str] = []
    cur = ""
    for word in text.split():
        room = width - (indent if out else 0.0)
        trial = f"{cur} {word}" if cur else word
        if fm.horizontalAdvance(trial) <= room or not cur:
            cur = trial
        else:
            out.append(cur)
            cur = word
        if fm.horizontalAdvance(cur) > width - (indent if out else 0.0):
            out.append(fm.elidedText(cur, QtCore.Qt.TextElideMode.ElideRight,
                                     width - (indent if out else 0.0)))
            cur = ""
    if cur:
        out.append(cur)
    return out


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


def _ctx_family(style: Style) -> str:
    return style.font_family or bundled_family()



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


