"""Issue 15: the assumptions behind the figures (dock + every export's footnote) and
how a headline figure is made (status-bar click)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from sramfit import engine
from sramfit.gui import explain


def _analysis(name="yolov3_2mp_chip_b"):
    from sramfit.engine.resources import scenarios_dir
    s = engine.load_scenario(scenarios_dir() / f"{name}.yaml")
    return s, engine.analyze(s)


def test_export_csv_footnote_lists_schedule_policy_exactness(main_window, tmp_path):
    from sramfit.gui import export
    win = main_window
    path = tmp_path / "p.csv"
    export.export_plot(win.plots.plots[0], path, footnote=win._footnote())
    comments = [ln for ln in path.read_text().splitlines() if ln.startswith("# footnote:")]
    text = "\n".join(comments)
    s = win.doc.scenario
    assert "# footnote: schedule: layer by layer" in text
    assert f"# footnote: placement: {s.policy}, exact" in text
    assert "# footnote: speed: estimated" in text          # chip_b has no measurement
    assert "dram_efficiency" in text                       # chip_b's estimated: list
    assert "MB = 10^6 bytes" in text
    assert len(comments) >= 8


def test_headless_footnote_marks_heuristic_placement_with_gap():
    from sramfit.engine.analysis import Analysis
    from sramfit.gui.headless import footnote
    s, exact = _analysis()
    fast = Analysis(s, exact=False)          # the sweeps' threshold rule
    t = fast.totals()
    assert not t["placement_exact"]
    gap_mb = t["placement_gap_bytes_per_image"] / 1e6
    note = footnote(s, fast)
    assert f"placement: {s.policy}, heuristic" in note
    assert f"at most {gap_mb:.1f} MB/image above optimum" in note
    assert f"placement: {s.policy}, exact" in footnote(s, exact)


def test_assumptions_dock_shows_rows(main_window):
    win = main_window
    p = win.assumptions
    terms = [p.item(r, 0).text() for r in range(p.rowCount())]
    for term in ("schedule", "in-place buffers", "placement", "staging reserved",
                 "efficiency", "array mapping", "estimated chip figures", "speed", "units"):
        assert term in terms
    chip = win.doc.analysis.chip
    eff = p.item(terms.index("efficiency"), 1).text()
    assert f"{chip.compute_efficiency:g}" in eff and f"{chip.dram_efficiency:g}" in eff


@pytest.mark.parametrize("name", ["yolov3_2mp_chip_b", "resnet50_224_t4_b32",
                                  "example_segnet_720p_edge_tpu"])
def test_formula_parts_sum_to_headline(name):
    s, a = _analysis(name)
    t = a.totals()
    dram = explain.formula(a, "dram")
    assert sum(v for _, v in dram.parts) == pytest.approx(t["dram_bytes_per_image"], rel=1e-9)
    assert [lbl for lbl, _ in dram.parts][:1] == ["input"]
    assert dram.parts[0][1] == t["input_bytes"] / a.batch       # the input image
    peak = explain.formula(a, "peak")
    assert sum(v for _, v in peak.parts) == t["peak_live_bytes"]
    assert max(a.footprint.live_bytes) == t["peak_live_bytes"]
    lat = explain.formula(a, "latency")
    assert sum(v for _, v in lat.parts) == pytest.approx(t["latency_s"], rel=1e-9)
    ips = explain.formula(a, "ips")
    assert ips.total == t["throughput_ips"]
    assert s.batch / t["latency_s"] == pytest.approx(ips.total, rel=1e-9)


def test_peak_by_brute_force_over_tensors():
    """Independent of liveness.live_bytes: add each buffer alive at the peak step."""
    s, a = _analysis("resnet50_224_t4_b32")
    fp = a.footprint
    al = fp.aliasing
    best = 0
    for k in range(len(fp.steps)):
        best = max(best, sum(int(al.size[i]) for i in al.buffers()
                             if al.first[i] <= k <= al.last[i]))
    f = explain.formula(a, "peak")
    assert f.total == best and sum(v for _, v in f.parts) == best


def test_clicking_status_figure_shows_formula(main_window, qtbot):
    win = main_window
    lbl = win.status["dram"]
    qtbot.mouseClick(lbl, Qt.MouseButton.LeftButton)
    dlg = win.status_clicks.dialog
    assert dlg is not None and dlg.isVisible()
    assert dlg.body.text().startswith("DRAM/image = input + ")
    t = win.doc.analysis.totals()
    from sramfit.gui.text import fmt_mb
    assert dlg.body.text().endswith(fmt_mb(t["dram_bytes_per_image"]))
    qtbot.mouseClick(win.status["latency"], Qt.MouseButton.LeftButton)
    assert dlg.body.text().startswith("latency = ")
    dlg.close()
