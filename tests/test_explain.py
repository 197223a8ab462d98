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


# -- every export draws every footnote line (issue 15) ----------------------------------
def _footnote_lines():
    from sramfit.gui.headless import footnote
    s, a = _analysis()
    note = footnote(s, a)
    lines = note.split("\n")
    # the lines are the assumptions, term by term (gui/explain.py), after the first
    assert [ln.split(":")[0] for ln in lines[1:]] == [k for k, _, _ in explain.assumptions(a)]
    return note, lines


def test_svg_footnote_has_every_assumption_line_as_text(main_window, tmp_path):
    import xml.etree.ElementTree as ET
    from sramfit.gui import export
    note, lines = _footnote_lines()
    for style in ("slide", "screen"):
        out = export.export_plot(main_window.plots.batch, tmp_path / f"{style}.svg",
                                 style=style, footnote=note)
        texts = [" ".join("".join(e.itertext()).split())
                 for e in ET.parse(out).getroot().iter() if e.tag.endswith("}text")]
        joined = " ".join(t for t in texts if t)
        for ln in lines:                    # wrapped lines join back to each line
            assert " ".join(ln.split()) in joined, (style, ln)


def _ink_runs(img):
    """Runs of consecutive rows with ink (text lines) of a white image: (top, height)."""
    import numpy as np
    img = img.convertToFormat(img.Format.Format_RGBA8888)
    a = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(
        img.height(), img.bytesPerLine())[:, : img.width() * 4].reshape(
        img.height(), img.width(), 4)
    ink = (a[..., :3].astype(int).sum(axis=-1) < 600).any(axis=1)
    runs, start = [], None
    for y, v in enumerate(list(ink) + [False]):
        if v and start is None:
            start = y
        elif not v and start is not None:
            runs.append((start, y - start))
            start = None
    return runs


def test_png_footnote_grows_with_its_lines_and_stays_readable(qtbot):
    import pyqtgraph as pg
    from sramfit.gui import export
    note, lines = _footnote_lines()
    pi = pg.PlotItem()                  # no axes, no curve: the only ink is the text
    pi.hideAxis("left")
    pi.hideAxis("bottom")
    one = export.render_image(pi, (1920, 1080), style="slide", footnote=lines[0])
    full = export.render_image(pi, (1920, 1080), style="slide", footnote=note)
    assert (one.width(), one.height()) == (full.width(), full.height()) == (1920, 1080)
    r1, rn = _ink_runs(one), _ink_runs(full)
    assert len(r1) == 1
    # every line drawn (a long one wraps onto more lines), none overprinting another
    assert len(rn) >= len(lines)
    assert all(t2 >= t1 + h1 for (t1, h1), (t2, _) in zip(rn, rn[1:]))
    # the block reaches further up: the plot area gave up the room
    assert rn[0][0] < r1[0][0] - (len(lines) - 1) * 10
    assert rn[-1][0] + rn[-1][1] <= 1080
    # readable: assumption lines' glyphs (cap height to descender) >= 10 px at 1920x1080
    assert min(h for _, h in rn[1:]) >= 10


# -- latency parts for depth-first and pipelined runs (issue 15) ------------------------
def test_depth_first_latency_parts_add_up_from_the_stack_rows():
    import dataclasses
    s, _ = _analysis()
    s = dataclasses.replace(s, schedule="depth_first")
    a = engine.analyze(s)
    t = a.totals()
    assert t["depth_first_applied"] and t["stacks"]
    f = explain.formula(a, "latency")
    rows = a.layer_rows()
    calls = t["calls"]
    # from the engine's per-layer rows: each fused stack's steps, the single steps, and
    # the chip profile's call overhead
    per_stack: dict = {}
    for r in rows:
        per_stack[r["stack"]] = per_stack.get(r["stack"], 0.0) + r["time_s"] * calls
    single = per_stack.pop(None)
    call = calls * a.chip.call_overhead_us * 1e-6
    expected = sum(per_stack.values()) + single + call
    assert sum(v for _, v in f.parts) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(t["latency_s"], rel=1e-12)
    labels = dict(f.parts)
    assert f.parts[0][1] == pytest.approx(max(per_stack.values()), rel=1e-12)
    assert labels["call overhead"] == pytest.approx(call, rel=1e-12)
    n_single = sum(r["stack"] is None for r in rows)
    assert labels[f"{n_single} steps layer by layer"] == pytest.approx(single, rel=1e-12)
    assert "stack" in f.text and f.text.endswith(explain.fmt_seconds(t["latency_s"]))


def test_pipelined_latency_parts_add_up_from_the_layer_rows():
    import dataclasses
    s, _ = _analysis("resnet50_224_t4_b1")
    s = dataclasses.replace(s, chip="hailo8", batch=4)
    a = engine.analyze(s)
    assert a.chip.execution == "pipelined"
    t = a.totals()
    b, n = a.batch, s.batch
    rows = a.layer_rows()
    height = {r["name"]: r["output_shape"][2] for r in rows if len(r["output_shape"]) == 4}
    height["input"] = a.footprint.height
    stage, mem, fill = [], [], []
    for r in rows:                       # per image; fill by hand from the layer shapes
        stage.append(r["time_s"] / b)
        mem.append(r["memory_s"] / b)
        if r["op"] == "conv":
            fill.append(min(1.0, r["kernel"][0] / height[r["inputs"][0]]))
        else:
            fill.append(1.0 if r["op"] in ("fc", "matmul") else 0.0)
    call = a.chip.call_overhead_us * 1e-6
    period = max(max(stage), call + sum(mem))
    fills = sum(x * y for x, y in zip(stage, fill))
    expected = call + fills + max(stage) + (n - 1) * period
    assert expected == pytest.approx(t["latency_s"], rel=1e-9)
    f = explain.formula(a, "latency")
    assert sum(v for _, v in f.parts) == pytest.approx(expected, rel=1e-9)
    got = [v for _, v in f.parts]
    assert got == pytest.approx([call, fills, max(stage), (n - 1) * period], rel=1e-9)
    ips = explain.formula(a, "ips")
    assert 1.0 / period == pytest.approx(ips.total, rel=1e-9)
    assert "period" in ips.text


def test_assumption_rows_fit_their_text_at_the_shown_width(main_window):
    """The rows were sized before the dock had its width and stayed three lines tall
    (three assumptions visible at 1280x720)."""
    from PySide6.QtWidgets import QApplication
    win = main_window
    win.tabs.setCurrentWidget(win.assumptions)
    for size in ((1280, 720), (1600, 1000)):
        win.resize(*size)
        for _ in range(4):
            QApplication.processEvents()
        p = win.assumptions
        assert p.rowCount() >= 9
        for r in range(p.rowCount()):
            want = max(p.sizeHintForRow(r), p.verticalHeader().minimumSectionSize())
            assert p.rowHeight(r) == want, (size, p.item(r, 0).text())
