"""Depth-first fused schedules: stacks of layers run over tiles of rows, line buffers.

The model
---------
The execution order is cut into *segments* of consecutive steps. A segment of one
step runs layer by layer, exactly as in :mod:`engine.placement`. A segment of two or
more steps is a fused *stack*: its output (the last step's output) advances in tiles
of ``T`` rows, and every step of the stack runs once per tile (``ceil(H_out / T)``
tiles). Every tensor the stack touches advances ``T * H_t / H_out`` rows per tile.

**Line buffers (fully cached, DeFiNES' "fully-cached" mode; no recompute).** A step
producing rows ``[lo, e)`` of its output reads rows
``[s*lo - pad_top, s*(e-1) - pad_top + d*(k-1) + 1)`` of its input (kernel ``k``,
stride ``s``, dilation ``d``; for one output tile of ``t`` rows that window is
``(t-1)*s + d*(k-1) + 1`` rows); elementwise ops, adds and concats read the rows they
write, a nearest upsample by ``u`` reads ``1/u`` of them. Positions are tracked
backwards from the stack output in steady state (far from the image border), so each
tensor's buffer is the span between the lowest row any consumer in the stack still
reads and the highest row any consumer needs: ``rows = min(H_t, ceil(e_max - lo_min))``,
and bytes = rows x width x channels x activation bytes. A residual or route tensor
that starts and ends inside the stack therefore holds only the rows still to be read
(its readers' lag is the halo of the path between them), not the whole tensor.
Overlapping rows are cached between tiles, never recomputed, so MACs do not change.
Padding shifts the windows of a tensor's different readers against each other.
Steps that can be fused: conv, non-global pool, add, concat on channels, upsample,
act, norm, on C x H x W tensors; anything else is a segment of its own.

**DRAM.** Only a stack's inputs and outputs touch DRAM: a tensor produced before the
stack is read once by the stack (into its line buffer), a tensor produced in it and
read after it (or a model output) is written once. Tensors whose producer and every
reader are in the stack never leave SRAM.

**Stack weights**, one of three modes chosen per stack:

``resident``   loaded once per compiled batch and held while the stack runs (the
               images of a batch pass through the stack one after another, reusing
               the line buffers): SRAM = line buffers + stack weights, DRAM = W / b
               per image;
``per_tile``   re-read once per tile, the batch's images interleaved tile by tile:
               SRAM = b x line buffers, DRAM = tiles x W / b per image;
``per_tile_image``  re-read once per tile of each image: SRAM = line buffers, DRAM =
               tiles x W per image.

``pinned``     every candidate partition is also evaluated with all its stacks' weights
               pinned for the whole run (0 DRAM per image; SRAM = line buffers during
               the stack plus the pinned weights throughout).

Otherwise a resident stack's weights may still be pinned step by step by the placement
below (the working set then still reserves them during the stack: counted twice
there, conservative); per-tile weights are never pinned.

**Around the stacks: the layer-by-layer placement of the collapsed graph.** Each
segment becomes one "super step". The tensors that cross segments are placed with
the threshold rule and the ``optimal`` split of :mod:`engine.placement` (kept whole
in SRAM over their super-step lifetime, or spilled: written once, read once per
reading segment), and weights (single steps' and resident stacks') are pinned smallest
first, as many as the ``optimal`` split finds worth it. Each stack
reserves its working set (line buffers + resident weights) as a pseudo tensor placed
before all others, so the kept set, the pinned weights and every stack's working set
fit the capacity together at every super step (what a kept tensor's whole copy and a
stack's line buffer hold twice is counted twice: conservative).

**Choosing the schedule.** For one SRAM capacity and batch, the engine first solves a
dynamic program over the execution order in which every tensor between segments goes
through DRAM: ``best[j] = min_i best[i] + cost(i..j-1)``, where a stack's cost is the
least DRAM of its (tile height x weight mode) options whose working set fits. That
minimum is exact within the all-spill space and non-increasing in the capacity. The
DP is run on a fixed ladder of capacities (:data:`LADDER_PER_DECADE` per decade, from
the smallest to the largest working set of any option) and at the size(s) asked about;
every partition found is evaluated with the collapsed placement above (as it is, and
with all its stacks' weights pinned), and the cheapest wins. The layer-by-layer
schedule (the one :mod:`engine.analysis` evaluates, exactly when it asks for it) is
always a candidate, so depth-first never needs more DRAM than layer by layer. On a
curve, every partition found at any grid point or ladder step is evaluated at every
point (a schedule that fits a smaller SRAM fits a larger one), so the curve never
rises with SRAM; a curve point may therefore be below the single analysis of that
size, never above it. On a chip that charges tiling re-reads (``tiling: true``), single
steps pay them as layer by layer does and stacks do not (their tiles are the line
buffers); there the winners are re-ranked by their DRAM with the re-reads, each
evaluated at every point. The chip's staging space comes off the capacity first, as for
layer by layer; a chip with split weight/activation SRAMs, or a pipelined (dataflow)
chip whose layers are all resident at once, stays layer by layer. The
user can pin the tile height (``tile_rows`` in the scenario) and forbid stacks across
chosen boundaries (``stack_cuts``: layer names a stack may not span into).

**The floor.** No schedule in this space reads less than the input once, writes the
outputs once, and reads every weight byte that is not pinned once per batch; at most
the capacity can be pinned, so ``floor(C) = input + outputs + max(0, W - C) / b``
bytes per image. Activation spills are not bounded below (a stack of one-row tiles
keeps almost nothing), so the floor is a true lower bound, not a schedule.

**How the search is kept fast** (the choices are those of the plain search: least
cost, then least bound, then first candidate; tests/test_depthfirst_fast.py). What a
partition is regardless of the batch (segments, external tensors, spans, pinnable
weights) is built once and shared by every batch of a sweep; its working sets and
thresholds are then a few array operations per batch (the threshold rule without
in-place credits is one cumulative sum). At one capacity, candidates are ordered by a
bound needing no thresholds (every tensor that fits beside the working sets of the
segments it spans is kept), and a candidate's placement is built only while that bound
can still beat the best cost found. The DP over a capacity ladder reads each stack's
cheapest fitting option from one table per batch (stacks x capacities).

Speed: a fused step runs once per tile, so it pays ``layer_overhead_us`` per tile
(an estimate: one kernel launch per tile and step); DRAM time per step counts its
stack-boundary reads and writes and its weight reads.

At a depth-first point, ``weights_in_sram_bytes`` counts the weights pinned for the run
and ``activations_in_sram_bytes`` the peak of kept tensors plus the running stack's
working set (line buffers and resident stack weights), so that
``sram_used_peak_bytes`` = staging + the two, never above the capacity.

Plain data for views. :class:`engine.analysis.Analysis` carries ``schedule`` (the
effective one), ``df`` (a :class:`DFResult`, or None where layer by layer is used),
``stack``, ``line_buffer_bytes``, ``tiles`` (per step) and ``stacks``; its layer rows
gain ``stack`` and ``line_buffer_bytes``, its totals ``schedule``,
``depth_first_applied``, ``stacks``, ``dram_lower_bound_bytes_per_image`` and
``sram_used_peak_bytes``. Sweeps add ``dram_lower_bound_bytes_per_image`` and
``depth_first`` (bool per point); :func:`engine.sweep.dram_curves` gives both
schedules' DRAM-vs-SRAM curves and the floor. Per step ``stack`` (segment index;
steps of one stack share it) and ``line_buffer_bytes`` (a buffer is counted at the
step producing the tensor, or at the stack's first reader for a stack input), and
``stacks``: one dict per multi-step stack with ``first_step``, ``last_step``,
``tile_rows``, ``tiles``, ``weights`` (mode), ``weight_bytes``,
``line_buffer_bytes`` and ``sram_bytes`` (its working set, whole batch).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from . import perf
from .errors import InputError
from .placement import thresholds

SCHEDULES = ("layer_by_layer", "depth_first")
MODES = ("resident", "per_tile", "per_tile_image")
MAX_STACK = 64            # steps per stack (bounds the precompute)
_SPATIAL = frozenset({"conv", "pool", "add", "concat", "upsample", "act", "norm"})


# -- chip-independent precompute ---------------------------------------------------------
def _mapping(layer, in_shape, out_shape):
    """(scale, e_shift, lo_shift) of the rows an op reads for the rows it writes:
    input_end = scale*(out_end - 1) + e_shift, input_lo = scale*out_lo + lo_shift
    (identity: scale 1, e_shift 1, lo_shift 0)."""
    a = layer.attrs
    if layer.op in ("conv", "pool"):
        k, s, d = a["kernel"][0], a["stride"][0], (a.get("dilation") or (1, 1))[0]
        pad = a["padding"]
        if pad == "same":
            out = -(-in_shape[1] // s)
            pt = max((out - 1) * s + d * (k - 1) + 1 - in_shape[1], 0) // 2
        else:
            pt = pad[0]
        return float(s), float(-pt + d * (k - 1) + 1), float(-pt)
    if layer.op == "upsample":
        u = out_shape[1] / in_shape[1]
        return 1.0 / u, 1.0, 0.0
    return 1.0, 1.0, 0.0


def _fusable(step, shapes) -> bool:
    a = step.anchor
    if a.op not in _SPATIAL or len(step.shape) != 3:
        return False
    if any(len(shapes[layer.inputs[0]]) != 3 for layer in step.layers):
        return False
    if a.op == "pool" and (a.attrs["global"] or a.attrs["output_size"] is not None):
        return False
    if a.op == "concat" and a.attrs["axis"] not in (1, -3):
        return False
    return True


@dataclass
class Stacks:
    """Per footprint: every candidate stack [i..j] and its line buffers per tile height."""
    n: int
    tiles_T: np.ndarray        # candidate tile heights (rows of the stack output)
    pair_i: np.ndarray         # P
    pair_j: np.ndarray         # P
    lb: np.ndarray             # P x nT: line-buffer bytes per image
    ntiles: np.ndarray         # P x nT
    io: np.ndarray             # P: DRAM bytes per image read + written at the boundary
    wsum: np.ndarray           # P: stack weight bytes (stored)
    by_j: list                 # j -> indices of pairs ending at j (i descending)
    single_io: np.ndarray      # per step: reads + write of the step alone (per image)
    size: np.ndarray           # per tensor bytes per image
    H: np.ndarray              # per tensor rows (0 if not C x H x W)
    rowbytes: np.ndarray       # per tensor bytes per row per image
    maps: list                 # per step: list of (tensor, scale, e_shift, lo_shift)
    readers: list              # per tensor: list of reading steps
    is_output: np.ndarray      # per tensor
    maps_in: list              # per step: tensors it reads
    read_pairs: tuple          # (tensor, reading step) arrays, one pair per read
    opts: dict = field(default_factory=dict)   # per batch: Options, candidates (cache)


_CACHE: OrderedDict = OrderedDict()


def stacks_of(fp, weight_bytes, tile_rows: int | None = None, cuts=None) -> Stacks:
    """The candidate stacks of a footprint (cached; tile heights from
    :data:`TILE_GRID`, or only ``tile_rows`` when the user pins it; no stack spans the
    boundary just before a layer named in ``cuts``)."""
    cut_steps = _cut_steps(fp, cuts)
    key = (id(fp.model), fp.width, fp.height, fp.channels, fp.activation_precision,
           fp.fusion, np.asarray(weight_bytes).tobytes(), tile_rows, cut_steps)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is fp.model:
        _CACHE.move_to_end(key)
        return hit[1]
    grid = TILE_GRID if tile_rows is None else np.array([float(tile_rows)])
    st = _build(fp, np.asarray(weight_bytes, dtype=np.float64), grid, cut_steps)
    _CACHE[key] = (fp.model, st)
    while len(_CACHE) > 16:
        _CACHE.popitem(last=False)
    return st


def _cut_steps(fp, cuts) -> frozenset:
    """Step indices a stack may not start after (a cut before step c forbids stacks
    holding both c-1 and c); InputError naming an unknown layer."""
    if not cuts:
        return frozenset()
    where = {layer.name: s.index for s in fp.steps for layer in s.layers}
    out = set()
    for name in cuts:
        if name not in where:
            raise InputError(f"stack_cuts: no layer named {name!r} in {fp.model.name}")
        out.add(where[name])
    return frozenset(out)


def _build(fp, wb, Tg, cuts=frozenset()) -> Stacks:
    steps, shapes = fp.steps, fp.shapes
    n = len(steps)
    size = fp.tensor_bytes.astype(np.float64) / fp.batch
    tshape = [fp.shapes["input"]] + [s.shape for s in steps]
    if len(tshape[0]) != 3:
        tshape[0] = (fp.channels, fp.height, fp.width)
    H = np.array([sh[1] if len(sh) == 3 else 0 for sh in tshape], dtype=np.float64)
    rowbytes = np.where(H > 0, size / np.maximum(H, 1), 0.0)
    readers = [[] for _ in range(n + 1)]
    for s in steps:
        for t in s.inputs:
            readers[t].append(s.index)
    is_output = np.array([len(r) == 0 for r in readers])
    is_output[0] = False
    fus = np.array([_fusable(s, shapes) for s in steps])
    name_id: dict = {}
    maps = []
    for s in steps:
        m: dict = {}

        def read(t, v):
            tid = 0 if t == "input" else name_id[t]
            o = m.get(tid)
            m[tid] = v if o is None else (v[0], max(v[1], o[1]), min(v[2], o[2]))
        a = s.anchor
        for t in a.inputs:
            read(t, (1.0, 1.0, 0.0) if a.op in ("add", "concat") or not fus[s.index] else
                 _mapping(a, shapes[a.inputs[0]], shapes[a.name]))
        for prev, layer in zip(s.layers, s.layers[1:]):    # fused elementwise layers
            for t in layer.inputs:
                if t != prev.name:
                    read(t, (1.0, 1.0, 0.0))
        assert set(m) == set(s.inputs)
        maps.append([(t, *v) for t, v in m.items()])
        for layer in s.layers:
            name_id[layer.name] = s.index + 1
    single_io = np.array([sum(size[t] for t in s.inputs) + size[s.index + 1] for s in steps])

    pi, pj, lbs, nts, ios, ws = [], [], [], [], [], []
    by_j = [[] for _ in range(n)]
    for j in range(n):
        if not fus[j] or H[j + 1] <= 0:
            continue
        E: dict = {}
        L: dict = {}
        term: dict = {}
        lb = np.zeros(len(Tg))
        ext_in = 0.0
        out = 0.0
        w = 0.0
        seen: set = set()
        Hout = H[j + 1]
        ntile = np.ceil(Hout / np.minimum(Tg, Hout))
        for s in range(j, max(j - MAX_STACK, -1), -1):
            if not fus[s] or (s < j and s + 1 in cuts):
                break
            o = s + 1
            sc_o = H[o] / Hout
            if o == j + 1 or is_output[o] or any(r > j for r in readers[o]):
                out += size[o]
                eb, lb0 = np.zeros(len(Tg)), -np.minimum(Tg, Hout) * sc_o
                if o in E:
                    E[o] = np.maximum(E[o], eb)
                    L[o] = np.minimum(L[o], lb0)
                else:
                    E[o], L[o] = eb, lb0
                new = np.minimum(H[o], np.ceil(E[o] - L[o] - 1e-9)) * rowbytes[o]
                lb += new - term.get(o, 0.0)
                term[o] = new
            if o in seen:
                ext_in -= size[o]
            w += wb[s]
            for t, sc, es, ls in maps[s]:
                e_in = sc * (E[o] - 1) + es
                lo_in = sc * L[o] + ls
                if t in E:
                    E[t] = np.maximum(E[t], e_in)
                    L[t] = np.minimum(L[t], lo_in)
                else:
                    E[t], L[t] = e_in, lo_in
                if t not in seen:
                    seen.add(t)
                    ext_in += size[t]
                new = np.minimum(H[t], np.ceil(E[t] - L[t] - 1e-9)) * rowbytes[t]
                lb += new - term.get(t, 0.0)
                term[t] = new
            if s < j:
                by_j[j].append(len(pi))
                pi.append(s)
                pj.append(j)
                lbs.append(lb.copy())
                nts.append(ntile)
                ios.append(ext_in + out)
                ws.append(w)
    P = len(pi)
    return Stacks(n, Tg.copy(), np.array(pi, dtype=np.int64),
                  np.array(pj, dtype=np.int64),
                  np.array(lbs).reshape(P, len(Tg)),
                  np.array(nts).reshape(P, len(Tg)), np.array(ios, dtype=np.float64),
                  np.array(ws, dtype=np.float64), by_j, single_io, size, H, rowbytes, maps,
                  readers, is_output, [list(s.inputs) for s in steps],
                  (np.array([t for t in range(n + 1) for _ in readers[t]], dtype=np.int64),
                   np.array([r for t in range(n + 1) for r in readers[t]], dtype=np.int64)))


#: tile heights tried (rows of the stack output; capped at the output height)
TILE_GRID = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
                      16384], dtype=np.float64)


# -- the dynamic program (every tensor between segments through DRAM) ---------------------
@dataclass
class Options:
    """Per candidate stack, its (tile height x weight mode) options sorted by working set,
    with the running minimum of their DRAM cost: the cheapest option that fits a working
    set of ``occ`` bytes is ``cmin[searchsorted(occ_s, occ, 'right') - 1]``."""
    occ_s: np.ndarray          # P x O, whole-batch bytes, ascending
    cmin: np.ndarray           # P x O, DRAM bytes per image
    opt: np.ndarray            # P x O, option index (mode * nT + tile index)
    blocks: list               # per last step j: the DP's precomputed search block
    top: float                 # largest working set of any option
    off: float                 # key offset between the rows of a search block
    by_row: list               # r -> pairs at row r of their search block


def options(st: Stacks, b: float) -> Options:
    hit = st.opts.get(b)
    if hit is None:
        hit = st.opts[b] = _options(st, b)
        while len(st.opts) > 64:
            st.opts.pop(next(iter(st.opts)))
    return hit


def _options(st: Stacks, b: float) -> Options:
    lb, nt = st.lb, st.ntiles
    W = st.wsum[:, None]
    occ = np.concatenate([lb + W, b * lb, lb], axis=1)
    w_cost = np.concatenate([np.broadcast_to(W / b, lb.shape), nt * W / b, nt * W], axis=1)
    cost = st.io[:, None] + w_cost
    order = np.argsort(occ, axis=1, kind="stable")
    occ_s = np.take_along_axis(occ, order, axis=1)
    cost_s = np.take_along_axis(cost, order, axis=1)
    cmin = np.minimum.accumulate(cost_s, axis=1) if len(cost_s) else cost_s
    pos = np.arange(cost_s.shape[1])
    arg = np.maximum.accumulate(np.where(cost_s == cmin, pos, 0), axis=1) \
        if len(cost_s) else cost_s.astype(np.int64)
    opt = np.take_along_axis(order, arg, axis=1)
    top = float(occ_s.max()) if occ_s.size else 0.0
    off = 2.0 * top + 1.0
    O = occ_s.shape[1]
    blocks = []
    for j in range(st.n):
        ps = np.asarray(st.by_j[j], dtype=np.int64)
        if not len(ps):
            blocks.append(None)
            continue
        rows = np.arange(len(ps))[:, None]
        # one searchsorted for every (stack, capacity): row r's keys offset by r * off
        blocks.append((ps, st.pair_i[ps], (occ_s[ps] + rows * off).ravel(), rows * off,
                       rows * O, cmin[ps].ravel(), opt[ps].ravel()))
    rows_of = np.zeros(len(occ_s), dtype=np.int64)
    for j in range(st.n):
        rows_of[st.by_j[j]] = np.arange(len(st.by_j[j]))
    by_row = [np.flatnonzero(rows_of == r) for r in range(int(rows_of.max(initial=-1)) + 1)]
    return Options(occ_s, cmin, opt, blocks, top, off, by_row)


def dp(st: Stacks, opts: Options, single_cost: np.ndarray, capacity) -> list:
    """Partitions minimising DRAM bytes per image with every tensor between segments
    spilled, one per capacity (working sets <= capacity). A partition is a tuple of
    (first_step, last_step, option) with option -1 for a single step."""
    C = np.atleast_1d(np.asarray(capacity, dtype=np.float64))
    G, n = len(C), st.n
    best = np.full((n + 1, G), np.inf)
    best[0] = 0.0
    argp = np.full((n + 1, G), -1, dtype=np.int64)
    argo = np.full((n + 1, G), -1, dtype=np.int64)
    if G == 1:
        return [_dp1(st, opts, single_cost, float(C[0]))]
    srt = np.argsort(C, kind="stable")
    M, first = _pair_table(st, opts, np.minimum(C[srt], opts.top))
    cols = np.arange(G)
    for j in range(n):
        c = best[j] + single_cost[j]
        ap = np.full(G, -1, dtype=np.int64)
        ao = ap.copy()
        blk = opts.blocks[j]
        if blk is not None:
            p0, p1 = int(blk[0][0]), int(blk[0][-1]) + 1     # pairs ending at j
            cst = M[p0:p1] + best[blk[1]]
            r = np.argmin(cst, axis=0)
            cbest = cst[r, cols]
            better = cbest < c
            if better.any():
                c = np.where(better, cbest, c)
                ap = np.where(better, p0 + r, ap)
                w = p0 + r[better]
                o = (first[w] <= cols[better, None]).sum(axis=1) - 1
                ao[better] = opts.opt[w, o]
        best[j + 1] = c
        argp[j + 1] = ap
        argo[j + 1] = ao
    argp[:, srt] = argp.copy()
    argo[:, srt] = argo.copy()
    parts = []
    for g in range(G):
        segs = []
        j = n
        while j > 0:
            p = argp[j, g]
            if p < 0:
                segs.append((j - 1, j - 1, -1))
                j -= 1
            else:
                i = int(st.pair_i[p])
                segs.append((i, j - 1, int(argo[j, g])))
                j = i
        parts.append(tuple(reversed(segs)))
    return parts


def _pair_table(st: Stacks, opts: Options, Cq: np.ndarray):
    """The DRAM cost of every candidate stack's cheapest option that fits, at each of the
    ascending capacities ``Cq`` (P x G, inf where none fits), and per option the first
    capacity it fits (P x O). The comparison is the one :func:`_dp1` makes, key and
    capacity offset by the stack's row in its search block (so both round alike)."""
    P, O = opts.occ_s.shape
    G = len(Cq)
    first = np.empty((P, O), dtype=np.int64)
    for r, ps in enumerate(opts.by_row):
        R = r * opts.off
        first[ps] = np.searchsorted(R + Cq, opts.occ_s[ps] + R, side="left")
    # each option's cost where it first fits (the last of equal places: the cheapest,
    # costs being non-increasing along options), then the running minimum over sizes
    last = np.ones((P, O), dtype=bool)
    last[:, :-1] = first[:, :-1] != first[:, 1:]
    A = np.full((P, G + 1), np.inf)
    A[np.nonzero(last)[0], first[last]] = opts.cmin[last]
    return np.minimum.accumulate(A, axis=1)[:, :G], first


def _dp1(st: Stacks, opts: Options, single_cost: np.ndarray, capacity: float) -> tuple:
    """:func:`dp` at one capacity (the same recursion, fewer array operations)."""
    n = st.n
    best = np.zeros(n + 1)
    choice = [(-1, -1)] * (n + 1)
    cq = min(capacity, opts.top)
    for j in range(n):
        c = best[j] + single_cost[j]
        ch = (-1, -1)
        blk = opts.blocks[j]
        if blk is not None:
            ps, pi, keys, roff, rO, cm, op = blk
            g = np.searchsorted(keys, roff[:, 0] + cq, side="right") - 1
            ok = g >= rO[:, 0]
            if ok.any():
                cst = np.where(ok, cm[g], np.inf) + best[pi]
                r = int(np.argmin(cst))
                if cst[r] < c:
                    c, ch = float(cst[r]), (int(ps[r]), int(op[g[r]]))
        best[j + 1] = c
        choice[j + 1] = ch
    segs = []
    j = n
    while j > 0:
        p, o = choice[j]
        if p < 0:
            segs.append((j - 1, j - 1, -1))
            j -= 1
        else:
            i = int(st.pair_i[p])
            segs.append((i, j - 1, o))
            j = i
    return tuple(reversed(segs))


# -- a partition evaluated with the collapsed layer-by-layer placement ---------------------
def _pair_index(st: Stacks, i: int, j: int) -> int:
    idx = st.opts.get("pairs")
    if idx is None:
        idx = st.opts["pairs"] = {(int(a), int(b)): p for p, (a, b) in
                                  enumerate(zip(st.pair_i.tolist(), st.pair_j.tolist()))}
    return idx[(i, j)]


@dataclass
class Collapsed:
    segs: tuple
    seg_of: np.ndarray          # per step: segment index
    tensors: np.ndarray         # external tensor ids
    t_size: np.ndarray          # per external tensor bytes per image
    t_first: np.ndarray
    t_last: np.ndarray
    t_readers: np.ndarray       # reading segments
    t_benefit: np.ndarray
    r: np.ndarray               # thresholds (per image) of external tensors
    pseudo_occ: np.ndarray      # per segment: stack working set (whole batch), 0 if single
    stack_w_traffic: np.ndarray  # per step: DRAM weight bytes per image of stack steps
    ntiles: np.ndarray          # per step: tiles (1 for single steps)
    tile_rows: np.ndarray       # per segment
    mode: list                  # per segment
    w_pin: np.ndarray           # per step: pinnable weight bytes (single steps)
    w_rank: np.ndarray
    W: np.ndarray
    base: float                 # DRAM per image with every external tensor spilled,
                                # no weight pinned
    r_sorted: np.ndarray
    cum_benefit: np.ndarray
    max_pseudo: float           # whole-batch bytes
    fixed_pin: float            # stack weights pinned for the run (``pin_stacks``)
    stack_pinned: np.ndarray    # per step: weights pinned with its stack
    no_w: np.ndarray            # per step: no weights
    attribution: tuple | None = None   # cache of _attribution (per batch)


@dataclass
class _Structure:
    """What a collapsed partition is regardless of the batch (shared by every batch of
    a sweep): segments, external tensors and their spans, the weights that can be
    pinned; the per-stack figures the batch turns into working sets and weight
    traffic (:func:`collapse`)."""
    seg_of: np.ndarray
    tensors: np.ndarray
    t_size: np.ndarray
    t_first: np.ndarray
    t_last: np.ndarray
    t_readers: np.ndarray
    t_benefit: np.ndarray
    order_ext: np.ndarray       # the placement's priority order of external tensors
    base_io: float              # DRAM per image, every external tensor spilled
    benefit_total: float
    ntiles: np.ndarray
    tile_rows: np.ndarray
    mode: list
    w_pin: np.ndarray
    w_rank: np.ndarray
    W: np.ndarray
    fixed_pin: float
    stack_pinned: np.ndarray
    no_w: np.ndarray
    st_seg: np.ndarray          # per stack: segment, mode, line buffer, weights
    st_mode: np.ndarray
    st_lb: np.ndarray
    st_W: np.ndarray
    w_per_tile: np.ndarray      # per step: tiles of a stack re-reading weights per tile
    w_per_tile_batch: np.ndarray  # per step: True if shared by the batch (mode 1)
    w_tiled: np.ndarray         # per step: weight bytes of those stacks


def _structure(st: Stacks, wb: np.ndarray, segs: tuple, pin_stacks: bool) -> _Structure:
    memo = st.opts.setdefault("structure", {})
    key = (segs, pin_stacks)
    hit = memo.get(key)
    if hit is None:
        if len(memo) > 2048:
            memo.clear()
        hit = memo[key] = _build_structure(st, wb, segs, pin_stacks)
    return hit


def _build_structure(st: Stacks, wb: np.ndarray, segs: tuple, pin_stacks: bool):
    n = st.n
    m = len(segs)
    seg_of = np.empty(n, dtype=np.int64)
    for k, (i, j, _) in enumerate(segs):
        seg_of[i:j + 1] = k
    nT = len(st.tiles_T)
    ntiles = np.ones(n)
    tile_rows = np.zeros(m)
    modes = []
    w_pin = wb.copy()
    stack_pinned = np.zeros(n, dtype=bool)
    fixed_pin = 0.0
    sk, smode, slb, sW = [], [], [], []
    per_tile = np.zeros(n)
    per_tile_batch = np.zeros(n, dtype=bool)
    for k, (i, j, o) in enumerate(segs):
        if o < 0:
            modes.append("single")
            continue
        p = _pair_index(st, i, j)
        mode, ti = divmod(o, nT)
        modes.append(MODES[mode])
        nt = st.ntiles[p, ti]
        W = st.wsum[p]
        sk.append(k)
        smode.append(mode)
        slb.append(st.lb[p, ti])
        sW.append(W)
        tile_rows[k] = min(st.tiles_T[ti], st.H[j + 1])
        ntiles[i:j + 1] = nt
        if pin_stacks:          # the stack's weights pinned for the whole run
            fixed_pin += W
            stack_pinned[i:j + 1] = wb[i:j + 1] > 0
            w_pin[i:j + 1] = 0.0
            modes[-1] = "pinned"
        elif mode > 0:          # re-read per tile: never pinned
            per_tile[i:j + 1] = nt
            per_tile_batch[i:j + 1] = mode == 1
            w_pin[i:j + 1] = 0.0
    # the segments reading each tensor, other than its producer's
    prod = np.concatenate(([-1], seg_of))
    rt, rs = st.read_pairs
    rseg = seg_of[rs]
    other = rseg != prod[rt]
    key = np.unique(rt[other] * (m + 1) + rseg[other])
    kt, ks = np.divmod(key, m + 1)
    rd_all = np.bincount(kt, minlength=n + 1)
    last_all = np.maximum(prod, 0)
    np.maximum.at(last_all, kt, ks)
    keep = (rd_all > 0) | st.is_output
    keep[0] = True
    ext = np.flatnonzero(keep)
    size = st.size[ext]
    first = np.maximum(prod, 0)[ext]
    last = last_all[ext]
    rd = rd_all[ext]
    is_out = st.is_output[ext]
    benefit = size * (1 + rd)
    benefit[ext == 0] = size[ext == 0] * np.maximum(rd[ext == 0] - 1, 0)
    benefit[is_out] = 0.0
    base_io = (np.where(ext == 0, size * rd, 0).sum()
               + (size * (1 + rd))[(ext > 0) & ~is_out].sum() + size[is_out].sum())
    T = len(ext)
    span = last - first
    order_ext = np.lexsort((np.arange(T), span, size, benefit <= 0))
    nz = np.flatnonzero(w_pin > 0)
    w_order = nz[np.lexsort((nz, w_pin[nz]))]
    w_rank = np.full(n, -1, dtype=np.int64)
    w_rank[w_order] = np.arange(len(w_order))
    W = np.concatenate(([0.0], np.cumsum(w_pin[w_order])))
    return _Structure(seg_of, ext, size, first, last, rd, benefit, order_ext, base_io,
                      float(benefit.sum()), ntiles, tile_rows, modes, w_pin, w_rank, W,
                      fixed_pin, stack_pinned, wb <= 0, np.array(sk, dtype=np.int64),
                      np.array(smode, dtype=np.int64), np.array(slb, dtype=np.float64),
                      np.array(sW, dtype=np.float64), per_tile, per_tile_batch,
                      np.where(per_tile > 0, wb, 0.0))


def _batch_part(sr: _Structure, m: int, b: float, pin_stacks: bool):
    """(stack working sets per segment, stack weight traffic per step, base DRAM per
    image) of a structure at batch ``b``."""
    pseudo = np.zeros(m)
    occ = np.where(sr.st_mode == 0, sr.st_lb + sr.st_W,
                   np.where(sr.st_mode == 1, b * sr.st_lb, sr.st_lb))
    if pin_stacks:
        occ = np.where(sr.st_mode == 0, occ - sr.st_W, occ)
    pseudo[sr.st_seg] = occ
    stack_w = sr.w_tiled * np.where(sr.w_per_tile_batch, sr.w_per_tile / b, sr.w_per_tile)
    return pseudo, stack_w, float(sr.base_io + stack_w.sum())


def collapse(st: Stacks, wb: np.ndarray, segs: tuple, b: float,
             pin_stacks: bool = False) -> Collapsed:
    sr = _structure(st, wb, segs, pin_stacks)
    m = len(segs)
    pseudo, stack_w, base = _batch_part(sr, m, b, pin_stacks)
    size, first, last, benefit = sr.t_size, sr.t_first, sr.t_last, sr.t_benefit
    # pseudo tensors first, then the placement's priority order
    T = len(sr.tensors)
    ps = np.flatnonzero(pseudo > 0)
    all_size = np.concatenate([size, pseudo[ps] / b])
    all_first = np.concatenate([first, ps])
    all_last = np.concatenate([last, ps])
    order = np.concatenate([T + np.arange(len(ps)), sr.order_ext])
    r_all = thresholds(order, all_first, all_last, all_size, m)
    r = r_all[:T]
    by_r = np.argsort(r, kind="stable")
    return Collapsed(segs, sr.seg_of, sr.tensors, size, first, last, sr.t_readers, benefit,
                     r, pseudo, stack_w, sr.ntiles, sr.tile_rows, sr.mode, sr.w_pin,
                     sr.w_rank, sr.W, base, r[by_r],
                     np.concatenate(([0.0], np.cumsum(benefit[by_r]))),
                     float(pseudo.max()) if m else 0.0, sr.fixed_pin, sr.stack_pinned,
                     sr.no_w)


def collapsed_cost(cp: Collapsed, capacity, b: float):
    """(DRAM bytes per image, pinned count k) at each capacity; inf where a stack's
    working set does not fit."""
    C = np.atleast_1d(np.asarray(capacity, dtype=np.float64))
    A = C[:, None] - cp.fixed_pin - cp.W[None, :]        # G x (K+1)
    per = np.maximum(A, 0) / b
    idx = np.searchsorted(cp.r_sorted, per, side="right")
    saved = cp.cum_benefit[idx]
    cost = cp.base + (cp.W[-1] - cp.W[None, :]) / b - saved
    cost = np.where((A >= 0) & (A >= cp.max_pseudo), cost, np.inf)
    k = np.argmin(cost, axis=1)
    return cost[np.arange(len(C)), k], k


# -- choosing the schedule ----------------------------------------------------------------
class _Lazy:
    """The collapsed placements of a candidate list, built when first asked for."""

    def __init__(self, st, wb, keys, b, memo):
        self.st, self.wb, self.keys, self.b, self.memo = st, wb, keys, b, memo

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, i):
        key = self.keys[i]
        cp = self.memo.get(key)
        if cp is None:
            cp = self.memo[key] = collapse(self.st, self.wb, key[0], self.b, key[1])
        return cp

    def __iter__(self):
        return (self[i] for i in range(len(self)))


@dataclass
class Candidates:
    """Partitions found by the DP and their collapsed placements (one batch; built on
    demand: :func:`best_of` at one capacity builds only those its bound cannot skip)."""
    parts: list
    collapsed: _Lazy


def ladder(st: Stacks, b: float) -> np.ndarray:
    """The capacities the DP is run at: 0 and :data:`LADDER_PER_DECADE` log-spaced
    sizes per decade from the smallest to the largest working set of any stack option
    (independent of the SRAM size asked about: whatever size is asked, the partitions
    found on the ladder are candidates, so the figures never rise with SRAM)."""
    occ = options(st, b).occ_s
    occ = occ[occ > 0]
    if not occ.size:
        return np.zeros(1)
    lo, hi = float(occ.min()), float(occ.max())
    k = max(2, int(math.ceil(LADDER_PER_DECADE * math.log10(max(hi / lo, 10.0)))) + 1)
    return np.concatenate(([0.0], np.geomspace(lo, hi, k)))


LADDER_PER_DECADE = 48


def candidates(st: Stacks, wb: np.ndarray, b: float, capacities=()) -> Candidates:
    """Every partition the DP finds on the :func:`ladder` and at ``capacities`` (the
    sizes asked about), with their collapsed placements (cached per stacks and batch)."""
    opts = options(st, b)
    single = st.single_io + wb / b
    key = ("ladder", b)
    base = st.opts.get(key)
    if base is None:
        base = st.opts[key] = list(dict.fromkeys(dp(st, opts, single, ladder(st, b))))
    extra = np.unique(np.maximum(np.asarray(capacities, dtype=np.float64).ravel(), 0))
    parts = list(dict.fromkeys(base + (dp(st, opts, single, extra) if extra.size else [])))
    memo = st.opts.setdefault(("collapsed", b), {})
    if len(memo) > 4096:
        memo.clear()
    keys = [(p, False) for p in parts] + [(p, True) for p in parts
                                           if any(o >= 0 for _, _, o in p)]
    return Candidates([key[0] for key in keys], _Lazy(st, wb, keys, b, memo))


def best_of(cands: Candidates, capacity, b: float, exhaustive: bool = False):
    """(cost per image, candidate index, k) minimising over the candidates; among equal
    costs the one with the lower bound below, then the first. Candidates are tried
    cheapest lower bound first (everything kept and pinned) and skipped once that bound
    cannot beat the best found, or where no stack fits. At one capacity a cheaper bound
    (every external tensor kept, no thresholds needed) skips candidates before their
    placement is built; ``exhaustive`` builds and bounds every one (the reference the
    tests compare with)."""
    C = np.atleast_1d(np.asarray(capacity, dtype=np.float64))
    if len(C) == 1 and not exhaustive:
        return _best_at(cands, float(C[0]), b)
    G = len(C)
    best = np.full(G, np.inf)
    ci = np.zeros(G, dtype=np.int64)
    kb = np.zeros(G, dtype=np.int64)
    need = np.array([cp.fixed_pin + cp.max_pseudo for cp in cands.collapsed])
    cmax = C.max() if G else 0.0
    if G == 1:
        lows = np.array([_low(cp, float(C[0]), b) for cp in cands.collapsed])
    else:
        lows = np.array([cp.base - cp.cum_benefit[-1] for cp in cands.collapsed])
    for i in np.argsort(lows, kind="stable"):
        if need[i] > cmax or lows[i] == np.inf:
            continue
        if np.all(lows[i] >= best):
            break
        c, k = collapsed_cost(cands.collapsed[i], C, b)
        better = c < best
        if better.any():
            best = np.where(better, c, best)
            ci = np.where(better, i, ci)
            kb = np.where(better, k, kb)
    return best, ci, kb


def _low(cp: Collapsed, c0: float, b: float) -> float:
    """A bound at capacity ``c0``: the most the candidate could pin and keep there."""
    A0 = c0 - cp.fixed_pin
    if A0 < cp.max_pseudo:
        return np.inf
    kmax = int(np.searchsorted(cp.W, A0 - cp.max_pseudo, side="right")) - 1
    return (cp.base + (cp.W[-1] - cp.W[kmax]) / b
            - cp.cum_benefit[np.searchsorted(cp.r_sorted, A0 / b, side="right")])


def _best_at(cands: Candidates, c0: float, b: float):
    """:func:`best_of` at one capacity, with the same choice: the least (cost, bound,
    index). A looser bound that needs no placement (:func:`_loose_low`) orders the
    candidates; one whose loose bound exceeds the best cost found cannot win or tie."""
    lazy = cands.collapsed
    loose = np.array([_loose_low(lazy, key, c0, b) for key in lazy.keys])
    best, win = np.inf, (np.inf, np.inf, 0, 0)
    for i in np.argsort(loose, kind="stable").tolist():
        if loose[i] == np.inf or loose[i] > best:
            break
        cp = lazy[i]
        if cp.fixed_pin + cp.max_pseudo > c0:
            continue
        low = _low(cp, c0, b)
        if low == np.inf:
            continue
        c, k = collapsed_cost(cp, c0, b)
        if (c[0], low, i) < win[:3]:
            win = (float(c[0]), low, i, int(k[0]))
        best = min(best, float(c[0]))
    if win[0] == np.inf:
        return np.full(1, np.inf), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    return np.full(1, win[0]), np.full(1, win[2], dtype=np.int64), \
        np.full(1, win[3], dtype=np.int64)


def _loose_low(lazy: _Lazy, key: tuple, c0: float, b: float) -> float:
    """A bound below :func:`_low` from the batch-free structure: every external tensor
    that fits beside the working sets of the segments it spans kept (less a margin for
    the order of summation)."""
    memo = lazy.st.opts.setdefault(("bounds", b), {})
    parts = memo.get(key)
    if parts is None:
        if len(memo) > 2048:
            memo.clear()
        parts = memo[key] = _bound_parts(lazy, key, b)
    base, mp, fixed_pin, W, need, saved_upto = parts
    A0 = c0 - fixed_pin
    if A0 < mp or fixed_pin + mp > c0:
        return np.inf
    kmax = int(np.searchsorted(W, A0 - mp, side="right")) - 1
    w = (W[-1] - W[kmax]) / b
    saved = saved_upto[np.searchsorted(need, A0 / b, side="right")]
    return base + w - saved - 1e-9 * (abs(base) + w + saved)


def _bound_parts(lazy: _Lazy, key: tuple, b: float) -> tuple:
    """What :func:`_loose_low` needs of a candidate at batch ``b``: base DRAM, largest
    working set, pinned stack weights, the weight ladder, and per external tensor the
    least per-image capacity it could be kept at (ascending) with the benefit of all
    tensors up to it."""
    segs, pin = key
    sr = _structure(lazy.st, lazy.wb, segs, pin)
    pseudo, _, base = _batch_part(sr, len(segs), b, pin)
    mp = float(pseudo.max()) if len(segs) else 0.0
    cols = np.arange(len(segs))
    span = (cols >= sr.t_first[:, None]) & (cols <= sr.t_last[:, None])
    under = np.where(span, (pseudo / b)[None, :], 0.0).max(axis=1) \
        if len(segs) else np.zeros(len(sr.t_size))
    need = under + sr.t_size
    order = np.argsort(need, kind="stable")
    return (base, mp, sr.fixed_pin, sr.W, need[order],
            np.concatenate(([0.0], np.cumsum(sr.t_benefit[order]))))


def floor_bytes(size_in: float, size_out: float, weight_total: float, capacity, b):
    """The floor of the module docstring: bytes per image."""
    C = np.maximum(np.asarray(capacity, dtype=np.float64), 0.0)
    return size_in + size_out + np.maximum(weight_total - C, 0.0) / np.asarray(b, float)


@dataclass
class DFResult:
    """One depth-first point, as plain data (whole-batch bytes unless per image). Its DRAM
    figures are those of :func:`evaluate` (``traffic``, ``step_dram_bytes``)."""
    segs: tuple
    stack: np.ndarray               # per step: segment index
    line_buffer_bytes: np.ndarray   # per step (whole batch)
    stacks: list                    # per multi-step stack: dict (module docstring)
    kept: np.ndarray                # per tensor (0..n): never leaves SRAM (kept whole
                                    # between segments, or inside a stack)
    pinned: np.ndarray              # per step: weights pinned for the run (or none)
    ntiles: np.ndarray              # per step
    sram_used_peak_bytes: float     # pinned + kept + working sets (+ staging, added later)
    sram_per_step: np.ndarray       # per step: resident bytes (staging not included)
    weights_in_sram_bytes: float    # pinned for the run
    activations_in_sram_bytes: float  # peak of kept tensors + stack working sets


def line_buffers(st: Stacks, i: int, j: int, ti: int) -> np.ndarray:
    """Per step of [i..j]: line-buffer bytes per image at tile option ``ti``."""
    memo = st.opts.setdefault("line_buffers", {})
    hit = memo.get((i, j, ti))
    if hit is None:
        hit = memo[(i, j, ti)] = _line_buffers(st, i, j, ti)
    return hit


def _line_buffers(st: Stacks, i: int, j: int, ti: int) -> np.ndarray:
    p = _pair_index(st, i, j)
    Hout = st.H[j + 1]
    T = min(st.tiles_T[ti], Hout)
    E, L = {}, {}
    for s in range(j, i - 1, -1):
        o = s + 1
        if o == j + 1 or st.is_output[o] or any(r > j for r in st.readers[o]):
            eb, lb0 = 0.0, -T * st.H[o] / Hout
            E[o], L[o] = (max(E[o], eb), min(L[o], lb0)) if o in E else (eb, lb0)
        for t, sc, es, ls in st.maps[s]:
            e_in, lo_in = sc * (E[o] - 1) + es, sc * L[o] + ls
            E[t], L[t] = (max(E[t], e_in), min(L[t], lo_in)) if t in E else (e_in, lo_in)
    out = np.zeros(j - i + 1)
    for t in E:
        b = min(st.H[t], math.ceil(E[t] - L[t] - 1e-9)) * st.rowbytes[t]
        at = t - 1 if t - 1 >= i else min(r for r in st.readers[t] if i <= r <= j)
        out[at - i] += b
    assert abs(out.sum() - st.lb[p, ti]) <= 1e-6 * max(1.0, out.sum())
    return out


def detail(st: Stacks, cp: Collapsed, k: int, capacity: float, b: float,
           wb: np.ndarray) -> DFResult:
    n, m = st.n, len(cp.segs)
    A = capacity - cp.fixed_pin - cp.W[k]
    kept_ext = cp.r <= A / b
    kept = np.zeros(n + 1, dtype=bool)
    kept[cp.tensors[kept_ext]] = True
    kept[np.setdiff1d(np.arange(n + 1), cp.tensors)] = True   # inside a stack: on chip
    pinned = ((cp.w_rank < k) & (cp.w_pin > 0)) | cp.stack_pinned | cp.no_w
    # line buffers, stacks and SRAM per segment
    nT = len(st.tiles_T)
    lbuf = np.zeros(n)
    stacks = []
    for sg, (i, j, o) in enumerate(cp.segs):
        if o < 0:
            continue
        mode, ti = divmod(o, nT)
        per = line_buffers(st, i, j, ti)
        mult = b if MODES[mode] == "per_tile" else 1.0
        lbuf[i:j + 1] = per * mult
        stacks.append({"first_step": i, "last_step": j,
                       "tile_rows": int(cp.tile_rows[sg]), "tiles": int(cp.ntiles[i]),
                       "weights": cp.mode[sg], "weight_bytes": float(wb[i:j + 1].sum()),
                       "line_buffer_bytes": float(per.sum() * mult),
                       "sram_bytes": float(cp.pseudo_occ[sg])})
    live = np.zeros(m)
    for q in np.flatnonzero(kept_ext):
        live[cp.t_first[q]:cp.t_last[q] + 1] += cp.t_size[q] * b
    act_use = live + cp.pseudo_occ
    seg_use = act_use + cp.W[k] + cp.fixed_pin
    per_step = seg_use[cp.seg_of]
    return DFResult(cp.segs, cp.seg_of.copy(), lbuf, stacks, kept, pinned,
                    cp.ntiles.copy(), float(seg_use.max()) if m else 0.0, per_step,
                    float(cp.W[k] + cp.fixed_pin), float(act_use.max()) if m else 0.0)


# -- vectorised figures of the chosen schedules (analysis and sweeps) ----------------------
def _attribution(st: Stacks, cp: Collapsed, b: float):
    """Matrices turning kept/spilled external tensors into per-step DRAM bytes (whole
    batch): reads if spilled, reads if kept (the model input, once), writes if spilled,
    and fixed writes (model outputs); and per external tensor x segment liveness."""
    n, T, m = st.n, len(cp.tensors), len(cp.segs)
    Rs = np.zeros((T, n))
    Rk = np.zeros((T, n))
    Ws = np.zeros((T, n))
    fixed = np.zeros(n)
    live = np.zeros((T, m))
    for q, t in enumerate(cp.tensors.tolist()):
        sz = cp.t_size[q] * b
        prod = -1 if t == 0 else int(cp.seg_of[t - 1])
        if t > 0:
            if st.is_output[t]:
                fixed[t - 1] += sz
            else:
                Ws[q, t - 1] = sz
        seen = set()
        for r in st.readers[t]:
            sg = int(cp.seg_of[r])
            if sg == prod or sg in seen:
                continue
            if not seen and t == 0:
                Rk[q, r] = sz
            seen.add(sg)
            Rs[q, r] += sz
        live[q, cp.t_first[q]:cp.t_last[q] + 1] = sz
    return Rs, Rk, Ws, fixed, live


def figures(st: Stacks, cp: Collapsed, k: np.ndarray, capacity: np.ndarray, b: float,
            chip=None, sram=None):
    """Per grid point (G) for one candidate: kept (G x T_ext), pinned (G x n), per-step
    DRAM bytes (G x n, whole batch), traffic kinds and SRAM use. On a chip that counts
    tiling re-reads (``chip.tiling``), single steps pay them as layer by layer does
    (:func:`engine.perf.tiling_rereads` with the SRAM ``sram``); stacks do not (their
    tiles are the line buffers)."""
    A = capacity - cp.fixed_pin - cp.W[k]
    kept = cp.r[None, :] <= (A / b)[:, None]
    spilled = ~kept
    pinned = ((cp.w_rank[None, :] < k[:, None]) & (cp.w_pin > 0)[None, :]) \
        | (cp.stack_pinned | cp.no_w)[None, :]
    if cp.attribution is None:
        cp.attribution = _attribution(st, cp, b)
    Rs, Rk, Ws, fixed, live = cp.attribution
    sb = spilled @ (Rs + Ws) + kept @ Rk + fixed
    sb = sb + cp.w_pin * ~pinned + cp.stack_w_traffic * b
    extra = {}
    if chip is not None and getattr(chip, "tiling", False):
        single = np.array([o < 0 for _, _, o in cp.segs])[cp.seg_of]
        in_all = np.array([sum(st.size[t] for t in st.maps_in[s]) for s in range(st.n)]) * b
        in_dram = spilled @ Rs + kept @ Rk
        w_again, in_again = perf.tiling_rereads(cp.w_pin, ~pinned, in_all, in_dram, sram)
        w_again, in_again = w_again * single, in_again * single
        sb = sb + w_again + in_again
        extra = {"weight_rereads": w_again.sum(axis=1) / b,
                 "activation_rereads": in_again.sum(axis=1) / b}
    ext, size = cp.tensors, cp.t_size
    is_out = st.is_output[ext]
    inter = (ext > 0) & ~is_out
    inp = ext == 0
    traffic = {
        "input": (np.where(kept[:, inp], 1.0, cp.t_readers[inp]) * size[inp]).sum(axis=1),
        "weights": (cp.w_pin * ~pinned).sum(axis=1) / b + cp.stack_w_traffic.sum(),
        "activation_writes": (spilled * (size * inter)).sum(axis=1),
        "activation_reads": (spilled * (size * cp.t_readers * inter)).sum(axis=1),
        "output": np.full(len(k), size[is_out].sum()),
        **extra,
    }
    acts = kept @ live + cp.pseudo_occ                       # G x m
    peak = acts.max(axis=1) if acts.shape[1] else np.zeros(len(k))
    w = cp.W[k] + cp.fixed_pin
    return {"kept": kept, "pinned": pinned, "step_bytes": sb, "traffic": traffic,
            "sram_used": w + peak, "weights_in_sram": w, "activations_in_sram": peak}


def _with_tiling(st, cands, cost, ci, cap, sram, b, chip, top: int = 8):
    """On a chip that charges tiling re-reads, re-rank candidates by their DRAM with
    the re-reads: the winners at any point (and, at a single point, the ``top`` best
    by the cost without them) are evaluated at every point, so the choice still never
    gets worse as SRAM grows."""
    G = len(cap)
    pool = set(np.unique(ci[np.isfinite(cost)]).tolist())
    if G == 1:
        raw = np.array([collapsed_cost(cp, cap, b)[0][0] for cp in cands.collapsed])
        pool |= set(np.argsort(raw)[:top].tolist())
    best = np.full(G, np.inf)
    bci = np.zeros(G, dtype=np.int64)
    bk = np.zeros(G, dtype=np.int64)
    for c in sorted(pool):
        cp = cands.collapsed[c]
        cc, kc = collapsed_cost(cp, cap, b)
        ok = np.isfinite(cc)
        if not ok.any():
            continue
        f = figures(st, cp, kc[ok], cap[ok], b, chip, sram[ok])
        true = np.full(G, np.inf)
        true[ok] = sum(f["traffic"].values())
        win = true < best
        best = np.where(win, true, best)
        bci = np.where(win, c, bci)
        bk = np.where(win, kc, bk)
    return best, bci, bk


def choose(fp, prep, capacity, batch, tile_rows=None, cuts=None):
    """For each grid point (flattened capacity and batch): the cheapest candidate.
    Returns the stacks and, per distinct batch, (batch, point indices, candidates,
    cost per image, candidate index, pinned count k)."""
    st = stacks_of(fp, prep.stored_weight_bytes, tile_rows, cuts)
    wb = np.asarray(prep.stored_weight_bytes, dtype=np.float64)
    C = np.asarray(capacity, dtype=np.float64).ravel()
    B = np.asarray(batch, dtype=np.float64).ravel()
    out = []
    for bv in np.unique(B):
        sel = np.flatnonzero(B == bv)
        cands = candidates(st, wb, float(bv), C[sel])
        cost, ci, k = best_of(cands, C[sel], float(bv))
        out.append((float(bv), sel, cands, cost, ci, k))
    return st, out


def evaluate(prep, fp, chip, sram_bytes, batch, client_batch, overlap: bool, rate: float,
             lbl: dict, schedule: str = "depth_first", tile_rows=None, cuts=None,
             per_step: bool = True) -> dict:
    """The figures of :func:`engine.analysis.evaluate` (``lbl``: its layer-by-layer
    result on the same grid) for ``schedule``, plus ``dram_lower_bound_bytes_per_image``
    and ``sram_used_peak_bytes`` on the grid, ``depth_first`` (bool: a fused schedule
    beats layer by layer there) and, for a grid of one point, ``df`` (a
    :class:`DFResult`, or None where layer by layer is kept)."""
    C, b, n = np.broadcast_arrays(np.asarray(sram_bytes, dtype=np.float64),
                                  np.asarray(batch, dtype=np.float64),
                                  np.asarray(client_batch, dtype=np.float64))
    shape = C.shape
    Cf, bf, nf = C.ravel(), b.ravel(), n.ravel()
    stage = np.broadcast_to(np.asarray(lbl["staging_bytes"], dtype=np.float64),
                            shape).ravel()          # engine.analysis.usable's reserve
    Ceff = Cf - stage
    calls = np.ceil(nf / bf)
    pad = calls * bf / nf
    out = {k: (np.array(v).reshape(-1) if k not in ("placement", "traffic") else v)
           for k, v in lbl.items()}
    out["traffic"] = {k: np.array(v, dtype=float).reshape(-1) for k, v in lbl["traffic"].items()}
    out["fits"] = np.asarray(lbl["fits"]).reshape(-1).copy()
    ps = ("step_dram_bytes", "compute_s", "memory_s", "time_s", "utilisation")
    for k in ps:
        if k in out:
            out[k] = np.array(lbl[k], dtype=float).reshape(len(Cf), -1)
    size, pm = prep.pm.size, prep.pm
    floor = floor_bytes(size[0], size[pm.is_output].sum(), pm.weight_total, Ceff, bf) * pad
    used = out["sram_used_peak_bytes"].astype(float)
    dfmask = np.zeros(len(Cf), dtype=bool)
    df_detail = None
    if schedule == "depth_first" and not chip.sram_split \
            and getattr(chip, "execution", "sequential") != "pipelined":
        from .analysis import timing        # (analysis imports this module)
        lbl_dram = out["dram_bytes_per_image"]
        st, groups = choose(fp, prep, Ceff, bf, tile_rows, cuts)
        wb = np.asarray(prep.stored_weight_bytes, dtype=np.float64)
        for bv, sel, cands, cost, ci, k in groups:
            if getattr(chip, "tiling", False):
                cost, ci, k = _with_tiling(st, cands, cost, ci, Ceff[sel], Cf[sel], bv, chip)
            better = cost * pad[sel] < lbl_dram[sel] * (1 - 1e-12)
            for c in np.unique(ci[better]):
                pts = sel[better & (ci == c)]
                kk = k[better & (ci == c)]
                cp = cands.collapsed[c]
                f = figures(st, cp, kk, Ceff[pts], bv, chip, Cf[pts])
                p = pad[pts]
                if "weight_rereads" in f["traffic"]:   # re-reads may tip the balance
                    win = sum(f["traffic"].values()) * p < lbl_dram[pts]
                    if not win.any():
                        continue
                    pts, kk, p = pts[win], kk[win], p[win]
                    f = {key: ({k2: v2[win] for k2, v2 in v.items()} if key == "traffic"
                               else v[win]) for key, v in f.items()}
                dfmask[pts] = True
                for name in out["traffic"]:         # kinds of the chip's model that
                    out["traffic"][name][pts] = (      # stacks do not have (re-reads): 0
                        f["traffic"][name] * p if name in f["traffic"] else 0.0)
                dram = sum(f["traffic"].values()) * p
                out["dram_bytes_per_image"][pts] = dram
                out["weights_in_sram_bytes"][pts] = f["weights_in_sram"]
                out["activations_in_sram_bytes"][pts] = f["activations_in_sram"]
                used[pts] = f["sram_used"] + stage[pts]
                out["placement_exact"][pts] = False           # the threshold rule
                out["placement_gap_bytes_per_image"][pts] = np.nan
                acts = f["traffic"]["activation_writes"] + f["traffic"]["weights"]
                out["fits"][pts] = acts <= 0
                tm = timing(prep, chip, f["step_bytes"], bv, nf[pts], rate, overlap,
                            (cp.ntiles - 1) * chip.layer_overhead_us * 1e-6)
                compute_s, util, memory_s, time_s, call_s, lat, thr = (tm[key] for key in (
                    "compute_s", "utilisation", "memory_s", "time_s", "call_s",
                    "latency_s", "throughput_ips"))
                out["call_s"][pts] = call_s
                out["latency_s"][pts] = lat
                out["throughput_ips"][pts] = thr
                out["energy_j_per_image"][pts] = perf.energy_j(
                    dram, out["sram_bytes_accessed_per_image"][pts], chip)
                out["compute_bound_share"][pts] = (compute_s >= memory_s).mean(axis=-1)
                if per_step:
                    out["step_dram_bytes"][pts] = f["step_bytes"] / bv
                    out["compute_s"][pts] = compute_s
                    out["memory_s"][pts] = memory_s
                    out["time_s"][pts] = time_s
                    out["utilisation"][pts] = np.broadcast_to(util, (len(pts), util.shape[-1]))
                if len(Cf) == 1:
                    df_detail = detail(st, cp, int(kk[0]), float(Ceff[0]), bv, wb)
    res = {}
    for key, v in out.items():
        if key == "placement":
            res[key] = v
        elif key == "traffic":
            res[key] = {k2: v2.reshape(shape) for k2, v2 in v.items()}
        elif key in ps:
            res[key] = v.reshape(shape + (v.shape[-1],))
        else:
            res[key] = v.reshape(shape)
    res["depth_first"] = dfmask.reshape(shape)
    res["dram_lower_bound_bytes_per_image"] = floor.reshape(shape)
    res["sram_used_peak_bytes"] = used.reshape(shape)
    res["staging_bytes"] = stage.reshape(shape)
    res["df"] = df_detail
    return res
