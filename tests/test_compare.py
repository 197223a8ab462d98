"""engine.compare: key figures side by side, deltas, settings diff, curves, Pareto.

Expected deltas are computed here from values asserted independently (hand-made
figure dicts, or the engine's own ``totals()``), never taken from the code under test.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sramfit import engine
from sramfit.engine import compare as cmp
from sramfit.engine.errors import InputError
from sramfit.engine.resources import scenarios_dir
from sramfit.engine.scenario import load_scenario

SC = scenarios_dir()


def _fig(**kw):
    """A figures() dict with every key 0 except those given."""
    d = {f.key: 0.0 for f in cmp.FIGURES}
    d["fits"] = False
    d.update(kw)
    return d


def _row(rows, key):
    (r,) = [r for r in rows if r.key == key]
    return r


def test_deltas_by_hand():
    a = _fig(dram_bytes_per_image=200e6, throughput_ips=100.0, latency_s=0.010,
             sram_area_mm2=8.8, energy_j_per_image=0.002, fits=True)
    b = _fig(dram_bytes_per_image=50e6, throughput_ips=250.0, latency_s=0.004,
             sram_area_mm2=70.4, energy_j_per_image=0.001)
    rows = cmp.compare([a, b])
    d = _row(rows, "dram_bytes_per_image")
    assert d.label == "DRAM per image (MB)"
    assert d.values == [200.0, 50.0]              # MB = 10^6 bytes
    assert d.deltas == [0.0, -150.0]
    assert d.pct[1] == pytest.approx(-75.0)
    t = _row(rows, "throughput_ips")
    assert t.deltas[1] == 150.0 and t.pct[1] == pytest.approx(150.0)
    lat = _row(rows, "latency_s")
    assert lat.values == pytest.approx([10.0, 4.0]) and lat.pct[1] == pytest.approx(-60.0)
    area = _row(rows, "sram_area_mm2")
    assert area.pct[1] == pytest.approx(700.0)
    e = _row(rows, "energy_j_per_image")
    assert e.values == pytest.approx([2.0, 1.0]) and "mJ" in e.label
    fits = _row(rows, "fits")
    assert fits.values == [True, False] and fits.deltas == [None, None]

    # baseline = the second scenario: deltas flip sign, % is relative to it
    rows = cmp.compare([a, b], baseline=1)
    d = _row(rows, "dram_bytes_per_image")
    assert d.deltas == [150.0, 0.0] and d.pct[0] == pytest.approx(300.0)
    assert d.baseline == 1


def test_zero_baseline_percent():
    rows = cmp.compare([_fig(traffic_activations=0.0), _fig(traffic_activations=5e6),
                        _fig(traffic_activations=0.0)])
    r = _row(rows, "traffic_activations")
    assert r.deltas == [0.0, 5.0, 0.0]
    assert r.pct == [0.0, None, 0.0]              # no % of nothing


def test_bad_baseline():
    with pytest.raises(InputError):
        cmp.compare([_fig(), _fig()], baseline=2)
    with pytest.raises(InputError):
        cmp.compare([])


def test_labels_say_units_and_per_image_or_batch():
    labels = {f.key: f.label for f in cmp.FIGURES}
    assert labels["macs_executed"] == "MACs per batch (G)"
    assert labels["largest_activation_bytes"] == "largest activation, whole batch (MB)"
    assert "per batch" in labels["latency_s"]
    for k in ("dram_bytes_per_image", "energy_j_per_image", "traffic_weights"):
        assert "per image" in labels[k]
    assert labels["dram_bytes_per_s"] == "DRAM bandwidth used (GB/s)"
    for f in cmp.FIGURES:
        if f.key == "dram_bytes_per_s":
            assert f.scale == 1e-9                 # GB = 10^9 bytes
        elif f.key.endswith("bytes") or "bytes_per" in f.key or f.key.startswith("traffic"):
            assert "(MB)" in f.label and f.scale == 1e-6, f


@pytest.fixture(scope="module")
def resnet():
    s224 = load_scenario(SC / "resnet50_224_t4_b1.yaml")
    s2mp = load_scenario(SC / "resnet50_2mp_t4_b1.yaml")
    return s224, s2mp, engine.analyze(s224), engine.analyze(s2mp)


def test_real_scenarios_match_totals(resnet):
    _, _, a, b = resnet
    ta, tb = a.totals(), b.totals()
    rows = cmp.compare([a, b])
    d = _row(rows, "dram_bytes_per_image")
    assert d.values == pytest.approx([ta["dram_bytes_per_image"] / 1e6,
                                      tb["dram_bytes_per_image"] / 1e6])
    want = (tb["dram_bytes_per_image"] - ta["dram_bytes_per_image"]) / 1e6
    assert d.deltas[1] == pytest.approx(want)
    assert d.pct[1] == pytest.approx(want * 1e6 / ta["dram_bytes_per_image"] * 100)
    w = _row(rows, "weight_bytes_stored")
    assert w.values == pytest.approx([25.557032, 25.557032])    # ResNet-50 int8
    assert w.deltas[1] == 0 and w.pct[1] == 0
    la = _row(rows, "largest_activation_bytes")
    assert la.values[0] == pytest.approx(64 * 112 * 112 / 1e6)  # 0.8 MB at 224
    assert la.values[1] == pytest.approx(33.4, abs=0.1)          # 33.4 MB at 2 MP
    thr = _row(rows, "throughput_ips")
    assert thr.values == pytest.approx([ta["throughput_ips"], tb["throughput_ips"]])
    bw = _row(rows, "dram_bytes_per_s")
    assert bw.values[0] == pytest.approx(ta["dram_bytes_per_image"] * ta["throughput_ips"]
                                         / 1e9)
    tw = _row(rows, "traffic_weights")
    assert tw.values[0] == pytest.approx(ta["traffic_per_image"]["weights"] / 1e6)
    spills = _row(rows, "spilled_layers")
    assert spills.values[0] == int((~a.in_sram.astype(bool)).sum())


def test_diff_settings(resnet):
    s224, s2mp, _, _ = resnet
    diff = cmp.diff_settings(s224, s2mp)
    fields = [f for f, _, _ in diff]
    assert ("width", 224, 1920) in diff and ("height", 224, 1088) in diff
    assert "name" in fields and "chip" not in fields and "batch" not in fields
    full = cmp.diff_settings(s224, s2mp, only_different=False)
    assert ("chip", "t4", "t4") in full and len(full) > len(diff)
    s8 = replace(s224, batch=8, sram_mb=16.0)
    assert cmp.diff_settings(s224, s8) == [("batch", 1, 8), ("sram_mb", None, 16.0)]
    assert cmp.diff_settings(s224, s224) == []


def test_the_seeds_point(resnet):
    """224: weights dominate DRAM traffic and batching helps (~3-4x at batch 32);
    2 MP: activations dominate and batching hardly helps."""
    s224, s2mp, a, b = resnet
    c224, c2mp = cmp.batch_curves([s224, s2mp])
    i32 = list(cmp.BATCHES).index(32)
    assert c224["throughput_vs_batch1"][0] == 1.0
    assert c224["throughput_vs_batch1"][i32] == pytest.approx(
        c224["throughput_ips"][i32] / c224["throughput_ips"][0])
    assert c224["throughput_vs_batch1"][i32] > 3.0
    assert c2mp["throughput_vs_batch1"][i32] < 1.2
    t224, t2mp = cmp.traffic_split(a), cmp.traffic_split(b)
    assert t224["share"]["weights"] > 0.9 and t2mp["share"]["activations"] > 0.9
    tr = a.traffic
    assert t224["total"] == pytest.approx(sum(tr.values()))
    assert sum(t2mp["share"].values()) == pytest.approx(1.0)


def test_pareto_front_by_hand():
    # cost:   1    2    3    4    5
    # value: 10   30   20   40   40     -> optimal: 0, 1, 3 (4 ties 3 at more cost)
    idx = cmp.pareto_front([1, 2, 3, 4, 5], [10, 30, 20, 40, 40])
    assert idx.tolist() == [0, 1, 3]
    # lower is better (e.g. DRAM bandwidth): 0 (cost 1, 50), 2 (cost 3, 10)
    idx = cmp.pareto_front([1, 2, 3], [50, 60, 10], higher_is_better=False)
    assert idx.tolist() == [0, 2]
    # sorted by cost whatever the input order; NaN never optimal
    idx = cmp.pareto_front([5, 1, math.nan], [9, 1, 100])
    assert idx.tolist() == [1, 0]
    assert cmp.pareto_front([], []).tolist() == []


def test_pareto_family(resnet):
    _, _, a, b = resnet
    fam = cmp.pareto_family([a, b], "throughput_ips")
    assert fam.labels == [a.scenario.name, b.scenario.name]
    assert fam.area_mm2 == pytest.approx([a.totals()["sram_area_mm2"]] * 2)
    # same chip, same area: the faster scenario dominates
    assert fam.front.tolist() == [0]
    fam = cmp.pareto_family([a], "dram_bytes_per_image", sram_variants_mb=[1, 32, 64])
    assert fam.variant == [None, 1.0, 32.0, 64.0]
    # more SRAM never means more DRAM traffic; area grows with SRAM
    assert np.all(np.diff(fam.area_mm2[1:]) > 0)
    assert fam.y[3] <= fam.y[2] <= fam.y[1]
    assert 1 in fam.front.tolist()           # the smallest variant is always optimal
    with pytest.raises(InputError):
        cmp.pareto_family([a], "bogus")


def test_row_unit_by_hand():
    # below 10,000 in the row's unit: unchanged; from 10,000 the next unit up
    assert cmp.row_unit("DRAM per image (MB)", [9999.0, 1.0]) == ("DRAM per image (MB)", 1.0)
    assert cmp.row_unit("DRAM per image (MB)", [10000.0]) == ("DRAM per image (GB)", 1e-3)
    assert cmp.row_unit("x (MB)", [2.5e7]) == ("x (TB)", 1e-6)
    assert cmp.row_unit("latency per batch (ms)", [-12000.0]) == ("latency per batch (s)",
                                                                   1e-3)
    assert cmp.row_unit("batch (images per request)", [1e9]) == (
        "batch (images per request)", 1.0)
    assert cmp.row_unit("fits", [True, False]) == ("fits", 1.0)


def test_cli_compare_scales_units_as_the_app(tmp_path, capsys):
    """``sramfit compare`` and the app's compare table use one unit rule: a batch of 512
    at 2 MP holds > 10,000 MB of activations, shown in GB by both."""
    import json

    from sramfit.commands import main
    s = replace(load_scenario(scenarios_dir() / "resnet50_2mp_t4_b32.yaml"),
                batch=512, compiled_batch=None)
    path = tmp_path / "big.yaml"
    engine.save_scenario(s, path)
    assert main(["compare", str(path), str(path), "--format", "json"]) == 0
    raw = json.loads(capsys.readouterr().out)["scenarios"][0]["figures"]
    big = raw["largest_activation_bytes"]
    assert big >= 1e10                      # the premise: > 10,000 MB
    assert main(["compare", str(path), str(path)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("largest activation"))
    assert "(GB)" in line and "(MB)" not in line
    shown = float(line.split()[-2].replace(",", ""))
    assert shown == pytest.approx(big / 1e9, abs=0.1)
    pytest.importorskip("PySide6")
    from sramfit.gui.compare.data import Entry, build_data, table_cells
    a = engine.analyze(s)
    _, rows = table_cells(build_data([Entry(s, a, str(path)), Entry(s, a, str(path))]))
    app_labels = {r[0].strip() for r in rows}
    assert line[:line.index("(GB)") + 4].strip() in app_labels
