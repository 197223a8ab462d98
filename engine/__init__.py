"""sramfit engine: pure Python + numpy. Never imports Qt or the gui package."""
from .errors import InputError, ModelError, SramfitError, ShapeError
from .footprint import Footprint
from .graph import Layer, Model, make_layer
from .liveness import plan_offsets
from .modelfile import load_model
from .precision import BITS as PRECISIONS
from . import zoo

__all__ = ["Footprint", "InputError", "Layer", "Model", "ModelError", "PRECISIONS",
           "ShapeError", "SramfitError", "analyze", "load_model", "make_layer",
           "plan_offsets", "zoo"]


def analyze(model, width=None, height=None, *, channels=None, batch=1, weights="int8",
            activations="int8", fusion=True) -> Footprint:
    """Footprint of ``model`` (a Model, a built-in name or a model file path)."""
    if not isinstance(model, Model):
        model = load_model(model)
    w, h = model.default_size
    return Footprint(model, w if width is None else width, h if height is None else height,
                     channels, batch, weights, activations, fusion)
