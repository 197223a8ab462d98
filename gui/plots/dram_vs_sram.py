"""DRAM bytes per image as a function of SRAM size."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from .base import GOAL, ACCENT, Frame, LABEL_GROUND, MB, MUTED, PlotBase, WEIGHT, _font
from .base import Marker, cache_static, set_label, set_text, set_xy
from sramfit.gui.text import fmt_mb
from .schedule_curves import ScheduleCurves


class HoverPoints(pg.ScatterPlotItem):
    """Invisible points that carry the curve's hover tips: painted only while one is
    hovered (its highlight), not at every repaint of the plot (241 symbols)."""

    def paint(self, p, *args):
        if self.data["hovered"].any():
            super().paint(p, *args)


class DramVsSramPlot(PlotBase):
    """DRAM bytes per image as a function of SRAM size; reference and current chip."""

    title = "DRAM traffic per image vs SRAM size"
    help_text = ("DRAM bytes moved per image (weights streamed, activations spilled and "
                 "read back, input and output) if the chip had this much SRAM, everything "
                 "else unchanged.\nDotted lines: the seed chips A/B/C; the blue dot is the "
                 "current chip. MB = 10^6 bytes.\nBoth schedules: layer by layer and "
                 "depth-first (fused stacks, line buffers), the scenario's own drawn thick; "
                 "dashed: the floor, the least DRAM any schedule in the modelled space "
                 "could reach (input, outputs and weights once, plus what must spill).")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curve = pg.PlotDataItem([], [], pen=pg.mkPen(WEIGHT, width=2),
                                     name="DRAM per image")
        self.points = HoverPoints(size=6, pen=None, brush=pg.mkBrush(0, 0, 0, 0),
                                  hoverable=True, hoverBrush=pg.mkBrush(WEIGHT),
                                  tip=self._tip)
        self.current = Marker("o", 12, brush=ACCENT, pen=pg.mkPen("w", width=1.5),
                              name="this chip")
        self.current.setZValue(10)     # on the curves it sits on (they are Z 0-2)
        # labels on a white ground: a curve passing behind never runs through the text
        self.current_text = pg.TextItem("", color=ACCENT, anchor=(0, 1), fill=LABEL_GROUND)
        self.current_text.setFont(_font(8.5, True))
        self.current_text.setZValue(30)              # above every curve
        for item in (self.curve, self.points, self.current, self.current_text):
            self.plotItem.addItem(item)
        self.schedules = ScheduleCurves(self.plotItem)     # issue 11: both + the floor
        for item in (self.curve, *self.schedules.curves.values(), self.schedules.floor):
            cache_static(item.curve)          # a notch moves the chip's dot only
        self.set_title(self.title, [("DRAM per image", WEIGHT, "—"),
                                    ("this chip", ACCENT, "●"),
                                    ("chips A, B, C", MUTED, "┊")])
        self._chip_lines: list[pg.InfiniteLine] = []
        # the knee of the curve (engine.seek.knee) and the goal-seek answer
        self.knee = Marker("d", 11, brush=MUTED, pen=pg.mkPen("w", width=1), name="knee")
        self.knee.setZValue(10)
        self.knee_text = pg.TextItem("", color="#444", anchor=(0, 0), fill=LABEL_GROUND)
        self.knee_text.setFont(_font(8.0))
        self.knee_text.setZValue(30)
        self.goal_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen(GOAL, width=2,
                                                      style=Qt.PenStyle.DashLine),
                                         label="", labelOpts={"position": 0.75,
                                                              "color": GOAL,
                                                              "fill": LABEL_GROUND,
                                                              "anchors": [(0, 0), (0, 0)]})
        self.goal_line.setZValue(25)                 # its label above the curves
        for item in (self.knee, self.knee_text, self.goal_line):
            self.plotItem.addItem(item)
            item.hide()
        self.plotItem.getAxis("bottom").setLogMode(True, False)
        self.set_labels("DRAM MB per image (10⁶ B)", "SRAM size (MB, log scale)")
        self._sram = np.zeros(0)
        self._dram = np.zeros(0)

    def _tip(self, x, y, data):
        return (f"SRAM {fmt_mb(10 ** x * MB)} -> DRAM {fmt_mb(y * MB)} per image")

    def render(self, frame: Frame):
        sweep = frame.sram_sweep
        if sweep is None:
            return
        sram = np.asarray(sweep["sram_bytes"], dtype=float)
        dram = np.asarray(sweep["dram_bytes_per_image"], dtype=float)
        keep = sram > 0
        x = np.log10(sram[keep] / MB)
        y = dram[keep] / MB
        self._sram, self._dram = sram[keep], dram[keep]
        colour = self.schedules.render(frame, keep, self.title, self.set_title)
        pen = ((colour or WEIGHT).name(), 2.6 if colour else 2)
        if pen != getattr(self, "_pen", None):       # a new pen repaints the curve
            self._pen = pen
            self.curve.setPen(pg.mkPen(pen[0], width=pen[1]))
        set_xy(self.curve, x, y)
        set_xy(self.points, x, y)
        chips = frame.reference_chips
        while len(self._chip_lines) < len(chips):
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(MUTED, width=1, style=Qt.PenStyle.DotLine),
                                   label="", labelOpts={"position": 0.93, "color": "#555",
                                                        "fill": pg.mkBrush("w"),
                                                        "anchors": [(0, 0), (0, 0)]})
            # the letter on its ground above the goal line (Z 25): a goal at about
            # chip A's size no longer runs through the "A" (issue 15)
            line.setZValue(26)
            self.plotItem.addItem(line)
            self._chip_lines.append(line)
        for line, (label, nbytes) in zip(self._chip_lines, chips):
            line.setValue(math.log10(max(nbytes, 1) / MB))
            set_label(line, f" {label}")
            line.show()
        for line in self._chip_lines[len(chips):]:
            line.hide()
        cur_x = math.log10(max(frame.sram_bytes, 1) / MB)
        cur_y = float(frame.analysis.totals()["dram_bytes_per_image"]) / MB
        set_xy(self.current, [cur_x], [cur_y])
        xmin, xmax = (float(x.min()), float(x.max())) if len(x) else (-1.0, 3.0)
        chip_left, _ = self._label_sides(frame, None, xmin, xmax)
        ymax = max(float(y.max()) if len(y) else 0.0, cur_y)
        # a point high in the plot gets its label below it: above, the label ran out of
        # the plot over the legend (SRAM 2 MB on YOLOv3)
        self._top = ymax * 1.12 or 1.0
        # the A/B/C letters sit near the top, unless the chip's point (and label) is
        # there: then half-way down (they were drawn under the point at 2 MB)
        where = 0.45 if cur_y > 0.6 * self._top else 0.93
        for line in self._chip_lines:
            if line.label.orthoPos != where:
                line.label.setPosition(where)
        self.current_text.setAnchor((1 if chip_left else 0, self._vanchor(cur_y, 1.0)))
        self.current_text.setPos(cur_x, cur_y)
        knee_joins = self._marks(frame, sram[keep], dram[keep], xmin, xmax)
        set_text(self.current_text, f" this chip: {fmt_mb(cur_y * MB)}/image"
                 + (f"\n knee ≈ {fmt_mb(frame.knee_bytes)}" if knee_joins else ""))
        vb = self.plotItem.getViewBox()
        self.set_range(vb, x=(xmin, xmax), pad=0.02)
        self.set_range(vb, y=(0, self._top))

    _top = 1.0

    def _vanchor(self, y: float, above: float) -> float:
        """The label's vertical anchor: ``above`` (its bottom at the point) unless the
        point is in the top 40 % of the y range; then hanging below it."""
        return above if y <= 0.6 * self._top else -(above - 1.0)

    @staticmethod
    def _label_sides(frame: Frame, kx, xmin, xmax):
        """(chip label reaches left?, knee label reaches left? or None: no room for a
        knee label apart from the chip's). A label reaches away from the other point
        when that side has room (half the axis for the chip's longer label, a quarter for
        the knee's), else toward the middle."""
        cx = math.log10(max(frame.sram_bytes, 1) / MB)
        if kx is None and frame.knee_bytes:
            kx = math.log10(frame.knee_bytes / MB)
        span = max(xmax - xmin, 1e-9)
        mid_left = cx > (xmin + xmax) / 2
        if kx is None:
            return mid_left, None
        chip_left = kx >= cx                     # away from the knee
        if (cx - xmin if chip_left else xmax - cx) < 0.5 * span:   # its label is long
            chip_left = mid_left
        knee_left = not chip_left if abs(kx - cx) > 1e-9 else chip_left
        knee_room = (kx - xmin) if knee_left else (xmax - kx)
        apart = (kx < cx) == knee_left or abs(kx - cx) < 1e-9   # reaching away
        if knee_room < 0.25 * span or not apart or abs(kx - cx) < 0.02 * span:
            return chip_left, None
        return chip_left, knee_left

    def _marks(self, frame: Frame, sram, dram, xmin, xmax) -> bool:
        """The knee and goal marks; True if the knee's figure joins the chip's label."""
        knee = frame.knee_bytes
        joins = False
        if knee and len(sram):
            i = int(np.argmin(np.abs(sram - knee)))
            kx, ky = math.log10(knee / MB), float(dram[i]) / MB
            set_xy(self.knee, [kx], [ky])
            # both labels sit above their points and reach away from each other (see
            # _label_sides); where there is no room for that, the knee's figure joins
            # the chip's label instead of overprinting it
            chip_left, knee_left = self._label_sides(frame, kx, xmin, xmax)
            joins = knee_left is None
            set_text(self.knee_text, "" if joins else f" knee ≈ {fmt_mb(knee)}")
            self.knee_text.setAnchor((1 if knee_left else 0, self._vanchor(ky, 1.2)))
            self.knee_text.setPos(kx, ky)
            self.knee.show()
            self.knee_text.show()
        else:
            self.knee.hide()
            self.knee_text.hide()
        g = frame.goal
        if g and g.get("sram_bytes") is not None:
            gx = math.log10(max(g["sram_bytes"], 1.0) / MB)
            self.goal_line.show()                 # before the text (hidden labels ignore it)
            self.goal_line.setValue(gx)
            set_label(self.goal_line, f" goal: {fmt_mb(g['sram_bytes'])}")
        else:
            self.goal_line.hide()
        return joins
