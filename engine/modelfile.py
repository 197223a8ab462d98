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

Errors name the file, line and field. YAML is read by engine/yamlio.py (one bounded
pass over libyaml's events: plain values only, aliases budgeted, duplicate keys
refused); line numbers come from the same pass. Types and ranges of layer fields are
checked by :func:`engine.graph.make_layer`; a model has at most
:data:`engine.schema.MAX_LAYERS` layers.
"""
from __future__ import annotations

import os
from typing import Any

import yaml

from . import zoo
from . import yamlio
from .errors import ModelError, SramfitError
from .graph import INPUT, Layer, Model, make_layer
from .footprint import MAX_INPUT_CHANNELS, MAX_SIDE
from .schema import MAX_LAYERS, key_problems, show

MODEL_KEYS = {"version", "name", "source", "notes", "input", "layers"}
INPUT_KEYS = {"channels", "width", "height"}
LAYER_BASE_KEYS = {"name", "op", "inputs"}
SUPPORTED_VERSION = 1


def read_yaml(path: str) -> tuple[Any, Any]:
    """(data, lines): the document's plain values and its line numbers (a
    :class:`yamlio.Lines`, indexed by key path like {path tuple: line (1-based)}).

    Raises SramfitError naming the file (and line) on any problem: see engine/yamlio.py
    for the limits (aliases, nesting, duplicate keys, tags, number sizes)."""
    return yamlio.read(path)


def parse_yaml(text: str, path: str = "<text>") -> tuple[Any, Any]:
    return yamlio.parse(text, path)


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
    key_problems(data, dict.fromkeys(sorted(MODEL_KEYS)), "a model file", fail,
                 ("layers", "input", "name"))
    version = data.get("version", SUPPORTED_VERSION)
    if version != SUPPORTED_VERSION or isinstance(version, bool):
        fail(("version",), f"field 'version': {show(version)} is not supported; this "
                           f"sramfit reads version {SUPPORTED_VERSION}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        fail(("name",), "field 'name': give the model a name (a non-empty string)")
    for k in ("source", "notes"):
        if data.get(k) is not None and not isinstance(data[k], str):
            fail((k,), f"field {k!r}: expected text, got {show(data[k])}")
    inp = data.get("input", {}) or {}
    if not isinstance(inp, dict):
        fail(("input",), "field 'input': expected {channels: C, width: W, height: H}")
    bad = [k for k in inp if not isinstance(k, str) or k not in INPUT_KEYS]
    if bad:
        fail(("input", bad[0]) if isinstance(bad[0], str) else ("input",),
             f"field 'input.{show(bad[0])}' is unknown; allowed: channels, width, height")
    for k, default, hi in (("channels", 3, MAX_INPUT_CHANNELS), ("width", 224, MAX_SIDE),
                           ("height", 224, MAX_SIDE)):
        v = inp.get(k, default)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= hi:
            fail(("input", k), f"field 'input.{k}': expected a whole number 1..{hi}, "
                               f"got {show(v)}")
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        fail(("layers",), "field 'layers': expected a non-empty list of layers")
    if len(raw_layers) > MAX_LAYERS:
        fail(("layers",), f"field 'layers': {len(raw_layers)} layers, more than the limit "
                          f"MAX_LAYERS = {MAX_LAYERS}")
    layers = []
    prev = INPUT
    names = {INPUT}
    seen_attrs: dict = {}
    for i, raw in enumerate(raw_layers):
        key = ("layers", i)
        if not isinstance(raw, dict):
            fail(key, f"layers[{i}]: expected a mapping like {{name: conv1, op: conv, ...}}")
        for k in raw:
            if not isinstance(k, str):
                fail(key, f"layers[{i}]: field names must be text, got {show(k)}")
        lname = raw.get("name", f"layer{i}")
        if not isinstance(lname, str):
            fail(key + ("name",), f"layers[{i}]: field 'name': expected text, got "
                                  f"{show(lname)}")
        op = raw.get("op")
        if op is None:
            fail(key, f"layers[{i}] ({show(lname)}): missing field 'op'")
        if not isinstance(op, str):
            fail(key + ("op",), f"layers[{i}] ({show(lname)}): field 'op': expected an op "
                                f"name (text), got {show(op)}")
        inputs = raw.get("inputs", [prev])
        if isinstance(inputs, str):
            inputs = [inputs]
        if isinstance(inputs, list):
            for j, t in enumerate(inputs):
                if not isinstance(t, str):
                    fail(key + ("inputs", j), f"layers[{i}] ({show(lname)}): field "
                                              f"'inputs': expected layer names (text), "
                                              f"got {show(t)}")
                if t not in names:
                    fail(key + ("inputs",), f"layers[{i}] ({show(lname)}): field 'inputs': "
                                            f"{show(t)} is not an earlier layer (use a "
                                            f"layer name above this one, or {INPUT!r})")
        attrs = {k: v for k, v in raw.items() if k not in LAYER_BASE_KEYS}
        try:
            # layers with the same op and fields share one validation (big models
            # repeat a few layer kinds); make_layer's other checks are on name/inputs
            try:
                ckey = (op, tuple(attrs.items()), len(inputs)) \
                    if isinstance(inputs, list) else None
                hit = seen_attrs.get(ckey) if ckey is not None else None
            except TypeError:                  # unhashable values (lists): no sharing
                ckey = hit = None
            if hit is not None and lname and lname != INPUT:
                layer = Layer(lname, op, tuple(inputs), dict(hit))
            else:
                layer = make_layer(lname, op, inputs, attrs)
                if ckey is not None and len(seen_attrs) < 4096:
                    seen_attrs[ckey] = layer.attrs
        except ModelError as err:
            field = _field_of(str(err))
            if field is None and "unknown field(s) '" in str(err):
                field = str(err).split("unknown field(s) '", 1)[1].split("'", 1)[0]
            fail(key + ((field,) if field else ()), f"layers[{i}]: {err}")
        if lname in names:
            fail(key + ("name",), f"layers[{i}]: the name {show(lname)} is used twice; "
                                  f"every layer needs a unique name")
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
        raise ModelError(f"{show(spec)}: unknown model file type {show(ext or '(none)')}; "
                         f"use .yaml, "
                         f".onnx or .cfg")
    return zoo.get(spec)


def dump_model(model: Model) -> str:
    """The YAML text of a model (the user form above); loads back to an equal model."""
    return yaml.safe_dump(model.to_dict(), sort_keys=False, default_flow_style=None,
                          width=100)
