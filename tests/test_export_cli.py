"""``sramfit export`` (gui/headless.py via sramfit.commands): files written without a
window, checked by decoding them; bad inputs exit 2 with one message."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QImage  # noqa: E402

from sramfit import engine  # noqa: E402
from sramfit.engine import sweep  # noqa: E402
from sramfit.engine.resources import scenarios_dir  # noqa: E402
from sramfit.commands import main  # noqa: E402

SC = scenarios_dir()
F224 = str(SC / "resnet50_224_t4_b1.yaml")
F2MP = str(SC / "resnet50_2mp_t4_b1.yaml")
SVG = "{http://www.w3.org/2000/svg}"
PLOTS = ("activations-and-weights-per-layer", "live-activation-memory-over-the-run",
         "dram-traffic-per-image-vs-sram-size", "throughput-latency-vs-batch",
         "roofline-of-the-layers", "dram-traffic-per-image-by-kind")
COMPARE = ("table", "dram-vs-sram", "throughput-vs-batch-relative", "throughput-vs-batch",
           "activations-per-layer", "dram-traffic-by-kind", "pareto", "summary")


def _csv(path):
    text = Path(path).read_text(encoding="utf-8")
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    return rows[0], rows[1:]


def _max_path_points(svg):
    root = ET.parse(svg).getroot()          # well-formed XML or this raises
    assert root.tag == f"{SVG}svg"
    best = 0
    for el in root.iter(f"{SVG}path"):
        n = len(re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", el.get("d", "")))
        best = max(best, n // 2)
    return best


@pytest.fixture(scope="module")
def two(tmp_path_factory, qapp):
    out = tmp_path_factory.mktemp("export2")
    code = main(["export", F224, F2MP, "--out", str(out), "--formats", "png,svg,csv",
                 "--size", "960x540", "--style", "slide"])
    assert code == 0
    return out


def test_files_per_scenario_and_comparison(two, capsys):
    names = {p.name for p in two.iterdir()}
    for stem in ("resnet50_224_t4_b1", "resnet50_2mp_t4_b1"):
        for plot in PLOTS:
            for f in ("png", "svg", "csv"):
                assert f"{stem}_{plot}.{f}" in names
    for plot in COMPARE:
        for f in ("png", "svg", "csv"):
            assert f"compare-{plot}.{f}" in names
    assert len(names) == 2 * len(PLOTS) * 3 + len(COMPARE) * 3
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]


def test_png_has_the_asked_size(two):
    for p in list(two.glob("*.png")):
        img = QImage(str(p))
        assert not img.isNull(), p
        if p.name != "compare-table.png":          # the table has its natural size
            assert (img.width(), img.height()) == (960, 540), p.name
    img = QImage(str(two / "compare-table.png"))
    assert img.width() > 200 and img.height() > 200


def test_svg_is_xml_with_curves(two):
    # the DRAM-vs-SRAM curve has 240 points (document.SRAM_GRID without 0)
    assert _max_path_points(two / "resnet50_224_t4_b1_dram-traffic-per-image-vs-sram-size"
                                  ".svg") >= 200
    assert _max_path_points(two / "compare-dram-vs-sram.svg") >= 100
    assert _max_path_points(two / "compare-throughput-vs-batch-relative.svg") >= 9
    ET.parse(two / "compare-table.svg")


def test_csv_one_row_per_plotted_point(two):
    from sramfit.gui.document import BATCH_GRID, SRAM_GRID
    s = engine.load_scenario(F224)
    head, rows = _csv(two / "resnet50_224_t4_b1_dram-traffic-per-image-vs-sram-size.csv")
    assert head[0] == "series" and "SRAM size" in head[1] and "DRAM" in head[2]
    curve = [r for r in rows if r[0] == "DRAM per image"]
    want = sweep.over_sram(s, SRAM_GRID)
    keep = want["sram_bytes"] > 0
    assert len(curve) == int(keep.sum())
    assert np.allclose([float(r[1]) for r in curve], want["sram_bytes"][keep] / 1e6,
                       rtol=1e-9)
    assert np.allclose([float(r[2]) for r in curve],
                       want["dram_bytes_per_image"][keep] / 1e6, rtol=1e-9)
    assert [r for r in rows if r[0] == "this chip"]           # named series, not "series 2"
    head, rows = _csv(two / "resnet50_224_t4_b1_throughput-latency-vs-batch.csv")
    thr = [r for r in rows if r[0] == "throughput"]
    assert [float(r[1]) for r in thr] == [float(b) for b in BATCH_GRID]
    # the comparison: one row per scenario per batch size
    head, rows = _csv(two / "compare-throughput-vs-batch-relative.csv")
    for name in ("resnet50-224-t4-b1", "resnet50-2mp-t4-b1"):
        pts = [r for r in rows if r[0] == name]
        assert len(pts) == 9 and float(pts[0][2]) == pytest.approx(1.0)
    head, rows = _csv(two / "compare-table.csv")
    assert head[:3] == ["figure", "resnet50-224-t4-b1 (baseline)", "resnet50-2mp-t4-b1"]
    dram = [r for r in rows if r[0] == "DRAM per image (MB)"][0]
    a = engine.analyze(s).totals()["dram_bytes_per_image"] / 1e6
    assert float(dram[1]) == pytest.approx(a)
    assert float(dram[3]) == pytest.approx(float(dram[2]) - float(dram[1]))


def test_one_scenario_no_comparison(tmp_path, capsys):
    code = main(["export", F224, "--out", str(tmp_path), "--formats", "csv"])
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == len(PLOTS) and not [n for n in names if n.startswith("compare")]
    err = capsys.readouterr().err
    assert f"wrote {len(PLOTS)} files to {tmp_path}" in err


@pytest.mark.parametrize("argv, words", [
    (["--size", "big"], "--size 'big': expected width x height"),
    (["--size", "0x0"], "--size '0x0': width and height must be"),
    (["--formats", "png,gif"], "unknown format 'gif'"),
    (["--style", "poster"], "invalid choice: 'poster'"),
])
def test_bad_options_exit_2(tmp_path, capsys, argv, words):
    code = main(["export", F224, "--out", str(tmp_path / "o"), *argv])
    out, err = capsys.readouterr()
    assert code == 2 and words in err and "Traceback" not in err
    assert err.startswith("sramfit export: error:")


def test_bad_scenario_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nmodel: resnet50\nbatch: many\n")
    code = main(["export", F224, str(bad), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "bad.yaml:3: field 'batch': expected a whole number" in err
    assert not list((tmp_path / "o").iterdir())      # nothing written
    code = main(["export", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "missing.yaml" in err and "Traceback" not in err


def test_unwritable_out_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    code = main(["export", F224, "--out", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and "--out" in err and "cannot create the folder" in err
    code = main(["export", F224, "--out", str(blocker)])
    err = capsys.readouterr().err
    assert code == 2 and "--out" in err


def test_missing_out_exit_2(capsys):
    code = main(["export", F224])
    err = capsys.readouterr().err
    assert code == 2 and "--out" in err


def test_goal_bad_value_exit_2(tmp_path, capsys):
    """A goal value seek refuses is one error line and exit 2 (the app's frame builder
    would silently draw no goal mark)."""
    code = main(["export", F224, "--out", str(tmp_path / "o"), "--target-fps", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "--target-fps: expected a number > 0" in err
    assert "Traceback" not in err and not list((tmp_path / "o").iterdir())
