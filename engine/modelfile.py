"""Load models: built-in names, user model YAML, and (via importers) ONNX / darknet .cfg.

The user model YAML form::

    version: 1
    name: tinynet
    source: "where the architecture comes from"
    input: {channels: 3, width: 224, height: 224}   # default input size
    layers:
      - {name: conv1, op: conv, out: 32, kernel: 3, stride: 2, padding: 1, bias: false}
      - {name: bn1, op: norm}
      - {name: relu1, op: act, fn: relu}
      - {name: skip, op: add, inputs: [relu1, conv1]}   # inputs default to the previous layer

Errors name the file, line and field. YAML is read with ``yaml.safe_load`` only;
``yaml.compose`` (no object construction) provides the line numbers.
"""
from __future__ import annotations

import os
from typing import Any

import yaml

from . import zoo
from .errors import ModelError, SramfitError
from .fileio import read_text
from .graph import INPUT, Model, make_layer

MODEL_KEYS = {"version", "name", "source", "notes", "input", "layers"}
INPUT_KEYS = {"channels", "width", "height"}
LAYER_BASE_KEYS = {"name", "op", "inputs"}
SUPPORTED_VERSION = 1


def read_yaml(path: str) -> tuple[Any, dict]:
    """(data, lines): the safe_load'ed document and {path tuple: line number (1-based)}.

    Raises SramfitError naming the file (and line, for syntax errors)."""
    return parse_yaml(read_text(path), path)


def parse_yaml(text: str, path: str = "<text>") -> tuple[Any, dict]:
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(err, "problem", None) or str(err)
        raise SramfitError(f"{where}: not valid YAML: {problem}; check indentation, "
                           f"colons and brackets") from None
    lines: dict[tuple, int] = {}

    def walk(n, key):
        lines[key] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                lines[key + (k.value,)] = k.start_mark.line + 1
                walk(v, key + (k.value,)) if isinstance(v, (yaml.MappingNode,
                                                            yaml.SequenceNode)) else None
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, key + (i,))
    if node is not None:
        walk(node, ())
    return data, lines


def _line(lines: dict, key: tuple) -> int | None:
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return lines.get(())


def _field_of(message: str) -> str | None:
    marker = "field '"
    if marker in message:
        return message.split(marker, 1)[1].split("'", 1)[0]
    return None


def model_from_dict(data: Any, path: str = "<model>", lines: dict | None = None,
                    prefix: tuple = ()) -> Model:
    """Build a Model from the YAML form; every error names path:line and the field."""
    lines = lines or {}

    def fail(key: tuple, msg: str):
        line = _line(lines, prefix + key)
        raise ModelError(f"{path}:{line}: {msg}" if line else f"{path}: {msg}")

    if not isinstance(data, dict):
        fail((), "a model file must be a mapping with 'name' and 'layers'")
    unknown = sorted(set(map(str, data)) - MODEL_KEYS)
    if unknown:
        fail((unknown[0],), f"unknown field {unknown[0]!r}; allowed: "
                            f"{', '.join(sorted(MODEL_KEYS))}")
    version = data.get("version", SUPPORTED_VERSION)
    if version != SUPPORTED_VERSION:
        fail(("version",), f"field 'version': {version!r} is not supported; this sramfit "
                           f"reads version {SUPPORTED_VERSION}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        fail(("name",), "field 'name': give the model a name (a non-empty string)")
    inp = data.get("input", {}) or {}
    if not isinstance(inp, dict):
        fail(("input",), "field 'input': expected {channels: C, width: W, height: H}")
    bad = sorted(set(map(str, inp)) - INPUT_KEYS)
    if bad:
        fail(("input", bad[0]), f"field 'input.{bad[0]}' is unknown; allowed: "
                                f"channels, width, height")
    for k, default in (("channels", 3), ("width", 224), ("height", 224)):
        v = inp.get(k, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            fail(("input", k), f"field 'input.{k}': expected a positive whole number, "
                               f"got {v!r}")
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        fail(("layers",), "field 'layers': expected a non-empty list of layers")
    layers = []
    prev = INPUT
    names = {INPUT}
    for i, raw in enumerate(raw_layers):
        key = ("layers", i)
        if not isinstance(raw, dict):
            fail(key, f"layers[{i}]: expected a mapping like {{name: conv1, op: conv, ...}}")
        lname = raw.get("name", f"layer{i}")
        if not isinstance(lname, str):
            fail(key + ("name",), f"layers[{i}]: field 'name': expected a string")
        op = raw.get("op")
        if op is None:
            fail(key, f"layers[{i}] ({lname!r}): missing field 'op'")
        inputs = raw.get("inputs", [prev])
        if isinstance(inputs, str):
            inputs = [inputs]
        if isinstance(inputs, list):
            for j, t in enumerate(inputs):
                if t not in names:
                    fail(key + ("inputs",), f"layers[{i}] ({lname!r}): field 'inputs': {t!r} "
                                            f"is not an earlier layer (use a layer name above "
                                            f"this one, or {INPUT!r})")
        attrs = {k: v for k, v in raw.items() if k not in LAYER_BASE_KEYS}
        try:
            layer = make_layer(lname, op, inputs, attrs)
        except ModelError as err:
            field = _field_of(str(err))
            if field is None and "unknown field(s) '" in str(err):
                field = str(err).split("unknown field(s) '", 1)[1].split("'", 1)[0]
            fail(key + ((field,) if field else ()), f"layers[{i}]: {err}")
        if lname in names:
            fail(key + ("name",), f"layers[{i}]: the name {lname!r} is used twice; every "
                                  f"layer needs a unique name")
        names.add(lname)
        layers.append(layer)
        prev = lname
    try:
        return Model(name, tuple(layers), inp.get("channels", 3),
                     (inp.get("width", 224), inp.get("height", 224)),
                     str(data.get("source", "") or ""), str(data.get("notes", "") or ""))
    except ModelError as err:
        fail((), str(err))


def load_model(spec, width: int | None = None, height: int | None = None) -> Model:
    """A Model from a built-in name or a file path (.yaml/.yml, .onnx, .cfg).

    ``width``/``height`` matter only for ONNX files whose input size is dynamic: ONNX
    shape inference needs a concrete size to resolve the shape plumbing."""
    if isinstance(spec, Model):
        return spec
    spec = str(spec)
    ext = os.path.splitext(spec)[1].lower()
    if ext in (".yaml", ".yml"):
        data, lines = read_yaml(spec)
        return model_from_dict(data, spec, lines)
    if ext == ".onnx":
        from .importers import onnx_import
        return onnx_import.load(spec, width, height)
    if ext == ".cfg":
        from .importers import darknet
        return darknet.load(spec)
    if os.path.sep in spec or os.path.exists(spec):
        raise ModelError(f"{spec}: unknown model file type {ext or '(none)'!r}; use .yaml, "
                         f".onnx or .cfg")
    return zoo.get(spec)


def dump_model(model: Model) -> str:
    """The YAML text of a model (the user form above); loads back to an equal model."""
    return yaml.safe_dump(model.to_dict(), sort_keys=False, default_flow_style=None,
                          width=100)
