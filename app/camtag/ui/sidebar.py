"""The sidebar: the library's media files and its collections (smart = saved searches, live)."""

from __future__ import annotations

import json
import os
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from camtag.library import CollectionRecord, MediaRecord
from camtag.ui.resources import icon

KIND_ROLE = Qt.ItemDataRole.UserRole
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1


class Sidebar(QTreeWidget):
    """Emits ``scope_selected(kind, value)``: ("all", None), ("media", media id) or
    ("collection", name)."""

    scope_selected = Signal(str, object)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(10)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumWidth(170)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)    # A001C002_…_v3.mov, not A001C002_2…
        self.all_item = self._group("All shots", "all", None)
        self.media_group = self._group("Media", "", None)
        self.smart_group = self._group("Smart collections", "", None)
        self.manual_group = self._group("Collections", "", None)
        self.all_item.setIcon(0, icon("collection"))
        self.itemClicked.connect(self._clicked)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)

    def _group(self, text: str, kind: str, value) -> QTreeWidgetItem:
        item = QTreeWidgetItem([text])
        item.setData(0, KIND_ROLE, kind)
        item.setData(0, VALUE_ROLE, value)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        if not kind:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.addTopLevelItem(item)
        item.setExpanded(True)
        return item

    def set_media(self, media: list[MediaRecord], current_id: Optional[int] = None) -> None:
        self.media_group.takeChildren()
        for m in media:
            item = QTreeWidgetItem([m.name])
            item.setToolTip(0, m.path)
            item.setIcon(0, icon("media"))
            item.setData(0, KIND_ROLE, "media")
            item.setData(0, VALUE_ROLE, m.id)
            self.media_group.addChild(item)
            if not os.path.exists(m.path):
                self._mark_offline(item, True)
            if m.id == current_id:
                item.setSelected(True)

    def set_offline(self, media_id: int, offline: bool) -> None:
        for i in range(self.media_group.childCount()):
            child = self.media_group.child(i)
            if child.data(0, VALUE_ROLE) == media_id:
                self._mark_offline(child, offline)

    @staticmethod
    def _mark_offline(item: QTreeWidgetItem, offline: bool) -> None:
        name = item.text(0).removesuffix("  · offline")
        item.setText(0, name + ("  · offline" if offline else ""))
        item.setData(0, Qt.ItemDataRole.UserRole + 2, offline)
        path = item.toolTip(0).split("\n")[0]
        item.setToolTip(0, path + ("\nOffline: moved or not mounted; open it to relink" if offline else ""))

    def is_offline(self, media_id: int) -> bool:
        for i in range(self.media_group.childCount()):
            child = self.media_group.child(i)
            if child.data(0, VALUE_ROLE) == media_id:
                return bool(child.data(0, Qt.ItemDataRole.UserRole + 2))
        return False

    def set_collections(self, collections: list[CollectionRecord], counts: dict[str, int]) -> None:
        self.smart_group.takeChildren()
        self.manual_group.takeChildren()
        for c in collections:
            n = counts.get(c.name)
            item = QTreeWidgetItem([c.name + (f"  ({n})" if n is not None else "")])
            item.setToolTip(0, c.query or "manual collection")
            item.setIcon(0, icon("smart-collection" if c.kind == "smart" else "collection"))
            item.setData(0, KIND_ROLE, "collection")
            item.setData(0, VALUE_ROLE, c.name)
            (self.smart_group if c.kind == "smart" else self.manual_group).addChild(item)

    def select_media(self, media_id: int) -> None:
        for i in range(self.media_group.childCount()):
            child = self.media_group.child(i)
            if child.data(0, VALUE_ROLE) == media_id:
                self.setCurrentItem(child)

    @staticmethod
    def collection_query(name: str) -> str:
        return f"collection:{json.dumps(name)}"

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.scope_selected.emit(kind, item.data(0, VALUE_ROLE))

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None or item.data(0, KIND_ROLE) != "collection":
            return
        menu = QMenu(self)
        name = item.data(0, VALUE_ROLE)
        menu.addAction(f"Delete “{name}”", lambda: self.delete_requested.emit(name))
        menu.exec(self.viewport().mapToGlobal(pos))
