"""Exact placement, in-place buffers and staging space, checked against brute force,
hand computation and capacity properties on every built-in model and shipped chip."""
import itertools
from dataclasses import replace

import numpy as np
import pytest

from sramfit import engine
from sramfit.engine import Scenario, placement, sweep, traffic
from sramfit.engine.analysis import usable
from sramfit.engine.graph import Model, make_layer


# -- hand-computed peaks ------------------------------------------------------------
def test_residual_block_peak_by_hand():
    # in 8x16x16 -> a, b, c (1x1 convs, 8 ch) -> sum = c + a (fused into c's step) -> d
    layers = (make_layer("a", "conv", ["input"], {"out": 8, "kernel": 1, "bias": False}),
              make_layer("b", "conv", ["a"], {"out": 8, "kernel": 1, "bias": False}),
              make_layer("c", "conv", ["b"], {"out": 8, "kernel": 1, "bias": False}),
              make_layer("sum", "add", ["c", "a"]),
              make_layer("d", "conv", ["sum"], {"out": 4, "kernel": 1, "bias": False}))
    m = Model("res", layers, 8, (16, 16))
    t = 8 * 16 * 16                      # one 8-channel tensor, int8
    fp = engine.Footprint(m, 16, 16)
    # step c+sum reads b and a; a dies there, so the sum is written over a:
    # live = a(=sum) + b; without in place: a + b + sum
    assert fp.live_bytes.tolist() == [2 * t, 2 * t, 2 * t, t + t // 2]
    assert fp.totals()["peak_live_bytes"] == 2 * t
    copies = engine.Footprint(m, 16, 16, inplace=False)
    assert copies.totals()["peak_live_bytes"] == 3 * t
    rows = {r["name"]: r for r in fp.layer_rows()}
    assert rows["c"]["aliases"] == [{"kind": "in_place", "of": "a"}]
    assert rows["c"]["buffer"] == "a"


def _two_branch(out3=8, inplace=True):
    # the example: two 1x1 convs of 16 channels on an 8x32x32 input,
    # concatenated and read by a third conv
    layers = (make_layer("p", "conv", ["input"], {"out": 16, "kernel": 1}),
              make_layer("q", "conv", ["input"], {"out": 16, "kernel": 1}),
              make_layer("cat", "concat", ["p", "q"]),
              make_layer("r", "conv", ["cat"], {"out": out3, "kernel": 1}))
    return engine.Footprint(Model("two", layers, 8, (32, 32)), 32, 32, inplace=inplace)


def test_two_branch_concat_peak_by_hand():
    px = 32 * 32
    fp = _two_branch()
    # p and q write straight into the 32-channel concat buffer, live from step 0:
    # steps 0, 1: input + concat buffer; step 2 moves nothing; step 3: concat + r
    assert fp.live_bytes.tolist() == [8 * px + 32 * px, 8 * px + 32 * px, 32 * px,
                                      32 * px + 8 * px]
    assert fp.totals()["peak_live_bytes"] == 40_960 == fp.totals()["arena_bytes"]
    # as copies: p + q + the concat at the concat step
    assert _two_branch(inplace=False).totals()["peak_live_bytes"] == 65_536
    rows = {r["name"]: r for r in fp.layer_rows()}
    assert rows["cat"]["aliases"] == [{"kind": "concat_of_slices", "of": ["p", "q"]}]
    assert rows["p"]["aliases"] == [{"kind": "slice_of", "of": "cat"}]


def test_inplace_off_in_chip_or_scenario():
    s = Scenario(model="resnet50", width=224, height=224, chip="chip_b")
    on = engine.analyze(s).totals()
    off = engine.analyze(replace(s, inplace=False)).totals()
    chip = {**engine.chip_to_dict(engine.load_chip("chip_b")), "inplace": False}
    off_chip = engine.analyze(replace(s, chip=chip)).totals()
    assert on["peak_live_bytes"] == 802_816 + 401_408 + 100_352      # layer2.0.conv2
    assert off["peak_live_bytes"] == off_chip["peak_live_bytes"] == \
        200_704 + 2 * 802_816                                        # layer1.0 downsample
    assert not off["inplace"] and on["inplace"]


# -- brute force on random small graphs -----------------------------------------------
def _random_model(rng) -> Model:
    """A random DAG of 1x1 convs, adds and concats (<= 11 layers, so <= 12 tensors)."""
    n = int(rng.integers(2, 12))
    layers, chans = [], {"input": int(rng.integers(1, 5))}
    for i in range(n):
        name = f"l{i}"
        prev = list(chans)
        kind = rng.choice(["conv", "conv", "add", "add", "concat"])
        if kind == "add":
            c = chans[prev[-1]]
            same = [t for t in prev if chans[t] == c and t != prev[-1]]
            if same:
                layers.append(make_layer(name, "add", [prev[-1], same[rng.integers(len(same))]]))
                chans[name] = c
                continue
        if kind == "concat" and len(prev) >= 2:
            pick = list(rng.choice(len(prev), size=2, replace=False))
            ins = [prev[j] for j in sorted(pick)]
            layers.append(make_layer(name, "concat", ins))
            chans[name] = sum(chans[t] for t in ins)
            continue
        src = prev[-1] if rng.random() < 0.7 else prev[rng.integers(len(prev))]
        c = int(rng.integers(1, 9))
        layers.append(make_layer(name, "conv", [src], {"out": c, "kernel": 1,
                                                        "bias": bool(rng.random() < 0.5)}))
        chans[name] = c
    return Model("rnd", tuple(layers), chans["input"], (4, 4))


def _residual_model(rng) -> Model:
    """Random residual blocks (conv, conv, add of the block input, which dies there:
    written in place), maybe a concat of the last two block outputs."""
    c = int(rng.integers(1, 5))
    layers, x = [], "input"
    layers.append(make_layer("stem", "conv", ["input"], {"out": c, "kernel": 1}))
    x, outs = "stem", []
    for i in range(int(rng.integers(1, 3))):
        layers.append(make_layer(f"a{i}", "conv", [x], {"out": int(rng.integers(1, 5)),
                                                        "kernel": 1, "bias": False}))
        layers.append(make_layer(f"b{i}", "conv", [f"a{i}"], {"out": c, "kernel": 1,
                                                              "bias": False}))
        layers.append(make_layer(f"s{i}", "add", [f"b{i}", x]))
        x = f"s{i}"
        outs.append(x)
    if len(outs) == 2 and rng.random() < 0.5:
        layers.append(make_layer("cat", "concat", outs))
        x = "cat"
    layers.append(make_layer("head", "conv", [x], {"out": 2, "kernel": 1, "bias": False}))
    return Model("resid", tuple(layers), int(rng.integers(1, 4)), (4, 4))


def _brute_force(fp, C, b):
    """Minimum DRAM bytes per image over every keep/pin choice, by a direct loop over
    the documented cost model: tensors joined by views and concat slices are kept or
    spilled together; a step written in place shares its bytes with the tensor it
    overwrites, at that step, when both are kept."""
    al, n = fp.aliasing, len(fp.steps)
    size = fp.tensor_bytes / fp.batch
    T = n + 1
    readers = np.zeros(T, int)
    for s in fp.steps:
        for t in s.inputs:
            readers[t] += 1
    is_out = readers == 0
    is_out[0] = False
    group = list(range(T))

    def root(t):
        while group[t] != t:
            t = group[t]
        return t
    for t in range(T):
        if al.kind[t] == "view":
            group[root(t)] = root(int(al.of[t]))
        if al.slice_of[t] >= 0:
            group[root(t)] = root(int(al.slice_of[t]))
    g = [root(t) for t in range(T)]
    roots = sorted(set(g))
    first = {r: min(fp.tensor_first[t] for t in range(T) if g[t] == r) for r in roots}
    last = {r: max(fp.tensor_first[t] if is_out[t] else fp.tensor_last[t]
                   for t in range(T) if g[t] == r) for r in roots}
    gsize = {r: max(size[t] for t in range(T) if g[t] == r) for r in roots}
    credits = [(g[int(al.of[o])], g[o], o - 1, size[o]) for o in range(T)
               if al.kind[o] == "in_place"]
    wr = {r: 0.0 for r in roots}
    rd = {r: 0.0 for r in roots}
    for s in range(n):
        o = s + 1
        if not is_out[o]:
            wr[g[o]] += al.written[s] / fp.batch
        for t in al.copied[s]:
            if t != 0:
                rd[g[t]] += size[t]
    cands = [r for r in roots if r != 0 and not any(is_out[t] for t in range(T) if g[t] == r)
             and wr[r] + rd[r] > 0]
    if readers[0] > 1:
        cands.append(0)
    wsteps = [s for s in range(n) if fp.weight_bytes[s] > 0]
    base = size[0] * readers[0] + size[is_out].sum() + sum(wr.values()) + sum(rd.values())
    best = np.inf
    for keep in itertools.product((0, 1), repeat=len(cands)):
        kept = {r for r, k in zip(cands, keep) if k}
        live = np.zeros(max(n, 1))
        for r in kept:
            live[first[r]:last[r] + 1] += gsize[r] * b
        for a, c, st, z in credits:
            if a in kept and c in kept:
                live[st] -= z * b
        peak = live.max()
        saved = sum(size[0] * (readers[0] - 1) if r == 0 else wr[r] + rd[r] for r in kept)
        for pin in itertools.product((0, 1), repeat=len(wsteps)):
            W = sum(fp.weight_bytes[s] for s, p in zip(wsteps, pin) if p)
            if W + peak > C:
                continue
            streamed = sum(fp.weight_bytes[s] for s, p in zip(wsteps, pin) if not p) / b
            best = min(best, base - saved + streamed)
    return best


def test_exact_equals_brute_force_on_random_graphs():
    rng = np.random.default_rng(2024)
    checked = credited = 0
    for i in range(360):
        m = _random_model(rng) if i % 3 else _residual_model(rng)
        fp = engine.Footprint(m, 4, 4, inplace=bool(rng.random() < 0.8))
        pm = placement.build(fp, fp.weight_bytes)
        wsteps = int((fp.weight_bytes > 0).sum())
        if int(pm.useful.sum()) + wsteps > 12:
            continue
        b = int(rng.choice([1, 2, 3, 8]))
        total = fp.weight_bytes.sum() + pm.bsize.sum() * b
        C = float(rng.uniform(0, 1.1) * total)
        ex = placement.place_exact(pm, C, b)
        cost = float(placement.dram_cost(pm, ex.kept_buffers, ex.pinned, b))
        assert cost == pytest.approx(_brute_force(fp, C, b), rel=1e-9, abs=1e-6)
        assert bool(ex.exact)
        # feasible, and the engine's traffic accounting agrees with the cost
        assert ex.weights_in_sram + ex.activations_in_sram <= C + 1e-6
        kinds = traffic.kinds(pm, ex, b)
        assert sum(float(v) for v in kinds.values()) == pytest.approx(cost, rel=1e-12)
        # the heuristic is feasible, never better, and its gap bound is honest
        h = placement.place(pm, C, b, "optimal")
        h_cost = float(placement.dram_cost(pm, h.kept_buffers, h.pinned, b))
        assert h_cost >= cost - 1e-6
        assert h_cost - float(h.gap) <= cost + 1e-6
        assert float(h.weights_in_sram + h.activations_in_sram) <= C + 1e-6
        checked += 1
        credited += len(pm.pair_a) > 0
    assert checked >= 200 and credited >= 50


def test_four_fc_layers_pin_the_largest_that_fit():
    # int8 weights of 2.4 / 12 / 16 / 20 MB (800 -> 3000 -> 4000 -> 4000 -> 5000)
    dims = [800, 3000, 4000, 4000, 5000]
    layers, prev = [], "input"
    for i, out in enumerate(dims[1:]):
        layers.append(make_layer(f"fc{i}", "fc", [prev], {"out": out, "bias": False}))
        prev = f"fc{i}"
    m = Model("four_fc", tuple(layers), dims[0], (1, 1))
    s = Scenario(model=m.to_dict() if hasattr(m, "to_dict") else "x", chip="chip_b",
                 sram_mb=44.0)
    a = engine.Analysis(s, model=m)
    t = a.totals()
    # pinning 20 + 16 + 2.4 = 38.4 MB fits 44 MB minus staging; 12 MB streams
    assert t["traffic_per_image"]["weights"] == 12_000_000
    assert t["placement_exact"]
    assert t["dram_bytes_per_image"] <= 12.5e6
    # the smallest-first threshold rule pins 2.4 + 12 + 16 and streams 20 MB: its
    # gap bound says it may be off by at least the difference
    h = engine.Analysis(s, model=m, exact=False).totals()
    assert h["traffic_per_image"]["weights"] == 20_000_000 and not h["placement_exact"]
    assert h["placement_gap_bytes_per_image"] >= 8e6 - 1


# -- properties on every built-in x shipped chip ------------------------------------
@pytest.mark.parametrize("model", engine.zoo.names())
def test_resident_never_above_capacity_and_dram_monotone(model):
    for chip in engine.list_chips():
        for b in (1, 8):
            s = Scenario(model=model, chip=chip, batch=b)
            try:
                a = engine.analyze(s)
            except engine.ChipError:            # precision the chip cannot run
                continue
            t = a.totals()
            cap = a.sram_bytes
            assert t["sram_used_peak_bytes"] <= cap + 1e-6, (chip, b)
            assert t["staging_bytes"] == pytest.approx(min(a.chip.staging_bytes, cap))
            assert t["sram_used_peak_bytes"] == pytest.approx(
                t["staging_bytes"] + t["weights_in_sram_bytes"]
                + t["activations_in_sram_bytes"], abs=2)
            # the fast path: never rises as SRAM grows, always fits
            C = np.linspace(0, 1.5 * cap, 24)
            g = sweep.over_sram(s, C)
            assert np.all(np.diff(g["dram_bytes_per_image"]) <= 1e-6), (chip, b)
            assert np.all(g["sram_used_peak_bytes"] <= C + 1e-6), (chip, b)
            # exact never worse than the fast path at the scenario's point
            h = sweep.over_sram(s, [cap])
            assert t["dram_bytes_per_image"] <= h["dram_bytes_per_image"][0] + 1e-6


@pytest.mark.parametrize("model", ["resnet50", "yolov3_tiny"])
def test_exact_dram_never_rises_as_sram_grows(model):
    s = Scenario(model=model, chip="chip_a", batch=8)
    C = np.linspace(0, 12e6, 7)
    g = sweep.over_sram(s, C, exact=True)
    d, gap = g["dram_bytes_per_image"], g["placement_gap_bytes_per_image"]
    # the optimum is non-increasing; a time-limited point may sit above it by its gap
    assert np.all(np.diff(d) <= gap[1:] + 1e-6)
    assert np.all(g["sram_used_peak_bytes"] <= C + 1e-6)


def test_staging_below_capacity_everything_streams():
    s = Scenario(model="resnet18", chip="chip_b", sram_mb=0.01)
    a = engine.analyze(s)
    t = a.totals()
    assert a.chip.staging_bytes > 10_000
    assert t["staging_bytes"] == 10_000 and t["sram_used_peak_bytes"] == 10_000
    assert t["weights_in_sram_bytes"] == 0 and t["activations_in_sram_bytes"] == 0
    assert "everything streams" in a.staging_note


def test_staging_from_the_mac_array_and_override():
    chip = engine.load_chip("chip_b")          # one 64x64 array
    assert chip.staging_bytes == 2 * 2 * (64 * 64 + 64 * (64 + 64))
    d = {**engine.chip_to_dict(chip), "staging_mb": 0.5}
    assert engine.chip_from_dict(d).staging_bytes == pytest.approx(500_000)
    with pytest.raises(engine.ChipError, match="staging_mb"):
        engine.chip_from_dict({**d, "staging_mb": -1})
    s = Scenario(model="yolov3", width=1920, height=1088, chip=d)
    t = engine.analyze(s).totals()
    assert t["staging_bytes"] == 500_000 and t["sram_used_peak_bytes"] <= 64e6


def test_yolov3_2mp_chip_b_exact_and_lower_bound():
    a = engine.analyze(Scenario(model="yolov3", width=1920, height=1088, chip="chip_b"))
    t = a.totals()
    assert t["placement_exact"] and t["placement_gap_bytes_per_image"] <= 1.0
    assert t["dram_bytes_per_image"] <= 275e6
    pm = a.prepared.pm
    cap, _, _ = usable(a.chip, a.sram_bytes)
    lb = float(placement.lower_bound(pm, cap, 1.0))
    assert lb <= t["dram_bytes_per_image"] + 1e-6


def test_split_sram_weights_and_activations_each_under_their_own():
    d = {**engine.chip_to_dict(engine.load_chip("chip_b")), "sram_split": True,
         "weight_sram_mb": 24.0, "activation_sram_mb": 40.0}
    chip = engine.chip_from_dict(d)
    sw, sa = chip.staging_parts
    for model, w, h in (("yolov3", 1920, 1088), ("resnet50", 224, 224)):
        s = Scenario(model=model, width=w, height=h, chip=d)
        t = engine.analyze(s).totals()
        assert t["weights_in_sram_bytes"] + sw <= 24e6 + 1e-6
        assert t["activations_in_sram_bytes"] + sa <= 40e6 + 1e-6
        assert t["sram_used_peak_bytes"] <= 64e6 + 1e-6
        h_ = engine.Analysis(s, exact=False).totals()
        assert t["dram_bytes_per_image"] <= h_["dram_bytes_per_image"] + 1e-6
        assert h_["dram_bytes_per_image"] - h_["placement_gap_bytes_per_image"] <= \
            t["dram_bytes_per_image"] + 1e-6
