"""One check per rule in the loaders: the int-range check (schema.whole) behind layers
and footprints, the key check (schema.key_problems) behind models, scenarios and chips,
and the chip efficiencies' range through their Field."""
import numpy as np
import pytest

from sramfit import engine
from sramfit.engine.chip import chip_from_dict, chip_to_dict, load_chip
from sramfit.engine.errors import InputError, ModelError, SramfitError
from sramfit.engine.graph import make_layer
from sramfit.engine.modelfile import model_from_dict
from sramfit.engine.schema import whole


@pytest.mark.parametrize("value, words", [
    (2.0, "n: expected a whole number, got 2.0"),
    (True, "n: expected a whole number, got True"),
    ("3", "n: expected a whole number, got '3'"),
    (0, "n: expected a whole number >= 1, got 0"),
    (11, "n: 11 is more than the limit 10"),
])
def test_whole_refuses(value, words):
    with pytest.raises(InputError) as e:
        whole(value, "n", 1, 10, error=InputError)
    assert str(e.value) == words


def test_whole_accepts_numpy_ints_and_open_bounds():
    assert whole(np.int64(7), "n", 1, 10) == 7 and type(whole(np.int64(7), "n")) is int
    assert whole(-5, "n") == -5


def test_the_three_loaders_share_it():
    with pytest.raises(ModelError, match="'out': expected a whole number >= 1, got 0"):
        make_layer("c", "conv", ["input"], {"out": 0, "kernel": 3})
    with pytest.raises(ModelError, match="'axis': 9 is more than the limit 8"):
        make_layer("c", "concat", ["input"], {"axis": 9})
    with pytest.raises(InputError, match="input width: expected a whole number >= 1, "
                                         "got 0; give the image width"):
        engine.Footprint(engine.zoo.get("resnet18"), 0, 224)
    with pytest.raises(InputError, match="batch: expected a whole number, got 1.5"):
        engine.Footprint(engine.zoo.get("resnet18"), 224, 224, batch=1.5)


def test_foreign_and_empty_mappings_are_refused_by_kind():
    for data in ({}, {"foo": 1, 2: 3}):
        with pytest.raises(ModelError, match="this is not a model file"):
            model_from_dict(data)
        with pytest.raises(SramfitError, match="this is not a scenario"):
            engine.scenario_from_dict(data, "f.yaml")
    with pytest.raises(ModelError, match="unknown field 'colour'; allowed: input, layers, "
                                         "name, notes, source, version"):
        model_from_dict({"name": "m", "colour": 1, "layers": [{"op": "act"}]})


@pytest.mark.parametrize("value, words", [
    (0.0, "field 'compute_efficiency': must be > 0, got 0.0"),
    (1.01, "field 'compute_efficiency': must be <= 1, got 1.01"),
    (float("nan"), "field 'compute_efficiency': nan is not a finite number"),
])
def test_chip_efficiency_range_from_its_field(value, words):
    d = {**chip_to_dict(load_chip("chip_b")), "compute_efficiency": value}
    with pytest.raises(SramfitError) as e:
        chip_from_dict(d)
    assert words in str(e.value) and "in (0, 1]" in str(e.value)
    assert chip_from_dict({**d, "compute_efficiency": 1}).compute_efficiency == 1
