"""The desktop app over real widgets and the real engine (pytest-qt, offscreen)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from sramfit import engine
from sramfit.engine.scenario import load_scenario


def plotted(win):
    """The arrays currently drawn, per plot, copied."""
    p = win.plots
    live_x, live_y = p.live.curve.getData()
    return {
        "act_heights": np.array(p.activation.bars.opts["height"], dtype=float),
        "act_capacity": float(p.activation.capacity.value()),
        "live": np.array(live_y, dtype=float),
        "traffic": np.array(p.traffic.bars.opts["width"], dtype=float),
        "roofline_y": np.array(p.roofline.points.data["y"], dtype=float),
    }


def status(win):
    return {k: v.text() for k, v in win.status.items()}


def test_default_window_shows_yolov3_on_chip_b(main_window):
    win = main_window
    s = win.doc.scenario
    assert (s.model, s.width, s.height, s.chip) == ("yolov3", 1920, 1088, "chip_b")
    a = win.doc.analysis
    assert win.table.model.rowCount() == len(a.footprint.steps)
    t = a.totals()
    assert f"{t['dram_bytes_per_image'] / 1e6:,.0f} MB" in status(win)["dram"]
    assert "images/s" in status(win)["ips"]
    assert len(plotted(win)["act_heights"]) == len(a.footprint.steps)
    assert "YOLOv3" in win.windowTitle()


def test_sram_size_edit_changes_plots_and_status(main_window):
    win = main_window
    before, st0 = plotted(win), status(win)
    win.chip_panel.sram.setValue(8.0)             # exact field, MB
    a = win.doc.analysis
    assert win.doc.scenario.sram_mb == 8.0 and a.sram_mb == 8.0
    after, st1 = plotted(win), status(win)
    assert after["act_capacity"] != before["act_capacity"]
    assert not np.array_equal(after["traffic"], before["traffic"])
    assert st1["dram"] != st0["dram"]
    dram = a.totals()["dram_bytes_per_image"]
    assert after["traffic"].sum() == pytest.approx(dram / 1e6, rel=1e-9)
    # the log slider edits the same field
    win.chip_panel.slider.setValue(win.chip_panel.slider.maximum())
    assert win.doc.scenario.sram_mb == pytest.approx(1000.0)
    assert "fits on chip" in status(win)["fits"]


def test_batch_edit_scales_activations(main_window):
    win = main_window
    before, st0 = plotted(win), status(win)
    win.model_panel.batch.setValue(4)
    assert win.doc.scenario.batch == 4
    after, st1 = plotted(win), status(win)
    assert after["live"].max() == pytest.approx(4 * before["live"].max())
    assert st1["peak"] != st0["peak"] and st1["latency"] != st0["latency"]


def test_input_size_preset_changes_everything(main_window):
    win = main_window
    before, st0 = plotted(win), status(win)
    preset = win.model_panel.preset
    i = preset.findText("416 × 416")
    preset.setCurrentIndex(i)
    preset.activated.emit(i)
    assert (win.doc.scenario.width, win.doc.scenario.height) == (416, 416)
    after, st1 = plotted(win), status(win)
    assert after["live"].max() < before["live"].max()
    assert st1["peak"] != st0["peak"] and st1["dram"] != st0["dram"]
    assert win.model_panel.width.value() == 416


def test_undo_restores_previous_scenario_exactly(main_window, qtbot):
    win = main_window
    s0, p0, st0 = win.doc.scenario, plotted(win), status(win)
    win.model_panel.batch.setValue(2)
    win.chip_panel.sram.setValue(16.0)
    win.model_panel.winograd.setChecked(True)
    assert win.doc.stack.count() == 3 and win.isWindowModified()
    for _ in range(3):
        qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.scenario is s0
    p1 = plotted(win)
    for k in p0:
        np.testing.assert_array_equal(p1[k], p0[k])
    assert status(win) == st0
    assert win.model_panel.batch.value() == 1 and not win.model_panel.winograd.isChecked()
    assert not win.isWindowModified()
    qtbot.keyClick(win, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert win.doc.scenario == dataclasses.replace(s0, batch=2)


def test_slider_drag_is_one_undo_step(main_window):
    win = main_window
    s0 = win.doc.scenario
    slider = win.chip_panel.slider
    slider.setSliderDown(True)
    for v in range(100, 200, 10):
        slider.setValue(v)
    slider.setSliderDown(False)
    assert win.doc.stack.count() == 1
    win.doc.stack.undo()
    assert win.doc.scenario is s0


def test_rejected_edit_changes_nothing(main_window):
    win = main_window
    s0 = win.doc.scenario
    win.model_panel.width.setValue(417)        # YOLOv3 needs multiples of 32
    assert win.doc.scenario is s0
    assert win.doc.stack.count() == 0
    assert "417" in win.message.toolTip()
    assert win.model_panel.width.value() == 1920


def test_save_then_open_round_trips(main_window, no_dialogs, tmp_path):
    win = main_window
    win.model_panel.batch.setValue(8)
    win.chip_panel.dram.setValue(34.1)         # an edited (inline) chip
    edited = win.doc.scenario
    path = tmp_path / "s.yaml"
    no_dialogs.answers["save_file"] = str(path)
    assert win.save_file()
    assert not win.doc.dirty and win.doc.path == str(path)
    assert load_scenario(path) == edited
    win.doc.new()
    assert win.doc.scenario != edited
    assert win.open_path(str(path))
    assert win.doc.scenario == edited
    assert win.recent_files()[0] == str(path.resolve())
    assert win.status["dram"].text() == status(win)["dram"]


def test_corrupt_file_shows_error_and_changes_nothing(main_window, no_dialogs, tmp_path):
    win = main_window
    win.model_panel.batch.setValue(2)
    s0, count = win.doc.scenario, win.doc.stack.count()
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\nbatch: [1, 2\n")
    no_dialogs.answers["show_error"] = None
    assert not win.open_path(str(bad))
    (name, args, _), = no_dialogs.calls
    assert name == "show_error" and "bad.yaml" in args[2]
    assert win.doc.scenario is s0 and win.doc.stack.count() == count and win.doc.dirty
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("version: 1\nmodel: yolov3\nchip: no_such_chip\nbatch: -3\n")
    assert not win.open_path(str(wrong))
    msg = no_dialogs.calls[-1][1][2]
    assert "no_such_chip" in msg and "batch" in msg
    assert win.doc.scenario is s0


def test_unsaved_changes_guard_on_close(main_window, no_dialogs):
    win = main_window
    win.model_panel.batch.setValue(3)
    no_dialogs.answers["ask_save_changes"] = "cancel"
    assert not win.close()
    assert win.isVisible()
    no_dialogs.answers["ask_save_changes"] = "discard"
    assert win.close()


def test_drop_yaml_opens_it(main_window, tmp_path):
    win = main_window
    path = tmp_path / "dropped.yaml"
    s = dataclasses.replace(win.doc.scenario, name="dropped", batch=5)
    engine.save_scenario(s, path)
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(path))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, md,
                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    win.dropEvent(ev)
    assert win.doc.scenario.name == "dropped" and win.doc.scenario.batch == 5


def test_plot_click_selects_table_row_and_back(main_window):
    win = main_window
    win.plots.activation.layerClicked.emit(5)
    assert win.table.selected_step() == 5
    assert all(p.selected == 5 for p in win.plots.plots)
    win.table.view.selectRow(7)
    assert all(p.selected == 7 for p in win.plots.plots)


def test_table_sorts_on_numbers(main_window):
    win = main_window
    col = [c[0] for c in __import__("sramfit.gui.layer_table", fromlist=["COLUMNS"]).COLUMNS]
    win.table.view.sortByColumn(col.index("activation_bytes"), Qt.SortOrder.DescendingOrder)
    top = win.table.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole + 2)
    act = win.doc.analysis.footprint.activation_bytes
    assert top == int(np.argmax(act))


def test_editable_copy_and_layer_edit(main_window):
    win = main_window
    win.model_panel.copy.click()
    s = win.doc.scenario
    assert isinstance(s.model, dict) and s.model["name"] == "yolov3_edit"
    tm = win.editor.table_model
    assert tm.editable
    out_col = [c[0] for c in __import__("sramfit.gui.layer_editor", fromlist=["C"]).COLUMNS].index("out")
    w0 = win.doc.analysis.totals()["weight_bytes"]
    assert tm.setData(tm.index(0, out_col), "64")
    assert win.doc.analysis.totals()["weight_bytes"] > w0
    s1 = win.doc.scenario
    assert not tm.setData(tm.index(0, out_col), "-5")        # invalid: rejected in place
    assert win.doc.scenario is s1
    assert "out" in win.editor.message.text()
    n = len(tm.rows)
    assert tm.remove(n - 1) or True
    win.doc.stack.undo()
    assert win.doc.scenario is s1


def test_settings_are_redirected(main_window, gui_settings):
    assert main_window.settings.fileName().startswith(str(gui_settings))


def test_screenshot_command(qapp, gui_settings, tmp_path):
    from PySide6.QtGui import QImage
    from sramfit.commands import main
    out = tmp_path / "shot.png"
    assert main(["gui", "--screenshot", str(out), "--size", "1200x800"]) == 0
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1200, 800)
    assert not list(gui_settings.iterdir())      # screenshots never write settings


def test_export_current_plot_goes_through_gui_export(main_window, no_dialogs, tmp_path):
    win = main_window
    win.plots.focus(3)                        # DRAM vs SRAM alone
    out = tmp_path / "dram.png"
    no_dialogs.answers["save_file"] = str(out)
    assert win.export_plot()
    from PySide6.QtGui import QImage
    img = QImage(str(out))
    assert not img.isNull() and img.width() > 1000
    win.plots.focus(None)
    assert all(p.isVisible() for p in win.plots.plots)


def test_hover_shows_layer_and_numbers(main_window):
    win = main_window
    plot = win.plots.activation
    vb = plot.plotItem.getViewBox()
    name = win.doc.analysis.footprint.steps[3].name
    plot._on_move(vb.mapViewToScene(QPointF(3, 0.0)))
    assert name in plot.hover_text and "MB" in plot.hover_text
    tip = win.plots.roofline._tip(0, 0, 3)
    assert name in tip and "TOPS" in tip


def test_chip_edit_and_save_as_profile(main_window, no_dialogs, tmp_path):
    from sramfit.engine.chip import load_chip
    win = main_window
    thr0 = win.doc.analysis.totals()["throughput_ips"]
    # chip B is compute-bound on every YOLOv3 step with exact placement: starve it
    win.chip_panel.dram.setValue(2.0)
    s = win.doc.scenario
    assert isinstance(s.chip, dict) and s.chip["dram_gbps"] == 2.0
    assert win.doc.analysis.totals()["throughput_ips"] < thr0
    assert "(edited)" in win.chip_panel.preset.currentText()
    out = tmp_path / "my_chip.yaml"
    no_dialogs.answers["save_file"] = str(out)
    assert win.chip_panel.save_profile()
    chip = load_chip(str(out))
    assert chip.name == "my_chip" and chip.dram_gbps == 2.0
    i = win.chip_panel.preset.findText("chip_c")
    win.chip_panel.preset.setCurrentIndex(i)
    win.chip_panel.preset.activated.emit(i)
    assert win.doc.scenario.chip == "chip_c" and win.doc.analysis.sram_mb == 256.0


def _drop(win, path):
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(path))])
    win.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, md,
                             Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def test_drop_onnx_model_uses_it_in_the_scenario(main_window):
    """Dropping an ONNX export puts that model into the current scenario (chip, batch
    and the rest stay); its figures are PyTorch's records for the file."""
    import json
    from conftest import FIXTURES
    win = main_window
    before = win.doc.scenario
    _drop(win, FIXTURES / "onnx" / "resnetish.onnx")
    s = win.doc.scenario
    assert str(s.model).endswith("resnetish.onnx")
    assert (s.chip, s.batch) == (before.chip, before.batch)
    # at the export size, the analysis shows PyTorch's MACs and folded params for it
    win.model_panel.doc.edit("size", width=64, height=48)
    ref = json.loads((FIXTURES / "onnx" / "resnetish.json").read_text())["records"]["64x48"]
    t = win.doc.analysis.totals()
    assert t["macs"] == ref["conv_fc_macs"]
    assert t["params"] == ref["params_folded"]
    win.doc.stack.undo()
    win.doc.stack.undo()
    assert win.doc.scenario == before


def test_import_model_action_and_bad_file(main_window, no_dialogs, tmp_path):
    from conftest import FIXTURES
    win = main_window
    no_dialogs.answers["open_file"] = str(FIXTURES / "onnx" / "fpnish.onnx")
    [act] = [a for a in win.actions() if a.text() == "&Import model…"]
    assert act.shortcut().toString() == "Ctrl+I"
    act.trigger()
    assert str(win.doc.scenario.model).endswith("fpnish.onnx")
    good = win.doc.scenario
    bad = tmp_path / "broken.cfg"
    bad.write_text("[net]\nwidth=416\n[convolutional]\nfilters=abc\n")
    no_dialogs.answers["show_error"] = None
    _drop(win, bad)
    assert win.doc.scenario == good                      # nothing changed
    name, args, _ = no_dialogs.calls[-1]
    assert name == "show_error" and "broken.cfg" in args[2]


# -- issue 15 bugs ---------------------------------------------------------------------

def test_sram_labels_follow_zero_then_128(main_window):
    """Bug 2: after SRAM 0 then 128 the dashed lines' labels still said 50.4 MB / 0 MB."""
    from sramfit.gui.text import fmt_mb
    win = main_window
    win.chip_panel.sram.setValue(0.0)
    win.chip_panel.sram.setValue(128.0)
    cap = win.doc.analysis.activation_budget_bytes
    assert cap > 100e6                       # hand check: 128 MB minus the pinned weights
    want = f"SRAM for activations {fmt_mb(cap)}"
    for plot in (win.plots.activation, win.plots.live):
        assert plot.capacity.isVisible()
        assert plot.capacity.label.toPlainText().strip() == want


def test_per_layer_axis_shrinks_with_sram(main_window):
    """Bug 3: SRAM 5000 MB then 64 MB left the per-layer y axis at 10^4 MB."""
    win = main_window
    win.chip_panel.sram.setValue(5000.0)
    hi_big = win.plots.activation.plotItem.getViewBox().viewRange()[1][1]
    assert hi_big > 3.5                      # log10(5000) = 3.7
    win.chip_panel.sram.setValue(64.0)
    fp = win.doc.analysis.footprint
    top = max(max(fp.activation_bytes), max(fp.weight_bytes),
              win.doc.analysis.activation_budget_bytes) / 1e6
    hi = win.plots.activation.plotItem.getViewBox().viewRange()[1][1]
    assert hi < np.log10(top) + 0.6
