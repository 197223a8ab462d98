"""Chip profiles: SRAM, DRAM bandwidth, MAC array, overheads, energy and area.

A profile is a flat YAML mapping (``profiles/chips/<name>.yaml``)::

    version: 1
    name: chip_b                 # = the file stem
    title: "Chip B (seed article: 64 MB SRAM)"
    source: "where the figures come from"
    notes: "..."
    estimated: [dram_gbps, ...]  # keys whose values are estimates, not published
    sram_mb: 64.0                # on-chip SRAM, MB = 10^6 bytes
    sram_split: false            # true: separate weight and activation SRAMs
    weight_sram_mb: null         # when split (must sum to sram_mb)
    activation_sram_mb: null
    dram_gbps: 17.064            # DRAM bandwidth, GB/s = 10^9 bytes/s
    macs: 4096                   # int8 MAC units = array_rows x array_cols x array_count
    clock_mhz: 1000.0
    array_rows: 64               # reduction (input-channel) lanes of one array
    array_cols: 64               # output-channel lanes of one array
    array_count: 1               # identical arrays, which split a layer's pixels
    precision_rate: {int4: 0.0, int8: 1.0, fp16: 0.5, bf16: 0.5, fp32: 0.0}
                                 # MAC rate relative to int8; 0 = unsupported
    layer_overhead_us: 1.0       # fixed cost per execution step
    call_overhead_us: 50.0       # fixed cost per inference call (host -> chip)
    sram_pj_per_byte: 1.0        # energy per SRAM byte accessed
    dram_pj_per_byte: 20.0       # energy per DRAM byte moved
    process_nm: 16
    sram_mm2_per_mb: 1.1         # SRAM macro area per MB at that process
    peak_tops_int8: 8.192        # published peak (informational; checked against
                                 # 2 x macs x clock within 10 %; Chip.peak_tops shows
                                 # it, or the derived figure when the profile has none)
    # -- speed model (engine/perf.py, engine/calibration.py) --
    mapping: channels            # channels | im2col | gpu: how a layer's loops map on the array
    gpu_tile: [128, 128]         # gpu mapping: output tile (positions x channels) per array
    execution: sequential        # sequential | pipelined (dataflow: all layers resident)
    compute_efficiency: 1.0      # achieved / peak MAC rate on mapped work, 0 < e <= 1
    dram_efficiency: 1.0         # achieved / peak DRAM bandwidth, 0 < e <= 1
    tiling: false                # count tiling re-reads when a layer exceeds the SRAM
    calibration: []              # published measurements the unknowns were fitted on (<= 2)
    validation: []               # other published measurements, predicted, never fitted
    calibration_note: ""         # why there is no measurement / how the fit was done
    fitted: []                   # fields fitted on the calibration list, in its order
                                 # (fitted[i] on calibration[i]; never more than points)
    staging_mb: null             # SRAM reserved for streaming; null = from the array
    inplace: true                # the compiler writes elementwise ops in place etc.
    schedule: layer_by_layer     # what the chip's compiler does by default:
                                 # layer_by_layer | depth_first (fused stacks, see
                                 # engine/depthfirst.py); a scenario may override it

A measurement (calibration / validation entry) is a mapping::

    {model: resnet50, input: [224, 224], precision: int8, batch: 1,
     metric: latency_ms | throughput_ips, value: 1.0, source: "...", note: "..."}

(``compiled_batch`` optional). Speed figures of a chip with no calibration entry are
estimates: analyses say so (``speed_estimated`` in the totals).

Staging (``Chip.staging_bytes``): streaming weights or spilled activations through SRAM
needs double buffers, one tile filling while one is computed. Unless the profile gives
``staging_mb`` (from a source), it is sized from the MAC array, an estimate: per array
one weight tile of array_rows x array_cols and one input and one output activation
tile of (array_rows resp. array_cols) channels x 64 pixels, 2 bytes per element (up to
16-bit data), all double-buffered::

    staging = 2 x 2 B x array_count x (rows x cols + 64 x (rows + cols))

(chip B's 64x64 array: 48 KiB). Placement never uses it; on a split chip the weight
tiles sit in the weight SRAM and the activation tiles in the activation SRAM.

Required: name, sram_mb, dram_gbps, macs, clock_mhz, array_rows, array_cols,
precision_rate. The others have the defaults of :data:`DEFAULTS`. Every error names
file:line and the field, and says how to fix it.
"""
from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from .depthfirst import SCHEDULES
from .errors import SramfitError
from .fileio import write_text_atomic
from .modelfile import _line, read_yaml
from .schema import REQUIRED, Field, canonical, check, is_number, key_problems, show
from .precision import NAMES as PRECISION_NAMES
from .resources import chips_dir

SUPPORTED_VERSION = 1
STAGING_TILE_PIXELS = 64      # pixels per activation tile of one array (estimate)


class ChipError(SramfitError):
    """A chip profile is malformed or cannot run the scenario."""


class PeakTops(NamedTuple):
    """A chip's peak int8 figure in TOPS (10^12 ops/s, 2 ops per MAC)."""
    tops: float
    derived: bool     # True: 2 x macs x clock x int8 rate; False: the profile's
                      # published ``peak_tops_int8``

    def label(self) -> str:
        """``130 TOPS`` or ``130.3 TOPS derived``: how every view prints it."""
        return f"{self.tops:,.4g} TOPS" + (" derived" if self.derived else "")


@dataclass(frozen=True)
class Chip:
    name: str
    sram_mb: float
    dram_gbps: float
    macs: int
    clock_mhz: float
    array_rows: int
    array_cols: int
    precision_rate: tuple = ()          # ((precision, rate), ...) sorted like PRECISIONS
    version: int = 1
    title: str = ""
    source: str = ""
    notes: str = ""
    estimated: tuple = ()
    sram_split: bool = False
    weight_sram_mb: float | None = None
    activation_sram_mb: float | None = None
    array_count: int = 1
    layer_overhead_us: float = 0.0
    call_overhead_us: float = 0.0
    sram_pj_per_byte: float = 1.0
    dram_pj_per_byte: float = 20.0
    process_nm: float | None = None
    sram_mm2_per_mb: float = 1.1
    peak_tops_int8: float | None = None
    # speed model (see engine/perf.py; calibration evidence: engine/calibration.py)
    mapping: str = "channels"
    gpu_tile: tuple = (128, 128)
    execution: str = "sequential"
    compute_efficiency: float = 1.0
    dram_efficiency: float = 1.0
    tiling: bool = False
    calibration: tuple = ()             # (Measurement, ...)
    validation: tuple = ()
    calibration_note: str = ""
    fitted: tuple = ()
    staging_mb: float | None = None
    inplace: bool = True
    schedule: str = "layer_by_layer"
    path: str | None = field(default=None, compare=False, repr=False)

    # -- derived -------------------------------------------------------------------
    @property
    def sram_bytes(self) -> int:
        return int(round(self.sram_mb * 1e6))

    @property
    def dram_bytes_per_s(self) -> float:
        return self.dram_gbps * 1e9

    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * 1e6

    @property
    def peak_tops(self) -> PeakTops:
        """Peak int8 TOPS: the profile's published ``peak_tops_int8`` when it states
        one, else derived as 2 x macs x clock x int8 rate (flagged ``derived``). An
        edited chip (MACs or clock changed) drops the published figure, so it shows
        the derived one. The one figure every view and the CLI print."""
        if self.peak_tops_int8 is not None:
            return PeakTops(float(self.peak_tops_int8), False)
        return PeakTops(2.0 * self.macs * self.clock_hz * self.rate("int8") / 1e12, True)

    @property
    def staging_parts(self) -> tuple[float, float]:
        """(weight-tile, activation-tile) staging bytes (module docstring)."""
        r, c, n = self.array_rows, self.array_cols, self.array_count
        w, a = 2.0 * 2 * n * r * c, 2.0 * 2 * n * STAGING_TILE_PIXELS * (r + c)
        if self.staging_mb is not None:
            total = self.staging_mb * 1e6
            return (total * w / (w + a), total * a / (w + a)) if w + a > 0 else (0.0, 0.0)
        return w, a

    @property
    def staging_bytes(self) -> float:
        """SRAM reserved for streaming (bytes; module docstring)."""
        return float(sum(self.staging_parts))

    def rate(self, precision: str) -> float:
        return dict(self.precision_rate).get(str(precision).lower(), 0.0)

    def check_precision(self, precision: str, what: str = "precision") -> float:
        """The MAC rate for ``precision``; ChipError if the chip cannot run it."""
        r = self.rate(precision)
        if r <= 0:
            ok = [p for p, v in self.precision_rate if v > 0]
            raise ChipError(
                f"chip {self.name!r} does not support {what} {precision!r} "
                f"(precision_rate.{precision} is 0); use one of {', '.join(ok)} or "
                f"another chip")
        return r


# one line per field: Field(types, default or REQUIRED, range, fix); see engine/schema.py
_REQ = REQUIRED
_NUM = (int, float)
_F = Field
SPEC: dict[str, Field] = {
    "version": _F((int,), 1),
    "name": _F((str,), _REQ),
    "title": _F((str,), ""),
    "source": _F((str,), ""),
    "notes": _F((str,), ""),
    "estimated": _F((list,), [], items=str),
    "sram_mb": _F(_NUM, _REQ, 0, 1e7, fix="give the on-chip SRAM in MB (10^6 bytes)"),
    "sram_split": _F((bool,), False),
    "weight_sram_mb": _F(_NUM + (type(None),), None, 0, 1e7),
    "activation_sram_mb": _F(_NUM + (type(None),), None, 0, 1e7),
    "dram_gbps": _F(_NUM, _REQ, 1e-6, 1e7, above=True,
                    fix="give the DRAM bandwidth in GB/s (10^9 bytes/s), e.g. 25.6"),
    "macs": _F((int,), _REQ, 0, 1 << 40, above=True, fix="give the number of int8 MAC units"),
    "clock_mhz": _F(_NUM, _REQ, 1e-3, 1e7, above=True,
                    fix="give the MAC clock in MHz, e.g. 1000"),
    "array_rows": _F((int,), _REQ, 0, 1 << 20, above=True,
                     fix="give the array's reduction lanes, e.g. 64"),
    "array_cols": _F((int,), _REQ, 0, 1 << 20, above=True,
                     fix="give the array's output lanes, e.g. 64"),
    "array_count": _F((int,), 1, 0, 1 << 20, above=True,
                      fix="give the number of identical arrays, e.g. 1"),
    "precision_rate": _F((dict,), _REQ),
    "layer_overhead_us": _F(_NUM, 0.0, 0, 1e9),
    "call_overhead_us": _F(_NUM, 0.0, 0, 1e9),
    "sram_pj_per_byte": _F(_NUM, 1.0, 0, 1e9),
    "dram_pj_per_byte": _F(_NUM, 20.0, 0, 1e9),
    "process_nm": _F(_NUM + (type(None),), None, 0, 1e6, above=True),
    "sram_mm2_per_mb": _F(_NUM, 1.1, 0, 1e9),
    "peak_tops_int8": _F(_NUM + (type(None),), None, 0, 1e12, above=True),
    # speed model (choices and ranges checked in _speed_problems)
    "mapping": _F((str,), "channels"),
    "gpu_tile": _F((list,), [128, 128]),
    "execution": _F((str,), "sequential"),
    "compute_efficiency": _F(_NUM, 1.0),
    "dram_efficiency": _F(_NUM, 1.0),
    "tiling": _F((bool,), False),
    "calibration": _F((list,), []),
    "validation": _F((list,), []),
    "calibration_note": _F((str,), ""),
    "fitted": _F((list,), [], items=str),
    # SRAM held back for streaming (double buffers); null: sized from the MAC array
    "staging_mb": _F(_NUM + (type(None),), None, 0, 1e7,
                     fix="give the staging SRAM in MB, or null to size it from the MAC array"),
    "inplace": _F((bool,), True),
    # what the chip's compiler does by default (engine/depthfirst.py)
    "schedule": _F((str,), "layer_by_layer", choices=SCHEDULES),
}
#: speed-model figures a profile may fit on its calibration measurements
FITTABLE = ("compute_efficiency", "dram_efficiency", "layer_overhead_us",
            "call_overhead_us")
SPEED_FIELDS = ("mapping", "gpu_tile", "execution", "compute_efficiency",
                "dram_efficiency", "tiling", "calibration", "validation", "calibration_note",
                "fitted")
DEFAULTS = {k: f.default for k, f in SPEC.items() if not f.required}
#: fields only a chip profile has: a mapping with none of them is some other file
_KIND_KEYS = ("sram_mb", "dram_gbps", "macs", "clock_mhz", "array_rows", "array_cols",
              "precision_rate")


def chip_problems(data: Any, path: str = "<chip>", lines: dict | None = None,
                  prefix: tuple = ()) -> list[str]:
    """Every problem in a chip mapping, each as 'path:line: field ...: fix'."""
    lines = lines or {}
    problems: list[str] = []

    def bad(key, msg):
        line = _line(lines, prefix + tuple(key)) if lines else None
        where = f"{path}:{line}" if line else path
        problems.append(f"{where}: {msg}")

    if not isinstance(data, dict):
        bad((), "a chip profile must be a mapping of fields (sram_mb, dram_gbps, ...)")
        return problems
    if not key_problems(data, SPEC, "a chip profile", bad,
                        _KIND_KEYS if not prefix else ()):
        return problems
    check(data, SPEC, bad)
    if problems:
        return problems
    g = lambda k: data.get(k, DEFAULTS.get(k))  # noqa: E731
    if g("version") != SUPPORTED_VERSION:
        bad(("version",), f"field 'version': {g('version')!r} is not supported; this "
                          f"sramfit reads chip profiles of version {SUPPORTED_VERSION}")
    if not g("name"):
        bad(("name",), "field 'name': give the chip a name")
    _speed_problems(g, bad)
    est = g("estimated")
    for i, e in enumerate(est):
        if e not in SPEC:
            bad(("estimated", i), f"field 'estimated': {show(e)} is not a chip field")
    rates = g("precision_rate")
    for p, r in rates.items():
        if not isinstance(p, str) or p not in PRECISION_NAMES:
            bad(("precision_rate", p), f"field 'precision_rate.{show(p)}': unknown "
                                       f"precision; use {', '.join(PRECISION_NAMES)}")
        elif not is_number(r) or not math.isfinite(r) or not 0 <= r <= 1e3:
            bad(("precision_rate", p), f"field 'precision_rate.{p}': expected a rate "
                                       f"0..1000 (relative to int8; 0 = unsupported), "
                                       f"got {show(r)}")
    if not any(isinstance(r, _NUM) and not isinstance(r, bool) and r > 0
               for r in rates.values()):
        bad(("precision_rate",), "field 'precision_rate': at least one precision needs a "
                                 "rate > 0")
    if not problems:
        if g("macs") != g("array_rows") * g("array_cols") * g("array_count"):
            bad(("macs",), f"field 'macs': {g('macs')} != array_rows x array_cols x "
                           f"array_count = {g('array_rows') * g('array_cols') * g('array_count')}"
                           f"; make the array shape match the MAC count")
        peak = g("peak_tops_int8")
        if peak is not None:
            model = 2 * g("macs") * g("clock_mhz") * 1e6 / 1e12
            if abs(model - peak) > 0.1 * peak:
                bad(("peak_tops_int8",), f"field 'peak_tops_int8': {peak} TOPS disagrees "
                                         f"with 2 x macs x clock = {model:.3f} TOPS by more "
                                         f"than 10 %; check macs and clock_mhz")
        if g("sram_split"):
            w, a = g("weight_sram_mb"), g("activation_sram_mb")
            if w is None or a is None:
                bad(("sram_split",), "sram_split is true: give weight_sram_mb and "
                                     "activation_sram_mb")
            elif w < 0 or a < 0:
                bad(("weight_sram_mb",), "weight_sram_mb and activation_sram_mb must be >= 0")
            elif abs(w + a - g("sram_mb")) > 1e-9 * max(1.0, g("sram_mb")):
                bad(("sram_mb",), f"field 'sram_mb': {g('sram_mb')} != weight_sram_mb + "
                                  f"activation_sram_mb = {w + a}; make the split sum to "
                                  f"the total")
        elif g("weight_sram_mb") is not None or g("activation_sram_mb") is not None:
            bad(("sram_split",), "weight_sram_mb / activation_sram_mb are given but "
                                 "sram_split is false; set sram_split: true or use null")
    return problems


def _speed_problems(g, bad) -> None:
    """Report problems in the speed-model fields through ``bad``."""
    from .calibration import measurement_problems
    from .perf import EXECUTIONS, MAPPINGS
    if g("mapping") not in MAPPINGS:
        bad(("mapping",), f"field 'mapping': {show(g('mapping'))} is not a mapping; use "
                          f"{', '.join(MAPPINGS)}")
    if g("execution") not in EXECUTIONS:
        bad(("execution",), f"field 'execution': {show(g('execution'))} is not known; use "
                            f"{', '.join(EXECUTIONS)}")
    t = g("gpu_tile")
    if len(t) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                              and 0 < v <= 1 << 20 for v in t):
        bad(("gpu_tile",), f"field 'gpu_tile': expected two whole numbers 1..2^20 "
                           f"[positions, channels], got {show(t)}")
    for k in ("compute_efficiency", "dram_efficiency"):
        v = g(k)
        if not math.isfinite(v) or not 0 < v <= 1:
            bad((k,), f"field {k!r}: must be in (0, 1] (achieved / peak), got {show(v)}")
    for k in ("calibration", "validation"):
        for i, m in enumerate(g(k)):
            for field_name, msg in measurement_problems(m):
                bad((k, i) + ((field_name,) if field_name else ()), f"field '{k}[{i}]"
                    + (f".{field_name}" if field_name else "") + f"': {msg}")
    fitted = g("fitted")
    for i, f in enumerate(fitted):
        if f not in FITTABLE:
            bad(("fitted", i), f"field 'fitted': {show(f)} cannot be fitted; use "
                               f"{', '.join(FITTABLE)}")
        elif f in g("estimated"):
            bad(("fitted", i), f"field 'fitted': {show(f)} is also marked estimated; a "
                               f"fitted figure is not an estimate")
    if len(fitted) > len(g("calibration")):
        bad(("fitted",), f"field 'fitted': {len(fitted)} fitted figures need as many "
                         f"calibration measurements, there are {len(g('calibration'))}")
    if len(g("calibration")) > 2:
        bad(("calibration",), "field 'calibration': at most two measurements may be fitted "
                              "per chip; move the others to 'validation'")


def chip_from_dict(data: Any, path: str = "<chip>", lines: dict | None = None,
                   prefix: tuple = ()) -> Chip:
    """A Chip from the YAML form; ChipError listing every problem (file:line: field)."""
    problems = chip_problems(data, path, lines, prefix)
    if problems:
        raise ChipError("\n".join(problems))
    d = canonical({**DEFAULTS, **data}, SPEC)
    rates = dict(d["precision_rate"])
    d["precision_rate"] = tuple((p, float(rates.get(p, 0.0))) for p in PRECISION_NAMES)
    d["estimated"] = tuple(d["estimated"])
    from .calibration import measurement_from_dict
    d["gpu_tile"] = tuple(int(v) for v in d["gpu_tile"])
    d["calibration"] = tuple(measurement_from_dict(m) for m in d["calibration"])
    d["fitted"] = tuple(d["fitted"])
    d["validation"] = tuple(measurement_from_dict(m) for m in d["validation"])
    d["compute_efficiency"] = float(d["compute_efficiency"])
    d["dram_efficiency"] = float(d["dram_efficiency"])
    for k in ("sram_mb", "dram_gbps", "clock_mhz", "layer_overhead_us", "call_overhead_us",
              "sram_pj_per_byte", "dram_pj_per_byte", "sram_mm2_per_mb"):
        d[k] = float(d[k])
    for k in ("weight_sram_mb", "activation_sram_mb", "peak_tops_int8", "staging_mb"):
        d[k] = None if d[k] is None else float(d[k])
    return Chip(path=None if path.startswith("<") else path, **d)


def chip_to_dict(chip: Chip) -> dict:
    """The YAML form (every field, in the documented order); loads back to an equal Chip."""
    out = {}
    for k in SPEC:
        v = getattr(chip, k)
        if k == "precision_rate":
            v = {p: r for p, r in v}
        elif k in ("estimated", "gpu_tile", "fitted"):
            v = list(v)
        elif k in ("calibration", "validation"):
            from .calibration import measurement_to_dict
            v = [measurement_to_dict(m) for m in v]
        out[k] = v
    return out


def save_chip(chip: Chip, path) -> Chip:
    """Write ``chip`` as a profile named after the file stem, atomically (temp file +
    rename; the old file survives any error). The text is validated by loading it back
    before anything is written. Returns the chip as saved."""
    import yaml
    p = Path(path)
    data = chip_to_dict(chip)
    data["name"] = p.stem
    data["source"] = data.get("source") or "edited in sramfit"
    data["title"] = data.get("title") or p.stem
    text = ("# sramfit chip profile; MB = 10^6 bytes, GB/s = 10^9 bytes/s\n"
            + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100))
    back = chip_from_dict(yaml.safe_load(text), str(p))
    write_text_atomic(p, text)
    return back


def list_chips() -> list[str]:
    """Names of the bundled chip profiles."""
    d = chips_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.yaml"))


def chip_path(name_or_path: str) -> Path:
    s = str(name_or_path)
    if s.endswith((".yaml", ".yml")) or os.sep in s or "/" in s:
        return Path(s)
    return chips_dir() / f"{s}.yaml"


_CACHE: dict[str, tuple[float, Chip]] = {}


def load_chip(name_or_path) -> Chip:
    """A bundled profile by name (``chip_b``, ``t4``) or a chip YAML file."""
    if isinstance(name_or_path, Chip):
        return name_or_path
    p = chip_path(name_or_path)
    try:
        st = os.stat(p)
        is_file = stat.S_ISREG(st.st_mode)
    except (OSError, ValueError):
        is_file = False
    if not is_file:
        if p.parent == chips_dir() and not str(name_or_path).endswith((".yaml", ".yml")):
            raise ChipError(f"unknown chip {show(str(name_or_path))}; use one of "
                            f"{', '.join(list_chips())} or the path of a chip .yaml file")
        raise ChipError(f"{show(str(p))}: chip file not found (or not a regular file)")
    key = os.path.abspath(p)
    mtime = st.st_mtime_ns
    hit = _CACHE.get(key)
    if hit and hit[0] == mtime:
        return hit[1]
    data, lines = read_yaml(str(p))
    chip = chip_from_dict(data, str(p), lines)
    object.__setattr__(chip, "path", str(p))
    if p.parent == chips_dir() and chip.name != p.stem:
        raise ChipError(f"{p}:{_line(lines, ('name',))}: field 'name': {show(chip.name)} must "
                        f"equal the file name {p.stem!r}")
    _CACHE[key] = (mtime, chip)
    return chip


CHIP_FIELDS = tuple(f.name for f in fields(Chip) if f.name != "path")
