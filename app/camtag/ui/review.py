"""Tag review on the browser's selection, a right-click menu, and a review mode.

C (confirm) and Delete/Backspace (reject) act on the highlighted tag of every selected shot that
carries it, as one undoable step. R replaces each selected shot's leading tag with its opposite
direction, Shift+R with its confusable twin (pan ↔ truck, tilt ↔ pedestal, zoom ↔ dolly).

Review mode (Ctrl+R) sorts the shots least certain first (the Confidence column, ascending) and
moves to the next shot after each verdict, so a shot costs one key. Verdicts are typed ops run
off the GUI thread (camtag.ui.ops), in the order given. The sort is frozen while
reviewing: a confirmed shot does not jump away from under the cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMenu

from camtag.library import ShotRecord
from camtag.ui import ops
from camtag.ui.shot_model import COL_CONFIDENCE, SHOT_ROLE

if TYPE_CHECKING:
    from camtag.ui.main_window import MainWindow


class ReviewController(QObject):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.active = False

    # -- what a verdict applies to ---------------------------------------------------------------
    def targets(self) -> list[ShotRecord]:
        """The selected shots (fresh from the model), else the shot at the playhead."""
        win = self.win
        chosen = win.browser.selected_records()
        current = win.current_record()
        if current is not None and all(r.id != current.id for r in chosen):
            chosen = [current]
        model = win.model
        fresh = [model.record(model.row_of(r.id)) for r in chosen if model.row_of(r.id) is not None]
        return fresh or ([current] if current is not None else [])

    def _tag(self) -> Optional[str]:
        tag = self.win.panel.current_tag()
        if tag is None:
            current = self.win.current_record()
            lead = self.win.model.lead_tag(current) if current is not None else None
            tag = lead.id if lead is not None else None
        return tag

    def confirm(self) -> None:
        self._verdict("confirm")

    def reject(self) -> None:
        self._verdict("reject")

    def _verdict(self, verb: str) -> None:
        tag = self._tag()
        recs = self.targets()
        if tag is None or not recs:
            return
        current = self.win.current_record()
        ids = [r.id for r in recs if any(t.id == tag for t in r.shot.tags)
               or (current is not None and r.id == current.id)]
        if ids:
            op = ops.confirm_tag(ids, tag) if verb == "confirm" else ops.reject_tag(ids, tag)
            self._submit(op, len(ids), verb, tag)

    def _submit(self, op: "ops.Op", count: int, verb: str, what: str) -> None:
        """Run the verdict off the GUI thread; review mode moves on at once (the next key
        applies to the next shot while this one is stored)."""
        self.win.ops.submit(op.success(lambda _c: self._said(count, verb, what)))
        if self.active and count == 1:
            self.step(1)

    def replace(self, kind: str = "opposite") -> None:
        """Reject each target's leading tag and add its opposite (or confusable twin)."""
        win, tax = self.win, self.win.taxonomy
        if tax is None:
            return
        pairs: dict[tuple[str, str], list[int]] = {}
        for rec in self.targets():
            lead = win.model.lead_tag(rec)
            if lead is None or lead.id not in tax:
                continue
            entry = tax.get(lead.id)
            other = entry.opposite if kind == "opposite" else entry.confusable
            if other:
                pairs.setdefault((lead.id, other), []).append(rec.id)
        if not pairs:
            win.notify("info", f"The shot's leading tag has no {kind} tag to swap to.")
            return
        done = sum(len(v) for v in pairs.values())
        self._submit(ops.replace_tags(pairs), done, "replace",
                     ", ".join(f"{tax.display_name(o)} → {tax.display_name(n)}" for o, n in pairs))

    def _said(self, count: int, verb: str, what: str) -> None:
        win = self.win
        if not shiboken6.isValid(win):
            return
        name = win.taxonomy.display_name(what) if win.taxonomy is not None else what
        win.status_label.setText(f"{verb.capitalize()}: {name} on {count} shot(s)")

    # -- review mode -----------------------------------------------------------------------------
    def start(self) -> None:
        """Least certain first: sort by the move's confidence, go to the first shot."""
        browser = self.win.browser
        browser.set_view("table")
        browser.table.sortByColumn(COL_CONFIDENCE, Qt.SortOrder.AscendingOrder)
        self.active = True
        browser.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._go_row(0)
        self.win.notify("info", "Review: C confirms, Delete rejects, R swaps to the opposite, "
                                "Shift+R to the confusable twin; each moves on. Esc ends.")

    def stop(self) -> None:
        if self.active:
            self.active = False
            self.win.status_label.setText("Review ended.")

    def step(self, delta: int) -> None:
        view = self.win.browser.table
        row = view.currentIndex().row() if view.currentIndex().isValid() else -1
        self._go_row(row + delta)

    def _go_row(self, row: int) -> None:
        proxy = self.win.browser.proxy
        if not 0 <= row < proxy.rowCount():
            if self.active and row >= proxy.rowCount():
                self.win.status_label.setText("Review: that was the last shot.")
            return
        rec = proxy.index(row, 0).data(SHOT_ROLE)
        self.win.go_to_shot(rec)
        self.win.browser.select_shot(rec.id)

    # -- right-click menu ------------------------------------------------------------------------
    def build_menu(self) -> QMenu:
        win, tax = self.win, self.win.taxonomy
        menu = QMenu(win)
        tag = self._tag()
        n = len(self.targets())
        label = (tax.display_name(tag) if tax is not None else tag) if tag else None
        suffix = f" on {n} shots" if n > 1 else ""
        if label:
            menu.addAction(f"Confirm “{label}”{suffix}", self.confirm)
            menu.addAction(f"Reject “{label}”{suffix}", self.reject)
        menu.addAction("Swap to the opposite direction", lambda: self.replace("opposite"))
        menu.addAction("Swap to the confusable twin", lambda: self.replace("confusable"))
        menu.addSeparator()
        self._collection_menu(menu)
        menu.addSeparator()
        menu.addAction("Add a tag…", win.panel.start_add)
        menu.addAction("Edit note…", win.panel.start_note)
        menu.addSeparator()
        menu.addAction("Review least certain first", self.start)
        return menu

    def _collection_menu(self, menu: QMenu) -> None:
        win, lib = self.win, self.win.bridge.lib
        if lib is None:
            return
        ids = [r.id for r in self.targets()]
        sub = menu.addMenu(f"Add {len(ids)} shot(s) to collection")
        for c in lib.collections():
            if c.kind == "manual":
                sub.addAction(c.name, lambda name=c.name: self.collect(name, ids))
        sub.addAction("New collection…", lambda: self.new_collection(ids))
        if win.scope.kind == "collection":
            name = str(win.scope.value)
            menu.addAction(f"Remove from “{name}”", lambda: self._uncollect(name, ids))

    def collect(self, name: str, ids: list[int]) -> None:
        win = self.win
        win.ops.submit(ops.add_to_collection(name, ids).success(
            lambda _c: shiboken6.isValid(win)
            and win.status_label.setText(f"Added {len(ids)} shot(s) to “{name}”.")))

    def _uncollect(self, name: str, ids: list[int]) -> None:
        self.win.ops.submit(ops.remove_from_collection(name, ids))

    def new_collection(self, ids: list[int]) -> None:
        from PySide6.QtWidgets import QInputDialog

        name, ok = QInputDialog.getText(self.win, "New collection", "Name:")
        if ok and name.strip():
            self.win.ops.submit(ops.create_collection(name.strip(), ids))

    def show_menu(self, pos) -> None:
        self.build_menu().exec(pos)
