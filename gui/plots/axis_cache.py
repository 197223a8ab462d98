"""Axis pictures kept per axis state (issue 15: a model switch spent ~20 ms laying out
tick labels).

pyqtgraph's ``AxisItem`` draws itself from a ``QPicture`` it rebuilds whenever its range
or size changes: ``generateDrawSpecs`` works out the ticks, formats every label and
measures it with the painter's font (a few hundred text measurements per model switch),
then ``drawPicture`` records it. Switching back to a recent model, every axis returns
to a state it has drawn before.

:func:`axis_picture` gives the axis its picture for the current state from a small
per-axis cache when that state was drawn before, else builds it as ``AxisItem.paint``
would and keeps it. The *state* is everything the picture is made from: the axis' size
and its linear map to device pixels (the tick density depends on the length in pixels),
range, log mode, scale, SI prefix scale, grid, explicit ticks, tick spacing and density,
style (fonts by their full key, pens by colour, width and style) and orientation. The
picture also sized the axis: ``generateDrawSpecs`` reports the widest label to
``_updateMaxTextSize``; a cached picture reports the same value again, so the axis
sizes itself exactly as a fresh picture would have made it.

An axis drawn with a grid across the view, or with no device map yet, is not cached.
"""
from __future__ import annotations

from collections import OrderedDict

from PySide6.QtGui import QFont, QPainter, QPicture

#: pictures kept per axis (a few recent models, each with one or two sizes)
PER_AXIS = 12


def _plain(value):
    """A hashable stand-in for a style value (fonts by key, lists as tuples)."""
    if isinstance(value, QFont):
        return ("font", value.key())
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _pen(pen):
    return (pen.color().rgba(), pen.widthF(), int(pen.style().value), pen.isCosmetic(),
            int(pen.brush().style().value))


def axis_key(ax):
    """The state ``ax``'s picture is made from, or None when it is not to be cached."""
    if ax.grid is not False:
        return None
    view = ax.getViewWidget()
    if view is None:
        return None
    t = ax.deviceTransform(view.viewportTransform())
    size = ax.size()
    levels = ax._tickLevels
    if levels is not None:
        levels = tuple(tuple((float(v), str(s)) for v, s in level) for level in levels)
    spacing = ax._tickSpacing
    if spacing is not None:
        spacing = _plain(spacing)
    return (ax.orientation, size.width(), size.height(),
            t.m11(), t.m12(), t.m21(), t.m22(),
            tuple(float(v) for v in ax.range), bool(ax.logMode), float(ax.scale),
            float(ax.autoSIPrefixScale), levels, spacing,
            float(getattr(ax, "_tickDensity", 1.0)),
            tuple(sorted((k, _plain(v)) for k, v in ax.style.items())),
            _pen(ax.pen()), _pen(ax.textPen()), _pen(ax.tickPen()))


def axis_picture(ax) -> bool:
    """Give ``ax`` (with no picture) its picture for its current state; True if one was
    built (the axis may then have resized to its labels), False if it came from the
    cache (the same size report replayed) or could not be cached but was built."""
    key = axis_key(ax)
    cache = ax.__dict__.setdefault("_sramfit_pictures", OrderedDict())
    if key is not None and key in cache:
        cache.move_to_end(key)
        picture, text_size = cache[key]
        if text_size is not None:
            ax._updateMaxTextSize(text_size)
        ax.picture = picture
        return False
    reported = []
    plain = ax._updateMaxTextSize

    def report(x):
        reported.append(x)
        return plain(x)

    picture = QPicture()
    painter = QPainter(picture)
    ax._updateMaxTextSize = report
    try:
        if ax.style["tickFont"]:
            painter.setFont(ax.style["tickFont"])
        specs = ax.generateDrawSpecs(painter)
        if specs is not None:
            ax.drawPicture(painter, *specs)
    finally:
        painter.end()
        del ax._updateMaxTextSize
    ax.picture = picture
    if key is not None and specs is not None:
        cache[key] = (picture, reported[-1] if reported else None)
        while len(cache) > PER_AXIS:
            cache.popitem(last=False)
    return True


def _transform(t):
    return (t.m11(), t.m12(), t.m13(), t.m21(), t.m22(), t.m23(), t.m31(), t.m32(),
            t.m33())


def grid_key(grid):
    """The state a pyqtgraph ``GridItem``'s picture is made from, or None: the view
    rectangle it covers, its map to device pixels, the view widget's size, pens,
    tick spacing and depth."""
    view = grid.getViewWidget()
    t = grid.deviceTransform_()
    if view is None or t is None:
        return None
    r = grid.boundingRect()
    size = view.rect()
    text = grid.opts["textPen"]
    return ((r.x(), r.y(), r.width(), r.height()), _transform(t),
            size.width(), size.height(), _pen(grid.opts["pen"]),
            None if text is None else _pen(text), _plain(grid.opts["tickSpacing"]),
            grid.grid_depth)


def cache_grid_pictures(grid) -> None:
    """Make ``grid`` (a pyqtgraph GridItem) keep its pictures per state: a switch back
    to a recent model draws its grid lines from the kept picture."""
    grid._sramfit_pictures = OrderedDict()
    plain = grid.generatePicture

    def generate():
        cache = grid.__dict__.setdefault("_sramfit_pictures", OrderedDict())
        key = grid_key(grid)
        if key is not None and key in cache:
            cache.move_to_end(key)
            grid.picture = cache[key]
            return
        plain()
        if key is not None and grid.picture is not None:
            cache[key] = grid.picture
            while len(cache) > PER_AXIS:
                cache.popitem(last=False)

    grid.generatePicture = generate
