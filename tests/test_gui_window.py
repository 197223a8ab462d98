"""The desktop app over real widgets and the real engine (pytest-qt, offscreen)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

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
        "roofline_y": np.concatenate([np.array(it.data["y"], dtype=float)
                                      for it in p.roofline.points.values()]),
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
    win.tabs.setCurrentWidget(win.editor)      # the layers tab, as the user opens it
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
    no_dialogs.answers["export_options"] = {"path": str(out), "size": (1280, 720),
                                            "dpi": 144, "style": "slide"}
    assert win.export_plot()
    from PySide6.QtGui import QImage
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1280, 720)
    assert round(img.dotsPerMeterX() * 0.0254) == 144
    # the dialog was offered a file named after the scenario and the plot
    name, args, _ = no_dialogs.calls[-1]
    assert name == "export_options"
    assert Path(args[2]).name == "yolov3-at-2-mp-on-chip-b_dram-traffic-per-image-vs-sram-size.png"
    win.plots.focus(None)
    assert all(p.isVisible() for p in win.plots.plots)


def test_hover_shows_layer_and_numbers(main_window):
    win = main_window
    plot = win.plots.activation
    vb = plot.plotItem.getViewBox()
    name = win.doc.analysis.footprint.steps[3].name
    plot._on_move(vb.mapViewToScene(QPointF(3, 0.0)))
    assert name in plot.hover_text and "MB" in plot.hover_text
    r = win.doc.analysis.roofline()
    j = int(np.flatnonzero((r["dram_bytes"] > 0) & (r["ops"] > 0))[0])   # a drawn point
    tip = win.plots.roofline._tip(0, 0, j)
    assert win.doc.analysis.footprint.steps[j].name in tip and "TOPS" in tip


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
    i = win.chip_panel.preset.findData("chip_c")
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


def test_goal_seek_is_marked_and_used(main_window):
    """Goal seek in the app: the least SRAM for 8 images/s (engine.seek, checked
    against brute force in test_seek.py) is marked on the DRAM-vs-SRAM plot, the
    target on the batch plot, the knee is shown, and 'Use' sets the SRAM to it."""
    from sramfit.engine import seek
    win = main_window
    cp = win.chip_panel
    cp.goal_value.setValue(8.0)
    cp.goal.setCurrentIndex(cp.goal.findData("target_fps"))
    cp._on_goal()
    want = seek.least_sram(win.doc.scenario, "target_fps", 8.0).sram_bytes
    dram = win.plots.dram
    assert dram.goal_line.isVisible()
    assert dram.goal_line.value() == pytest.approx(np.log10(want / 1e6))
    assert dram.knee.isVisible()
    batch = win.plots.batch
    assert batch.goal_fps.isVisible() and batch.goal_fps.value() == 8.0
    assert f"{want / 1e6:,.3f} MB" in cp.goal_result.text()
    cp.goal_use.click()
    assert win.doc.scenario.sram_mb == pytest.approx(want / 1e6)
    assert win.doc.analysis.totals()["throughput_ips"] >= 8.0
    cp.goal.setCurrentIndex(0)
    cp._on_goal()
    assert not dram.goal_line.isVisible() and not batch.goal_fps.isVisible()


def test_no_state_leaks_into_a_new_document(main_window):
    """Bug 4: a rejected edit's red message and the selected-layer crosshair survived
    New, Open and a new model."""
    win = main_window
    win.model_panel.width.setValue(417)              # rejected: YOLOv3 needs /32
    assert "417" in win.message.toolTip()
    win.select_step(3)
    assert win.plots.activation._sel_line.isVisible()
    win.doc.new()
    assert win.message.text() == "" and win.message.toolTip() == ""
    assert not any(p._sel_line.isVisible() for p in win.plots.plots
                   if hasattr(p, "_sel_line"))
    win.model_panel.width.setValue(417)
    win.select_step(2)
    win.doc.edit("model", model="resnet50", width=224, height=224)
    assert win.message.text() == ""
    assert not win.plots.activation._sel_line.isVisible()


def test_status_weights_are_the_stored_weights_with_winograd(main_window):
    """Bug 14: with Winograd the status bar said 61.9 MB, the CLI 100.38 MB stored."""
    from sramfit.gui.text import fmt_mb
    win = main_window
    win.doc.edit("winograd", winograd=True)
    t = win.doc.analysis.totals()
    assert t["weight_bytes_stored"] > t["weight_bytes"]
    assert fmt_mb(t["weight_bytes_stored"]) in win.status["weights"].text()


def test_batch_plot_title_fits_on_one_line(main_window):
    """Bug 6: the throughput title wrapped at the default window size."""
    win = main_window
    one = win.plots.dram.plotItem.titleLabel.item.boundingRect().height()
    assert win.plots.batch.plotItem.titleLabel.item.boundingRect().height() <= one + 1
    assert "Dark line" not in win.plots.activation.help_text      # bug 16: diamonds


def test_roofline_invents_no_intensity(main_window):
    """Bug 11: steps with no DRAM bytes were drawn at an invented 10^5 ops/byte. Now
    only steps with DRAM bytes are points (at ops / DRAM bytes), the rest counted."""
    from sramfit.gui.export import plot_csv
    win = main_window
    a = win.doc.analysis
    r = a.roofline()
    with_dram = int(((r["ops"] > 0) & (r["dram_bytes"] > 0)).sum())
    free = int(((r["ops"] > 0) & (r["dram_bytes"] <= 0)).sum())
    assert free > 0                                   # YOLOv3 2 MP on chip B has some
    xs = np.concatenate([np.array(it.data["x"], float)
                         for it in win.plots.roofline.points.values()])
    assert len(xs) == with_dram
    ai = r["ops"][r["dram_bytes"] > 0] / r["dram_bytes"][r["dram_bytes"] > 0]
    assert np.allclose(np.sort(10 ** xs), np.sort(ai[r["ops"][r["dram_bytes"] > 0] > 0]))
    assert f"{free} steps with no DRAM traffic" in win.plots.roofline.no_dram.toPlainText()
    csv_text = plot_csv(win.plots.roofline)
    assert "100000" not in csv_text


QUIT_AFTER_EDIT = """
from sramfit.gui.app import make_app
app = make_app()
from sramfit.gui import dialogs
dialogs.ask_save_changes = lambda *a, **k: "discard"
from sramfit.gui.document import Document
from sramfit.gui.main_window import MainWindow
w = MainWindow(Document(), remember=False)
w.show(); app.processEvents()
w.chip_panel.sram.setValue(12.0)
app.processEvents()
w.close()
app.quit()
"""


def test_closing_after_an_edit_prints_no_runtime_error(tmp_path):
    """Bug 9: edit, quit, Discard printed 'RuntimeError: Signal source has been
    deleted' from the document's clean-state lambda (at interpreter exit, so the run
    is a fresh interpreter)."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path))
    res = subprocess.run([sys.executable, "-c", QUIT_AFTER_EDIT], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Signal source has been deleted" not in res.stderr
    assert "Traceback" not in res.stderr


def test_units_and_ranges_scale(main_window):
    """Bug 15: 'peak live 1,642,825 MB', 'latency 2,248,487.85 ms', batch 4096 off the
    throughput plot and the DRAM-vs-SRAM axis ending below where the model fits."""
    from sramfit.gui.text import fmt_mb, fmt_seconds
    assert fmt_mb(1_642_825e6) == "1,642.8 GB" and fmt_mb(33_423e6) == "33.4 GB"
    assert fmt_mb(2.5e13) == "25.0 TB"
    assert fmt_mb(64e6) == "64.0 MB"
    assert fmt_seconds(2248.48785) == "2,248.5 s" and fmt_seconds(0.12312) == "123.12 ms"
    win = main_window
    win.model_panel.batch.setValue(4096)
    assert win.doc.scenario.batch == 4096
    st = status(win)
    assert " MB<" not in st["peak"] or "GB" in st["peak"] or "TB" in st["peak"]
    assert "ms" not in st["latency"]                    # seconds at this size
    xr = win.plots.batch.plotItem.getViewBox().viewRange()[0]
    assert xr[0] <= 0 and xr[1] >= np.log10(4096)
    fp = win.doc.analysis.footprint
    need = (fp.totals()["weight_bytes"] + fp.totals()["sum_activation_bytes"]) / 1e6
    dx = win.plots.dram.plotItem.getViewBox().viewRange()[0]
    assert 10 ** dx[1] >= need                          # the axis reaches "fits"


def test_grid_cells_equal_after_single_plot_view(main_window, qtbot):
    """Bug 5: after Ctrl+5 then Ctrl+0 the grid came back with unequal cells."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    win.plots.focus(4)
    QApplication.processEvents()
    win.plots.focus(None)
    for _ in range(3):
        QApplication.processEvents()
    widths = [p.width() for p in win.plots.plots]
    heights = [p.height() for p in win.plots.plots]
    assert max(widths) - min(widths) <= 2 and max(heights) - min(heights) <= 2


def test_layer_table_shows_ten_rows_at_1600x1000(main_window):
    """The layer table is readable at the default size (it showed 4 rows)."""
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()
    view = main_window.table.view
    last = view.rowAt(view.viewport().height() - 2)
    assert last == -1 or last >= 9


def test_title_and_save_as_follow_a_model_switch(main_window, no_dialogs, tmp_path):
    """Bug 13: after switching model the title and Save As still used the old name."""
    win = main_window
    assert "YOLOv3" in win.windowTitle()
    win.doc.edit("model", model="resnet50", width=224, height=224)
    assert "resnet50 at 224x224 on chip_b" in win.windowTitle()
    assert "YOLOv3" not in win.windowTitle()
    asked = {}

    def save_file(parent, title, suggested, *a, **k):
        asked["name"] = suggested
        return ""

    import sramfit.gui.dialogs as dialogs
    old = dialogs.save_file
    dialogs.save_file = save_file
    try:
        win.save_file_as()
    finally:
        dialogs.save_file = old
    assert "resnet50" in asked.get("name", "")


def test_drag_places_fast_and_release_solves_exactly(main_window):
    """While the SRAM slider is dragged the app places with the threshold rule (the
    exact solve costs tens of ms); on release it shows the exact analysis."""
    from sramfit import engine
    win = main_window
    slider = win.chip_panel.slider
    slider.setSliderDown(True)
    slider.setValue(slider.value() - 37)
    assert win.doc._approx
    slider.setSliderDown(False)                      # emits sliderReleased
    assert not win.doc._approx
    exact = engine.analyze(win.doc.scenario).totals()
    got = win.doc.analysis.totals()
    assert got["dram_bytes_per_image"] == exact["dram_bytes_per_image"]
    assert got["throughput_ips"] == exact["throughput_ips"]


def test_save_chip_profile_offers_the_users_folder_and_its_own_title(
        main_window, no_dialogs, tmp_path, monkeypatch):
    """Bug 10: 'Save chip as profile' offered the installed package's folder and
    copied the title, so two chips were listed under one title."""
    import sramfit.gui.dialogs as dialogs
    from sramfit.engine.chip import load_chip
    from sramfit.engine.resources import chips_dir
    asked = {}
    out = tmp_path / "my_chip.yaml"

    def save_file(parent, title, suggested, *a, **k):
        asked["suggested"] = suggested
        return str(out)
    monkeypatch.setattr(dialogs, "save_file", save_file)
    win = main_window
    assert win.chip_panel.save_profile()
    assert chips_dir().resolve() not in Path(asked["suggested"]).resolve().parents
    saved = load_chip(str(out))
    assert saved.title != load_chip("chip_b").title and "my_chip" in saved.title


def test_refused_size_is_explained_and_presets_say_what_works(main_window):
    """Bug 7: YOLOv3 at 1280x720 showed a status message cut at '...(061_shortcu' that
    vanished after 3 s; the nearest valid sizes were never visible; the presets offered
    sizes the model refuses."""
    win = main_window
    mp = win.model_panel
    assert not win.doc.edit("size", width=1280, height=720)
    assert mp.problem.isVisible()
    assert "nearest sizes that work" in mp.problem.text()
    assert "1280x704" in mp.problem.text() or "1280x736" in mp.problem.text()
    mp.preset.showPopup()                                # the list is checked on opening
    mp.preset.hidePopup()
    items = mp.preset.model()
    labels = [mp.preset.itemText(i) for i in range(mp.preset.count())]
    hd = labels.index("720p 1280 × 720")
    assert not items.item(hd).isEnabled() and "1280x720" in items.item(hd).toolTip()
    assert items.item(labels.index("2 MP 1920 × 1088")).isEnabled()
    assert items.item(labels.index("416 × 416")).isEnabled()
    win.doc.edit("batch", batch=2)                       # an accepted change clears it
    assert not mp.problem.isVisible()


def test_export_dialog_collects_size_dpi_and_style(qtbot, tmp_path):
    """The export dialog (item 5 of issue 15): size, DPI, style, file name."""
    from sramfit.gui.export_dialog import ExportDialog
    dlg = ExportDialog(None, "Export", str(tmp_path / "a_b.png"), (1920, 1080), 144, "slide")
    qtbot.addWidget(dlg)
    dlg.width_px.setValue(800)
    dlg.height_px.setValue(600)
    dlg.dpi.setValue(300)
    dlg.style.setCurrentIndex(dlg.style.findData("screen"))
    dlg.path.setText(str(tmp_path / "plot"))
    assert dlg.options() == {"path": str(tmp_path / "plot.png"), "size": (800, 600),
                             "dpi": 300, "style": "screen"}


def test_hover_shows_every_per_layer_figure(main_window):
    """Hover carries MACs, time (compute / memory), bound, utilisation and DRAM, from the
    engine's layer rows (issue 15)."""
    win = main_window
    plot = win.plots.activation
    vb = plot.plotItem.getViewBox()
    plot._on_move(vb.mapViewToScene(QPointF(3, 0.0)))
    r = win.doc.analysis.layer_rows()[3]
    text = plot.hover_text
    assert f"{r['macs'] / 1e6:,.1f} M MACs" in text
    assert f"{r['time_s'] * 1e6:,.1f} µs" in text and f"{r['bound']}-bound" in text
    assert "MAC utilisation" in text and "DRAM" in text
    live = win.plots.live
    live._on_move(live.plotItem.getViewBox().mapViewToScene(QPointF(3, 0.0)))
    assert f"{r['macs'] / 1e6:,.1f} M MACs" in live.hover_text


def test_drag_shows_each_notchs_own_batch_sweep_and_table(main_window):
    """The drag's batch sweep comes from one grid over all slider notches and the
    table only repaints changed cells (speed): each notch and the end of the drag
    must still show that SRAM size's own figures, computed directly."""
    from sramfit.engine import sweep
    from sramfit.gui.document import batch_grid
    from sramfit.gui.layer_table import table_rows
    win = main_window
    slider = win.chip_panel.slider
    start = slider.value()
    slider.setSliderDown(True)
    for pos in (start - 120, start - 119, start + 40, start - 60):
        slider.setValue(pos)
        s = win.doc.scenario
        assert s.sram_mb is not None and win.doc._approx
        want = sweep.over_batch(s, batch_grid(s))
        got = win.plots.batch.thr.getData()[1]
        assert np.array_equal(got, np.asarray(want["throughput_ips"], dtype=float))
        assert np.array_equal(win.plots.batch.lat.getData()[1],
                              np.asarray(want["latency_s"], dtype=float) * 1e3)
    slider.setSliderDown(False)
    a = engine.analyze(win.doc.scenario)
    model = win.table.model
    rows = table_rows(a)
    assert [r["name"] for r in model.rows] == [r["name"] for r in rows]
    col = [c[0] for c in model_columns()].index("dram_bytes")
    shown = [model.data(model.index(i, col)) for i in range(len(rows))]
    fmt = model_columns()[col][3]
    assert shown == [fmt(r["dram_bytes"]) for r in rows]


def model_columns():
    from sramfit.gui.layer_table import COLUMNS
    return COLUMNS


def test_switching_back_reuses_the_analysis_and_shows_its_figures(main_window):
    """Recent analyses are kept (speed): switching A -> B -> A shows A's own figures
    (computed afresh here), and the markers that skip unchanged setData follow."""
    win = main_window
    a = win.doc.scenario
    b = dataclasses.replace(a, model="resnet50", width=224, height=224)
    first = win.doc.analysis
    assert win.doc.replace(b, "switch") and win.doc.replace(a, "switch")
    assert win.doc.analysis is first                 # reused, not recomputed
    fresh = engine.analyze(win.doc.scenario).totals()
    assert win.doc.analysis.totals()["dram_bytes_per_image"] == fresh["dram_bytes_per_image"]
    x, y = win.plots.dram.current.getData()
    assert y[0] * 1e6 == pytest.approx(fresh["dram_bytes_per_image"], rel=1e-12)
    win.doc.new()                  # File > New: only the new scenario's results are kept
    assert all(len(v) <= 1 for v in win.doc._sweep_cache.values())
    assert win.doc._sweep_cache["analysis"][0][1] is win.doc.analysis


def test_plots_hidden_by_the_single_plot_view_show_the_latest_figures(main_window):
    """The single-plot view renders only the shown plot (speed); the others must show
    the current scenario's figures as soon as they are shown again."""
    win = main_window
    win.plots.focus(0)
    slider = win.chip_panel.slider
    slider.setValue(slider.value() - 80)
    win.plots.focus(None)
    a = engine.analyze(win.doc.scenario).totals()
    x, y = win.plots.dram.current.getData()
    assert y[0] * 1e6 == pytest.approx(a["dram_bytes_per_image"], rel=1e-12)
    assert x[0] == pytest.approx(np.log10(win.doc.analysis.sram_bytes / 1e6), rel=1e-12)


def test_window_usable_at_1280x720(main_window):
    """At 1280x720 the six plots were ~285x215 px, titles on two lines and axis labels
    cut ("AM MB per image", "imated throughput"): the grid now reflows to two columns in
    a scroll area, and a label longer than its axis wraps instead of being clipped."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    win.resize(1280, 720)
    for _ in range(4):
        QApplication.processEvents()
    assert win.plots.columns == 2
    for p in win.plots.plots:
        assert p.width() >= 330 and p.height() >= 250, (p.title, p.width(), p.height())
        for side in ("left", "right", "bottom"):
            ax = p.plotItem.getAxis(side)
            if not (ax.isVisible() and ax.label.isVisible()
                    and ax.label.toPlainText().strip()):
                continue
            length = ax.height() if side != "bottom" else ax.width()
            assert ax.label.boundingRect().width() <= length, (p.title, side)
    # all six plots reachable: the plot area scrolls
    bar = win.plot_scroll.verticalScrollBar()
    assert bar.maximum() > 0
    win.resize(1600, 1000)
    for _ in range(4):
        QApplication.processEvents()
    assert win.plots.columns == 3 and win.plot_scroll.verticalScrollBar().maximum() == 0
    # back at 1600 a label that fits is one line again
    ax = win.plots.dram.plotItem.getAxis("left")
    assert ax.label.textWidth() < 0


def test_figure_labels_sit_above_the_curves(main_window):
    """The chip's, the knee's and the goal's figures were drawn through the curves
    (1600x1000): they sit above every curve on a translucent white ground."""
    import pyqtgraph as pg
    d, b = main_window.plots.dram, main_window.plots.batch
    for plot, labels in ((d, [(d.current_text, d.current_text), (d.knee_text, d.knee_text),
                               (d.goal_line, d.goal_line.label)]),
                         (b, [(b.goal_fps, b.goal_fps.label),
                              (b.goal_batch, b.goal_batch.label)])):
        curves = [it for it in plot.plotItem.items
                  if isinstance(it, (pg.PlotDataItem, pg.PlotCurveItem, pg.ScatterPlotItem))]
        assert curves
        for item, text in labels:
            assert text.fill.color().alpha() >= 128
            assert item.zValue() > max(it.zValue() for it in curves)


def test_export_dialog_picks_the_plot_and_names_files_after_the_scenario(
        main_window, no_dialogs, tmp_path, qtbot):
    """In the grid view "Export plot…" always wrote the first plot: the dialog now
    offers every plot (the file name follows), and "Export all" names the files after
    the scenario too."""
    from sramfit.gui.export_dialog import ExportDialog
    win = main_window
    out = tmp_path / "b.csv"
    no_dialogs.answers["export_options"] = {"path": str(out), "size": (800, 450),
                                            "dpi": 96, "style": "screen", "plot": 4}
    assert win.export_plot()
    _, args, kw = no_dialogs.calls[-1]
    assert [t for t, _ in kw["plots"]] == [p.title for p in win.plots.plots]
    from sramfit.gui.export import plot_title
    assert out.read_text().splitlines()[0] == f"# title: {plot_title(win.plots.batch)}"
    dlg = ExportDialog(None, "Export", kw["plots"][0][1], plots=kw["plots"], current=0)
    qtbot.addWidget(dlg)
    dlg.plot.setCurrentIndex(3)
    assert Path(dlg.options()["path"]).name == Path(kw["plots"][3][1]).name
    assert dlg.options()["plot"] == 3
    assert Path(kw["plots"][3][1]).name.startswith("yolov3-at-2-mp-on-chip-b_")
    no_dialogs.answers["choose_directory"] = str(tmp_path / "all")
    assert win.export_plots()
    names = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert names and all(n.startswith("yolov3-at-2-mp-on-chip-b-") for n in names)


@pytest.mark.parametrize("sram_mb", [2.0, 0.5, 64.0, 400.0])
def test_chip_label_stays_inside_the_dram_plot(main_window, sram_mb):
    """At 2 MB on YOLOv3 the chip's point is near the top and its label ran out of the
    plot over the legend ("chips A, B, C"): it hangs below a high point instead."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    win.chip_panel.sram.setValue(sram_mb)
    for _ in range(4):
        QApplication.processEvents()
    d = win.plots.dram
    view = d.plotItem.getViewBox().sceneBoundingRect()
    for t in (d.current_text, d.knee_text):
        if t.isVisible() and t.toPlainText().strip():
            r = t.mapRectToScene(t.boundingRect())
            assert view.top() - 1 <= r.top() and r.bottom() <= view.bottom() + 1, \
                (sram_mb, t.toPlainText(), r, view)


def test_axes_change_unit_with_the_data_and_the_csv_follows(main_window, tmp_path):
    """Bug 15 on the axes: at batch 4096 the live-memory axis read "400000" MB and the
    latency axis "700000" ms. They switch to GB and s; the CSV, whose header takes the
    axis' unit, carries the values in that unit (by hand from the engine's figures)."""
    from PySide6.QtWidgets import QApplication
    from sramfit.gui import export
    win = main_window
    live, batch = win.plots.live, win.plots.batch
    assert "live MB" in live.plotItem.getAxis("left").labelText
    # chip B's batch sweep reaches 40 s at batch 256: seconds from the start
    top_ms = 1.15e3 * max(win.frame().batch_sweep["latency_s"])
    assert ("latency (s)" if top_ms >= 1e4 else "latency (ms)") in \
        batch.plotItem.getAxis("right").labelText
    win.model_panel.batch.setValue(4096)
    for _ in range(3):
        QApplication.processEvents()
    assert "live GB (10⁹ B)" in live.plotItem.getAxis("left").labelText
    assert "latency (s)" in batch.plotItem.getAxis("right").labelText
    peak = float(max(win.doc.analysis.footprint.live_bytes))
    out = tmp_path / "live.csv"
    export.export_plot(live, out)
    lines = out.read_text().splitlines()
    header = next(ln for ln in lines if not ln.startswith("#"))
    assert "live GB (10⁹ B)" in header
    vals = [float(ln.split(",")[-1]) for ln in lines[lines.index(header) + 1:]
            if ln.split(",")[-1]]
    assert max(vals) == pytest.approx(peak / 1e9, rel=1e-9)
    out = tmp_path / "batch.csv"
    export.export_plot(batch, out)
    text = out.read_text()
    lat_s = win.frame().batch_sweep["latency_s"]
    assert "latency (s)" in text
    rows = [ln.split(",") for ln in text.splitlines() if not ln.startswith("#")]
    col = rows[0].index(next(h for h in rows[0] if "latency (s)" in h))
    got = [float(r[col]) for r in rows[1:] if len(r) > col and r[col]]
    assert got == pytest.approx([float(v) for v in lat_s], rel=1e-9)
    win.model_panel.batch.setValue(1)
    for _ in range(3):
        QApplication.processEvents()
    assert "live MB" in live.plotItem.getAxis("left").labelText


def test_a_name_made_from_the_chip_follows_the_chip(main_window, tmp_path):
    """"resnet50 at 1920x1088 on chip_b" kept naming chip_b after the chip became a
    Hailo-8 (window title, compare window, every export's footnote). A name sramfit made
    follows the model, size and chip; a name the user gave is kept."""
    from sramfit.gui.headless import footnote
    win = main_window
    cp = win.chip_panel
    i = cp.preset.findData("hailo8")
    cp.preset.setCurrentIndex(i)
    cp.preset.activated.emit(i)
    assert win.doc.analysis.chip.name == "hailo8"
    assert win.doc.scenario.name == "yolov3 at 1920x1088 on hailo8"
    assert "on hailo8" in win.windowTitle() and "chip B" not in win.windowTitle()
    win.doc.edit("model", model="resnet50")
    win.doc.edit("size", width=224, height=224)
    assert win.doc.scenario.name == "resnet50 at 224x224 on hailo8"
    assert footnote(win.doc.scenario, win.doc.analysis).startswith(
        "sramfit: resnet50 at 224x224 on hailo8:")
    win.doc.edit("name", name="my study")
    i = cp.preset.findData("t4")
    cp.preset.setCurrentIndex(i)
    cp.preset.activated.emit(i)
    assert win.doc.analysis.chip.name == "t4" and win.doc.scenario.name == "my study"


def test_refused_size_message_is_in_view_at_1280x720(main_window):
    """Bug 7 at 1280x720: the model dock is short, and the refusal (with the nearest
    sizes that work) sat below its fold, cut after one line: it scrolls into view."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication
    win = main_window
    win.resize(1280, 720)
    for _ in range(4):
        QApplication.processEvents()
    assert not win.doc.edit("size", width=1280, height=720)
    for _ in range(4):
        QApplication.processEvents()
    label = win.model_panel.problem
    view = win.model_dock.widget().viewport()
    top = label.mapTo(view, QPoint(0, 0)).y()
    assert 0 <= top and top + label.height() <= view.height(), (top, label.height(),
                                                                 view.height())
    assert "nearest sizes that work" in label.text()


@pytest.mark.parametrize("sram_mb", [2.0, 64.0])
def test_reference_chip_letters_clear_of_this_chip(main_window, sram_mb):
    """With the chip's point high in the DRAM-vs-SRAM plot (2 MB on YOLOv3) the A/B/C
    letters of the reference chips were drawn under the point and its label."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    win.chip_panel.sram.setValue(sram_mb)
    for _ in range(4):
        QApplication.processEvents()
    d = win.plots.dram
    # the dot keeps its size in pixels (ItemIgnoresTransformations): its rect on screen
    # comes from its device transform, mapped back into the scene
    dev = d.current.deviceTransform(d.viewportTransform()).mapRect(d.current.boundingRect())
    point = d.mapToScene(dev.toAlignedRect()).boundingRect()
    assert 10 <= point.width() <= 20 and 10 <= point.height() <= 20   # a 12 px dot
    text = d.current_text.mapRectToScene(d.current_text.boundingRect())
    lines = [ln for ln in d._chip_lines if ln.isVisible()]
    assert len(lines) == 3
    for ln in lines:
        r = ln.label.mapRectToScene(ln.label.boundingRect())
        assert not r.intersects(text) and not r.intersects(point), (sram_mb, ln.label.toPlainText())


def test_layer_table_cells_follow_every_change(main_window):
    """The table formats each row's cells once and keeps them: after a model switch (a
    reset), an SRAM change (cells updated in place) and back, every shown cell is the
    current analysis' value, written out here from the engine's rows."""
    from dataclasses import replace

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication
    win = main_window
    model = win.table.model
    yolo = win.doc.scenario
    for s in (replace(yolo, model="resnet50", width=224, height=224),
              replace(yolo, sram_mb=2.0), yolo):
        win.doc.replace(s, "switch")
        QApplication.processEvents()
        rows = win.doc.analysis.layer_rows()
        assert model.rowCount() == len(rows)
        for i, r in enumerate(rows):
            shown = {k: model.index(i, c).data() for c, k in
                     enumerate(("step", "name", "op", "shape", "activation_bytes"))}
            assert shown["step"] == str(i)
            assert shown["name"].startswith(r["name"])
            assert shown["op"] == str(r["op"])
            assert shown["shape"] == "×".join(str(v) for v in r["output_shape"])
            assert shown["activation_bytes"] == f"{r['activation_bytes'] / 1e6:,.3f}"
            where = model.index(i, 7)
            assert where.data() == ("SRAM" if r["in_sram"] else "DRAM (spill)")
            colour = where.data(Qt.ItemDataRole.ForegroundRole).color().name()
            assert colour == ("#1d7a6f" if r["in_sram"] else "#c4472a")
            assert model.index(i, 4).data(Qt.ItemDataRole.TextAlignmentRole) == int(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            assert model.index(i, 1).data(Qt.ItemDataRole.TextAlignmentRole) is None


def test_layer_table_order_and_filter(main_window):
    """Sorted by step (the default) the table shows the steps' own order without sorting
    (the proxy's sort column is none); by another column, or by step descending, it
    sorts; the filter box matches a layer's name or op, case-insensitively."""
    from dataclasses import replace

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication
    from sramfit.gui import layer_table as lt
    win = main_window
    table, view, proxy = win.table, win.table.view, win.table.proxy
    yolo = win.doc.scenario
    win.doc.replace(replace(yolo, model="resnet50", width=224, height=224), "switch")
    QApplication.processEvents()
    steps = [proxy.index(r, 0).data(lt.STEP_ROLE) for r in range(proxy.rowCount())]
    assert steps == list(range(len(steps))) and proxy.sortColumn() == -1
    assert view.horizontalHeader().sortIndicatorSection() == 0
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    steps = [proxy.index(r, 0).data(lt.STEP_ROLE) for r in range(proxy.rowCount())]
    assert steps == list(range(len(steps)))[::-1] and proxy.sortColumn() == 0
    col = lt.KEYS.index("macs")
    view.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    rows = table.model.rows
    shown = [rows[proxy.index(r, 0).data(lt.STEP_ROLE)]["macs"]
             for r in range(proxy.rowCount())]
    assert shown == sorted(r["macs"] for r in rows)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    table.filter.setText("RELU")
    ops = {str(r["op"]) for r in rows}
    want = [r["step"] for r in rows if "relu" in r["name"].lower()
            or "relu" in str(r["op"]).lower()]
    got = [proxy.index(r, 0).data(lt.STEP_ROLE) for r in range(proxy.rowCount())]
    assert got == want
    table.filter.setText("Pool")
    want = [r["step"] for r in rows if "pool" in r["name"].lower()
            or "pool" in str(r["op"]).lower()]
    got = [proxy.index(r, 0).data(lt.STEP_ROLE) for r in range(proxy.rowCount())]
    assert got == want and want, ops
    table.filter.setText("")
    assert proxy.rowCount() == len(rows)


def test_hidden_layer_editor_fills_when_shown(main_window):
    """The model-layers tab is not rebuilt while hidden (a model switch rebuilt its ~250
    rows); shown, it lists the current model's layers."""
    from dataclasses import replace

    from PySide6.QtWidgets import QApplication
    from sramfit.gui.layer_editor import COLUMNS
    win = main_window
    tm = win.editor.table_model
    assert not win.editor.isVisible()
    before = tm.model
    win.doc.replace(replace(win.doc.scenario, model="resnet50", width=224, height=224),
                    "switch")
    QApplication.processEvents()
    assert tm.model is before                   # not rebuilt while hidden
    win.tabs.setCurrentWidget(win.editor)
    QApplication.processEvents()
    layers = win.doc.analysis.footprint.model.layers
    assert tm.model is win.doc.analysis.footprint.model
    name = [c[0] for c in COLUMNS].index("name")
    assert tm.rowCount() == len(layers)
    assert [tm.index(r, name).data() for r in range(tm.rowCount())] == [
        layer.name for layer in layers]
    # shown, it follows each change at once
    win.doc.replace(replace(win.doc.scenario, model="yolov3_tiny"), "switch")
    QApplication.processEvents()
    assert tm.model is win.doc.analysis.footprint.model


def test_a_long_status_message_ends_in_an_ellipsis_at_1280x720(main_window):
    """A message wider than the status bar's room shows its start and "…", with the
    whole text in the tooltip (it was cut mid-word); a short one shows whole."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    win.resize(1280, 720)
    QApplication.processEvents()
    long = ("input 1280x720: yolov3 cannot take this size: layer 061_shortcut adds "
            "maps of 40x23 and 40x22; sizes that work: multiples of 32 such as 1280x704 "
            "or 1280x736")
    win.show_message(long, error=True)
    QApplication.processEvents()
    label = win.message
    assert label.text() == long and label.toolTip() == long
    shown = label.shown()
    assert shown.endswith("…") and long.startswith(shown[:-1])
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    win.show_message("saved")
    QApplication.processEvents()
    assert label.shown() == "saved"
    win.resize(1600, 1000)
