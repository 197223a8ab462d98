"""What sits in SRAM: weights pinned per step, activation buffers kept or spilled.

The cost model
--------------
SRAM of capacity ``C`` (bytes) holds three kinds of things:

* **Staging space** ``S`` (:mod:`engine.chip`, ``Chip.staging_bytes``): double buffers
  for streamed weight tiles and spilled activation tiles. Placement never uses it;
  what it may use is ``C' = max(C - S, 0)``. When ``C < S`` nothing is pinned or
  kept: everything streams (through tiles smaller than the default staging assumes).
* **Pinned weights.** A step's weights either sit in SRAM for the whole run (read
  from DRAM once, then zero DRAM bytes per image in steady state) or are streamed
  from DRAM once per batch: ``W_s / batch`` bytes per image.
* **Kept activation buffers.** Tensors share buffers as
  :func:`engine.liveness.plan_aliases` decides. Here a *buffer* is a set of tensors
  joined by views and concat slices (kept or spilled together); a step written in
  place is a *credit* ``(A, B, s, z)``: its output's buffer B and the buffer A it
  overwrites stay separate decisions, and share their ``z`` bytes at step s only if
  both are kept (keeping one never forces keeping the other, so in place is never
  worse than copies). A kept buffer occupies its bytes (whole batch) from its first
  to its last step. A spilled buffer costs, per image, every byte written into it plus
  every byte read from it (a tensor read by two steps is read twice). The model input
  is always read from DRAM (once if its buffer is kept, once per reader if not); model
  outputs are always written to DRAM and never kept. Capacity is checked on live bytes
  (no fragmentation).

DRAM bytes per image = streamed weights / batch + input + outputs + spilled buffers'
writes and reads. With binary ``pin_s`` (step s's weights pinned), ``keep_B`` (buffer
B kept) and ``0 <= y_c <= keep_A, keep_B`` per credit c, the constraint at every step
``s`` is::

    sum_s' pin_s' W_s' + batch x (sum_{B live at s} keep_B size_B
                                  - sum_{credits c at s} y_c z_c)  <=  C'

(split SRAM: the weight sum <= the weight SRAM's ``C'``, the activation sum <= the
activation SRAM's). Minimising the DRAM bytes under these constraints is an integer
program (keeping intervals under a capacity is unsplittable flow on a path, pinning
weights a knapsack; both NP-hard in general).

Exact solve (:func:`place_exact`)
---------------------------------
The integer program above, solved with ``scipy.optimize.milp`` (HiGHS, branch and
cut) for one grid point: one binary per buffer that can save traffic, one integer
per distinct weight-layer size (how many of those layers are pinned: interchangeable
layers would otherwise make the search explore symmetric copies), one continuous
share per credit, one row per step whose live set is not contained in a neighbour's
(those rows imply the rest). The result is checked against the capacity and against
the heuristic below. "Exact" means proven optimal to HiGHS's absolute gap of 1e-6
objective units, at most 1 byte per image (an objective unit is one MB, or less on
small models). HiGHS reports a dual bound, so a solve stopped by its time limit
(``NODE_LIMIT`` nodes, so that the figure does not depend on the machine's load)
still says how far it may be from the optimum (``gap``). scipy's milp takes no
starting solution; the heuristic serves as the fallback and as the incumbent to
beat.

Fast path: the threshold rule (:func:`place`)
----------------------------------------------
Curves with hundreds of points use a feasible, monotone rule, vectorised over any
grid of capacities and batches. Buffers are taken in a fixed priority order (those
whose keeping saves DRAM traffic, smallest first, then shortest-lived); each gets a
threshold ``r = max(load over its lifetime) + its size`` and adds its size to the
load of every step in its lifetime. At budget ``A`` the kept set is
``{B : r_B * batch <= A}``: it always fits (the kept buffer that came last at any
step has ``r >=`` everything earlier live there plus itself; a credit is counted when
its second buffer is added, which at worst overstates the load) and grows with ``A``.
Weights are pinned smallest step first; ``W[k]`` is the k smallest. Policies:

``weights_first``      pin as many weights as fit; the rest of ``C'`` is the budget.
``activations_first``  the budget is ``C'`` until every buffer fits
                       (``C' >= batch x r_max``); SRAM beyond that pins weights.
``optimal``            for every ``k`` with ``W[k] <= C'`` the cost is streamed weights
                       plus the activation traffic at budget ``C' - W[k]``; take the
                       cheapest. Never worse than the other two, non-increasing in
                       ``C`` (each candidate's cost is, and the candidate set grows).

The heuristic is reported as such (``exact`` False) with a bound on its gap
(:func:`lower_bound`: for each step, everything not live there is free and the live
items fill ``C'`` fractionally, best DRAM bytes saved per SRAM byte first, a buffer
born there in place costing nothing; the best of these relaxations bounds the optimum
from below. Valid, but loose where many buffers live at once).
A chip with split SRAM pins weights in the weight SRAM and keeps activations in the
activation SRAM; the threshold rule's policies coincide there.

Everything in the fast path is vectorised: capacity and batch may be numpy arrays of
any (broadcast) shape ``G``; results carry that shape in front of the per-tensor /
per-step axis.
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .liveness import SLICE, VIEW

POLICIES = ("weights_first", "activations_first", "optimal")
NODE_LIMIT = 200          # branch-and-bound nodes per exact solve (deterministic,
TIME_LIMIT_S = 5.0        # unlike a time limit); then the best found, with its gap


@contextlib.contextmanager
def _quiet_stdout():
    """Send file descriptor 1 to /dev/null for a while (C code printing there would
    corrupt the CLI's JSON on stdout)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class PlacementModel:
    """Per-image, capacity-independent inputs of the placement (built once per model,
    size, precision, Winograd and in-place setting). Buffers are indexed 0..B-1;
    ``buf[t]`` is tensor t's buffer; buffer 0 holds the model input only."""
    size: np.ndarray          # per-tensor bytes per image (float64), tensor 0 = input
    readers: np.ndarray       # per-tensor number of steps reading it
    is_output: np.ndarray     # per-tensor: a model output (no reader)
    buf: np.ndarray           # per-tensor buffer index
    bsize: np.ndarray         # per-buffer bytes per image
    first: np.ndarray         # per-buffer first step it occupies SRAM
    last: np.ndarray          # per-buffer last step it occupies SRAM
    bwrites: np.ndarray       # per-buffer DRAM bytes/image written into it if spilled
    breads: np.ndarray        # per-buffer DRAM bytes/image read from it if spilled
    benefit: np.ndarray       # per-buffer DRAM bytes per image saved by keeping it
    r: np.ndarray             # per-buffer threshold (bytes per image; inf: never kept)
    r_sorted: np.ndarray      # thresholds ascending
    cum_benefit: np.ndarray   # cum_benefit[j] = benefit of the j lowest-threshold buffers
    r_max: float              # budget per image at which every useful buffer is kept
    weight_bytes: np.ndarray  # per-step stored weight bytes (float64)
    w_rank: np.ndarray        # per-step position in the pinning order (-1 = no weights)
    W: np.ndarray             # W[k] = bytes of the k first steps in the pinning order
    n_steps: int
    pair_a: np.ndarray = None  # in-place credits: buffer overwritten,
    pair_b: np.ndarray = None  # the buffer written over it,
    pair_step: np.ndarray = None  # at this step,
    pair_bytes: np.ndarray = None  # sharing these bytes per image if both are kept

    @property
    def weight_total(self) -> float:
        return float(self.W[-1])

    @property
    def useful(self) -> np.ndarray:
        """Per buffer: keeping it saves DRAM traffic."""
        return self.benefit > 0


def build(fp, weight_bytes: np.ndarray) -> PlacementModel:
    """The PlacementModel of a Footprint (any batch; sizes are taken per image).

    Placement buffers: tensors joined by views and concat slices share one (kept or
    spilled together). A step written in place is a *credit* instead: its output and
    the buffer it overwrites are separate decisions, sharing their bytes at that step
    only when both are kept (so keeping one never forces keeping the other)."""
    n, b, al = len(fp.steps), fp.batch, fp.aliasing
    size = fp.tensor_bytes.astype(np.float64) / b
    T = n + 1
    readers = np.zeros(T, dtype=np.int64)
    for s in fp.steps:
        for t in s.inputs:
            readers[t] += 1
    is_output = readers == 0
    is_output[0] = False
    group = al.groups((VIEW, SLICE))          # views and slices share a buffer
    roots, buf = np.unique(group, return_inverse=True)
    B = len(roots)
    tfirst, tlast = fp.tensor_first.copy(), fp.tensor_last.copy()
    tlast[is_output] = tfirst[is_output]       # outputs are written out at once
    bsize = np.zeros(B)
    np.maximum.at(bsize, buf, size)
    first = np.full(B, n, dtype=np.int64)
    np.minimum.at(first, buf, tfirst)
    last = np.zeros(B, dtype=np.int64)
    np.maximum.at(last, buf, tlast)
    pairs = [(int(buf[al.of[o]]), int(buf[o]), o - 1, size[o]) for o in range(T)
             if al.kind[o] == "in_place" and first[buf[o]] == o - 1]
    bwrites = np.zeros(B)
    breads = np.zeros(B)
    written = al.written.astype(np.float64) / b
    inter = ~is_output[1:]
    np.add.at(bwrites, buf[1:][inter], written[inter])
    for s, reads in enumerate(al.copied):
        for t in reads:
            if t != 0:
                breads[buf[t]] += size[t]
    benefit = bwrites + breads
    out_b = buf[is_output]
    benefit[buf[0]] = size[0] * max(int(readers[0]) - 1, 0)
    benefit[out_b] = 0.0
    return from_buffers(size, readers, is_output, buf, bsize, first, last, bwrites,
                        breads, benefit, weight_bytes, n, pairs)


def from_buffers(size, readers, is_output, buf, bsize, first, last, bwrites, breads,
                 benefit, weight_bytes, n_steps, pairs=()) -> PlacementModel:
    """A PlacementModel from per-tensor and per-buffer arrays (see the fields);
    ``pairs``: in-place credits ``(overwritten buffer, new buffer, step, bytes)``."""
    bsize = np.asarray(bsize, dtype=np.float64)
    first = np.asarray(first, dtype=np.int64)
    last = np.asarray(last, dtype=np.int64)
    benefit = np.asarray(benefit, dtype=np.float64)
    B = len(bsize)
    span = last - first
    useful = benefit > 0
    order = np.lexsort((np.arange(B), span, bsize, ~useful))
    order = order[useful[order]]
    pairs = [p for p in pairs if useful[p[0]] and useful[p[1]]]
    pa = np.array([p[0] for p in pairs], dtype=np.int64)
    pb = np.array([p[1] for p in pairs], dtype=np.int64)
    ps = np.array([p[2] for p in pairs], dtype=np.int64)
    pz = np.array([p[3] for p in pairs], dtype=np.float64)
    r = thresholds(order, first, last, bsize, n_steps, (pa, pb, ps, pz))
    by_r = np.argsort(r, kind="stable")
    r_sorted = r[by_r]
    cum_benefit = np.concatenate(([0.0], np.cumsum(benefit[by_r])))
    wb = np.asarray(weight_bytes, dtype=np.float64)
    nz = np.flatnonzero(wb > 0)
    w_order = nz[np.lexsort((nz, wb[nz]))]
    w_rank = np.full(len(wb), -1, dtype=np.int64)
    w_rank[w_order] = np.arange(len(w_order))
    W = np.concatenate(([0.0], np.cumsum(wb[w_order])))
    r_max = float(r[useful].max()) if useful.any() else 0.0
    return PlacementModel(np.asarray(size, dtype=np.float64), np.asarray(readers),
                          np.asarray(is_output, dtype=bool), np.asarray(buf), bsize, first,
                          last, np.asarray(bwrites, dtype=np.float64),
                          np.asarray(breads, dtype=np.float64), benefit, r, r_sorted,
                          cum_benefit, r_max, wb, w_rank, W, int(n_steps), pa, pb, ps, pz)


def thresholds(order, first, last, size, n_steps, pairs=None) -> np.ndarray:
    """The threshold rule of the module docstring (bytes per image); buffers not in
    ``order`` get ``inf`` (never kept). An in-place credit counts when the second of
    its two buffers is added (whenever that one is kept, the earlier one with its
    lower-or-equal threshold may not be; counting it as kept only overstates load)."""
    r = np.full(len(size), np.inf, dtype=np.float64)
    if pairs is None:       # no credits: the loads before each buffer as one cumsum
        o = np.asarray(order, dtype=np.int64)
        cols = np.arange(max(n_steps, 1))
        span = (cols >= np.asarray(first)[o, None]) & (cols <= np.asarray(last)[o, None])
        s = np.asarray(size, dtype=np.float64)[o, None]
        add = np.where(span, s, 0.0)
        before = np.cumsum(np.concatenate([np.zeros((1, len(cols))), add[:-1]]), axis=0)
        r[o] = np.where(span, before + s, -np.inf).max(axis=1, initial=-np.inf)
        return r
    load = np.zeros(max(n_steps, 1), dtype=np.float64)
    credit: dict[int, list] = {}
    if pairs is not None:
        for a, b2, st, z in zip(*(x.tolist() for x in pairs)):
            credit.setdefault(a, []).append((b2, st, z))
            credit.setdefault(b2, []).append((a, st, z))
    placed = np.zeros(len(size), bool)
    for t in order.tolist():
        f, l1 = int(first[t]), int(last[t]) + 1
        s = size[t]
        add = np.full(l1 - f, s)
        for other, st, z in credit.get(t, ()):
            if placed[other]:
                add[st - f] -= z
        seg = load[f:l1]
        r[t] = (seg + add).max()
        seg += add
        placed[t] = True
    return r


@dataclass
class Placement:
    k: np.ndarray             # G: number of pinned weight steps (heuristic order)
    budget: np.ndarray        # G: activation budget in bytes (whole batch)
    kept: np.ndarray          # G x T bool: tensor's buffer kept in SRAM
    pinned: np.ndarray        # G x S bool: step's weights pinned (or it has none)
    weights_in_sram: np.ndarray      # G: pinned weight bytes
    activations_in_sram: np.ndarray  # G: peak bytes of kept activations (whole batch)
    kept_buffers: np.ndarray = None  # G x B bool
    exact: np.ndarray = None         # G bool: proven minimum of the cost model
    gap: np.ndarray = None           # G: DRAM bytes/image above the best lower bound


def act_saved(pm: PlacementModel, budget, batch) -> np.ndarray:
    """DRAM bytes per image saved by the buffers kept at ``budget`` (whole-batch bytes)."""
    per_image = np.asarray(budget, dtype=np.float64) / batch
    idx = np.searchsorted(pm.r_sorted, per_image, side="right")
    return pm.cum_benefit[idx]


def choose(pm: PlacementModel, capacity, batch, policy: str,
           split_weight_capacity=None):
    """(k, activation budget) per grid point of the threshold rule; ``capacity`` is the
    usable SRAM (staging already taken out), or with ``split_weight_capacity`` the
    activation SRAM's; batch >= 1."""
    C = np.asarray(capacity, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    C, b = np.broadcast_arrays(C, b)
    W = pm.W
    if policy not in POLICIES:
        raise InputError(f"policy {policy!r}: use one of {', '.join(POLICIES)}")
    if split_weight_capacity is not None:
        Cw = np.broadcast_to(np.asarray(split_weight_capacity, dtype=np.float64), C.shape)
        k = np.searchsorted(W, Cw, side="right") - 1
        return k, C.copy()
    if policy == "weights_first":
        k = np.searchsorted(W, C, side="right") - 1
        return k, C - W[k]
    if policy == "activations_first":
        need = b * pm.r_max
        spare = C - need
        k = np.where(spare >= 0, np.searchsorted(W, np.maximum(spare, 0), side="right") - 1, 0)
        return k, C - W[k]
    A = C[..., None] - W                                   # G x (K+1)
    feasible = A >= 0
    saved = act_saved(pm, np.maximum(A, 0), b[..., None])
    cost = (pm.weight_total - W) / b[..., None] - saved
    cost = np.where(feasible, cost, np.inf)
    k = np.argmin(cost, axis=-1)
    return k, C - W[k]


def place(pm: PlacementModel, capacity, batch, policy: str = "optimal",
          split_weight_capacity=None, bound: bool = True) -> Placement:
    """The threshold rule on a grid (usable capacity: staging already taken out)."""
    k, budget = choose(pm, capacity, batch, policy, split_weight_capacity)
    b = np.broadcast_to(np.asarray(batch, dtype=np.float64), np.shape(k))
    kept_b = pm.r <= (budget / b)[..., None]
    pinned = pm.w_rank < k[..., None]
    wins = pm.W[k]
    act = activation_peak(pm, kept_b) * b
    pl = Placement(k, budget, kept_b[..., pm.buf], pinned, wins, act, kept_b)
    if bound:
        cost = dram_cost(pm, kept_b, pinned, b)
        lb = lower_bound(pm, capacity, b, split_weight_capacity)
        pl.gap = np.maximum(cost - lb, 0.0)
        pl.exact = pl.gap <= 1e-6 * np.maximum(cost, 1.0)
    return pl


def dram_cost(pm: PlacementModel, kept_b, pinned, batch) -> np.ndarray:
    """DRAM bytes per image of a placement (the cost model; grid shape)."""
    b = np.asarray(batch, dtype=np.float64)
    streamed = (pm.weight_bytes * ~pinned).sum(axis=-1) / b
    saved = (pm.benefit * kept_b).sum(axis=-1)
    base = (pm.bwrites.sum() + pm.breads.sum() + pm.size[0] * pm.readers[0]
            + pm.size[pm.is_output].sum())
    return streamed + base - saved


def lower_bound(pm: PlacementModel, capacity, batch, split_weight_capacity=None):
    """A lower bound on the minimum DRAM bytes per image (module docstring), on the
    grid of ``capacity`` x ``batch``."""
    C = np.asarray(capacity, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    C, b = np.broadcast_arrays(C, b)
    base = dram_cost(pm, np.zeros(len(pm.bsize), bool), np.zeros(len(pm.weight_bytes), bool),
                     b)
    wts, w_total, rows = _bound_rows(pm)
    best = np.full(C.shape, -np.inf)
    for free, a_all, hi, lo in rows:
        if split_weight_capacity is not None:
            saved_w = _frac_fill(np.broadcast_to(split_weight_capacity, C.shape), wts) / b
            saved_a = _frac_fill(C / b, a_all)
            saved = saved_w + saved_a
        else:
            saved = _frac_mixed(C, b, hi, lo, w_total)
        best = np.maximum(best, base - free - saved)
    return np.maximum(best, 0.0)


def _bound_rows(pm: PlacementModel):
    """What :func:`lower_bound` needs that does not depend on the capacity or batch,
    worked out once per PlacementModel (a slider drag bounds ~50 rows per notch):
    the weights (ascending, as fractional items), their total, and per dominating
    row: (benefit of the buffers not live there, the live activation items by
    density, those better than weights (with their total size), the rest), each item
    list as its (running sizes, running values) from 0."""
    cached = getattr(pm, "_bound_rows_cache", None)
    if cached is not None:
        return cached
    useful = pm.useful
    total_benefit = pm.benefit[useful].sum()
    wts = np.sort(pm.weight_bytes[pm.weight_bytes > 0])
    out = []
    rows = _rows(pm) if useful.any() else [(0, np.zeros(0, dtype=np.int64))]
    for step, live in rows:
        free = total_benefit - pm.benefit[live].sum()   # buffers not live here: kept
        sizes = pm.bsize.copy()
        if pm.pair_a is not None:                       # credits: the new buffer free
            at = pm.pair_step == step
            np.subtract.at(sizes, pm.pair_b[at], pm.pair_bytes[at])
        sizes = np.maximum(sizes[live], 0.0)
        with np.errstate(divide="ignore"):
            dens = np.where(sizes > 0, pm.benefit[live] / np.where(sizes > 0, sizes, 1),
                            np.inf)                     # per image byte; weights: 1/batch
        order = np.argsort(-dens, kind="stable")
        a_size, a_val, a_dens = sizes[order], pm.benefit[live][order], dens[order]
        hi = a_dens >= 1.0            # activation items better than weights
        out.append((free, _running(a_size, a_val),
                    (*_running(a_size[hi], a_val[hi]), a_size[hi].sum()),
                    _running(a_size[~hi], a_val[~hi])))
    pm._bound_rows_cache = cached = (_running(wts, wts), wts.sum(), out)
    return cached


def _running(sizes, values):
    """(running sizes, running values) from 0 of fractional knapsack items."""
    return (np.concatenate(([0.0], np.cumsum(sizes))),
            np.concatenate(([0.0], np.cumsum(values))))


def _frac_fill(cap, items):
    """Fractional knapsack value of items already sorted by density (``_running``
    sums), at capacities cap."""
    cs, cv = items[0], items[1]
    if len(cs) == 1:
        return np.zeros(np.shape(cap))
    return np.interp(np.asarray(cap, dtype=np.float64), cs, cv)


def _frac_mixed(C, b, hi, lo, w_total):
    """Fractional knapsack of activation items (per image sizes, scaled by batch) and
    weights (density 1 per image byte x 1/batch) in capacity C (whole batch bytes):
    ``hi`` the items better than weights (``_running`` sums and their total size),
    ``lo`` the rest.
    Densities per SRAM byte: activation item benefit/(b size), weights 1/b: the order
    does not depend on the batch."""
    sum_hi = hi[2]
    # capacity used in order: hi activations (b x size), then weights, then lo ones
    c1 = np.minimum(C, b * sum_hi)
    v = _frac_fill(c1 / b, hi)
    c2 = np.minimum(C - c1, w_total)
    v = v + c2 / b
    c3 = np.maximum(C - c1 - c2, 0)
    return v + _frac_fill(c3 / b, lo)


def _rows(pm: PlacementModel) -> list:
    """Per step whose live set is not contained in another's: (step, the useful
    buffers live there). In-place credits do not change which rows dominate: a
    credit at a step needs a buffer ending and one starting there. Between two steps where buffers end the live set only grows, so steps
    where one ends dominate; of those, one with no buffer starting since the
    previous is contained in that previous one."""
    useful = np.flatnonzero(pm.useful)
    n = max(pm.n_steps, 1)
    f, l = pm.first[useful], pm.last[useful]
    ends = np.zeros(n, bool)
    ends[l] = True
    ends[n - 1] = True
    e = np.flatnonzero(ends)
    starts = np.zeros(n + 1, np.int64)
    np.add.at(starts, f + 1, 1)
    cum = np.cumsum(starts)            # cum[s] = starts at steps < s
    new = np.concatenate(([True], cum[e[1:] + 1] - cum[e[:-1] + 1] > 0))
    return [(int(s), useful[(f <= s) & (l >= s)]) for s in e[new]]


def place_exact(pm: PlacementModel, capacity: float, batch: float,
                split_weight_capacity: float | None = None,
                time_limit: float | None = None) -> Placement:
    """The minimum of the cost model at one point, by integer programming (module
    docstring); grid shape ``()``. Falls back to the threshold rule (``exact`` False,
    with the solver's gap) if the solver stops early or its answer is not better."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    time_limit = TIME_LIMIT_S if time_limit is None else time_limit
    C, b = float(capacity), float(batch)
    heur = place(pm, C, b, "optimal", split_weight_capacity)
    h_cost = float(dram_cost(pm, heur.kept_buffers, heur.pinned, b))
    useful = np.flatnonzero(pm.useful)
    wsteps = np.flatnonzero(pm.weight_bytes > 0)
    # steps with equal weight bytes are interchangeable: one integer (how many of
    # them are pinned) per distinct size removes the symmetry that slows the search
    wsizes, wcount = np.unique(pm.weight_bytes[wsteps], return_counts=True)
    nu, nw = len(useful), len(wsizes)
    npair = 0 if pm.pair_a is None else len(pm.pair_a)
    if heur.exact or nu + nw == 0:
        heur.exact, heur.gap = np.asarray(True), np.asarray(0.0)
        return heur
    # HiGHS stops within an absolute gap of 1e-6 objective units: one unit is a MB
    # (a gap of at most 1 byte per image; proving the last byte of a subset sum can
    # take seconds), or less on small models (at most ~1e-9 of their traffic)
    base = float(dram_cost(pm, np.zeros(len(pm.bsize), bool),
                           np.zeros(len(pm.weight_bytes), bool), b))
    scale = max(1e-6, 1e3 / max(base, 1.0))
    # variables: keep per useful buffer, pinned count per weight size, and per
    # in-place credit a share y <= both keeps (continuous; it only frees space)
    nv = nu + nw + npair
    wv = wsizes * scale
    cost = -np.concatenate((pm.benefit[useful], wsizes / b, np.zeros(npair))) * scale
    pos = np.full(len(pm.bsize), -1)
    pos[useful] = np.arange(nu)
    rows, ub = [], []
    for step, live in _rows(pm):
        row = np.zeros(nv)
        row[pos[live]] = pm.bsize[live] * b * scale
        if split_weight_capacity is None:
            row[nu:nu + nw] = wv
        if npair:
            at = np.flatnonzero(pm.pair_step == step)
            row[nu + nw + at] = -pm.pair_bytes[at] * b * scale
        rows.append(row)
        ub.append(C * scale)
    if split_weight_capacity is not None or not rows:
        row = np.zeros(nv)
        row[nu:nu + nw] = wv
        rows.append(row)
        ub.append(float(C if split_weight_capacity is None else split_weight_capacity)
                  * scale)
    for j in range(npair):
        for side in (pm.pair_a[j], pm.pair_b[j]):
            row = np.zeros(nv)
            row[nu + nw + j] = 1.0
            row[pos[side]] = -1.0
            rows.append(row)
            ub.append(0.0)
    cons = LinearConstraint(np.array(rows), -np.inf, np.array(ub))
    upper = np.concatenate((np.ones(nu), wcount, np.ones(npair)))
    integrality = np.concatenate((np.ones(nu + nw), np.zeros(npair)))
    with _quiet_stdout():                      # HiGHS prints debug lines on fd 1
        res = milp(cost, integrality=integrality, bounds=Bounds(0, upper),
                   constraints=cons,
                   options={"time_limit": time_limit, "mip_rel_gap": 1e-9,
                            "node_limit": NODE_LIMIT})
    bound = getattr(res, "mip_dual_bound", None)
    lb = base + float(bound) / scale if bound is not None and np.isfinite(bound) else \
        float(lower_bound(pm, C, b, split_weight_capacity))
    if res.x is None:
        heur.exact = np.asarray(False)
        heur.gap = np.asarray(max(h_cost - lb, 0.0))
        return heur
    x = np.round(res.x[:nu + nw]).astype(np.int64)
    kept_b = np.zeros(len(pm.bsize), bool)
    kept_b[useful] = x[:nu] > 0
    pinned = pm.weight_bytes <= 0
    for size, n_pin in zip(wsizes, x[nu:]):    # pin the first n_pin steps of that size
        pinned[wsteps[pm.weight_bytes[wsteps] == size][:n_pin]] = True
    wins = float(pm.weight_bytes[pinned].sum())
    act = float(activation_peak(pm, kept_b)) * b
    ok = (act <= (C - (0 if split_weight_capacity is not None else wins)) * (1 + 1e-9)
          and (split_weight_capacity is None or wins <= split_weight_capacity * (1 + 1e-9)))
    e_cost = float(dram_cost(pm, kept_b, pinned, b))
    if not ok or e_cost > h_cost:
        heur.exact = np.asarray(False)
        heur.gap = np.asarray(max(h_cost - lb, 0.0))
        return heur
    exact = res.status == 0
    budget = C - wins if split_weight_capacity is None else C
    return Placement(np.asarray(int(pinned[wsteps].sum())), np.asarray(budget),
                     kept_b[pm.buf], pinned, np.asarray(wins), np.asarray(act), kept_b,
                     np.asarray(bool(exact)), np.asarray(max(e_cost - lb, 0.0)))


def activation_peak(pm: PlacementModel, kept: np.ndarray) -> np.ndarray:
    """Peak per-image bytes of kept buffers over the steps (grid shape), in-place
    credits taken off where both buffers of a pair are kept."""
    return occupancy(pm, kept).max(axis=-1)


def occupancy(pm: PlacementModel, kept: np.ndarray) -> np.ndarray:
    """Per-image bytes of kept buffers at each step (grid shape x steps), in-place
    credits taken off where both buffers of a pair are kept."""
    n = max(pm.n_steps, int(pm.last.max()) + 1 if len(pm.last) else 1)
    sz = kept * pm.bsize
    lead = kept.shape[:-1]
    szf = sz.reshape(-1, sz.shape[-1])
    kf = kept.reshape(-1, kept.shape[-1])
    if szf.shape[0] > 1 and len(pm.bsize) * n <= 4_000_000:
        live = np.zeros((len(pm.bsize), n))
        steps = np.arange(n)
        live[(steps >= pm.first[:, None]) & (steps <= pm.last[:, None])] = 1.0
        occ = szf @ live
    else:
        delta = np.zeros((szf.shape[0], n + 1), dtype=np.float64)
        np.add.at(delta, (slice(None), pm.first), szf)
        np.add.at(delta, (slice(None), pm.last + 1), -szf)
        occ = np.cumsum(delta[:, :-1], axis=-1)
    if pm.pair_a is not None and len(pm.pair_a):
        both = kf[:, pm.pair_a] & kf[:, pm.pair_b]
        np.add.at(occ, (slice(None), pm.pair_step), -(both * pm.pair_bytes))
    return occ.reshape(lead + (n,))
