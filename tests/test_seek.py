"""Goal seek (engine/seek.py, ``sramfit seek``) against brute force over a fine grid,
and the knee against a hand-made curve."""
from __future__ import annotations

import json

import numpy as np
import pytest

from sramfit.commands import main
from sramfit.engine import seek, sweep
from sramfit.engine.resources import scenarios_dir
from sramfit.engine.scenario import Scenario

RES = 1e3     # seek's resolution, bytes


@pytest.fixture(scope="module")
def small():
    # ResNet-18 at 224x224 on chip B: small enough for a fine brute-force grid
    return Scenario(model="resnet18", width=224, height=224, chip="chip_b")


def _brute(s, goal, value, step):
    """First point of a fine linear grid (0, step, 2 step, ...) meeting the goal."""
    hi = seek.upper_bound(s if goal != "batch_on_chip"
                          else Scenario(**{**s.__dict__, "batch": int(value),
                                           "compiled_batch": None}))
    grid = np.arange(0.0, hi + step, step)
    r = sweep.over_sram(s if goal != "batch_on_chip" else
                        Scenario(**{**s.__dict__, "batch": int(value), "compiled_batch": None}),
                        grid)
    if goal == "target_fps":
        ok = r["throughput_ips"] >= value
    elif goal == "max_dram_gbps":
        ok = r["dram_bytes_per_image"] * r["throughput_ips"] / 1e9 <= value
    else:
        ok = r["fits"]
    assert ok.any()
    return float(grid[int(np.argmax(ok))]), r


@pytest.mark.parametrize("goal,frac", [("target_fps", 0.5), ("target_fps", 0.97),
                                       ("max_dram_gbps", 0.5), ("max_dram_gbps", 2.0),
                                       ("batch_on_chip", 1), ("batch_on_chip", 3)])
def test_least_sram_matches_brute_force(small, goal, frac):
    step = 20e3                                     # 0.02 MB
    if goal == "batch_on_chip":
        value = frac
    else:
        r = sweep.over_sram(small, [0.0, seek.upper_bound(small)])
        if goal == "target_fps":   # between no SRAM and everything on chip
            value = r["throughput_ips"][0] + frac * (r["throughput_ips"][1]
                                                     - r["throughput_ips"][0])
        else:
            bw = r["dram_bytes_per_image"] * r["throughput_ips"] / 1e9
            value = float(bw[0]) * frac / 2.0
    got = seek.least_sram(small, goal, value)
    assert got.reachable
    want, _ = _brute(small, goal, value, step)
    # the seek is finer than the grid: at or below the grid's first meeting point, and
    # not more than one grid step below it (no earlier meeting point the grid missed)
    assert want - step - RES <= got.sram_bytes <= want + RES
    # it meets the goal there, and not two resolution steps below
    s = got.scenario
    # the true least SRAM lies in (answer - 2 RES, answer] (bracket <= RES, rounded up)
    at = sweep.over_sram(s, [got.sram_bytes, max(got.sram_bytes - 2.01 * RES, 0.0)])
    if goal == "target_fps":
        assert at["throughput_ips"][0] >= value
        assert got.sram_bytes == 0 or at["throughput_ips"][1] < value
    elif goal == "max_dram_gbps":
        bw = at["dram_bytes_per_image"] * at["throughput_ips"] / 1e9
        assert bw[0] <= value and (got.sram_bytes == 0 or bw[1] > value)
    else:
        assert at["fits"][0] and not at["fits"][1]
    assert got.figures["throughput_ips"] == pytest.approx(float(at["throughput_ips"][0]))


def test_unreachable_goal_says_so(small):
    r = sweep.over_sram(small, [seek.upper_bound(small)])
    got = seek.least_sram(small, "target_fps", float(r["throughput_ips"][0]) * 10)
    assert not got.reachable and got.sram_mb is None
    assert got.figures["throughput_ips"] == pytest.approx(float(r["throughput_ips"][0]))


def test_knee_of_a_hand_made_curve():
    """Two straight pieces on a log axis meeting at 10 MB: 100 -> 10 over 10 kB..10 MB,
    then 10 -> 0 over 10 MB..1 GB. Scaled to the unit square the chord runs from
    (0, 1) to (1, 0); at 10 MB u = 3/5 and v = 10/100 = 0.1, 0.3 below the chord, the
    most of any point (both pieces are straight)."""
    x = np.geomspace(1e4, 1e9, 51)                   # 10 points per decade
    lx = np.log10(x)
    y = np.where(lx <= 7, 100 - 90 * (lx - 4) / 3, 10 - 10 * (lx - 7) / 2)
    assert seek.knee(x, y) == 30 and x[30] == pytest.approx(1e7)
    assert seek.knee(np.r_[0.0, x], np.r_[200.0, y]) == 31   # SRAM 0 is skipped
    assert seek.knee(x, np.full_like(x, 5.0)) is None


def test_cli_seek_json_and_table(capsys):
    path = str(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    assert main(["seek", path, "--batch-on-chip", "1", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["reachable"] and d["fits"] and d["batch"] == 1
    s = Scenario(model="yolov3", width=1920, height=1088, chip="chip_b")
    want, _ = _brute(s, "batch_on_chip", 1, 0.5e6)
    assert want - 0.5e6 - RES <= d["sram_mb"] * 1e6 <= want + RES
    assert main(["seek", path, "--target-fps", "5"]) == 0
    out = capsys.readouterr().out
    assert "least SRAM" in out and "MB" in out


def test_cli_seek_bad_input_is_one_line(capsys):
    path = str(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    assert main(["seek", path, "--target-fps", "-3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--target-fps" in err[0]
    assert main(["seek", path]) == 2                 # a goal is required



def test_cli_seek_takes_the_schedule(capsys):
    """--schedule (depth-first, issue 11) reaches the seek: the answer is evaluated
    with that schedule and says so."""
    path = str(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    assert main(["seek", path, "--max-dram-gbps", "2", "--schedule", "depth_first",
                 "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["schedule"] == "depth_first" and d["reachable"]
    assert d["dram_gbps"] <= 2.0
