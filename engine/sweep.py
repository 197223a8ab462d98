"""Sweeps: one scenario evaluated over many SRAM sizes, batch sizes or input sizes.

SRAM and batch sweeps run as numpy arrays over (batch x SRAM size x step): the model's
shapes, placement thresholds and MAC geometry are computed once, then every grid point
is a few broadcast operations (see :func:`engine.analysis.evaluate`). The input-size
sweep needs one shape inference per size (a loop over sizes, each vectorised over
layers). Every function returns a dict of numpy arrays of equal length (``grid``:
equal shape), with the same figures as :meth:`engine.analysis.Analysis.totals`.

``over_batch`` varies the batch. If the scenario has no ``compiled_batch`` the
compiled batch follows the batch; if it has one, the compiled batch stays fixed and
the client batch varies (dynamic batching: ``ceil(n/b)`` calls).

Placement: sweeps use the threshold rule (fast, monotone, feasible) and say so per
point: ``placement_exact`` (True only where its cost meets the lower bound) and
``placement_gap_bytes_per_image`` (how far above the best lower bound it may be).
``exact=True`` solves every point with the integer program instead (one solve per
point: for a few points, not a slider).
"""
from __future__ import annotations

import numpy as np

from . import depthfirst, perf
from .analysis import evaluate, prepare
from .errors import InputError
from .footprint import MAX_BATCH, Footprint
from .scenario import Scenario, check_scenario, resolve_chip, resolve_model

FIGURES = ("dram_bytes_per_image", "throughput_ips", "latency_s", "energy_j_per_image",
           "weights_in_sram_bytes", "activations_in_sram_bytes", "fits", "calls",
           "sram_bytes_accessed_per_image", "staging_bytes", "sram_used_peak_bytes",
           "placement_exact", "placement_gap_bytes_per_image")
#: figures of the schedule (engine/depthfirst.py): the DRAM floor and whether a fused
#: depth-first schedule is applied at the point
SCHEDULE_FIGURES = ("dram_lower_bound_bytes_per_image", "depth_first")


def _setup(s: Scenario, batch: int | None = None, size=None):
    check_scenario(s)
    model = resolve_model(s)
    chip = resolve_chip(s)
    w, h = model.default_size if size is None else size
    w = w if size is not None or s.width is None else s.width
    h = h if size is not None or s.height is None else s.height
    fp = Footprint(model, w, h, s.channels, batch or s.effective_compiled_batch,
                   s.weights, s.activations, s.fusion, s.inplace and chip.inplace)
    rate = chip.check_precision(perf.compute_precision(s.weights, s.activations))
    prep = prepare(fp, s.winograd, s.winograd_plain_weights)
    return model, chip, fp, prep, rate


def _scheduled(s: Scenario, chip, fp, prep, rate, sram, b, n, r: dict,
               schedule: str | None = None) -> dict:
    """The layer-by-layer figures ``r`` for the scenario's schedule (engine/depthfirst.py:
    fused stacks where they need less DRAM; adds the floor and the SRAM in use)."""
    schedule = schedule or s.effective_schedule(chip)
    return depthfirst.evaluate(prep, fp, chip, sram, b, n, s.overlap, rate, r, schedule,
                               s.tile_rows, s.stack_cuts, per_step=False)


def _pack(r: dict, chip, sram_bytes) -> dict:
    out = {k: np.asarray(r[k]) for k in FIGURES + SCHEDULE_FIGURES}
    out["fits"] = out["fits"].astype(bool)
    out["depth_first"] = out["depth_first"].astype(bool)
    out["placement_exact"] = out["placement_exact"].astype(bool)
    for k, v in r["traffic"].items():
        out[f"traffic_{k}"] = np.asarray(v)
    out["sram_area_mm2"] = perf.sram_area_mm2(np.asarray(sram_bytes) / 1e6, chip)
    return out


def _batches(values) -> np.ndarray:
    b = np.asarray(values)
    if b.ndim != 1 or len(b) == 0 or not np.issubdtype(b.dtype, np.integer) \
            or b.min() < 1 or b.max() > MAX_BATCH:
        raise InputError(f"batches: expected whole numbers 1..{MAX_BATCH}, got {values!r}")
    return b.astype(np.int64)


def _sram(values) -> np.ndarray:
    c = np.asarray(values, dtype=np.float64)
    if c.ndim != 1 or len(c) == 0 or not np.all(np.isfinite(c)) or c.min() < 0:
        raise InputError("SRAM sizes: expected bytes >= 0")
    return c


def _layer_by_layer(s: Scenario, C, B, exact: bool):
    """The layer-by-layer evaluation on the (batch x SRAM size) grid, and what the
    schedule needs to go on from it: (chip, fp, prep, rate, lbl, b, n)."""
    _, chip, fp, prep, rate = _setup(s, batch=1)
    if s.compiled_batch is None:
        b, n = B[:, None], B[:, None]
    else:
        b, n = np.full((len(B), 1), s.compiled_batch), B[:, None]
    r = evaluate(prep, chip, C[None, :], b, n, s.policy, s.overlap, rate, per_step=False,
                 exact=exact)
    return chip, fp, prep, rate, r, b, n


def _grid_out(r: dict, chip, C, B) -> dict:
    out = _pack(r, chip, np.broadcast_to(C[None, :], r["latency_s"].shape))
    out["sram_bytes"] = np.broadcast_to(C[None, :], out["latency_s"].shape).copy()
    out["batch"] = np.broadcast_to(B[:, None], out["latency_s"].shape).copy()
    return out


def grid(scenario: Scenario, sram_bytes, batches, exact: bool = False) -> dict:
    """Figures on the (batch x SRAM size) grid: arrays of shape (len(batches), len(sram))."""
    s = scenario
    C = _sram(sram_bytes)
    B = _batches(batches)
    chip, fp, prep, rate, r, b, n = _layer_by_layer(s, C, B, exact)
    r = _scheduled(s, chip, fp, prep, rate, C[None, :], b, n, r)
    return _grid_out(r, chip, C, B)


def over_sram(scenario: Scenario, sram_bytes, exact: bool = False) -> dict:
    """Figures vs SRAM size (bytes) at the scenario's batch."""
    C = _sram(sram_bytes)
    s = scenario
    out = grid(s, C, [s.batch], exact)
    return {k: v[0] for k, v in out.items()}


def over_batch(scenario: Scenario, batches, exact: bool = False) -> dict:
    """Figures vs batch at the scenario's SRAM size."""
    s = scenario
    chip = resolve_chip(s)
    sram = (chip.sram_mb if s.sram_mb is None else s.sram_mb) * 1e6
    out = grid(s, [sram], batches, exact)
    return {k: v[:, 0] for k, v in out.items()}


def over_input(scenario: Scenario, sizes, exact: bool = False) -> dict:
    """Figures vs input size; ``sizes`` is a list of (width, height)."""
    s = scenario
    sizes = [tuple(int(v) for v in wh) for wh in sizes]
    if not sizes:
        raise InputError("sizes: give at least one width x height")
    chip = resolve_chip(s)
    sram = (chip.sram_mb if s.sram_mb is None else s.sram_mb) * 1e6
    rows = []
    for wh in sizes:
        _, chip, fp, prep, rate = _setup(s, size=wh)
        r = evaluate(prep, chip, sram, s.effective_compiled_batch, s.batch, s.policy,
                     s.overlap, rate, per_step=False, exact=exact)
        r = _scheduled(s, chip, fp, prep, rate, sram, s.effective_compiled_batch, s.batch, r)
        t = fp.totals()
        row = _pack(r, chip, sram)
        row.update(width=wh[0], height=wh[1], pixels=wh[0] * wh[1],
                   macs=t["macs"] / fp.batch,
                   largest_activation_bytes=t["largest_activation_bytes"] / fp.batch,
                   sum_activation_bytes=t["sum_activation_bytes"] / fp.batch)
        rows.append(row)
    return {k: np.array([np.asarray(r[k]).item() for r in rows]) for k in rows[0]}


def log_sram_grid(max_bytes: float = 1e9, points: int = 200, min_bytes: float = 1e4):
    """0 followed by a log grid from ``min_bytes`` to ``max_bytes`` (points in all)."""
    if points < 2:
        raise InputError("points: need at least 2")
    return np.concatenate(([0.0], np.geomspace(min_bytes, max_bytes, points - 1)))


def dram_curves(scenario: Scenario, sram_bytes) -> dict:
    """DRAM bytes per image vs SRAM size (bytes) for both schedules and the floor (the
    least any schedule in the modelled space could reach; engine/depthfirst.py), at the
    scenario's batch: ``{"sram_bytes", "layer_by_layer", "depth_first", "floor"}``."""
    return sram_curves(scenario, sram_bytes)[1]


def sram_curves(scenario: Scenario, sram_bytes) -> tuple[dict, dict]:
    """``(over_sram(scenario, sram_bytes), dram_curves(scenario, sram_bytes))`` from ONE
    layer-by-layer evaluation of the grid: the depth-first curve goes on from it (and is
    the sweep's own result when the scenario's schedule is depth-first, not a second
    schedule search); the floor is the schedule's figure of the same points."""
    s = scenario
    C = _sram(sram_bytes)
    B = _batches([s.batch])
    chip, fp, prep, rate, r, b, n = _layer_by_layer(s, C, B, False)
    lbl = np.asarray(r["dram_bytes_per_image"], dtype=float)[0].copy()
    own = _scheduled(s, chip, fp, prep, rate, C[None, :], b, n, r)
    df = own if s.effective_schedule(chip) == "depth_first" else _scheduled(
        s, chip, fp, prep, rate, C[None, :], b, n, r, schedule="depth_first")
    sweep = {k: v[0] for k, v in _grid_out(own, chip, C, B).items()}
    return sweep, {"sram_bytes": C, "layer_by_layer": lbl,
                   "depth_first": np.asarray(df["dram_bytes_per_image"], dtype=float)[0],
                   "floor": np.asarray(df["dram_lower_bound_bytes_per_image"],
                                       dtype=float)[0]}
