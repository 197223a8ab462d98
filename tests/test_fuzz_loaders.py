"""Fuzz tests of every loader (issue 14), a few seconds each: mutated scenario, chip,
model YAML and darknet .cfg text, arbitrary YAML text, and arbitrary dicts through the
GUI's model-editing path (model_from_dict). The property: the only exception that
comes out is the engine's own SramfitError (whose message names the file), and a
loaded scenario/model analyses without any other exception. For minutes of the same,
run benchmarks/fuzz_loaders.py."""
import math

import yaml
from fuzzing import Draws, mutate_text, mutate_value
from hypothesis import HealthCheck, given, settings, strategies as st

from sramfit import engine
from sramfit.engine import yamlio
from sramfit.engine.errors import SramfitError
from sramfit.engine.importers import darknet
from sramfit.engine.modelfile import dump_model, model_from_dict, parse_yaml
from sramfit.engine.resources import chips_dir, profiles_dir, scenarios_dir
from sramfit.engine.scenario import loads_scenario

FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SCENARIO = (scenarios_dir() / "yolov3_2mp_chip_b.yaml").read_text()
CHIP = (chips_dir() / "chip_b.yaml").read_text()
MODEL = dump_model(engine.load_model("resnet18"))
CFG = (profiles_dir() / "models" / "yolov3-tiny.cfg").read_text()


@st.composite
def mutated(draw, text):
    return mutate_text(Draws(draw), text)


@st.composite
def mutated_values(draw, text):
    """A parsed document with hostile values set into it, dumped back to YAML."""
    data = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        mutate_value(Draws(draw), data)
    try:
        return yaml.safe_dump(data, sort_keys=False)
    except yaml.YAMLError:                 # a value PyYAML cannot dump: mutate text
        return mutate_text(Draws(draw), text)


def _only_sramfit_errors(fn, *args):
    try:
        return fn(*args)
    except SramfitError as err:
        assert str(err).strip(), "an error must say something"
        return None


def _finite_totals(a):
    fp = a.footprint if hasattr(a, "footprint") else a
    for v in fp.totals().values():
        assert math.isfinite(v) and v >= 0


@FAST
@given(st.one_of(mutated(SCENARIO), mutated_values(SCENARIO)))
def test_fuzz_scenario(text):
    s = _only_sramfit_errors(loads_scenario, text, "fuzz.yaml")
    if s is not None:
        a = _only_sramfit_errors(engine.analyze, s)
        if a is not None:
            _finite_totals(a)


@FAST
@given(st.one_of(mutated(CHIP), mutated_values(CHIP)))
def test_fuzz_chip(text):
    def load(t):
        data, lines = parse_yaml(t, "chip.yaml")
        return engine.chip_from_dict(data, "chip.yaml", lines)
    chip = _only_sramfit_errors(load, text)
    if chip is not None:
        assert math.isfinite(chip.sram_bytes) and chip.dram_bytes_per_s > 0


@FAST
@given(mutated(MODEL))
def test_fuzz_model_yaml(text):
    def load(t):
        data, lines = parse_yaml(t, "m.yaml")
        m = model_from_dict(data, "m.yaml", lines)
        return engine.analyze(m, *m.default_size)
    fp = _only_sramfit_errors(load, text)
    if fp is not None:
        _finite_totals(fp)


@FAST
@given(mutated(CFG))
def test_fuzz_darknet_cfg(text):
    def load(t):
        m = darknet.from_text(t, "x.cfg")
        return engine.analyze(m, *m.default_size)
    fp = _only_sramfit_errors(load, text)
    if fp is not None:
        _finite_totals(fp)


@FAST
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{},&*!? \n\t'\"#|>0129.e+x")),
               max_size=200))
def test_fuzz_yaml_text(text):
    _only_sramfit_errors(yamlio.parse, text, "t.yaml")


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                    st.sampled_from(["conv", "fc", "pool", "add", "act", "reshape", "other",
                                     "upsample", "concat", "input", "relu", "same"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.one_of(st.text(max_size=6), st.integers()), inner, max_size=4), max_leaves=12)
FIELDS = st.sampled_from(["name", "op", "inputs", "out", "kernel", "stride", "padding",
                          "dilation", "groups", "bias", "mode", "global", "scale", "size",
                          "fn", "axis", "kind", "shape", "perm", "params", "macs",
                          "out_shape", "type", "start_dim", "output_size", 1])


BASE = engine.load_model("resnet18").to_dict()


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.dictionaries(FIELDS, VALUES, max_size=6), min_size=1, max_size=4),
       VALUES)
def test_fuzz_model_from_dict(layers, extra):
    """The GUI's layer editor path: any dict gives a Model or a ModelError."""
    base = dict(BASE, layers=BASE["layers"][:3] + layers)
    for data in (base, {"name": "m", "layers": layers}, extra):
        m = _only_sramfit_errors(model_from_dict, data, "<edit>")
        if m is not None:
            fp = _only_sramfit_errors(engine.analyze, m, 32, 32)
            if fp is not None:
                _finite_totals(fp)
