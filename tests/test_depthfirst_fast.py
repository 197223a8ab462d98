"""The fast depth-first search (engine/depthfirst.py) chooses exactly what the plain
search chooses: the DP's table over many capacities against one capacity at a time,
the bounded candidate search at one capacity against building and bounding every
candidate, and a batch sweep against one batch at a time.
"""
from __future__ import annotations

import numpy as np
import pytest

from sramfit.engine import depthfirst, sweep
from sramfit.engine.scenario import Scenario

CASES = [("yolov3_tiny", 416, 416, "chip_b"), ("resnet18", 224, 224, "chip_a"),
         ("mobilenet_v2", 320, 320, "t4"), ("yolov3", 640, 384, "chip_c")]


def _stacks(model, w, h, chip):
    s = Scenario(model=model, width=w, height=h, chip=chip, schedule="depth_first")
    _, c, fp, prep, _ = sweep._setup(s, batch=1)
    wb = np.asarray(prep.stored_weight_bytes, dtype=np.float64)
    return depthfirst.stacks_of(fp, wb), wb


@pytest.mark.parametrize("case", CASES[:2])
def test_dp_table_equals_one_capacity_at_a_time(case):
    st, wb = _stacks(*case)
    for b in (1.0, 8.0):
        opts = depthfirst.options(st, b)
        single = st.single_io + wb / b
        lad = depthfirst.ladder(st, b)
        caps = np.concatenate([lad[::3], lad[1::7] * 1.0000001, [0.0, 3e9]])[::-1]
        many = depthfirst.dp(st, opts, single, caps)      # unsorted on purpose
        assert many == [depthfirst.dp(st, opts, single, [c])[0] for c in caps]


@pytest.mark.parametrize("case", CASES)
def test_bounded_choice_equals_exhaustive(case):
    """Same cost, same candidate, same pinned count at every capacity and batch."""
    st, wb = _stacks(*case)
    for b in (1.0, 3.0, 32.0):
        for mb in (0.0, 0.05, 0.5, 2.0, 8.0, 30.0, 64.0, 500.0):
            c = mb * 1e6
            cands = depthfirst.candidates(st, wb, b, [c])
            fast = depthfirst.best_of(cands, [c], b)
            full = depthfirst.best_of(cands, [c], b, exhaustive=True)
            assert [x.tolist() for x in fast] == [x.tolist() for x in full], (case, b, mb)


def test_choice_equals_brute_force_on_a_small_case():
    """The least DRAM over every candidate, each placed on its own; ties go to the first
    candidate in the list among those with the least bound."""
    st, wb = _stacks("yolov3_tiny", 416, 416, "chip_b")
    for b in (1.0, 4.0):
        for mb in (0.2, 1.0, 4.0, 16.0):
            c = mb * 1e6
            cands = depthfirst.candidates(st, wb, b, [c])
            costs = []
            for i, cp in enumerate(cands.collapsed):
                cost, k = depthfirst.collapsed_cost(cp, [c], b)
                costs.append(float(cost[0]))
            cost, ci, k = depthfirst.best_of(cands, [c], b)
            assert cost[0] == min(costs)
            assert costs[int(ci[0])] == min(costs)


def test_batch_sweep_equals_one_batch_at_a_time():
    s = Scenario(model="yolov3_tiny", width=640, height=384, chip="chip_b",
                 schedule="depth_first", sram_mb=2.0)
    B = [1, 2, 4, 16, 64]
    all_ = sweep.over_batch(s, B)
    for q, b in enumerate(B):
        depthfirst._CACHE.clear()
        one = sweep.over_batch(s, [b])
        for key, v in one.items():
            assert np.array_equal(np.asarray(all_[key])[q], np.asarray(v)[0],
                                  equal_nan=True), (b, key)


def test_split_chip_staging_is_the_analysis_reserve():
    """A split chip (depth-first falls back to layer by layer there) reserves staging
    from each SRAM: weight tiles min(Cw, 16384 B) + activation tiles min(Ca, 32768 B)
    (chip B's array), not min(C, 49152 B) of the whole."""
    from sramfit import engine
    d = {**engine.chip_to_dict(engine.load_chip("chip_b")), "sram_split": True,
         "sram_mb": 1.0, "weight_sram_mb": 0.99, "activation_sram_mb": 0.01}
    # 1 MB: Cw = 0.99 MB >= 16384 B, Ca = 10000 B < 32768 B -> 16384 + 10000 = 26384 B
    s = Scenario(model="yolov3_tiny", width=416, height=416, chip=d, sram_mb=1.0,
                 schedule="depth_first")
    assert engine.analyze(s).totals()["staging_bytes"] == 26384
    r = sweep.over_sram(s, [1e6, 64e6])
    assert r["staging_bytes"].tolist() == pytest.approx([26384.0, 49152.0], rel=1e-12)
