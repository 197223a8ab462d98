"""Depth-first schedule benchmark (issue 11): median of repeated runs, as a table.

    python benchmarks/bench_depthfirst.py [--repeat N]

Targets: YOLOv3 2 MP depth-first at one SRAM size <= 20 ms; the whole DRAM-vs-SRAM
curve (200 sizes) for both schedules and the floor <= 200 ms; the app's batch curve
(``sweep.over_batch`` over ``gui.document.batch_grid``, 1..256, at chip B's 64 MB)
<= 100 ms cold (issue 15: every non-SRAM edit under depth-first re-runs it). "warm" =
the model's candidate stacks are already built (as on every slider tick after the
first); every run asks for a new SRAM size so the per-size search is included.
"cold" clears the depth-first caches (stack precompute and candidate search) first,
as an edit of precision or input size does.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
from dataclasses import replace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_engine import median_s  # noqa: E402  (wall and CPU medians)
from sramfit.engine import depthfirst, sweep  # noqa: E402
from sramfit.engine.analysis import Analysis  # noqa: E402
from sramfit.engine.scenario import Scenario  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    s = Scenario(model="yolov3", width=1920, height=1088, chip="chip_b",
                 schedule="depth_first")
    sizes = itertools.cycle([40.0, 48.5, 52.25, 56.125, 60.0625, 64.0, 30.5, 20.25])
    grid = sweep.log_sram_grid(1e9, 200)

    def cold(fn):
        def run():
            depthfirst._CACHE.clear()
            return fn()
        return run

    one = lambda: Analysis(replace(s, sram_mb=next(sizes))).totals()  # noqa: E731
    curves = lambda: sweep.dram_curves(s, grid)  # noqa: E731
    from sramfit.gui.document import batch_grid
    batches = batch_grid(s)
    batch = lambda: sweep.over_batch(s, batches)  # noqa: E731
    cases = [
        ("YOLOv3 2 MP depth-first, one SRAM size (warm)", 20e-3, one),
        ("YOLOv3 2 MP depth-first, one SRAM size (cold)", None, cold(one)),
        ("YOLOv3 2 MP DRAM vs SRAM, both schedules + floor, 200 sizes (warm)", 200e-3,
         curves),
        ("YOLOv3 2 MP DRAM vs SRAM, both schedules + floor, 200 sizes (cold)", None,
         cold(curves)),
        ("YOLOv3 2 MP depth-first batch curve, batches 1..256 (warm)", None, batch),
        ("YOLOv3 2 MP depth-first batch curve, batches 1..256 (cold)", 100e-3, cold(batch)),
    ]
    print(f"{'case':<70} {'median':>10} {'CPU':>10} {'budget':>9}")
    print("-" * 102)
    for name, budget, fn in cases:
        t, c = median_s(fn, args.repeat)
        b = f"{budget * 1e3:.0f} ms" if budget else ""
        print(f"{name:<70} {t * 1e3:>7.2f} ms {c * 1e3:>7.2f} ms {b:>9}")
    print(f"\n{args.repeat} runs each after one warm-up run; python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
