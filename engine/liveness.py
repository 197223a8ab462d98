"""Tensor lifetimes, in-place buffers, live memory per step, and the arena planner.

In-place buffers (:func:`plan_aliases`)
---------------------------------------
Tensors are placed in *buffers*; several tensors may share one, as production planners
do (TFLite's arena planner, TVM, ONNX Runtime). Going through the steps in order:

* **In place.** A step whose output comes from elementwise layers (act, norm, add, and
  fused chains of them) writes its output over one of those layers' inputs when that
  input's whole buffer dies at this step (no later reader of any tensor in it), has
  the output's shape and is not the model input. The output joins that buffer.
* **View.** A single-input concat (a darknet route of one layer, or a ``groups`` slice
  of it) reads in place: its output is a view of the input's buffer, which then lives
  until the view's last reader. The step moves no data.
* **Concat slices.** A concat step (a concat alone in its step, not a model output)
  has each input's producer write straight into a slice of the concat's buffer, when
  that input has a buffer of its own that no other tensor shares (not the model
  input, no view of it; a tensor a concat reads is never written in place, so that
  it can go to the slice). The concat
  buffer then lives from the first of those inputs' first step to the concat's last
  reader; the step copies only the inputs that could not be aliased.

A buffer's size is its largest tensor's (the concat), its lifetime the union of its
tensors'. With aliasing off every tensor is its own buffer (today's copies).
"""
from __future__ import annotations

from dataclasses import dataclass
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


#: Alias kinds (``Aliasing.kind``): how a tensor came to share a buffer.
IN_PLACE, VIEW, SLICE = "in_place", "view", "slice_of"


@dataclass
class Aliasing:
    """Which buffer each tensor lives in (see the module docstring).

    ``buffer[t]`` is the id of the tensor owning t's buffer (t itself if unshared);
    ``kind[t]``/``of[t]`` say how t joined it (None/-1 if it did not): written in place
    over ``of[t]`` or a view of ``of[t]``; ``slice_of[t]`` is the concat whose buffer
    t was written into (-1 if none). Per step,
    ``moves[s]`` is False for a step that moves no data (a view, or a concat whose
    inputs are all slices) and ``copied[s]`` lists the inputs a concat step still
    copies. ``size``/``first``/``last`` are per buffer id (meaningful where
    ``buffer[t] == t``)."""
    buffer: np.ndarray
    kind: list
    of: np.ndarray
    slice_of: np.ndarray
    size: np.ndarray
    first: np.ndarray
    last: np.ndarray
    copied: list              # per step: tensors the step reads (after aliasing)
    written: np.ndarray       # per step: bytes it writes into its output's buffer

    def buffers(self) -> np.ndarray:
        """Ids of the buffers (tensors owning one), ascending."""
        return np.flatnonzero(self.buffer == np.arange(len(self.buffer)))

    def groups(self, kinds=(VIEW, SLICE)) -> np.ndarray:
        """Per tensor, the id of the buffer it would share if only joins of ``kinds``
        counted (the placement shares views and concat slices, and treats a step
        written in place as a credit: engine/placement.py)."""
        f = Forest(len(self.buffer))
        for t in range(len(self.buffer)):
            if VIEW in kinds and self.kind[t] == VIEW:
                f.join(f.find(t), f.find(int(self.of[t])))
            if IN_PLACE in kinds and self.kind[t] == IN_PLACE:
                f.join(f.find(t), f.find(int(self.of[t])))
            if SLICE in kinds and self.slice_of[t] >= 0:
                f.join(f.find(t), f.find(int(self.slice_of[t])))
        return f.roots()


class Forest:
    """Union-find over tensor ids: which buffer (root tensor) each tensor lives in."""

    def __init__(self, n: int):
        self.root = np.arange(n)

    def find(self, t: int) -> int:
        root = self.root
        while root[t] != t:
            root[t] = root[root[t]]
            t = root[t]
        return t

    def join(self, t: int, r: int) -> None:
        """Root ``t``'s set into root ``r``'s."""
        self.root[t] = r

    def roots(self) -> np.ndarray:
        return np.array([self.find(t) for t in range(len(self.root))], dtype=np.int64)


def plan_aliases(steps: Sequence[tuple], size, first, last, is_output,
                 enabled: bool = True) -> Aliasing:
    """Share buffers between tensors (module docstring).

    ``steps[s] = (kind, inputs, candidates)``: ``inputs`` the tensor ids the step
    reads (tensor s+1 is its output, tensor 0 the model input); ``kind`` is
    ``"elementwise"`` (``candidates``: the inputs it may write over), ``"view"``,
    ``"concat"`` (``candidates``: the concat's inputs in order, each once) or None.
    ``size``/``first``/``last``/``is_output`` are per tensor; bytes may be per image or
    per batch (only equality and order matter)."""
    size = np.asarray(size)
    T = len(size)
    forest = Forest(T)
    find = forest.find
    bsize = np.array(size, copy=True)
    bfirst = np.array(first, copy=True)
    blast = np.array(last, copy=True)
    kind: list = [None] * T
    of = np.full(T, -1, dtype=np.int64)
    slice_of = np.full(T, -1, dtype=np.int64)
    reads = [list(st[1]) for st in steps]
    written = np.array([size[i + 1] for i in range(len(steps))], dtype=size.dtype)

    members = np.ones(T, dtype=np.int64)

    def join(t, r):                       # tensor t (its own buffer) into buffer r
        forest.join(t, r)
        members[r] += members[t]
        bfirst[r] = min(bfirst[r], bfirst[t])
        blast[r] = max(blast[r], blast[t])

    # tensors a concat reads are written into its slices rather than in place
    concat_inputs = {t for k, _, cands in steps if k == "concat" for t in cands}
    for s, (k, inputs, cands) in enumerate(steps if enabled else ()):
        o = s + 1
        if k is None or is_output[o]:
            continue
        if k == "view":
            t = inputs[0]
            if t == 0:
                continue
            join(o, find(t))
            kind[o], of[o] = VIEW, t
            reads[s], written[s] = [], 0
        elif k == "elementwise" and o not in concat_inputs:
            for t in cands:
                r = find(t)
                if t != 0 and blast[r] == s and bsize[r] == size[o] and size[t] == size[o]:
                    join(o, r)
                    kind[o], of[o] = IN_PLACE, t
                    break
        elif k == "concat":
            roots, take = set(), []
            for t in cands:
                r = find(t)
                if t == 0 or r != t or members[r] != 1 or r in roots:
                    continue
                roots.add(r)
                take.append((t, r))
            for t, r in take:
                join(r, o)
                slice_of[t] = o
            aliased = {t for t, _ in take}
            reads[s] = [t for t in inputs if t not in aliased]
            written[s] = sum(int(size[t]) for t in reads[s])
    buffer = forest.roots()
    return Aliasing(buffer, kind, of, slice_of, bsize, bfirst, blast, reads, written)
