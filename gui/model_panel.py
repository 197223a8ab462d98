"""The model panel: which model, at what input size, batch and precision, with which
options. Every change is one undoable edit of the document's Scenario."""
from __future__ import annotations

from pathlib import Path

import yaml
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QLabel, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from sramfit.engine import zoo
from sramfit.engine.errors import SramfitError
from sramfit.engine.footprint import Footprint
from sramfit.engine.graph import Model
from sramfit.engine.modelfile import dump_model, load_model, model_from_dict
from sramfit.engine.precision import NAMES as PRECISIONS

from . import dialogs
from .widgets import check, form_layout, hbox, ispin, put

#: (label, width, height); the last entry, Custom, keeps the spin boxes' values.
SIZE_PRESETS = [
    ("224 × 224", 224, 224), ("299 × 299", 299, 299), ("416 × 416", 416, 416),
    ("608 × 608", 608, 608), ("VGA 640 × 480", 640, 480), ("720p 1280 × 720", 1280, 720),
    ("2 MP 1920 × 1088", 1920, 1088), ("4K 3840 × 2160", 3840, 2160),
]
CUSTOM = "custom W × H"


class _PresetCombo(QComboBox):
    """The size presets; says when its list is about to open."""
    aboutToShow = Signal()

    def showPopup(self):
        self.aboutToShow.emit()
        super().showPopup()


def model_label(model) -> str:
    """How the model of a scenario is named in the combo box."""
    if isinstance(model, dict):          # inline model (an edited copy)
        return f"{model.get('name', 'model')} (editable copy)"
    if isinstance(model, Model):
        return f"{model.name} (editable copy)"
    return str(model)


class ModelPanel(QWidget):
    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.doc = document
        self._updating = False
        form = form_layout()

        self.model = QComboBox()
        self.model.setToolTip("A built-in model (layers written from the published "
                              "architecture), a model file, or an edited copy")
        self.model.activated.connect(self._on_model)
        self.open_model = QPushButton("File…")
        self.open_model.setToolTip("Use a model file: sramfit YAML, ONNX or darknet .cfg")
        self.open_model.clicked.connect(self._on_open_model)
        form.addRow("Model", hbox((self.model, 1), self.open_model))
        self.copy = QPushButton("Duplicate as editable copy")
        self.copy.setToolTip("Copy the model's layers into the scenario, so layers can be "
                             "added, removed and edited in the 'Model layers' tab")
        self.copy.clicked.connect(self._on_copy)
        form.addRow("", self.copy)

        self.preset = _PresetCombo()
        # which presets the model refuses is checked when the list opens (a refused
        # size costs a search for the nearest ones: ~50 ms on every model switch)
        self.preset.aboutToShow.connect(lambda: self._mark_presets(self.doc.scenario))
        for label, w, h in SIZE_PRESETS:
            self.preset.addItem(label, (w, h))
        self.preset.addItem(CUSTOM, None)
        self.preset.setToolTip("Input image size in pixels (width × height). 2 MP is "
                               "1920 × 1088: YOLOv3 needs multiples of 32")
        self.preset.activated.connect(self._on_preset)
        form.addRow("Input size", self.preset)
        self.width = ispin(1, 16384, "input width in pixels", " px")
        self.height = ispin(1, 16384, "input height in pixels", " px")
        self.width.valueChanged.connect(self._on_size)
        self.height.valueChanged.connect(self._on_size)
        form.addRow("W × H", hbox(self.width, "×", self.height))

        self.batch = ispin(1, 4096, "images processed together. Weights are read once per "
                                    "batch; activations grow with the batch")
        self.batch.valueChanged.connect(
            lambda v: self._edit("Set batch", batch=v))
        self.compiled = ispin(0, 4096, "batch the model is compiled for (dynamic batching "
                                       "splits a client batch into calls of this size, each "
                                       "paying the per-call overhead); 0 = same as batch")
        self.compiled.setSpecialValueText("= batch")
        self.compiled.valueChanged.connect(
            lambda v: self._edit("Set compiled batch", compiled_batch=v or None))
        form.addRow("Batch", hbox(self.batch, "compiled", self.compiled))

        self.weights = QComboBox()
        self.activations = QComboBox()
        for box, what in ((self.weights, "weights"), (self.activations, "activations")):
            box.addItems(PRECISIONS)
            box.setToolTip(f"numeric precision of the {what}; bytes follow from bits")
        self.weights.activated.connect(
            lambda _: self._edit("Set weight precision", weights=self.weights.currentText()))
        self.activations.activated.connect(
            lambda _: self._edit("Set activation precision",
                                 activations=self.activations.currentText()))
        form.addRow("Precision", hbox("weights", (self.weights, 1),
                                      "activations", (self.activations, 1)))

        self.fusion = QCheckBox("fuse norm/act/add into the layer before")
        self.fusion.setToolTip("An accelerator applies batchnorm, activation and residual "
                               "add on the way out of the MAC array, so their inputs are "
                               "never written to memory")
        self.fusion.toggled.connect(lambda v: self._edit("Toggle fusion", fusion=v))
        form.addRow("Fusion", self.fusion)
        self.winograd = QCheckBox("Winograd F(2×2, 3×3)")
        self.winograd.setToolTip("3×3 stride-1 convolutions: 2.25× fewer MACs, but their "
                                 "weights grow 16/9 = 1.78×")
        self.winograd.toggled.connect(lambda v: self._edit("Toggle Winograd", winograd=v))
        self.plain = QCheckBox("weights stored plain")
        self.plain.setToolTip("Winograd weights stored untransformed and expanded on chip: "
                              "no growth of weight bytes in SRAM or DRAM")
        self.plain.toggled.connect(
            lambda v: self._edit("Toggle Winograd plain weights", winograd_plain_weights=v))
        form.addRow("Winograd", hbox(self.winograd, self.plain, None))

        # a refused edit's whole message (with the nearest sizes that work) stays here
        # until the next accepted change: the status bar cut it and cleared it (bug 7)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setStyleSheet("color: #c4472a;")
        self.problem.hide()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.problem)
        lay.addWidget(self.info)
        lay.addStretch(1)
        self.show_scenario(self.doc.scenario)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        if text:            # in a short dock (1280x720) scroll it into view once laid out
            QTimer.singleShot(0, self._reveal_problem)

    def _reveal_problem(self) -> None:
        w = self.parentWidget()
        while w is not None and not isinstance(w, QScrollArea):
            w = w.parentWidget()
        if w is not None and self.problem.isVisible():
            w.ensureWidgetVisible(self.problem, 0, 4)

    def _mark_presets(self, s) -> None:
        """Disable the size presets the model cannot take, saying why (bug 7: the
        presets offered sizes the model refuses)."""
        key = (s.model if isinstance(s.model, str) else id(s.model), s.channels, s.fusion)
        if key == getattr(self, "_preset_key", None):
            return
        self._preset_key = key
        fp0 = self.doc.analysis.footprint
        items = self.preset.model()
        for i, (label, w, h) in enumerate(SIZE_PRESETS):
            why = ""
            try:
                Footprint(fp0.model, w, h, s.channels, 1, s.weights, s.activations,
                          s.fusion)
            except SramfitError as err:
                why = str(err).splitlines()[0]
            item = items.item(i)
            if item is not None:
                item.setEnabled(not why)
                item.setToolTip(why)

    # -- document -> widgets -------------------------------------------------------
    def show_scenario(self, s):
        self.show_problem("")
        self._updating = True
        try:
            names = zoo.names()
            label = model_label(s.model)
            extra = None if isinstance(s.model, str) and s.model in names else label
            if (names, extra) != getattr(self, "_model_items", None):
                self._model_items = (names, extra)
                self.model.clear()
                for n in names:
                    self.model.addItem(n, n)
                if extra is not None:
                    self.model.addItem(extra, None)     # the scenario's own model
            self.model.setCurrentIndex(self.model.findText(label))
            fp = self.doc.analysis.footprint     # width/height None = the model's own
            put(self.width, fp.width)
            put(self.height, fp.height)
            match = [i for i, (_, w, h) in enumerate(SIZE_PRESETS)
                     if (w, h) == (fp.width, fp.height)]
            self.preset.setCurrentIndex(match[0] if match else len(SIZE_PRESETS))
            put(self.batch, s.batch)
            put(self.compiled, s.compiled_batch or 0)
            self.weights.setCurrentText(s.weights)
            self.activations.setCurrentText(s.activations)
            check(self.fusion, bool(s.fusion))
            check(self.winograd, bool(s.winograd))
            check(self.plain, bool(s.winograd_plain_weights))
            self.plain.setEnabled(bool(s.winograd))
            self.copy.setEnabled(not isinstance(s.model, (dict, Model)))
        finally:
            self._updating = False
        fp = self.doc.analysis.footprint
        src = getattr(fp.model, "source", "")
        self.info.setText(f"{fp.model.name}: {len(fp.model.layers)} layers in "
                          f"{len(fp.steps)} execution steps (hover for the source)")
        self.info.setToolTip(src)

    # -- widgets -> document -------------------------------------------------------
    def _edit(self, text, **changes):
        if self._updating:
            return False
        ok = self.doc.edit(text, **changes)
        if not ok:
            self.show_scenario(self.doc.scenario)
        return ok

    def _on_model(self, index):
        model = self.model.itemData(index)          # None: the scenario's own model
        if model is not None and model != self.doc.scenario.model:
            self._set_model(model, f"Use model {model_label(model)}")

    def _set_model(self, model, text):
        """Switch model; a model that cannot run at the current size gets its own."""
        if self._edit(text, model=model):
            return True
        try:
            w, h = self._load(model).default_size
        except SramfitError:
            return False
        self._updating = False
        return self.doc.edit(text, model=model, width=w, height=h)

    def _load(self, model):
        if isinstance(model, dict):
            return model_from_dict(model, "<inline model>")
        return load_model(model)

    def _on_open_model(self):
        self.choose_model_file()

    def choose_model_file(self):
        path = dialogs.open_file(self, "Use a model file", "", dialogs.MODEL_FILTER)
        if path:
            self.use_model_file(path)

    def use_model_file(self, path) -> bool:
        """Put the model file ``path`` (.onnx, .cfg, model .yaml) into the scenario. A
        file that does not load shows the engine's message and changes nothing."""
        s = self.doc.scenario
        try:
            load_model(path, s.width, s.height)
        except SramfitError as err:
            dialogs.show_error(self, "Cannot use this model", str(err))
            return False
        return self._set_model(str(path), f"Use model file {Path(str(path)).name}")

    def _on_copy(self):
        model = self.doc.analysis.footprint.model
        data = yaml.safe_load(dump_model(model))
        data["name"] = f"{model.name}_edit"
        data["source"] = f"edited copy of {model.name}; {model.source}".strip("; ")
        model_from_dict(data, "<copy>")         # the copy must load back as a model
        self._edit(f"Duplicate {model.name} as editable copy", model=data)

    def _on_preset(self, index):
        wh = self.preset.itemData(index)
        if wh is None:                   # custom: focus the spin boxes
            self.width.setFocus()
            self.width.selectAll()
            return
        self._edit(f"Input size {wh[0]}×{wh[1]}", width=wh[0], height=wh[1])

    def _on_size(self, _):
        self._edit(f"Input size {self.width.value()}×{self.height.value()}",
                   width=self.width.value(), height=self.height.value())
