"""Chip profiles: bundled files load, round-trip, and bad ones fail with file:line."""
import pytest

from sramfit import engine
from sramfit.engine import SramfitError, ChipError, chip_from_dict, chip_to_dict, list_chips, load_chip
from sramfit.engine.modelfile import parse_yaml
from sramfit.engine.resources import chips_dir

EXPECTED = {"chip_a", "chip_b", "chip_c", "t4", "inferx_x1", "inferentia1_neuroncore",
            "edge_tpu", "myriad_x", "nvdla_small", "nvdla_large", "hailo8", "groq"}

GOOD = """version: 1
name: mine
title: "test chip"
source: "made up"
sram_mb: 16.0
dram_gbps: 25.6
macs: 4096
clock_mhz: 1000
array_rows: 64
array_cols: 64
precision_rate: {int8: 1.0, fp16: 0.5}
"""


def test_bundled_profiles_load():
    assert EXPECTED <= set(list_chips())
    for name in list_chips():
        c = load_chip(name)
        assert c.name == name
        assert c.source.strip(), name
        assert c.dram_gbps > 0 and c.sram_mb >= 0
        assert c.macs == c.array_rows * c.array_cols * c.array_count
        assert c.rate("int8") > 0


def test_seed_chips():
    assert [load_chip(n).sram_mb for n in ("chip_a", "chip_b", "chip_c")] == [8, 64, 256]
    assert load_chip("chip_c").sram_mm2_per_mb == pytest.approx(1.1)


def test_round_trip():
    for name in list_chips():
        c = load_chip(name)
        assert chip_from_dict(chip_to_dict(c)) == c
    data, lines = parse_yaml(GOOD, "mine.yaml")
    c = chip_from_dict(data, "mine.yaml", lines)
    assert c.sram_bytes == 16_000_000 and c.rate("fp32") == 0.0 and c.array_count == 1


def _err(text, tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(engine.SramfitError) as ei:
        load_chip(str(p))
    return str(ei.value)


@pytest.mark.parametrize("change,line,words", [
    ("dram_gbps: -25.6", 6, "'dram_gbps': must be >"),
    ("dram_gbps: 0", 6, "'dram_gbps': must be >"),
    ("sram_mb: -1", 5, "'sram_mb': must be >= 0"),
    ("macs: lots", 7, "'macs': expected a whole number"),
    ("clock_mhz: 1000\nturbo: true", 9, "unknown field 'turbo'"),
    ("macs: 4000", 7, "array_rows x array_cols x array_count"),
])
def test_bad_fields_name_file_line_and_field(tmp_path, change, line, words):
    key = change.split(":")[0]
    text = "\n".join(change if ln.startswith(key + ":") else ln for ln in GOOD.splitlines())
    msg = _err(text + "\n", tmp_path)
    assert f"bad.yaml:{line}:" in msg and words in msg


def test_all_problems_reported(tmp_path):
    text = GOOD.replace("dram_gbps: 25.6", "dram_gbps: -1").replace("sram_mb: 16.0",
                                                                     "sram_mb: -3")
    msg = _err(text, tmp_path)
    assert "sram_mb" in msg and "dram_gbps" in msg and msg.count("\n") >= 1


def test_split_must_sum(tmp_path):
    text = GOOD + "sram_split: true\nweight_sram_mb: 10\nactivation_sram_mb: 4\n"
    assert "weight_sram_mb + activation_sram_mb" in _err(text, tmp_path)
    ok = GOOD + "sram_split: true\nweight_sram_mb: 10\nactivation_sram_mb: 6\n"
    data, lines = parse_yaml(ok)
    c = chip_from_dict(data)
    a = engine.analyze(engine.Scenario(model="resnet50", chip=chip_to_dict(c)))
    assert a.totals()["weights_in_sram_bytes"] <= 10e6
    assert a.totals()["activations_in_sram_bytes"] <= 6e6


def test_unknown_chip_lists_profiles():
    with pytest.raises(ChipError, match="unknown chip 'chip_z'.*chip_a"):
        load_chip("chip_z")


def test_syntax_error_has_line(tmp_path):
    msg = _err(GOOD.replace("macs: 4096", "macs: [4096"), tmp_path)
    assert "bad.yaml:" in msg and "not valid YAML" in msg


def test_profiles_dir_override(tmp_path, monkeypatch):
    (tmp_path / "chips").mkdir()
    (tmp_path / "chips" / "mine.yaml").write_text(GOOD)
    monkeypatch.setenv("SRAMFIT_PROFILES", str(tmp_path))
    assert list_chips() == ["mine"] and load_chip("mine").sram_mb == 16.0
    monkeypatch.delenv("SRAMFIT_PROFILES")
    assert chips_dir().is_dir() and "t4" in list_chips()


def test_save_chip_round_trips_and_is_atomic(tmp_path, monkeypatch):
    import os
    from sramfit.engine.chip import load_chip, save_chip
    chip = load_chip("chip_b")
    path = tmp_path / "my_chip.yaml"
    saved = save_chip(chip, path)
    assert saved.name == "my_chip"
    back = load_chip(str(path))
    assert back == saved and back.sram_mb == chip.sram_mb == 64.0
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(SramfitError, match="my_chip.yaml: cannot save: disk full"):
        save_chip(chip, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["my_chip.yaml"]


def test_choice_fields_are_stored_in_canonical_case():
    """The schema accepts 'Depth_First' (choices are case-insensitive); the chip must
    then hold 'depth_first', which is what the engine compares against."""
    from sramfit.engine.chip import chip_from_dict, chip_to_dict, load_chip
    d = chip_to_dict(load_chip("chip_b"))
    d["schedule"] = "Depth_First"
    assert chip_from_dict(d, "<test>").schedule == "depth_first"
