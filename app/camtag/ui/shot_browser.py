"""The shot browser: one model, shown as a sortable table or a grid of poster cards.

Clicking (or moving the selection with the keyboard) emits ``shot_selected(record)``; the main
window seeks the player there. ``select_shot(id)`` follows the playhead without re-emitting.
The sort is applied when the editor asks for it (a header click) and when rows arrive, never
because a row's data changed: confirming a tag does not move the row under the cursor.
A right click offers the review actions (``menu_requested``). In the grid, moving the mouse across
a poster scrubs through that shot (:mod:`camtag.ui.hover_scrub`).
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListView,
                               QStackedWidget, QTableView, QToolButton, QVBoxLayout, QWidget)

from camtag.library import ShotRecord
from camtag.ui.hover_scrub import HoverScrub
from camtag.ui.resources import icon
from camtag.ui.shot_delegates import ChipsDelegate, GridDelegate
from camtag.ui.shot_model import (COL_CLIP, COL_CONFIDENCE, COL_DURATION, COL_IN, COL_INDEX,
                                  COL_MOVEMENT, COL_NOTES, COL_OUT, COL_POSTER, COL_REEL, POSTER_SIZE,
                                  SHOT_ROLE, ShotFilterProxy, ShotTableModel)


class ShotBrowser(QWidget):
    shot_selected = Signal(object)          # ShotRecord
    menu_requested = Signal(QPoint)         # global position of a right click on a shot

    def __init__(self, model: ShotTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = ShotFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.proxy.setDynamicSortFilter(False)      # data edits never re-sort under the cursor
        self._following = False

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)     # A001…C002.mov
        self.table.setIconSize(POSTER_SIZE)
        self.table.setItemDelegateForColumn(COL_MOVEMENT, ChipsDelegate(self.table))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(POSTER_SIZE.height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        fm = self.table.fontMetrics()
        reel = max(76, fm.horizontalAdvance("MW00MW00") + 18)   # 8 wide characters, never elided
        for col, width in ((COL_INDEX, 44), (COL_CLIP, 150), (COL_REEL, reel),
                           (COL_POSTER, POSTER_SIZE.width() + 12), (COL_IN, 104), (COL_OUT, 104),
                           (COL_DURATION, 170), (COL_MOVEMENT, 330), (COL_CONFIDENCE, 100),
                           (COL_NOTES, 160)):
            self.table.setColumnWidth(col, width)
        self._user_sized = False            # once the editor drags a column, widths are theirs
        self._fitting = False
        header.sectionResized.connect(self._section_resized)

        self.grid = QListView(self)
        self.grid.setModel(self.proxy)
        self.grid.setModelColumn(COL_POSTER)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setSpacing(2)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid_delegate = GridDelegate(self.grid)
        self.grid.setItemDelegate(self.grid_delegate)
        self.scrub = HoverScrub(self.grid, model.media_lookup, self.proxy_row)   # frames across
        self.grid_delegate.scrub = self.scrub

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.grid)
        self.count = QLabel("", self)
        self.table_button = QToolButton(self)
        self.table_button.setIcon(icon("table"))
        self.table_button.setToolTip("Table (G switches)")
        self.grid_button = QToolButton(self)
        self.grid_button.setIcon(icon("grid"))
        self.grid_button.setToolTip("Grid of posters (G switches)")
        for b in (self.table_button, self.grid_button):
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table_button.clicked.connect(lambda: self.set_view("table"))
        self.grid_button.clicked.connect(lambda: self.set_view("grid"))

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.count)
        bar.addStretch(1)
        bar.addWidget(self.table_button)
        bar.addWidget(self.grid_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        for view in (self.table, self.grid):
            view.selectionModel().currentRowChanged.connect(self._current_changed)
            view.clicked.connect(self._clicked)
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(
                lambda pos, v=view: self.menu_requested.emit(v.viewport().mapToGlobal(pos)))
        for sig in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                    self.proxy.layoutChanged):
            sig.connect(self._update_count)
        model.modelReset.connect(self.resort)
        model.rowsInserted.connect(self.resort)
        self.set_view("table")

    # -- views -----------------------------------------------------------------------------------
    @property
    def view_name(self) -> str:
        return "grid" if self.stack.currentWidget() is self.grid else "table"

    def set_view(self, name: str) -> None:
        current = self.current_record()
        target = self.grid if name == "grid" else self.table
        self._following = True          # Qt may pick a current row as the view appears
        try:
            if current is not None:
                self.select_shot(current.id, target)
            self.stack.setCurrentWidget(target)
        finally:
            self._following = False
        self.table_button.setChecked(name != "grid")
        self.grid_button.setChecked(name == "grid")

    def toggle_view(self) -> None:
        self.set_view("table" if self.view_name == "grid" else "grid")

    def active_view(self) -> QAbstractItemView:
        return self.stack.currentWidget()

    def _update_count(self, *_args) -> None:
        shown, total = self.proxy.rowCount(), max(self.model.total, self.model.rowCount())
        noun = "shot" if total == 1 else "shots"
        self.count.setText(f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}")

    def _section_resized(self, column: int, *_args) -> None:
        if not self._fitting and column != COL_NOTES and self.table.isVisible():
            self._user_sized = True

    def fit_columns(self) -> None:
        """Spare width goes to the clip name and the movement chips (up to a point), not all to
        Notes: on a wide screen long clip names are read whole."""
        if self._user_sized:
            return
        header = self.table.horizontalHeader()
        spare = self.table.viewport().width() - sum(
            header.sectionSize(c) for c in range(header.count()) if c != COL_NOTES) - 160
        self._fitting = True
        try:
            for col, base, most in ((COL_CLIP, 150, 320), (COL_MOVEMENT, 330, 480)):
                width = max(base, min(most, header.sectionSize(col) + spare))
                spare -= width - header.sectionSize(col)
                self.table.setColumnWidth(col, width)
        finally:
            self._fitting = False

    def resizeEvent(self, event) -> None:  # noqa: N802 - small screens get compact rows
        super().resizeEvent(event)
        self.fit_columns()
        compact = self.height() < 340
        height = POSTER_SIZE.height() // 2 + 14 if compact else POSTER_SIZE.height() + 6
        if self.table.verticalHeader().defaultSectionSize() != height:
            self.table.verticalHeader().setDefaultSectionSize(height)
            self.table.setIconSize(POSTER_SIZE * (0.5 if compact else 1.0))

    def resort(self, *_args) -> None:
        """Apply the header's sort now (new rows arrived or the editor asked)."""
        header = self.table.horizontalHeader()
        self.proxy.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def reset_sort(self) -> None:
        """Back to clip-and-time order (a new clip or scope does not inherit the last sort)."""
        self.table.sortByColumn(COL_INDEX, Qt.SortOrder.AscendingOrder)

    # -- selection -------------------------------------------------------------------------------
    def current_record(self) -> Optional[ShotRecord]:
        index = self.active_view().currentIndex()
        return index.data(SHOT_ROLE) if index.isValid() else None

    def selected_records(self) -> list[ShotRecord]:
        view = self.active_view()
        rows = {i.row() for i in view.selectionModel().selectedIndexes()}
        recs = [self.proxy.index(r, 0).data(SHOT_ROLE) for r in sorted(rows)]
        return [r for r in recs if r is not None]

    def proxy_row(self, shot_id: int) -> Optional[int]:
        """The row showing ``shot_id`` (None when it is filtered out or gone)."""
        row = self.model.row_of(shot_id)
        if row is None:
            return None
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        return index.row() if index.isValid() else None

    def select_shot(self, shot_id: int, view: Optional[QAbstractItemView] = None) -> None:
        """Make ``shot_id`` current (if it is shown) without emitting ``shot_selected``."""
        row = self.model.row_of(shot_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return
        view = view or self.active_view()
        col = COL_POSTER if view is self.grid else 0
        index = self.proxy.index(index.row(), col)
        if view.currentIndex().row() == index.row():
            return
        was, self._following = self._following, True
        try:
            flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                     | QItemSelectionModel.SelectionFlag.Rows)
            view.selectionModel().setCurrentIndex(index, flags)
            view.scrollTo(index)
        finally:
            self._following = was

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # only the user moving through the visible view seeks (not Qt picking a current row
        # when a view is shown, nor the browser following the playhead)
        view = self.active_view()
        if self._following or not current.isValid() or not view.hasFocus() \
                or current.model() is not view.model() or view.selectionModel() is not self.sender():
            return
        rec = current.data(SHOT_ROLE)
        if rec is not None:
            self.shot_selected.emit(rec)

    def _clicked(self, index: QModelIndex) -> None:
        rec = index.data(SHOT_ROLE)
        if rec is not None:
            self.shot_selected.emit(rec)
