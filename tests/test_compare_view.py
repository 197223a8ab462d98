"""The compare view over the real main window: Ctrl+K, the list, the table, the
plots, the settings diff, the Pareto plot and its exports (all through gui.export)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QImage  # noqa: E402

from sramfit import engine  # noqa: E402
from sramfit.engine import compare as cmp  # noqa: E402
from sramfit.engine.resources import scenarios_dir  # noqa: E402

SC = scenarios_dir()
F224 = str(SC / "resnet50_224_t4_b1.yaml")
F2MP = str(SC / "resnet50_2mp_t4_b1.yaml")


@pytest.fixture
def compare_window(main_window, qtbot, monkeypatch):
    from sramfit.gui import compare as cv
    monkeypatch.setattr(cv.window, "open_files", lambda *a, **k: [F224, F2MP])
    main_window.compare_action.trigger()
    win = main_window.compare_window
    qtbot.waitExposed(win)
    yield win


def _table(win):
    t = win.table
    heads = [t.horizontalHeaderItem(j).text() for j in range(t.columnCount())]
    rows = {t.item(i, 0).text().strip(): [t.item(i, j).text() if t.item(i, j) else ""
                                          for j in range(t.columnCount())]
            for i in range(t.rowCount())}
    return heads, rows


def test_ctrl_k_opens_with_current_scenario(main_window, qtbot):
    act = main_window.compare_action
    assert act.shortcut().toString() == "Ctrl+K"
    assert "Compare" in act.text()
    act.trigger()
    win = main_window.compare_window
    assert win.isVisible()
    assert len(win.entries) == 1
    assert win.entries[0].scenario == main_window.doc.scenario
    assert "(current)" in win.list.item(0).text()
    act.trigger()                                   # again: not added twice
    assert len(win.entries) == 1


def test_open_files_table_and_baseline(compare_window):
    win = compare_window
    win.open_files()
    assert [e.label for e in win.entries][1:] == ["resnet50-224-t4-b1",
                                                  "resnet50-2mp-t4-b1"]
    win.set_checked(0, False)                       # compare the two ResNet files
    heads, rows = _table(win)
    assert heads[:5] == ["figure", "resnet50-224-t4-b1 (baseline)", "resnet50-2mp-t4-b1",
                         "Δ resnet50-2mp-t4-b1", "% resnet50-2mp-t4-b1"]
    a = engine.analyze(engine.load_scenario(F224)).totals()
    b = engine.analyze(engine.load_scenario(F2MP)).totals()
    dram = rows["DRAM per image (MB)"]
    assert float(dram[1].replace(",", "")) == pytest.approx(
        a["dram_bytes_per_image"] / 1e6, rel=1e-3)
    pct = (b["dram_bytes_per_image"] - a["dram_bytes_per_image"]) / a[
        "dram_bytes_per_image"] * 100
    assert dram[4] == f"{pct:+.0f}%"
    for label in ("throughput (images/s)", "SRAM area (mm²)", "energy per image (mJ)",
                  "weights stored (MB)", "peak live activations, whole batch (MB)",
                  "everything fits on chip", "MACs per batch (G)"):
        assert label in rows
    # baseline = the 2 MP scenario: its column moves to "(baseline)"
    win.baseline.setCurrentIndex(1)
    heads, rows = _table(win)
    assert heads[1:4] == ["resnet50-224-t4-b1", "Δ resnet50-224-t4-b1",
                          "% resnet50-224-t4-b1"]
    assert heads[4] == "resnet50-2mp-t4-b1 (baseline)"
    assert win.data.baseline == 1


def test_plots_overlay_one_curve_per_scenario(compare_window):
    win = compare_window
    win.open_files()
    win.set_checked(0, False)
    d = win.data
    dram = win.plots["dram-vs-sram"]
    shown = [c for c in dram.curves if c.isVisible()]
    assert len(shown) == 2 and [c.opts["name"] for c in shown] == d.names
    rel = win.plots["throughput-vs-batch-relative"]
    x, y = rel.curves[0].getData()
    assert y[0] == pytest.approx(1.0)
    want = cmp.batch_curves([e.scenario for e in d.entries])
    assert y == pytest.approx(want[0]["throughput_vs_batch1"])
    act = win.plots["activations-per-layer"]
    assert len([c for c in act.curves if c.isVisible()]) == 2
    # Pareto: the front is marked and connected
    par = win.plots["pareto"]
    fx, fy = par.front.getData()
    assert len(fx) == len(d.family.front) >= 1
    win.pareto_y.setCurrentIndex(list(cmp.PARETO_Y).index("dram_bytes_per_s"))
    assert win.data.family.y_key == "dram_bytes_per_s"
    assert "DRAM bandwidth" in par.plotItem.getAxis("left").labelText


def test_settings_diff(compare_window):
    win = compare_window
    win.open_files()
    win.diff_a.setCurrentIndex(1)
    win.diff_b.setCurrentIndex(2)
    t = win.diff
    fields = {t.item(i, 0).text(): (t.item(i, 1).text(), t.item(i, 2).text())
              for i in range(t.rowCount())}
    assert fields["width"] == ("224", "1920") and fields["height"] == ("224", "1088")
    assert "chip" not in fields
    win.diff_all.setChecked(True)
    fields = {t.item(i, 0).text(): (t.item(i, 1).text(), t.item(i, 2).text())
              for i in range(t.rowCount())}
    assert fields["chip"] == ("t4", "t4") and fields["sram_mb"] == ("chip's", "chip's")
    assert t.item(0, 0).text() == "name"


def test_unchecking_everything_and_removing(compare_window):
    win = compare_window
    win.set_checked(0, False)
    assert win.data is None and "Check at least one" in win.message.text()
    win.list.setCurrentRow(0)
    win.remove_selected()
    assert win.entries == [] and win.list.count() == 0


def test_bad_file_shows_error(compare_window, tmp_path, no_dialogs, monkeypatch):
    from sramfit.gui import compare as cv
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nmodel: resnet50\nbatch: many\n")
    monkeypatch.setattr(cv.window, "open_files", lambda *a, **k: [str(bad)])
    no_dialogs.answers["show_error"] = None
    compare_window.open_files()
    assert len(compare_window.entries) == 1
    (name, args, _), = no_dialogs.calls
    assert name == "show_error" and "bad.yaml" in args[2]


def test_exports(compare_window, tmp_path, no_dialogs):
    win = compare_window
    win.open_files()
    png = tmp_path / "pareto.png"
    no_dialogs.answers["save_file"] = str(png)
    assert win.export_plot("pareto")
    img = QImage(str(png))
    assert (img.width(), img.height()) == (1920, 1080)
    table = tmp_path / "table.csv"
    assert win.export_table(str(table))
    rows = [r for r in csv.reader(io.StringIO(table.read_text(encoding="utf-8")))
            if r and not r[0].startswith("#")]
    assert rows[0][0] == "figure" and len(rows) == len(cmp.FIGURES) + 2
    folder = tmp_path / "all"
    paths = win.export_all(str(folder))
    names = {Path(p).name for p in paths}
    assert {"compare-table.png", "compare-table.svg", "compare-table.csv",
            "compare-pareto.svg", "compare-summary.png",
            "compare-dram-vs-sram.csv"} <= names
    # the window is unchanged by the exports (same size, still shown)
    assert win.isVisible()


def test_escape_closes_the_compare_window(compare_window, qtbot):
    """Bug 16: Escape did nothing."""
    from PySide6.QtCore import Qt
    qtbot.keyClick(compare_window, Qt.Key.Key_Escape)
    assert not compare_window.isVisible()


def test_table_png_has_the_asked_size(compare_window, tmp_path):
    """Bug 12: the compare table's PNG was 4713x2556 when 1920x1080 was asked."""
    from sramfit.gui import compare as cv
    win = compare_window
    paths = cv.export_comparison(win.data, {}, tmp_path, formats=("png",),
                                 size=(1920, 1080))
    img = QImage(str(paths[0]))
    assert (img.width(), img.height()) == (1920, 1080)


def test_pareto_warns_when_the_workloads_differ(compare_window):
    """The Pareto tab warns when it mixes models or image sizes (issue 15)."""
    win = compare_window
    win.open_files()
    assert len(win.entries) >= 2
    names = {e.analysis.footprint.model.name for e in win.checked()}
    sizes = {(e.analysis.footprint.width, e.analysis.footprint.height)
             for e in win.checked()}
    assert len(names) > 1 or len(sizes) > 1          # YOLOv3 2 MP and ResNet-50 224
    assert not win.pareto_warning.isHidden() and "different workloads" in \
        win.pareto_warning.text()
    for i in range(1, len(win.entries)):
        win.set_checked(i, False)
    assert len(win.checked()) == 1
    assert win.pareto_warning.isHidden()


def test_settings_diff_opens_on_two_different_scenarios(compare_window):
    """Bug 16: the diff tab compared the first scenario with itself."""
    win = compare_window
    assert len(win.entries) == 1
    win.add_path(F224)
    a, b = win.diff_a.currentIndex(), win.diff_b.currentIndex()
    assert (a, b) == (0, 1)
    assert win.diff_rows, "two different scenarios differ in some setting"
    head = [win.diff.horizontalHeaderItem(j).text() for j in range(3)]
    assert head[1] != head[2].replace("B:", "A:")


def test_estimated_speed_is_marked_in_the_compare_table_and_overlay(qtbot):
    """Issue 12: uncalibrated chips' speed is marked wherever it appears. chip_b has no
    published measurement (its profile has no calibration list); the T4 has."""
    import yaml
    from sramfit.gui.compare import data as cdata
    from sramfit.gui.plots.throughput_overlay import ThroughputOverlayPlot
    from sramfit.engine.resources import chips_dir
    assert not yaml.safe_load((chips_dir() / "chip_b.yaml").read_text()).get("calibration")
    assert yaml.safe_load((chips_dir() / "t4.yaml").read_text()).get("calibration")
    fb = str(SC / "yolov3_2mp_chip_b.yaml")
    entries = [cdata.Entry(s, engine.analyze(s), p)
               for p, s in ((F224, engine.load_scenario(F224)),
                            (fb, engine.load_scenario(fb)))]
    d = cdata.build_data(entries, variants=False)
    assert d.speed_estimated == [False, True]
    heads, rows = cdata.table_cells(d)
    col_t4, col_b = 1, heads.index(d.names[1])
    by = {r[0].strip(): r for r in rows}
    thr = next(k for k in by if k.startswith("throughput"))
    lat = next(k for k in by if k.startswith("latency"))
    for k in (thr, lat):
        assert by[k][col_b].endswith("(estimate)") and "estimate" not in by[k][col_t4]
    weights = next(k for k in by if k.startswith("weights"))
    assert "estimate" not in by[weights][col_b]          # not a speed figure
    plot = ThroughputOverlayPlot()
    qtbot.addWidget(plot)
    plot.render(d)
    names = [c.opts["name"] for c in plot.curves[:2]]
    assert names == [d.names[0], d.names[1] + " (speed estimated)"]


def test_exports_say_what_the_window_says(compare_window, tmp_path, no_dialogs):
    """The Pareto export carries the mixed-workload warning shown above the plot in the
    window; the table's footnote is drawn whole (it was cut at the table's edge)."""
    import xml.etree.ElementTree as ET
    from sramfit.gui import compare as cv
    win = compare_window
    win.open_files()
    warn = win.pareto_warning.text()
    assert "different workloads" in warn
    svg = tmp_path / "pareto.svg"
    no_dialogs.answers["save_file"] = str(svg)
    assert win.export_plot("pareto")

    def text_of(path):
        return " ".join(" ".join("".join(e.itertext()).split())
                        for e in ET.parse(path).getroot().iter() if e.tag.endswith("}text"))
    assert " ".join(warn.split()) in text_of(svg)
    paths = cv.export_comparison(win.data, {"pareto": win.plots["pareto"]}, tmp_path / "all",
                                 formats=("csv", "svg"), size=(1920, 1080),
                                 footnote=win.footnote())
    pareto_csv = next(p for p in paths if p.name == "compare-pareto.csv").read_text()
    assert f"# footnote: Warning: {' '.join(warn.split())}" in pareto_csv
    table = next(p for p in paths if p.name == "compare-table.svg")
    full = " ".join(win.footnote().split())
    assert full in text_of(table)
    # wider than the table: wrapped onto lines of their own, not one line cut at the edge
    texts = [" ".join("".join(e.itertext()).split())
             for e in ET.parse(table).getroot().iter() if e.tag.endswith("}text")]
    assert not any(full in t for t in texts)
