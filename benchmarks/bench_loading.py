"""Loading speed (issue 14's targets: a 10,000-layer model file loads and reports in
<= 0.5 s; the 12 bundled chip profiles load in a few ms).

Writes, in a temporary directory, model YAML files of N layers in the README's form
(one flow mapping per layer: residual blocks of conv, norm, act and add), then times
in this process (best of ``--repeat`` runs, wall clock and this process's CPU time):

- ``parse``: the YAML reader alone (engine/yamlio.py);
- ``load``: ``load_model`` = read + parse + validate into a Model;
- ``load+report``: load plus the per-layer figures ``sramfit report --model`` prints
  (``analyze`` at the model's input size and the report rows);
- ``cli``: ``sramfit report --model FILE --format json`` in-process, output discarded;
- ``chips``: all bundled chip profiles from a cold cache (cached by path and mtime
  afterwards).

    python benchmarks/bench_loading.py [--layers 10000 50000] [--repeat 5]

Also prints which YAML parser was used (libyaml's C parser or PyYAML's pure Python).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import tempfile
import time

from sramfit import commands
from sramfit.engine import analyze, chip, list_chips, load_chip, yamlio
from sramfit.engine.modelfile import load_model


def model_text(n: int) -> str:
    lines = ["version: 1", f"name: bench{n}", "source: benchmarks/bench_loading.py",
             "input: {channels: 16, width: 64, height: 64}", "layers:",
             "  - {name: stem, op: conv, out: 32, kernel: 3, padding: 1, bias: false}"]
    prev, i = "stem", 1
    while i < n:
        b = f"b{i}"
        block = [f"  - {{name: {b}c, op: conv, out: 32, kernel: 3, padding: 1, "
                 f"bias: false, inputs: [{prev}]}}",
                 f"  - {{name: {b}n, op: norm}}",
                 f"  - {{name: {b}r, op: act, fn: relu}}",
                 f"  - {{name: {b}a, op: add, inputs: [{b}r, {prev}]}}"]
        block = block[:n - i]
        lines += block
        i += len(block)
        prev = f"{b}a"
    return "\n".join(lines) + "\n"


def best(fn, repeat: int) -> str:
    """'wall s (cpu s)': the best of ``repeat`` runs of each clock. CPU time (this
    process) is what a busy machine disturbs least."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return f"{min(wall):.3f} s (cpu {min(cpu):.3f} s)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", type=int, nargs="+", default=[10000, 50000])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"YAML parser: {'libyaml C' if yamlio.FAST else 'pure Python'}; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.layers:
            path = os.path.join(tmp, f"m{n}.yaml")
            text = model_text(n)
            with open(path, "w") as fh:
                fh.write(text)

            def report():
                m = load_model(path)
                fp = analyze(m, *m.default_size)
                return commands.report_dict(fp)

            def cli():
                threshold = gc.get_threshold()      # main() tunes the collector
                with contextlib.redirect_stdout(io.StringIO()):
                    assert commands.main(["report", "--model", path, "--format",
                                          "json"]) == 0
                gc.set_threshold(*threshold)

            m = load_model(path)
            assert len(m.layers) == n
            print(f"{n} layers ({len(text) / 1e6:.2f} MB): "
                  f"parse {best(lambda: yamlio.parse(text), args.repeat)}, "
                  f"load {best(lambda: load_model(path), args.repeat)}, "
                  f"load+report {best(report, args.repeat)}, "
                  f"cli {best(cli, min(args.repeat, 3))}")

    def chips():
        chip._CACHE.clear()
        for name in list_chips():
            load_chip(name)
    print(f"{len(list_chips())} chip profiles, cold: {best(chips, args.repeat)}; "
          f"cached: {best(lambda: [load_chip(c) for c in list_chips()], args.repeat)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
