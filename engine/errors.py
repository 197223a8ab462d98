"""Error types. Every error a user can cause is a SramfitError whose message names
the field (and file/line where there is one) and says how to fix it. The CLI and the
GUI show ``str(err)``; they never show a traceback for these."""


class SramfitError(ValueError):
    """Base class for every user-facing error."""


class ModelError(SramfitError):
    """A model definition is malformed (unknown op, missing field, bad reference)."""


class ShapeError(SramfitError):
    """A model cannot run at the requested input size."""


class InputError(SramfitError):
    """A user-supplied setting (size, batch, precision...) is out of range."""
