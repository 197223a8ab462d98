"""SVG: the plot painted into QtSvg's generator (SVG 1.1, curves as paths),
then flattened and cleaned so the file has no nested transforms."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtSvg


from sramfit.gui.style import Style

from .render import _Render
from .common import DEFAULT_SIZE, ExportError, SVG_NS, XLINK_NS, _screen_dpi


def render_svg(plot, size=DEFAULT_SIZE, *, style: Style | str = "screen",
               title: str | None = None, footnote: str | None = None,
               dpi: float | None = None, scale: float | None = None) -> bytes:
    """The plot as SVG 1.1 bytes, ``viewBox="0 0 W H"``, curves as vector paths."""
    with _Render(plot, size, style, title, footnote, scale) as r:
        data = svg_document(r.w, r.h, r.title or "sramfit plot",
                            r.footnote or "exported by sramfit",
                            lambda p: r._paint(p, svg=True))
    return _clean_svg(data, r.w, r.h, dpi)


def svg_document(w: int, h: int, title: str, description: str,
                 paint: Callable[[QtGui.QPainter], Any]) -> bytes:
    """SVG 1.1 bytes of whatever ``paint(painter)`` draws on a ``w`` x ``h`` canvas
    (``viewBox="0 0 w h"``; text measured at the screen's dpi, as on screen)."""
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    gen = QtSvg.QSvgGenerator(QtSvg.QSvgGenerator.SvgVersion.Svg11)
    gen.setOutputDevice(buf)
    gen.setSize(QtCore.QSize(w, h))
    gen.setViewBox(QtCore.QRect(0, 0, w, h))
    gen.setResolution(round(_screen_dpi()))
    gen.setTitle(title)
    gen.setDescription(description)
    p = QtGui.QPainter(gen)
    try:
        paint(p)
    finally:
        p.end()
    buf.close()
    return bytes(buf.data())



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


