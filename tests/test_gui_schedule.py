"""Issue 11 in the app: the schedule control, both schedules' DRAM curves and the
floor, stacks in the layer table and plots, the status bar. Real windows (pytest-qt)."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


def _choose(combo, key):
    i = combo.findData(key)
    assert i >= 0, key
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def test_schedule_combo_is_an_undoable_scenario_edit(main_window):
    win = main_window
    ctl = win.chip_panel.schedule
    assert "line buffer" in ctl.combo.toolTip()
    assert ctl.combo.currentData() == "layer_by_layer"        # chip B's default
    assert not ctl.tile_rows.isEnabled()
    lbl_dram = win.doc.analysis.totals()["dram_bytes_per_image"]
    _choose(ctl.combo, "depth_first")
    assert win.doc.scenario.schedule == "depth_first"
    assert win.doc.analysis.schedule == "depth_first"
    assert ctl.tile_rows.isEnabled()
    # issue 11's published estimate: YOLOv3 2 MP on chip B fused needs <= 90 MB/image
    assert win.doc.analysis.totals()["dram_bytes_per_image"] <= 90e6 < lbl_dram
    win.doc.stack.undo()
    assert win.doc.scenario.schedule is None
    assert ctl.combo.currentData() == "layer_by_layer"
    assert win.doc.analysis.totals()["dram_bytes_per_image"] == lbl_dram
    win.doc.stack.redo()
    assert ctl.combo.currentData() == "depth_first"


def test_tile_rows_spin_pins_the_tile_height(main_window):
    win = main_window
    ctl = win.chip_panel.schedule
    _choose(ctl.combo, "depth_first")
    ctl.tile_rows.setValue(8)
    assert win.doc.scenario.tile_rows == 8
    assert {int(s["tile_rows"]) for s in win.doc.analysis.stacks} == {8}
    ctl.tile_rows.setValue(0)
    assert win.doc.scenario.tile_rows is None
    win.doc.stack.undo()
    assert win.doc.scenario.tile_rows == 8 and ctl.tile_rows.value() == 8


def test_dram_plot_draws_both_schedules_and_the_floor(main_window, tmp_path):
    import numpy as np
    from sramfit.engine import sweep
    from sramfit.gui import export
    from sramfit.gui.document import sram_grid
    win = main_window
    plot = win.plots.dram
    grid = sram_grid(win.doc.scenario)
    ref = sweep.dram_curves(win.doc.scenario, grid)          # the engine's arrays
    keep = grid > 0
    curves = {c.name(): c for c in plot.plotItem.listDataItems()
              if c.isVisible() and hasattr(c, "name") and c.name()}
    for name, key in (("layer by layer", "layer_by_layer"),
                      ("depth-first (fused stacks)", "depth_first"),
                      ("floor (no schedule does better)", "floor")):
        x, y = curves[name].getOriginalDataset()
        np.testing.assert_allclose(10 ** x * 1e6, grid[keep], rtol=1e-12)
        np.testing.assert_allclose(y * 1e6, ref[key][keep], rtol=1e-12)
    assert curves["floor (no schedule does better)"].opts["pen"].style() \
        == __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.PenStyle.DashLine
    # the scenario's own schedule ("DRAM per image") is drawn in its colour
    def colour(name):
        return curves[name].opts["pen"].color().name()
    assert colour("DRAM per image") == colour("layer by layer") \
        != colour("depth-first (fused stacks)")
    _choose(win.chip_panel.schedule.combo, "depth_first")
    assert colour("DRAM per image") == colour("depth-first (fused stacks)")
    x, y = curves["DRAM per image"].getOriginalDataset()
    np.testing.assert_allclose(y * 1e6, ref["depth_first"][keep], rtol=1e-12)
    # CSV export carries the new series
    out = tmp_path / "dram.csv"
    export.export_plot(plot, str(out))
    text = out.read_text()
    for name in ("layer by layer", "depth-first (fused stacks)",
                 "floor (no schedule does better)"):
        assert name in text


def test_slider_drag_does_not_recompute_the_curves(main_window, monkeypatch):
    from sramfit.engine import sweep
    calls = []
    real = sweep.sram_curves                     # the document's one SRAM sweep
    monkeypatch.setattr(sweep, "sram_curves", lambda *a, **k: calls.append(1) or real(*a, **k))
    win = main_window
    _choose(win.chip_panel.schedule.combo, "depth_first")
    assert len(calls) == 1                       # once per scenario change
    slider = win.chip_panel.slider
    batch_calls = []
    real_batch = sweep.over_batch
    monkeypatch.setattr(sweep, "over_batch",
                        lambda *a, **k: batch_calls.append(1) or real_batch(*a, **k))
    slider.setSliderDown(True)                   # a drag: the document's fast path
    for pos in (150, 160, 170):
        slider.setValue(pos)
    assert batch_calls == []
    slider.setSliderDown(False)                  # release: solved exactly
    assert len(calls) == 1
    assert win.doc.analysis.schedule == "depth_first"
    assert batch_calls == [1]                    # depth-first batch curve: on release only
    assert win.plots.dram.schedules.curves["depth_first"].isVisible()


def test_layer_table_and_layer_plot_show_the_fused_stacks(main_window):
    from PySide6.QtCore import Qt
    from sramfit.gui.layer_table import COLUMNS
    win = main_window
    headers = [c[1] for c in COLUMNS]
    assert "stack" in headers and "line buffer (MB)" in headers
    plot = win.plots.activation
    assert not plot.stack_bands.item.isVisible()       # layer by layer: no stacks
    assert "fused stack" not in plot.plotItem.titleLabel.text
    _choose(win.chip_panel.schedule.combo, "depth_first")
    a = win.doc.analysis
    assert a.stacks
    model = win.table.model
    col_stack, col_lb = headers.index("stack"), headers.index("line buffer (MB)")
    first = a.stacks[0]
    lo, hi = int(first["first_step"]), int(first["last_step"])
    assert hi > lo
    for i in range(lo, hi + 1):
        assert model.data(model.index(i, col_stack)) == "1"
        want = f"{a.line_buffer_bytes[i] / 1e6:,.3f}"
        assert model.data(model.index(i, col_lb)) == want
    tip = model.data(model.index(lo, col_stack), Qt.ItemDataRole.ToolTipRole)
    assert f"steps {lo}-{hi}" in tip and f"{first['tile_rows']}-row tiles" in tip
    # a step outside every stack shows no stack number
    inside = set()
    for st in a.stacks:
        inside.update(range(int(st["first_step"]), int(st["last_step"]) + 1))
    outside = [i for i in range(len(a.stack)) if i not in inside]
    assert outside and model.data(model.index(outside[0], col_stack)) == ""
    # the per-layer plot: one shaded band per stack, spanning exactly its steps
    bands = plot.stack_bands.item
    assert bands.isVisible()
    x, w = bands.opts["x"], bands.opts["width"]
    assert len(x) == len(a.stacks)
    assert x[0] - w[0] / 2 == lo - 0.5 and x[0] + w[0] / 2 == hi + 0.5
    assert "in a fused stack (line-buffered)" in plot.plotItem.titleLabel.text.replace(
        "&nbsp;", " ")


def test_live_memory_plot_shows_sram_use_per_step_under_depth_first(main_window):
    import numpy as np
    win = main_window
    plot = win.plots.live
    sm = plot.schedule_memory
    assert not sm.curve.isVisible()            # layer by layer: no per-step figure
    _choose(win.chip_panel.schedule.combo, "depth_first")
    a = win.doc.analysis
    assert sm.curve.isVisible() and sm.total.isVisible()
    x, y = sm.curve.getOriginalDataset()
    np.testing.assert_allclose(y * 1e6, a.df.sram_per_step, rtol=1e-12)
    assert len(x) == len(a.df.sram_per_step) + 1          # step edges
    # never above the capacity, and the total-SRAM line sits at the chip's 64 MB
    assert float(np.max(y)) * 1e6 <= 64e6
    assert sm.total.value() == 64.0
    # the engine's peak (staging added) is what the per-step curve peaks at + staging
    t = a.totals()
    assert t["sram_used_peak_bytes"] <= 64e6
    assert "SRAM in use, depth-first" in plot.plotItem.titleLabel.text.replace("&nbsp;", " ")
    win.doc.stack.undo()
    assert not sm.curve.isVisible()


def test_status_bar_shows_the_schedule_and_its_stacks(main_window):
    win = main_window
    label = win.status["schedule"]
    assert "layer by layer" in label.text()
    _choose(win.chip_panel.schedule.combo, "depth_first")
    stacks = win.doc.analysis.stacks
    assert len(stacks) >= 2
    assert "depth-first" in label.text() and f"<b>{len(stacks)}</b> fused stacks" \
        in label.text()
    win.doc.stack.undo()
    assert "layer by layer" in label.text()


def test_export_footnote_names_the_schedule(main_window):
    from sramfit.gui.headless import footnote
    win = main_window
    assert "schedule layer by layer" in win._footnote()
    _choose(win.chip_panel.schedule.combo, "depth_first")
    assert "schedule depth-first" in win._footnote()
    assert "schedule depth-first" in footnote(win.doc.scenario, win.doc.analysis)
