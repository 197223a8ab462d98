"""sramfit engine: pure Python + numpy. Never imports Qt or the gui package."""
from .errors import InputError, ModelError, SramfitError, ShapeError
from .footprint import Footprint
from .graph import Layer, Model, make_layer
from .liveness import plan_offsets
from .modelfile import load_model
from .precision import BITS as PRECISIONS
from . import zoo
from .chip import Chip, ChipError, chip_from_dict, chip_to_dict, list_chips, load_chip
from .placement import POLICIES
from .scenario import (MIGRATIONS, Scenario, ScenarioError, load_scenario, save_scenario,
                       scenario_from_dict, scenario_to_dict)
from .analysis import Analysis

__all__ = ["Analysis", "Chip", "ChipError", "Footprint", "InputError", "Layer", "MIGRATIONS",
           "Model", "ModelError", "POLICIES", "PRECISIONS", "Scenario", "ScenarioError",
           "ShapeError", "SramfitError", "analyze", "chip_from_dict", "chip_to_dict",
           "list_chips", "load_chip", "load_model", "load_scenario", "make_layer",
           "plan_offsets", "save_scenario", "scenario_from_dict", "scenario_to_dict", "zoo"]


def analyze(model, width=None, height=None, *, channels=None, batch=1, weights="int8",
            activations="int8", fusion=True):
    """``analyze(scenario)`` -> :class:`Analysis` (the model on the scenario's chip).

    ``analyze(model, width, height, ...)`` -> :class:`Footprint` (chip-independent),
    where ``model`` is a Model, a built-in name or a model file path."""
    if isinstance(model, Scenario):
        return Analysis(model)
    if not isinstance(model, Model):
        # a file is read at the size asked for (an ONNX graph's shape arithmetic is
        # evaluated there); both or neither of width/height
        size = (width, height) if width is not None and height is not None else ()
        model = load_model(model, *size)
    w, h = model.default_size
    return Footprint(model, w if width is None else width, h if height is None else height,
                     channels, batch, weights, activations, fusion)
