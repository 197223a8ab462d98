"""Longer ONNX fuzz than the suite's: mutate the committed ONNX fixtures for a while and
report anything that is not a clean import or one SramfitError line, any import over
5 s and the peak memory (ru_maxrss).

    python tests/reference/fuzz_onnx.py [seconds=60] [seed=0]
"""
from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from sramfit.engine.errors import SramfitError
from sramfit.engine.importers import onnx_import

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))
from onnx_helpers import mutate  # noqa: E402  (shared with tests/test_onnx_hostile.py)

FIXTURES = TESTS / "fixtures" / "onnx"


def main(seconds=60.0, seed=0) -> int:
    rng = random.Random(seed)
    seeds = sorted(p for p in FIXTURES.glob("*.onnx") if p.stat().st_size < 200_000)
    counts = {"ok": 0, "refused": 0, "escaped": 0, "slow": 0}
    end = time.time() + seconds
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        while time.time() < end:
            src = rng.choice(seeds)
            path.write_bytes(mutate(src.read_bytes(), rng.randint, rng.choice,
                                    rng.randbytes))
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    onnx_import.load(path)
                counts["ok"] += 1
            except SramfitError as err:
                counts["refused"] += 1
                if "\n" in str(err) or str(path) not in str(err):
                    counts["escaped"] += 1
                    print("BAD MESSAGE", src.name, str(err)[:300])
            except Exception:      # noqa: BLE001 (this is what the fuzz looks for)
                counts["escaped"] += 1
                keep = Path(f"fuzz_escape_{counts['escaped']}.onnx")
                keep.write_bytes(path.read_bytes())
                print("ESCAPED", src.name, "->", keep)
                traceback.print_exc(limit=3)
            if time.perf_counter() - t0 > 5:
                counts["slow"] += 1
                print("SLOW", src.name, f"{time.perf_counter() - t0:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{sum(counts.values()) - counts['escaped'] - counts['slow']} files: "
          f"{counts['ok']} imported, {counts['refused']} refused with one line, "
          f"{counts['escaped']} escaped, {counts['slow']} over 5 s; peak RSS {peak:.0f} MiB")
    return 1 if counts["escaped"] or counts["slow"] else 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0,
                  int(sys.argv[2]) if len(sys.argv) > 2 else 0))
