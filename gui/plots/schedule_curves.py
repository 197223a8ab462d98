"""Issue 11 on the DRAM-vs-SRAM plot: both schedules' curves (layer by layer,
depth-first fused stacks) and the floor no schedule in the modelled space goes below,
drawn from ``Frame.dram_curves`` (engine.sweep.dram_curves; computed by the document,
once per scenario change). The scenario's own schedule is the plot's "DRAM per image"
curve, drawn thick in that schedule's colour over its thin copy."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from .base import ACCENT, FIT, MB, MUTED, WEIGHT, set_xy

FLOOR_NAME = "floor (no schedule does better)"
SERIES = (("layer_by_layer", "layer by layer", WEIGHT),
          ("depth_first", "depth-first (fused stacks)", FIT))
SHORT = {"layer_by_layer": "layer by layer", "depth_first": "depth\u2011first"}
FLOOR = QColor("#6c757d")


class ScheduleCurves:
    """The three curves of one DRAM-vs-SRAM PlotItem, updated in place."""

    def __init__(self, plot_item):
        self.curves = {}
        for key, name, colour in SERIES:
            item = pg.PlotDataItem([], [], pen=pg.mkPen(colour, width=1.3), name=name)
            item.setZValue(2)
            plot_item.addItem(item)
            self.curves[key] = item
        self.floor = pg.PlotDataItem([], [], name=FLOOR_NAME,
                                     pen=pg.mkPen(FLOOR, width=1.6,
                                                  style=Qt.PenStyle.DashLine))
        self.floor.setZValue(1)
        plot_item.addItem(self.floor)
        self.shown = False
        self._visible(False)

    def _visible(self, on: bool):
        for item in (*self.curves.values(), self.floor):
            item.setVisible(on)

    def render(self, frame, keep, title, set_title):
        """Draw ``frame.dram_curves`` at the SRAM points ``keep`` (the plot's log x);
        sets the title's colour key. The colour of the scenario's schedule, or None
        (nothing drawn) if there are no curves."""
        c = frame.dram_curves
        sweep = frame.sram_sweep
        on = (c is not None and sweep is not None
              and np.array_equal(np.asarray(c["sram_bytes"], dtype=float),
                                 np.asarray(sweep["sram_bytes"], dtype=float)))
        if on != self.shown:
            self._visible(on)
            self.shown = on
        if not on:
            set_title(title, [("DRAM per image", WEIGHT, "—"), ("this chip", ACCENT, "●"),
                              ("chips A, B, C", MUTED, "┊")])
            return None
        chosen = getattr(frame.analysis, "schedule", "layer_by_layer")
        x = np.log10(np.asarray(c["sram_bytes"], dtype=float)[keep] / MB)
        for key, _, colour in SERIES:
            set_xy(self.curves[key], x, np.asarray(c[key], dtype=float)[keep] / MB)
        set_xy(self.floor, x, np.asarray(c["floor"], dtype=float)[keep] / MB)
        legend = [(SHORT[key] + (" (used)" if key == chosen else ""), colour, "—")
                  for key, _, colour in SERIES]
        set_title(title, legend + [(FLOOR_NAME, FLOOR, "╌"), ("this chip", ACCENT, "●"),
                                   ("chips A, B, C", MUTED, "┊")])
        return dict((k, c) for k, _, c in SERIES).get(chosen, WEIGHT)
