"""Compare: activation bytes per layer, one curve per scenario."""
from __future__ import annotations

from typing import TYPE_CHECKING


import numpy as np


from .base import MB
from .compare_base import OverlayPlot

if TYPE_CHECKING:     # the plots draw CompareData; they never build it
    from sramfit.gui.compare.data import CompareData


class ActivationOverlayPlot(OverlayPlot):
    title = "Activation bytes per layer"
    help_text = ("Bytes of each execution step's output activation for the whole batch, "
                 "one curve per scenario. MB = 10^6 bytes.")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plotItem.getAxis("left").setLogMode(False, True)
        self.set_labels("MB per step, whole batch (log scale)", "execution step")

    def render(self, data: CompareData):
        n = len(data.names)
        self._ensure(n)
        top, bottom, steps = [], [], []
        for i, e in enumerate(data.entries):
            act = np.asarray(e.analysis.footprint.activation_bytes, float)
            x = np.arange(len(act) + 1) - 0.5
            y = np.log10(np.maximum(act, 1.0) / MB)
            self.curves[i].opts["name"] = data.names[i]
            self.curves[i].setData(x, y, stepMode="center")
            self.marks[i].setData([], [])
            if len(y):
                top.append(y.max()), bottom.append(y.min()), steps.append(len(y))
        self.set_title(self.title, self._key(data.names))
        vb = self.plotItem.getViewBox()
        if steps:
            vb.setXRange(-1, max(steps), padding=0)
            vb.setYRange(min(bottom) - 0.2, max(top) + 0.3, padding=0)
