"""Calibration evidence: published measurements of a chip vs what sramfit predicts.

A chip profile lists published measurements (source, model, input, precision, batch,
metric, value) in two lists:

``calibration``  at most two per chip: the workloads its unknown figures (compute and
                 DRAM efficiency, overheads) were fitted on;
``validation``   every other published measurement of that chip, predicted from the
                 fitted profile and never used to fit it.

:func:`report` runs each measurement through :func:`sramfit.engine.analyze` with the
chip as shipped (its own SRAM, the ``optimal`` placement, overlap on, Winograd off)
and returns the ratio predicted / published. ``worst_ratio`` is the largest factor
either way (``max(r, 1/r)``). A chip with no calibration entry has speed figures that
are estimates; :func:`speed_estimate` says so and why (analyses put it in their
totals as ``speed_estimated`` / ``speed_estimate_reason``).

:func:`fit` re-derives a profile's ``fitted`` figures from its calibration list
(``fitted[i]`` on ``calibration[i]``, by bisection, alternating until the figures
settle), so a change of the model can be followed by a refit
(``tests/reference/fit_calibration.py`` writes the values back into the profiles).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .schema import show

METRICS = {"latency_ms": "ms per batch (client batch latency)",
           "throughput_ips": "images per second"}
_KEYS = ("model", "input", "precision", "batch", "metric", "value", "source", "note",
         "compiled_batch")
_REQUIRED = ("model", "input", "precision", "batch", "metric", "value", "source")


@dataclass(frozen=True)
class Measurement:
    model: str
    width: int
    height: int
    precision: str
    batch: int
    metric: str
    value: float
    source: str
    note: str = ""
    compiled_batch: int | None = None


def measurement_problems(m) -> list[tuple[str, str]]:
    """(field, message) for every problem of one measurement mapping."""
    from . import precision as prec
    from . import zoo
    if not isinstance(m, dict):
        return [("", "expected a mapping {model, input, precision, batch, metric, value, "
                     "source}")]
    out = []
    for k in m:
        if k not in _KEYS:
            out.append((k, f"unknown key; allowed: {', '.join(_KEYS)}"))
    for k in _REQUIRED:
        if k not in m:
            out.append(("", f"missing {k!r}"))
    if out:
        return out
    if not isinstance(m["model"], str) or m["model"] not in zoo.names():
        out.append(("model", f"{show(m['model'])} is not a built-in model; use one of "
                             f"{', '.join(zoo.names())}"))
    inp = m["input"]
    if not (isinstance(inp, list) and len(inp) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 16384
                    for v in inp)):
        out.append(("input", f"expected [width, height] in pixels (1..16384), got "
                             f"{show(inp)}"))
    if not isinstance(m["precision"], str) or m["precision"] not in prec.NAMES:
        out.append(("precision", f"{show(m['precision'])}; use one of "
                                 f"{', '.join(prec.NAMES)}"))
    for k in ("batch", "compiled_batch"):
        v = m.get(k, 1)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)
                              or not 1 <= v <= 4096):
            out.append((k, f"expected a whole number 1..4096, got {show(v)}"))
    if not isinstance(m["metric"], str) or m["metric"] not in METRICS:
        out.append(("metric", f"{show(m['metric'])}; use one of {', '.join(METRICS)}"))
    v = m["value"]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
            or v <= 0:
        out.append(("value", f"expected a number > 0, got {show(v)}"))
    if not isinstance(m["source"], str) or not m["source"].strip():
        out.append(("source", "say where the figure was published"))
    return out


def measurement_from_dict(m: dict) -> Measurement:
    w, h = m["input"]
    return Measurement(m["model"], int(w), int(h), str(m["precision"]), int(m["batch"]),
                       m["metric"], float(m["value"]), m["source"], m.get("note", ""),
                       m.get("compiled_batch"))


def measurement_to_dict(m: Measurement) -> dict:
    d = {"model": m.model, "input": [m.width, m.height], "precision": m.precision,
         "batch": m.batch, "metric": m.metric, "value": m.value, "source": m.source}
    if m.note:
        d["note"] = m.note
    if m.compiled_batch is not None:
        d["compiled_batch"] = m.compiled_batch
    return d


def scenario_of(chip, m: Measurement):
    from .scenario import Scenario
    return Scenario(model=m.model, width=m.width, height=m.height,
                    chip=chip.name if chip.path else chip_dict(chip),
                    batch=m.batch, compiled_batch=m.compiled_batch,
                    weights=m.precision, activations=m.precision)


def chip_dict(chip) -> dict:
    from .chip import chip_to_dict
    return chip_to_dict(chip)


def predict(chip, m: Measurement) -> float:
    """sramfit's figure for a measurement, in the measurement's metric."""
    return _figure(m, _analysis(chip, m).totals())


def _analysis(chip, m: Measurement):
    from .analysis import Analysis
    from .zoo import get
    return Analysis(scenario_of(chip, m), model=get(m.model), chip=chip)


def _figure(m: Measurement, t: dict) -> float:
    return float(t["latency_s"]) * 1e3 if m.metric == "latency_ms" \
        else float(t["throughput_ips"])


def _retimed(a, chip, m: Measurement) -> float:
    """:func:`predict` for ``chip``, a copy of ``a``'s chip that differs only in fitted
    figures (efficiencies, overheads): those change no placement or schedule, so
    ``a`` (analysed once) is re-timed (:func:`engine.analysis.timing`)."""
    from .analysis import timing
    rate = chip.check_precision(a.compute_precision, "precision")
    tile_s = 0.0 if a.df is None else (a.tiles - 1) * chip.layer_overhead_us * 1e-6
    sbytes = a._r["step_dram_bytes"] * a.batch
    return _figure(m, timing(a.prepared, chip, sbytes, a.batch, a.client_batch, rate,
                             a.scenario.overlap, tile_s))


def report(chip) -> list[dict]:
    """One row per calibration and validation measurement: published, predicted,
    ratio (predicted / published)."""
    rows = []
    for kind, ms in (("calibration", chip.calibration), ("validation", chip.validation)):
        for m in ms:
            p = predict(chip, m)
            rows.append({"chip": chip.name, "kind": kind, "model": m.model,
                         "input": f"{m.width}x{m.height}", "precision": m.precision,
                         "batch": m.batch, "metric": m.metric, "published": m.value,
                         "predicted": p, "ratio": p / m.value, "source": m.source,
                         "note": m.note})
    return rows


def worst_ratio(rows) -> float | None:
    """The largest factor either way over report rows (None if there are none)."""
    return max((max(r["ratio"], 1 / r["ratio"]) for r in rows), default=None)


def speed_estimate(chip) -> tuple[bool, str]:
    """(speed figures are estimates, why)."""
    if chip.calibration:
        return False, ""
    return True, (chip.calibration_note
                  or "no published measurement of this chip is recorded in its profile; "
                     "speed figures rest on estimated efficiencies and overheads")


_BOUNDS = {"compute_efficiency": (0.01, 1.0), "dram_efficiency": (0.01, 1.0),
           "layer_overhead_us": (0.0, 1e4), "call_overhead_us": (0.0, 1e5)}


def fit(chip, rounds: int = 6, steps: int = 40) -> dict:
    """{field: value} for the chip's ``fitted`` figures, each fitted so that the tool
    reproduces its calibration measurement (see the module docstring). ValueError if a
    measurement cannot be reached within the field's bounds."""
    from dataclasses import replace
    cur = chip
    fields = list(chip.fitted)
    placed = [_analysis(chip, m) for m in chip.calibration[:len(fields)]]
    for _ in range(rounds if len(fields) > 1 else 1):
        for f, m, a in zip(fields, chip.calibration, placed):
            lo, hi = _BOUNDS[f]

            def err(x):
                return _retimed(a, replace(cur, **{f: x}), m) - m.value
            e_lo, e_hi = err(lo), err(hi)
            if e_lo * e_hi > 0:
                raise ValueError(f"{chip.name}: {f} in [{lo}, {hi}] cannot reproduce "
                                 f"{m.model} {m.metric} = {m.value}")
            for _ in range(steps):
                mid = (lo + hi) / 2
                e = err(mid)
                if e * e_lo > 0:
                    lo, e_lo = mid, e
                else:
                    hi = mid
            cur = replace(cur, **{f: (lo + hi) / 2})
    return {f: getattr(cur, f) for f in fields}
