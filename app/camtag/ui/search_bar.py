"""The search bar: the library's query language, checked as you type, errors shown at the spot.

A valid query filters the browser shortly after typing stops (and at once on Enter); an invalid
one underlines the offending characters in red and says what is wrong beside the field. Keys
typed here never trigger shortcuts (see :class:`camtag.ui.shortcuts.TypingGuard`).
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from camtag.library import QueryError
from camtag.ui.resources import icon

EXAMPLES = "pan_left and not handheld · dolly_in>0.7 · tilt_up duration>2s · note:reshoot · \"push in\""


class QueryLineEdit(QLineEdit):
    """A line edit that can underline a span of its text (the query error's position)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error_span: Optional[tuple[int, int]] = None

    def set_error_span(self, span: Optional[tuple[int, int]]) -> None:
        self.error_span = span
        self.setProperty("error", span is not None)
        self.style().unpolish(self)
        self.style().polish(self)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(event)
        if self.error_span is None:
            return
        start, length = self.error_span
        text_len = len(self.text())
        start = max(0, min(start, text_len))
        end = max(start + 1, min(start + length, text_len + 1))
        x0, x1 = self._x_at(start), self._x_at(min(end, text_len))
        if end > text_len:                          # past the end: mark where text is missing
            x1 = x0 + 8
        painter = QPainter(self)
        painter.setPen(QPen(QColor("#ff5c5c"), 2))
        y = self.height() - 5
        painter.drawLine(QPoint(int(x0), y), QPoint(int(max(x1, x0 + 6)), y))

    def _x_at(self, position: int) -> int:
        """Pixel x of a text position, measured from the cursor (no cursor moves, no repaint)."""
        text, cursor = self.text(), self.cursorPosition()
        fm = self.fontMetrics()
        x = self.cursorRect().center().x()
        if position >= cursor:
            return x + fm.horizontalAdvance(text[cursor:position])
        return x - fm.horizontalAdvance(text[position:cursor])


class SearchBar(QWidget):
    query_changed = Signal(str)          # a valid query ("" = show everything)
    save_requested = Signal(str)         # save the query as a smart collection

    def __init__(self, check: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.field = QueryLineEdit(self)
        self.field.setPlaceholderText("Search shots: " + EXAMPLES)
        self.field.setClearButtonEnabled(True)
        self.field.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.error = QLabel("", self)
        self.error.setObjectName("searchError")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save = QPushButton("Save as smart collection", self)
        self.save.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.save.setEnabled(False)
        self.save.clicked.connect(lambda: self.save_requested.emit(self.field.text().strip()))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._apply)
        self.field.textEdited.connect(lambda _t: self._timer.start())
        self.field.textChanged.connect(self._validate)
        self.field.returnPressed.connect(self._apply)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 3)
        layout.addWidget(self.error, 2)
        self.error.hide()
        layout.addWidget(self.save)
        self.valid = True
        self.applied = ""

    def text(self) -> str:
        return self.field.text().strip()

    def set_query(self, query: str) -> None:
        self.field.setText(query)
        self._apply()

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def _validate(self, _text: str = "") -> bool:
        query = self.text()
        try:
            if query:
                self.check(query)
        except QueryError as exc:
            offset = len(self.field.text()) - len(self.field.text().lstrip())
            self.field.set_error_span((exc.column + offset, exc.length))
            self.error.setText(f"✗ {exc.message} (column {exc.column + 1})")
            self.error.show()
            self.error.setToolTip(exc.describe())
            self.valid = False
        else:
            self.field.set_error_span(None)
            self.error.setText("")
            self.error.setToolTip("")
            self.error.hide()
            self.valid = True
        self.save.setEnabled(self.valid and bool(query))
        return self.valid

    def _apply(self) -> None:
        self._timer.stop()
        if self._validate() and self.text() != self.applied:
            self.applied = self.text()
            self.query_changed.emit(self.applied)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Esc gives the keys back to the player
        if event.key() == Qt.Key.Key_Escape:
            self.field.clearFocus()
            return
        super().keyPressEvent(event)
