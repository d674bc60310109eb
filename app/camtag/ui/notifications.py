"""Notifications: what happened and what to do, shown in a strip above the work area.

Never modal: errors stay until closed, warnings fade after a while. Information ("analysis
done", "settings saved") never takes a banner: the main window shows it in the status bar, so
routine events do not push the work area down. Every message is also kept in
:attr:`NotificationArea.history` and logged, so nothing is lost.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

log = logging.getLogger("camtag.ui")
_ICON = {"info": "ℹ", "warning": "⚠", "error": "✖"}
_LOG = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.WARNING}
MAX_SHOWN = 2


class Notice(QFrame):
    def __init__(self, level: str, text: str, parent: QWidget | None = None, action=None) -> None:
        super().__init__(parent)
        self.level, self.text = level, text
        self.setObjectName(f"notice_{level}")
        label = QLabel(f"{_ICON.get(level, '')}  {text}", self)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 5, 4, 5)
        layout.addWidget(label, 1)
        self.button = None
        if action is not None:                      # the way out, in place: ("Relink…", callback)
            self.button = QToolButton(self)
            self.button.setText(action[0])
            self.button.clicked.connect(lambda: (self.dismiss(), action[1]()))
            layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)

    def dismiss(self) -> None:
        self.hide()
        self.deleteLater()


class NotificationArea(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: list[tuple[float, str, str]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)

    def notify(self, level: str, text: str, timeout_ms: int | None = None, action=None):
        """A banner for warnings, errors and anything with an action; None for plain info."""
        level = level if level in _ICON else "info"
        self.history.append((time.time(), level, text))
        log.log(_LOG[level], "%s: %s", level, text)
        if level == "info" and action is None:
            return None
        notice = Notice(level, text, self, action)
        self._layout.addWidget(notice)
        shown = self.visible_notices()
        for old in shown[:-MAX_SHOWN]:
            old.dismiss()
        if timeout_ms is None:
            timeout_ms = 0 if level == "error" else (12000 if level == "warning" else 6000)
        if timeout_ms:
            QTimer.singleShot(timeout_ms, notice, notice.dismiss)
        return notice

    def visible_notices(self) -> list[Notice]:
        return [w for w in self.findChildren(Notice) if not w.isHidden()]

    def clear(self) -> None:
        for n in self.visible_notices():
            n.dismiss()
