"""Scenario files: round trip, every problem with file:line, migration, atomic save."""
import os
from dataclasses import replace

import pytest
from hypothesis import given, settings, strategies as st

from sramfit import engine
from sramfit.engine import Scenario, ScenarioError, SramfitError, load_scenario, save_scenario
from sramfit.engine.resources import scenarios_dir
from sramfit.engine.scenario import (dumps_scenario, loads_scenario, scenario_from_dict,
                             scenario_to_dict)

EXAMPLES = sorted(scenarios_dir().glob("*.yaml"))


def test_examples_exist_and_tell_the_story():
    names = {p.stem for p in EXAMPLES}
    for needed in ("resnet50_224_t4_b1", "resnet50_224_t4_b32", "resnet50_2mp_t4_b1",
                   "resnet50_2mp_t4_b32", "yolov3_2mp_chip_a", "yolov3_2mp_chip_b",
                   "yolov3_2mp_chip_c", "yolov3_2mp_chip_b_winograd",
                   "resnet50_fp16_inferentia_dynamic"):
        assert needed in names
    for p in EXAMPLES:
        s = load_scenario(p)
        assert s.notes.strip(), p
        engine.analyze(s).totals()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_round_trip(path, tmp_path):
    # work on a copy with the same relative layout (a model may be ../models/x.yaml)
    import shutil
    shutil.copytree(path.parent.parent / "models", tmp_path / "models")
    (tmp_path / "scenarios").mkdir()
    src = tmp_path / "scenarios" / path.name
    shutil.copy(path, src)
    s = load_scenario(src)
    assert scenario_from_dict(scenario_to_dict(s), base_dir=s.base_dir) == s
    assert loads_scenario(dumps_scenario(s), base_dir=s.base_dir) == s
    out = tmp_path / "scenarios" / "copy.yaml"
    save_scenario(s, out)
    assert load_scenario(out) == s
    # the shipped files are in the saved form: saving reproduces them byte for byte
    assert out.read_text() == path.read_text()


def test_inline_model_and_chip_round_trip(tmp_path):
    model = {"name": "tiny", "input": {"channels": 3, "width": 32, "height": 32},
             "layers": [{"name": "c1", "op": "conv", "out": 8, "kernel": 3, "padding": 1},
                        {"name": "r1", "op": "act", "fn": "relu"}]}
    chip = engine.chip_to_dict(engine.load_chip("chip_a"))
    s = Scenario(name="inline", notes="two\nlines", model=model, chip=chip, sram_mb=0.5,
                 batch=3, compiled_batch=2, policy="weights_first")
    p = tmp_path / "s.yaml"
    save_scenario(s, p)
    back = load_scenario(p)
    assert back == s
    assert engine.analyze(back).totals()["calls"] == 2


def test_relative_model_path_and_rebase(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.yaml").write_text(
        "name: m\ninput: {channels: 3, width: 16, height: 16}\n"
        "layers:\n  - {name: c, op: conv, out: 4, kernel: 1}\n")
    (tmp_path / "a").mkdir()
    src = tmp_path / "a" / "s.yaml"
    src.write_text("version: 1\nname: rel\nmodel: ../models/m.yaml\nchip: chip_b\n")
    s = load_scenario(src)
    assert engine.analyze(s).footprint.model.name == "m"
    dst = tmp_path / "b" / "c" / "s.yaml"
    dst.parent.mkdir(parents=True)
    saved = save_scenario(s, dst)
    assert saved.model == "../../models/m.yaml"
    assert engine.analyze(load_scenario(dst)).footprint.model.name == "m"


def test_every_problem_reported_with_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("version: 1\n"          # 1
                 "name: bad\n"           # 2
                 "model: resnet50\n"     # 3
                 "width: wide\n"         # 4
                 "batch: 0\n"            # 5
                 "colour: blue\n"        # 6
                 "policy: greedy\n"      # 7
                 "chip: chip_z\n")       # 8
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    probs = ei.value.problems
    text = str(ei.value)
    assert len(probs) == 5
    for line, words in ((4, "field 'width': expected a whole number"),
                        (5, "field 'batch': must be >= 1, got 0"),
                        (6, "unknown field 'colour'"),
                        (7, "field 'policy': 'greedy' is not one of"),
                        (8, "field 'chip': unknown chip 'chip_z'")):
        assert f"bad.yaml:{line}: {words}" in text


def test_inline_chip_negative_bandwidth(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("version: 1\nmodel: resnet50\nchip:\n  name: x\n  sram_mb: 8\n"
                 "  dram_gbps: -5\n  macs: 64\n  clock_mhz: 100\n  array_rows: 8\n"
                 "  array_cols: 8\n  precision_rate: {int8: 1}\n")
    with pytest.raises(ScenarioError, match=r"s.yaml:6: field 'dram_gbps': must be >"):
        load_scenario(p)


def test_syntax_error_and_version(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("version: 1\nmodel: [resnet50\nchip: t4\n")
    with pytest.raises(engine.SramfitError, match=r"s.yaml:3: not valid YAML"):
        load_scenario(p)
    p.write_text("version: 7\nmodel: resnet50\n")
    with pytest.raises(ScenarioError, match=r"s.yaml:1: field 'version': 7 is not "
                                            r"supported.*newer"):
        load_scenario(p)
    p.write_text("model: resnet50\n")
    with pytest.raises(ScenarioError, match="missing field 'version'"):
        load_scenario(p)


def test_migration_from_version_0(tmp_path):
    p = tmp_path / "old.yaml"
    p.write_text("version: 0\nname: old\nmodel: yolov3\ninput: 1920x1088\n"
                 "precision: {weights: int8, activations: fp16}\nsram: 64\nchip: chip_b\n")
    s = load_scenario(p)
    assert (s.width, s.height, s.activations, s.sram_mb) == (1920, 1088, "fp16", 64.0)
    assert 0 in engine.MIGRATIONS
    save_scenario(s, p)
    assert "version: 1\n" in p.read_text() and load_scenario(p) == s


def _write_good(path):
    s = Scenario(name="keep me", model="resnet18", chip="chip_a")
    save_scenario(s, path)
    return path.read_bytes()


@pytest.mark.parametrize("where", ["fsync", "replace", "write"])
def test_atomic_save_failure_leaves_old_file(tmp_path, monkeypatch, where):
    p = tmp_path / "s.yaml"
    old = _write_good(p)

    def boom(*a, **k):
        raise OSError("disk full (injected)")
    if where == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    elif where == "replace":
        monkeypatch.setattr(os, "replace", boom)
    else:
        real = os.fdopen

        class HalfWrite:
            """Writes half of the text, then fails (a full disk)."""
            def __init__(self, fh):
                self.fh = fh

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

            def write(self, text):
                self.fh.write(text[: len(text) // 2])
                self.fh.flush()
                raise OSError("disk full (injected)")
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: HalfWrite(real(fd, *a, **k)))
    with pytest.raises(SramfitError, match="injected") as ei:
        save_scenario(Scenario(name="new", model="yolov3", chip="chip_b"), p)
    monkeypatch.undo()
    assert str(ei.value).startswith(f"{p}: cannot save") and ".tmp" not in str(ei.value)
    assert p.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["s.yaml"]     # no temp file left behind


def test_invalid_scenario_is_not_saved(tmp_path):
    p = tmp_path / "s.yaml"
    old = _write_good(p)
    with pytest.raises(ScenarioError, match="batch"):
        save_scenario(Scenario(model="resnet18", chip="chip_a", batch=-1), p)
    assert p.read_bytes() == old


def test_analyze_reports_bad_inmemory_scenario():
    with pytest.raises(ScenarioError, match="policy"):
        engine.analyze(Scenario(model="resnet18", policy="fastest"))


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@settings(max_examples=60, deadline=None)
@given(name=_text, notes=_text, model=st.sampled_from(engine.zoo.names()),
       w=st.none() | st.integers(1, 4096), h=st.none() | st.integers(1, 4096),
       batch=st.integers(1, 4096), cb=st.none() | st.integers(1, 64),
       wp=st.sampled_from(["int8", "fp16", "bf16"]), ap=st.sampled_from(["int8", "fp16"]),
       flags=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
       chip=st.sampled_from(["chip_a", "chip_b", "chip_c"]),
       sram=st.none() | st.floats(0, 1e4, allow_nan=False),
       policy=st.sampled_from(engine.POLICIES))
def test_round_trip_property(name, notes, model, w, h, batch, cb, wp, ap, flags, chip,
                             sram, policy):
    s = Scenario(name=name, notes=notes, model=model, width=w, height=h, batch=batch,
                 compiled_batch=cb, weights=wp, activations=ap, fusion=flags[0],
                 winograd=flags[1], winograd_plain_weights=flags[2], overlap=flags[3],
                 chip=chip, sram_mb=sram, policy=policy)
    assert loads_scenario(dumps_scenario(s)) == s
    assert replace(s, batch=2).batch == 2
