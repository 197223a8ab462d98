"""Issue 15 bug 6: text that overprinted other text or the bars."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from sramfit import engine
from sramfit.engine.resources import scenarios_dir


def _shown(item):
    return item.isVisible() and bool(item.textItem.toPlainText().strip())


def test_peak_and_arena_equal_make_one_label(main_window):
    win = main_window
    fp = win.doc.analysis.footprint
    assert int(fp.live_bytes.max()) == int(fp.arena_bytes)     # YOLOv3 default: equal
    live = win.plots.live
    assert live.peak_text.textItem.toPlainText() == "peak live = arena 100 MB"
    assert live.arena.label.textItem.toPlainText() == ""


def test_peak_and_arena_differ_keep_two_labels(main_window, monkeypatch):
    from sramfit.engine.footprint import Footprint
    # the bundled models all pack into an arena equal to the peak: make one that is not
    monkeypatch.setattr(Footprint, "arena_bytes",
                        property(lambda self: 2 * int(self.live_bytes.max())))
    win = main_window
    win.refresh()
    live = win.plots.live
    assert live.peak_text.textItem.toPlainText() == "peak live 100 MB"
    assert live.arena.label.textItem.toPlainText() == "arena 201 MB"


def test_sram_label_has_opaque_background(main_window):
    win = main_window
    win.doc.edit("sram", sram_mb=8)
    for plot in (win.plots.activation, win.plots.live):
        lab = plot.capacity.label
        assert lab.textItem.toPlainText().startswith("SRAM for activations")
        assert lab.fill.color().alpha() >= 200 and lab.fill.color().lightness() == 255


def test_log_ticks_label_decades_only_in_single_plot_view(main_window):
    win = main_window
    win.resize(1600, 1000)
    win.plots.focus(3)                        # DRAM vs SRAM alone
    QApplication.processEvents()
    plot = win.plots.dram
    assert plot.width() > 0.8 * win.plots.width()   # the plot fills the area
    ax = plot.plotItem.getAxis("bottom")
    labels = []
    for spacing, values in ax.tickValues(*ax.range, ax.geometry().width()):
        labels += [(v, s) for v, s in zip(values, ax.tickStrings(values, 1, spacing)) if s]
    pos = np.array(sorted(v for v, _ in labels))
    assert len(pos) >= 2
    assert np.allclose(pos, np.round(pos))            # only decades carry a label
    win.plots.focus(None)


def test_sparse_labels_thin_out_when_crowded():
    from sramfit.gui.plots.ticks import kept_log_labels
    vals = [d + np.log10(k) for d in range(0, 6) for k in range(1, 10)] + [6.0]
    strs = [f"{10 ** v:.0f}" for v in vals]
    out = kept_log_labels(vals, strs, px_per_decade=200, label_px=lambda t: 7 * len(t))
    assert [s for s in out if s] == ["1", "10", "100", "1000", "10000", "100000", "1000000"]
    out = kept_log_labels(vals, strs, px_per_decade=20, label_px=lambda t: 7 * len(t))
    kept = [s for s in out if s]
    assert 2 <= len(kept) < 7
    # less than two decades in view: 1, 2, 5 x 10^k
    v2 = [np.log10(k) for k in range(2, 10)] + [1.0]
    out = kept_log_labels(v2, [str(k) for k in range(2, 11)], 2000, lambda t: 10)
    assert [s for s in out if s] == ["2", "5", "10"]


def test_compare_summary_end_labels_do_not_overprint(qtbot):
    from sramfit.gui.compare.data import Entry, build_data
    from sramfit.gui.plots.summary import SummaryFigure
    s = engine.load_scenario(scenarios_dir() / "resnet50_224_t4_b1.yaml")
    a = engine.analyze(s)
    data = build_data([Entry(s, a, label="one"), Entry(s, a, label="two")])
    fig = SummaryFigure()
    qtbot.addWidget(fig)
    fig.resize(1200, 600)
    fig.show()
    QApplication.processEvents()
    fig.render(data)
    QApplication.processEvents()
    r0, r1 = (t.sceneBoundingRect() for t in fig.ends[:2])
    assert fig.ends[0].textItem.toPlainText() == fig.ends[1].textItem.toPlainText()
    assert not r0.intersects(r1)


def test_capacity_label_says_when_no_buffer_fits():
    """Issue 15: YOLOv3 2 MP on chip B with 2 MB and batch 4096 showed "SRAM for
    activations 0.2 kB". By hand: 2,000,000 B - 49,152 B staging (chip B) - the pinned
    weights leave 192 B for the whole batch, under 1 B per image: no buffer (at least
    1 B x 4096) can be kept, and the label says so."""
    import dataclasses

    from sramfit import engine
    from sramfit.engine.resources import scenarios_dir
    from sramfit.gui.plots.base import capacity_label
    s = engine.load_scenario(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    s = dataclasses.replace(s, sram_mb=2.0, batch=4096, compiled_batch=None)
    a = engine.analyze(s)
    pinned = float(np.asarray(a.placement.weights_in_sram).reshape(-1)[0])
    assert a.activation_budget_bytes == 2_000_000 - 49_152 - pinned == 192
    assert 0 < a.activation_budget_bytes < 4096
    assert capacity_label(a) == "SRAM for activations 0.2 kB: no buffer fits"
    s1 = dataclasses.replace(s, sram_mb=64.0, batch=1)
    assert capacity_label(engine.analyze(s1)).endswith("MB")


def test_goal_line_does_not_cross_chip_letters(qapp):
    """Issue 15: the goal's dashed line ran through the "A" when the goal was near chip
    A's SRAM. The letters are drawn on an opaque ground above the goal line."""
    import dataclasses

    from sramfit import engine
    from sramfit.engine.resources import scenarios_dir
    from sramfit.gui.headless import scenario_frame
    from sramfit.gui.plots.dram_vs_sram import DramVsSramPlot
    s = engine.load_scenario(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    a = engine.analyze(s)
    frame = scenario_frame(s, a, goal=("target_fps", 8.0))
    frame = dataclasses.replace(frame, goal=dict(frame.goal,
                                                 sram_bytes=frame.reference_chips[0][1]))
    plot = DramVsSramPlot()
    plot.resize(900, 600)
    plot.render(frame)
    assert plot.goal_line.isVisible()
    assert plot.goal_line.value() == pytest.approx(plot._chip_lines[0].value())
    for line in plot._chip_lines[:len(frame.reference_chips)]:
        assert line.zValue() > plot.goal_line.zValue()
        assert line.label.fill.color().alpha() == 255
    plot.deleteLater()
