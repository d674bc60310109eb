"""Settings: library location, analysis, tagging engine and model files, and shortcuts."""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QKeySequenceEdit, QLabel,
                               QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QTabWidget,
                               QVBoxLayout, QWidget)

from camtag.ui import actions as table
from camtag.ui.engines import LABELS, describe
from camtag.ui.settings import AppSettings


KEY_SLOTS = 3


def _path_row(parent: QWidget, edit: QLineEdit, folder: bool, caption: str) -> QHBoxLayout:
    row = QHBoxLayout()
    button = QPushButton("Browse…", parent)

    def browse() -> None:
        if folder:
            path = QFileDialog.getExistingDirectory(parent, caption, edit.text())
        else:
            path, _ = QFileDialog.getOpenFileName(parent, caption, edit.text())
        if path:
            edit.setText(path)
    button.clicked.connect(browse)
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, detectors: list[str], engine_states: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.original = settings
        tabs = self.tabs = QTabWidget(self)

        general = QWidget(self)
        form = QFormLayout(general)
        self.library = QLineEdit(settings.library_url, general)
        self.library.setPlaceholderText("default: $CAMTAG_LIBRARY or the user data folder")
        form.addRow("Library", _path_row(general, self.library, False, "Library file"))
        form.addRow("", QLabel("A path, a folder, or sqlite:///path; takes effect at once.", general))
        self.detector = QComboBox(general)
        self.detector.addItems(detectors)
        self.detector.setCurrentText(settings.detector)
        form.addRow("Shot detector", self.detector)
        self.sensitivity = QDoubleSpinBox(general)
        self.sensitivity.setRange(0.1, 5.0)
        self.sensitivity.setSingleStep(0.1)
        self.sensitivity.setValue(settings.sensitivity)
        self.sensitivity.setToolTip(">1 finds more cuts, <1 fewer")
        form.addRow("Detector sensitivity", self.sensitivity)
        self.min_shot = QDoubleSpinBox(general)
        self.min_shot.setRange(0.0, 10.0)
        self.min_shot.setSuffix(" s")
        self.min_shot.setValue(settings.min_shot_seconds)
        form.addRow("Minimum shot length", self.min_shot)
        tabs.addTab(general, "General")

        engine = QWidget(self)
        eform = QFormLayout(engine)
        self.engine = QComboBox(engine)
        for name, label in LABELS.items():
            self.engine.addItem(label, name)
            state = engine_states.get(name)
            if state is not None:
                self.engine.setItemData(self.engine.count() - 1, describe(name, state),
                                        Qt.ItemDataRole.ToolTipRole)
        self.engine.setCurrentIndex(max(0, self.engine.findData(settings.engine)))
        eform.addRow("Engine", self.engine)
        self.engine_state = QLabel("", engine)
        self.engine_state.setWordWrap(True)
        eform.addRow("", self.engine_state)
        self.engine.currentIndexChanged.connect(
            lambda _i: self.engine_state.setText(describe(self.engine.currentData(),
                                                          engine_states.get(self.engine.currentData(),
                                                                            "not checked yet"))))
        self.engine_state.setText(describe(settings.engine, engine_states.get(settings.engine,
                                                                             "not checked yet")))
        self.model_path = QLineEdit(settings.model_path, engine)
        eform.addRow("GGUF model", _path_row(engine, self.model_path, False, "CamReasoner GGUF"))
        self.mmproj_path = QLineEdit(settings.mmproj_path, engine)
        eform.addRow("GGUF vision projector", _path_row(engine, self.mmproj_path, False, "mmproj GGUF"))
        self.hf_dir = QLineEdit(settings.hf_model_dir, engine)
        eform.addRow("safetensors folder", _path_row(engine, self.hf_dir, True, "Model folder"))
        self.server_url = QLineEdit(settings.server_url, engine)
        self.server_url.setPlaceholderText("http://127.0.0.1:8080/v1")
        eform.addRow("Server URL", self.server_url)
        self.server_model = QLineEdit(settings.server_model, engine)
        eform.addRow("Server model", self.server_model)
        self.mode = QComboBox(engine)
        self.mode.addItems(["plan", "thorough"])
        self.mode.setCurrentText(settings.question_mode)
        eform.addRow("Question plan", self.mode)
        tabs.addTab(engine, "Engine")

        keys = QWidget(self)
        kl = QVBoxLayout(keys)
        self.preset = QComboBox(keys)
        self.preset.addItems(list(table.PRESETS))
        self.preset.setToolTip("Fill the keys with an NLE's habits; keys that mean something else "
                               "in that NLE are listed below the table")
        self.preset.activated.connect(lambda _i: self.apply_preset(self.preset.currentText()))
        prow = QHBoxLayout()
        prow.addWidget(QLabel("Keymap preset", keys))
        prow.addWidget(self.preset)
        prow.addStretch(1)
        kl.addLayout(prow)
        self.keys = QTableWidget(len(table.ACTIONS), 1 + KEY_SLOTS, keys)
        self.keys.setHorizontalHeaderLabels(["Action", "Key", "Also", "Also"])
        self.keys.verticalHeader().setVisible(False)
        self.keys.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        current = table.effective_keys(settings.shortcuts)
        self.key_edits: dict[str, tuple[QKeySequenceEdit, ...]] = {}
        for row, a in enumerate(table.ACTIONS):
            item = QTableWidgetItem(a.text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setToolTip(a.id)
            self.keys.setItem(row, 0, item)
            ks = list(current[a.id]) + [""] * KEY_SLOTS
            edits = tuple(QKeySequenceEdit(QKeySequence(k), keys) for k in ks[:KEY_SLOTS])
            for col, e in enumerate(edits, start=1):
                e.setMaximumSequenceLength(1)
                e.keySequenceChanged.connect(lambda _s: self._check_conflicts())
                self.keys.setCellWidget(row, col, e)
            self.key_edits[a.id] = edits
        self.conflicts = QLabel("", keys)
        self.conflicts.setStyleSheet("color: #ff8a80")
        reset = QPushButton("Restore default keys", keys)
        reset.clicked.connect(self._reset_keys)
        kl.addWidget(self.keys, 1)
        kl.addWidget(self.conflicts)
        kl.addWidget(reset, 0, Qt.AlignmentFlag.AlignLeft)
        tabs.addTab(keys, "Shortcuts")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)
        self.resize(680, 560)

    def key_map(self) -> dict[str, tuple[str, ...]]:
        out = {}
        for action_id, edits in self.key_edits.items():
            seqs = [e.keySequence().toString(QKeySequence.SequenceFormat.PortableText) for e in edits]
            out[action_id] = tuple(s for s in seqs if s)
        return out

    def _check_conflicts(self) -> None:
        keys = self.key_map()
        clashes = [f"{k} is used by {', '.join(ids)}" for k, ids in table.conflicts(keys).items()]
        habits = table.habit_clashes(keys, self.preset.currentText())
        self.conflicts.setText("\n".join(clashes + habits))

    def apply_preset(self, name: str) -> None:
        for action_id, ks in table.preset_keys(name).items():
            for edit, k in zip(self.key_edits[action_id], list(ks) + [""] * KEY_SLOTS):
                edit.setKeySequence(QKeySequence(k))
        self.preset.setCurrentText(name)
        self._check_conflicts()

    def _reset_keys(self) -> None:
        for action_id, edits in self.key_edits.items():
            ks = list(table.BY_ID[action_id].keys) + [""] * KEY_SLOTS
            for edit, k in zip(edits, ks):
                edit.setKeySequence(QKeySequence(k))

    def result_settings(self) -> AppSettings:
        s = copy.deepcopy(self.original)
        s.library_url = self.library.text().strip()
        s.detector = self.detector.currentText()
        s.sensitivity = float(self.sensitivity.value())
        s.min_shot_seconds = float(self.min_shot.value())
        s.engine = self.engine.currentData()
        s.model_path = self.model_path.text().strip()
        s.mmproj_path = self.mmproj_path.text().strip()
        s.hf_model_dir = self.hf_dir.text().strip()
        s.server_url = self.server_url.text().strip()
        s.server_model = self.server_model.text().strip()
        s.question_mode = self.mode.currentText()
        keys = self.key_map()
        s.shortcuts = {a.id: list(keys[a.id]) for a in table.ACTIONS if keys[a.id] != a.keys}
        return s
