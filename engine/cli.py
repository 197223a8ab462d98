"""The ``sramfit`` command line. ``sramfit`` with no arguments opens the desktop app."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from . import analyze, load_model
from .errors import SramfitError
from .precision import NAMES as PRECISIONS
from .units import fmt_bytes, fmt_count, parse_size


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True,
                   help="built-in model name (resnet50, yolov3, ...) or a model file "
                        "(.yaml, .onnx, .cfg)")
    p.add_argument("--input", default=None, metavar="WxH",
                   help="input width x height in pixels, e.g. 1920x1088 "
                        "(default: the model's own size)")
    p.add_argument("--channels", type=int, default=None, help="input channels (default 3)")
    p.add_argument("--batch", type=int, default=1, help="images per batch (default 1)")
    p.add_argument("--weights", default="int8", choices=PRECISIONS,
                   help="weight precision (default int8)")
    p.add_argument("--activations", default="int8", choices=PRECISIONS,
                   help="activation precision (default int8)")
    p.add_argument("--no-fusion", action="store_true",
                   help="do not fuse batchnorm/activation/add into the producing layer")


def _footprint(args):
    model = load_model(args.model)
    w, h = parse_size(args.input) if args.input else model.default_size
    return analyze(model, w, h, channels=args.channels, batch=args.batch,
                   weights=args.weights, activations=args.activations,
                   fusion=not args.no_fusion)


def report_dict(fp) -> dict:
    return {
        "model": fp.model.name,
        "input": {"width": fp.width, "height": fp.height, "channels": fp.channels},
        "batch": fp.batch,
        "precision": {"weights": fp.weight_precision, "activations": fp.activation_precision},
        "fusion": fp.fusion,
        "units": {"bytes": "bytes", "macs": "multiply-accumulates per batch"},
        "totals": fp.totals(),
        "layers": fp.layer_rows(),
    }


COLUMNS = [("name", "layer", "<"), ("op", "op", "<"), ("shape", "output NxCxHxW", "<"),
           ("act", "activation (MB)", ">"), ("w", "weights (MB)", ">"),
           ("macs", "MACs (M)", ">"), ("live", "live (MB)", ">")]


def _table_rows(rows):
    for r in rows:
        yield {"name": r["name"] + (f" (+{len(r['fused'])})" if r.get("fused") else ""),
               "op": r["op"] + (f"/g{r['groups']}" if r.get("groups", 1) > 1 else ""),
               "shape": "x".join(map(str, r["output_shape"])),
               "act": f"{r['activation_bytes'] / 1e6:.3f}",
               "w": f"{r['weight_bytes'] / 1e6:.3f}",
               "macs": f"{r['macs'] / 1e6:,.1f}",
               "live": f"{r['live_bytes'] / 1e6:.3f}"}


def format_report(d: dict, fmt: str) -> str:
    rows = d["layers"]
    t = d["totals"]
    if fmt == "json":
        return json.dumps(d, indent=1)
    if fmt == "csv":
        out = io.StringIO()
        keys = ["name", "op", "output_shape", "activation_bytes", "weight_bytes", "params",
                "macs", "live_bytes", "groups", "fused"]
        w = csv.writer(out, lineterminator="\n")
        w.writerow(keys)
        for r in rows:
            w.writerow(["x".join(map(str, r[k])) if k == "output_shape"
                        else " ".join(r.get(k, [])) if k == "fused"
                        else r.get(k, "") for k in keys])
        return out.getvalue()
    body = list(_table_rows(rows))
    head = (f"{d['model']} at {d['input']['width']}x{d['input']['height']}x"
            f"{d['input']['channels']}, batch {d['batch']}, weights "
            f"{d['precision']['weights']}, activations {d['precision']['activations']}, "
            f"fusion {'on' if d['fusion'] else 'off'}")
    summary = [
        ("params", fmt_count(t["params"])),
        ("weights", fmt_bytes(t["weight_bytes"])),
        ("MACs", fmt_count(t["macs"])),
        ("input", fmt_bytes(t["input_bytes"])),
        ("largest activation", fmt_bytes(t["largest_activation_bytes"])),
        ("sum of activations", fmt_bytes(t["sum_activation_bytes"])),
        ("peak live activations", fmt_bytes(t["peak_live_bytes"])),
        ("activation arena", fmt_bytes(t["arena_bytes"])),
    ]
    if fmt == "md":
        lines = [f"**{head}**", "", "| " + " | ".join(c[1] for c in COLUMNS) + " |",
                 "|" + "|".join("---:" if c[2] == ">" else "---" for c in COLUMNS) + "|"]
        lines += ["| " + " | ".join(r[c[0]] for c in COLUMNS) + " |" for r in body]
        lines += ["", "| total | value |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in summary]
        lines += ["", "MB = 10^6 bytes. (+n) = n elementwise layers fused into the row."]
        return "\n".join(lines) + "\n"
    widths = {c[0]: max(len(c[1]), *(len(r[c[0]]) for r in body)) for c in COLUMNS}
    fmt_row = lambda r: "  ".join(  # noqa: E731
        f"{r[c[0]]:{c[2]}{widths[c[0]]}}" for c in COLUMNS).rstrip()
    lines = [head, "", fmt_row({c[0]: c[1] for c in COLUMNS}),
             "  ".join("-" * widths[c[0]] for c in COLUMNS)]
    lines += [fmt_row(r) for r in body]
    kw = max(len(k) for k, _ in summary)
    lines += [""] + [f"{k:<{kw}}  {v}" for k, v in summary]
    lines += ["", "MB = 10^6 bytes; MACs for the whole batch; (+n) = n elementwise layers "
                  "fused into the row."]
    return "\n".join(lines) + "\n"


def cmd_report(args) -> int:
    fp = _footprint(args)
    sys.stdout.write(format_report(report_dict(fp), args.format))
    return 0


def cmd_models(args) -> int:
    from . import zoo
    for name in zoo.names():
        m = zoo.get(name)
        print(f"{name:<14} {m.default_size[0]}x{m.default_size[1]}  {m.source}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sramfit",
        description="How much on-chip SRAM does a model need? Without arguments, opens "
                    "the desktop app.")
    sub = parser.add_subparsers(dest="command")
    rp = sub.add_parser("report", help="per-layer activation, weight and MAC report")
    _add_model_args(rp)
    rp.add_argument("--format", default="table", choices=["table", "json", "csv", "md"])
    rp.set_defaults(func=cmd_report)
    mp = sub.add_parser("models", help="list the built-in models")
    mp.set_defaults(func=cmd_models)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        try:
            from gui.app import main as gui_main
        except ImportError as err:
            print(f"sramfit: the desktop app is not available ({err}); "
                  f"try 'sramfit report --help'", file=sys.stderr)
            return 2
        return gui_main([])
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except SramfitError as err:
        print(f"sramfit: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
