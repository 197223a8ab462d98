"""Where a batch gain comes from: weight reuse, array utilisation, fixed overheads.

The throughput gain of compiled batch ``b`` over batch 1 (same scenario otherwise),
``G = thr(b) / thr(1)``, is split into a product of factors by switching causes off
one after another (counterfactual runs of the same engine):

``overheads``    ``G / G1``, where ``G1`` is the gain with ``layer_overhead_us`` and
                 ``call_overhead_us`` set to 0: what amortising fixed per-layer and
                 per-call costs over ``b`` images contributes;
``weight_reuse`` ``G1 / G2``, where ``G2`` is the gain with no overheads and streamed
                 weights costing no DRAM time: what reading each weight once per
                 batch instead of once per image contributes;
``utilisation``  the ratio of MAC-array compute time per image at batch 1 and at
                 batch ``b`` (``sum(compute_s(1)) / (sum(compute_s(b)) / b)``): layers
                 too small for the array at batch 1 fill it when batched;
``other``        ``G2 / utilisation``: what is left - activation spills that grow
                 with the batch, and the overlap of compute with memory (< 1 when
                 batching pushes activations out of SRAM).

``overheads x weight_reuse x utilisation x other = G`` exactly. The split depends on
the order (overheads first, then weights); it is the order in which an engineer
would remove the costs. Pipelined chips have no batch gain (their throughput does
not depend on batch): every factor is 1 there.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .analysis import evaluate
from .scenario import Scenario, check_scenario, resolve_chip
from .sweep import _setup

FACTORS = ("overheads", "weight_reuse", "utilisation", "other")


def _run(s: Scenario, chip, batch: int, free_weights: bool) -> dict:
    """The scenario at compiled batch ``batch``, evaluated on ``chip`` (the scenario's
    chip, or the same with its overheads set to 0: overheads change no footprint)."""
    _, _, fp, prep, rate = _setup(s, batch)
    sram = (chip.sram_mb if s.sram_mb is None else s.sram_mb) * 1e6
    return evaluate(prep, chip, sram, batch, batch, s.policy, s.overlap, rate,
                    free_weights=free_weights, exact=True)   # as analyze() places it


def batch_gain_breakdown(scenario: Scenario, batch: int) -> dict:
    """The gain of compiled batch ``batch`` over batch 1 and its factors (see the module
    docstring): {"gain", "overheads", "weight_reuse", "utilisation", "other",
    "throughput_1", "throughput_b"}."""
    check_scenario(scenario)
    chip = resolve_chip(scenario)
    bare = replace(chip, layer_overhead_us=0.0, call_overhead_us=0.0)

    def gain(c, free):
        r1, rb = _run(scenario, c, 1, free), _run(scenario, c, batch, free)
        return float(rb["throughput_ips"] / r1["throughput_ips"]), r1, rb

    g, r1, rb = gain(chip, False)
    g1, _, _ = gain(bare, False)
    g2, q1, qb = gain(bare, True)
    util = float(np.sum(q1["compute_s"]) / (np.sum(qb["compute_s"]) / batch))
    if chip.execution == "pipelined":
        util = 1.0
    return {"batch": int(batch), "gain": g, "overheads": g / g1, "weight_reuse": g1 / g2,
            "utilisation": util, "other": g2 / util,
            "throughput_1": float(r1["throughput_ips"]),
            "throughput_b": float(rb["throughput_ips"])}
