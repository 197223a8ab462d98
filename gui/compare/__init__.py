"""The compare view: several scenarios side by side.

* a list of scenarios with checkboxes ("add current scenario", "open files…");
* the key figures of the checked ones with absolute and % deltas against a baseline
  (engine.compare.compare);
* overlaid curves with a legend: DRAM per image vs SRAM size, throughput vs batch
  (relative to batch 1), activation bytes per layer, DRAM traffic by kind;
* a Pareto plot of SRAM area (cost) vs throughput, DRAM bandwidth or DRAM per image;
* a field-by-field diff of two scenarios' settings (engine.compare.diff_settings);
* a two-panel summary for slides (throughput vs batch + DRAM traffic by kind).

Every number comes from engine.analyze / engine.sweep / engine.compare
(:func:`build_data`). The package: ``data`` (Qt-free: build the data, format the
table), ``window`` (the Qt window), ``exports`` (files, through sramfit.gui.export).
The plot classes live in sramfit.gui.plots (one module each) and only turn the data's
arrays into pyqtgraph items; they are also used by gui/headless.py (``sramfit
export``).
"""
from __future__ import annotations

from sramfit.gui.plots import (PALETTE, ActivationOverlayPlot, DramOverlayPlot, ParetoPlot,
                               SummaryFigure, ThroughputOverlayPlot, TrafficSharePlot,
                               batch_ticks, compare_plots)

from .data import (FOOTNOTE, SRAM_GRID, SRAM_VARIANTS_MB, CompareData, Entry, build_data,
                   comparison_footnote, fmt, fmt_delta, fmt_pct, mixed_models_warning,
                   setting_text, summary_title, table_cells)
from .exports import export_comparison, export_one, write_table
from .window import CompareWindow, open_files

__all__ = ["PALETTE", "ActivationOverlayPlot", "DramOverlayPlot", "ParetoPlot", "SummaryFigure",
           "ThroughputOverlayPlot", "TrafficSharePlot", "batch_ticks", "compare_plots",
           "FOOTNOTE", "SRAM_GRID", "SRAM_VARIANTS_MB", "CompareData", "Entry", "build_data",
           "comparison_footnote", "mixed_models_warning", "fmt", "fmt_delta", "fmt_pct", "setting_text",
           "summary_title", "table_cells", "export_comparison", "export_one", "write_table",
           "CompareWindow", "open_files"]
