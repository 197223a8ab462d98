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

from sramfit import commands
from sramfit.engine import modelfile, zoo
from sramfit.engine.errors import SramfitError
from sramfit.engine.resources import chips_dir, profiles_dir, scenarios_dir

CANARY = "CANARY-7f3e9 hunter2"
TOKENS = ["&a ", "*a", "&b [*a, *a, *a]", "[", "]", "{", "}", ": ", "- ", "\t", "\n  ",
          ",", "'", '"', "!!binary ", "!!python/object:os.system ", "!!set ", "? ",
          ".inf", "-.inf", ".nan", "1e309", "1.0e+303", "1.0e-320", "-1", "0", "-100",
          "9" * 60, "0x" + "f" * 30, "null", "~", "true", "[[x]]", "{1: 2, x: 3}",
          "<<: *a", "---\n", "...", "%YAML 1.1\n", "\x00", "\ufeff", "é", "[conv]",
          "[-3, -4]", "=", "#", "1" * 4400]
VALUES = [None, True, -1, 0, 1, 2 ** 63, 10 ** 30, -(10 ** 30), 1e300, -1e300,
          float("inf"), float("nan"), 1e-320, "", "x" * 500, [], {}, [[["x"]]],
          {"a": {"b": {}}}, [1, "a", None], {1: 2, "x": 3}, "conv", "relu", -3, 65537,
          16385, 4097, 3.5, "same", [-3, -4], [0, 0], [1, 2, 3, 4, 5]]


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


def _mutate_text(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(text) + 1)
        r = rng.random()
        if r < 0.5:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif r < 0.7:
            text = text[:i] + text[i + rng.randint(1, 20):]
        elif r < 0.85:
            j = rng.randrange(len(text) + 1)
            text = text[:i] + text[j:j + rng.randint(1, 80)] + text[i:]
        else:
            line = rng.choice(text.splitlines() or [""])
            text = text[:i] + "\n" + line + "\n" + text[i:]
    return text


def _paths(rng, foreign: list[str]):
    return rng.choice(foreign + ["/etc/passwd", "/etc/shadow", "/dev/zero", "/proc/self",
                                 "../" * 20 + "etc/hostname", "a\x00b.yaml", "x" * 5000,
                                 "/nonexistent/chip.yaml"])


def _mutate_value(rng, data, foreign):
    """Set a random field somewhere in ``data`` to a hostile value (in place)."""
    node = data
    for _ in range(rng.randint(0, 3)):
        if isinstance(node, dict) and node:
            k = rng.choice(list(node))
            if isinstance(node[k], (dict, list)) and node[k]:
                node = node[k]
                continue
        elif isinstance(node, list) and node:
            k = rng.randrange(len(node))
            if isinstance(node[k], (dict, list)) and node[k]:
                node = node[k]
                continue
        break
    value = _paths(rng, foreign) if rng.random() < 0.15 else rng.choice(VALUES)
    if isinstance(node, dict):
        key = rng.choice(list(node) + ["chip", "model", "op", "out", "scale", "params",
                                       "shape", "inputs", "sram_mb", "dram_gbps", 7])
        node[key] = value
    elif isinstance(node, list) and node:
        node[rng.randrange(len(node))] = value
    return data


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
        _mutate_value(rng, data, [])
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
                text = yaml.safe_dump(_mutate_value(rng, data, foreign), sort_keys=False)
            except Exception:  # noqa: BLE001 - a value PyYAML cannot dump: mutate text
                text = _mutate_text(rng, text)
        else:
            text = _mutate_text(rng, text)
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
