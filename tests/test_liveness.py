"""Liveness and the offset planner."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sramfit import engine
from sramfit.engine import plan_offsets
from sramfit.engine.liveness import live_bytes


def peak_of(buffers):
    steps = max(b[2] for b in buffers) + 1
    live = [0] * steps
    for size, a, b in buffers:
        for s in range(a, b + 1):
            live[s] += size
    return max(live)


def assert_valid(buffers, offsets, total):
    for i, (si, ai, bi) in enumerate(buffers):
        assert offsets[i] >= 0 and offsets[i] + si <= total
        for j in range(i):
            sj, aj, bj = buffers[j]
            if si and sj and ai <= bj and aj <= bi:   # lifetimes overlap
                assert offsets[i] + si <= offsets[j] or offsets[j] + sj <= offsets[i], \
                    f"buffers {i} and {j} overlap in memory"


buffer = st.tuples(st.integers(0, 10_000), st.integers(0, 30), st.integers(0, 10)).map(
    lambda t: (t[0], t[1], t[1] + t[2]))


@settings(max_examples=300, deadline=None)
@given(st.lists(buffer, min_size=1, max_size=40))
def test_planner_never_overlaps_live_buffers(buffers):
    offsets, total = plan_offsets(buffers)
    assert_valid(buffers, offsets, total)
    assert total >= peak_of(buffers)
    assert total <= sum(b[0] for b in buffers)


def test_chain_reuses_memory():
    # a chain: tensor i is written at step i and read at step i+1
    buffers = [(1000, i, i + 1) for i in range(100)]
    offsets, total = plan_offsets(buffers)
    assert total == 2000          # two buffers ping-pong
    assert len(set(offsets)) == 2


def test_planner_examples_by_hand():
    # A (100, 0-1) and B (50, 1-2) overlap; C (100, 2-3) overlaps B only -> reuses A's place
    offsets, total = plan_offsets([(100, 0, 1), (50, 1, 2), (100, 2, 3)])
    assert total == 150
    assert offsets[0] == offsets[2] == 0 and offsets[1] == 100
    assert plan_offsets([]) == ([], 0)


@pytest.mark.parametrize("bad", [[(10, 3, 1)], [(-1, 0, 0)], [("x", 0, 0)], [(1, 2)]])
def test_planner_rejects_bad_buffers(bad):
    with pytest.raises(engine.InputError):
        plan_offsets(bad)


def test_live_bytes_by_hand():
    sizes = np.array([10, 20, 30])
    first = np.array([0, 0, 1])
    last = np.array([0, 2, 1])
    assert live_bytes(sizes, first, last, 3).tolist() == [30, 50, 20]


def test_residual_input_stays_live_across_the_block():
    fp = engine.analyze("resnet18", 224, 224)
    rows = {r["name"]: r for r in fp.layer_rows()}
    names = [s.name for s in fp.steps]
    # the maxpool output (64x56x56 int8) is read by layer1.0.conv1 and, as the identity,
    # by layer1.0.conv2 (which carries the fused add): live at both steps
    pool = 64 * 56 * 56
    i1, i2 = names.index("layer1.0.conv1"), names.index("layer1.0.conv2")
    assert fp.live_bytes[i1] == pool + pool + 0      # input + its conv1 output
    # the add writes over the identity, which dies there: identity + conv1 out
    assert fp.live_bytes[i2] == pool + pool
    assert rows["layer1.0.conv2"]["inputs"] == ["layer1.0.conv1", "maxpool"]
    assert rows["layer1.0.conv2"]["aliases"] == [{"kind": "in_place", "of": "maxpool"}]
    copies = engine.Footprint(engine.zoo.get("resnet18"), 224, 224, inplace=False)
    assert copies.live_bytes[i2] == pool + pool + pool   # identity + conv1 + conv2 out


def test_peak_and_arena_for_real_models():
    for name in engine.zoo.names():
        fp = engine.analyze(name)
        t = fp.totals()
        assert t["peak_live_bytes"] <= t["arena_bytes"] <= t["sum_activation_bytes"] + t["input_bytes"]
        offsets, total = fp.arena
        al = fp.aliasing
        bufs = al.buffers()
        buffers = list(zip(al.size[bufs].tolist(), al.first[bufs].tolist(),
                           al.last[bufs].tolist()))
        assert_valid(buffers, offsets, total)
        # every tensor's lifetime lies inside its buffer's, and fits its size
        b = al.buffer
        assert (al.first[b] <= fp.tensor_first).all() and (al.last[b] >= fp.tensor_last).all()
        assert (al.size[b] >= fp.tensor_bytes).all()


def test_yolov3_route_tensor_live_until_its_concat():
    fp = engine.analyze("yolov3", 416, 416)
    names = [s.name for s in fp.steps]
    src = [s.name for s in fp.steps if s.layers[-1].name == "036_shortcut"][0]
    tid = names.index(src) + 1
    assert fp.tensor_last[tid] == names.index("098_route")


def test_groups_by_kind_partition_the_buffers():
    """Groups of views and slices only are finer than the buffers (which also join
    in-place writes), and two tensors share a group exactly when a chain of view /
    slice links joins them (checked by a plain flood fill, not the union-find)."""
    from sramfit.engine.liveness import SLICE, VIEW
    for name, w, h in (("yolov3", 416, 416), ("resnet18", 224, 224)):
        al = engine.analyze(name, w, h).aliasing
        g = al.groups((VIEW, SLICE))
        T = len(al.buffer)
        adj = {t: set() for t in range(T)}
        for t in range(T):
            if al.kind[t] == VIEW:
                adj[t].add(int(al.of[t]))
                adj[int(al.of[t])].add(t)
            if al.slice_of[t] >= 0:
                adj[t].add(int(al.slice_of[t]))
                adj[int(al.slice_of[t])].add(t)
        comp = [-1] * T
        for t in range(T):
            if comp[t] < 0:
                stack, comp[t] = [t], t
                while stack:
                    u = stack.pop()
                    for v in adj[u]:
                        if comp[v] < 0:
                            comp[v] = t
                            stack.append(v)
        same = np.equal.outer(g, g)
        assert (same == np.equal.outer(comp, comp)).all()
        assert (~same | np.equal.outer(al.buffer, al.buffer)).all()
        every = al.groups((VIEW, SLICE, "in_place"))      # all joins: the buffers
        assert (np.equal.outer(every, every) == np.equal.outer(al.buffer, al.buffer)).all()
        assert len(np.unique(g)) < T          # some views or slices on these models
