"""The open scenario: one immutable ``Scenario`` value, its analysis, its file and
its undo stack. Widgets never change anything else; they call :meth:`edit`.

:meth:`Document.frame` is the one builder of what the plots draw (the window's and
``sramfit export``'s). With ``defer_new_models`` (the app), a switch to a model not
analysed recently is first shown from the threshold placement without sweeps
(``provisional``, marked by the window) and completed on the next turn of the event loop.

Every edit is analysed first; an edit the engine rejects (a size the model cannot
take, a precision the chip cannot run...) is not pushed, and ``rejected`` carries the
engine's message. Accepted edits become :class:`gui.commands.SetScenario` commands on
the QUndoStack, so undo/redo is free and restores the previous value exactly.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, Qt, Signal, Slot
from PySide6.QtGui import QUndoStack

from sramfit import engine
from sramfit.engine import scenario as sc
from sramfit.engine.analysis import Analysis
from sramfit.engine.errors import SramfitError

from .commands import SetScenario

#: SRAM sizes of the DRAM-vs-SRAM sweep: 0 plus a log grid from 100 kB to 1 GB.
SRAM_GRID = np.concatenate(([0.0], np.geomspace(1e5, 1e9, 240)))
#: Batch sizes of the throughput/latency sweep.
BATCH_GRID = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])


def sram_grid(scenario) -> np.ndarray:
    """SRAM sizes the DRAM-vs-SRAM curve is drawn over: up to 1000 MB, or further, to
    1.5x the size where everything fits (bug 15: the axis stopped below it)."""
    from sramfit.engine import seek
    try:
        hi = max(1e9, 1.5 * seek.upper_bound(scenario))
    except SramfitError:
        hi = 1e9
    if hi <= 1e9:
        return SRAM_GRID
    return np.concatenate(([0.0], np.geomspace(1e5, hi, 240)))


def batch_grid(scenario) -> np.ndarray:
    """Batches the throughput curve is drawn over: 1..256, and the scenario's own batch
    (bug 15: batch 4096 was off the plot)."""
    b = int(scenario.batch)
    if b in BATCH_GRID:
        return BATCH_GRID
    extra = 2 ** np.arange(9, int(np.ceil(np.log2(b))) + 1)
    return np.unique(np.concatenate((BATCH_GRID, extra[extra < b], [b])))
#: The seed chips marked on the DRAM-vs-SRAM plot.
REFERENCE_CHIPS = ("chip_a", "chip_b", "chip_c")


def default_scenario():
    """The opener: YOLOv3 at 2 MP (1920x1088) on chip B."""
    return sc.Scenario(name="YOLOv3 at 2 MP on chip B", model="yolov3", width=1920,
                       height=1088, chip="chip_b")


def scenario_title(s) -> str:
    """'ResNet50 at 224x224 on chip_b'-style name for a scenario whose model changed."""
    m = s.model
    if isinstance(m, dict):
        model = str(m.get("name", "model"))
    elif hasattr(m, "name"):
        model = str(m.name)
    else:
        model = str(m).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    size = f" at {s.width}x{s.height}" if s.width and s.height else ""
    chip = s.chip if isinstance(s.chip, str) else (s.chip or {}).get("name", "chip")
    chip = str(chip).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"{model}{size} on {chip}"


def _auto_named(s) -> bool:
    """Whether ``s``'s name was made by sramfit from its model, size and chip (the
    opener's, or :func:`scenario_title`'s), not given by the user."""
    d = default_scenario()
    opener = (s.name == d.name and s.model == d.model and (s.width, s.height)
              == (d.width, d.height) and s.chip == d.chip)
    return opener or s.name == scenario_title(s)


class Document(QObject):
    changed = Signal(object)          # the new Analysis, after every accepted change
    rejected = Signal(str)            # an edit the engine refused: its message
    fileChanged = Signal(str)         # the scenario's path ('' for a new scenario)
    dirtyChanged = Signal(bool)
    modelReplaced = Signal()          # New, Open, or a different model: forget view state

    def __init__(self, scenario=None, parent=None, analysis=None, defer: bool = False):
        """``defer`` (the app's start, gui/app.py): the first frame from the threshold
        placement rule, marked provisional like a new model's (:meth:`replace`); the
        caller runs :meth:`complete` once that frame is painted."""
        super().__init__(parent)
        self.stack = QUndoStack(self)
        # a bound method, not a lambda: Qt drops the connection when the document goes,
        # so closing the window never emits from a deleted source (bug 9)
        self.stack.cleanChanged.connect(self._on_clean)
        self.path = ""
        self.scenario = scenario if scenario is not None else default_scenario()
        self._pending = None
        self._refs = None
        self._sweep_cache: dict[str, list] = {}
        if analysis is None and defer:
            self.defer_new_models = self.provisional = self._approx = True
            self.analysis = Analysis(self.scenario, exact=False)
        else:
            self.analysis = analysis if analysis is not None else engine.analyze(self.scenario)
            self._store("analysis", self.scenario, self.analysis)
        self.last_analyze_s = 0.0
        self.goal: tuple[str, float] | None = None    # (engine.seek goal, value)

    def _on_clean(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)

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
        old = self.scenario
        if new.name == old.name and scenario_title(new) != scenario_title(old) and (
                new.model != old.model or _auto_named(old)):
            # a different model (bug 13), or a chip / size change under a name made from
            # them ("resnet50 at 1920x1088 on chip_b" kept naming chip_b on a Hailo-8):
            # the title, Save As and every export's footnote name the new one
            new = dataclasses.replace(new, name=scenario_title(new))
        # while a slider is dragged, place with the threshold rule (ms, not the exact
        # solve's tens of ms); settle() solves exactly on release
        fast = bool(merge_key) and str(merge_key).startswith("sram-drag")
        other_model = new.model != self.scenario.model
        # a model not analysed recently: the first frame from the threshold rule, marked
        # provisional; the exact placement and the sweeps follow right after it
        provisional = (self.defer_new_models and other_model and not fast
                       and self._lookup("analysis", new) is None)
        try:
            t0 = time.perf_counter()
            # a drag changes the SRAM size only: the footprint is reused (like=; ignored
            # for another model)
            analysis = (Analysis(new, exact=False, like=self.analysis) if fast or provisional
                        else self._analyze(new))
            self.last_analyze_s = time.perf_counter() - t0
        except SramfitError as err:
            self.rejected.emit(str(err))
            return False
        except Exception as err:  # noqa: BLE001 - last resort: reject, keep the document
            self.rejected.emit(f"internal error ({type(err).__name__}); the edit was not "
                               f"applied")
            return False
        self._pending = (new, analysis, provisional)
        self._approx = fast or provisional
        self.stack.push(SetScenario(self._set, self.scenario, new, text, merge_key))
        if other_model:
            self.modelReplaced.emit()
        if provisional:                  # a posted event: after the first frame's paint
            QMetaObject.invokeMethod(self, "complete", Qt.ConnectionType.QueuedConnection)
        return True

    #: a switch to a model not analysed recently shows a provisional first frame (the
    #: threshold placement, no sweeps) and completes it on the next turn of the event
    #: loop (the app's window; False: every edit is exact at once, as for scripts)
    defer_new_models = False
    #: True while the analysis shown is the provisional one of :meth:`replace`
    provisional = False

    @Slot()
    def complete(self) -> None:
        """The exact analysis and the sweeps of a provisional scenario (no-op else)."""
        if not self.provisional:
            return
        self.provisional = False
        try:
            self.analysis = self._analyze(self.scenario)
        except SramfitError as err:        # the threshold rule's figures stay, marked
            self.provisional = True
            self.rejected.emit(str(err))
            return
        self._approx = False
        self.changed.emit(self.analysis)

    def settle(self) -> None:
        """After a drag: the exact analysis of the current scenario (policy optimal)."""
        if self.analysis.scenario is self.scenario and not self._approx:
            return
        try:
            self.analysis = self._analyze(self.scenario)
        except SramfitError as err:
            self.rejected.emit(str(err))
            return
        self._approx = self.provisional = False
        self.changed.emit(self.analysis)

    _approx = False

    @property
    def dragging(self) -> bool:
        """True while the analysis shown is a slider drag's fast one (until settle())."""
        return self._approx

    def _set(self, scenario):
        """Called by the undo commands only."""
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] is scenario:
            analysis, self.provisional = pending[1], pending[2]
        else:
            analysis, self.provisional = self._analyze(scenario), False
            self._approx = False
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
        self._sweep_cache.clear()        # files may have changed on disk: nothing reused
        self.provisional = self._approx = False
        self.scenario, self.analysis = scenario, analysis
        self._store("analysis", scenario, analysis)
        self.path = str(path)
        self.stack.setClean()
        self.modelReplaced.emit()
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
    #: results kept per kind of sweep (and exact analyses kept): switching back to a
    #: recent model, chip or size, or undo/redo, redraws without recomputing
    CACHE_SIZE = 6

    def _cached(self, key: str, basis, compute):
        hit = self._lookup(key, basis)
        if hit is not None:
            return hit[0]
        try:
            value = compute()
        except (SramfitError, ImportError):
            value = None
        self._store(key, basis, value)
        return value

    def _lookup(self, key: str, basis):
        """(value,) cached for ``basis`` under ``key`` (now most recent), or None."""
        entries = self._sweep_cache.setdefault(key, [])
        for i, (b, value) in enumerate(entries):
            if b == basis:
                entries.insert(0, entries.pop(i))
                return (value,)
        return None

    def _store(self, key: str, basis, value) -> None:
        entries = self._sweep_cache.setdefault(key, [])
        entries.insert(0, (basis, value))
        del entries[self.CACHE_SIZE:]

    def _analyze(self, scenario):
        """engine.analyze(scenario), or the same analysis from the recent ones (a
        failure raises and is not cached)."""
        hit = self._lookup("analysis", scenario)
        if hit is not None:
            return hit[0]
        analysis = engine.analyze(scenario)
        self._store("analysis", scenario, analysis)
        return analysis

    def sram_sweep(self):
        """engine.sweep.over_sram over :func:`sram_grid` at the current scenario."""
        return self._sram_curves()[0]

    def _sram_curves(self):
        """(over_sram, dram_curves) of the scenario from one layer-by-layer evaluation
        (engine.sweep.sram_curves), once per scenario change (not per slider frame: the
        SRAM size does not change them); (None, None) if the engine refuses."""
        s = self.scenario
        basis = dataclasses.replace(s, sram_mb=None)
        pair = self._cached("sram", basis, lambda: _sweep().sram_curves(s, sram_grid(s)))
        return (None, None) if pair is None else pair

    def reference_chips(self) -> list[tuple[str, float]]:
        """[(label, SRAM bytes)] of the seed chips marked on the DRAM-vs-SRAM plot."""
        if self._refs is None:
            from sramfit.engine.chip import load_chip
            refs = []
            for name in REFERENCE_CHIPS:
                try:
                    c = load_chip(name)
                except SramfitError:
                    continue
                refs.append((name[-1].upper() if name.startswith("chip_") else name,
                             float(c.sram_bytes)))
            self._refs = refs
        return self._refs

    def frame(self):
        """THE frame every view draws, the main window's plots and the exports
        (gui/headless.py) alike: the analysis, the sweeps, the seed chips A, B and C,
        the knee and the goal marks."""
        from .plots import Frame
        a = self.analysis
        full = not self.provisional      # the first frame of a new model: no sweeps yet
        return Frame(analysis=a, batch=self.scenario.batch, sram_bytes=float(a.sram_bytes),
                     sram_sweep=self.sram_sweep() if full else None,
                     batch_sweep=self.batch_sweep() if full else None,
                     dram_curves=self.dram_curves() if full else None,
                     reference_chips=self.reference_chips(),
                     names=[s.name for s in a.footprint.steps],
                     knee_bytes=self.knee_bytes() if full else None,
                     goal=goal_marks(self.seek()) if full else None)

    def set_goal(self, goal: str | None, value: float = 0.0) -> None:
        """The goal the plots mark (engine.seek.GOALS key and value; None: no goal).
        Not part of the scenario: a view setting, not undoable, not saved."""
        self.goal = (goal, float(value)) if goal else None
        self.changed.emit(self.analysis)

    def seek(self):
        """engine.seek.least_sram for the current goal (cached: it does not depend on
        the SRAM size), or None."""
        if self.goal is None:
            return None
        s = self.scenario
        basis = (dataclasses.replace(s, sram_mb=None), self.goal)
        from sramfit.engine import seek
        return self._cached("seek", basis, lambda: seek.least_sram(s, *self.goal))

    def knee_bytes(self):
        """SRAM (bytes) at the knee of DRAM per image vs SRAM size, or None."""
        sw = self.sram_sweep()
        if sw is None:
            return None
        from sramfit.engine import seek
        i = seek.knee(sw["sram_bytes"], sw["dram_bytes_per_image"])
        return None if i is None else float(sw["sram_bytes"][i])

    def dram_curves(self):
        """Both schedules' DRAM-vs-SRAM curves and the floor (engine.sweep.dram_curves),
        over the same grid as :meth:`sram_sweep` and computed with it."""
        return self._sram_curves()[1]

    #: SRAM sizes (MB) a slider drag can land on; the chip panel sets them. While a
    #: drag runs, the batch sweep comes from one vectorised grid over all of them
    #: (computed once per scenario-minus-SRAM), not from a new sweep per notch.
    sram_notches_mb: tuple = ()

    def batch_sweep(self):
        s = self.scenario
        extra = s.batch if s.batch > 256 else 0
        basis = (dataclasses.replace(s, batch=1), extra)
        if self._approx and self.analysis.schedule == "depth_first":
            recent = (self._sweep_cache.get("batch") or [None])[0]
            if recent is not None and recent[0] == (
                    dataclasses.replace(basis[0], sram_mb=recent[0][0].sram_mb), extra):
                # a depth-first batch curve costs ~75 ms (a schedule search per batch):
                # held while the SRAM slider is dragged, redone by settle() on release
                return recent[1]
        elif self._approx and s.sram_mb is not None and self.sram_notches_mb:
            i = self._notch_index().get(float(s.sram_mb))
            if i is not None:
                key = (dataclasses.replace(s, batch=1, sram_mb=None), extra,
                       self.sram_notches_mb)
                table = self._cached("batch-notches", key, lambda: _sweep().grid(
                    s, np.asarray(self.sram_notches_mb, dtype=float) * 1e6, batch_grid(s)))
                if table is not None:   # column i == over_batch at that SRAM, bit for bit
                    return {k: np.ascontiguousarray(v[:, i]) for k, v in table.items()}
        return self._cached("batch", basis, lambda: _sweep().over_batch(s, batch_grid(s)))

    def _notch_index(self) -> dict:
        if getattr(self, "_notch_key", None) is not self.sram_notches_mb:
            self._notch_key = self.sram_notches_mb
            self._notch_map = {float(mb): i for i, mb in enumerate(self.sram_notches_mb)}
        return self._notch_map


def _sweep():
    from sramfit.engine import sweep
    return sweep


def goal_marks(result) -> dict | None:
    """What the plots draw of an engine.seek result (plain values, no engine types)."""
    if result is None:
        return None
    return {"goal": result.goal, "value": result.value, "text": result.description,
            "sram_bytes": result.sram_bytes, "batch": result.scenario.batch,
            "throughput_ips": result.figures.get("throughput_ips")}
