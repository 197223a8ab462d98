"""The ``sramfit`` command line: the one entry that dispatches every sub-command.

``sramfit`` alone or ``sramfit gui [FILE.yaml]`` opens the desktop app; ``sramfit
export`` writes every plot without a window; ``report``, ``sweep``, ``compare``,
``chips`` and ``models`` are computed by the engine and print text, JSON or CSV.

The GUI-free commands never import Qt (an import-linter contract in pyproject.toml):
the two app commands are loaded by name (``importlib``) only when asked for, so
``sramfit report`` runs on a machine with no display and no Qt libraries.
"""
from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import sys
from dataclasses import replace

import numpy as np

from .engine import analyze, load_model, sweep
from .engine.chip import list_chips, load_chip
from .engine.errors import InputError, SramfitError
from .engine.placement import POLICIES
from .engine.scenario import Scenario, _is_path, load_scenario, save_scenario
from .engine.precision import NAMES as PRECISIONS
from .engine.units import fmt_bytes, fmt_count, parse_size


def _add_model_args(p: argparse.ArgumentParser, required=True) -> None:
    p.add_argument("--model", required=required, default=None,
                   help="built-in model name (resnet50, yolov3, ...) or a model file "
                        "(.yaml, .onnx, .cfg)")
    p.add_argument("--input", default=None, metavar="WxH",
                   help="input width x height in pixels, e.g. 1920x1088 "
                        "(default: the model's own size)")
    p.add_argument("--channels", type=int, default=None, help="input channels (default 3)")
    p.add_argument("--batch", type=int, default=None, help="images per batch (default 1)")
    p.add_argument("--weights", default=None, choices=PRECISIONS,
                   help="weight precision (default int8)")
    p.add_argument("--activations", default=None, choices=PRECISIONS,
                   help="activation precision (default int8)")
    p.add_argument("--no-fusion", action="store_true",
                   help="do not fuse batchnorm/activation/add into the producing layer")


def _footprint(args):
    size = parse_size(args.input) if args.input else (None, None)
    model = load_model(args.model, *size)
    w, h = size if args.input else model.default_size
    return analyze(model, w, h, channels=args.channels, batch=1 if args.batch is None else args.batch,
                   weights=args.weights or "int8", activations=args.activations or "int8",
                   fusion=not args.no_fusion)


def report_dict(fp) -> dict:
    return {
        "model": fp.model.name,
        "input": {"width": fp.width, "height": fp.height, "channels": fp.channels},
        "batch": fp.batch,
        "precision": {"weights": fp.weight_precision, "activations": fp.activation_precision},
        "fusion": fp.fusion,
        "units": {"bytes": "bytes", "macs": "multiply-accumulates per batch",
                  "attn_macs": "the part of macs in activation x activation matmuls "
                               "(attention scores and context)"},
        "totals": fp.totals(),
        "layers": fp.layer_rows(),
    }


def _csv_rows(rows, keys) -> str:
    """Per-layer rows as CSV: shapes as NxCxHxW, fused layer names space-separated."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(keys)
    for r in rows:
        w.writerow(["x".join(map(str, r[k])) if k == "output_shape"
                    else " ".join(r.get(k, [])) if k == "fused"
                    else r.get(k, "") for k in keys])
    return out.getvalue()


def _base_cells(r) -> dict:
    """The cells every per-layer table starts with."""
    return {"name": r["name"] + (f" (+{len(r['fused'])})" if r.get("fused") else ""),
            "op": r["op"] + (f"/g{r['groups']}" if r.get("groups", 1) > 1 else ""),
            "shape": "x".join(map(str, r["output_shape"])),
            "act": f"{r['activation_bytes'] / 1e6:.3f}"}


def _render(heads, columns, body, summary, note, fmt) -> str:
    """An aligned terminal table (or Markdown, fmt='md'), then the totals, then a note."""
    if fmt == "md":
        lines = [f"**{heads[0]}**", ""] + [f"*{h}*" for h in heads[1:]]
        lines += ([""] if heads[1:] else [])
        lines += ["| " + " | ".join(c[1] for c in columns) + " |",
                  "|" + "|".join("---:" if c[2] == ">" else "---" for c in columns) + "|"]
        lines += ["| " + " | ".join(r[c[0]] for c in columns) + " |" for r in body]
        lines += ["", "| total | value |", "|---|---:|"]
        lines += [f"| {k.strip()} | {v} |" for k, v in summary]
        return "\n".join(lines + ["", note]) + "\n"
    widths = {c[0]: max(len(c[1]), *(len(r[c[0]]) for r in body)) for c in columns}

    def fmt_row(r):
        return "  ".join(f"{r[c[0]]:{c[2]}{widths[c[0]]}}" for c in columns).rstrip()
    lines = list(heads) + ["", fmt_row({c[0]: c[1] for c in columns}),
                           "  ".join("-" * widths[c[0]] for c in columns)]
    lines += [fmt_row(r) for r in body]
    kw = max(len(k) for k, _ in summary)
    lines += [""] + [f"{k:<{kw}}  {v}" for k, v in summary]
    return "\n".join(lines + ["", note]) + "\n"


COLUMNS = [("name", "layer", "<"), ("op", "op", "<"), ("shape", "output NxCxHxW", "<"),
           ("act", "activation (MB)", ">"), ("w", "weights (MB)", ">"),
           ("macs", "MACs (M)", ">"), ("live", "live (MB)", ">")]


def _table_rows(rows):
    for r in rows:
        yield {**_base_cells(r),
               "w": f"{r['weight_bytes'] / 1e6:.3f}",
               "macs": f"{r['macs'] / 1e6:,.1f}",
               "live": f"{r['live_bytes'] / 1e6:.3f}"}


def format_report(d: dict, fmt: str) -> str:
    rows = d["layers"]
    t = d["totals"]
    if fmt == "json":
        return json.dumps(d, indent=1)
    if fmt == "csv":
        return _csv_rows(rows, ["name", "op", "output_shape", "activation_bytes",
                                "weight_bytes", "params", "macs", "attn_macs", "live_bytes",
                                "groups",
                                "fused"])
    body = list(_table_rows(rows))
    head = (f"{d['model']} at {d['input']['width']}x{d['input']['height']}x"
            f"{d['input']['channels']}, batch {d['batch']}, weights "
            f"{d['precision']['weights']}, activations {d['precision']['activations']}, "
            f"fusion {'on' if d['fusion'] else 'off'}")
    summary = [
        ("params", fmt_count(t["params"])),
        ("weights", fmt_bytes(t["weight_bytes"])),
        ("MACs", fmt_count(t["macs"]) + (f" (of which attention {fmt_count(t['attn_macs'])})"
                                          if t.get("attn_macs") else "")),
        ("input", fmt_bytes(t["input_bytes"])),
        ("largest activation", fmt_bytes(t["largest_activation_bytes"])),
        ("sum of activations", fmt_bytes(t["sum_activation_bytes"])),
        ("peak live activations", fmt_bytes(t["peak_live_bytes"])),
        ("activation arena", fmt_bytes(t["arena_bytes"])),
    ]
    return _render([head], COLUMNS, body, summary,
                   "MB = 10^6 bytes; MACs for the whole batch; (+n) = n elementwise layers "
                   "fused into the row.", fmt)


def _add_chip_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chip", default=None, metavar="NAME|FILE",
                   help="chip profile name (see 'sramfit chips') or a chip .yaml file")
    p.add_argument("--sram-mb", type=float, default=None, metavar="X",
                   help="override the chip's SRAM size (MB = 10^6 bytes)")
    p.add_argument("--policy", default=None, choices=POLICIES,
                   help="SRAM placement policy (default optimal)")
    p.add_argument("--winograd", action="store_true", default=None,
                   help="Winograd F(2x2,3x3) for 3x3 stride-1 dense convs")
    p.add_argument("--winograd-plain-weights", action="store_true", default=None,
                   help="with --winograd: weights stored plain, expanded on chip")
    p.add_argument("--compiled-batch", type=int, default=None, metavar="B",
                   help="dynamic batching: run the batch in calls of B images")
    p.add_argument("--no-overlap", action="store_true",
                   help="compute and DRAM transfers do not overlap")
    _add_schedule_args(p)


def _add_schedule_args(p: argparse.ArgumentParser, many: bool = False) -> None:
    p.add_argument("--schedule", default=None, metavar="S" + (",S..." if many else ""),
                   type=(str if many else _schedule_arg),
                   help="layer_by_layer | depth_first (default: the scenario's, else "
                        "the chip's)" + ("; comma-separated: one per scenario, or one "
                                         "scenario under each" if many else ""))
    p.add_argument("--tile-rows", type=int, default=None, metavar="T",
                   help="depth_first: pin the tile height (rows of each stack's output)")


def _schedule_arg(text: str) -> str:
    from .engine.depthfirst import SCHEDULES
    v = text.strip().lower().replace("-", "_")
    if v not in SCHEDULES:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(SCHEDULES)}")
    return v


def _schedules(args, n: int) -> list:
    """--schedule of compare/export: None, or one schedule per scenario."""
    if not args.schedule:
        return [None] * n
    try:
        vals = [_schedule_arg(v) for v in args.schedule.split(",") if v.strip()]
    except argparse.ArgumentTypeError as err:
        raise InputError(f"--schedule: {err}") from None
    if len(vals) == 1:
        return vals * n
    if len(vals) != n:
        raise InputError(f"--schedule: give one schedule or one per scenario ({n}), "
                         f"got {len(vals)}")
    return vals


def _with_schedule(s: Scenario, schedule, tile_rows) -> Scenario:
    ch = {}
    if schedule:
        ch["schedule"] = schedule
    if tile_rows is not None:
        if tile_rows < 1:
            raise InputError("--tile-rows: need a whole number >= 1")
        ch["tile_rows"] = tile_rows
    return replace(s, **ch) if ch else s


def _scenario_from_args(args) -> Scenario | None:
    """The scenario of a command line: a scenario file (with flags overriding it), or
    --model with a chip flag; None for a chip-less footprint report."""
    path = getattr(args, "scenario", None)
    if path:
        if args.model:
            raise InputError("give either a scenario file or --model, not both")
        s = load_scenario(path)
    elif args.model:
        chipish = (args.chip, args.sram_mb, args.policy, args.winograd,
                   args.compiled_batch, args.winograd_plain_weights, args.schedule,
                   args.tile_rows)
        if all(v is None for v in chipish) and not args.no_overlap:
            return None
        s = Scenario(name=str(args.model), model=str(args.model), chip=args.chip or "chip_b",
                     base_dir=os.getcwd())
    else:
        raise InputError("give a scenario file (sramfit report SCENARIO.yaml) or --model "
                         "NAME")
    ch = {}
    if args.input:
        ch["width"], ch["height"] = parse_size(args.input)
    for k in ("channels", "batch", "weights", "activations", "sram_mb", "policy",
              "compiled_batch", "schedule", "tile_rows"):
        v = getattr(args, k)
        if v is not None:
            ch[k] = v
    if args.no_fusion:
        ch["fusion"] = False
    if args.no_overlap:
        ch["overlap"] = False
    if args.winograd:
        ch["winograd"] = True
    if args.winograd_plain_weights:
        ch["winograd_plain_weights"] = True
    if args.chip:
        ch["chip"] = args.chip if not _is_path(args.chip) else os.path.abspath(args.chip)
    return replace(s, **ch) if ch else s


def analysis_dict(a) -> dict:
    s, fp, chip = a.scenario, a.footprint, a.chip
    return {
        "scenario": s.name,
        "model": fp.model.name,
        "input": {"width": fp.width, "height": fp.height, "channels": fp.channels},
        "batch": s.batch,
        "compiled_batch": a.batch,
        "precision": {"weights": fp.weight_precision, "activations": fp.activation_precision},
        "fusion": fp.fusion,
        "chip": chip.name,
        "sram_mb": a.sram_mb,
        "policy": s.policy,
        "winograd": s.winograd,
        "winograd_plain_weights": s.winograd_plain_weights,
        "overlap": s.overlap,
        "inplace": fp.inplace,
        "notes": [n for n in (a.staging_note,) if n],
        "schedule": a.schedule,
        "tile_rows": s.tile_rows,
        "units": {"bytes": "bytes", "macs": "multiply-accumulates per compiled batch",
                  "dram_bytes": "bytes per image", "time_s": "seconds per compiled batch",
                  "MB": "10^6 bytes"},
        "totals": a.totals(),
        "layers": a.layer_rows(),
    }


A_COLUMNS = [("name", "layer", "<"), ("op", "op", "<"), ("shape", "output NxCxHxW", "<"),
             ("act", "activation (MB)", ">"), ("w", "weights (MB)", ">"),
             ("macs", "MACs (M)", ">"), ("sram", "SRAM", "<"), ("dram", "DRAM/img (MB)", ">"),
             ("util", "util", ">"), ("time", "time (us)", ">"), ("bound", "bound", "<")]


def format_analysis(d: dict, fmt: str) -> str:
    rows, t = d["layers"], d["totals"]
    if fmt == "json":
        return json.dumps(d, indent=1)
    if fmt == "csv":
        return _csv_rows(rows, [
            "name", "op", "output_shape", "activation_bytes", "weight_bytes",
            "weight_bytes_stored", "params", "macs", "macs_executed", "live_bytes", "in_sram",
            "weights_in_sram", "dram_bytes", "utilisation", "compute_s", "memory_s", "time_s",
            "bound", "winograd", "groups", "fused", "stack", "line_buffer_bytes"])
    body = []
    for r in rows:
        cells = _base_cells(r)
        cells["op"] += "/wino" if r["winograd"] else ""
        body.append({
            **cells,
            "w": f"{r['weight_bytes_stored'] / 1e6:.3f}" + ("" if r["weights_in_sram"]
                                                            else "*"),
            "macs": f"{r['macs_executed'] / 1e6:,.1f}",
            "sram": "yes" if r["in_sram"] else "spill",
            "dram": f"{r['dram_bytes'] / 1e6:.3f}",
            "util": f"{r['utilisation']:.2f}",
            "time": f"{r['time_s'] * 1e6:,.1f}",
            "bound": r["bound"]})
    tr = t["traffic_per_image"]
    head = (f"{d['scenario']}: {d['model']} at {d['input']['width']}x{d['input']['height']}x"
            f"{d['input']['channels']}, batch {d['batch']}"
            + (f" (calls of {d['compiled_batch']})" if d["compiled_batch"] != d["batch"]
               else "")
            + f", weights {d['precision']['weights']}, activations "
              f"{d['precision']['activations']}, fusion {'on' if d['fusion'] else 'off'}, "
              f"Winograd {'on' if d['winograd'] else 'off'}")
    head2 = (f"chip {d['chip']}, SRAM {d['sram_mb']:g} MB, policy {d['policy']}, "
             f"overlap {'on' if d['overlap'] else 'off'}, schedule {d['schedule']}")
    summary = [
        ("params", fmt_count(t["params"])),
        ("weights (stored)", fmt_bytes(t["weight_bytes_stored"])),
        ("MACs executed", fmt_count(t["macs_executed"])),
        ("largest activation", fmt_bytes(t["largest_activation_bytes"])),
        ("peak live activations", fmt_bytes(t["peak_live_bytes"])),
        ("weights in SRAM", fmt_bytes(t["weights_in_sram_bytes"])),
        ("activations in SRAM (peak)", fmt_bytes(t["activations_in_sram_bytes"])),
        ("everything fits", "yes" if t["fits"] else "no"),
        ("DRAM traffic per image", fmt_bytes(t["dram_bytes_per_image"])),
        ("  input read", fmt_bytes(tr["input"])),
        ("  weights read", fmt_bytes(tr["weights"])),
        ("  activations written", fmt_bytes(tr["activation_writes"])),
        ("  activations read back", fmt_bytes(tr["activation_reads"])),
        ("  output written", fmt_bytes(tr["output"])),
        ("latency (batch)", f"{t['latency_s'] * 1e3:,.3f} ms"
                            + (" (estimate)" if t.get("speed_estimated") else "")),
        ("throughput", f"{t['throughput_ips']:,.1f} images/s"
                       + (" (estimate)" if t.get("speed_estimated") else "")),
        ("steps compute / memory bound", f"{t['compute_bound_steps']} / "
                                         f"{t['memory_bound_steps']}"),
        ("largest batch on chip", str(t["max_batch_on_chip"])),
        ("SRAM in use at the worst step", fmt_bytes(t["sram_used_peak_bytes"])),
        ("DRAM floor (any schedule)", fmt_bytes(t["dram_lower_bound_bytes_per_image"])),
        *(_stack_lines(d["layers"], t["stacks"]) if t["stacks"] else
          ([("fused stacks", "none pay: layer by layer")]
           if d["schedule"] == "depth_first" else [])),
        ("SRAM area", f"{t['sram_area_mm2']:,.1f} mm^2"),
        ("energy per image", f"{t['energy_j_per_image'] * 1e3:,.3f} mJ"),
    ]
    note = ("MB = 10^6 bytes; MACs and time per compiled batch; DRAM per image; "
            "* = weights streamed from DRAM; (+n) = n fused layers.")
    if t.get("speed_estimated"):
        note += f"\nSpeed figures are estimates: {t['speed_estimate_reason']}."
    return _render([head, head2], A_COLUMNS, body, summary, note, fmt)


def _stack_lines(rows, stacks) -> list:
    out = [("fused stacks", f"{len(stacks)}")]
    for k in stacks:
        out.append((f"  {rows[k['first_step']]['name']} .. {rows[k['last_step']]['name']}",
                    f"{k['last_step'] - k['first_step'] + 1} steps, {k['tiles']} tiles of "
                    f"{k['tile_rows']} row{'s' if k['tile_rows'] != 1 else ''}, weights "
                    f"{k['weights']}, line "
                    f"buffers {fmt_bytes(k['line_buffer_bytes'])}, SRAM "
                    f"{fmt_bytes(k['sram_bytes'])}"))
    return out


def cmd_report(args) -> int:
    s = _scenario_from_args(args)
    if s is None:
        fp = _footprint(args)
        sys.stdout.write(format_report(report_dict(fp), args.format))
        return 0
    sys.stdout.write(format_analysis(analysis_dict(analyze(s)), args.format))
    return 0


def _floats_list(text, what):
    try:
        return [int(v) if what == "batches" else float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--{what} {text!r}: expected comma-separated numbers") from None


#: points of one sweep (each costs a row of per-layer arrays)
MAX_SWEEP_POINTS = 10_000


def cmd_sweep(args) -> int:
    s = _scenario_from_args(args)
    if s is None:
        raise InputError("sweep needs a chip: give a scenario file or --chip")
    if args.over == "sram":
        explicit_min = args.min_mb is not None
        args.min_mb = 0.01 if args.min_mb is None else args.min_mb
        if not 0 < args.min_mb < args.max_mb <= 1e7:       # NaN fails too
            raise InputError("--min-mb and --max-mb: need 0 < min < max <= 10^7 (MB)")
        if args.points > MAX_SWEEP_POINTS:
            raise InputError(f"--points: at most {MAX_SWEEP_POINTS} (limit "
                             f"MAX_SWEEP_POINTS)")
        if args.points < 2:
            raise InputError("--points: need at least 2")
        if explicit_min:     # the grid starts there (it used to print 0 MB regardless)
            grid = np.geomspace(args.min_mb * 1e6, args.max_mb * 1e6, args.points)
        else:                # default: 0, then a log grid from 0.01 MB
            grid = sweep.log_sram_grid(args.max_mb * 1e6, args.points, args.min_mb * 1e6)
        res = sweep.over_sram(s, grid)
        res = {"sram_mb": res["sram_bytes"] / 1e6, **res}
        key = "sram_mb"
    elif args.over == "batch":
        b = _floats_list(args.batches, "batches")
        if len(b) > MAX_SWEEP_POINTS:
            raise InputError(f"--batches: at most {MAX_SWEEP_POINTS} values (limit "
                             f"MAX_SWEEP_POINTS)")
        res = {"batch": np.asarray(b), **sweep.over_batch(s, b)}
        key = "batch"
    else:
        sizes = [parse_size(t) for t in args.sizes.split(",")[:MAX_SWEEP_POINTS + 1]
                 if t.strip()]
        if len(sizes) > MAX_SWEEP_POINTS:
            raise InputError(f"--sizes: at most {MAX_SWEEP_POINTS} sizes (limit "
                             f"MAX_SWEEP_POINTS)")
        # a size the model cannot take is skipped with a note, not the whole sweep
        # (bug: the default sizes' 1280x720 killed the sweep for YOLOv3)
        ok, skipped = [], []
        for wh in sizes:
            try:
                sweep.over_input(s, [wh])
                ok.append(wh)
            except SramfitError as err:
                skipped.append(f"{wh[0]}x{wh[1]} ({str(err).splitlines()[0]})")
        if not ok:
            raise InputError("--sizes: the model takes none of them: " + "; ".join(skipped))
        for note in skipped:
            print(f"sramfit sweep: skipped {note}", file=sys.stderr)
        res = sweep.over_input(s, ok)
        key = "pixels"
    cols = [key] + [k for k in res if k != key]
    n = len(res[key])
    est, why = _speed_estimate(s)
    if args.format == "json":
        d = {"scenario": s.name, "over": args.over,
             "speed_estimated": est, "speed_estimate_reason": why,
             "units": {"bytes": "bytes", "dram_bytes_per_image": "bytes per image",
                       "latency_s": "seconds per client batch", "MB": "10^6 bytes"},
             "columns": {k: np.asarray(res[k]).tolist() for k in cols}}
        sys.stdout.write(json.dumps(d, indent=1) + "\n")
        return 0
    if args.format == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(cols)
        for i in range(n):
            w.writerow([_cell(res[k][i]) for k in cols])
        sys.stdout.write(out.getvalue())
        return 0
    show = [key] + [k for k in ("width", "height", "batch", "dram_bytes_per_image",
                                "throughput_ips", "latency_s", "weights_in_sram_bytes",
                                "activations_in_sram_bytes", "fits", "energy_j_per_image")
                    if k in res and k != key]
    table = [[_cell(res[k][i], human=True, key=k) for k in show] for i in range(n)]
    head = [SWEEP_HEADS.get(k, k) for k in show]
    widths = [max(len(h), *(len(r[j]) for r in table)) for j, h in enumerate(head)]
    lines = [f"{s.name}: sweep over {args.over}", "",
             "  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in table]
    if est:
        lines += ["", f"Speed figures (images/s, latency) are estimates: {why}."]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _speed_estimate(s) -> tuple[bool, str]:
    """Whether the scenario's chip has no published measurement (engine.calibration)."""
    from .engine.calibration import speed_estimate
    from .engine.scenario import resolve_chip
    return speed_estimate(resolve_chip(s))


SWEEP_HEADS = {"sram_mb": "SRAM (MB)", "dram_bytes_per_image": "DRAM/img (MB)",
               "throughput_ips": "images/s", "latency_s": "latency (ms)",
               "weights_in_sram_bytes": "W in SRAM (MB)",
               "activations_in_sram_bytes": "A in SRAM (MB)", "fits": "fits",
               "energy_j_per_image": "mJ/img", "pixels": "pixels"}


def _cell(v, human=False, key=""):
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, bool):
        return "yes" if v and human else ("no" if human else str(v).lower())
    if not human:
        return repr(v) if isinstance(v, float) else str(v)
    if key.endswith("_bytes") or key.endswith("bytes_per_image"):
        return f"{v / 1e6:,.3f}"
    if key == "latency_s":
        return f"{v * 1e3:,.3f}"
    if key == "energy_j_per_image":
        return f"{v * 1e3:,.3f}"
    if key == "sram_mb":
        return f"{v:,.4g}"
    if isinstance(v, float):
        return f"{v:,.1f}"
    return str(v)


def cmd_compare(args) -> int:
    from .engine.compare import FIGURES, compare, figures, row_unit
    scen = [load_scenario(p) for p in args.scenarios]
    paths = list(args.scenarios)
    if args.schedule and len(scen) == 1 and "," in args.schedule:
        k = len([v for v in args.schedule.split(",") if v.strip()])
        scen, paths = scen * k, paths * k
    scheds = _schedules(args, len(scen))
    scen = [_with_schedule(s, sc, args.tile_rows) for s, sc in zip(scen, scheds)]
    figs = [figures(analyze(s)) for s in scen]
    names = [s.name + (f" ({sc})" if sc and len(set(scheds)) > 1 else "")
             for s, sc in zip(scen, scheds)]
    rows = compare(figs, baseline=0)
    est = [_speed_estimate(s) for s in scen]
    if args.format == "json":
        raw = {r.key: r.raw for r in rows}
        d = {"units": {"bytes": "bytes", "latency_s": "seconds per client batch",
                       "macs_executed": "multiply-accumulates per compiled batch",
                       "largest_activation_bytes": "bytes, whole compiled batch",
                       "peak_live_bytes": "bytes, whole compiled batch",
                       "dram_bytes_per_s": "bytes per second (DRAM per image x images per second)", "MB": "10^6 bytes"},
             "scenarios": [{"name": n, "file": p,
                            "figures": {k: v[i] for k, v in raw.items()},
                            "speed_estimated": est[i][0],
                            "speed_estimate_reason": est[i][1],
                            "delta_vs_first": {f.key: raw[f.key][i] - raw[f.key][0]
                                               for f in FIGURES}}
                           for i, (n, p) in enumerate(zip(names, paths))]}
        sys.stdout.write(json.dumps(d, indent=1) + "\n")
        return 0
    head = ["figure"] + names
    table = []
    for r in rows:
        if r.key == "fits":
            table.append([r.label.replace("²", "^2")]
                         + ["yes" if v else "no" for v in r.values])
            continue
        label, k = row_unit(r.label, r.values)      # the app's unit rule (MB -> GB ...)
        vals = [v * k for v in r.values]
        cells = [label.replace("²", "^2"), _num(vals[0])]
        for v, p in zip(vals[1:], r.pct[1:]):
            rel = "" if p is None and v == vals[0] else (
                " (new)" if p is None else f" ({p:+.0f}%)")
            cells.append(_num(v) + rel)
        table.append(cells)
    if args.format == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(head)
        w.writerows(table)
        sys.stdout.write(out.getvalue())
        return 0
    widths = [max(len(r[j]) for r in table + [head]) for j in range(len(head))]
    lines = ["  ".join((c.ljust(w) if j == 0 else c.rjust(w))
                       for j, (c, w) in enumerate(zip(r, widths))) for r in [head] + table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += ["", "Deltas (in brackets) are relative to the first scenario. MB = 10^6 bytes."]
    guessed = [n for n, (e, _) in zip(names, est) if e]
    if guessed:
        lines.append("Speed figures are estimates (no published measurement of the chip) "
                     f"for: {', '.join(guessed)}.")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _num(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.1f}"


def cmd_chips(args) -> int:
    names = list_chips()
    rows = [("name", "SRAM (MB)", "DRAM (GB/s)", "MACs", "clock (MHz)", "peak int8", "title")]
    for n in names:
        c = load_chip(n)
        rows.append((c.name, f"{c.sram_mb:g}" + (" split" if c.sram_split else ""),
                     f"{c.dram_gbps:g}", f"{c.macs:,}", f"{c.clock_mhz:g}",
                     c.peak_tops.label(), c.title))
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
    return 0


def cmd_models(args) -> int:
    from .engine import zoo
    for name in zoo.names():
        m = zoo.get(name)
        print(f"{name:<14} {m.default_size[0]}x{m.default_size[1]}  {m.source}")
    return 0


def cmd_seek(args) -> int:
    """``sramfit seek``: the least SRAM (MB) that meets one goal, and the figures there."""
    from .engine import seek
    s = _scenario_from_args(args)
    if s is None:
        raise InputError("seek needs a chip: give a scenario file or --chip")
    goal, value = goal_of(args)
    r = seek.least_sram(s, goal, value)
    f = r.figures
    from .engine.scenario import resolve_chip
    sched = r.scenario.effective_schedule(resolve_chip(r.scenario))
    if args.format == "json":
        d = {"scenario": s.name, "goal": goal, "value": value, "reachable": r.reachable,
             "sram_mb": r.sram_mb, "batch": r.scenario.batch,
             "schedule": sched,
             "dram_mb_per_image": f["dram_bytes_per_image"] / 1e6,
             "dram_gbps": f["dram_gbps"], "throughput_ips": f["throughput_ips"],
             "latency_ms": f["latency_s"] * 1e3, "fits": f["fits"],
             "sram_area_mm2": f["sram_area_mm2"],
             "units": {"MB": "10^6 bytes", "GB/s": "10^9 bytes per second",
                       "resolution_mb": 0.001}}
        sys.stdout.write(json.dumps(d, indent=1) + "\n")
        return 0 if r.reachable else 1
    where = "at the least SRAM meeting it" if r.reachable else \
        f"best reached (with {r.upper_bytes / 1e6:,.1f} MB, where everything fits)"
    rows = [("goal", r.description),
            ("least SRAM", f"{r.sram_mb:,.3f} MB" if r.reachable else "not reachable"),
            ("batch", f"{r.scenario.batch}"),
            ("schedule", sched),
            ("DRAM per image", f"{f['dram_bytes_per_image'] / 1e6:,.2f} MB"),
            ("DRAM bandwidth", f"{f['dram_gbps']:,.3f} GB/s"),
            ("throughput", f"{f['throughput_ips']:,.2f} images/s"),
            ("latency", f"{f['latency_s'] * 1e3:,.2f} ms per batch"),
            ("all on chip", "yes" if f["fits"] else "no"),
            ("SRAM area", f"{f['sram_area_mm2']:,.1f} mm²")]
    print(f"{s.name}: figures {where}")
    for k, v in rows:
        print(f"  {k:<16} {v}")
    print("MB = 10^6 bytes, GB = 10^9 bytes; SRAM to 0.001 MB.")
    return 0 if r.reachable else 1


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line, ``sramfit <command>: error: ...``, exit status 2."""

    def error(self, message):
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sramfit",
        description="How much on-chip SRAM does a model need? Without arguments, opens "
                    "the desktop app.",
        epilog="MB = 10^6 bytes, MiB = 2^20 bytes. Exit status: 0 done, 2 bad input, "
               "3 internal error.")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an internal error (also "
                             "accepted after the command)")
    sub = parser.add_subparsers(dest="command")
    rp = sub.add_parser("report", help="per-layer report: a scenario file, or --model "
                                       "(add --chip for SRAM, DRAM traffic and speed)")
    rp.add_argument("scenario", nargs="?", default=None, help="scenario .yaml file")
    _add_model_args(rp, required=False)
    _add_chip_args(rp)
    rp.add_argument("--format", default="table", choices=["table", "json", "csv", "md"])
    rp.set_defaults(func=cmd_report)
    sp = sub.add_parser("sweep", help="a scenario over SRAM size, batch or input size")
    sp.add_argument("scenario", nargs="?", default=None, help="scenario .yaml file")
    _add_model_args(sp, required=False)
    _add_chip_args(sp)
    sp.add_argument("--over", required=True, choices=["sram", "batch", "input"])
    sp.add_argument("--min-mb", type=float, default=None,
                    help="--over sram: smallest SRAM size (MB); without it the grid is 0 "
                         "then 0.01 MB upwards")
    sp.add_argument("--max-mb", type=float, default=1000.0,
                    help="--over sram: largest SRAM size (MB, default 1000)")
    sp.add_argument("--points", type=int, default=200, help="--over sram: grid points")
    sp.add_argument("--batches", default="1,2,4,8,16,32,64,128,256",
                    help="--over batch: comma-separated batch sizes")
    sp.add_argument("--sizes", default="224x224,416x416,640x480,1280x720,1920x1088",
                    help="--over input: comma-separated WxH sizes")
    sp.add_argument("--format", default="table", choices=["table", "json", "csv"])
    sp.set_defaults(func=cmd_sweep)
    kp = sub.add_parser("seek", help="the least SRAM that meets a throughput, DRAM "
                                     "bandwidth or batch-on-chip goal")
    kp.add_argument("scenario", nargs="?", default=None, help="scenario .yaml file")
    _add_model_args(kp, required=False)
    _add_chip_args(kp)
    _add_goal_args(kp, required=True)
    kp.add_argument("--format", default="table", choices=["table", "json"])
    kp.set_defaults(func=cmd_seek)
    cp = sub.add_parser("compare", help="key figures of scenarios side by side")
    cp.add_argument("scenarios", nargs="+", help="scenario .yaml files")
    cp.add_argument("--format", default="table", choices=["table", "json", "csv"])
    _add_schedule_args(cp, many=True)
    cp.set_defaults(func=cmd_compare)
    chp = sub.add_parser("chips", help="list the bundled chip profiles")
    chp.set_defaults(func=cmd_chips)
    mp = sub.add_parser("models", help="list the built-in models")
    mp.set_defaults(func=cmd_models)
    gp = sub.add_parser("gui", help="open the desktop app (on a scenario file)")
    gp.add_argument("file", nargs="?", help="scenario .yaml to open")
    gp.add_argument("--screenshot", metavar="OUT.png",
                    help="render the window offscreen to this PNG and exit")
    gp.add_argument("--size", default="1600x1000", metavar="WxH",
                    help="window size for --screenshot (default 1600x1000)")
    gp.set_defaults(func=_app_command("sramfit.gui.app"))
    ep = sub.add_parser("export", help="write every plot of scenarios (and their "
                                       "comparison) as PNG/SVG/CSV without a window")
    ep.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
    ep.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    ep.add_argument("--formats", default="png,svg,csv",
                    help="comma-separated: png, svg, csv (default all three)")
    ep.add_argument("--size", default="1920x1080", metavar="WxH",
                    help="picture size in pixels (default 1920x1080)")
    ep.add_argument("--style", default="slide", choices=["slide", "screen"],
                    help="slide: white, large type, thick lines, title and footnote "
                         "(default); screen: as in the window")
    ep.add_argument("--title", default=None,
                    help="title of the comparison summary figure (default: the "
                         "scenario names)")
    _add_schedule_args(ep, many=True)
    _add_goal_args(ep, required=False, what="marked on the DRAM-vs-SRAM and batch plots "
                                            "as in the app: ")
    ep.set_defaults(func=_scheduled_export(_app_command("sramfit.gui.headless")))
    return parser


def _add_goal_args(parser, required: bool, what: str = "") -> None:
    """The goal of `sramfit seek` (one of them), also taken by `sramfit export`."""
    goal = parser.add_mutually_exclusive_group(required=required)
    goal.add_argument("--target-fps", dest="target_fps", type=float, metavar="X",
                      help=what + "throughput of at least X images/s")
    goal.add_argument("--max-dram-gbps", dest="max_dram_gbps", type=float, metavar="Y",
                      help=what + "DRAM bandwidth used of at most Y GB/s (10^9 B/s)")
    goal.add_argument("--batch-on-chip", dest="batch_on_chip", type=int, metavar="N",
                      help=what + "a batch of N with nothing but input/output in DRAM")


def goal_of(args):
    """(engine.seek goal, value) given on the command line, or None."""
    from .engine import seek
    return next(((g, getattr(args, g)) for g in seek.GOALS
                 if getattr(args, g, None) is not None), None)


def _scheduled_export(run):
    """export with --schedule/--tile-rows: the scenarios are rewritten with the schedule
    (same file names, in a temporary folder, relative paths rebased) and exported from
    there, so the export itself reads the schedule from each scenario."""
    def wrapped(args) -> int:
        if not args.schedule and args.tile_rows is None:
            return run(args)
        import tempfile
        scheds = _schedules(args, len(args.scenarios))
        with tempfile.TemporaryDirectory(prefix="sramfit-export-") as tmp:
            paths = []
            for i, (p, sc) in enumerate(zip(args.scenarios, scheds)):
                s = _with_schedule(load_scenario(p), sc, args.tile_rows)
                d = os.path.join(tmp, str(i))
                os.makedirs(d)
                out = os.path.join(d, os.path.basename(p))
                save_scenario(s, out)
                paths.append(out)
            return run(replace_args(args, scenarios=paths))
    return wrapped


def replace_args(args, **kw):
    d = dict(vars(args))
    d.update(kw)
    return argparse.Namespace(**d)


def _app_command(module: str):
    """A sub-command run by ``module.run(args)``, imported only when it is asked for
    (by name, so that the GUI-free commands never import Qt)."""
    def run(args) -> int:
        import importlib
        return importlib.import_module(module).run(args)
    return run


def main(argv=None) -> int:
    """Run one command. Exit status: 0 done, 2 bad input or usage (one ``sramfit:
    error:`` message naming the file, line and field), 3 an internal error (one line;
    ``--debug`` or SRAMFIT_DEBUG=1 shows the traceback)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv or os.environ.get("SRAMFIT_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    # "--input -224x224": argparse takes the value for an option and says "expected one
    # argument"; glue it on so the size check names the bad value
    for i in range(len(argv) - 1):
        if argv[i] == "--input" and argv[i + 1][:1] == "-" and argv[i + 1][1:2].isdigit():
            argv[i:i + 2] = [f"--input={argv[i + 1]}", ""]
    argv = [a for a in argv if a != ""]
    parser = build_parser()
    try:
        args = parser.parse_args(argv or ["gui"])
    except SystemExit as stop:                     # argparse: usage error (2) or --help (0)
        return int(stop.code or 0) if isinstance(stop.code, (int, type(None))) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.command != "gui":
        # a short run that makes few cycles: collect rarely (10 x faster on 10^5 layers)
        gc.set_threshold(200_000, 50, 1000)
    try:
        return args.func(args)
    except SramfitError as err:
        print(f"sramfit: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("sramfit: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the last resort: one line, never a traceback
        if debug:
            raise
        what = type(err).__name__
        print(f"sramfit: internal error ({what}) while running '{args.command}'; this is "
              f"a bug in sramfit, please report it with the input; run with --debug for "
              f"the traceback", file=sys.stderr)
        return 3
