"""Writing the compare table and plots through sramfit.gui.export (shared by the
compare window and the headless ``sramfit export``)."""
from __future__ import annotations

from pathlib import Path



from sramfit.gui.plots import SummaryFigure
from .data import CompareData, mixed_models_warning, summary_title, table_cells


# -- export helpers shared with the headless export -------------------------------------
def export_one(plot, path, *, style="slide", size=(1920, 1080), footnote=None,
               fmt=None, title=None):
    """One compare plot through gui.export (the summary figure gets its title and
    slide-size panel text here)."""
    from sramfit.gui import export
    from sramfit.gui.style import get_style
    if isinstance(plot, SummaryFigure):
        st = get_style(style)
        if st.name == "slide":
            plot.set_text_px(st.label_px or 32, st.legend_px or 28)
        if title is None:
            title = summary_title(plot._data) if plot._data is not None else plot.title
        try:
            return export.export_plot(plot, path, fmt=fmt, size=size, style=style,
                                      title=title, footnote=footnote)
        finally:
            plot.set_text_px(15.0, 12.0)
    return export.export_plot(plot, path, fmt=fmt, size=size, style=style,
                              footnote=footnote)


def write_table(data: CompareData, path, *, style="slide", footnote=None, fmt=None,
                size=None):
    from sramfit.gui import export
    numeric = (fmt or Path(path).suffix.lstrip(".").lower()) == "csv"
    headers, rows = table_cells(data, numeric=numeric)
    return export.export_table(headers, rows, path, fmt=fmt,
                               title="Key figures, deltas against "
                                     f"{data.names[data.baseline]}",
                               footnote=footnote, style=style, size=size)



def plot_footnote(data: CompareData | None, key: str, footnote):
    """The footnote of compare plot ``key``: the Pareto plot's export carries the
    mixed-workload warning the window shows above it, as its first line."""
    warn = mixed_models_warning(data) if key == "pareto" and data is not None else ""
    return f"Warning: {warn}\n{footnote or ''}".rstrip("\n") if warn else footnote


def export_comparison(data: CompareData, plots: dict, out_dir, *, prefix="compare",
                      formats=("png", "svg", "csv"), style="slide", size=(1920, 1080),
                      footnote=None, summary_title=None) -> list:
    """The table and every compare plot into ``out_dir`` as ``<prefix>-<name>.<fmt>``."""
    from sramfit.gui import export
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise export.ExportError(f"cannot create export directory {out}: "
                                 f"{err.strerror or err}") from err
    written = []
    for f in formats:
        written.append(write_table(data, out / f"{prefix}-table.{f}", style=style,
                                   footnote=footnote, fmt=f, size=size))
    for key, plot in plots.items():
        for f in formats:
            written.append(export_one(plot, out / f"{prefix}-{key}.{f}", style=style,
                                      size=size, footnote=plot_footnote(data, key, footnote),
                                      fmt=f,
                                      title=summary_title if key == "summary" else None))
    return written
