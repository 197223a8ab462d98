"""Scenarios: one what-if question (model, input, batch, precision, options, chip,
placement policy) as a frozen value and as a YAML file.

The YAML form is flat; every key is a :class:`Scenario` field::

    version: 1
    name: yolov3-2mp-chip-b
    notes: |
      YOLOv3 at 2 MP on the seed's 64 MB chip.
    model: yolov3            # built-in name, model file (.yaml/.onnx/.cfg, relative to
                             # this file) or an inline mapping in the model YAML form
    width: 1920              # null = the model's default size
    height: 1088
    channels: null           # null = the model's
    batch: 1                 # client batch (images per request)
    compiled_batch: null     # null = batch; else dynamic batching in calls of this size
    weights: int8            # int4 | int8 | fp16 | bf16 | fp32
    activations: int8
    fusion: true             # fuse batchnorm/activation/add into the producing step
    winograd: false          # F(2x2,3x3) for 3x3 stride-1 dense convs
    winograd_plain_weights: false   # store plain weights, expand on chip
    chip: chip_b             # profile name, chip file (relative to this file) or inline
    sram_mb: null            # null = the chip's; else override the SRAM size (MB)
    policy: optimal          # weights_first | activations_first | optimal
    overlap: true            # compute and DRAM transfers overlap
    inplace: true            # in-place buffers (off also if the chip's inplace is off)
    schedule: null           # null = the chip's; layer_by_layer | depth_first
    tile_rows: null          # depth_first: null = the engine chooses; else pin the
                             # tile height (rows of each stack's output)
    stack_cuts: null         # depth_first: layer names no fused stack may span
                             # (a stack boundary just before each), e.g. [036_conv]

Loading reports every problem at once, each as ``file:line: field 'x': ... fix``,
unknown keys included; YAML is read by engine/yamlio.py (plain values only, bounded),
and field types and ranges come from the one-line-per-field schema ``_SPEC`` (see
engine/schema.py). ``version`` is
checked; older versions are upgraded by :data:`MIGRATIONS`. Saving is atomic.
Edit a scenario with ``dataclasses.replace(s, batch=8)``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from typing import Any

import yaml

from . import zoo
from .chip import Chip, chip_from_dict, chip_path, chip_problems, list_chips, load_chip
from .errors import SramfitError
from .footprint import MAX_BATCH, MAX_INPUT_CHANNELS, MAX_SIDE
from .graph import Model
from .fileio import write_text_atomic
from .modelfile import _line, load_model, model_from_dict, parse_yaml, read_yaml
from .depthfirst import SCHEDULES
from .placement import POLICIES
from .schema import Field, canonical, check as check_fields, key_problems, show
from .precision import NAMES as PRECISIONS

SUPPORTED_VERSION = 1


class ScenarioError(SramfitError):
    """A scenario is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Scenario:
    name: str = "untitled"
    notes: str = ""
    model: Any = "resnet50"             # str (name or path) or dict (inline model)
    width: int | None = None
    height: int | None = None
    channels: int | None = None
    batch: int = 1
    weights: str = "int8"
    activations: str = "int8"
    fusion: bool = True
    winograd: bool = False
    winograd_plain_weights: bool = False
    chip: Any = "chip_b"                # str (name or path) or dict (inline chip)
    sram_mb: float | None = None
    policy: str = "optimal"
    overlap: bool = True
    compiled_batch: int | None = None
    inplace: bool = True
    schedule: str | None = None         # None = the chip's default
    tile_rows: int | None = None        # depth_first: pin the tile height
    stack_cuts: tuple | None = None     # depth_first: cut stacks before these layers
    # directory that relative model/chip paths are resolved against (the scenario
    # file's directory); not part of the value
    base_dir: str | None = field(default=None, compare=False, repr=False)

    @property
    def effective_compiled_batch(self) -> int:
        return self.batch if self.compiled_batch is None else self.compiled_batch

    def effective_schedule(self, chip) -> str:
        """The scenario's schedule, or the chip's default when it is null."""
        return chip.schedule if self.schedule is None else self.schedule


FIELDS = tuple(f.name for f in fields(Scenario) if f.name != "base_dir")
YAML_KEYS = ("version",) + FIELDS
_DEFAULTS = {f.name: f.default for f in fields(Scenario)}

# one line per field: Field(types, default, range / choices, fix); see engine/schema.py.
_OPT_INT = (int, type(None))
_F = Field
_SPEC: dict[str, Field] = {
    "name": _F((str,)),
    "notes": _F((str,)),
    "model": _F((str, dict)),
    "width": _F(_OPT_INT, None, 1, MAX_SIDE, fix="give the image width in pixels, e.g. 1920"),
    "height": _F(_OPT_INT, None, 1, MAX_SIDE,
                 fix="give the image height in pixels, e.g. 1088"),
    "channels": _F(_OPT_INT, None, 1, MAX_INPUT_CHANNELS, fix="e.g. 3 for RGB, or null for the model's"),
    "batch": _F((int,), None, 1, MAX_BATCH, fix="use a batch of 1 or more"),
    "weights": _F((str,), choices=PRECISIONS),
    "activations": _F((str,), choices=PRECISIONS),
    "fusion": _F((bool,)),
    "winograd": _F((bool,)),
    "winograd_plain_weights": _F((bool,)),
    "chip": _F((str, dict)),
    "sram_mb": _F((int, float, type(None)), None, 0, 1e7,
                  fix="give the SRAM size in MB (10^6 bytes), or null for the chip's"),
    "policy": _F((str,), choices=POLICIES),
    "overlap": _F((bool,)),
    "compiled_batch": _F(_OPT_INT, None, 1, MAX_BATCH, fix="use null (= batch) or >= 1"),
    "inplace": _F((bool,)),
    "schedule": _F((str, type(None)), None, choices=SCHEDULES),
    "tile_rows": _F(_OPT_INT, None, 1, MAX_SIDE,
                    fix="use null (the engine chooses) or the rows per tile, e.g. 8"),
    "stack_cuts": _F((list, tuple, type(None)), None, items=str,
                     fix="give a list of layer names, e.g. [036_conv], or null"),
}
#: fields only a scenario has: a mapping with unknown keys and none of them is some
#: other file, reported without quoting it
_KIND_KEYS = ("model", "chip", "width", "height", "batch", "weights", "activations",
              "policy", "sram_mb", "fusion")


# -- migrations -----------------------------------------------------------------------
def _from_v0(d: dict) -> dict:
    """Version 0 (the pre-release draft): ``input: "WxH"``, ``precision: {weights,
    activations}`` and ``sram: MB``. Version 1 flattens them."""
    d = dict(d)
    inp = d.pop("input", None)
    if isinstance(inp, str) and "x" in inp.lower():
        w, h = inp.lower().split("x", 1)
        try:
            d["width"], d["height"] = int(w), int(h)
        except ValueError:
            d["input"] = inp            # left for validation to report
    elif inp is not None:
        d["input"] = inp
    p = d.pop("precision", None)
    if isinstance(p, dict):
        for k in ("weights", "activations"):
            if k in p:
                d[k] = p[k]
    elif p is not None:
        d["precision"] = p
    if "sram" in d:
        d["sram_mb"] = d.pop("sram")
    d["version"] = 1
    return d


#: old version -> function turning that version's mapping into the next version's
MIGRATIONS = {0: _from_v0}


def migrate(data: dict) -> dict:
    v = data.get("version", SUPPORTED_VERSION)
    while isinstance(v, int) and not isinstance(v, bool) and v in MIGRATIONS:
        data = MIGRATIONS[v](data)
        v = data.get("version")
    return data


# -- validation -----------------------------------------------------------------------
def _resolve(path: str, base_dir: str | None) -> str:
    if base_dir and not os.path.isabs(path):
        return os.path.normpath(os.path.join(base_dir, path))
    return path


def _is_path(s: str) -> bool:
    return s.endswith((".yaml", ".yml", ".onnx", ".cfg")) or "/" in s or os.sep in s


def scenario_problems(data: Any, path: str = "<scenario>", lines: dict | None = None,
                      base_dir: str | None = None) -> list[str]:
    """Every problem of a scenario mapping, as 'path:line: field ...' messages."""
    lines = lines or {}
    problems: list[str] = []

    def bad(key, msg):
        line = _line(lines, tuple(key)) if lines else None
        problems.append(f"{path}:{line}: {msg}" if line else f"{path}: {msg}")

    if not isinstance(data, dict):
        bad((), "a scenario file must be a mapping (name, model, width, height, chip, ...)")
        return problems
    if not key_problems(data, dict.fromkeys(YAML_KEYS), "a scenario", bad, _KIND_KEYS):
        return problems
    v = data.get("version", None)
    if v is None:
        bad((), f"missing field 'version'; add 'version: {SUPPORTED_VERSION}'")
    elif isinstance(v, bool) or not isinstance(v, int):
        bad(("version",), f"field 'version': expected a whole number, got {show(v)}")
    elif v != SUPPORTED_VERSION:
        newer = v > SUPPORTED_VERSION
        bad(("version",), f"field 'version': {v} is not supported; this sramfit reads "
                          f"version {SUPPORTED_VERSION}"
                          + (" (the file is from a newer sramfit)" if newer else ""))
    check_fields(data, _SPEC, bad)
    # model
    model = data.get("model", _DEFAULTS["model"])
    if isinstance(model, str):
        if not model:
            bad(("model",), "field 'model': give a built-in model name or a model file")
        elif _is_path(model):
            if not os.path.isfile(_resolve(model, base_dir)):
                bad(("model",), f"field 'model': file {show(model)} not found (paths are "
                                f"relative to the scenario file)")
        elif model.lower().replace("-", "_") not in zoo.names():
            bad(("model",), f"field 'model': unknown model {show(model)}; use one of "
                            f"{', '.join(zoo.names())}, a model file, or an inline model")
    elif isinstance(model, dict):
        try:
            model_from_dict(model, path, lines, prefix=("model",))
        except SramfitError as err:
            problems.append(f"{err} (in the inline model)")
    # chip
    chip = data.get("chip", _DEFAULTS["chip"])
    chip_obj = None
    if isinstance(chip, str):
        target = None
        if not chip:
            bad(("chip",), "field 'chip': give a chip profile name or a chip file")
        elif _is_path(chip):
            target = _resolve(chip, base_dir)
            if not os.path.isfile(target):
                target = None
                bad(("chip",), f"field 'chip': file {show(chip)} not found (paths are relative "
                               f"to the scenario file)")
        elif chip not in list_chips():
            bad(("chip",), f"field 'chip': unknown chip {show(chip)}; use one of "
                           f"{', '.join(list_chips())}, a chip file or an inline chip")
        else:
            target = chip
        if target is not None:
            try:
                chip_obj = load_chip(target)
            except SramfitError as err:
                problems.append(f"{err} (chip of {path})")
    elif isinstance(chip, dict):
        cp = chip_problems({"name": "inline", **chip}, path, lines, prefix=("chip",))
        problems.extend(f"{m} (in the inline chip)" for m in cp)
        if not cp:
            chip_obj = chip_from_dict({"name": "inline", **chip})
    if chip_obj is not None:
        for k in ("weights", "activations"):
            p = data.get(k, _DEFAULTS[k])
            if isinstance(p, str) and p.lower() in PRECISIONS and chip_obj.rate(p) <= 0:
                ok = [q for q, r in chip_obj.precision_rate if r > 0]
                bad((k,), f"field {k!r}: chip {chip_obj.name!r} does not support {p} "
                          f"(precision_rate.{p} is 0); use {' or '.join(ok)}")
    return problems


def scenario_from_dict(data: Any, path: str = "<scenario>", lines: dict | None = None,
                       base_dir: str | None = None) -> Scenario:
    if isinstance(data, dict):
        data = migrate(dict(data))
    problems = scenario_problems(data, path, lines, base_dir)
    if problems:
        raise ScenarioError(problems)
    kw = canonical({k: data[k] for k in FIELDS if k in data}, _SPEC)
    if kw.get("sram_mb") is not None:
        kw["sram_mb"] = float(kw["sram_mb"])
    if kw.get("stack_cuts") is not None:
        kw["stack_cuts"] = tuple(kw["stack_cuts"])
    if kw.get("notes") is None and "notes" in kw:
        kw["notes"] = ""
    return Scenario(base_dir=base_dir, **kw)


def scenario_to_dict(s: Scenario) -> dict:
    """The YAML form: version first, then every field; loads back to an equal value."""
    out: dict[str, Any] = {"version": SUPPORTED_VERSION}
    for k in FIELDS:
        out[k] = getattr(s, k)
    if out["stack_cuts"] is not None:
        out["stack_cuts"] = list(out["stack_cuts"])
    return out


def check_scenario(s: Scenario) -> None:
    """Raise ScenarioError listing every problem of an in-memory scenario."""
    problems = scenario_problems(scenario_to_dict(s), f"scenario {show(s.name)}",
                                 None, s.base_dir)
    if problems:
        raise ScenarioError(problems)


def check_sram_mb(s: Scenario) -> None:
    """check_scenario's problem with ``sram_mb`` alone (for a scenario whose other
    fields were checked before: a new SRAM size)."""
    msg = _SPEC["sram_mb"].problem(s.sram_mb)
    if msg:
        raise ScenarioError([f"scenario {show(s.name)}: field 'sram_mb': {msg}"])


def load_scenario(path) -> Scenario:
    path = str(path)
    data, lines = read_yaml(path)
    return scenario_from_dict(data, path, lines,
                              base_dir=os.path.dirname(os.path.abspath(path)))


def loads_scenario(text: str, path: str = "<text>", base_dir: str | None = None) -> Scenario:
    data, lines = parse_yaml(text, path)
    return scenario_from_dict(data, path, lines, base_dir)


class _Dumper(yaml.SafeDumper):
    pass


def _str_rep(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_rep)


def dumps_scenario(s: Scenario, base_dir: str | None = None) -> str:
    d = scenario_to_dict(_rebased(s, base_dir) if base_dir else s)
    return yaml.dump(d, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


def _rebased(s: Scenario, new_base: str) -> Scenario:
    """Rewrite relative model/chip paths so they still point to the same files."""
    from dataclasses import replace
    changes = {}
    for k in ("model", "chip"):
        v = getattr(s, k)
        if isinstance(v, str) and _is_path(v) and not os.path.isabs(v) and s.base_dir \
                and os.path.abspath(s.base_dir) != os.path.abspath(new_base):
            changes[k] = os.path.relpath(os.path.join(s.base_dir, v), new_base)
    return replace(s, base_dir=new_base, **changes) if changes else s


def save_scenario(s: Scenario, path) -> Scenario:
    """Write ``s`` to ``path`` atomically (temp file in the same directory, fsync,
    os.replace). On any error the old file is left as it was. Returns the scenario as
    saved (relative paths rebased to the new directory)."""
    path = os.path.abspath(str(path))
    new_base = os.path.dirname(path)
    s2 = _rebased(s, new_base)
    text = dumps_scenario(s2)
    # the text must load back to the same value before anything is written
    back = loads_scenario(text, path, new_base)
    if back != s2:
        raise ScenarioError([f"{path}: internal error: the scenario does not round-trip; "
                             f"nothing was written"])
    write_text_atomic(path, text)
    return back


# -- resolution (used by analyze) -------------------------------------------------------
_MODEL_CACHE: dict = {}


def resolve_model(s: Scenario) -> Model:
    m = s.model
    if isinstance(m, Model):
        return m
    if isinstance(m, dict):
        try:
            key = ("inline", yaml.safe_dump(m, sort_keys=True))
        except Exception:  # noqa: BLE001 - odd values (mixed-type keys): no caching
            key = None
        hit = _MODEL_CACHE.get(key) if key is not None else None
        if hit is None:
            hit = model_from_dict(m, f"scenario {show(s.name)}: model")
            if len(_MODEL_CACHE) > 64:
                _MODEL_CACHE.clear()
            if key is not None:
                _MODEL_CACHE[key] = hit
        return hit
    m = str(m)
    if _is_path(m):
        p = _resolve(m, s.base_dir)
        try:
            key = ("file", os.path.abspath(p), os.stat(p).st_mtime_ns, s.width, s.height)
        except OSError:
            raise ScenarioError([f"scenario {show(s.name)}: field 'model': file {show(m)} not "
                                 f"found"]) from None
        hit = _MODEL_CACHE.get(key)
        if hit is None:
            hit = load_model(p, s.width, s.height)
            _MODEL_CACHE[key] = hit
        return hit
    return zoo.get(m)


def resolve_chip(s: Scenario) -> Chip:
    c = s.chip
    if isinstance(c, Chip):
        return c
    if isinstance(c, dict):
        return chip_from_dict({"name": "inline", **c}, f"scenario {show(s.name)}: chip")
    c = str(c)
    if _is_path(c):
        return load_chip(_resolve(c, s.base_dir))
    return load_chip(c)


__all__ = ["MIGRATIONS", "Scenario", "ScenarioError", "check_scenario", "chip_path",
           "dumps_scenario", "load_scenario", "loads_scenario", "resolve_chip",
           "resolve_model", "save_scenario", "scenario_from_dict", "scenario_problems",
           "scenario_to_dict"]
