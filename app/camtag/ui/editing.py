"""Editor operations on the library (tags, notes, split/merge, undo, collections) for the main
window. Each is a typed op (camtag.ui.ops) run off the GUI thread, one at a time and in order;
the window refreshes once from the Changes it returns, and a problem is one status-bar line.
Tag names an editor types ("push in", "Dolly In") become taxonomy ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog

from camtag.library import Changes, Library
from camtag.ui import ops
from camtag.ui.split_posters import write_posters

if TYPE_CHECKING:
    from camtag.ui.main_window import MainWindow


class EditorOps(QObject):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.runner = ops.OpRunner(lambda: win.bridge.lib, self)
        self.runner.applied.connect(self._applied)
        self.runner.failed.connect(self._failed)

    def submit(self, op: ops.Op) -> None:
        self.runner.submit(op)

    # -- the one refresh per op ------------------------------------------------------------------
    def _applied(self, _op: ops.Op, changes: Optional[Changes]) -> None:
        win = self.win
        if not shiboken6.isValid(win) or changes is None:
            return
        rows = bool(changes.shots or changes.added_shots or changes.removed_shots
                    or changes.tags or changes.notes)
        if rows:
            win.scope.on_changes(changes)       # rows, timeline and panel, once
        if changes.collections:
            win.refresh_sidebar()
            if not rows and win.scope.kind == "collection" and win.scope.value in changes.collections:
                win.scope.reload()

    def _failed(self, _op: ops.Op, line: str) -> None:
        if shiboken6.isValid(self.win):
            self.win.notify("warning", line)

    # -- the editor's verbs ----------------------------------------------------------------------
    def confirm(self, shot_id: int, tag: str) -> None:
        self.submit(ops.confirm_tag([shot_id], tag))

    def reject(self, shot_id: int, tag: str) -> None:
        self.submit(ops.reject_tag([shot_id], tag))

    def edit_note(self, shot_id: int, text: str) -> None:
        self.submit(ops.edit_note(shot_id, text))

    def add_tag(self, shot_id: int, tag: str) -> None:
        named = self.win.taxonomy.resolve(tag) if self.win.taxonomy is not None else ()
        if len(named) == 1:                         # "push in", "Dolly In" -> dolly_in
            tag = named[0]
        tag = tag.strip().lower().replace(" ", "_").replace("-", "_")
        if self.win.taxonomy is not None and tag not in self.win.taxonomy:
            close = self.win.taxonomy.suggest(tag, 1) or list(named[:1])
            hint = f" (did you mean {self.win.taxonomy.display_name(close[0])}?)" if close else ""
            self.win.notify("info", f"“{tag}” is not in the taxonomy; it is added as a custom tag{hint}.")
        self.submit(ops.add_tag([shot_id], tag).success(lambda _c: self.win.panel.select_tag(tag)))

    def split_shot(self) -> None:
        rec = self.win.current_record()
        if rec is None or self.win.bridge.lib is None:
            return
        frame, s, info = self.win.player.position, rec.shot, self.win.media
        if not s.start_frame < frame < s.end_frame:
            self.submit(ops.split_shot(rec.id, frame))       # the library says why not
            return

        def posters(lib: Library) -> tuple:
            media = lib.find_media(rec.media_id)
            folder = lib.poster_dir(media) if media is not None else None
            return tuple(write_posters(folder, info, [(s.start_frame, frame), (frame, s.end_frame)]))
        self.submit(ops.split_shot(rec.id, frame, posters))

    def merge_shot(self) -> None:
        rec = self.win.current_record()
        if rec is not None:
            self.submit(ops.merge_shots(rec.id))

    def undo(self) -> None:
        self.submit(ops.undo().success(lambda c: self._said("Undid", c)))

    def redo(self) -> None:
        self.submit(ops.redo().success(lambda c: self._said("Redid", c)))

    def _said(self, verb: str, changes: Optional[Changes]) -> None:
        if changes is not None and shiboken6.isValid(self.win):
            self.win.status_label.setText(f"{verb}: {changes.label}")

    def undo_changed(self) -> None:
        lib = self.win.bridge.lib
        if lib is None:
            return
        for action_id, can, label in (("edit.undo", lib.can_undo, lib.undo_stack.undo_label),
                                      ("edit.redo", lib.can_redo, lib.undo_stack.redo_label)):
            action = self.win.binder[action_id]
            action.setEnabled(can)
            word = "Undo" if action_id == "edit.undo" else "Redo"
            action.setText(f"{word} {label}" if label else word)

    # -- collections -----------------------------------------------------------------------------
    def save_search(self, query: str) -> None:
        name, ok = QInputDialog.getText(self.win, "Save smart collection", "Name:", text=query[:40])
        if ok and name.strip():
            self.submit(ops.save_search(name.strip(), query))

    def delete_collection(self, name: str) -> None:
        self.submit(ops.delete_collection(name))
