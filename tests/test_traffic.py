"""DRAM traffic: the seed's YOLOv3 figure, the breakdown by kind, residual re-reads."""
from dataclasses import replace

import numpy as np
import pytest

from sramfit import engine
from sramfit.engine import Scenario

YOLO_PARAMS = 61_949_149          # darknet's yolov3.weights, 80 classes (DOMAIN.md)


def yolov3_no_sram_expectation(W=1920, H=1088):
    """DRAM bytes per image of YOLOv3 (int8, batch 1, nothing in SRAM), derived from
    the darknet architecture by hand: every tensor that is not a model output is
    written once and read once per consumer; outputs are written once."""
    def t(c, s):
        return c * (H // s) * (W // s)

    tensors = []                      # (bytes, readers)
    concat_reads = []
    tensors.append((t(32, 1), 1))     # conv 0
    stages = [(64, 1, 2), (128, 2, 4), (256, 8, 8), (512, 8, 16), (1024, 4, 32)]
    conv_out = [t(32, 1)]
    for c, n, s in stages:
        tensors.append((t(c, s), 2))  # downsampling conv: next 1x1 conv + the add
        conv_out.append(t(c, s))
        for j in range(n):
            tensors.append((t(c // 2, s), 1))
            conv_out.append(t(c // 2, s))
            last = j == n - 1
            # 3x3 conv with the shortcut add fused: read by the next block (conv + add),
            # or by the next stage's downsampling conv (+ a route at /8 and /16)
            readers = 2 if not last else (2 if s in (8, 16) else 1)
            tensors.append((t(c, s), readers))
            conv_out.append(t(c, s))
    outputs = []
    for c, s in ((512, 32), (256, 16), (128, 8)):
        for k, ch in enumerate((c, 2 * c, c, 2 * c, c, 2 * c)):
            # the 5th conv also feeds the route to the next scale (none after /8)
            tensors.append((t(ch, s), 2 if k == 4 and s > 8 else 1))
            conv_out.append(t(ch, s))
        outputs.append(t(255, s))
        conv_out.append(t(255, s))
        if s > 8:
            tensors.append((t(c // 2, s), 1))        # 1x1 conv before the upsample
            conv_out.append(t(c // 2, s))
            # upsample x2 and the concat with the backbone: both write straight into
            # the concat's buffer (in place), which the next conv reads; the concat
            # reads nothing, so the backbone tensor has one reader less
            tensors.append((t(c // 2, s // 2), 0))
            tensors.append((0, 0))
            concat_reads.append(t(c // 2 + c, s // 2))
            # the backbone's stage output at that scale (c channels) was counted with
            # 2 readers above
            concat_reads.append(-t(c, s // 2))
    inp = 3 * H * W
    writes = sum(b for b, _ in tensors)
    reads = sum(b * r for b, r in tensors) + sum(concat_reads)
    return {"input": inp, "weights": YOLO_PARAMS, "activation_writes": writes,
            "activation_reads": reads, "output": sum(outputs),
            "conv_outputs": sum(conv_out)}


def test_yolov3_2mp_no_sram_is_about_1_1_gb():
    exp = yolov3_no_sram_expectation()
    # the seed's own reasoning: 61.9 MB weights, ~475 MB of conv outputs
    assert exp["conv_outputs"] == pytest.approx(475e6, rel=0.01)
    a = engine.analyze(Scenario(model="yolov3", width=1920, height=1088, chip="chip_b",
                                sram_mb=0.0))
    t = a.totals()
    print("\nYOLOv3 1920x1088 int8, no SRAM, DRAM per image:")
    for k, v in a.traffic.items():
        print(f"  {k:<18} {v / 1e6:10.2f} MB   (derived by hand: {exp[k] / 1e6:10.2f} MB)")
    print(f"  {'total':<18} {t['dram_bytes_per_image'] / 1e6:10.2f} MB")
    for k in ("input", "weights", "activation_writes", "activation_reads", "output"):
        assert a.traffic[k] == exp[k], k
    total = sum(exp[k] for k in ("input", "weights", "activation_writes",
                                 "activation_reads", "output"))
    assert t["dram_bytes_per_image"] == total
    # "about 1.1 GB": the seed's 6 + 62 + 2 x 475 MB = 1.02 GB ignores residual and route
    # re-reads, which the model counts
    seed_core = exp["input"] + YOLO_PARAMS + 2 * exp["conv_outputs"]
    assert 1.0e9 < seed_core < 1.1e9
    assert 1.0e9 < t["dram_bytes_per_image"] < 1.3e9
    assert not t["fits"] and not a.in_sram.any() and not a.tensor_in_sram.any()


def test_kinds_sum_to_steps_and_everything_fits_with_big_sram():
    s = Scenario(model="resnet50", width=224, height=224, chip="chip_c", batch=4)
    a = engine.analyze(s)
    assert a.dram_bytes.sum() == pytest.approx(sum(a.traffic.values()), rel=1e-12)
    t = a.totals()
    assert t["fits"]
    fp = a.footprint
    # only the input is read and the 1000 logits written
    assert a.traffic["weights"] == 0
    assert a.traffic["activation_writes"] == a.traffic["activation_reads"] == 0
    assert a.traffic["input"] == 224 * 224 * 3
    assert a.traffic["output"] == 1000
    assert t["weights_in_sram_bytes"] == fp.weight_bytes.sum()


def test_streamed_weights_are_read_once_per_batch():
    base = Scenario(model="resnet50", width=224, height=224, chip="t4", sram_mb=0.0)
    for b in (1, 2, 8, 32):
        a = engine.analyze(replace(base, batch=b))
        assert a.traffic["weights"] == pytest.approx(25_557_032 / b)


def _residual_model():
    return {"name": "res", "input": {"channels": 8, "width": 16, "height": 16}, "layers": [
        {"name": "a", "op": "conv", "out": 8, "kernel": 1, "bias": False},
        {"name": "b", "op": "conv", "out": 8, "kernel": 1, "bias": False},
        {"name": "c", "op": "conv", "out": 8, "kernel": 1, "bias": False},
        {"name": "sum", "op": "add", "inputs": ["c", "a"]},
        {"name": "d", "op": "conv", "out": 4, "kernel": 1, "bias": False},
    ]}


def test_residual_tensor_is_read_back_by_every_consumer():
    s = Scenario(model=_residual_model(), chip="chip_b", sram_mb=0.0)
    a = engine.analyze(s)
    px = 16 * 16
    # tensors: a (read by b and by the add fused into c's step), b, c+sum (read by d)
    assert a.traffic["activation_writes"] == 3 * 8 * px
    assert a.traffic["activation_reads"] == (2 + 1 + 1) * 8 * px
    assert a.traffic["output"] == 4 * px
    assert a.traffic["input"] == 8 * px
    assert a.traffic["weights"] == 8 * 8 * 3 + 8 * 4
    # per-step attribution: step c reads b and a, writes its output
    assert a.dram_bytes[2] == pytest.approx(8 * px * 3 + 64)


def test_policies_on_yolov3_chip_b():
    s = Scenario(model="yolov3", width=1920, height=1088, chip="chip_b")
    d = {p: engine.analyze(replace(s, policy=p)).totals() for p in engine.POLICIES}
    # 64 MB < 61.9 MB weights + activations: weights_first pins all weights, leaving
    # ~2 MB for activations; the optimiser does at least as well as both
    assert d["weights_first"]["weights_in_sram_bytes"] == YOLO_PARAMS
    assert d["activations_first"]["weights_in_sram_bytes"] == 0
    for p in ("weights_first", "activations_first"):
        assert d["optimal"]["dram_bytes_per_image"] <= d[p]["dram_bytes_per_image"]
    assert d["activations_first"]["dram_bytes_per_image"] < \
        d["weights_first"]["dram_bytes_per_image"] / 2
    for p, t in d.items():
        assert t["weights_in_sram_bytes"] + t["activations_in_sram_bytes"] <= 64e6, p


def test_kept_tensors_never_exceed_capacity():
    for mb in (0.5, 2, 8, 30, 64):
        for p in engine.POLICIES:
            a = engine.analyze(Scenario(model="resnet50", width=640, height=480,
                                        chip="chip_b", sram_mb=mb, policy=p, batch=2))
            fp = a.footprint
            sizes = fp.tensor_bytes * a.tensor_in_sram
            # count each buffer once (tensors written in place share one), over the
            # union of its tensors' lifetimes; outputs are written out at once
            first, last = fp.tensor_first, fp.tensor_last.copy()
            outs = fp.output_tensors
            last[outs] = first[outs]
            buf = fp.aliasing.buffer
            live = []
            for i in range(len(fp.steps)):
                here = {}
                for t in np.flatnonzero((first <= i) & (last >= i) & a.tensor_in_sram):
                    here[buf[t]] = fp.aliasing.size[buf[t]]
                live.append(sum(here.values()))
            pinned = fp.weight_bytes[a.weights_pinned].sum()
            staging = min(a.chip.staging_bytes, mb * 1e6)
            assert max(live) + pinned + staging <= mb * 1e6 + 1e-6, (mb, p)
            assert a.totals()["sram_used_peak_bytes"] <= mb * 1e6 + 1e-6


def test_roofline_and_activation_budget_exposed():
    """The GUI draws these; the engine owns the arithmetic. Chip B: 4096 MACs x 1 GHz
    x 2 ops = 8.192 Tops/s; 17.064 GB/s."""
    from sramfit.engine import analyze
    from sramfit.engine.scenario import Scenario
    a = analyze(Scenario(model="resnet50", width=224, height=224, chip="chip_b"))
    r = a.roofline()
    assert r["peak_ops"] == pytest.approx(8.192e12)
    assert r["dram_bytes_per_s"] == pytest.approx(17.064e9)
    assert r["ops"].sum() == pytest.approx(2 * 4_089_184_256)
    assert 0 < a.activation_budget_bytes <= 64e6
