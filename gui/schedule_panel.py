"""The schedule control (issue 11): layer by layer or depth-first (fused stacks), and
an optional pinned tile height. Both are scenario fields (``schedule``, ``tile_rows``)
edited through the document's undoable edits, like the chip panel's placement policy.

``schedule`` None in the scenario means the chip profile's default (what its compiler
does); the combo shows the effective schedule and writes an explicit one when changed.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from .widgets import hbox, ispin, put

SCHEDULE_TEXT = {
    "layer_by_layer": ("layer by layer",
                       "each layer runs over the whole tensor before the next starts; a "
                       "tensor either fits in SRAM whole or makes a DRAM round trip"),
    "depth_first": ("depth-first (fused stacks)",
                    "a stack of consecutive layers runs over tiles of a few output rows; "
                    "each layer keeps only the input rows it still needs (a line "
                    "buffer), so tensors inside a stack never reach DRAM. The engine "
                    "picks the stacks and tile height that need the least DRAM, and "
                    "keeps layer by layer where fusing does not pay"),
}
SCHEDULE_TIP = ("Schedule: the execution order the compiler uses.\n"
                "Layer by layer: each layer over the whole tensor, one after another.\n"
                "Depth-first (fused stacks): consecutive layers fused into stacks that "
                "run tile by tile (a few output rows at a time), each layer holding a "
                "line buffer of the input rows it still needs; only stack inputs and "
                "outputs touch DRAM (DeFiNES' fully-cached mode, no recompute).\n"
                "The chip profile gives the default.")
TILE_TIP = ("Depth-first tile height in output rows of each fused stack; 0 = the engine "
            "chooses the height that needs the least DRAM")


class ScheduleControls:
    """The combo and the tile-rows spin; ``row`` is a layout for a form row."""

    def __init__(self, document, parent: QWidget | None = None):
        self.doc = document
        self._updating = False
        self.combo = QComboBox(parent)
        for key, (label, tip) in SCHEDULE_TEXT.items():
            self.combo.addItem(label, key)
            self.combo.setItemData(self.combo.count() - 1, tip,
                                   Qt.ItemDataRole.ToolTipRole)
        self.combo.setToolTip(SCHEDULE_TIP)
        self.combo.activated.connect(self._on_schedule)
        self.tile_rows = ispin(0, 1 << 15, TILE_TIP, " rows")
        self.tile_rows.setSpecialValueText("auto tile")
        self.tile_rows.valueChanged.connect(self._on_tile_rows)
        self.row = hbox((self.combo, 1), self.tile_rows)

    def show_scenario(self, s, analysis):
        self._updating = True
        try:
            sched = analysis.schedule
            self.combo.setCurrentIndex(max(0, self.combo.findData(sched)))
            put(self.tile_rows, s.tile_rows or 0)
            self.tile_rows.setEnabled(sched == "depth_first")
        finally:
            self._updating = False

    def _edit(self, text, **changes):
        if self._updating:
            return False
        ok = self.doc.edit(text, **changes)
        if not ok:
            self.show_scenario(self.doc.scenario, self.doc.analysis)
        return ok

    def _on_schedule(self, index):
        key = self.combo.itemData(index)
        if key != self.doc.analysis.schedule:
            label = SCHEDULE_TEXT[key][0]
            self._edit(f"Schedule: {label}", schedule=key)

    def _on_tile_rows(self, value):
        self._edit(f"Tile rows {value or 'auto'}", tile_rows=int(value) or None)
