"""The analysis queue's view: per-file status and progress, add/cancel/resume, engine choice.

Files and folders can be dropped here (or anywhere on the main window). The engine list says
for each engine whether it can run, and why not; an unusable choice is allowed but flagged, and
the analysis then keeps geometric tags and says so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from camtag.ui.analysis_queue import AnalysisQueue
from camtag.ui.engines import LABELS, describe
from camtag.ui.resources import icon

_STATUS_COLOR = {"done": "#1dd1a1", "up to date": "#1dd1a1", "failed": "#ff6b6b",
                 "cancelled": "#f6b93b", "running": "#54a0ff", "queued": "#8b95a5"}


class QueuePanel(QWidget):
    add_files_requested = Signal()
    add_folder_requested = Signal()
    engine_changed = Signal(str)

    def __init__(self, queue: AnalysisQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["File", "Status", "Progress", "Details"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 260), (1, 90), (2, 160)):
            self.table.setColumnWidth(col, width)
        self.add_files = QPushButton(icon("add-file"), "Add files…", self)
        self.add_folder = QPushButton(icon("add-folder"), "Add folder…", self)
        self.cancel = QPushButton(icon("cancel"), "Cancel", self)
        self.resume = QPushButton(icon("resume"), "Resume", self)
        self.clear = QPushButton("Clear finished", self)
        self.engine = QComboBox(self)
        self.engine_state = QLabel("checking engines…", self)
        self.engine_state.setObjectName("clipInfo")
        self.engine_state.setWordWrap(True)
        for name, label in LABELS.items():
            self.engine.addItem(label, name)
        for b in (self.add_files, self.add_folder, self.cancel, self.resume, self.clear):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.add_files.clicked.connect(self.add_files_requested)
        self.add_folder.clicked.connect(self.add_folder_requested)
        self.cancel.clicked.connect(queue.cancel)
        self.resume.clicked.connect(queue.resume)
        self.clear.clicked.connect(queue.clear_finished)
        self.engine.currentIndexChanged.connect(lambda _i: self._engine_text())
        self.engine.currentIndexChanged.connect(
            lambda _i: self.engine_changed.emit(self.engine.currentData()))
        self.states: dict[str, str] = {}

        bar = QHBoxLayout()
        for w in (self.add_files, self.add_folder, self.cancel, self.resume, self.clear):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(QLabel("Engine:", self))
        bar.addWidget(self.engine)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.engine_state)
        layout.addWidget(self.table, 1)
        self.setAcceptDrops(True)
        queue.items_reset.connect(self.rebuild)
        queue.item_changed.connect(self.update_row)
        queue.busy_changed.connect(lambda _b: self._buttons())
        self._buttons()

    # -- engines ---------------------------------------------------------------------------------
    def set_engine(self, name: str) -> None:
        i = self.engine.findData(name)
        self.engine.blockSignals(True)
        self.engine.setCurrentIndex(max(0, i))
        self.engine.blockSignals(False)
        self._engine_text()

    def set_engine_states(self, states: dict[str, str]) -> None:
        self.states = dict(states)
        for i in range(self.engine.count()):
            name = self.engine.itemData(i)
            state = states.get(name, "unknown")
            self.engine.setItemText(i, LABELS.get(name, name) + ("" if state == "ok" else "  ⚠"))
            self.engine.setItemData(i, describe(name, state), Qt.ItemDataRole.ToolTipRole)
        self._engine_text()

    def _engine_text(self) -> None:
        name = self.engine.currentData()
        state = self.states.get(name)
        if state is None:
            self.engine_state.setText("checking engines…")
        elif state == "ok":
            self.engine_state.setText(f"Engine: {LABELS.get(name, name)} — ready.")
        else:
            self.engine_state.setText(f"Engine: {LABELS.get(name, name)} — unavailable: {state}. "
                                      f"Shots still get geometric tags.")

    # -- rows ------------------------------------------------------------------------------------
    def rebuild(self) -> None:
        self.table.setRowCount(len(self.queue.items))
        for row in range(len(self.queue.items)):
            self.update_row(row)
        self._buttons()

    def update_row(self, row: int) -> None:
        if row >= self.table.rowCount():
            self.table.setRowCount(len(self.queue.items))
        item = self.queue.items[row]
        name = QTableWidgetItem(item.name)
        name.setToolTip(item.path)
        self.table.setItem(row, 0, name)
        status = QTableWidgetItem(item.status)
        status.setForeground(QColor(_STATUS_COLOR.get(item.status, "#d8dee9")))
        self.table.setItem(row, 1, status)
        bar = self.table.cellWidget(row, 2)
        if not isinstance(bar, QProgressBar):
            bar = QProgressBar(self.table)
            bar.setRange(0, 1000)
            self.table.setCellWidget(row, 2, bar)
        bar.setValue(int(1000 * self.queue.fractions.get(row, 0.0)))
        bar.setFormat(f"{100 * self.queue.fractions.get(row, 0.0):.0f} %")
        self.table.setItem(row, 3, QTableWidgetItem(item.message))
        self._buttons()

    def _buttons(self) -> None:
        self.cancel.setEnabled(self.queue.busy)
        self.resume.setEnabled(any(i.status in ("cancelled", "failed") for i in self.queue.items))

    # -- drag and drop ---------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.queue.add_paths(paths)
            event.acceptProposedAction()
