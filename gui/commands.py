"""Undo commands. Every edit is one ``SetScenario`` that swaps two immutable
``engine.scenario.Scenario`` values; undo puts the old value back exactly."""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand

#: Command id for edits that merge while a slider is being dragged.
MERGE_ID = 4242


class SetScenario(QUndoCommand):
    """Replace the document's scenario ``old`` with ``new`` (and back on undo).

    ``apply`` is a callable taking a Scenario (the document's setter). When
    ``merge_key`` is given, consecutive commands with the same key merge into one
    undo step (a slider drag becomes one edit, from the value before the drag to the
    value where the mouse was released)."""

    def __init__(self, apply, old, new, text: str, merge_key: str | None = None):
        super().__init__(text)
        self._apply = apply
        self.old = old
        self.new = new
        self.merge_key = merge_key

    def redo(self):
        self._apply(self.new)

    def undo(self):
        self._apply(self.old)

    def id(self) -> int:
        return MERGE_ID if self.merge_key else -1

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SetScenario) or other.merge_key != self.merge_key \
                or self.merge_key is None:
            return False
        self.new = other.new
        return True
