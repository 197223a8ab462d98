"""Import time and memory of a large ONNX file (the issue's target: 250 MB in < 2 s and
< 300 MB of extra memory).

Generates, in a temporary directory, a VGG-like ONNX model of about 250 MB of float32
weights, once with the weights inside the .onnx file (as the classic exporter writes
them) and once with external data (as ``dynamo=True`` writes them), then imports each
in a fresh child process and reports wall time, extra peak RSS (ru_maxrss after the
import minus before it; onnx and numpy already imported) and the tracemalloc peak.

    /work/venv/bin/python benchmarks/bench_import.py [--mb 250]

Nothing is written outside the temporary directory.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy, onnx, onnx.shape_inference, onnx.reference  # noqa: F401  (baseline)
from sramfit.engine.importers import onnx_import
from sramfit.engine.footprint import Footprint
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t0 = time.perf_counter()
model = onnx_import.load(sys.argv[2])
dt = time.perf_counter() - t0
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tot = Footprint(model, *model.default_size).totals()
print(json.dumps({"seconds": dt, "extra_rss_mb": (after - before) / 1024,
                  "tracemalloc_peak_mb": peak / 2**20, "params": tot["params"],
                  "layers": len(model.layers)}))
"""


def make_model(path: str, mb: float, external: bool) -> int:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    per = 512 * 512 * 9                       # one 3x3 512->512 conv, float32
    n = max(1, round(mb * 2**20 / (per * 4)))
    nodes, inits = [], []
    x = "image"
    inits.append(numpy_helper.from_array(np.zeros((512, 3, 3, 3), np.float32), "w_in"))
    nodes.append(helper.make_node("Conv", [x, "w_in"], ["c_in"], pads=[1, 1, 1, 1]))
    x = "c_in"
    params = 512 * 27
    for i in range(n):
        w = np.zeros((512, 512, 3, 3), np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        inits.append(numpy_helper.from_array(np.zeros(512, np.float32), f"b{i}"))
        nodes.append(helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"],
                                      pads=[1, 1, 1, 1], name=f"conv{i}"))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"))
        x = f"r{i}"
        params += per + 512
        del w
    graph = helper.make_graph(
        nodes, "big", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                     [1, 3, 64, 64])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    if external:
        onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=os.path.basename(path) + ".data", size_threshold=1024)
    else:
        onnx.save(model, path)
    return params


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=250.0, help="weights size in MB")
    args = ap.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for external in (False, True):
            path = os.path.join(tmp, "big_external.onnx" if external else "big.onnx")
            params = make_model(path, args.mb, external)
            size = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp)
                       if f.startswith(os.path.basename(path)))
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CHILD, ROOT, path], check=True,
                                 capture_output=True, text=True)
            wall = time.perf_counter() - t0
            r = json.loads(out.stdout.strip().splitlines()[-1])
            good = (r["seconds"] < 2 and r["extra_rss_mb"] < 300
                    and r["params"] == params)
            ok &= good
            kind = "external .onnx.data" if external else "weights inside .onnx"
            print(f"{kind:22s} {size / 2**20:7.1f} MB  import {r['seconds']:.3f} s  "
                  f"extra peak RSS {r['extra_rss_mb']:6.1f} MB  tracemalloc peak "
                  f"{r['tracemalloc_peak_mb']:6.1f} MB  params {r['params']:,} "
                  f"({'ok' if r['params'] == params else 'MISMATCH'})  "
                  f"[child process {wall:.1f} s]  {'PASS' if good else 'FAIL'}")
            for f in os.listdir(tmp):
                os.remove(os.path.join(tmp, f))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
