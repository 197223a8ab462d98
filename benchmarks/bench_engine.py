"""Engine benchmark: median of repeated runs (time.perf_counter), printed as a table.

    python benchmarks/bench_engine.py [--repeat N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


from sramfit import engine  # noqa: E402
from sramfit.engine import Scenario, sweep  # noqa: E402
from sramfit.engine.footprint import _SHAPES  # noqa: E402
from sramfit.engine.graph import Model, make_layer  # noqa: E402


def chain(n: int) -> Model:
    layers, prev = [], "input"
    for i in range(n):
        name = f"c{i}"
        layers.append(make_layer(name, "conv", [prev], {"out": 16, "kernel": 3,
                                                        "padding": 1}))
        prev = name
    return Model(f"chain{n}", tuple(layers), 16, (64, 64))


def median_s(fn, repeat: int) -> tuple[float, float]:
    """(median wall time, median CPU time of this process): on a shared machine the
    CPU time is the steadier figure."""
    fn()                                   # warm-up (imports, caches)
    ts, cs = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    return statistics.median(ts), statistics.median(cs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    yolo = engine.zoo.get("yolov3")
    c1k, c10k = chain(1000), chain(10_000)
    s = Scenario(model="yolov3", width=1920, height=1088, chip="chip_b")
    grid_c = sweep.log_sram_grid(1e9, 200)
    batches = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    def cold(fn):
        def run():
            _SHAPES.clear()              # shape inference included
            return fn()
        return run

    cases = [
        ("footprint YOLOv3 1920x1088 (cold)", None,
         cold(lambda: engine.analyze(yolo, 1920, 1088).totals())),
        ("footprint YOLOv3 1920x1088 (shapes cached)", None,
         lambda: engine.analyze(yolo, 1920, 1088).totals()),
        ("footprint chain of 1k layers (cold)", None,
         cold(lambda: engine.analyze(c1k, 64, 64).totals())),
        ("footprint chain of 10k layers (cold)", None,
         cold(lambda: engine.analyze(c10k, 64, 64).totals())),
        ("analyze YOLOv3 2 MP chip_b, heuristic", 5e-3,
         lambda: engine.Analysis(s, exact=False).totals()),
        ("analyze YOLOv3 2 MP chip_b, exact (MILP)", 100e-3,
         lambda: engine.analyze(s).totals()),
        ("sweep 200 SRAM x 9 batches YOLOv3 2 MP", 100e-3,
         lambda: sweep.grid(s, grid_c, batches)),
    ]
    print(f"{'case':<44} {'median':>10} {'CPU':>10} {'budget':>9}")
    print("-" * 76)
    t = engine.analyze(s).totals()
    figures = (f"YOLOv3 1920x1088 on chip_b, optimal: {t['dram_bytes_per_image'] / 1e6:.1f} MB "
               f"DRAM/image, placement_exact={t['placement_exact']}, SRAM used at the worst "
               f"step {t['sram_used_peak_bytes'] / 1e6:.3f} MB (staging "
               f"{t['staging_bytes'] / 1e3:.1f} kB)")
    for name, budget, fn in cases:
        rep = max(3, args.repeat // 5) if "10k" in name else args.repeat
        t, c = median_s(fn, rep)
        b = f"{budget * 1e3:.0f} ms" if budget else ""
        print(f"{name:<44} {t * 1e3:>7.2f} ms {c * 1e3:>7.2f} ms {b:>9}")
    print(f"\n{figures}")
    print(f"{args.repeat} runs each (10k chain: fewer), after one warm-up run; "
          f"python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
