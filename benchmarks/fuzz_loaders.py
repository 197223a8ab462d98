"""Fuzz every sramfit loader for as long as you like (the suite runs a few seconds of
the same in tests/test_fuzz_loaders.py).

Mutates the bundled scenarios, chip profiles, a model YAML and the darknet .cfg files
(text mutations: hostile tokens such as aliases, anchors, brackets, huge or
non-finite numbers, tags, tabs, duplicate keys; and value mutations: a random field
set to a hostile value, including paths to a "foreign" file holding a canary), runs
``sramfit report`` on each in-process, and also feeds random dicts to the engine's
model-editing path (``model_from_dict``, what the GUI's layer editor calls). A case
fails when it

- raises anything but the engine's own errors, or exits with status 3 (an internal
  error) instead of 0 or 2;
- takes more than 5 s;
- prints any byte sequence of the canary file (a foreign file's contents).

At the end it prints the counts, the slowest case and the peak RSS (MB = 10^6 bytes)
of the whole run (the issue's bound: 500 MB). Exit status 1 if any case failed; the
failing inputs are written to ``--out`` (default: a temporary folder).

    python benchmarks/fuzz_loaders.py --seconds 300 [--seed 1] [--out DIR]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fuzzing import mutate_text, mutate_value  # noqa: E402  (shared with the tests)
from sramfit import commands  # noqa: E402
from sramfit.engine import modelfile, zoo  # noqa: E402
from sramfit.engine.errors import SramfitError  # noqa: E402
from sramfit.engine.resources import chips_dir, profiles_dir, scenarios_dir  # noqa: E402

CANARY = "CANARY-7f3e9 hunter2"
def _seeds() -> list[tuple[str, str]]:
    """(kind, text): kind is scenario, chip, model (YAML) or cfg."""
    seeds = []
    for kind, d in (("scenario", scenarios_dir()), ("chip", chips_dir()),
                    ("model", profiles_dir() / "models")):
        for p in sorted(Path(d).glob("*")):
            if p.suffix in (".yaml", ".cfg"):
                seeds.append(("cfg" if p.suffix == ".cfg" else kind, p.read_text()))
    seeds.append(("model", modelfile.dump_model(zoo.get("resnet18"))))
    return seeds


def _paths(foreign: list[str]) -> list[str]:
    """Paths a value mutation may put where a file name belongs."""
    return foreign + ["/etc/passwd", "/etc/shadow", "/dev/zero", "/proc/self",
                      "../" * 20 + "etc/hostname", "a\x00b.yaml", "x" * 5000,
                      "/nonexistent/chip.yaml"]


def _foreign_files(folder: Path) -> list[str]:
    files = {
        "secret.yaml": f"password: {CANARY}\nversion: '3'\n",
        "secret.txt": f"{CANARY}\nroot:x:0:0:{CANARY}:/root:/bin/bash\n",
        "secret.cfg": f"{CANARY}=1\n",
        "secret2.yaml": f"- {CANARY}\n- [{CANARY}]\n",
        "secret3.yaml": f"name: {CANARY}\nlayers: {CANARY}\n",
    }
    out = []
    for name, text in files.items():
        (folder / name).write_text(text)
        out.append(str(folder / name))
    return out


def run_case(kind: str, path: str) -> tuple[int, str]:
    """``sramfit report`` on the file: a scenario as such, a chip with resnet18, a
    model or cfg alone and on chip_b."""
    argv = {"scenario": ["report", path],
            "chip": ["report", "--model", "resnet18", "--chip", path],
            "model": ["report", "--model", path, "--chip", "chip_b"],
            "cfg": ["report", "--model", path]}[kind]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = commands.main(argv + ["--format", "json"])
    return rc, out.getvalue() + err.getvalue()


def check_model_dict(rng, base: dict) -> str | None:
    """None if model_from_dict handled a random edit of ``base`` cleanly."""
    import copy
    data = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        mutate_value(rng, data)
    try:
        model = modelfile.model_from_dict(data, "<fuzz>")
        from sramfit.engine import analyze
        analyze(model, *model.default_size)
    except SramfitError:
        return None
    except Exception as err:  # noqa: BLE001 - that is what the fuzz looks for
        return f"{type(err).__name__}: {err}"
    return None


def main(argv=None) -> int:
    import yaml
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None, help="folder for failing inputs")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="sramfit-fuzz-"))
    out = Path(args.out) if args.out else work / "failures"
    out.mkdir(parents=True, exist_ok=True)
    foreign = _foreign_files(work)
    paths = _paths(foreign)
    seeds = _seeds()
    base_model = zoo.get("resnet18").to_dict()
    counts = {"cases": 0, "exit0": 0, "exit2": 0, "failures": 0, "dict_cases": 0}
    slowest = (0.0, "")
    t_end = time.perf_counter() + args.seconds
    while time.perf_counter() < t_end:
        counts["cases"] += 1
        if counts["cases"] % 5 == 0:
            counts["dict_cases"] += 1
            problem = check_model_dict(rng, base_model)
            if problem:
                counts["failures"] += 1
                print(f"model_from_dict: {problem}", file=sys.stderr)
            continue
        kind, text = rng.choice(seeds)
        ext = ".cfg" if kind == "cfg" else ".yaml"
        if ext == ".yaml" and rng.random() < 0.4:
            try:
                data = yaml.safe_load(text)
                text = yaml.safe_dump(mutate_value(rng, data, paths), sort_keys=False)
            except Exception:  # noqa: BLE001 - a value PyYAML cannot dump: mutate text
                text = mutate_text(rng, text)
        else:
            text = mutate_text(rng, text)
        name = f"case_{kind}{ext}"
        path = work / name
        try:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        except (UnicodeError, ValueError):
            continue
        t0 = time.perf_counter()
        try:
            rc, output = run_case(kind, str(path))
            why = None if rc in (0, 2) else f"exit status {rc}: {output[-300:]}"
        except BaseException as err:  # noqa: BLE001
            rc, output, why = -1, "", f"{type(err).__name__}: {err}"
        dt = time.perf_counter() - t0
        if dt > slowest[0]:
            slowest = (dt, name)
        if why is None and dt > 5:
            why = f"took {dt:.1f} s"
        if why is None and ("CANARY" in output or "hunter2" in output):
            why = "printed the contents of a foreign file"
        counts["exit0" if rc == 0 else "exit2" if rc == 2 else "failures"] += 0 if why \
            else 1
        if why:
            counts["failures"] += 1
            keep = out / f"fail{counts['failures']:04d}_{kind}{ext}"
            keep.write_text(text, encoding="utf-8", errors="surrogatepass")
            print(f"{keep}: {why}", file=sys.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(f"{counts['cases']} cases in {args.seconds:g} s (seed {args.seed}): "
          f"{counts['exit0']} exit 0, {counts['exit2']} exit 2 (bad input), "
          f"{counts['dict_cases']} model_from_dict edits, {counts['failures']} failures; "
          f"slowest {slowest[0]:.3f} s; peak RSS {peak_mb:.0f} MB")
    return 1 if counts["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
