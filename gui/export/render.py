"""Rendering a plot for export: restyle (fonts, pens, title band, colours) at the
requested size, paint, then undo every change so the window is unchanged."""
from __future__ import annotations

import math
from typing import Any, Callable

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from sramfit.gui.plots.base import Marker
from sramfit.gui.style import Style, get_style
from .common import _wrap, _background, _check_size, _ctx_family, _darken, _export_scale, _font, _luminance, _one_line, _root_item, _screen_dpi, _title_parts, _walk



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
    # a label wrapped to a small plot's axis on screen (PlotBase) is one line again
    label_width = ax.label.textWidth()
    ax.label.setTextWidth(-1)

    def undo():
        ax.label.setTextWidth(label_width)
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
        if isinstance(it, (pg.ScatterPlotItem, Marker)):
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
        # every line of the footnote is drawn (what was analysed, then the assumptions,
        # gui/explain.py), wrapped to the width; the plot area gives up the room
        self.footnote_lines = [_one_line(ln) for ln in str(footnote or "").split("\n")
                               if ln.strip()]
        self.footnote = self.footnote_lines[0] if self.footnote_lines else ""
        self._foot = None
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
        bottom = m + (self._footnote_block(lw)[1] if self.footnote else 0.0)
        plot_rect = QtCore.QRectF(m, top, max(lw - 2 * m, 10.0), max(lh - top - bottom, 10.0))
        return lw, lh, plot_rect

    #: the footnote may take at most this share of the canvas height; beyond it its
    #: type shrinks, down to FOOT_MIN_SCALE of the style's size (then the plot shrinks)
    FOOT_MAX_SHARE = 0.3
    FOOT_MIN_SCALE = 0.7

    def _footnote_block(self, lw: float):
        """(lines, height) of the footnote in logical pixels: ``lines`` is a list of
        ``(font, text, indent)``, every footnote line word-wrapped to the canvas width.
        The first line (what was analysed) is at ``footnote_px``, the assumption lines
        a little smaller."""
        if self._foot is not None and self._foot[0] == lw:
            return self._foot[1]
        st = self.style
        width = max(lw - 2 * st.margin_px, 10.0) * 0.98   # hinting may widen text a bit
        lh = self.h / self.s
        k = 1.0
        while True:
            lines, height = [], st.footnote_px * 0.3
            for i, text in enumerate(self.footnote_lines):
                f = _font(st.footnote_px * k * (1.0 if i == 0 else 0.85),
                          family=_ctx_family(st))
                fm = QtGui.QFontMetricsF(f)
                indent = fm.horizontalAdvance("    ")
                for j, part in enumerate(_wrap(text, fm, width, indent)):
                    lines.append((f, part, indent if j else 0.0))
                    height += fm.lineSpacing()
            if height <= self.FOOT_MAX_SHARE * lh or k <= self.FOOT_MIN_SCALE:
                break
            k = max(k * 0.9, self.FOOT_MIN_SCALE)
        self._foot = (lw, (lines, height))
        return lines, height

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
                self.image()                      # a scratch paint, thrown away
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
        if hasattr(scene, "prepareForPaint"):   # view boxes update their transforms
            scene.prepareForPaint()
        source = self.root.sceneBoundingRect()
        scene.render(p, rect, source, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio)
        if self.footnote:
            lines, height = self._footnote_block(lw)
            c = QtGui.QColor(self.fg)
            c.setAlphaF(0.8)
            p.setPen(c)
            y = lh - m - height + st.footnote_px * 0.3
            for f, text, indent in lines:       # one drawText per line: one SVG <text>
                p.setFont(f)
                fm = QtGui.QFontMetricsF(f)
                p.drawText(QtCore.QPointF(m + indent, y + fm.ascent()), text)
                y += fm.lineSpacing()
        p.restore()

    def image(self) -> QtGui.QImage:
        img = self._new_image()
        p = QtGui.QPainter(img)
        try:
            self._paint(p)
        finally:
            p.end()
        return img
