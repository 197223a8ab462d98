"""Goal seek: the least SRAM that meets a goal, and the knee of the DRAM-vs-SRAM curve.

Model. Every figure of a scenario is a step function of the SRAM capacity C: the
placement keeps a tensor (or pins a weight) once C passes its threshold, so DRAM bytes
per image fall and throughput rises in steps (engine.placement, engine.sweep). A goal
is one of

* ``target_fps``: throughput (images/s, at the scenario's batch) >= X;
* ``max_dram_gbps``: DRAM bandwidth used, DRAM bytes per image x images/s (GB/s,
  10^9 bytes/s; the same figure as engine.compare's "DRAM bandwidth used") <= Y;
* ``batch_on_chip``: a batch of N runs with nothing but input and output in DRAM
  (every weight pinned and every activation kept: the analysis' ``fits``), at
  batch = compiled batch = N.

:func:`least_sram` returns the least C (bytes, to ``resolution``) at which the goal
holds. The search is vectorised (engine.sweep.over_sram on arrays): a log grid from
1 kB to an upper bound where everything fits (weights + every activation + 1 MB),
then linear refinements of the bracket between the last failing and the first
meeting grid point down to ``resolution`` bytes, rounded up to a multiple of it: the
true least SRAM of the first transition the grid sees lies within two resolution
steps below the answer. DRAM bandwidth is not monotone in C (faster also means more
bytes per second), so "least" is the least C on the grid, not found by bisection over
an assumed monotone function. If the goal does not hold even at the upper bound, the
result says so (``reachable`` False) with the best figure the chip reaches.

:func:`knee` is the Kneedle point of a decreasing curve (DRAM per image vs log SRAM):
both axes scaled to 0..1, the point farthest below the chord from the first to the last
point; the SRAM past which more SRAM buys little. Units: bytes; MB = 10^6 bytes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from . import sweep
from .errors import InputError
from .scenario import Scenario
from .sweep import _setup

GOALS = {
    "target_fps": "throughput of at least {v:g} images/s",
    "max_dram_gbps": "DRAM bandwidth of at most {v:g} GB/s",
    "batch_on_chip": "a batch of {v:g} with nothing spilled to DRAM",
}

#: figures reported at the answer (engine.sweep names) and the derived bandwidth
REPORTED = ("dram_bytes_per_image", "throughput_ips", "latency_s", "energy_j_per_image",
            "weights_in_sram_bytes", "activations_in_sram_bytes", "fits", "sram_area_mm2")


@dataclass
class SeekResult:
    goal: str
    value: float
    reachable: bool
    sram_bytes: float | None                # least SRAM meeting the goal (None: never)
    figures: dict = field(default_factory=dict)   # the figures there (or at the bound)
    upper_bytes: float = 0.0                # the search's upper bound (everything fits)
    scenario: Scenario | None = None        # the scenario evaluated (batch N for batch goals)

    @property
    def sram_mb(self) -> float | None:
        return None if self.sram_bytes is None else self.sram_bytes / 1e6

    @property
    def description(self) -> str:
        return GOALS[self.goal].format(v=self.value)


def _goal_scenario(s: Scenario, goal: str, value: float) -> Scenario:
    if goal not in GOALS:
        raise InputError(f"goal: {goal!r} is not one of {', '.join(GOALS)}")
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"--{goal.replace('_', '-')}: expected a number > 0, got {value:g}")
    if goal == "batch_on_chip":
        if value != int(value):
            raise InputError(f"--batch-on-chip: expected a whole number, got {value:g}")
        return dataclasses.replace(s, batch=int(value), compiled_batch=None)
    return s


def _meets(goal: str, value: float, r: dict) -> np.ndarray:
    if goal == "target_fps":
        return np.asarray(r["throughput_ips"], float) >= value
    if goal == "max_dram_gbps":
        return dram_gbps(r) <= value
    return np.asarray(r["fits"], bool)


def dram_gbps(r: dict) -> np.ndarray:
    """DRAM bandwidth used, GB/s: bytes per image x images per second / 10^9."""
    return (np.asarray(r["dram_bytes_per_image"], float)
            * np.asarray(r["throughput_ips"], float) / 1e9)


def upper_bound(s: Scenario) -> float:
    """SRAM (bytes) past which nothing changes: every weight as stored (Winograd
    expanded) and every activation of the compiled batch on chip at once, plus the
    chip's staging reserve, plus 1 MB."""
    _, chip, fp, prep, _ = _setup(s)
    return (float(prep.stored_weight_bytes.sum()) + fp.totals()["sum_activation_bytes"]
            + float(chip.staging_bytes) + 1e6)


def least_sram(scenario: Scenario, goal: str, value: float, *, resolution: float = 1e3,
               points: int = 400) -> SeekResult:
    """The least SRAM (bytes, to ``resolution``) at which ``goal`` >= / <= ``value``."""
    s = _goal_scenario(scenario, goal, float(value))
    hi = upper_bound(s)
    lo = min(1e3, hi / 10)
    grid = np.concatenate(([0.0], np.geomspace(lo, hi, points - 1)))
    r = sweep.over_sram(s, grid)
    ok = _meets(goal, value, r)
    if not ok.any():
        best = {k: _item(r[k][-1]) for k in REPORTED}
        best["dram_gbps"] = float(dram_gbps(r)[-1])
        return SeekResult(goal, float(value), False, None, best, hi, s)
    i = int(np.argmax(ok))
    if i == 0:
        a, b = 0.0, 0.0
    else:
        a, b = float(grid[i - 1]), float(grid[i])   # fails at a, meets at b
    while b - a > resolution:
        fine = np.linspace(a, b, 257)
        rf = sweep.over_sram(s, fine)
        okf = _meets(goal, value, rf)
        j = int(np.argmax(okf))                      # okf[-1] is True (= b)
        a, b = float(fine[max(j - 1, 0)]), float(fine[j])
        if j == 0:
            break
    answer = float(np.ceil(b / resolution) * resolution) if b > 0 else 0.0
    at = sweep.over_sram(s, [answer])
    if not _meets(goal, value, at)[0]:               # rounding up never loses the goal
        answer = b                                   # (step functions), but be exact
        at = sweep.over_sram(s, [answer])
    figs = {k: _item(at[k][0]) for k in REPORTED}
    figs["dram_gbps"] = float(dram_gbps(at)[0])
    return SeekResult(goal, float(value), True, answer, figs, hi, s)


def _item(v):
    v = np.asarray(v).item()
    return bool(v) if isinstance(v, (bool, np.bool_)) else float(v)


def knee(sram_bytes, values) -> int | None:
    """Index of the knee of a decreasing curve ``values`` over ``sram_bytes`` (log x):
    the point farthest below the chord of the curve scaled to the unit square. None
    when the curve is flat or has fewer than 3 points with SRAM > 0."""
    x = np.asarray(sram_bytes, float)
    y = np.asarray(values, float)
    keep = np.flatnonzero((x > 0) & np.isfinite(y))
    if len(keep) < 3:
        return None
    lx = np.log10(x[keep])
    yy = y[keep]
    if lx[-1] == lx[0] or yy.max() == yy.min():
        return None
    u = (lx - lx[0]) / (lx[-1] - lx[0])
    v = (yy - yy.min()) / (yy.max() - yy.min())
    chord = v[0] + (v[-1] - v[0]) * u
    gap = chord - v                     # how far below the chord
    j = int(np.argmax(gap))
    if gap[j] <= 0:
        return None
    return int(keep[j])
