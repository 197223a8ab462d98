"""What sits in SRAM: weights pinned per step, activation tensors kept or spilled.

The model
---------
SRAM holds two kinds of things:

* **Pinned weights.** A step's weights either sit in SRAM for the whole run (read
  from DRAM once, then zero DRAM bytes per image in steady state) or are streamed
  from DRAM once per batch. Weights are pinned in a fixed order, smallest step first
  (every weight byte saves the same DRAM traffic, and small ones pack best), so
  "pin k steps" means the k smallest; ``W[k]`` is their total.
* **Kept activation tensors.** A tensor kept in SRAM occupies its bytes (whole batch)
  from the step that writes it to the last step that reads it. A spilled tensor is
  written to DRAM once and read back by every consumer step (residual and route
  tensors are read once per reader). Tensors pass through SRAM tile by tile when
  they are streamed; that staging space is not counted. The model input is always
  read from DRAM (once if kept, once per reader if not); model outputs are always
  written to DRAM. Capacity is checked on live bytes (no fragmentation).

Which tensors are kept for an activation budget ``A`` - the threshold rule
-------------------------------------------------------------------------------
Tensors are taken in a fixed priority order (those whose keeping saves DRAM traffic
first, then smallest first, then shortest-lived). Going through that order once, each
tensor gets a threshold ``r = max(load over its lifetime) + its size`` and then adds
its size to the load of every step in its lifetime. At budget ``A`` the kept set is
``{t : r_t * batch <= A}``. It always fits: for any step, the kept tensor live there
that came last in the order has ``r >=`` the bytes of all earlier tensors live at
that step plus its own, and ``r <= A``. The kept sets are nested as ``A`` grows, so
activation DRAM traffic never increases with SRAM size. Sizes scale exactly with
batch, so thresholds are computed once per image and multiplied. (Choosing the best
set of intervals under a capacity is an unsplittable-flow problem, NP-hard in
general; this rule is a fast, feasible, monotone approximation.)

Policies (unified SRAM of capacity ``C``)
-----------------------------------------
``weights_first``
    Pin as many weights as fit (``k = max{k : W[k] <= C}``); the rest, ``C - W[k]``,
    is the activation budget. This is what a naive compiler does; its DRAM curve can
    rise where pinning one more step's weights takes room from activations.
``activations_first``
    The activation budget is all of ``C`` until every activation tensor fits
    (``C >= batch x r_max``); SRAM beyond that pins weights. Weights stream otherwise.
``optimal``
    Minimise DRAM bytes per image: for every ``k`` with ``W[k] <= C`` the cost is
    ``(W_total - W[k]) / batch`` (streamed weights, per image) plus the activation
    traffic at budget ``C - W[k]``; take the cheapest ``k``. Exact over the split
    between weights and activations (given the orders above), and never worse than
    the other two policies, which are among its candidates. Non-increasing in ``C``:
    each candidate's cost is, and the candidate set only grows.

A chip with split SRAM (``sram_split``) pins weights in the weight SRAM and keeps
activations in the activation SRAM; the policy does not matter there.

Everything is vectorised: capacity and batch may be numpy arrays of any (broadcast)
shape ``G``; results carry that shape in front of the per-tensor / per-step axis.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

POLICIES = ("weights_first", "activations_first", "optimal")


@dataclass
class PlacementModel:
    """Per-image, capacity-independent inputs of the placement (built once per model,
    size, precision and Winograd setting)."""
    size: np.ndarray          # per-tensor bytes per image (float64), tensor 0 = input
    readers: np.ndarray       # per-tensor number of steps reading it
    first: np.ndarray         # per-tensor first step it occupies SRAM
    last: np.ndarray          # per-tensor last step it occupies SRAM
    is_output: np.ndarray     # per-tensor: a model output (no reader)
    benefit: np.ndarray       # per-tensor DRAM bytes per image saved by keeping it
    r: np.ndarray             # per-tensor threshold (bytes per image)
    r_sorted: np.ndarray      # thresholds ascending
    cum_benefit: np.ndarray   # cum_benefit[j] = benefit of the j lowest-threshold tensors
    r_max: float              # budget per image at which every tensor is kept
    weight_bytes: np.ndarray  # per-step stored weight bytes (float64)
    w_rank: np.ndarray        # per-step position in the pinning order (-1 = no weights)
    W: np.ndarray             # W[k] = bytes of the k first steps in the pinning order

    @property
    def weight_total(self) -> float:
        return float(self.W[-1])


def build(fp, weight_bytes: np.ndarray) -> PlacementModel:
    """The PlacementModel of a Footprint (any batch; sizes are taken per image)."""
    n = len(fp.steps)
    b = fp.batch
    size = fp.tensor_bytes.astype(np.float64) / b
    T = n + 1
    readers = np.zeros(T, dtype=np.int64)
    for s in fp.steps:
        for t in s.inputs:
            readers[t] += 1
    is_output = readers == 0
    is_output[0] = False
    first = fp.tensor_first.copy()
    last = fp.tensor_last.copy()
    last[is_output] = first[is_output]          # outputs are written out at once
    benefit = size * (1 + readers)
    benefit[0] = size[0] * max(int(readers[0]) - 1, 0)
    benefit[is_output] = 0.0
    span = last - first
    order = np.lexsort((np.arange(T), span, size, benefit <= 0))
    r = thresholds(order, first, last, size, n)
    by_r = np.argsort(r, kind="stable")
    r_sorted = r[by_r]
    cum_benefit = np.concatenate(([0.0], np.cumsum(benefit[by_r])))
    wb = np.asarray(weight_bytes, dtype=np.float64)
    nz = np.flatnonzero(wb > 0)
    w_order = nz[np.lexsort((nz, wb[nz]))]
    w_rank = np.full(n, -1, dtype=np.int64)
    w_rank[w_order] = np.arange(len(w_order))
    W = np.concatenate(([0.0], np.cumsum(wb[w_order])))
    return PlacementModel(size, readers, first, last, is_output, benefit, r, r_sorted,
                          cum_benefit, float(r.max()) if T else 0.0, wb, w_rank, W)


def thresholds(order, first, last, size, n_steps) -> np.ndarray:
    """The threshold rule of the module docstring (bytes per image)."""
    load = np.zeros(max(n_steps, 1), dtype=np.float64)
    r = np.zeros(len(size), dtype=np.float64)
    for t in order.tolist():
        f, l1 = int(first[t]), int(last[t]) + 1
        seg = load[f:l1]
        s = size[t]
        r[t] = (seg.max() if l1 - f > 1 else seg[0]) + s
        seg += s
    return r


@dataclass
class Placement:
    k: np.ndarray             # G: number of pinned weight steps
    budget: np.ndarray        # G: activation budget in bytes (whole batch)
    kept: np.ndarray          # G x T bool: tensor kept in SRAM
    pinned: np.ndarray        # G x S bool: step's weights pinned (or it has none)
    weights_in_sram: np.ndarray      # G: pinned weight bytes
    activations_in_sram: np.ndarray  # G: peak bytes of kept activations (whole batch)


def act_saved(pm: PlacementModel, budget, batch) -> np.ndarray:
    """DRAM bytes per image saved by the tensors kept at ``budget`` (whole-batch bytes)."""
    per_image = np.asarray(budget, dtype=np.float64) / batch
    idx = np.searchsorted(pm.r_sorted, per_image, side="right")
    return pm.cum_benefit[idx]


def choose(pm: PlacementModel, capacity, batch, policy: str,
           split_weight_fraction: float | None = None):
    """(k, activation budget) per grid point; capacity in bytes, batch >= 1."""
    C = np.asarray(capacity, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    C, b = np.broadcast_arrays(C, b)
    W = pm.W
    if split_weight_fraction is not None:
        Cw = C * split_weight_fraction
        k = np.searchsorted(W, Cw, side="right") - 1
        return k, C - Cw
    if policy == "weights_first":
        k = np.searchsorted(W, C, side="right") - 1
        return k, C - W[k]
    if policy == "activations_first":
        need = b * pm.r_max
        spare = C - need
        k = np.where(spare >= 0, np.searchsorted(W, np.maximum(spare, 0), side="right") - 1, 0)
        return k, C - W[k]
    if policy == "optimal":
        A = C[..., None] - W                                   # G x (K+1)
        feasible = A >= 0
        saved = act_saved(pm, np.maximum(A, 0), b[..., None])
        cost = (pm.weight_total - W) / b[..., None] - saved
        cost = np.where(feasible, cost, np.inf)
        k = np.argmin(cost, axis=-1)
        return k, C - W[k]
    raise InputError(f"policy {policy!r}: use one of {', '.join(POLICIES)}")


def place(pm: PlacementModel, capacity, batch, policy: str = "optimal",
          split_weight_fraction: float | None = None) -> Placement:
    k, budget = choose(pm, capacity, batch, policy, split_weight_fraction)
    b = np.broadcast_to(np.asarray(batch, dtype=np.float64), np.shape(k))
    kept = pm.r <= (budget / b)[..., None]
    pinned = pm.w_rank < k[..., None]
    wins = pm.W[k]
    act = activation_peak(pm, kept) * b
    return Placement(k, budget, kept, pinned, wins, act)


def activation_peak(pm: PlacementModel, kept: np.ndarray) -> np.ndarray:
    """Peak per-image bytes of kept tensors over the steps (grid shape)."""
    n = int(pm.last.max()) + 1 if len(pm.last) else 1
    sz = kept * pm.size
    lead = kept.shape[:-1]
    szf = sz.reshape(-1, sz.shape[-1])
    if szf.shape[0] > 1 and len(pm.size) * n <= 4_000_000:
        live = np.zeros((len(pm.size), n))
        steps = np.arange(n)
        live[(steps >= pm.first[:, None]) & (steps <= pm.last[:, None])] = 1.0
        return (szf @ live).max(axis=-1).reshape(lead)
    delta = np.zeros((szf.shape[0], n + 1), dtype=np.float64)
    np.add.at(delta, (slice(None), pm.first), szf)
    np.add.at(delta, (slice(None), pm.last + 1), -szf)
    return np.cumsum(delta[:, :-1], axis=-1).max(axis=-1).reshape(lead)
