"""Command-line bugs of issue 15, each with a test that failed before the fix."""
from __future__ import annotations

import json

import pytest

from sramfit.commands import main
from sramfit.engine.resources import scenarios_dir


def test_negative_input_size_names_the_value(capsys):
    """Bug 16: '--input -224x224' gave argparse's 'expected one argument'."""
    assert main(["report", "--model", "resnet18", "--input", "-224x224"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "-224x224" in err[0] and "expected one argument" not in err[0]


def test_sweep_starts_at_min_mb(capsys):
    """Bug 16: 'sweep --min-mb 1' still printed a 0 MB row."""
    path = str(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    assert main(["sweep", path, "--over", "sram", "--min-mb", "1", "--max-mb", "100",
                 "--points", "3", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["columns"]["sram_mb"] == pytest.approx([1.0, 10.0, 100.0])


def test_sweep_over_input_skips_a_size_the_model_refuses(capsys):
    """Bug 8: one default size YOLOv3 cannot take (1280x720) killed the whole sweep."""
    path = str(scenarios_dir() / "yolov3_2mp_chip_b.yaml")
    assert main(["sweep", path, "--over", "input", "--format", "json"]) == 0
    cap = capsys.readouterr()
    d = json.loads(cap.out)
    sizes = list(zip(d["columns"]["width"], d["columns"]["height"]))
    assert (1280, 720) not in sizes and (1920, 1088) in sizes and (416, 416) in sizes
    assert "skipped 1280x720" in cap.err
    assert main(["sweep", path, "--over", "input", "--sizes", "1280x720"]) == 2
