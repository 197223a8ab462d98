"""What the current figures rest on, and how the headline figures are made (issue 15).

Qt-free (like gui/text.py): the assumptions dock, the status-bar explanations and every
export's footnote take their text from here, so the screen and the files say the same.
No arithmetic of the model here: every number is read from the analysis (its totals,
its traffic kinds, its per-step arrays); this module only groups and formats them.
MB = 10^6 bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schedule_info import schedule_name
from .text import fmt_mb, fmt_seconds

MB = 1e6


def assumptions(analysis, totals=None) -> list[tuple[str, str, str]]:
    """``(term, value, explanation)`` rows: the assumptions behind the current figures
    (``totals``: ``analysis.totals()`` if already at hand)."""
    a = analysis
    s, chip = a.scenario, a.chip
    t = totals if totals is not None else a.totals()
    rows = [("schedule", schedule_name(t["schedule"]),
             "depth-first (fused stacks) applied" if t["depth_first_applied"]
             else "layer by layer: each layer's output is written before the next runs")]
    rows.append(("in-place buffers", "on" if t["inplace"] else "off",
                 "elementwise/concat outputs share their input's buffer" if t["inplace"]
                 else "every tensor gets its own buffer"))
    if t["placement_exact"]:
        pl = ("exact", f"policy {s.policy}: which tensors stay in SRAM is solved exactly")
    else:
        gap = t["placement_gap_bytes_per_image"]
        gap_txt = "unknown gap" if gap != gap else f"at most {fmt_mb(gap)}/image above optimum"
        pl = ("heuristic", f"policy {s.policy}: which tensors stay in SRAM is a heuristic, "
                           f"{gap_txt}")
    rows.append(("placement", f"{s.policy}, {pl[0]}", pl[1]))
    rows.append(("staging reserved", fmt_mb(t["staging_bytes"]),
                 "SRAM kept for streaming weight and activation tiles, "
                 + ("from the chip profile" if chip.staging_mb is not None
                    else "estimated from the MAC array")))
    rows.append(("efficiency", f"compute {chip.compute_efficiency:g}, DRAM "
                               f"{chip.dram_efficiency:g}",
                 "achieved / peak MAC rate and DRAM bandwidth"))
    rows.append(("array mapping", f"{chip.mapping}, {chip.execution}",
                 f"{chip.array_count} x {chip.array_rows}x{chip.array_cols} MAC array(s), "
                 f"peak {chip.peak_tops.label()} int8"))
    est = list(chip.estimated)
    rows.append(("estimated chip figures", ", ".join(est) if est else "none",
                 f"{chip.name}: values not from a published source" if est
                 else f"{chip.name}: every figure has a source"))
    rows.append(("speed", "estimated" if t["speed_estimated"] else "calibrated",
                 t["speed_estimate_reason"] if t["speed_estimated"]
                 else "fitted to a published measurement of this chip"))
    rows.append(("units", "MB = 10^6 bytes", "GB/s = 10^9 bytes/s"))
    return rows


def assumptions_text(analysis) -> str:
    """One line per assumption, ``term: value (explanation)``, for footnotes."""
    return "\n".join(f"{k}: {v} ({e})" if e else f"{k}: {v}"
                     for k, v, e in assumptions(analysis))


# -- how a headline figure is made ---------------------------------------------------
@dataclass
class Formula:
    """``headline = op(parts)``: ``parts`` are ``(label, value)``; ``total`` is the
    headline as the analysis reports it; ``text`` the formula with this scenario's
    numbers."""
    key: str
    title: str
    total: float
    parts: list
    text: str
    note: str = ""


_KIND_LABEL = {"input": "input", "weights": "streamed weights",
               "activation_writes": "spill writes", "activation_reads": "spill reads",
               "output": "outputs", "weight_rereads": "weight re-reads",
               "activation_rereads": "activation re-reads"}


def _sum_text(name, parts, total, unit):
    terms = " + ".join(lbl for lbl, _ in parts) or "0"
    if len(terms) > 100:            # too long for one line: one part a line
        rows = "\n".join(f"  + {lbl}: {unit(v)}" for lbl, v in parts)
        return f"{name} = the sum of\n{rows}\n= {unit(total)}"
    nums = " + ".join(unit(v) for _, v in parts) or unit(0)
    return f"{name} = {terms}\n= {nums}\n= {unit(total)}"


def formula(analysis, key: str) -> Formula:
    """How the status-bar figure ``key`` (peak, dram, ips, latency) is made."""
    a = analysis
    t = a.totals()
    if key == "dram":
        parts = [(_KIND_LABEL.get(k, k.replace("_", " ")), float(v))
                 for k, v in t["traffic_per_image"].items()]
        total = t["dram_bytes_per_image"]
        note = (f"weights stream once per call of {a.batch} image(s)"
                f" ({fmt_mb(t['weights_in_sram_bytes'])} of weights stay in SRAM)")
        return Formula(key, "DRAM bytes per image", total, parts,
                       _sum_text("DRAM/image", parts, total, fmt_mb), note)
    if key == "peak":
        fp = a.footprint
        k = int(np.argmax(fp.live_bytes))
        al = fp.aliasing
        bufs = al.buffers()
        live = bufs[(al.first[bufs] <= k) & (al.last[bufs] >= k)]
        names = ["input"] + [st.name for st in fp.steps]
        parts = [(names[i], float(al.size[i])) for i in live]
        total = float(t["peak_live_bytes"])
        note = (f"tensors live at step {k} ({names[k + 1]}), batch {fp.batch}; "
                f"arena {fmt_mb(t['arena_bytes'])} (the buffers' packing)")
        return Formula(key, "peak live activation memory", total, parts,
                       _sum_text("peak live", parts, total, fmt_mb), note)
    if key in ("latency", "ips"):
        lat = float(t["latency_s"])
        if a.chip.execution == "pipelined":
            parts, note, period = _pipelined_parts(a)
        else:
            parts, note = _sequential_parts(a, int(t["calls"]))
            period = None
        if key == "latency":
            return Formula(key, "latency per batch", lat, parts,
                           _sum_text("latency", parts, lat, fmt_seconds), note)
        ips = float(t["throughput_ips"])
        if period is None:
            text = (f"images/s = client batch / latency\n= {a.client_batch} / "
                    f"{fmt_seconds(lat)}\n= {ips:,.2f}")
            ips_parts = [("client batch", a.client_batch), ("latency", lat)]
        else:                       # pipelined: 1 / period, whatever the batch
            stage_s, link_s = period
            text = (f"images/s = 1 / period\nperiod = max(slowest stage, call overhead "
                    f"+ DRAM time of one image)\n= max({fmt_seconds(stage_s)}, "
                    f"{fmt_seconds(link_s)})\nimages/s = {ips:,.2f}")
            ips_parts = [("slowest stage", stage_s), ("call overhead + DRAM", link_s)]
        return Formula(key, "throughput", ips, ips_parts, text, note)
    raise KeyError(key)


def _sequential_parts(a, calls: int):
    """Latency parts of a sequential chip: ``calls`` x (the steps' times + the call
    overhead). Layer by layer: the compute- and memory-bound steps' busy time and the
    per-step overhead; depth-first: each fused stack (its steps once per tile, with a
    layer overhead per tile and step) and the steps run layer by layer."""
    time_s = np.asarray(a.time_s, float)
    ovh = a.chip.layer_overhead_us * 1e-6
    call = ("call overhead", calls * a.chip.call_overhead_us * 1e-6)
    how = ("max(compute, DRAM)" if a.scenario.overlap
           else "compute + DRAM (not overlapped)")
    head = f"{calls} call(s) of a compiled batch of {a.batch}"
    if a.df is None:
        busy = time_s - ovh
        comp = a.bound == "compute"
        parts = [(f"{int(comp.sum())} compute-bound steps", calls * busy[comp].sum()),
                 (f"{int((~comp).sum())} memory-bound steps", calls * busy[~comp].sum()),
                 (f"{len(time_s)} x layer overhead", calls * ovh * len(time_s)), call]
        return parts, f"{head}; a step takes {how} plus the layer overhead"
    stacks = sorted(a.stacks, key=lambda st: -time_s[st["first_step"]:
                                                      st["last_step"] + 1].sum())
    names = [st.name for st in a.footprint.steps]
    in_stack = np.zeros(len(time_s), bool)
    parts = []
    for k, st in enumerate(stacks):
        i, j = int(st["first_step"]), int(st["last_step"])
        in_stack[i:j + 1] = True
        v = calls * time_s[i:j + 1].sum()
        if k < 6 or len(stacks) == 7:
            parts.append((f"stack {names[i]}..{names[j]} ({j - i + 1} steps x "
                          f"{st['tiles']} tiles)", v))
        elif k == 6:
            parts.append((f"{len(stacks) - 6} other stacks", v))
        else:
            parts[-1] = (parts[-1][0], parts[-1][1] + v)
    single = ~in_stack
    parts += [(f"{int(single.sum())} steps layer by layer", calls * time_s[single].sum()),
              call]
    return parts, (f"{head}, depth-first: a fused step runs once per tile and pays the "
                   f"layer overhead per tile; a step takes {how}")


def _pipelined_parts(a):
    """Latency parts of a pipelined (dataflow) chip (engine/perf.py): call overhead +
    the fill delays (each stage waits for the rows its kernel needs) + the slowest
    stage's whole image + (client batch - 1) x period. Also (slowest stage, call
    overhead + DRAM time of one image): the period is their max."""
    b = float(a.batch)
    stage = np.asarray(a.time_s, float) / b          # per image, each step's stage
    mem = np.asarray(a.memory_s, float) / b
    fill = np.asarray(a.prepared.geo.fill, float)
    ovh = a.chip.call_overhead_us * 1e-6
    slow = int(np.argmax(stage))
    period = (float(stage[slow]), ovh + float(mem.sum()))
    n = int(a.client_batch)
    name = a.footprint.steps[slow].name
    parts = [("call overhead", ovh),
             (f"fill delays of {int((fill * stage > 0).sum())} stages (each waits for its "
              f"kernel's rows)",
              float((stage * fill).sum())),
             (f"slowest stage ({name}), whole image", float(stage[slow])),
             (f"{n - 1} x period", (n - 1) * max(period))]
    note = (f"pipelined: every layer resident on its share of the arrays; images stream "
            f"through, one every period = max(slowest stage {fmt_seconds(period[0])}, "
            f"call overhead + DRAM {fmt_seconds(period[1])}); a client batch of {n} "
            f"adds {n - 1} periods")
    return parts, note, period


# -- the chip list -------------------------------------------------------------------
def chip_entry(chip) -> str:
    """``chip_b — Chip B, 64 MB, 8.192 TOPS, estimated``: name, short title, SRAM
    (MB = 10^6 bytes), peak int8 TOPS, and whether any figure is an estimate."""
    title = (chip.title or "").split(" (")[0].strip()
    parts = [f"{chip.name} — {title}" if title and title != chip.name else chip.name,
             f"{chip.sram_mb:g} MB", chip.peak_tops.label()]
    if chip.estimated:
        parts.append("estimated")
    return ", ".join(parts)


def chip_tooltip(chip) -> str:
    est = ", ".join(chip.estimated) if chip.estimated else "none"
    return (f"{chip.title or chip.name}\nSRAM {chip.sram_mb:g} MB (10^6 bytes), "
            f"DRAM {chip.dram_gbps:g} GB/s, peak {chip.peak_tops.label()} int8"
            + (" (2 x MACs x clock)" if chip.peak_tops.derived else " (published)")
            + "\n"
            f"estimated figures: {est}")
