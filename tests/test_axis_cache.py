"""gui/plots/axis_cache.py: an axis back in a state it has drawn before reuses that
picture (no tick labels formatted or measured again), and the window looks exactly as
if every axis had been drawn afresh."""
from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("PySide6")


def _axes(win):
    for p in win.plots.plots:
        for side in ("left", "bottom", "right", "top"):
            ax = p.plotItem.getAxis(side)
            if ax.isVisible():
                yield ax


def _grab(win):
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()
    return {type(p).__name__: p.grab().toImage() for p in win.plots.plots}


def test_a_switch_back_reuses_every_axis_picture_and_draws_the_same(main_window,
                                                                     monkeypatch):
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication
    from sramfit.gui.main_window import settle
    win = main_window
    yolo = win.doc.scenario
    others = [replace(yolo, model="resnet50", width=224, height=224),
              replace(yolo, batch=8, sram_mb=8.0)]
    for s in (others + [yolo]) * 2:    # (an axis' width follows its widest label so
        win.doc.replace(s, "switch")   # far: the second round repeats the first's states)
        QApplication.processEvents()
    calls = []
    plain = pg.AxisItem.generateDrawSpecs

    def counted(self, p):
        calls.append(self)
        return plain(self, p)

    monkeypatch.setattr(pg.AxisItem, "generateDrawSpecs", counted)
    for s in others + [yolo]:
        kinds = {p: list(p.grid._sramfit_pictures) for p in win.plots.plots}
        win.doc.replace(s, "switch")
        QApplication.processEvents()
        assert calls == [], f"{len(calls)} axes laid out again"
        for p in win.plots.plots:           # no grid picture made anew
            assert set(p.grid._sramfit_pictures) == set(kinds[p]), type(p).__name__
        cached = _grab(win)
        # the same window with every axis drawn afresh
        kept = {}
        for ax in _axes(win):
            kept[ax] = ax.__dict__.pop("_sramfit_pictures", None)
            ax.picture = None
        for p in win.plots.plots:           # and the grids' lines
            kept[p.grid] = p.grid.__dict__.pop("_sramfit_pictures", None)
            p.grid.picture = None
            p.grid.update()
        for p in win.plots.plots:
            settle(p)
        assert calls, "the fresh pictures were not built"
        calls.clear()
        fresh = _grab(win)
        for ax, cache in kept.items():
            ax._sramfit_pictures = cache
        for name, image in fresh.items():
            assert image == cached[name], f"{name} differs at {s.model} batch {s.batch}"


def test_the_key_follows_what_the_picture_is_made_of(main_window):
    import pyqtgraph as pg
    from sramfit.gui.plots.axis_cache import axis_key
    from sramfit.gui.plots.base import _font
    ax = main_window.plots.dram.plotItem.getAxis("left")
    key = axis_key(ax)
    assert key is not None and axis_key(ax) == key
    changes = [
        lambda: ax.setRange(ax.range[0], ax.range[1] * 2),
        lambda: ax.setStyle(tickFont=_font(11.0)),
        lambda: ax.setTextPen(pg.mkPen("#ff0000")),
        lambda: ax.setScale(1e-3),
        lambda: ax.setTicks([[(0.0, "zero"), (1.0, "one")]]),
        lambda: ax.setLogMode(not ax.logMode),
    ]
    seen = {key}
    for change in changes:
        change()
        k = axis_key(ax)
        assert k not in seen
        seen.add(k)
    ax.setGrid(128)                     # drawn across the view: not cached
    assert axis_key(ax) is None
