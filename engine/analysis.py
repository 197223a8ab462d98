"""``analyze(scenario)``: a model on a chip - placement, DRAM traffic, speed, cost.

The chip-independent part is the :class:`~engine.footprint.Footprint`; this module
adds the chip. :func:`evaluate` is vectorised over any grid of SRAM capacities and
batch sizes and is shared by :class:`Analysis` (a grid of one point) and the sweeps,
so a sweep point and an analysis of the same scenario agree exactly when both use the
threshold rule. :class:`Analysis` places its one point exactly (policy ``optimal``:
:func:`engine.placement.place_exact`); sweeps use the threshold rule unless asked
(``exact=True``) and mark every point's ``placement_exact`` and gap bound.

SRAM use: the chip's staging space (``Chip.staging_bytes``, at most the capacity) is
taken out before placement; ``sram_used_peak_bytes`` = staging + pinned weights + the
peak of kept activations, never above the capacity.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, fields

import numpy as np

from . import calibration, depthfirst, perf, placement, traffic, winograd
from .chip import Chip
from .footprint import MAX_BATCH, Footprint
from .scenario import Scenario, check_scenario, check_sram_mb, resolve_chip, resolve_model


@dataclass
class Prepared:
    """Everything about a model at one size/precision/Winograd setting that does not
    depend on the chip, the SRAM size or the batch."""
    pm: placement.PlacementModel
    tm: traffic.TrafficModel
    geo: perf.Geometry
    stored_weight_bytes: np.ndarray   # per step, after Winograd expansion
    wino: np.ndarray                  # per step: Winograd applied
    act_io_per_image: float           # activation bytes read + written per image (SRAM;
                                      # views and concat slices move nothing)


_PREP: OrderedDict = OrderedDict()


def prepare(fp: Footprint, use_winograd: bool, plain_weights: bool) -> Prepared:
    key = (id(fp.model), fp.width, fp.height, fp.channels, fp.weight_precision,
           fp.activation_precision, fp.fusion, fp.inplace, bool(use_winograd),
           bool(plain_weights))
    hit = _PREP.get(key)
    if hit is not None and hit[0] is fp.model:
        _PREP.move_to_end(key)
        return hit[1]
    wino = winograd.eligible_steps(fp) if use_winograd else np.zeros(len(fp.steps), bool)
    stored = (winograd.transformed_weight_bytes(fp) if use_winograd and not plain_weights
              else fp.weight_bytes.copy())
    pm = placement.build(fp, stored)
    tm = traffic.build(fp)
    geo = perf.geometry(fp, wino)
    size = pm.size
    io = float(size[tm.pair_tensor].sum() + tm.written.sum())
    prep = Prepared(pm, tm, geo, stored, wino, io)
    _PREP[key] = (fp.model, prep)
    while len(_PREP) > 32:
        _PREP.popitem(last=False)
    return prep


def split_fraction(chip: Chip) -> float | None:
    if not chip.sram_split:
        return None
    return (chip.weight_sram_mb / chip.sram_mb) if chip.sram_mb > 0 else 0.5


def usable(chip: Chip, sram_bytes):
    """(usable capacity for placement, weight SRAM's usable capacity or None, staging
    bytes reserved) for SRAM of ``sram_bytes``: staging comes off first, at most what
    there is (a split chip: weight tiles from the weight SRAM, activation tiles from
    the activation SRAM)."""
    C = np.asarray(sram_bytes, dtype=np.float64)
    sw, sa = chip.staging_parts
    frac = split_fraction(chip)
    if frac is None:
        stage = np.minimum(C, sw + sa)
        return C - stage, None, stage
    Cw, Ca = C * frac, C * (1 - frac)
    stw, sta = np.minimum(Cw, sw), np.minimum(Ca, sa)
    return Ca - sta, Cw - stw, stw + sta


def evaluate(prep: Prepared, chip: Chip, sram_bytes, batch, client_batch, policy: str,
             overlap: bool, rate: float, per_step: bool = True,
             free_weights: bool = False, exact: bool = False, bound: bool = True) -> dict:
    """All figures on a grid: ``sram_bytes`` and ``batch`` (compiled) broadcast together
    (grid shape G); ``client_batch`` broadcasts with them. Per-step arrays get a last
    axis of steps. ``free_weights`` drops streamed-weight DRAM bytes (a counterfactual
    for :mod:`engine.batching`). ``exact``: policy ``optimal`` solved exactly at every
    grid point (one integer program per point); else the threshold rule, with a gap
    bound if ``bound``."""
    C, b, n = np.broadcast_arrays(np.asarray(sram_bytes, dtype=np.float64),
                                  np.asarray(batch, dtype=np.float64),
                                  np.asarray(client_batch, dtype=np.float64))
    pm = prep.pm
    cap, cap_w, staging = usable(chip, C)
    if chip.execution == "pipelined":
        pl = _pipelined_placement(pm, cap, b, policy, cap_w, exact, bound)
    elif exact and policy == "optimal":
        pl = _exact_grid(pm, cap, cap_w, b)
    else:
        pl = placement.place(pm, cap, b, policy, cap_w, bound=bound)
    kinds = traffic.kinds(pm, pl, b)
    dram_slot = sum(kinds.values())
    sbytes = traffic.step_bytes(pm, prep.tm, pl, b)               # G x S, per batch
    if free_weights:
        sbytes = sbytes - pm.weight_bytes * ~pl.pinned
        dram_slot = dram_slot - kinds["weights"]
        kinds = {**kinds, "weights": np.zeros_like(kinds["weights"])}
    sbytes, w_again, in_again = _with_rereads(prep, chip, pl, C, b, sbytes)
    dram_slot = dram_slot + (w_again + in_again).sum(axis=-1) / b
    tm = timing(prep, chip, sbytes, b, n, rate, overlap)
    compute_s, util, memory_s, time_s = (tm[k] for k in ("compute_s", "utilisation",
                                                         "memory_s", "time_s"))
    call_s, calls, latency, thr = (tm[k] for k in ("call_s", "calls", "latency_s",
                                                   "throughput_ips"))
    pad = calls * b / n                                            # slots per client image
    sram_io = perf.sram_bytes_per_image(pm, prep.act_io_per_image, b)
    dram = dram_slot * pad
    out = {
        "placement": pl,
        "traffic": {**{k: v * pad for k, v in kinds.items()},
                    **({"weight_rereads": w_again.sum(axis=-1) / b * pad,
                        "activation_rereads": in_again.sum(axis=-1) / b * pad}
                       if chip.tiling else {})},
        "dram_bytes_per_image": dram,
        "sram_bytes_accessed_per_image": sram_io * pad,
        "latency_s": latency,
        "call_s": call_s,
        "calls": calls,
        "throughput_ips": thr,
        "energy_j_per_image": perf.energy_j(dram, sram_io * pad, chip),
        "weights_in_sram_bytes": pl.weights_in_sram,
        "activations_in_sram_bytes": pl.activations_in_sram,
        "fits": pl.kept_buffers[..., pm.useful].all(axis=-1) & pl.pinned.all(axis=-1),
        "staging_bytes": staging,
        "sram_used_peak_bytes": staging + pl.weights_in_sram + pl.activations_in_sram,
        "placement_exact": (np.zeros(C.shape, bool) if pl.exact is None
                            else np.broadcast_to(pl.exact, C.shape)),
        "placement_gap_bytes_per_image": (np.full(C.shape, np.nan) if pl.gap is None
                                          else np.broadcast_to(pl.gap, C.shape) * pad),
        "compute_bound_share": (compute_s >= memory_s).mean(axis=-1),
    }
    if per_step:
        out.update(step_dram_bytes=sbytes / b[..., None], compute_s=compute_s,
                   memory_s=memory_s, time_s=time_s, utilisation=util)
    return out


def timing(prep: Prepared, chip: Chip, sbytes, b, n, rate: float, overlap: bool,
           tile_s=0.0) -> dict:
    """Speed from per-step DRAM bytes ``sbytes`` (G x S, per compiled batch ``b``;
    ``n`` client images): per step compute_s, utilisation, memory_s, time_s (plus
    ``tile_s``, a fused stack's per-tile overheads), and call_s, calls, latency_s,
    throughput_ips (engine/perf.py). Nothing here changes what is placed: a chip's
    efficiencies and overheads re-time an analysis without placing it again."""
    b = np.asarray(b, dtype=np.float64)
    if chip.execution == "pipelined":
        stage_c, util1, _ = perf.pipeline_seconds(prep.geo, chip, rate)
        mem1 = perf.memory_seconds(sbytes / b[..., None], chip)   # per image
        stage, _, latency, thr = perf.pipelined_timing(stage_c, mem1, chip, n,
                                                       prep.geo.fill)
        compute_s = np.broadcast_to(stage_c * b[..., None], sbytes.shape)
        util = np.broadcast_to(util1, sbytes.shape)
        memory_s = mem1 * b[..., None]
        time_s = stage * b[..., None]
        calls = np.ones_like(n)
        call_s = latency
    else:
        compute_s, util = perf.compute_seconds(prep.geo, chip, b, rate)
        memory_s = perf.memory_seconds(sbytes, chip)
        time_s = perf.step_times(compute_s, memory_s, chip, overlap) + tile_s
        call_s = perf.call_latency(time_s, chip)
        calls, latency, thr = perf.dynamic_batching(call_s, n, b)
    return {"compute_s": compute_s, "utilisation": util, "memory_s": memory_s,
            "time_s": time_s, "call_s": call_s, "calls": calls, "latency_s": latency,
            "throughput_ips": thr}


def _exact_grid(pm, cap, cap_w, b) -> placement.Placement:
    """place_exact at every grid point, stacked into one grid Placement."""
    pts = [placement.place_exact(pm, float(c), float(bb),
                                 None if cap_w is None else float(cw))
           for c, bb, cw in zip(cap.reshape(-1), b.reshape(-1),
                                (cap.reshape(-1) if cap_w is None
                                 else np.broadcast_to(cap_w, cap.shape).reshape(-1)))]
    fields = ("k", "budget", "kept", "pinned", "weights_in_sram", "activations_in_sram",
              "kept_buffers", "exact", "gap")
    stacked = {f: np.stack([np.asarray(getattr(p, f)) for p in pts]) for f in fields}
    return placement.Placement(**{f: v.reshape(cap.shape + v.shape[1:])
                                  for f, v in stacked.items()})


def _pipelined_placement(pm, C, b, policy, cap_w, exact=False, bound=True):
    """Placement on a pipelined chip. Images stream through resident layers, so what
    must fit is one image's tensors and every weight: the placement at batch 1. If
    every weight is pinned there, that placement holds at any batch. If not, the
    compiler splits the model into contexts that each take the whole chip: every
    weight is reloaded once per batch (none stays pinned), and the batch's
    activations at context boundaries need room: the placement at batch ``b`` with
    nothing pinned. ``C``/``cap_w``: usable capacities (staging taken out). Exactness
    and gap: those of the batch-1 placement where it holds, else of the activation
    placement at batch ``b``."""
    from dataclasses import replace
    ones = np.ones_like(b)
    one = (_exact_grid(pm, C, cap_w, ones) if exact and policy == "optimal"
           else placement.place(pm, C, ones, policy, cap_w, bound=bound))
    single = one.pinned.all(axis=-1)
    if single.all():
        return one
    # contexts: nothing stays pinned, so activations get all of the (activation) SRAM
    many = placement.place(pm, C, b, policy, np.zeros_like(C), bound=bound)
    none = np.broadcast_to(pm.w_rank < 0, many.pinned.shape)
    s1 = single[..., None]
    return replace(
        many, k=np.where(single, one.k, 0), budget=np.where(single, one.budget, many.budget),
        kept=np.where(s1, one.kept, many.kept), pinned=np.where(s1, one.pinned, none),
        kept_buffers=np.where(s1, one.kept_buffers, many.kept_buffers),
        exact=(None if one.exact is None or many.exact is None
               else np.where(single, one.exact, many.exact)),
        gap=(None if one.gap is None or many.gap is None
             else np.where(single, one.gap, many.gap)),
        weights_in_sram=np.where(single, one.weights_in_sram, 0.0),
        activations_in_sram=np.where(single, one.activations_in_sram,
                                     many.activations_in_sram))


def _with_rereads(prep: Prepared, chip: Chip, pl, C, b, sbytes):
    """(step DRAM bytes incl. tiling re-reads, weight re-reads, input re-reads), each
    G x S per batch (perf.tiling_rereads)."""
    if not chip.tiling:
        return sbytes, np.zeros_like(sbytes), np.zeros_like(sbytes)
    pm, tm = prep.pm, prep.tm
    bb = b[..., None]
    size = pm.size[tm.pair_tensor]
    n_steps = sbytes.shape[-1]
    in_all = traffic.per_step(tm, np.broadcast_to(size, sbytes.shape[:-1] + size.shape),
                              n_steps) * bb
    in_dram = traffic.per_step(tm, size * ~pl.kept[..., tm.pair_tensor], n_steps) * bb
    w_again, in_again = perf.tiling_rereads(pm.weight_bytes, ~pl.pinned, in_all, in_dram, C)
    return sbytes + w_again + in_again, w_again, in_again


def max_batch_on_chip(prep: Prepared, chip: Chip, sram_bytes: float, policy: str) -> int:
    """Largest b such that at every batch 1..b the threshold rule of the policy keeps
    every activation buffer that saves traffic in SRAM (weights may stream; staging
    reserved). 0 if even batch 1 spills."""
    pm = prep.pm
    if pm.r_max <= 0:
        return MAX_BATCH
    cap, cap_w, _ = usable(chip, float(sram_bytes))
    ub = int(min(MAX_BATCH, float(cap) // pm.r_max))
    if ub < 1:
        return 0
    bs = np.arange(1, ub + 1, dtype=np.float64)
    k, budget = placement.choose(pm, np.full(ub, float(cap)), bs, policy,
                                 None if cap_w is None else np.full(ub, float(cap_w)))
    ok = budget / bs >= pm.r_max
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if len(bad) else ub


def same_but_sram(a: Scenario, b: Scenario) -> bool:
    """True if the scenarios differ at most in ``sram_mb``."""
    return all(f.name == "sram_mb" or getattr(a, f.name) == getattr(b, f.name)
               for f in fields(a))


class Analysis:
    """A scenario analysed on its chip. Per-step arrays are numpy arrays over
    ``footprint.steps``; per-tensor arrays over the footprint's tensors."""

    def __init__(self, scenario: Scenario, model=None, chip: Chip | None = None,
                 exact: bool = True, like: Analysis | None = None):
        """``exact``: solve policy ``optimal`` exactly (the default; tens of ms on big
        models); False uses the threshold rule (the sweeps' fast path, marked).
        ``like``: an analysis of a scenario that differs from this one in ``sram_mb``
        at most; its model, chip and footprint (none depends on the SRAM size) are
        reused (a slider drag), giving the same figures as a fresh analysis."""
        if like is not None and not same_but_sram(like.scenario, scenario):
            like = None
        if like is not None:
            check_sram_mb(scenario)
            model, chip = like.model, like.chip
        elif model is None:
            check_scenario(scenario)
        self.scenario = s = scenario
        self.model = model if model is not None else resolve_model(s)
        self.chip = chip if chip is not None else resolve_chip(s)
        w, h = self.model.default_size
        b = s.effective_compiled_batch
        self.footprint = fp = like.footprint if like is not None else Footprint(
            self.model, w if s.width is None else s.width,
            h if s.height is None else s.height, s.channels, b, s.weights, s.activations,
            s.fusion, s.inplace and self.chip.inplace)
        cp = perf.compute_precision(s.weights, s.activations)
        self.compute_precision = cp
        rate = self.chip.check_precision(cp, "precision")
        self.sram_mb = self.chip.sram_mb if s.sram_mb is None else float(s.sram_mb)
        self.sram_bytes = self.sram_mb * 1e6
        self.prepared = prep = prepare(fp, s.winograd, s.winograd_plain_weights)
        # schedule (engine/depthfirst.py): layer-by-layer figures, replaced by a fused
        # depth-first schedule's where the scenario asks for one and it needs less. The
        # exact layer-by-layer solve is skipped when depth-first beats its lower bound.
        self.schedule = sched = s.effective_schedule(self.chip)
        fused = sched == "depth_first"

        def run(exact_lbl):
            r0 = evaluate(prep, self.chip, self.sram_bytes, b, s.batch, s.policy, s.overlap,
                          rate, exact=exact_lbl)
            return r0, depthfirst.evaluate(prep, fp, self.chip, self.sram_bytes, b, s.batch,
                                           s.overlap, rate, r0, sched, s.tile_rows,
                                           s.stack_cuts)
        r0, r = run(exact and not fused)
        if exact and fused and not bool(r0["placement_exact"]):
            gap = float(r0["placement_gap_bytes_per_image"])
            lower = float(r0["dram_bytes_per_image"]) - (gap if gap == gap else np.inf)
            if r["df"] is None or float(r["dram_bytes_per_image"]) > lower:
                r0, r = run(True)
        self.df = df = r["df"]
        self._r = r
        self.placement = pl = r["placement"]
        self.batch = b
        self.client_batch = s.batch
        self.weights_pinned = pl.pinned if df is None else df.pinned
        if df is None:
            self.tensor_in_sram = pl.kept
            # layer rows: a model output is never kept (it is written out); it counts as
            # in SRAM when it fits beside what is resident at its step, as a whole
            out = prep.pm.is_output[1:]
            occ = (placement.occupancy(prep.pm, pl.kept_buffers) * b + pl.weights_in_sram
                   + r["staging_bytes"])
            fits_out = occ + prep.pm.size[1:] * b <= self.sram_bytes * (1 + 1e-12)
            self.in_sram = np.where(out, fits_out[:len(out)], pl.kept[1:])
        else:
            self.tensor_in_sram = df.kept
            self.in_sram = df.kept[1:].copy()
        n = len(fp.steps)
        self.stack = np.arange(n) if df is None else df.stack
        self.line_buffer_bytes = np.zeros(n) if df is None else df.line_buffer_bytes
        self.stacks = [] if df is None else df.stacks
        self.tiles = np.ones(n) if df is None else df.ntiles
        self.dram_bytes = r["step_dram_bytes"] * (r["calls"] * b / s.batch)
        self.compute_s = r["compute_s"]
        self.memory_s = r["memory_s"]
        self.time_s = r["time_s"]
        self.utilisation = r["utilisation"]
        self.bound = np.where(self.memory_s > self.compute_s, "memory", "compute")
        self.macs = prep.geo.macs * b
        self.weight_bytes_stored = prep.stored_weight_bytes
        self.winograd_steps = prep.wino
        self.traffic = {k: float(v) for k, v in r["traffic"].items()}
        self._max_batch = None

    @property
    def staging_note(self) -> str | None:
        """Said when the SRAM is smaller than the chip's staging space."""
        if self.sram_bytes < self.chip.staging_bytes:
            return (f"SRAM ({self.sram_bytes / 1e6:.3f} MB) is below the staging space "
                    f"({self.chip.staging_bytes / 1e6:.3f} MB): everything streams, "
                    f"through tiles smaller than the staging estimate assumes")
        return None

    @property
    def activation_budget_bytes(self) -> float:
        """SRAM bytes the placement gives to activations (whole compiled batch)."""
        return float(np.asarray(self.placement.budget, dtype=float).reshape(-1)[0])

    def roofline(self) -> dict:
        """Per-step ops (2 per MAC) and DRAM bytes per image, time per image, and the
        chip's roofs: peak ops/s at the compute precision and DRAM bytes/s."""
        b, chip = self.batch, self.chip
        return {
            "ops": 2.0 * np.asarray(self.macs, dtype=float) / b,
            "dram_bytes": np.asarray(self.dram_bytes, dtype=float),
            "time_s": np.asarray(self.time_s, dtype=float) / b,
            "peak_ops": 2.0 * chip.macs * chip.clock_hz * chip.rate(self.compute_precision),
            "dram_bytes_per_s": chip.dram_bytes_per_s,
            # what the speed model lets the chip achieve (efficiency x peak)
            "achievable_ops": 2.0 * chip.macs * chip.clock_hz
            * chip.rate(self.compute_precision) * chip.compute_efficiency,
            "achievable_dram_bytes_per_s": chip.dram_bytes_per_s * chip.dram_efficiency,
        }

    @property
    def max_batch_on_chip(self) -> int:
        if self._max_batch is None:
            self._max_batch = max_batch_on_chip(self.prepared, self.chip, self.sram_bytes,
                                                self.scenario.policy)
        return self._max_batch

    def totals(self) -> dict:
        r = self._r
        t = self.footprint.totals()
        t.update({
            "macs_executed": float(self.macs.sum()),
            "weight_bytes_stored": int(self.weight_bytes_stored.sum()),
            "sram_bytes": int(round(self.sram_bytes)),
            "dram_bytes_per_image": float(r["dram_bytes_per_image"]),
            "traffic_per_image": dict(self.traffic),
            "latency_s": float(r["latency_s"]),
            "calls": int(r["calls"]),
            "throughput_ips": float(r["throughput_ips"]),
            "sram_area_mm2": float(perf.sram_area_mm2(self.sram_mb, self.chip)),
            "energy_j_per_image": float(r["energy_j_per_image"]),
            "sram_bytes_accessed_per_image": float(r["sram_bytes_accessed_per_image"]),
            "max_batch_on_chip": self.max_batch_on_chip,
            "weights_in_sram_bytes": int(r["weights_in_sram_bytes"]),
            "activations_in_sram_bytes": int(round(float(r["activations_in_sram_bytes"]))),
            "fits": bool(r["fits"]),
            "staging_bytes": int(round(float(r["staging_bytes"]))),
            "sram_used_peak_bytes": int(round(float(r["sram_used_peak_bytes"]))),
            "placement_exact": bool(r["placement_exact"]),
            "placement_gap_bytes_per_image": float(r["placement_gap_bytes_per_image"]),
            "inplace": bool(self.footprint.inplace),
            "compute_bound_steps": int((self.bound == "compute").sum()),
            "memory_bound_steps": int((self.bound == "memory").sum()),
            "schedule": self.schedule,
            "depth_first_applied": self.df is not None,
            "stacks": [dict(x) for x in self.stacks],
            "dram_lower_bound_bytes_per_image": float(r["dram_lower_bound_bytes_per_image"]),
        })
        t.update(self.speed_flags())
        return t

    def speed_flags(self) -> dict:
        """Whether the speed figures are estimates (no published measurement of the
        chip) and why; the mapping and execution kind they rest on."""
        est, why = calibration.speed_estimate(self.chip)
        return {"speed_estimated": est, "speed_estimate_reason": why,
                "mapping": self.chip.mapping, "execution": self.chip.execution}

    def fused_stack(self) -> list[int | None]:
        """Per step: the index into ``stacks`` (totals' ``stacks``) of the fused stack
        the step runs in, or None for a step run layer by layer. (``self.stack`` is the
        schedule's partition of the steps into segments, single steps included.)"""
        out: list[int | None] = [None] * len(self.footprint.steps)
        for k, st in enumerate(self.stacks or []):
            for i in range(int(st["first_step"]), int(st["last_step"]) + 1):
                out[i] = k
        return out

    def layer_rows(self) -> list[dict]:
        rows = self.footprint.layer_rows()
        fused = self.fused_stack()
        for i, row in enumerate(rows):
            row.update({
                "in_sram": bool(self.in_sram[i]),
                "weights_in_sram": bool(self.weights_pinned[i]),
                "dram_bytes": float(self.dram_bytes[i]),
                "macs_executed": float(self.macs[i]),
                "weight_bytes_stored": int(self.weight_bytes_stored[i]),
                "winograd": bool(self.winograd_steps[i]),
                "utilisation": float(self.utilisation[i]),
                "compute_s": float(self.compute_s[i]),
                "memory_s": float(self.memory_s[i]),
                "time_s": float(self.time_s[i]),
                "bound": str(self.bound[i]),
                "stack": fused[i],              # fused stack index, None: layer by layer
                "segment": int(self.stack[i]),  # the schedule's segment (single steps too)
                "line_buffer_bytes": int(round(float(self.line_buffer_bytes[i]))),
            })
        return rows


def analyze_scenario(scenario: Scenario) -> Analysis:
    return Analysis(scenario)
