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
