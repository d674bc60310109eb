"""Binds the action table to QActions on the main window, and keeps shortcuts away from typing.

:class:`TypingGuard` is an application event filter: while a text field has focus, every key
without Ctrl/Alt/Meta (letters, Space, arrows, Home/End, Return...) goes to the field instead of
triggering a shortcut, so typing "pan_left" in the search bar never starts playback.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QKeySequenceEdit, QLineEdit,
                               QPlainTextEdit, QTextEdit, QWidget)

from camtag.ui import actions as table

_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)


def is_text_entry(widget: QObject | None) -> bool:
    if isinstance(widget, (QLineEdit, QAbstractSpinBox, QKeySequenceEdit)):
        return True
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return not widget.isReadOnly()
    return False


class TypingGuard(QObject):
    """Accepts ShortcutOverride for plain keys in text fields (Qt then sends them as key presses)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.ShortcutOverride and is_text_entry(obj):
            if not (event.modifiers() & _COMMAND_MODIFIERS) or event.key() == Qt.Key.Key_Escape:
                event.accept()
        return False


class ActionBinder:
    """One QAction per action id, with the effective keys; handlers attach by id."""

    def __init__(self, window: QWidget, overrides: dict | None = None) -> None:
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.keys = table.effective_keys(overrides)
        for a in table.ACTIONS:
            action = QAction(a.text, window)
            action.setObjectName(a.id)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setAutoRepeat(a.group in ("Navigate",))
            window.addAction(action)
            self.actions[a.id] = action
        self.apply_keys(self.keys)

    def apply_keys(self, keys: dict[str, tuple[str, ...]]) -> None:
        self.keys = dict(keys)
        for action_id, action in self.actions.items():
            seqs = [QKeySequence(k) for k in self.keys.get(action_id, ())]
            action.setShortcuts([s for s in seqs if not s.isEmpty()])
            shown = ", ".join(self.keys.get(action_id, ()))
            base = table.BY_ID[action_id].text
            action.setToolTip(f"{base} ({shown})" if shown else base)

    def bind(self, action_id: str, handler: Callable[[], object]) -> QAction:
        action = self.actions[action_id]
        action.triggered.connect(lambda _checked=False: handler())
        return action

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]

    def trigger(self, action_id: str) -> None:
        self.actions[action_id].trigger()


class HoldTracker(QObject):
    """Knows whether the key of one action is held down (K for "hold K, tap J/L to step").

    The action fires on the press; this filter only watches for the release, which Qt always
    delivers as a plain key event."""

    def __init__(self, binder: ActionBinder, action_id: str, on_change: Callable[[bool], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.binder, self.action_id, self.on_change = binder, action_id, on_change
        binder[action_id].triggered.connect(lambda _c=False: self.on_change(True))

    def _matches(self, event) -> bool:
        if event.modifiers() & _COMMAND_MODIFIERS:
            return False
        pressed = QKeySequence(event.keyCombination()).toString(QKeySequence.SequenceFormat.PortableText)
        return any(pressed.lower() == k.lower() for k in self.binder.keys.get(self.action_id, ()))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.KeyRelease and not event.isAutoRepeat() and self._matches(event):
            self.on_change(False)
        return False
