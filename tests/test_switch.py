"""Issue 15, model switch: one paint per plot, one SRAM sweep, one frame builder
(the window and the exports), and the figures shown after a switch are the CLI's."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("PySide6")

from sramfit.commands import main  # noqa: E402
from sramfit.engine import seek, sweep  # noqa: E402
from sramfit.engine.scenario import Scenario  # noqa: E402


def _count_paints(win):
    from PySide6.QtCore import QEvent, QObject

    counts = {p.viewport(): 0 for p in win.plots.plots}

    class Spy(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and obj in counts:
                counts[obj] += 1
            return False

    spy = Spy(win)
    for vp in counts:
        vp.installEventFilter(spy)
    return counts, spy


def test_one_paint_per_plot_after_a_model_switch(main_window):
    """Each plot was painted two to four times per switch: pyqtgraph measures axis
    labels and moves its view boxes and text items inside the first paint, and each
    change scheduled another (main_window.settle does that before the paint)."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    yolo = win.doc.scenario
    resnet = replace(yolo, model="resnet50", width=224, height=224)
    QApplication.processEvents()
    counts, _spy = _count_paints(win)
    for target in (resnet, yolo, resnet, yolo):
        for vp in counts:
            counts[vp] = 0
        win.doc.replace(target, "switch")
        QApplication.processEvents()
        names = {type(p).__name__: counts[p.viewport()] for p in win.plots.plots}
        assert set(names.values()) == {1}, str(names)


def test_sram_curves_is_both_sweeps_bit_for_bit():
    """engine.sweep.sram_curves evaluates the grid once; its sweep is over_sram's, and
    its curves are the sweeps of each schedule taken apart (independent evaluations)."""
    grid = sweep.log_sram_grid(3e8, 40, 1e5)
    for s in (Scenario(model="yolov3_tiny", chip="chip_a", batch=2),
              Scenario(model="resnet50", chip="chip_b", batch=4, compiled_batch=2,
                       schedule="depth_first")):
        sw, cur = sweep.sram_curves(s, grid)
        ref = sweep.over_sram(s, grid)
        assert set(sw) == set(ref)
        for k in ref:
            assert np.array_equal(sw[k], ref[k], equal_nan=True), k
        lbl = sweep.over_sram(replace(s, schedule="layer_by_layer"), grid)
        df = sweep.over_sram(replace(s, schedule="depth_first"), grid)
        assert np.array_equal(cur["sram_bytes"], grid)
        assert np.array_equal(cur["layer_by_layer"], lbl["dram_bytes_per_image"])
        assert np.array_equal(cur["depth_first"], df["dram_bytes_per_image"])
        assert np.array_equal(cur["floor"], df["dram_lower_bound_bytes_per_image"])
        assert np.array_equal(sweep.dram_curves(s, grid)["depth_first"], cur["depth_first"])


def test_a_scenario_change_sweeps_the_sram_grid_once(main_window, monkeypatch):
    """The document used to run the layer-by-layer SRAM sweep twice per change
    (over_sram for the sweep, dram_curves again for the curves)."""
    from sramfit.engine import analysis
    calls = []
    real = analysis.evaluate

    def spy(prep, chip, sram, *a, **k):
        if np.size(sram) > 1:                       # a sweep over the SRAM grid
            calls.append(np.size(sram))
        return real(prep, chip, sram, *a, **k)
    monkeypatch.setattr(analysis, "evaluate", spy)
    monkeypatch.setattr(sweep, "evaluate", spy)
    win = main_window
    win.doc.edit("model", model="resnet50", width=224, height=224)
    assert len(calls) == 1, calls


def test_exports_draw_the_window_frame(main_window):
    """headless.scenario_frame (``sramfit export``) is the window's frame builder: the
    same sweeps, and the knee and goal marks it used to leave out."""
    from sramfit.gui.headless import scenario_frame
    win = main_window
    win.doc.set_goal("target_fps", 8.0)
    shown = win.frame()
    made = scenario_frame(win.doc.scenario, win.doc.analysis, goal=("target_fps", 8.0))
    assert made.analysis is shown.analysis
    assert made.reference_chips == shown.reference_chips
    for key in ("sram_sweep", "batch_sweep", "dram_curves"):
        a, b = getattr(made, key), getattr(shown, key)
        assert set(a) == set(b)
        for k in a:
            assert np.array_equal(a[k], b[k], equal_nan=True), (key, k)
    sw = sweep.over_sram(win.doc.scenario, made.dram_curves["sram_bytes"])
    i = seek.knee(sw["sram_bytes"], sw["dram_bytes_per_image"])
    assert i is not None and made.knee_bytes == shown.knee_bytes == sw["sram_bytes"][i]
    want = seek.least_sram(win.doc.scenario, "target_fps", 8.0).sram_bytes
    assert made.goal == shown.goal and made.goal["sram_bytes"] == want


def test_export_cli_marks_the_knee(tmp_path, qapp):
    from sramfit.engine.resources import scenarios_dir
    from sramfit.gui.document import sram_grid
    path = scenarios_dir() / "resnet50_224_t4_b1.yaml"
    assert main(["export", str(path), "--out", str(tmp_path), "--formats", "csv"]) == 0
    f = next(tmp_path.glob("*dram-traffic-per-image-vs-sram-size.csv"))
    body = [ln for ln in f.read_text(encoding="utf-8").splitlines()
            if not ln.startswith("#")]
    rows = {r[0]: r[1:] for r in csv.reader(io.StringIO("\n".join(body))) if r}
    from sramfit import engine
    s = engine.load_scenario(str(path))
    sw = sweep.over_sram(s, sram_grid(s))
    i = seek.knee(sw["sram_bytes"], sw["dram_bytes_per_image"])
    assert float(rows["knee"][0]) == pytest.approx(sw["sram_bytes"][i] / 1e6, rel=1e-9)


def test_after_a_switch_the_window_shows_the_cli_figures(main_window, capsys):
    """Switch to a model not seen before and back: the figures shown (status bar and
    the frame's analysis) are `sramfit report`'s, bit for bit."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    yolo = win.doc.scenario
    win.doc.replace(replace(yolo, model="resnet50", width=224, height=224), "switch")
    QApplication.processEvents()
    win.doc._sweep_cache.clear()
    win.doc.replace(yolo, "switch")
    QApplication.processEvents()
    assert main(["report", "--model", "yolov3", "--input", "1920x1088", "--chip",
                 "chip_b", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)["totals"]
    t = win.frame().analysis.totals()
    for key in ("dram_bytes_per_image", "throughput_ips", "latency_s", "peak_live_bytes",
                "weights_in_sram_bytes", "activations_in_sram_bytes",
                "dram_lower_bound_bytes_per_image", "energy_j_per_image"):
        assert float(t[key]) == cli[key], key
    assert cli["placement_exact"] is True and bool(t["placement_exact"])
    assert f"{cli['throughput_ips']:,.1f}" in win.status["ips"].text()


def test_a_new_model_first_frame_is_marked_then_exact(main_window):
    """The app (gui/app.py) shows a model not analysed recently at once from the
    threshold placement, marked, with the sweep plots covered; the exact placement and
    the curves replace it on the next turn of the event loop."""
    from PySide6.QtWidgets import QApplication
    from sramfit import engine
    win = main_window
    doc = win.doc
    yolo = doc.scenario
    resnet = replace(yolo, model="resnet50", width=224, height=224)
    doc.replace(resnet, "switch")                   # (not deferred: exact at once)
    QApplication.processEvents()
    doc.defer_new_models = True
    doc._sweep_cache.clear()                        # YOLOv3 now a model not seen before
    counts, _spy = _count_paints(win)
    doc.replace(yolo, "switch")
    assert doc.provisional
    # the first frame is painted before replace() returns, each plot once
    names = {type(p).__name__: counts[p.viewport()] for p in win.plots.plots}
    assert set(names.values()) == {1}, str(names)
    for vp in counts:
        counts[vp] = 0
    exact = engine.analyze(yolo).totals()
    # the threshold rule's figures (YOLOv3 2 MP spills: they differ from the exact)
    assert doc.analysis.totals()["dram_bytes_per_image"] != exact["dram_bytes_per_image"]
    assert win.provisional_label.isVisible()
    assert "placing exactly" in win.provisional_label.text()
    for p in (win.plots.dram, win.plots.batch):
        assert p._computing.isVisible() and "computing" in p._computing.text.text()
    f = win.frame()
    assert f.sram_sweep is None and f.batch_sweep is None and f.dram_curves is None
    QApplication.processEvents()                    # the exact frame computed...
    assert not doc.provisional
    QApplication.processEvents()                    # ...and painted
    assert not win.provisional_label.isVisible()
    assert not any(p._computing.isVisible() for p in (win.plots.dram, win.plots.batch))
    ref = exact
    t = doc.analysis.totals()
    for key in ("dram_bytes_per_image", "throughput_ips", "latency_s",
                "weights_in_sram_bytes", "activations_in_sram_bytes"):
        assert t[key] == ref[key], key
    assert t["placement_exact"]
    f = win.frame()
    assert f.sram_sweep is not None and f.knee_bytes is not None
    drawn = win.plots.dram.curve.getData()[1]       # MB
    want = f.sram_sweep["dram_bytes_per_image"][f.sram_sweep["sram_bytes"] > 0] / 1e6
    np.testing.assert_allclose(drawn, want, rtol=1e-12)
    # then the exact frame: the sweep plots painted once (the roofline may repaint its
    # provisional frame once on the next turn of the loop)
    names = {type(p).__name__: counts[p.viewport()] for p in win.plots.plots}
    assert names["DramVsSramPlot"] == names["BatchPlot"] == 1, str(names)
    assert set(names.values()) <= {1, 2}, str(names)
    doc.replace(resnet, "switch")                   # (analysed before the cache went)
    QApplication.processEvents()
    doc.replace(yolo, "switch")                     # recent: exact at once
    assert not doc.provisional and doc.analysis.totals()["placement_exact"]


def test_undo_before_the_exact_frame(main_window):
    from PySide6.QtWidgets import QApplication
    win = main_window
    doc = win.doc
    doc.defer_new_models = True
    yolo = doc.scenario
    doc.replace(replace(yolo, model="resnet18", width=224, height=224), "switch")
    assert doc.provisional
    doc.stack.undo()
    assert doc.scenario == yolo and not doc.provisional
    assert doc.analysis.totals()["placement_exact"]
    QApplication.processEvents()                    # the pending completion: no-op
    assert doc.scenario == yolo and not win.provisional_label.isVisible()
    assert not win.plots.dram._computing.isVisible()


def _provisional_yolo(win):
    """Switch away and back to the default YOLOv3 scenario with the caches emptied, so
    the window shows the provisional first frame; the scenario."""
    doc = win.doc
    yolo = doc.scenario
    doc.replace(replace(yolo, model="resnet50", width=224, height=224), "switch")
    doc.defer_new_models = True
    doc._sweep_cache.clear()
    doc.replace(yolo, "switch")
    assert doc.provisional
    return yolo


def test_an_export_during_the_first_frame_is_exact(main_window, no_dialogs, tmp_path):
    """Exports carry exact figures only: one asked for before the exact frame came
    completes it first."""
    win = main_window
    doc = win.doc
    yolo = _provisional_yolo(win)
    no_dialogs.answers["choose_directory"] = str(tmp_path)
    assert win.export_plots()
    assert not doc.provisional and doc.analysis.totals()["placement_exact"]
    assert not win.plots.dram._computing.isVisible()
    f = next(tmp_path.glob("*dram-traffic-per-image-vs-sram-size.csv"))
    assert "knee" in f.read_text(encoding="utf-8")


def test_compare_takes_the_exact_figures_of_a_provisional_frame(main_window):
    from sramfit import engine
    win = main_window
    doc = win.doc
    yolo = _provisional_yolo(win)
    cw = win.open_compare()
    try:
        entry = [e for e in cw.entries if e.scenario == yolo][0]
        assert not doc.provisional
        assert (entry.analysis.totals()["dram_bytes_per_image"]
                == engine.analyze(yolo).totals()["dram_bytes_per_image"])
    finally:
        cw.close()


def test_export_cli_marks_a_goal(tmp_path, qapp, capsys):
    """`sramfit export --target-fps X` marks the goal as the app's export does, at the
    SRAM `sramfit seek` gives for the same goal; without a goal, no goal mark."""
    from sramfit.engine.resources import scenarios_dir
    path = str(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    assert main(["seek", path, "--target-fps", "8", "--format", "json"]) == 0
    want = json.loads(capsys.readouterr().out)["sram_mb"]
    out = tmp_path / "goal"
    assert main(["export", path, "--out", str(out), "--formats", "csv",
                 "--target-fps", "8"]) == 0
    text = next(out.glob("*dram-traffic-per-image-vs-sram-size.csv")).read_text("utf-8")
    goal = [ln for ln in text.splitlines() if ln.startswith("# line: goal")]
    assert len(goal) == 1 and float(goal[0].rsplit("=", 1)[1]) == pytest.approx(want)
    batch = next(out.glob("*throughput-latency-vs-batch.csv")).read_text("utf-8")
    assert "goal 8 images/s" in batch
    plain = tmp_path / "plain"
    assert main(["export", path, "--out", str(plain), "--formats", "csv"]) == 0
    text = next(plain.glob("*dram-traffic-per-image-vs-sram-size.csv")).read_text("utf-8")
    assert "goal" not in text
    # one goal at a time, as for seek: a usage error
    assert main(["export", path, "--out", str(plain), "--target-fps", "8",
                 "--batch-on-chip", "2"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
