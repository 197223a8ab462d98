"""Text about the fused depth-first stacks (issue 11), read from the engine's
``Analysis.stacks`` (engine/depthfirst.py: one dict per multi-step stack, with its
``first_step`` .. ``last_step``, ``tile_rows``, ``tiles``, ``weights`` mode and
``line_buffer_bytes``). Qt-free: the table, the plots and the status bar share it."""
from __future__ import annotations


def stack_text(st: dict, k: int) -> str:
    """One line describing fused stack ``k`` (0-based) for tooltips."""
    return (f"fused stack {k + 1}: steps {st['first_step']}-{st['last_step']}, "
            f"{st['tile_rows']}-row tiles ({st['tiles']} per image), weights "
            f"{st['weights']}, line buffers {st['line_buffer_bytes'] / 1e6:,.3f} MB "
            f"(MB = 10^6 bytes)")


def schedule_status(analysis) -> str:
    """The status bar's schedule field (rich text): the schedule and its stacks."""
    sched = getattr(analysis, "schedule", "layer_by_layer")
    if sched != "depth_first":
        return "schedule <b>layer by layer</b>"
    stacks = getattr(analysis, "stacks", None) or []
    if getattr(analysis, "df", None) is None or not stacks:
        return "schedule <b>depth-first</b>: no stack pays, run layer by layer"
    steps = sum(int(s["last_step"]) - int(s["first_step"]) + 1 for s in stacks)
    return (f"schedule <b>depth-first</b>: <b>{len(stacks)}</b> fused "
            f"stack{'s' if len(stacks) != 1 else ''} ({steps} steps)")


SCHEDULE_STATUS_TIP = ("execution schedule: layer by layer, or depth-first with the "
                       "number of fused stacks the engine chose (and the steps in them)")


def schedule_name(schedule: str) -> str:
    """'layer by layer' or 'depth-first' (footnotes of exported plots)."""
    return {"layer_by_layer": "layer by layer", "depth_first": "depth-first"}.get(
        schedule, str(schedule))
