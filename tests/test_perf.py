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
