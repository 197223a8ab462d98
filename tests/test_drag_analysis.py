"""Issue 15 (60 Hz): the SRAM drag's fast path gives the figures of a fresh analysis.

``Analysis(..., like=previous)`` reuses the previous analysis' model, chip and footprint
when only the SRAM size differs, and ``placement.lower_bound`` works out its
capacity-independent rows once per PlacementModel. Both are pure speed: every figure
must equal, bit for bit, that of an analysis built from nothing (the reference here
is a fresh ``Analysis`` and a fresh ``PlacementModel``, not the cached path).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from sramfit.engine import placement
from sramfit.engine.analysis import Analysis, prepare
from sramfit.engine.errors import SramfitError
from sramfit.engine.scenario import Scenario

SCENARIOS = [
    Scenario(name="yolo", model="yolov3", width=1920, height=1088, chip="chip_b"),
    Scenario(name="resnet", model="resnet50", width=224, height=224, chip="chip_a",
             policy="weights_first"),
    Scenario(name="mobilenet b4", model="mobilenet_v2", width=224, height=224,
             chip="chip_c", batch=4),
    Scenario(name="resnet depth-first", model="resnet50", width=448, height=448,
             chip="chip_b", schedule="depth_first"),
]
SIZES_MB = (0.3, 2.0, 7.3, 20.0, 64.0, 150.0, 800.0)


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.shape == np.shape(b) and np.array_equal(
            a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _figures(a: Analysis) -> dict:
    return {"totals": a.totals(), "rows": a.layer_rows(), "in_sram": a.in_sram,
            "dram": a.dram_bytes, "time": a.time_s, "bound": a.bound,
            "budget": a.activation_budget_bytes, "roofline": a.roofline(),
            "placement_gap": a._r["placement_gap_bytes_per_image"]}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_drag_analysis_equals_a_fresh_one(scenario):
    prev = Analysis(scenario, exact=False)
    for mb in SIZES_MB:
        s = dataclasses.replace(scenario, sram_mb=mb)
        fast = Analysis(s, exact=False, like=prev)
        assert fast.footprint is prev.footprint          # reused, not rebuilt
        fresh = Analysis(s, exact=False)
        assert fresh.footprint is not fast.footprint
        assert _same(_figures(fast), _figures(fresh)), mb
        prev = fast


def test_like_is_ignored_when_more_than_the_sram_differs():
    a = Analysis(SCENARIOS[1], exact=False)
    other = dataclasses.replace(SCENARIOS[1], width=160, height=160, sram_mb=4.0)
    b = Analysis(other, exact=False, like=a)
    assert b.footprint is not a.footprint
    assert b.footprint.width == 160
    assert _same(_figures(b), _figures(Analysis(other, exact=False)))


def test_like_still_checks_the_sram_size():
    a = Analysis(SCENARIOS[1], exact=False)
    with pytest.raises(SramfitError, match="sram_mb"):
        Analysis(dataclasses.replace(SCENARIOS[1], sram_mb=-1.0), exact=False, like=a)


def _reference_lower_bound(pm, capacity, batch, split=None):
    """The bound as placement.lower_bound computed it before its rows were cached
    (commit c1995b0), row by row from the PlacementModel: the reference."""
    def fill(cap, sizes, values):
        cs = np.concatenate(([0.0], np.cumsum(sizes)))
        cv = np.concatenate(([0.0], np.cumsum(values)))
        if len(sizes) == 0:
            return np.zeros(np.shape(cap))
        return np.interp(np.asarray(cap, dtype=np.float64), cs, cv)

    C, b = np.broadcast_arrays(np.asarray(capacity, dtype=np.float64),
                               np.asarray(batch, dtype=np.float64))
    useful = pm.useful
    total_benefit = pm.benefit[useful].sum()
    base = placement.dram_cost(pm, np.zeros(len(pm.bsize), bool),
                               np.zeros(len(pm.weight_bytes), bool), b)
    wts = np.sort(pm.weight_bytes[pm.weight_bytes > 0])
    best = np.full(C.shape, -np.inf)
    rows = placement._rows(pm) if useful.any() else [(0, np.zeros(0, dtype=np.int64))]
    for step, live in rows:
        free = total_benefit - pm.benefit[live].sum()
        sizes = pm.bsize.copy()
        if pm.pair_a is not None:
            at = pm.pair_step == step
            np.subtract.at(sizes, pm.pair_b[at], pm.pair_bytes[at])
        sizes = np.maximum(sizes[live], 0.0)
        with np.errstate(divide="ignore"):
            dens = np.where(sizes > 0, pm.benefit[live] / np.where(sizes > 0, sizes, 1),
                            np.inf)
        order = np.argsort(-dens, kind="stable")
        a_size, a_val, a_dens = sizes[order], pm.benefit[live][order], dens[order]
        if split is not None:
            saved = (fill(np.broadcast_to(split, C.shape), wts, wts) / b
                     + fill(C / b, a_size, a_val))
        else:
            hi = a_dens >= 1.0
            c1 = np.minimum(C, b * a_size[hi].sum())
            v = fill(c1 / b, a_size[hi], a_val[hi])
            c2 = np.minimum(C - c1, wts.sum())
            v = v + c2 / b
            c3 = np.maximum(C - c1 - c2, 0)
            saved = v + fill(c3 / b, a_size[~hi], a_val[~hi])
        best = np.maximum(best, base - free - saved)
    return np.maximum(best, 0.0)


@pytest.mark.parametrize("scenario", SCENARIOS[:3], ids=lambda s: s.name)
def test_lower_bound_cached_rows_equal_a_fresh_model(scenario):
    """The bound from a PlacementModel used many times (rows cached) equals the bound
    from a new PlacementModel of the same footprint, unified and split SRAM."""
    a = Analysis(scenario, exact=False)
    pm = a.prepared.pm
    C = np.array([1e5, 3e6, 2e7, 6.4e7, 5e8])
    b = np.array([1.0, 2.0, 4.0, 1.0, 8.0])
    first = placement.lower_bound(pm, C, b)
    again = placement.lower_bound(pm, C, b)
    split = placement.lower_bound(pm, C, b, C * 0.3)
    fresh_pm = placement.build(a.footprint, a.prepared.stored_weight_bytes)
    assert not hasattr(fresh_pm, "_bound_rows_cache")
    assert np.array_equal(first, placement.lower_bound(fresh_pm, C, b))
    fresh_pm = placement.build(a.footprint, a.prepared.stored_weight_bytes)
    assert np.array_equal(split, placement.lower_bound(fresh_pm, C, b, C * 0.3))
    assert np.array_equal(first, again)
    assert np.array_equal(first, _reference_lower_bound(pm, C, b))
    assert np.array_equal(split, _reference_lower_bound(pm, C, b, C * 0.3))
    assert prepare(a.footprint, False, False) is a.prepared


def test_lower_bound_by_brute_force_on_a_tiny_case():
    """An independent check of the bound: on a 3-step chain the bound never exceeds
    the least DRAM bytes over every keep/pin choice that fits (brute force)."""
    from itertools import product
    a = Analysis(Scenario(name="t", model="resnet50", width=32, height=32,
                          chip="chip_a"), exact=False)
    pm = a.prepared.pm
    nb, nw = len(pm.bsize), len(pm.weight_bytes)
    if nb + nw > 14:          # keep the brute force small: restrict to useful buffers
        useful = np.flatnonzero(pm.useful)[:6]
        wsteps = np.flatnonzero(pm.weight_bytes > 0)[:6]
    else:
        useful, wsteps = np.flatnonzero(pm.useful), np.flatnonzero(pm.weight_bytes > 0)
    C = 2e5
    lb = float(placement.lower_bound(pm, C, 1.0))
    best = math.inf
    for keep in product((0, 1), repeat=len(useful)):
        kept = np.zeros(nb, bool)
        kept[useful[np.array(keep, bool)]] = True
        act = float(placement.activation_peak(pm, kept[None, :])[0]) if kept.any() else 0.0
        for pin in product((0, 1), repeat=len(wsteps)):
            pinned = np.zeros(nw, bool)
            pinned[wsteps[np.array(pin, bool)]] = True
            if act + pm.weight_bytes[pinned].sum() > C:
                continue
            best = min(best, float(placement.dram_cost(pm, kept, pinned, 1.0)))
    assert lb <= best * (1 + 1e-12)


def test_layer_rows_are_new_each_call_and_equal_a_fresh_footprints():
    """Footprint.layer_rows makes its values once per footprint: each call gives new
    dicts and lists (a caller's change never reaches the next), equal to the rows of a
    footprint built afresh."""
    from sramfit.engine.footprint import Footprint
    from sramfit.engine.zoo import resnet18
    model = resnet18()
    fp = Footprint(model, 224, 224)
    a = fp.layer_rows()
    a[0]["name"] = "changed"
    a[0]["output_shape"].append(99)
    b = fp.layer_rows()
    fresh = Footprint(model, 224, 224).layer_rows()
    assert b == fresh and b[0]["name"] != "changed"
    assert b[0]["output_shape"] == fresh[0]["output_shape"]
