"""Tensor lifetimes, live memory per step, and the activation-arena offset planner."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import InputError


def live_bytes(sizes: np.ndarray, first: np.ndarray, last: np.ndarray, steps: int) -> np.ndarray:
    """Bytes live at each step: tensor i is live on steps first[i]..last[i] inclusive."""
    delta = np.zeros(steps + 1, dtype=np.int64)
    np.add.at(delta, first, sizes)
    np.add.at(delta, last + 1, -sizes)
    return np.cumsum(delta[:-1])


def plan_offsets(buffers: Sequence[tuple[int, int, int]]) -> tuple[list[int], int]:
    """Place buffers in one arena so that no two with overlapping lifetimes overlap.

    ``buffers`` are ``(size_bytes, first_step, last_step)`` tuples, steps inclusive.
    Greedy by size (TFLite's memory planner; Pisarchyk & Lee, 2020): take buffers
    from the largest down, and put each into the smallest gap between the buffers
    already placed whose lifetimes overlap it, or above them all. Returns
    ``(offsets, total_bytes)``, offsets in input order.
    """
    n = len(buffers)
    sizes, firsts, lasts = [], [], []
    for i, b in enumerate(buffers):
        try:
            size, first, last = (int(v) for v in b)
        except (TypeError, ValueError):
            raise InputError(f"buffer {i}: expected (size_bytes, first_step, last_step), "
                             f"got {b!r}") from None
        if size < 0 or first < 0 or last < first:
            raise InputError(f"buffer {i}: need size >= 0 and 0 <= first_step <= last_step, "
                             f"got {b!r}")
        sizes.append(size)
        firsts.append(first)
        lasts.append(last)
    offsets = [0] * n
    total = 0
    at_step: dict[int, list[int]] = {}  # step -> placed buffers live at that step
    order = sorted(range(n), key=lambda i: (-sizes[i], firsts[i], i))
    for i in order:
        size = sizes[i]
        if size == 0:
            continue
        lo, hi = firsts[i], lasts[i]
        if hi == lo:
            overlapping = at_step.get(lo, ())
        else:
            seen: set[int] = set()
            for s in range(lo, hi + 1):
                seen.update(at_step.get(s, ()))
            overlapping = seen
        best, best_gap, top = None, None, 0
        for j in sorted(overlapping, key=offsets.__getitem__):
            gap = offsets[j] - top
            if gap >= size and (best_gap is None or gap < best_gap):
                best, best_gap = top, gap
            top = max(top, offsets[j] + sizes[j])
        offset = top if best is None else best
        offsets[i] = offset
        total = max(total, offset + size)
        for s in range(lo, hi + 1):
            at_step.setdefault(s, []).append(i)
    return offsets, total
