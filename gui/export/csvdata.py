"""CSV: the plotted data read back from the plot's items (curves, scatter, bars,
right-hand axes), one row per plotted point, units from the axis labels."""
from __future__ import annotations

import csv
import io
from typing import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from .common import _axis_title, _num, _one_line, _plain, _plot_items, _title_parts, plot_title



def _real(values, axis_log: bool, item_log: bool, scale: float = 1.0) -> np.ndarray:
    """Plotted coordinates -> the quantity the axis shows (undo pre-logged data; a
    linear axis's ``scale``, e.g. MB data shown in GB, as its ticks and label do)."""
    v = np.asarray(values, dtype=float)
    if axis_log and not item_log:
        with np.errstate(over="ignore"):
            v = np.power(10.0, v)
        # 10**log10(8) is 7.999999999999999: drop the round-trip noise
        v = np.array([float(f"{x:.12g}") for x in v.ravel()]).reshape(v.shape)
    elif not axis_log and scale != 1.0:
        v = np.array([float(f"{x:.12g}") for x in (v * scale).ravel()]).reshape(v.shape)
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
    xs, ys = float(getattr(xa, "scale", 1.0) or 1.0), float(getattr(ya, "scale", 1.0) or 1.0)
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
            x, y = _real(x, xlog, lm[0], xs), _real(y, ylog, lm[1], ys)
        elif isinstance(item, pg.BarGraphItem):
            horizontal, pos, val, base = _bar_rows(item)
            if horizontal:
                y, x = _real(pos, ylog, False, ys), _real(val, xlog, False, xs)
                base_real, val_log, pos_axis = _real(base, xlog, False, xs), xlog, ya
            else:
                x, y = _real(pos, xlog, False, xs), _real(val, ylog, False, ys)
                base_real, val_log, pos_axis = _real(base, ylog, False, ys), ylog, xa
            labels = _tick_labels(pos_axis)
            if labels:
                extra["label"] = [labels.get(round(float(p), 9), "") for p in pos]
            if not val_log and np.any(base_real != 0):
                extra["bar base"] = list(base_real)
        elif isinstance(item, pg.ScatterPlotItem):
            if not _scatter_visible(item):
                continue
            x, y = item.getData()
            x, y = _real(x, xlog, False, xs), _real(y, ylog, False, ys)
        elif hasattr(item, "getData"):
            x, y = item.getData()
            if x is None or y is None:
                continue
            x, y = _real(x, xlog, False, xs), _real(y, ylog, False, ys)
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
            ax, log, sc = (xa, xlog, xs) if angle == 90 else (ya, ylog, ys)
            val = float(_real(item.value(), log, False, sc))
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
        x = _real(np.asarray(x, float), xlog, lm[0],
                  float(getattr(pi.getAxis("bottom"), "scale", 1.0) or 1.0))
        y = _real(np.asarray(y, float), rlog, lm[1], float(getattr(ra, "scale", 1.0) or 1.0))
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
    for line in str(footnote or "").splitlines():       # one comment line per line
        if line.strip():
            buf.write(f"# footnote: {_one_line(line)}\n")
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


