"""The open scenario: one immutable ``Scenario`` value, its analysis, its file and
its undo stack. Widgets never change anything else; they call :meth:`edit`.

Every edit is analysed first; an edit the engine rejects (a size the model cannot
take, a precision the chip cannot run...) is not pushed, and ``rejected`` carries the
engine's message. Accepted edits become :class:`gui.commands.SetScenario` commands on
the QUndoStack, so undo/redo is free and restores the previous value exactly.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from sramfit import engine
from sramfit.engine import scenario as sc
from sramfit.engine.errors import SramfitError

from .commands import SetScenario

#: SRAM sizes of the DRAM-vs-SRAM sweep: 0 plus a log grid from 100 kB to 1 GB.
SRAM_GRID = np.concatenate(([0.0], np.geomspace(1e5, 1e9, 240)))
#: Batch sizes of the throughput/latency sweep.
BATCH_GRID = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
#: The seed chips marked on the DRAM-vs-SRAM plot.
REFERENCE_CHIPS = ("chip_a", "chip_b", "chip_c")


def default_scenario():
    """The opener: YOLOv3 at 2 MP (1920x1088) on chip B."""
    return sc.Scenario(name="YOLOv3 at 2 MP on chip B", model="yolov3", width=1920,
                       height=1088, chip="chip_b")


class Document(QObject):
    changed = Signal(object)          # the new Analysis, after every accepted change
    rejected = Signal(str)            # an edit the engine refused: its message
    fileChanged = Signal(str)         # the scenario's path ('' for a new scenario)
    dirtyChanged = Signal(bool)

    def __init__(self, scenario=None, parent=None):
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.stack.cleanChanged.connect(lambda clean: self.dirtyChanged.emit(not clean))
        self.path = ""
        self.scenario = scenario if scenario is not None else default_scenario()
        self.analysis = engine.analyze(self.scenario)
        self._pending = None
        self._sweep_cache: dict[str, tuple] = {}
        self.last_analyze_s = 0.0

    # -- editing -----------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return not self.stack.isClean()

    def edit(self, text: str, merge_key: str | None = None, **changes) -> bool:
        """Apply ``changes`` (Scenario fields) as one undoable edit. False if rejected."""
        try:
            new = dataclasses.replace(self.scenario, **changes)
        except (SramfitError, TypeError) as err:
            self.rejected.emit(str(err))
            return False
        return self.replace(new, text, merge_key)

    def replace(self, new, text: str, merge_key: str | None = None) -> bool:
        if new == self.scenario:
            return True
        try:
            t0 = time.perf_counter()
            analysis = engine.analyze(new)
            self.last_analyze_s = time.perf_counter() - t0
        except SramfitError as err:
            self.rejected.emit(str(err))
            return False
        except Exception as err:  # noqa: BLE001 - last resort: reject, keep the document
            self.rejected.emit(f"internal error ({type(err).__name__}); the edit was not "
                               f"applied")
            return False
        self._pending = (new, analysis)
        self.stack.push(SetScenario(self._set, self.scenario, new, text, merge_key))
        return True

    def _set(self, scenario):
        """Called by the undo commands only."""
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] is scenario:
            analysis = pending[1]
        else:
            analysis = engine.analyze(scenario)
        self.scenario = scenario
        self.analysis = analysis
        self.changed.emit(analysis)

    # -- files -------------------------------------------------------------------
    @staticmethod
    def read(path: str):
        """(scenario, analysis) of a scenario file; SramfitError on any problem."""
        try:
            scenario = sc.load_scenario(path)
            return scenario, engine.analyze(scenario)
        except SramfitError:
            raise
        except Exception as err:  # noqa: BLE001 - last resort: a message, no change
            raise SramfitError(f"{path}: cannot open: internal error "
                               f"({type(err).__name__}); nothing was changed") from err

    def load(self, path: str) -> None:
        """Open a scenario file. Raises SramfitError (nothing changes) on any problem."""
        scenario, analysis = self.read(path)
        self.reset(scenario, analysis, path)

    def new(self, scenario=None) -> None:
        scenario = scenario if scenario is not None else default_scenario()
        self.reset(scenario, engine.analyze(scenario), "")

    def reset(self, scenario, analysis, path: str) -> None:
        self.stack.clear()
        self.scenario, self.analysis = scenario, analysis
        self.path = str(path)
        self.stack.setClean()
        self.fileChanged.emit(self.path)
        self.dirtyChanged.emit(False)
        self.changed.emit(analysis)

    def save(self, path: str | None = None) -> None:
        """Save (atomically, by the engine) to ``path`` or the current file."""
        path = str(path or self.path)
        sc.save_scenario(self.scenario, path)
        self.path = path
        self.stack.setClean()
        self.fileChanged.emit(path)

    # -- sweeps (cached: the SRAM sweep does not depend on the SRAM size) ----------
    def _cached(self, key: str, basis, compute):
        hit = self._sweep_cache.get(key)
        if hit is not None and hit[0] == basis:
            return hit[1]
        try:
            value = compute()
        except (SramfitError, ImportError):
            value = None
        self._sweep_cache[key] = (basis, value)
        return value

    def sram_sweep(self):
        s = self.scenario
        basis = dataclasses.replace(s, sram_mb=None)
        return self._cached("sram", basis, lambda: _sweep().over_sram(s, SRAM_GRID))

    def batch_sweep(self):
        s = self.scenario
        basis = dataclasses.replace(s, batch=1)
        return self._cached("batch", basis, lambda: _sweep().over_batch(s, BATCH_GRID))


def _sweep():
    from sramfit.engine import sweep
    return sweep
