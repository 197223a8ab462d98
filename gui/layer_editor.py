"""Editing the layers of a user model (an edited copy held in the scenario).

A table over the model *definition* (layers, not fused execution steps). Each edit
builds the model's YAML form, runs it through ``engine.modelfile.model_from_dict``
(the same validation as a model file) and, if the engine accepts it and the
scenario still analyses, pushes it as one undoable edit. A rejected edit leaves
the cell as it was and shows the engine's message under the table."""
from __future__ import annotations

import yaml
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from sramfit.engine.errors import SramfitError
from sramfit.engine.graph import INPUT, OPS, Model
from sramfit.engine import yamlio
from sramfit.engine.modelfile import model_from_dict

# (key, header, tooltip)
COLUMNS = [
    ("name", "name", "unique layer name; renaming updates the layers that read it"),
    ("op", "op", "one of " + ", ".join(OPS)),
    ("inputs", "inputs", "comma-separated names of earlier layers (or 'input')"),
    ("out", "out", "output channels (conv) or features (fc)"),
    ("kernel", "kernel", "kernel size: k or [kh, kw]"),
    ("stride", "stride", "stride: s or [sh, sw]"),
    ("padding", "padding", "padding: p, [ph, pw], [t, l, b, r] or same"),
    ("groups", "groups", "convolution groups (= channels for depthwise)"),
    ("other", "other fields", "any other fields of the op, as YAML: {fn: relu}"),
]
MAIN = {"name", "op", "inputs", "out", "kernel", "stride", "padding", "groups"}


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple, dict)):
        return yaml.safe_dump(v, default_flow_style=True, width=1000).strip()
    return str(v)


def _parse(text: str):
    text = text.strip()
    if not text:
        return None
    try:
        return yamlio.parse(text, "cell")[0]     # bounded: aliases, nesting, numbers
    except SramfitError:
        return text


class ModelLayersModel(QAbstractTableModel):
    """Rows = the model's layers in their YAML form (``Layer.to_dict()``)."""

    modelEdited = Signal(object, str)     # (new Model, undo text)
    problem = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model: Model | None = None
        self.rows: list[dict] = []
        self.editable = False

    def set_model(self, model: Model, editable: bool):
        self.beginResetModel()
        self.model = model
        self.editable = editable
        self.rows = [dict(layer.to_dict()) for layer in model.layers]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][1]
            if role == Qt.ItemDataRole.ToolTipRole:
                return COLUMNS[section][2]
        elif role == Qt.ItemDataRole.DisplayRole:
            return str(section)
        return None

    def flags(self, index):
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def cell(self, row: dict, key: str):
        if key == "inputs":
            return ", ".join(row.get("inputs", []))
        if key == "other":
            rest = {k: v for k, v in row.items() if k not in MAIN}
            return _text(rest) if rest else ""
        return _text(row.get(key))

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.cell(self.rows[index.row()], COLUMNS[index.column()][0])
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[index.column()][2]
        return None

    # -- edits -----------------------------------------------------------------------
    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role != Qt.ItemDataRole.EditRole or not self.editable or not index.isValid():
            return False
        rows = [dict(r) for r in self.rows]
        row = rows[index.row()]
        key = COLUMNS[index.column()][0]
        text = str(value)
        if self.cell(row, key) == text.strip():
            return False
        if key == "name":
            old, new = row["name"], text.strip()
            row["name"] = new
            for r in rows:
                r["inputs"] = [new if t == old else t for t in r.get("inputs", [])]
        elif key == "op":
            row["op"] = text.strip()
        elif key == "inputs":
            row["inputs"] = [t.strip() for t in text.split(",") if t.strip()]
        elif key == "other":
            extra = _parse(text) or {}
            if not isinstance(extra, dict):
                self.problem.emit("other fields: expected YAML like {fn: relu}")
                return False
            for k in [k for k in row if k not in MAIN]:
                del row[k]
            row.update(extra)
        else:
            v = _parse(text)
            if v is None:
                row.pop(key, None)
            else:
                row[key] = v
        return self._commit(rows, f"Edit layer {rows[index.row()]['name']}: {key}")

    def _commit(self, rows, text) -> bool:
        data = self.model.to_dict()
        data["layers"] = rows
        try:
            model = model_from_dict(data, self.model.name)
        except SramfitError as err:
            self.problem.emit(str(err))
            return False
        except Exception as err:  # noqa: BLE001 - last resort: refuse the edit
            self.problem.emit(f"internal error ({type(err).__name__}); the edit was not "
                              f"applied")
            return False
        self.modelEdited.emit(model, text)
        return True

    def insert_after(self, row: int, channels: int) -> bool:
        rows = [dict(r) for r in self.rows]
        names = {r["name"] for r in rows}
        i = len(rows)
        while f"layer{i}" in names:
            i += 1
        prev = rows[row]["name"] if 0 <= row < len(rows) else INPUT
        new = {"name": f"layer{i}", "op": "conv", "inputs": [prev], "out": max(1, channels),
               "kernel": 3, "padding": 1}
        if row + 1 < len(rows):
            nxt = rows[row + 1]
            nxt["inputs"] = [new["name"] if t == prev else t for t in nxt.get("inputs", [])]
        rows.insert(row + 1, new)
        return self._commit(rows, f"Add layer {new['name']}")

    def remove(self, row: int) -> bool:
        if not 0 <= row < len(self.rows):
            return False
        rows = [dict(r) for r in self.rows]
        gone = rows.pop(row)
        feed = gone.get("inputs", [INPUT])
        for r in rows:
            if gone["name"] in r.get("inputs", []):
                ins = []
                for t in r["inputs"]:
                    for u in (feed if t == gone["name"] else [t]):
                        if u not in ins:
                            ins.append(u)
                r["inputs"] = ins
        return self._commit(rows, f"Remove layer {gone['name']}")


class LayerEditor(QWidget):
    """The 'Model layers' tab: the definition table plus add/remove buttons."""

    modelEdited = Signal(object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table_model = ModelLayersModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.table_model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, w in enumerate((150, 70, 170, 60, 60, 60, 80, 60)):
            self.view.setColumnWidth(col, w)
        self.add = QPushButton("Add layer after selected")
        self.add.setToolTip("Insert a 3×3 convolution after the selected layer")
        self.remove = QPushButton("Remove selected layer")
        self.remove.setToolTip("Remove the selected layer; its readers read its input")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c4472a;")
        self.add.clicked.connect(self._on_add)
        self.remove.clicked.connect(self._on_remove)
        self.table_model.modelEdited.connect(self._edited)
        self.table_model.problem.connect(self.message.setText)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        buttons.addWidget(self.hint, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(buttons)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.message)
        self._channels = {}

    def set_model(self, model: Model, editable: bool, shapes: dict | None = None):
        """Show ``model``'s layers. While the editor is hidden (its tab not chosen) the
        table is filled when it is shown (speed: a model switch rebuilt ~250 rows
        nobody saw)."""
        self._pending = (model, editable)
        if self.isVisible():
            self._fill()
        self._channels = {k: v[0] for k, v in (shapes or {}).items() if v}
        self.add.setEnabled(editable)
        self.remove.setEnabled(editable)
        self.hint.setText("" if editable else
                          "Built-in or file model: read-only. Use 'Duplicate as editable "
                          "copy' in the model panel to edit its layers.")

    _pending = None

    def _fill(self):
        if self._pending is None:
            return
        (model, editable), self._pending = self._pending, None
        if self.table_model.model is not model or self.table_model.editable != editable:
            self.table_model.set_model(model, editable)

    def showEvent(self, ev):
        self._fill()
        super().showEvent(ev)

    def _edited(self, model, text):
        self.message.setText("")
        self.modelEdited.emit(model, text)

    def show_problem(self, text: str):
        self.message.setText(text)

    def _selected_row(self) -> int:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else len(self.table_model.rows) - 1

    def _on_add(self):
        row = self._selected_row()
        name = self.table_model.rows[row]["name"] if self.table_model.rows else INPUT
        self.table_model.insert_after(row, int(self._channels.get(name, 16)))

    def _on_remove(self):
        self.table_model.remove(self._selected_row())
