"""The live plots. One class per plot; each only turns arrays into pyqtgraph items.

Data interface: every plot has ``render(frame)`` where ``frame`` is a :class:`Frame`
built by the main window from ``engine.analyze(scenario)`` and the engine's sweeps.
Plots never compute a figure the engine did not give them; they only scale units
(bytes -> MB = 10^6 bytes, seconds -> ms) and take logs for log axes.

Items are created once in ``__init__`` and updated in place with ``setData`` /
``setOpts`` so that dragging a slider re-renders without clearing the scene.

Each layer plot emits ``layerClicked(step_index)`` when a bar or point is clicked,
and shows the selected step via ``select(step_index)`` (the table drives it).
"""
from __future__ import annotations

from .activation import ActivationPlot
from .base import (ACCENT, COMPUTE, FG, FIT, LOG_FLOOR_MB, MB, MEMORY, MUTED, SPILL, WEIGHT,
                   Frame, PlotBase, StepPlot, activation_capacity, roofline)
from sramfit.gui.text import fmt_mb
from .batch import BatchPlot
from .dram_vs_sram import DramVsSramPlot
from .live_memory import LiveMemoryPlot
from .compare_base import PALETTE, batch_ticks
from .dram_overlay import DramOverlayPlot
from .throughput_overlay import ThroughputOverlayPlot
from .activation_overlay import ActivationOverlayPlot
from .traffic_share import TrafficSharePlot
from .pareto import ParetoPlot
from .summary import SummaryFigure
from .roofline import RooflinePlot
from .traffic import TrafficPlot

ALL_PLOTS = (ActivationPlot, LiveMemoryPlot, DramVsSramPlot, BatchPlot, RooflinePlot,
             TrafficPlot)


def compare_plots() -> dict:
    """A fresh instance of every compare plot: {file-name stem: plot}."""
    return {"dram-vs-sram": DramOverlayPlot(),
            "throughput-vs-batch-relative": ThroughputOverlayPlot(relative=True),
            "throughput-vs-batch": ThroughputOverlayPlot(relative=False),
            "activations-per-layer": ActivationOverlayPlot(),
            "dram-traffic-by-kind": TrafficSharePlot(),
            "pareto": ParetoPlot(),
            "summary": SummaryFigure()}

__all__ = ["ActivationPlot", "ACCENT", "COMPUTE", "FG", "FIT", "LOG_FLOOR_MB", "MB", "MEMORY", "MUTED", "SPILL", "WEIGHT", "Frame", "PlotBase", "StepPlot", "activation_capacity", "fmt_mb", "roofline", "BatchPlot", "DramVsSramPlot", "LiveMemoryPlot", "PALETTE", "batch_ticks", "DramOverlayPlot", "ThroughputOverlayPlot", "ActivationOverlayPlot", "TrafficSharePlot", "ParetoPlot", "SummaryFigure", "RooflinePlot", "TrafficPlot", "ALL_PLOTS", "compare_plots"]
