"""``sramfit export``: every plot of one or more scenarios to files, without a window.

    sramfit export SCENARIO.yaml [MORE.yaml ...] --out DIR [--formats png,svg,csv]
                   [--size 1920x1080] [--style slide|screen] [--title TEXT]

For each scenario, every plot of the desktop app (the classes of gui/plots.py,
rendered from the same engine results as the main window) is written as
``DIR/<file stem>_<plot>.<fmt>``. With two or more scenarios the comparison is
written too: ``DIR/compare-table.<fmt>`` and the compare plots of gui/compare.py
(``DIR/compare-<plot>.<fmt>``). All files go through gui.export. Errors (a bad
scenario file, an unwritable --out, a bad --size) print one message and exit 2.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

FORMATS = ("png", "svg", "csv")


class UsageError(Exception):
    pass


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise UsageError(f"--size {text!r}: expected width x height in pixels, "
                         f"e.g. 1920x1080") from None
    if not (16 <= w <= 20000 and 16 <= h <= 20000):
        raise UsageError(f"--size {text!r}: width and height must be 16..20000 pixels")
    return w, h


def parse_formats(text: str) -> list[str]:
    out = []
    for f in text.split(","):
        f = f.strip().lower().lstrip(".")
        if not f:
            continue
        if f not in FORMATS:
            raise UsageError(f"--formats: unknown format {f!r}; use {', '.join(FORMATS)}")
        if f not in out:
            out.append(f)
    if not out:
        raise UsageError("--formats: give at least one of png, svg, csv")
    return out


def check_out_dir(path: str) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out {path}: cannot create the folder: "
                         f"{err.strerror or err}") from None
    if not out.is_dir() or not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {path}: the folder is not writable")
    return out


def scenario_frame(scenario, analysis, goal=None):
    """The main window's Frame for a scenario, from the same builder
    (gui.document.Document.frame): same sweeps, reference chips, knee and, with ``goal``
    ((engine.seek goal, value)), the goal marks."""
    from .document import Document
    doc = Document(scenario, analysis=analysis)
    doc.goal = (goal[0], float(goal[1])) if goal else None
    return doc.frame()


def footnote(scenario, analysis) -> str:
    """What was analysed, then the assumptions the figures rest on (gui/explain.py),
    one per line; the app's exports use the same text and images draw every line.
    Whether the speed is estimated is said once, by the assumptions' ``speed`` line."""
    from .explain import assumptions_text          # issue 15
    from .schedule_info import schedule_name       # issue 11
    fp = analysis.footprint
    s = scenario
    return (f"sramfit: {s.name}: {fp.model.name} {fp.width}x{fp.height}, batch {s.batch}, "
            f"{s.weights}/{s.activations}, {analysis.chip.name} with "
            f"{analysis.sram_mb:g} MB SRAM, policy {s.policy}, "
            f"schedule {schedule_name(analysis.schedule)}. MB = 10^6 bytes."
            + "\n" + assumptions_text(analysis))


def _logical(size, style):
    """The widget size a plot would have on screen for this export (for titles)."""
    from .export import _export_scale
    from .style import get_style
    s = _export_scale(get_style(style), size[0], size[1], None)
    return max(int(size[0] / s), 200), max(int(size[1] / s), 150)


def _run(args) -> int:
    size = parse_size(args.size)
    formats = parse_formats(args.formats)
    out = check_out_dir(args.out)

    from sramfit import engine
    from sramfit.commands import goal_of
    from sramfit.engine.errors import SramfitError

    loaded = []
    for path in args.scenarios:
        try:
            s = engine.load_scenario(path)
            a = engine.analyze(s)
        except SramfitError as err:
            raise UsageError(str(err)) from None
        except OSError as err:
            raise UsageError(f"{path}: {err.strerror or err}") from None
        loaded.append((path, s, a))

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .app import make_app
    app = make_app("sramfit export")
    from PySide6.QtWidgets import QApplication

    from . import compare as cmpview
    from . import export
    from .plots import ALL_PLOTS

    from sramfit.engine import seek
    goal = goal_of(args)
    logical = _logical(size, args.style)
    written = []
    stems: dict[str, int] = {}
    for path, s, a in loaded:
        stem = Path(path).stem
        stems[stem] = stems.get(stem, 0) + 1
        if stems[stem] > 1:
            stem = f"{stem}-{stems[stem]}"
        frame = scenario_frame(s, a, goal)
        if goal is not None and frame.goal is None:     # the app shows no marks then;
            try:                                        # the CLI says why (exit 2)
                seek.least_sram(s, *goal)
            except SramfitError as err:                 # e.g. --target-fps 0
                raise UsageError(f"{path}: {err}") from None
        note = footnote(s, a)
        for cls in ALL_PLOTS:
            plot = cls()
            plot.resize(*logical)
            plot.render(frame)
            QApplication.processEvents()
            for f in formats:
                p = out / f"{stem}_{export.slugify(plot.title)}.{f}"
                written.append(export.export_plot(plot, p, fmt=f, size=size,
                                                  style=args.style, footnote=note))
            plot.deleteLater()
        print(f"sramfit export: {path}: {len(ALL_PLOTS) * len(formats)} files",
              file=sys.stderr)
    if len(loaded) > 1:
        entries = [cmpview.Entry(s, a, path) for path, s, a in loaded]
        data = cmpview.build_data(entries)
        plots = cmpview.compare_plots()
        for plot in plots.values():
            plot.resize(*logical)
            plot.render(data)
        data_title = args.title or None
        QApplication.processEvents()
        note = cmpview.comparison_footnote(data)
        files = cmpview.export_comparison(data, plots, out, prefix="compare",
                                          formats=formats, style=args.style, size=size,
                                          footnote=note, summary_title=data_title)
        written += files
        for plot in plots.values():
            plot.deleteLater()
        print(f"sramfit export: comparison of {len(loaded)} scenarios: {len(files)} files",
              file=sys.stderr)
    QApplication.processEvents()
    del app
    print(f"wrote {len(written)} files to {out}", file=sys.stderr)
    return 0


def run(args) -> int:
    """``sramfit export`` with the parsed arguments (see sramfit.commands)."""
    from sramfit.engine.errors import SramfitError
    try:
        return _run(args)
    except UsageError as err:
        print(f"sramfit export: error: {err}", file=sys.stderr)
        return 2
    except SramfitError as err:                    # ExportError: a write failed
        print(f"sramfit export: error: {err}", file=sys.stderr)
        return 2
