"""DRAM traffic of a placement, per image by kind and per step per batch.

Kinds (bytes per image):

``input``              the model input, read once if it is kept in SRAM, else once per
                       step that reads it;
(activation bytes go by buffer, :mod:`engine.placement`: a step working in place reads
and writes as usual, a view moves nothing, a concat writes nothing for the inputs
whose producers wrote straight into its slices and reads nothing of them)
``weights``            streamed (unpinned) weights, read once per batch: bytes / batch.
                       Pinned weights cost nothing per image in steady state (their
                       one-time load is not counted);
``activation_writes``  every byte written into a spilled intermediate buffer;
``activation_reads``   every byte read back from a spilled buffer, once per consumer
                       step (a residual or route tensor read by two steps is read twice);
``output``             the model outputs, always written to DRAM.

Per step (bytes per batch): the step's streamed weights, the spilled tensors it reads
(the input, if kept, is charged once to its first reader), and the bytes it writes
if its output's buffer is spilled or it is a model output. The per-step bytes sum to the kinds times batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .placement import Placement, PlacementModel

KINDS = ("input", "weights", "activation_writes", "activation_reads", "output")


@dataclass
class TrafficModel:
    pair_step: np.ndarray     # (step, tensor) read pairs, sorted by step
    pair_tensor: np.ndarray
    pair_first_input: np.ndarray  # the pair is the first read of the model input
    written: np.ndarray       # per step: bytes per image it writes (after aliasing)
    read_steps: np.ndarray    # the steps that read anything, and where each one's
    read_starts: np.ndarray   # pairs start (for per_step; derived once in build)


def build(fp) -> TrafficModel:
    steps, tensors = [], []
    for s, reads in enumerate(fp.aliasing.copied):
        for t in reads:
            steps.append(s)
            tensors.append(t)
    ps = np.array(steps, dtype=np.int64)
    pt = np.array(tensors, dtype=np.int64)
    first_in = np.zeros(len(ps), dtype=bool)
    hits = np.flatnonzero(pt == 0)
    if len(hits):
        first_in[hits[0]] = True
    read_steps = np.unique(ps)
    return TrafficModel(ps, pt, first_in,
                        fp.aliasing.written.astype(np.float64) / fp.batch,
                        read_steps, np.searchsorted(ps, read_steps))


def kinds(pm: PlacementModel, pl: Placement, batch) -> dict:
    """Bytes per image by kind; each value has the grid shape of the placement."""
    b = np.asarray(batch, dtype=np.float64)
    spilled = ~pl.kept_buffers
    size = pm.size
    out = {
        "input": size[0] * np.where(pl.kept[..., 0], 1.0, float(pm.readers[0])),
        "weights": (pm.weight_bytes * ~pl.pinned).sum(axis=-1) / b,
        "activation_writes": (spilled * pm.bwrites).sum(axis=-1),
        "activation_reads": (spilled * pm.breads).sum(axis=-1),
        "output": np.broadcast_to(np.float64(size[pm.is_output].sum()), pl.k.shape).copy(),
    }
    return out


def per_step(tm: TrafficModel, values: np.ndarray, n_steps: int) -> np.ndarray:
    """Sum per-pair ``values`` (last axis: the read pairs) into per-step totals (last
    axis: steps); a step that reads nothing (a view) gets 0."""
    out = np.zeros(values.shape[:-1] + (n_steps,))
    if len(tm.pair_step):                  # pairs are in step order
        out[..., tm.read_steps] = np.add.reduceat(values, tm.read_starts, axis=-1)
    return out


def step_bytes(pm: PlacementModel, tm: TrafficModel, pl: Placement, batch) -> np.ndarray:
    """DRAM bytes per step for the whole batch (grid shape x steps)."""
    b = np.asarray(batch, dtype=np.float64)[..., None]
    kept = pl.kept
    size = pm.size
    read = size[tm.pair_tensor] * (~kept[..., tm.pair_tensor] | tm.pair_first_input)
    n = len(size) - 1
    reads = per_step(tm, read, n)
    out_t = np.arange(1, len(size))
    writes = tm.written * (pm.is_output[out_t] | ~kept[..., out_t])
    return (reads + writes) * b + pm.weight_bytes * ~pl.pinned
