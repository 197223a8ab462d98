"""Everything the compare view shows, computed by the engine, and its table as text.

Qt-free (an import contract says so): :func:`build_data` runs engine.analyze /
engine.sweep / engine.compare for a list of scenarios; :func:`table_cells` and the
footnote helpers only format the engine's values."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sramfit.engine import compare as cmp
from sramfit.engine import sweep
from sramfit.engine.errors import SramfitError
from sramfit.gui.text import fmt, fmt_delta, fmt_pct



SRAM_GRID = np.concatenate(([0.0], np.geomspace(1e5, 1e9, 121)))
#: SRAM sizes (MB) of the "same scenario with other SRAM" points of the Pareto plot
SRAM_VARIANTS_MB = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
FOOTNOTE = "sramfit compare. MB = 10^6 bytes."


# -- data --------------------------------------------------------------------------
@dataclass
class Entry:
    """One scenario in the compare list."""
    scenario: Any
    analysis: Any
    path: str = ""
    label: str = ""


@dataclass
class CompareData:
    """Everything the compare view draws, computed by the engine."""
    names: list
    entries: list
    baseline: int
    rows: list                                  # engine.compare.Row
    sram_sweeps: list                           # engine.sweep.over_sram (None: failed)
    batch_curves: list                          # engine.compare.batch_curves
    splits: list                                # engine.compare.traffic_split
    family: cmp.Family
    pareto_y: str = "throughput_ips"
    problems: list = field(default_factory=list)
    #: per scenario: its chip has no published measurement, so its speed is an estimate
    speed_estimated: list = field(default_factory=list)


#: compare-table figures that rest on the speed model (marked for estimated chips)
SPEED_KEYS = ("throughput_ips", "latency_s", "dram_bytes_per_s")


def _unique(names):
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def build_data(entries, baseline: int = 0, pareto_y: str = "throughput_ips",
               variants: bool = True) -> CompareData:
    """All engine results for ``entries`` (a list of :class:`Entry`)."""
    entries = list(entries)
    names = _unique([e.label or e.scenario.name for e in entries])
    analyses = [e.analysis for e in entries]
    baseline = baseline if 0 <= baseline < len(entries) else 0
    problems = []
    rows = cmp.compare(analyses, baseline) if entries else []
    sweeps = []
    for e in entries:
        try:
            sweeps.append(sweep.over_sram(e.scenario, SRAM_GRID))
        except SramfitError as err:
            sweeps.append(None)
            problems.append(f"{e.scenario.name}: {err}")
    curves = cmp.batch_curves([e.scenario for e in entries]) if entries else []
    splits = [cmp.traffic_split(a) for a in analyses]
    fam = cmp.pareto_family(analyses, pareto_y, SRAM_VARIANTS_MB if variants else ())
    fam.labels = [names[s] if v is None else f"{names[s]} @ {v:g} MB"
                  for s, v in zip(fam.scenario, fam.variant)]
    estimated = [bool(a.speed_flags()["speed_estimated"]) for a in analyses]
    return CompareData(names, entries, baseline, rows, sweeps, curves, splits, fam,
                       pareto_y, problems, estimated)


def table_cells(data: CompareData, numeric: bool = False):
    """(headers, rows) of the compare table: figure, then per scenario its value and,
    for all but the baseline, the delta and the % delta. ``numeric``: numbers (for
    CSV) instead of text."""
    names, b = data.names, data.baseline
    headers = ["figure"]
    for i, n in enumerate(names):
        headers.append(n + (" (baseline)" if i == b else ""))
        if i != b:
            headers += [f"Δ {n}", f"% {n}"]
    out = []
    for r in data.rows:
        label, k = _row_unit(r)
        cells: list = [label.strip() if numeric else label]
        for i in range(len(names)):
            v = r.values[i] if k == 1.0 or r.values[i] is None else r.values[i] * k
            text = fmt(v) if not numeric or isinstance(v, bool) else v
            if (not numeric and r.key in SPEED_KEYS and i < len(data.speed_estimated)
                    and data.speed_estimated[i]):
                text = f"{text} (estimate)"
            cells.append(text)
            if i != b:
                d = r.deltas[i] if r.deltas[i] is None or k == 1.0 else r.deltas[i] * k
                if numeric:
                    cells += ["" if d is None else d,
                              "" if r.pct[i] is None else r.pct[i]]
                else:
                    cells += [fmt_delta(d),
                              fmt_pct(r.pct[i], r.values[i], r.values[b])
                              if r.key != "fits" else ""]
        out.append(cells)
    return headers, out



def _row_unit(r) -> tuple[str, float]:
    """(label, factor) of a table row: engine.compare.row_unit, the rule ``sramfit
    compare`` uses too."""
    return cmp.row_unit(r.label, r.values)


def setting_text(field_name: str, v) -> str:
    if v is None:
        return {"width": "model's", "height": "model's", "channels": "model's",
                "sram_mb": "chip's", "compiled_batch": "= batch"}.get(field_name, "none")
    if isinstance(v, dict):
        return f"inline ({v.get('name', field_name)})"
    if isinstance(v, str) and "\n" in v:
        return " ".join(v.split())[:80] + ("…" if len(v) > 80 else "")
    return str(v)


# -- export helpers shared with the headless export -------------------------------------
def summary_title(data: CompareData) -> str:
    return " vs ".join(data.names)



def comparison_footnote(data: CompareData) -> str:
    """What each compared scenario is, for the footnote of exported compare plots."""
    def parts(e):
        a, s = e.analysis, e.scenario
        fp = a.footprint
        return {"model": fp.model.name, "size": f"{fp.width}x{fp.height}",
                "batch": f"batch {s.batch}", "precision": f"{s.weights}/{s.activations}",
                "chip": f"on {a.chip.name} ({a.sram_mb:.3g} MB SRAM)"}
    each = [parts(e) for e in data.entries]
    keys = list(each[0]) if each else []
    same = [k for k in keys if all(p[k] == each[0][k] for p in each)] if len(each) > 1         else []
    head = " ".join(each[0][k] for k in same) if same else ""
    rest = ["{}: {}".format(n, ", ".join(p[k] for k in keys if k not in same))
            for n, p in zip(data.names, each)]
    # issue 12: chips with no published measurement have estimated speed figures
    est = sorted({e.analysis.chip.name for e in data.entries
                  if e.analysis.speed_flags()["speed_estimated"]})
    tail = (f" Speed estimated on {', '.join(est)} (no published measurement)."
            if est else "")
    return ("sramfit: " + (head + "; " if head else "") + "; ".join(rest) + ". MB = 10^6 bytes."
            + tail + "".join("\n" + ln for ln in _shared_assumptions(data)))


def _shared_assumptions(data: CompareData) -> list[str]:
    """The assumption lines (gui/explain.py) of the compared scenarios: a line the
    scenarios share once, with its explanation; one that differs with each scenario's
    value. Speed and units are in the first line already."""
    from sramfit.gui.explain import assumptions
    rows = [{term: (v, e) for term, v, e in assumptions(en.analysis)} for en in data.entries]
    lines = []
    for term in (rows[0] if rows else {}):
        if term in ("speed", "units"):
            continue
        vals = [r.get(term) for r in rows]
        if all(v == vals[0] for v in vals):
            v, e = vals[0]
            lines.append(f"{term}: {v} ({e})" if e else f"{term}: {v}")
        else:
            lines.append(f"{term}: " + "; ".join(
                f"{n}: {v[0] if v else '-'}" for n, v in zip(data.names, vals)))
    return lines


def mixed_models_warning(data: CompareData) -> str:
    """A warning for the Pareto plot when its scenarios run different models (or input
    sizes): their points are then not alternatives for one workload. '' otherwise."""
    work = {(e.analysis.footprint.model.name, e.analysis.footprint.width,
             e.analysis.footprint.height) for e in data.entries}
    if len(work) < 2:
        return ""
    names = sorted({f"{m} at {w}x{h}" for m, w, h in work})
    return ("These scenarios run different workloads (" + ", ".join(names) + "): a point "
            "that dominates another here may just run an easier model or image, not a "
            "better chip. Compare one workload across chips for a true Pareto front.")
