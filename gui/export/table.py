"""Tables (the compare table) as CSV, PNG or SVG."""
from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any, Sequence

from PySide6 import QtCore, QtGui

from sramfit.gui.style import Style, get_style

from .png import png_bytes
from .svg import _clean_svg, svg_document
from .common import _wrap, _check_size, _ctx_family, _font, _format_of, _luminance, _num, _one_line, write_atomic


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
    foot_font, foot_lines, foot_h = _footnote_lines(footnote, style, family, tw)
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
        p.setFont(foot_font)
        fm = QtGui.QFontMetricsF(foot_font)
        y += style.footnote_px * 0.3
        for text, indent in foot_lines:        # every line, wrapped to the table's width
            p.drawText(QtCore.QPointF(m + indent, y + fm.ascent()), text)
            y += fm.lineSpacing()
    p.restore()
    return nat_w, nat_h


def _footnote_lines(footnote, style: Style, family, width: float):
    """(font, [(text, indent)], height): every line of ``footnote`` word-wrapped to
    ``width`` (nothing is cut off at the table's edge)."""
    f = _font(style.footnote_px, family=family)
    if not footnote:
        return f, [], 0.0
    fm = QtGui.QFontMetricsF(f)
    indent = fm.horizontalAdvance("    ")
    lines = [(part, indent if j else 0.0)
             for ln in str(footnote).split("\n") if ln.strip()
             for j, part in enumerate(_wrap(_one_line(ln), fm, width * 0.98, indent))]
    return f, lines, style.footnote_px * 0.7 + len(lines) * fm.lineSpacing()


def table_natural_size(headers, rows, style: Style | str = "slide", title=None,
                       footnote=None) -> tuple[float, float]:
    st = get_style(style)
    family = _ctx_family(st)
    _, _, _, cells, widths, row_h, _ = _table_layout(headers, rows, st, family)
    m = st.margin_px
    return (sum(widths) + 2 * m,
            2 * m + (st.title_px * 1.5 if title else 0.0) + row_h * (len(cells) + 1)
            + _footnote_lines(footnote, st, family, sum(widths))[2])


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
        for line in str(footnote or "").splitlines():
            if line.strip():
                buf.write(f"# footnote: {_one_line(line)}\n")
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
        data = svg_document(w, h, title or "sramfit table", footnote or "exported by sramfit",
                            lambda p: _paint_table(p, headers, rows, st, title or "",
                                                   footnote or "", w, h, bg, fg))
        return write_atomic(path, _clean_svg(data, w, h, dpi))
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
    return write_atomic(path, png_bytes(img, path))
