"""The loader fuzzers' mutators, shared by the quick fuzz tests
(tests/test_fuzz_loaders.py, driven by hypothesis) and the long run
(benchmarks/fuzz_loaders.py, driven by random.Random). Both call the same functions
with a *chooser*: anything with ``randint(a, b)`` (inclusive) and ``choice(seq)``;
:class:`Draws` makes one of hypothesis' ``draw``.
"""
from __future__ import annotations

#: hostile text inserted into YAML and darknet .cfg files: aliases and anchors, broken
#: brackets, tags, tabs, huge / non-finite / tiny numbers, NUL and BOM, cfg sections
TOKENS = ["&a ", "*a", "&b [*a, *a, *a]", "[", "]", "{", "}", ": ", "- ", "\t", "\n  ",
          ",", "'", '"', "!!binary ", "!!python/object:os.system ", "!!set ", "? ",
          ".inf", "-.inf", ".nan", "1e309", "1.0e+303", "1.0e-320", "-1", "0", "-100",
          "9" * 60, "0x" + "f" * 30, "null", "~", "true", "[[x]]", "{1: 2, x: 3}",
          "<<: *a", "---\n", "...", "%YAML 1.1\n", "\x00", "\ufeff", "é", "[conv]",
          "[-3, -4]", "=", "#", "1" * 4400, "\n[route]\nlayers=-9\n", "\n[convolutional]\n",
          "filters=0\n", "size=99999\n"]
#: hostile values set into a parsed document
VALUES = [None, True, -1, 0, 1, 2 ** 63, 10 ** 30, -(10 ** 30), 1e300, -1e300,
          float("inf"), float("nan"), 1e-320, "", "x" * 500, [], {}, [[["x"]]],
          {"a": {"b": {}}}, [1, "a", None], {1: 2, "x": 3}, "conv", "relu", -3, 65537,
          16385, 4097, 3.5, "same", [-3, -4], [0, 0], [1, 2, 3, 4, 5]]
#: keys a value mutation may add (fields of scenarios, chips, models and layers)
KEYS = ["chip", "model", "op", "out", "scale", "params", "shape", "inputs", "sram_mb",
        "dram_gbps", 7]


def mutate_text(rng, text: str) -> str:
    """1 to 4 edits: insert a token, cut up to 30 characters, copy up to 80 characters
    from elsewhere, or repeat a line."""
    for _ in range(rng.randint(1, 4)):
        i = rng.randint(0, len(text))
        kind = rng.choice(("token", "token", "cut", "copy", "line"))
        if kind == "token":
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif kind == "cut":
            text = text[:i] + text[i + rng.randint(1, 30):]
        elif kind == "copy":
            j = rng.randint(0, len(text))
            text = text[:i] + text[j:j + rng.randint(1, 80)] + text[i:]
        else:
            line = rng.choice(text.splitlines() or [""])
            text = text[:i] + "\n" + line + "\n" + text[i:]
    return text


def mutate_value(rng, data, paths=()):
    """Set a random field somewhere in ``data`` (up to 3 levels down) to a hostile
    value, or (3 times in 20, if given) to one of ``paths`` (in place; returns data)."""
    node = data
    for _ in range(rng.randint(0, 3)):
        if isinstance(node, (dict, list)) and node:
            k = rng.choice(list(node)) if isinstance(node, dict) \
                else rng.randint(0, len(node) - 1)
            if isinstance(node[k], (dict, list)) and node[k]:
                node = node[k]
                continue
        break
    value = rng.choice(list(paths)) if paths and rng.randint(0, 19) < 3 \
        else rng.choice(VALUES)
    if isinstance(node, dict):
        node[rng.choice(list(node) + KEYS)] = value
    elif isinstance(node, list) and node:
        node[rng.randint(0, len(node) - 1)] = value
    return data


class Draws:
    """A chooser drawing from hypothesis (inside ``@st.composite``)."""

    def __init__(self, draw):
        from hypothesis import strategies as st
        self._draw, self._st = draw, st

    def randint(self, a: int, b: int) -> int:
        return self._draw(self._st.integers(a, b))

    def choice(self, seq):
        return self._draw(self._st.sampled_from(list(seq)))
