"""The chip panel: preset chips, SRAM size (log slider + exact field), unified or split
SRAM, DRAM bandwidth, MAC array, clock, overheads, process, placement policy.

The SRAM size is the scenario's ``sram_mb``; every other field edits the scenario's
chip, which becomes an inline chip (validated by ``engine.chip.chip_from_dict``, the
same checks as a profile file) and can be saved as a new profile."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QLabel, QPushButton,
                               QSlider, QVBoxLayout, QWidget)

from .explain import chip_entry, chip_tooltip
from sramfit.engine.chip import (Chip, ChipError, chip_from_dict, chip_to_dict, list_chips, load_chip,
                         save_chip)
from sramfit.engine.errors import SramfitError
from sramfit.engine.placement import POLICIES
from sramfit.engine.scenario import resolve_chip

from . import dialogs
from .evidence import EvidenceLine
from .schedule_panel import ScheduleControls
from .widgets import check, dspin, form_layout, hbox, ispin, put

SLIDER_STEPS = 400
SLIDER_MIN_MB = 0.1        # slider spans 0.1 MB .. 1000 MB on a log scale
SLIDER_DECADES = 4
POLICY_TEXT = {
    "weights_first": ("weights first", "pin as many weights as fit; the rest of the SRAM "
                                       "buffers activations"),
    "activations_first": ("activations first", "SRAM buffers activations first; weights "
                                               "stream from DRAM once per batch"),
    "optimal": ("optimal split", "the split between weights and activations that "
                                 "minimises DRAM bytes per image"),
}


def slider_to_mb(pos: int) -> float:
    return SLIDER_MIN_MB * 10 ** (SLIDER_DECADES * pos / SLIDER_STEPS)


def slider_mb(pos: int) -> float:
    """The SRAM size (MB, 4 significant digits) the slider at ``pos`` sets."""
    return float(f"{slider_to_mb(pos):.4g}")


def mb_to_slider(mb: float) -> int:
    if mb <= SLIDER_MIN_MB:
        return 0
    pos = round(math.log10(mb / SLIDER_MIN_MB) / SLIDER_DECADES * SLIDER_STEPS)
    return max(0, min(SLIDER_STEPS, pos))


def scenario_chip(scenario) -> Chip:
    """The scenario's chip as given (profile, file or inline), before any SRAM override."""
    return resolve_chip(scenario)


class ChipPanel(QWidget):
    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.doc = document
        self._updating = False
        form = form_layout()

        self.preset = QComboBox()
        self.preset.setToolTip("Chip profiles from profiles/chips/ (each says where its "
                               "figures come from and which are estimates)")
        self.preset.activated.connect(self._on_preset)
        # the entries are long: the closed box stays narrow, the list shows them whole
        self.preset.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset.setMinimumContentsLength(16)
        self.preset.view().setMinimumWidth(460)
        form.addRow("Chip", self.preset)
        # issue 12: published measurements vs sramfit (gui/evidence.py)
        self.evidence = EvidenceLine(document)
        form.addRow("Evidence", self.evidence)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(SLIDER_STEPS // 20)
        self.slider.setToolTip("On-chip SRAM capacity, log scale from 0.1 MB to 1000 MB "
                               "(MB = 10^6 bytes). Drag to see what fits.")
        self.slider.valueChanged.connect(self._on_slider)
        # the sizes a drag can land on: the document sweeps them all at once (speed)
        self.doc.sram_notches_mb = tuple(slider_mb(p) for p in range(SLIDER_STEPS + 1))
        self.slider.sliderPressed.connect(self._on_slider_pressed)
        self.slider.sliderReleased.connect(self.doc.settle)   # exact placement on release
        self._drag = 0
        self.sram = dspin(0, 100000, 3, " MB", "exact SRAM capacity in MB (10^6 bytes)")
        self.sram.valueChanged.connect(
            lambda v: self._edit(f"SRAM {v:g} MB", sram_mb=float(v)))
        form.addRow("SRAM", hbox((self.slider, 1), self.sram))
        self.area = QLabel()
        self.area.setToolTip("SRAM macro area at the chip's process (mm² per MB × MB)")
        self.area.setStyleSheet("color: #555;")
        form.addRow("", self.area)

        self.split = QCheckBox("split: weight SRAM")
        self.split.setToolTip("Separate SRAMs for weights and activations (unchecked: one "
                              "unified SRAM shared by both)")
        self.split.toggled.connect(self._on_split)
        self.weight_sram = dspin(0, 100000, 3, " MB", "SRAM reserved for weights "
                                  "(MB = 10^6 bytes); the rest holds activations")
        self.weight_sram.valueChanged.connect(self._on_weight_sram)
        self.act_sram = QLabel()
        self.act_sram.setStyleSheet("color: #555;")
        form.addRow("Layout", hbox(self.split, (self.weight_sram, 1)))
        form.addRow("", self.act_sram)

        self.policy = QComboBox()
        for p in POLICIES:
            label, tip = POLICY_TEXT.get(p, (p, p))
            self.policy.addItem(label, p)
            self.policy.setItemData(self.policy.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.policy.setToolTip("Placement policy: what the SRAM holds (unified SRAM only)")
        self.policy.activated.connect(
            lambda i: self._edit("Set placement policy", policy=self.policy.itemData(i)))
        form.addRow("Placement", self.policy)
        self.schedule = ScheduleControls(document, self)     # gui/schedule_panel.py
        form.addRow("Schedule", self.schedule.row)

        self.dram = dspin(0.001, 100000, 2, " GB/s", "DRAM bandwidth, GB/s = 10^9 bytes/s")
        self.dram.valueChanged.connect(lambda v: self._chip("DRAM bandwidth", dram_gbps=v))
        form.addRow("DRAM", self.dram)
        self.rows = ispin(1, 1 << 16, "MAC array rows (reduction lanes)")
        self.cols = ispin(1, 1 << 16, "MAC array columns (output-channel lanes)")
        self.count = ispin(1, 1 << 16, "identical MAC arrays, splitting a layer's "
                                           "pixels")
        for s in (self.rows, self.cols, self.count):
            s.valueChanged.connect(self._on_array)
        form.addRow("MAC array", hbox(self.rows, "×", self.cols, "×", self.count))
        self.macs = QLabel()
        self.macs.setStyleSheet("color: #555;")
        form.addRow("", self.macs)
        self.clock = dspin(1, 100000, 0, " MHz", "MAC clock in MHz")
        self.clock.valueChanged.connect(self._on_clock)
        form.addRow("Clock", self.clock)
        self.layer_oh = dspin(0, 1e6, 1, " µs", "fixed cost of every execution step")
        self.call_oh = dspin(0, 1e7, 1, " µs", "fixed cost of every inference call "
                                                "(host to chip)")
        self.layer_oh.valueChanged.connect(
            lambda v: self._chip("Layer overhead", layer_overhead_us=v))
        self.call_oh.valueChanged.connect(
            lambda v: self._chip("Call overhead", call_overhead_us=v))
        form.addRow("Overheads", hbox("layer", (self.layer_oh, 1),
                                      "call", (self.call_oh, 1)))
        self.process = dspin(1, 1000, 0, " nm", "process node (for the SRAM area)")
        self.process.valueChanged.connect(lambda v: self._chip("Process node", process_nm=v))
        self.mm2 = dspin(0, 100, 3, " mm²/MB", "SRAM macro area per MB at this process")
        self.mm2.valueChanged.connect(lambda v: self._chip("SRAM area", sram_mm2_per_mb=v))
        form.addRow("Process", hbox(self.process, (self.mm2, 1)))
        self.overlap = QCheckBox("overlap compute with DRAM transfers")
        self.overlap.setToolTip("Checked: a step takes max(compute, memory) time; "
                                "unchecked: their sum")
        self.overlap.toggled.connect(lambda v: self._edit("Toggle overlap", overlap=v))
        form.addRow("Timing", self.overlap)
        self.save = QPushButton("Save chip as profile…")
        self.save.setToolTip("Write the edited chip to a new profile YAML")
        self.save.clicked.connect(self.save_profile)
        form.addRow("", self.save)

        # goal seek (engine.seek): the least SRAM that meets a goal, marked on the plots
        self.goal = QComboBox()
        for label, key, tip in (("no goal", None, ""),
                                ("≥ images/s", "target_fps", "throughput of at least"),
                                ("≤ DRAM GB/s", "max_dram_gbps", "DRAM bandwidth used of at most"),
                                ("batch on chip", "batch_on_chip",
                                 "a batch this big with nothing spilled to DRAM")):
            self.goal.addItem(label, key)
            self.goal.setItemData(self.goal.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.goal.setToolTip("Goal seek: the least SRAM that meets a throughput, DRAM "
                             "bandwidth or batch-on-chip goal (marked on the DRAM-vs-SRAM "
                             "and batch plots)")
        self.goal_value = dspin(0.001, 1e7, 3, "", "the goal's value (images/s, GB/s or "
                                                   "batch size)")
        self.goal_value.setValue(10.0)
        self.goal_value.setEnabled(False)
        self.goal.activated.connect(self._on_goal)
        self.goal_value.valueChanged.connect(self._on_goal)
        self.goal_use = QPushButton("Use")
        self.goal_use.setToolTip("Set the SRAM to the least size that meets the goal")
        self.goal_use.clicked.connect(self._use_goal)
        form.addRow("Goal", hbox((self.goal, 1), (self.goal_value, 1), self.goal_use))
        self.goal_result = QLabel("")
        self.goal_result.setWordWrap(True)
        form.addRow("", self.goal_result)

        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.info)
        lay.addStretch(1)
        self.show_scenario(self.doc.scenario)

    def _on_goal(self, *_):
        key = self.goal.currentData()
        self.goal_value.setEnabled(key is not None)
        self.doc.set_goal(key, self.goal_value.value())

    def _use_goal(self):
        r = self.doc.seek()
        if r is not None and r.sram_bytes is not None:
            self.sram.setValue(r.sram_bytes / 1e6)

    def _show_goal(self):
        r = self.doc.seek()
        self.goal_use.setEnabled(r is not None and r.sram_bytes is not None)
        if r is None:
            self.goal_result.setText("")
            return
        f = r.figures
        if r.sram_bytes is None:
            self.goal_result.setText(
                f"{r.description}: not reachable — at best {f['throughput_ips']:,.2f} "
                f"images/s, {f['dram_gbps']:,.2f} GB/s with everything on chip")
        else:
            self.goal_result.setText(
                f"{r.description}: least SRAM {r.sram_bytes / 1e6:,.3f} MB → "
                f"{f['throughput_ips']:,.2f} images/s, {f['dram_gbps']:,.2f} GB/s DRAM")
        self.goal_result.setStyleSheet("color: #2d6a4f;")

    # -- document -> widgets -------------------------------------------------------
    def show_scenario(self, s):
        a = self.doc.analysis
        chip = a.chip
        self._updating = True
        try:
            # a slider drag changes the SRAM size only: no profile folder scan per notch
            shown = getattr(self, "_preset_items", None)
            names = shown[0] if shown and self.slider.isSliderDown() else list_chips()
            preset = isinstance(s.chip, str) and s.chip in names
            extra = None if preset else (f"{chip.name} (edited)" if isinstance(s.chip, dict)
                                         else str(s.chip))
            if (names, extra) != getattr(self, "_preset_items", None):
                self._preset_items = (names, extra)
                self.preset.clear()
                for n in names:
                    # name, title, SRAM, TOPS and estimate flag (gui/explain.py)
                    try:
                        c = load_chip(n)
                        text, tip = chip_entry(c), chip_tooltip(c)
                    except SramfitError:
                        text, tip = n, ""
                    self.preset.addItem(text, n)
                    self.preset.setItemData(self.preset.count() - 1, tip,
                                            Qt.ItemDataRole.ToolTipRole)
                if extra is not None:
                    self.preset.addItem(extra, None)
            if preset:
                self.preset.setCurrentIndex(names.index(s.chip))
            else:
                self.preset.setCurrentIndex(self.preset.count() - 1)
            mb = a.sram_mb                       # the scenario's override, or the chip's
            put(self.sram, mb)
            if not self.slider.isSliderDown():
                put(self.slider, mb_to_slider(mb))
            check(self.split, bool(chip.sram_split))
            self.weight_sram.setEnabled(bool(chip.sram_split))
            frac = (chip.weight_sram_mb or 0.0) / chip.sram_mb if chip.sram_mb else 0.0
            put(self.weight_sram, frac * mb if chip.sram_split else 0.0)
            self.policy.setEnabled(not chip.sram_split)
            self.policy.setCurrentIndex(max(0, self.policy.findData(s.policy)))
            put(self.dram, chip.dram_gbps)
            put(self.rows, chip.array_rows)
            put(self.cols, chip.array_cols)
            put(self.count, chip.array_count)
            put(self.clock, chip.clock_mhz)
            put(self.layer_oh, chip.layer_overhead_us)
            put(self.call_oh, chip.call_overhead_us)
            put(self.process, chip.process_nm or 0)
            put(self.mm2, chip.sram_mm2_per_mb)
            check(self.overlap, bool(s.overlap))
            self.schedule.show_scenario(s, a)
        finally:
            self._updating = False
        self._show_goal()
        t = a.totals()
        self.area.setText(f"MB = 10⁶ bytes · SRAM area ≈ {t['sram_area_mm2']:,.1f} mm²")
        if chip.sram_split:
            w = self.weight_sram.value()
            self.act_sram.setText(f"activation SRAM {a.sram_mb - w:,.3f} MB")
        else:
            self.act_sram.setText("unified SRAM for weights and activations")
        # Chip.peak_tops: the published figure, else 2 x MACs x clock marked derived
        self.macs.setText(f"{chip.macs:,} MACs, {chip.peak_tops.label()} int8 peak")
        self.info.setText(chip.title)
        self.info.setToolTip(chip.source)
        evidence_key = (chip, isinstance(s.chip, dict))
        if evidence_key != getattr(self, "_evidence_key", None):    # not per drag notch
            self._evidence_key = evidence_key
            self.evidence.show_chip(*evidence_key)

    # -- widgets -> document -------------------------------------------------------
    def _edit(self, text, merge_key=None, **changes):
        if self._updating:
            return False
        ok = self.doc.edit(text, merge_key=merge_key, **changes)
        if not ok:
            self.show_scenario(self.doc.scenario)
        return ok

    def _chip(self, text, scenario_changes=None, **fields):
        """Edit chip fields: validated like a profile file, kept inline in the scenario."""
        if self._updating:
            return False
        data = chip_to_dict(scenario_chip(self.doc.scenario))
        data.update(fields)
        try:
            chip = chip_from_dict(data, "<edited chip>")
        except ChipError as err:
            self.doc.rejected.emit(str(err))
            self.show_scenario(self.doc.scenario)
            return False
        inline = chip_to_dict(chip)
        return self._edit(text, chip=inline, **(scenario_changes or {}))

    def _on_preset(self, index):
        chip = self.preset.itemData(index)
        if chip is not None and chip != self.doc.scenario.chip:
            name = chip if isinstance(chip, str) else chip.name
            self._edit(f"Use chip {name}", chip=chip, sram_mb=None)

    def _on_slider(self, pos):
        if self._updating:
            return
        mb = slider_mb(pos)
        self._edit(f"SRAM {mb:g} MB", merge_key=f"sram-drag-{self._drag}" if self.slider.isSliderDown() else None,
                   sram_mb=mb)

    def _on_slider_pressed(self):
        self._drag += 1

    # A split is stored in the chip; its sizes are the effective SRAM size (any
    # scenario override is folded into the chip, so the two never disagree).
    def _on_split(self, on):
        chip = scenario_chip(self.doc.scenario)
        total = self.doc.analysis.sram_mb
        if on:
            w = min(total, self.doc.analysis.totals()["weight_bytes_stored"] / 1e6) or total / 2
            self._chip("Split SRAM", {"sram_mb": None}, sram_split=True, sram_mb=total,
                       weight_sram_mb=w, activation_sram_mb=total - w)
        elif chip.sram_split:
            self._chip("Unified SRAM", {"sram_mb": None}, sram_split=False, sram_mb=total,
                       weight_sram_mb=None, activation_sram_mb=None)

    def _on_weight_sram(self, w):
        total = self.doc.analysis.sram_mb
        w = min(w, total)
        self._chip("Weight SRAM", {"sram_mb": None}, sram_mb=total, weight_sram_mb=w,
                   activation_sram_mb=total - w)

    def _on_array(self, _):
        r, c, n = self.rows.value(), self.cols.value(), self.count.value()
        self._chip("MAC array", array_rows=r, array_cols=c, array_count=n, macs=r * c * n,
                   peak_tops_int8=None)

    def _on_clock(self, v):
        self._chip("Clock", clock_mhz=v, peak_tops_int8=None)

    # -- save as profile -------------------------------------------------------------
    def save_profile(self):
        chip = self.doc.analysis.chip
        # the user's folder, never the installed package's (lost on reinstall, and not
        # writable on a system install): bug 10
        suggestion = str(user_chip_dir() / f"{chip.name}_custom.yaml")
        path = dialogs.save_file(self, "Save chip as profile", suggestion,
                                 dialogs.CHIP_FILTER)
        if not path:
            return False
        if not path.lower().endswith((".yaml", ".yml")):
            path += ".yaml"
        # its own title, so two chips are never listed under one name (bug 10)
        stem = Path(path).stem
        title = f"{stem} (edited in sramfit from {chip.name})"
        return save_chip_profile(dataclasses.replace(chip, title=title), path, self)


def user_chip_dir() -> Path:
    """Where edited chip profiles are suggested: the user's documents folder."""
    from PySide6.QtCore import QStandardPaths
    docs = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    return Path(docs) / "sramfit chips"


def save_chip_profile(chip: Chip, path: str, parent=None) -> bool:
    """Write ``chip`` as a profile YAML named after the file (engine.chip.save_chip:
    validated, atomic). Shows the engine's message on failure."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        save_chip(chip, path)
    except (SramfitError, OSError) as err:
        dialogs.show_error(parent, "Cannot save the chip profile", str(err))
        return False
    return True
