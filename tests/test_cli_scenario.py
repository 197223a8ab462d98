"""CLI: report SCENARIO.yaml with flags, sweep, compare, chips, and clean errors."""
import csv
import io
import json
import os
import subprocess
import sys

import pytest

from sramfit.commands import main
from sramfit.engine.resources import scenarios_dir

SC = scenarios_dir()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_scenario_json(capsys):
    code, out, _ = run(capsys, "report", SC / "yolov3_2mp_chip_b.yaml", "--format", "json")
    assert code == 0
    d = json.loads(out)
    t = d["totals"]
    for k in ("dram_bytes_per_image", "latency_s", "throughput_ips", "sram_area_mm2",
              "energy_j_per_image", "max_batch_on_chip", "weights_in_sram_bytes",
              "activations_in_sram_bytes", "sram_bytes", "fits", "params", "arena_bytes"):
        assert k in t
    assert t["sram_area_mm2"] == pytest.approx(64 * 1.1)
    assert d["chip"] == "chip_b" and d["policy"] == "optimal"
    for row in d["layers"]:
        assert {"in_sram", "dram_bytes", "time_s", "bound"} <= set(row)
    assert sum(r["dram_bytes"] for r in d["layers"]) == pytest.approx(
        t["dram_bytes_per_image"])


def test_report_flags_override(capsys):
    f = SC / "yolov3_2mp_chip_b.yaml"
    _, out, _ = run(capsys, "report", f, "--sram-mb", "0", "--format", "json")
    t0 = json.loads(out)["totals"]
    assert t0["sram_bytes"] == 0 and not t0["fits"] and t0["sram_area_mm2"] == 0
    _, out, _ = run(capsys, "report", f, "--chip", "chip_c", "--policy", "weights_first",
                    "--format", "json")
    d = json.loads(out)
    assert d["chip"] == "chip_c" and d["policy"] == "weights_first" and d["totals"]["fits"]
    _, out, _ = run(capsys, "report", f, "--winograd", "--format", "json")
    d2 = json.loads(out)
    assert d2["winograd"] and d2["totals"]["macs_executed"] < d2["totals"]["macs"]


def test_report_table_and_model_with_chip(capsys):
    code, out, _ = run(capsys, "report", SC / "resnet50_224_t4_b32.yaml")
    assert code == 0 and "DRAM traffic per image" in out and "throughput" in out
    code, out, _ = run(capsys, "report", "--model", "yolov3", "--input", "1920x1088",
                       "--chip", "chip_a", "--format", "md")
    assert code == 0 and "| DRAM traffic per image |" in out


def test_report_model_without_chip_is_the_footprint_report(capsys):
    code, out, _ = run(capsys, "report", "--model", "resnet50")
    assert code == 0
    assert out.startswith("resnet50 at 224x224x3, batch 1, weights int8, activations int8")
    assert "activation arena" in out and "DRAM" not in out


def test_sweep_formats(capsys):
    f = SC / "yolov3_2mp_chip_b.yaml"
    code, out, _ = run(capsys, "sweep", f, "--over", "sram", "--format", "json")
    d = json.loads(out)
    cols = d["columns"]
    assert code == 0 and len(cols["sram_mb"]) == 200 and cols["sram_mb"][0] == 0
    dram = cols["dram_bytes_per_image"]
    assert all(b <= a for a, b in zip(dram, dram[1:]))
    code, out, _ = run(capsys, "sweep", f, "--over", "batch", "--batches", "1,2,4",
                       "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["batch"] for r in rows] == ["1", "2", "4"]
    code, out, _ = run(capsys, "sweep", f, "--over", "input", "--sizes",
                       "416x416,1920x1088")
    assert code == 0 and "1920" in out


def test_compare(capsys):
    files = [SC / f"yolov3_2mp_chip_{c}.yaml" for c in "abc"]
    code, out, _ = run(capsys, "compare", *files)
    assert code == 0
    assert "yolov3-2mp-chip-a" in out and "yolov3-2mp-chip-c" in out
    assert "DRAM per image (MB)" in out and "%" in out
    code, out, _ = run(capsys, "compare", *files, "--format", "json")
    d = json.loads(out)
    assert d["scenarios"][0]["delta_vs_first"]["dram_bytes_per_image"] == 0
    assert d["scenarios"][2]["delta_vs_first"]["dram_bytes_per_image"] < 0


def test_chips(capsys):
    code, out, _ = run(capsys, "chips")
    assert code == 0
    for n in ("chip_a", "t4", "groq", "nvdla_small"):
        assert n in out


BAD = {
    "syntax": "version: 1\nmodel: [resnet50\nchip: t4\n",
    "types": "version: 1\nmodel: resnet50\nbatch: many\nwidth: 2.5\n",
    "unknown_chip": "version: 1\nmodel: resnet50\nchip: chip_z\n",
    "negative_bandwidth": ("version: 1\nmodel: resnet50\nchip: {sram_mb: 8, dram_gbps: -1,"
                           " macs: 64, clock_mhz: 100, array_rows: 8, array_cols: 8, "
                           "precision_rate: {int8: 1}}\n"),
    "version": "version: 3\nmodel: resnet50\n",
}
WORDS = {"syntax": "not valid YAML", "types": "field 'batch': expected a whole number",
         "unknown_chip": "unknown chip 'chip_z'", "negative_bandwidth": "'dram_gbps': must be",
         "version": "field 'version': 3 is not supported"}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("command", ["report", "sweep", "compare"])
def test_bad_scenarios_exit_2_without_traceback(tmp_path, kind, command):
    p = tmp_path / f"{kind}.yaml"
    p.write_text(BAD[kind])
    before = p.read_bytes()
    argv = [command, str(p)] + (["--over", "sram"] if command == "sweep" else [])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "sramfit", *argv], capture_output=True,
                       text=True, cwd=str(tmp_path), env=env)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert f"{kind}.yaml:" in r.stderr and WORDS[kind] in r.stderr
    assert p.read_bytes() == before


def test_bad_chip_file_flag(tmp_path, capsys):
    chip = tmp_path / "c.yaml"
    chip.write_text("name: c\nsram_mb: 8\ndram_gbps: 0\nmacs: 64\nclock_mhz: 100\n"
                    "array_rows: 8\narray_cols: 8\nprecision_rate: {int8: 1}\n")
    code, out, err = run(capsys, "report", SC / "yolov3_2mp_chip_a.yaml", "--chip", chip)
    assert code == 2 and "c.yaml:3: field 'dram_gbps': must be >" in err
