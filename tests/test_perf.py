"""Speed model: batching on a T4, Winograd, utilisation, dynamic batching, cost."""
import math
from dataclasses import replace

import numpy as np
import pytest

from sramfit import engine
from sramfit.engine import Scenario

CHIP = {"name": "toy", "sram_mb": 0.0, "dram_gbps": 1.0, "macs": 4096, "clock_mhz": 1000.0,
        "array_rows": 64, "array_cols": 64, "precision_rate": {"int8": 1.0},
        "layer_overhead_us": 0.0, "call_overhead_us": 0.0}


def _thr(**kw):
    return engine.analyze(Scenario(**kw)).totals()["throughput_ips"]


def test_resnet50_batching_on_t4_helps_at_224_not_at_2mp():
    r224 = (_thr(model="resnet50", width=224, height=224, chip="t4", batch=32)
            / _thr(model="resnet50", width=224, height=224, chip="t4", batch=1))
    r2mp = (_thr(model="resnet50", width=1920, height=1088, chip="t4", batch=32)
            / _thr(model="resnet50", width=1920, height=1088, chip="t4", batch=1))
    print(f"\nT4 ResNet-50 throughput(b=32)/throughput(b=1): 224x224 {r224:.2f}, "
          f"1920x1088 {r2mp:.2f}")
    assert r224 > 2.5          # the seed: ~4x
    assert r2mp < 1.2          # megapixel: batching barely helps
    assert r224 > 2 * r2mp


def _eligible_share(fp):
    """Share of MACs in 3x3 stride-1 dense convs, read from the layer table."""
    rows = fp.layer_rows()
    elig = sum(r["macs"] for r in rows if r["op"] == "conv" and r["kernel"] == [3, 3]
               and r["stride"] == [1, 1] and r["groups"] == 1)
    return elig / sum(r["macs"] for r in rows)


@pytest.mark.parametrize("model,w,h", [("yolov3", 1920, 1088), ("resnet50", 224, 224)])
def test_winograd_mac_reduction_follows_amdahl(model, w, h):
    s = Scenario(model=model, width=w, height=h, chip="chip_b")
    a0, a1 = engine.analyze(s), engine.analyze(replace(s, winograd=True))
    f = _eligible_share(a0.footprint)
    expected = 1 / ((1 - f) + f / 2.25)
    assert a0.macs.sum() / a1.macs.sum() == pytest.approx(expected, rel=1e-12)


def test_winograd_speedup_yolov3_about_1_7_resnet50_less():
    sp = {}
    for model, w, h in (("yolov3", 1920, 1088), ("resnet50", 224, 224)):
        s = Scenario(model=model, width=w, height=h, chip="chip_b")
        a0, a1 = engine.analyze(s), engine.analyze(replace(s, winograd=True))
        sp[model] = (a0.macs.sum() / a1.macs.sum(), a0.compute_s.sum() / a1.compute_s.sum())
    print(f"\nWinograd speedup (MACs, compute time): YOLOv3 {sp['yolov3'][0]:.2f}, "
          f"{sp['yolov3'][1]:.2f}; ResNet-50 {sp['resnet50'][0]:.2f}, {sp['resnet50'][1]:.2f}")
    assert 1.55 < sp["yolov3"][0] < 1.95 and 1.55 < sp["yolov3"][1] < 1.95
    assert 1.0 < sp["resnet50"][0] < sp["yolov3"][0]
    assert 1.0 < sp["resnet50"][1] < sp["yolov3"][1]


def test_winograd_weights_grow_16_9_on_eligible_layers_only():
    s = Scenario(model="resnet50", width=224, height=224, chip="chip_b", winograd=True)
    a = engine.analyze(s)
    fp = a.footprint
    grew = 0
    for st, plain, stored in zip(fp.steps, fp.weight_bytes, a.weight_bytes_stored):
        at = st.anchor.attrs
        elig = (st.op == "conv" and tuple(at["kernel"]) == (3, 3)
                and tuple(at["stride"]) == (1, 1) and at["groups"] == 1)
        if elig:
            kernel = at["out"] * st.in_shape[0] * 9          # int8: one byte each
            assert stored - plain == kernel * 7 // 9
            assert (stored - plain) / kernel == pytest.approx(16 / 9 - 1)
            grew += 1
        else:
            assert stored == plain
    assert grew == 16 - 3 + 0  # ResNet-50 v1.5: 16 3x3 convs, 3 of them stride 2
    plain = engine.analyze(replace(s, winograd_plain_weights=True))
    assert (plain.weight_bytes_stored == fp.weight_bytes).all()
    assert plain.macs.sum() == a.macs.sum()


def test_utilisation_from_array_shape():
    model = {"name": "u", "input": {"channels": 3, "width": 8, "height": 8}, "layers": [
        {"name": "small", "op": "conv", "out": 32, "kernel": 1, "bias": False},
        {"name": "big", "op": "conv", "out": 96, "kernel": 1, "bias": False,
         "inputs": ["small"]},
        {"name": "dw", "op": "conv", "out": 96, "kernel": 3, "padding": 1, "groups": 96,
         "bias": False},
    ]}
    a = engine.analyze(Scenario(model=model, chip=CHIP))
    # 3 of 64 rows x 32 of 64 columns busy
    assert a.utilisation[0] == pytest.approx(3 / 64 * 32 / 64)
    # 32 input channels on 64 rows; 96 outputs need 2 column passes of 64
    assert a.utilisation[1] == pytest.approx(32 / 64 * 96 / 128)
    # depthwise: 64 groups of 1x1 on the diagonal per pass, 2 passes for 96
    assert a.utilisation[2] == pytest.approx(96 / (2 * 64 * 64))
    # compute time = cycles / clock: 64 pixels, one pass, 1 tap
    assert a.compute_s[0] == pytest.approx(64 / 1e9)
    assert a.compute_s[2] == pytest.approx(2 * 64 * 9 / 1e9)


def test_arrays_split_pixels_so_batch_fills_them():
    chip = dict(CHIP, macs=4 * 4096, array_count=4)
    model = {"name": "fc", "input": {"channels": 64, "width": 1, "height": 1},
             "layers": [{"name": "fc", "op": "fc", "out": 64}]}
    u = [engine.analyze(Scenario(model=model, chip=chip, batch=b)).utilisation[0]
         for b in (1, 2, 4, 8)]
    assert u == pytest.approx([0.25, 0.5, 1.0, 1.0])


def test_overlap_and_bound():
    s = Scenario(model="resnet50", width=224, height=224, chip=CHIP)
    a = engine.analyze(s)
    b = engine.analyze(replace(s, overlap=False))
    assert np.allclose(a.time_s, np.maximum(a.compute_s, a.memory_s))
    assert np.allclose(b.time_s, a.compute_s + a.memory_s)
    assert (a.bound == np.where(a.memory_s > a.compute_s, "memory", "compute")).all()
    # 1 GB/s with no SRAM: the fc layer (2 MB of weights, 2 M MACs) is memory bound
    assert a.bound[-1] == "memory"
    assert a.memory_s[-1] == pytest.approx(a.dram_bytes[-1] / 1e9)


def test_dynamic_batching_calls_and_overhead():
    base = Scenario(model="resnet50", width=224, height=224, chip="inferentia1_neuroncore",
                    weights="fp16", activations="fp16")
    one_call = engine.analyze(replace(base, batch=4)).totals()
    for n, calls in ((4, 1), (7, 2), (8, 2), (32, 8)):
        t = engine.analyze(replace(base, batch=n, compiled_batch=4)).totals()
        assert t["calls"] == calls
        assert t["latency_s"] == pytest.approx(calls * one_call["latency_s"])
        assert t["throughput_ips"] == pytest.approx(n / t["latency_s"])
    chip = engine.load_chip("inferentia1_neuroncore")
    b1 = engine.analyze(replace(base, batch=1)).totals()
    b1_no = engine.analyze(replace(base, batch=1, chip=dict(
        engine.chip_to_dict(chip), call_overhead_us=0.0))).totals()
    assert b1["latency_s"] - b1_no["latency_s"] == pytest.approx(chip.call_overhead_us * 1e-6)


def test_max_batch_on_chip():
    s = Scenario(model="resnet50", width=224, height=224, chip="chip_b",
                 policy="activations_first")
    a = engine.analyze(s)
    peak = a.prepared.pm.r_max
    m = a.totals()["max_batch_on_chip"]
    assert m == math.floor((64e6 - a.chip.staging_bytes) / peak)

    def all_kept(b):
        an = engine.analyze(replace(s, batch=b))
        return an.placement.kept_buffers[an.prepared.pm.useful].all()
    assert all_kept(m) and not all_kept(m + 1)
    assert engine.analyze(replace(s, sram_mb=0.0)).totals()["max_batch_on_chip"] == 0


def test_area_and_energy():
    a = engine.analyze(Scenario(model="yolov3", width=1920, height=1088, chip="chip_c"))
    t = a.totals()
    chip = engine.load_chip("chip_c")
    assert t["sram_area_mm2"] == pytest.approx(chip.sram_mb * chip.sram_mm2_per_mb)
    assert t["energy_j_per_image"] == pytest.approx(
        (t["dram_bytes_per_image"] * chip.dram_pj_per_byte
         + t["sram_bytes_accessed_per_image"] * chip.sram_pj_per_byte) * 1e-12)
    # SRAM bytes: weights once + every step's inputs read and output written, except
    # YOLOv3's two concats (routes of two layers), whose producers write in place
    fp = a.footprint
    io = sum(fp.tensor_bytes[i] for st in fp.steps for i in st.inputs) \
        + fp.tensor_bytes[1:].sum()
    concats = [st for st in fp.steps if st.op == "concat" and len(st.anchor.inputs) == 2]
    assert len(concats) == 2
    io -= sum(fp.tensor_bytes[i] for st in concats for i in st.inputs) \
        + sum(fp.tensor_bytes[st.index + 1] for st in concats)
    assert t["sram_bytes_accessed_per_image"] == pytest.approx(fp.weight_bytes.sum() + io)


def test_unsupported_precision_is_a_clear_error():
    with pytest.raises(engine.SramfitError, match="does not support fp32"):
        engine.analyze(Scenario(model="resnet18", chip="chip_b", weights="fp32",
                                activations="fp32"))


def test_analyze_scenario_keeps_footprint_numbers():
    s = Scenario(model="resnet50", width=1920, height=1088, chip="t4", batch=2)
    a = engine.analyze(s)
    fp = engine.analyze("resnet50", 1920, 1088, batch=2)
    t, f = a.totals(), fp.totals()
    for k, v in f.items():
        assert t[k] == v
    assert t["largest_activation_bytes"] == 2 * 33_423_360


# -- array mapping, efficiencies, pipelines, tiling, batch-gain breakdown (issue 12) --
STEM = {"name": "stem", "input": {"channels": 3, "width": 8, "height": 8}, "layers": [
    {"name": "c", "op": "conv", "out": 8, "kernel": 3, "padding": 1, "bias": False}]}


def test_im2col_puts_taps_on_the_reduction_lanes():
    ch = engine.analyze(Scenario(model=STEM, chip=CHIP))
    im = engine.analyze(Scenario(model=STEM, chip=dict(CHIP, mapping="im2col")))
    macs = 64 * 8 * 27                     # 8x8 outputs x 8 channels x 3x3x3
    # channels: 3 of 64 rows, 8 of 64 columns, 9 taps in sequence, 64 pixels
    assert ch.compute_s[0] == pytest.approx(9 * 64 / 1e9)
    assert ch.utilisation[0] == pytest.approx(macs / (9 * 64 * 4096))
    # im2col: 27 of 64 rows, so two copies of the weight block sit on the diagonal
    # and take 32 pixels each
    assert im.compute_s[0] == pytest.approx(32 / 1e9)
    assert im.utilisation[0] == pytest.approx(macs / (32 * 4096))


def test_gpu_mapping_tiles_and_waves():
    chip = dict(CHIP, macs=128, array_rows=8, array_cols=8, array_count=2,
                mapping="gpu", gpu_tile=[16, 8])
    model = {"name": "g", "input": {"channels": 8, "width": 4, "height": 4}, "layers": [
        {"name": "c", "op": "conv", "out": 8, "kernel": 1, "bias": False}]}
    # one 16x8 tile per image, K = 8: 16*8*8 / 64 = 16 cycles per tile; 2 SMs
    for b, waves in ((1, 1), (2, 1), (3, 2), (4, 2)):
        a = engine.analyze(Scenario(model=model, chip=chip, batch=b))
        assert a.compute_s[0] == pytest.approx(waves * 16 / 1e9)
        assert a.utilisation[0] == pytest.approx(b * 16 * 8 * 8 / (waves * 16 * 128))


def test_efficiencies_divide_peak_rates():
    s = Scenario(model="resnet18", chip=CHIP)
    a = engine.analyze(s)
    b = engine.analyze(replace(s, chip=dict(CHIP, compute_efficiency=0.5,
                                            dram_efficiency=0.25)))
    assert np.allclose(b.compute_s, 2 * a.compute_s)
    assert np.allclose(b.memory_s, 4 * a.memory_s)
    assert np.allclose(b.dram_bytes, a.dram_bytes)


PIPE = {"name": "p", "input": {"channels": 8, "width": 4, "height": 4}, "layers": [
    {"name": "a", "op": "conv", "out": 8, "kernel": 1, "bias": False},
    {"name": "b", "op": "conv", "out": 16, "kernel": 3, "padding": 1, "bias": False}]}
PCHIP = dict(CHIP, sram_mb=1.0, dram_gbps=1e6, macs=256, array_rows=8, array_cols=8,
             array_count=4, execution="pipelined", call_overhead_us=0.0)


def test_pipelined_stages_share_the_arrays_and_the_slowest_sets_the_rate():
    # cycles on n arrays: a = ceil(16/n); b = 2 column passes x 9 taps x ceil(16/n).
    # One array each, then the two spare arrays go to b (288 -> 144 -> 108 cycles).
    a1 = engine.analyze(Scenario(model=PIPE, chip=PCHIP, batch=1))
    t1 = a1.totals()
    assert a1.compute_s == pytest.approx([16e-9, 108e-9])
    assert t1["throughput_ips"] == pytest.approx(1 / 108e-9, rel=1e-6)
    # latency: b starts once a has delivered 3 of its 4 rows, a once 1 of 4 input rows
    # is in; then the slowest stage's whole image: 16/4 + 108*3/4 + 108 = 193 ns
    assert t1["latency_s"] == pytest.approx(193e-9, rel=1e-6)
    t4 = engine.analyze(Scenario(model=PIPE, chip=PCHIP, batch=4)).totals()
    assert t4["throughput_ips"] == pytest.approx(t1["throughput_ips"])
    assert t4["latency_s"] == pytest.approx(193e-9 + 3 * 108e-9, rel=1e-6)
    # a per-frame host cost bounds the rate when it is the slowest thing
    slow = engine.analyze(Scenario(model=PIPE, chip=dict(PCHIP, call_overhead_us=1.0)))
    assert slow.totals()["throughput_ips"] == pytest.approx(1e6)


def test_tiling_rereads_by_hand():
    from sramfit.engine.perf import tiling_rereads

    def total(*args):
        w, i = tiling_rereads(*args)
        assert w[0] == 0.0 or i[0] == 0.0
        return w[0], i[0]
    W, I = 36864.0, 4096.0                 # 3x3x64x64 int8 weights, 64x8x8 input
    # C = 6000: half 3000 -> weights in 13 chunks (12 extra input reads = 49152) or
    # the input in 2 chunks (1 extra weight read = 36864): the cheaper is taken
    assert total(W, True, I, I, 6000.0) == (36864.0, 0.0)
    # pinned weights are re-read for free
    assert total(W, False, I, I, 6000.0) == (0.0, 0.0)
    # C = 5000: half 2500 -> 15 weight chunks (14 x 4096 = 57344) or 2 input chunks
    # (36864); with the input kept in SRAM, re-reading it is free
    assert total(W, True, I, 0.0, 5000.0) == (0.0, 0.0)
    # W = 8000, I = 40000, C = 20000: the weights fit one half, so the input streams
    # past them once: no re-read
    assert total(8000.0, True, 40000.0, 40000.0, 20000.0) == (0.0, 0.0)
    # W = 30000, I = 40000, C = 20000: 3 weight chunks (2 x 40000 = 80000) or
    # 4 input chunks (3 x 30000 = 90000): the input is re-read
    assert total(30000.0, True, 40000.0, 40000.0, 20000.0) == (0.0, 80000.0)
    assert total(W, True, I, I, 10000.0) == (0.0, 0.0)   # input fits in one half
    assert total(W, True, I, I, 50000.0) == (0.0, 0.0)   # all fits
    assert total(0.0, True, I, I, 100.0) == (0.0, 0.0)   # no weights, no cutting


def test_nvdla_small_rereads_are_counted_in_dram_traffic():
    a = engine.analyze(Scenario(model="resnet50", chip="nvdla_small"))
    t = a.totals()
    tr = t["traffic_per_image"]
    extra = tr["weight_rereads"] + tr["activation_rereads"]
    print(f"\nnvdla_small ResNet-50: {t['dram_bytes_per_image'] / 1e6:.1f} MB/image, "
          f"of which tiling re-reads {extra / 1e6:.1f} MB")
    assert extra > 10e6
    assert t["dram_bytes_per_image"] == pytest.approx(sum(tr.values()))
    assert a.dram_bytes.sum() == pytest.approx(t["dram_bytes_per_image"])
    off = engine.analyze(Scenario(model="resnet50", chip=dict(
        engine.chip_to_dict(engine.load_chip("nvdla_small")), name="x", tiling=False)))
    assert t["dram_bytes_per_image"] - off.totals()["dram_bytes_per_image"] == \
        pytest.approx(extra)
    from sramfit.engine.compare import traffic_split
    assert traffic_split(a)["total"] == pytest.approx(t["dram_bytes_per_image"])


def test_batch_gain_breakdown_multiplies_to_the_gain():
    from sramfit.engine.batching import batch_gain_breakdown
    s = Scenario(model="resnet50", width=224, height=224, chip="t4")
    d = batch_gain_breakdown(s, 32)
    g = _thr(model="resnet50", width=224, height=224, chip="t4", batch=32) \
        / _thr(model="resnet50", width=224, height=224, chip="t4", batch=1)
    assert d["gain"] == pytest.approx(g)
    assert d["overheads"] * d["weight_reuse"] * d["utilisation"] * d["other"] == \
        pytest.approx(g)
    # the T4 streams 25.6 MB of weights at 320 GB/s: not what batching buys it
    assert d["weight_reuse"] == pytest.approx(1.0, abs=0.02)
    assert d["utilisation"] > 2
    # no overheads: that factor is exactly 1
    bare = dict(engine.chip_to_dict(engine.load_chip("t4")), name="x",
                layer_overhead_us=0.0, call_overhead_us=0.0)
    assert batch_gain_breakdown(replace(s, chip=bare), 32)["overheads"] == \
        pytest.approx(1.0)
    # a weight-streaming edge chip: weight reuse is the big factor
    e = batch_gain_breakdown(Scenario(model="resnet50", chip="edge_tpu"), 8)
    assert e["weight_reuse"] > 3
    # a pipeline does not gain from batch
    h = batch_gain_breakdown(Scenario(model="resnet50", chip="hailo8"), 8)
    assert h["gain"] == pytest.approx(1.0)


def test_pipelined_chip_reloads_every_weight_per_batch_when_they_do_not_fit():
    # YOLOv3 (61.9 M int8 params) on the 32 MB Hailo-8 profile: contexts, every weight
    # reloaded once per batch; ResNet-50 (25.6 MB) fits: nothing reloaded, any batch
    for b in (1, 8):
        t = engine.analyze(Scenario(model="yolov3", width=416, height=416, chip="hailo8",
                                    batch=b)).totals()
        assert t["weights_in_sram_bytes"] == 0
        assert t["traffic_per_image"]["weights"] == pytest.approx(61_949_149 / b)
        r = engine.analyze(Scenario(model="resnet50", chip="hailo8", batch=b)).totals()
        assert r["traffic_per_image"]["weights"] == 0
        assert r["weights_in_sram_bytes"] == r["weight_bytes"]
