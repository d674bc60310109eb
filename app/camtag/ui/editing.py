"""Editor operations on the library (tags, notes, split/merge, undo, collections) for the main
window: each runs the library's undoable command, reports a problem in one line and refreshes the
shot panel. Tag names an editor types ("push in", "Dolly In") become taxonomy ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog

from camtag.library import LibraryError
from camtag.ui.split_posters import write_posters

if TYPE_CHECKING:
    from camtag.ui.main_window import MainWindow


class EditorOps(QObject):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win

    def run(self, name: str, *args):
        lib = self.win.bridge.lib
        if lib is None:
            return None
        try:
            changes = getattr(lib, name)(*args)
        except LibraryError as exc:
            self.win.notify("warning", f"{exc}")
            return None
        self.refresh_panel()
        return changes

    def add_tag(self, shot_id: int, tag: str) -> None:
        named = self.win.taxonomy.resolve(tag) if self.win.taxonomy is not None else ()
        if len(named) == 1:                         # "push in", "Dolly In" -> dolly_in
            tag = named[0]
        tag = tag.strip().lower().replace(" ", "_").replace("-", "_")
        if self.win.taxonomy is not None and tag not in self.win.taxonomy:
            close = self.win.taxonomy.suggest(tag, 1) or list(named[:1])
            hint = f" (did you mean {self.win.taxonomy.display_name(close[0])}?)" if close else ""
            self.win.notify("info", f"“{tag}” is not in the taxonomy; it is added as a custom tag{hint}.")
        if self.run("add_tag", shot_id, tag) is not None:
            self.win.panel.select_tag(tag)

    def refresh_panel(self) -> None:
        rec = self.win.current_record()
        self.win.panel.show_shot(rec, self.win.media)

    def split_shot(self) -> None:
        rec = self.win.current_record()
        lib = self.win.bridge.lib
        if rec is None or lib is None:
            return
        frame, s = self.win.player.position, rec.shot
        if not s.start_frame < frame < s.end_frame:
            self.run("split_shot", rec.id, frame)       # the library says why not
            return
        media = lib.find_media(rec.media_id)
        folder = lib.poster_dir(media) if media is not None else None
        posters = write_posters(folder, self.win.media, [(s.start_frame, frame), (frame, s.end_frame)])
        self.run("split_shot", rec.id, frame, tuple(posters))

    def merge_shot(self) -> None:
        rec = self.win.current_record()
        if rec is not None:
            self.run("merge_shots", rec.id)

    def undo(self) -> None:
        changes = self.run("undo")
        if changes is not None:
            self.win.status_label.setText(f"Undid: {changes.label}")

    def redo(self) -> None:
        changes = self.run("redo")
        if changes is not None:
            self.win.status_label.setText(f"Redid: {changes.label}")

    def undo_changed(self) -> None:
        lib = self.win.bridge.lib
        for action_id, can, label in (("edit.undo", lib.can_undo, lib.undo_stack.undo_label),
                                      ("edit.redo", lib.can_redo, lib.undo_stack.redo_label)):
            action = self.win.binder[action_id]
            action.setEnabled(can)
            word = "Undo" if action_id == "edit.undo" else "Redo"
            action.setText(f"{word} {label}" if label else word)

    def save_search(self, query: str) -> None:
        name, ok = QInputDialog.getText(self.win, "Save smart collection", "Name:", text=query[:40])
        if ok and name.strip():
            try:
                self.win.bridge.lib.save_search(name.strip(), query)
            except Exception as exc:  # noqa: BLE001 - QueryError or LibraryError, both one line
                self.win.notify("warning", str(exc).splitlines()[0])

    def delete_collection(self, name: str) -> None:
        try:
            self.win.bridge.lib.delete_collection(name)
        except LibraryError as exc:
            self.win.notify("warning", str(exc))
