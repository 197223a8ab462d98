"""Scenarios side by side: key figures with deltas against a baseline, a field-by-field
diff of two scenarios' settings, overlaid sweeps and the Pareto front of a family.

Pure Python + numpy (no Qt). Used by ``sramfit compare`` (cli/commands.py), the desktop
compare view (gui/compare/) and the headless export (gui/headless.py), so the three
show the same numbers.

Units: MB = 10^6 bytes, GB = 10^9 bytes. Every label says whether a figure is per
image or for the whole (compiled) batch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import sweep
from .errors import InputError
from .labels import PARETO_Y, TRAFFIC_KINDS  # noqa: F401  (re-exported)
from .scenario import FIELDS, Scenario


@dataclass(frozen=True)
class Figure:
    """One key figure: ``key`` in :func:`figures`' dict, the label (with unit), the
    factor from the engine's SI value to the label's unit, and which way is better."""
    key: str
    label: str
    scale: float = 1.0
    better: str | None = None        # "lower", "higher" or None (neither)


#: The key figures, in table order. Labels carry units and say per image / per batch.
FIGURES: tuple[Figure, ...] = (
    Figure("batch", "batch (images per request)", 1.0),
    Figure("weight_bytes_stored", "weights stored (MB)", 1e-6, "lower"),
    Figure("largest_activation_bytes", "largest activation, whole batch (MB)", 1e-6, "lower"),
    Figure("peak_live_bytes", "peak live activations, whole batch (MB)", 1e-6, "lower"),
    Figure("macs_executed", "MACs per batch (G)", 1e-9, "lower"),
    Figure("sram_bytes", "SRAM (MB)", 1e-6),
    Figure("weights_in_sram_bytes", "weights in SRAM (MB)", 1e-6),
    Figure("activations_in_sram_bytes", "activations in SRAM, peak (MB)", 1e-6),
    Figure("spilled_layers", "layers spilling activations to DRAM", 1.0, "lower"),
    Figure("max_batch_on_chip", "largest batch with all activations on chip", 1.0,
           "higher"),
    Figure("dram_bytes_per_image", "DRAM per image (MB)", 1e-6, "lower"),
    Figure("traffic_weights", "  weights read per image (MB)", 1e-6, "lower"),
    Figure("traffic_activations", "  activations spilled + read back per image (MB)",
           1e-6, "lower"),
    Figure("dram_bytes_per_s", "DRAM bandwidth used (GB/s)", 1e-9, "lower"),
    Figure("throughput_ips", "throughput (images/s)", 1.0, "higher"),
    Figure("latency_s", "latency per batch (ms)", 1e3, "lower"),
    Figure("sram_area_mm2", "SRAM area (mm²)", 1.0, "lower"),
    Figure("energy_j_per_image", "energy per image (mJ)", 1e3, "lower"),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}
FITS_LABEL = "everything fits on chip"


def figures(analysis) -> dict:
    """The key figures of one :class:`~engine.analysis.Analysis`, in SI units (bytes,
    seconds, joules, mm², images/s), plus ``fits`` (bool)."""
    t = analysis.totals()
    tr = t["traffic_per_image"]
    out = {
        "batch": float(analysis.client_batch),
        "traffic_weights": float(tr["weights"]),
        "traffic_activations": float(tr["activation_writes"] + tr["activation_reads"]),
        "spilled_layers": float(np.count_nonzero(~np.asarray(analysis.in_sram, bool))),
        "dram_bytes_per_s": float(t["dram_bytes_per_image"]) * float(t["throughput_ips"]),
    }
    for f in FIGURES:
        if f.key not in out:
            out[f.key] = float(t[f.key])
    out["fits"] = bool(t["fits"])
    return out


@dataclass
class Row:
    """One figure across scenarios, in the label's unit. ``deltas[i]`` is
    ``values[i] - values[baseline]``; ``pct[i]`` is that delta in % of the baseline
    value, 0.0 when both are 0 and None when only the baseline is 0. For the
    ``fits`` row the values are bools and deltas/pct are None."""
    key: str
    label: str
    values: list
    deltas: list
    pct: list
    raw: list                              # SI values (bytes, seconds, ...)
    better: str | None = None
    baseline: int = 0


def _r(v: float) -> float:
    """Drop the noise of unit scaling (33.423359999999995 -> 33.42336)."""
    return float(f"{v:.12g}")


def _pct(v: float, base: float) -> float | None:
    if base == 0:
        return 0.0 if v == 0 else None
    return _r((v - base) / abs(base) * 100.0)


def compare(analyses: Sequence[Any], baseline: int = 0) -> list[Row]:
    """Key figures of ``analyses`` (Analysis objects, or dicts from :func:`figures`)
    side by side, with absolute and % deltas against ``analyses[baseline]``."""
    figs = [a if isinstance(a, dict) else figures(a) for a in analyses]
    if not figs:
        raise InputError("compare: give at least one scenario")
    if not -len(figs) <= baseline < len(figs):
        raise InputError(f"compare: baseline {baseline} is not one of the "
                         f"{len(figs)} scenarios")
    baseline %= len(figs)
    rows = []
    for f in FIGURES:
        raw = [float(d[f.key]) for d in figs]
        values = [_r(v * f.scale) for v in raw]
        base = values[baseline]
        rows.append(Row(f.key, f.label, values, [_r(v - base) for v in values],
                        [_pct(v, base) for v in values], raw, f.better, baseline))
    fits = [bool(d["fits"]) for d in figs]
    rows.append(Row("fits", FITS_LABEL, fits, [None] * len(figs), [None] * len(figs),
                    fits, "higher", baseline))
    return rows


# -- settings --------------------------------------------------------------------------
#: a row's unit and the bigger ones it moves to (factor from the smaller unit)
BIGGER_UNITS = {"(MB)": (("(GB)", 1e-3), ("(TB)", 1e-6)), "(ms)": (("(s)", 1e-3),),
                "(G)": (("(T)", 1e-3),), "(mJ)": (("(J)", 1e-3),)}


def row_unit(label: str, values) -> tuple[str, float]:
    """(label, factor) of a compare row, the one unit rule of ``sramfit compare`` and the
    app's compare table: in a bigger unit when its values reach 10,000 in the row's own
    (bug 15: "latency per batch (ms) 1,640,023", "222,466 MB"); values x factor."""
    unit = next((u for u in BIGGER_UNITS if label.rstrip().endswith(u)), None)
    vals = [abs(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if unit is None or not vals:
        return label, 1.0
    top, factor, new = max(vals), 1.0, unit
    for u, f in BIGGER_UNITS[unit]:
        if top * factor >= 1e4:
            new, factor = u, f
    return (label if factor == 1.0 else label.rstrip()[: -len(unit)] + new), factor


def _plain(v):
    if isinstance(v, Scenario):
        return v
    if hasattr(v, "to_dict"):             # an in-memory Model / Chip
        try:
            return v.to_dict()
        except Exception:                 # pragma: no cover - defensive
            return repr(v)
    return v


def diff_settings(scenario_a: Scenario, scenario_b: Scenario, *,
                  only_different: bool = True) -> list[tuple[str, Any, Any]]:
    """``[(field, value_a, value_b)]`` over the scenario fields (YAML order), only the
    fields whose values differ unless ``only_different=False``. ``None`` means the
    default (the model's size, the chip's SRAM, compiled batch = batch)."""
    out = []
    for k in FIELDS:
        a, b = _plain(getattr(scenario_a, k)), _plain(getattr(scenario_b, k))
        if not only_different or a != b:
            out.append((k, a, b))
    return out


# -- overlaid curves --------------------------------------------------------------------
BATCHES = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])


def batch_curves(scenarios: Sequence[Scenario], batches=BATCHES) -> list[dict]:
    """Per scenario, :func:`engine.sweep.over_batch` plus ``throughput_vs_batch1``:
    throughput divided by the throughput at the first batch of ``batches`` (1)."""
    out = []
    for s in scenarios:
        r = dict(sweep.over_batch(s, batches))
        thr = np.asarray(r["throughput_ips"], dtype=float)
        r["batch"] = np.asarray(batches)
        r["throughput_vs_batch1"] = thr / thr[0] if thr[0] > 0 else np.full_like(thr, np.nan)
        out.append(r)
    return out


def traffic_split(analysis) -> dict:
    """DRAM bytes per image in three kinds (weights, activations = spill writes + reads,
    io = input + output; tiling re-reads join the kind they re-read), their total and
    each kind's share of the total (0..1)."""
    tr = analysis.traffic
    b = {"weights": float(tr["weights"] + tr.get("weight_rereads", 0.0)),
         "activations": float(tr["activation_writes"] + tr["activation_reads"]
                              + tr.get("activation_rereads", 0.0)),
         "io": float(tr["input"] + tr["output"])}
    total = sum(b.values())
    return {"bytes": b, "total": total,
            "share": {k: (v / total if total > 0 else 0.0) for k, v in b.items()}}


# -- Pareto ------------------------------------------------------------------------------


def pareto_front(cost, value, higher_is_better: bool = True) -> np.ndarray:
    """Indices of the Pareto-optimal points, sorted by cost: a point is optimal if no
    other point has a cost <= and a value at least as good, with one strictly better.
    Minimises ``cost``; maximises ``value`` (or minimises it if not
    ``higher_is_better``). NaN points are never optimal."""
    c = np.asarray(cost, dtype=float)
    v = np.asarray(value, dtype=float)
    if c.shape != v.shape or c.ndim != 1:
        raise InputError("pareto_front: cost and value must be 1-D and equally long")
    if not higher_is_better:
        v = -v
    ok = np.isfinite(c) & np.isfinite(v)
    keep = []
    for i in np.flatnonzero(ok):
        dominated = ok & (c <= c[i]) & (v >= v[i]) & ((c < c[i]) | (v > v[i]))
        if not dominated.any():
            keep.append(i)
    keep = np.asarray(keep, dtype=int)
    return keep[np.lexsort((-v[keep], c[keep]))] if len(keep) else keep


@dataclass
class Family:
    """Points of a Pareto plot: one per scenario (``variant`` None) plus, optionally,
    each scenario at other SRAM sizes (``variant`` = the SRAM size in MB)."""
    labels: list = field(default_factory=list)
    scenario: list = field(default_factory=list)   # index into the scenarios given
    variant: list = field(default_factory=list)    # None or SRAM MB
    area_mm2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y_key: str = "throughput_ips"
    y_label: str = ""
    front: np.ndarray = field(default_factory=lambda: np.zeros(0, int))


def pareto_family(analyses: Sequence[Any], y: str = "throughput_ips",
                  sram_variants_mb: Sequence[float] = ()) -> Family:
    """SRAM area (mm²) vs ``y`` (a key of :data:`PARETO_Y`) for the scenarios of
    ``analyses`` and, for each, the same scenario with the SRAM sizes of
    ``sram_variants_mb`` (via :func:`engine.sweep.over_sram`); ``front`` = the
    Pareto-optimal points (least area, best y)."""
    if y not in PARETO_Y:
        raise InputError(f"pareto: y {y!r} is not one of {', '.join(PARETO_Y)}")
    label, scale, better = PARETO_Y[y]
    fam = Family(y_key=y, y_label=label)
    area, ys = [], []
    for i, a in enumerate(analyses):
        f = figures(a)
        fam.labels.append(a.scenario.name)
        fam.scenario.append(i)
        fam.variant.append(None)
        area.append(f["sram_area_mm2"])
        ys.append(f[y] * scale)
        sizes = [float(mb) for mb in sram_variants_mb if float(mb) != float(a.sram_mb)]
        if sizes:
            r = sweep.over_sram(a.scenario, np.asarray(sizes) * 1e6)
            dram = np.asarray(r["dram_bytes_per_image"], float)
            thr = np.asarray(r["throughput_ips"], float)
            vals = {"throughput_ips": thr, "dram_bytes_per_image": dram,
                    "dram_bytes_per_s": dram * thr}[y]
            for j, mb in enumerate(sizes):
                fam.labels.append(f"{a.scenario.name} @ {mb:g} MB")
                fam.scenario.append(i)
                fam.variant.append(mb)
                area.append(float(r["sram_area_mm2"][j]))
                ys.append(float(vals[j]) * scale)
    fam.area_mm2 = np.asarray(area, dtype=float)
    fam.y = np.asarray(ys, dtype=float)
    fam.front = pareto_front(fam.area_mm2, fam.y, better == "higher")
    return fam


__all__ = ["BATCHES", "FIGURES", "FIGURE_BY_KEY", "FITS_LABEL", "Family", "Figure",
           "PARETO_Y", "Row", "TRAFFIC_KINDS", "batch_curves", "compare", "diff_settings",
           "figures", "pareto_family", "pareto_front", "traffic_split"]
