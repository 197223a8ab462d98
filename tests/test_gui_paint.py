"""Issue 15 (60 Hz): a slider notch redraws only what changed, and shows the figures of
a fresh analysis. Behaviour only: which plots repaint and what they show; the speed
itself is measured by benchmarks/bench_gui.py, never asserted here.

Whether a plot's picture changed is decided from the plot itself (its widget grabbed
to an image before and after the notch), not from the code under test."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from sramfit import engine
from sramfit.engine.analysis import Analysis
from sramfit.gui import explain
from sramfit.gui.chip_panel import mb_to_slider
from sramfit.gui.layer_table import COLUMNS, table_rows
from sramfit.gui.text import fmt_mb


class PaintCount(QObject):
    def __init__(self, widgets):
        super().__init__()
        self.count = {w: 0 for w in widgets}
        for w in widgets:
            w.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj in self.count:
            self.count[obj] += 1
        return False

    def remove(self):
        for w in self.count:
            w.removeEventFilter(self)


def _settle():
    for _ in range(4):
        QApplication.processEvents()


def _pictures(win):
    return {p: p.grab().toImage() for p in win.plots.plots}


def _notch(win, pos):
    """Move the held slider to ``pos``; per plot (picture changed?, times painted)."""
    _settle()
    before = _pictures(win)
    spy = PaintCount([p.viewport() for p in win.plots.plots])
    win.chip_panel.slider.setValue(pos)
    _settle()
    spy.remove()
    after = _pictures(win)
    return {type(p).__name__: (before[p] != after[p], spy.count[p.viewport()])
            for p in win.plots.plots}


def test_a_notch_repaints_each_changed_plot_once(main_window):
    win = main_window
    slider = win.chip_panel.slider
    start = slider.value()
    slider.setSliderDown(True)
    try:
        for pos in (start - 3, start - 2, start + 5, start + 6):
            seen = _notch(win, pos)
            assert any(changed for changed, _ in seen.values())
            for name, (changed, painted) in seen.items():
                if changed:
                    assert painted == 1, (pos, name, painted)
    finally:
        slider.setSliderDown(False)


def test_a_plot_the_notch_does_not_change_is_not_repainted(main_window):
    """Far above what the model needs, a notch moves the SRAM marks only: the plots
    that have none (DRAM by kind, the roofline) keep their picture and are not
    repainted; the plots whose SRAM mark moved are."""
    win = main_window
    slider = win.chip_panel.slider
    slider.setSliderDown(True)
    try:
        high = mb_to_slider(900.0)
        _notch(win, high)
        seen = _notch(win, high + 1)
        unchanged = [name for name, (changed, _) in seen.items() if not changed]
        assert {"TrafficPlot", "RooflinePlot"} <= set(unchanged)
        for name, (changed, painted) in seen.items():
            assert painted == (1 if changed else 0), (name, changed, painted)
    finally:
        slider.setSliderDown(False)


def _cells(model):
    return [[model.data(model.index(r, c)) for c in range(len(COLUMNS))]
            for r in range(model.rowCount())]


@pytest.mark.parametrize("moves", [(-40, -39, 25), (60, 61)])
def test_drag_status_and_table_show_a_fresh_analysis(main_window, moves):
    """Each notch of a drag: the status bar and the layer table show the figures of an
    analysis made from nothing for that SRAM size (the drag's threshold rule); on
    release, those of the exact analysis, and the assumptions tab catches up."""
    win = main_window
    slider = win.chip_panel.slider
    start = slider.value()
    slider.setSliderDown(True)
    try:
        for d in moves:
            slider.setValue(start + d)
            _settle()
            fresh = Analysis(win.doc.scenario, exact=False)
            t = fresh.totals()
            st = win.status
            assert f"DRAM <b>{fmt_mb(t['dram_bytes_per_image'])}</b>/image" == \
                st["dram"].text()
            assert f"<b>{t['throughput_ips']:,.1f}</b> images/s" in st["ips"].text()
            assert f"peak live <b>{fmt_mb(t['peak_live_bytes'])}</b>" == st["peak"].text()
            want = [[fmt(r.get(key)) if r.get(key) is not None else ""
                     for key, _, _, fmt in COLUMNS] for r in table_rows(fresh)]
            assert _cells(win.table.model) == want
    finally:
        slider.setSliderDown(False)
    _settle()
    exact = engine.analyze(win.doc.scenario)
    assert win.table.model.rows == table_rows(exact)
    assert win.assumptions.rows == explain.assumptions(exact, exact.totals())
    assert win.status["dram"].text() == \
        f"DRAM <b>{fmt_mb(exact.totals()['dram_bytes_per_image'])}</b>/image"


def test_cached_items_export_as_vectors_and_stay_cached(main_window):
    """Items kept as screen pixmaps (axes, grid, static curves and bars) are painted
    uncached into an export: the SVG carries no bitmap, and the screen cache is back
    afterwards."""
    from PySide6.QtWidgets import QGraphicsItem
    from sramfit.gui.export import render_svg
    cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
    for plot in main_window.plots.plots:
        items = [it for it in plot.scene().items() if it.cacheMode() == cached]
        assert items, type(plot).__name__
        svg = render_svg(plot, (800, 500))
        svg = svg.decode() if isinstance(svg, bytes) else svg
        assert "<image" not in svg, type(plot).__name__
        assert all(it.cacheMode() == cached for it in items)


def test_table_repaint_asks_python_once_per_index(qtbot):
    """Issue 15: Qt's own QAbstractTableModel.index() asks rowCount() and columnCount()
    (calls into Python) for every index the proxy and the view make, ~2,000 calls per
    model switch. The model answers index() itself: a repaint of the table asks for no
    row or column count per cell, and the cells are the same."""
    from PySide6.QtWidgets import QTableView
    from sramfit.gui.layer_table import LayerFilter, LayerTableModel

    calls = {"rowCount": 0, "columnCount": 0}

    class Counting(LayerTableModel):
        def rowCount(self, parent=None):
            calls["rowCount"] += 1
            return super().rowCount() if parent is None else super().rowCount(parent)

        def columnCount(self, parent=None):
            calls["columnCount"] += 1
            return super().columnCount() if parent is None else super().columnCount(parent)

    model = Counting()
    proxy = LayerFilter()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.resize(1200, 400)
    a = engine.analyze(engine.Scenario(model="resnet50", width=224, height=224))
    model.set_rows(table_rows(a))
    view.show()
    qtbot.waitExposed(view)
    _settle()
    calls.update(rowCount=0, columnCount=0)
    view.viewport().repaint()
    shown = view.rowAt(view.viewport().height() - 1) + 1
    assert shown > 10                          # the repaint drew a dozen rows or more
    assert calls["rowCount"] + calls["columnCount"] < 20, calls
    # out of range: no index (the view and proxy rely on it)
    assert not model.index(len(model.rows), 0).isValid()
    assert not model.index(0, len(COLUMNS)).isValid()
    assert not model.index(-1, 0).isValid()
    assert model.index(3, 2).row() == 3 and model.index(3, 2).column() == 2
    r0 = table_rows(a)[0]
    assert [proxy.data(proxy.index(0, c)) for c in range(len(COLUMNS))] == \
        [fmt(r0.get(key)) if r0.get(key) is not None else "" for key, _, _, fmt in COLUMNS]


def test_scroll_bars_are_flat_and_the_tab_pane_has_no_frame(main_window):
    """Issue 15: Fusion's gradient scroll bars cost ~1 ms a repaint (a model switch
    repainted the layer table's two bars twice each) and its tab pane ~1.2 ms: the
    window's bars are drawn flat (the handle's grey, pixel for pixel) and the tabs sit in
    document mode. The bar still scrolls the table."""
    from PySide6.QtGui import QColor
    from sramfit.gui.widgets import FLAT_SCROLLBAR
    win = main_window
    view = win.table.view
    bar = view.verticalScrollBar()
    assert bar.styleSheet() == FLAT_SCROLLBAR
    assert win.tabs.documentMode()
    _settle()
    assert bar.maximum() > 0                      # YOLOv3's 79 steps need scrolling
    img = bar.grab().toImage()
    handle = QColor("#b0b0b0").rgb()
    x = img.width() // 2
    column = [img.pixel(x, y) for y in range(img.height())]
    assert column.count(handle) >= 20, "no flat handle drawn"
    first = view.rowAt(0)
    bar.setValue(bar.maximum())
    _settle()
    assert view.rowAt(0) > first


@pytest.mark.parametrize("kw", [
    dict(model="yolov3", width=1920, height=1088, chip="chip_b"),
    dict(model="resnet50", width=224, height=224, batch=4, sram_mb=2.0),
    dict(model="yolov3", width=640, height=480, chip="chip_b", schedule="depth_first"),
])
def test_table_rows_are_the_engine_rows(kw):
    """The table's rows (made from the footprint once and the placement's arrays per
    notch, for speed) hold, cell for cell, what the engine's own per-step rows say."""
    from sramfit.gui.layer_table import KEYS
    from sramfit.gui.schedule_info import stack_text
    a = engine.analyze(engine.Scenario(**kw))
    got = table_rows(a)
    engine_rows = a.layer_rows()
    assert len(got) == len(engine_rows) == len(a.footprint.steps)
    for i, (g, e) in enumerate(zip(got, engine_rows)):
        fused = e.get("fused") or []
        want = {
            "step": i,
            "name": e["name"] + (f" (+{len(fused)})" if fused else ""),
            "op": e["op"],
            "shape": "×".join(str(v) for v in e["output_shape"]),
            "activation_bytes": e["activation_bytes"],
            "weight_bytes": e["weight_bytes"],
            "macs": e["macs"],
            "in_sram": e["in_sram"],
            "dram_bytes": e["dram_bytes"],
            "fused_stack": -1 if e["stack"] is None else e["stack"],
            "line_buffer_bytes": e["line_buffer_bytes"],
            "time_us": e["time_s"] * 1e6,
            "bound": e["bound"],
        }
        assert {k: g[k] for k in KEYS} == want, i
        assert list(g["fused"]) == list(fused)
        if e["stack"] is not None:
            assert g["fused_stack_text"] == stack_text(a.stacks[e["stack"]], e["stack"])
    if kw.get("schedule") == "depth_first":
        assert any(r["fused_stack"] >= 0 for r in got)     # the case is exercised


def test_table_shows_the_model_itself_unless_sorted_or_filtered(main_window, qtbot):
    """Issue 15: in step order and unfiltered, the view shows the model without the
    proxy (through it, each cell's paint made ~14 calls into Python); a header click or a
    filter puts the proxy in and takes it out again, keeping the column widths, the sort
    indicator and the selected step."""
    from PySide6.QtCore import QPoint, Qt
    from sramfit.gui import layer_table as lt
    table = main_window.table
    view, hh = table.view, table.view.horizontalHeader()
    assert view.model() is table.model
    hh.resizeSection(1, 211)
    table.select_step(5)
    assert table.selected_step() == 5
    col = lt.KEYS.index("macs")
    x = hh.sectionViewportPosition(col) + 10
    qtbot.mouseClick(hh.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    _settle()
    assert view.model() is table.proxy
    assert hh.sortIndicatorSection() == col
    shown = [view.model().index(r, 0).data(lt.STEP_ROLE) for r in range(view.model().rowCount())]
    macs = [table.model.rows[s]["macs"] for s in shown]
    assert macs == sorted(macs) or macs == sorted(macs, reverse=True)
    assert sorted(shown) == list(range(len(table.model.rows)))
    assert hh.sectionSize(1) == 211 and table.selected_step() == 5
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    _settle()
    assert view.model() is table.model
    assert hh.sortIndicatorSection() == 0
    assert hh.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert hh.sectionSize(1) == 211 and table.selected_step() == 5
    table.filter.setText("route")
    _settle()
    assert view.model() is table.proxy
    names = [view.model().index(r, 1).data() for r in range(view.model().rowCount())]
    assert names and all("route" in n.lower() or "route" in
                         view.model().index(r, 2).data().lower()
                         for r, n in enumerate(names))
    assert table.filter.text() == "route"           # a hidden selection keeps the filter
    table.filter.clear()
    _settle()
    assert view.model() is table.model
    assert view.model().rowCount() == len(table.model.rows)
    # a row picked in the direct view reports its step
    view.selectRow(7)
    assert table.selected_step() == 7


def _count(img, colour, tol: int = 24) -> int:
    """Pixels within ``tol`` of ``colour`` on each channel in ``img``."""
    import numpy as np
    from PySide6.QtGui import QImage
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint32,
                        count=img.bytesPerLine() * img.height() // 4)
    rgb = np.stack([(arr >> s) & 0xFF for s in (16, 8, 0)], axis=1).astype(int)
    want = np.array([colour.red(), colour.green(), colour.blue()])
    return int((np.abs(rgb - want) <= tol).all(axis=1).sum())


@pytest.mark.parametrize("size", [(800, 500), (1600, 1000)])
def test_chip_dot_draws_like_the_scatter_symbol_it_replaced(main_window, size):
    """Issue 15: the chip's dot on the DRAM-vs-SRAM plot is a Marker (drawn by Qt, no
    Python per paint) instead of a one-point pg.ScatterPlotItem. On screen it sits on its
    data point; in a PNG export at two sizes it covers as many pixels as the scatter
    symbol drew there (the reference: a ScatterPlotItem put in its place)."""
    from PySide6.QtCore import QPointF
    from sramfit.gui.export.png import render_image
    from sramfit.gui.plots.base import ACCENT
    import pyqtgraph as pg
    d = main_window.plots.dram
    _settle()
    x, y = (float(v[0]) for v in d.current.getData())
    # on screen: the pixel at the data point is the dot's colour
    vb = d.plotItem.getViewBox()
    at = d.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    screen = d.viewport().grab().toImage()
    assert screen.pixelColor(at.x(), at.y()).rgb() == ACCENT.rgb()
    # exports: dot pixels with the Marker, with the scatter symbol, with neither
    d.current_text.hide()                           # the label is ACCENT too
    try:
        d.current.hide()
        none = _count(render_image(d, size), ACCENT)
        ref = pg.ScatterPlotItem([x], [y], size=12, brush=pg.mkBrush(ACCENT),
                                 pen=pg.mkPen("w", width=1.5))
        ref.setZValue(d.current.zValue())          # over the curves, as the dot
        d.plotItem.addItem(ref)
        scatter = _count(render_image(d, size), ACCENT) - none
        d.plotItem.removeItem(ref)
        d.current.show()
        marker = _count(render_image(d, size), ACCENT) - none
    finally:
        d.current.show()
        d.current_text.show()
    assert scatter >= 8                             # the reference drew a dot
    assert abs(marker - scatter) <= max(4, 0.35 * scatter), (marker, scatter)
