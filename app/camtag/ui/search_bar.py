"""The search bar: an editor's words or the library's query language, checked as you type.

Editor words (``pan left``, ``pan``, ``dolly``, ``"push in"``) are translated to tag ids by
:func:`camtag.taxonomy.translate_query`; bare tags match from a stated confidence floor
(:data:`camtag.taxonomy.DEFAULT_MIN_CONFIDENCE`); the translation is shown beside the field, and
an unknown word gets a clickable "did you mean". The word at the cursor autocompletes from tag
ids, synonyms and field names. A valid query filters the browser shortly after typing stops (at
once on Enter); an invalid one underlines the offending characters in red and says what is
wrong. Keys typed here never trigger shortcuts (see :class:`camtag.ui.shortcuts.TypingGuard`).
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from camtag.library import QueryError
from camtag.taxonomy import DEFAULT_MIN_CONFIDENCE
from camtag.ui.resources import icon

EXAMPLES = "pan left and not handheld · push in · dolly_in>0.7 · tilt duration>2s · note:reshoot"
COMPLETE_ROLE = Qt.ItemDataRole.UserRole + 7
_WORD_STOP = " \t()\"'!-"


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

    def __init__(self, check: Callable[[str], None], parent: QWidget | None = None,
                 translate: Optional[Callable] = None, completions=()) -> None:
        super().__init__(parent)
        self.check = check
        self.translate = translate
        self.translated = ""
        self.field = QueryLineEdit(self)
        self.field.setPlaceholderText("Search shots: " + EXAMPLES)
        self.field.setToolTip(f"Tags and editor words match tags proposed at ≥ {DEFAULT_MIN_CONFIDENCE:g} "
                              f"confidence (confirmed and added tags always); write pan_left>0.2 "
                              f"for weaker ones. Quoted text searches notes and traces.")
        self.field.setClearButtonEnabled(True)
        self.field.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.error = QLabel("", self)
        self.error.setObjectName("searchError")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel("", self)
        self.hint.setObjectName("searchHint")
        self.hint.setStyleSheet("color: #8b95a5")
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.linkActivated.connect(self._accept_suggestion)
        self.hint.hide()
        self.save = QPushButton("Save as smart collection", self)
        self.save.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.save.setEnabled(False)
        self.save.clicked.connect(lambda: self.save_requested.emit(self.translated or self.text()))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._apply)
        self.field.textEdited.connect(lambda _t: (self._timer.start(), self._complete()))
        self.field.textChanged.connect(self._validate)
        self.field.returnPressed.connect(self._apply)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 3)
        layout.addWidget(self.error, 2)
        layout.addWidget(self.hint, 2)
        self.error.hide()
        layout.addWidget(self.save)
        self.valid = True
        self.applied = ""
        self.completer = QCompleter(self)
        model = QStandardItemModel(self.completer)
        for insert, shown in completions:
            item = QStandardItem(shown)
            item.setData(insert, COMPLETE_ROLE)
            model.appendRow(item)
        self.completer.setModel(model)
        self.completer.setCompletionRole(COMPLETE_ROLE)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setWidget(self.field)
        self.completer.activated[str].connect(self._insert_completion)

    def text(self) -> str:
        return self.field.text().strip()

    def set_query(self, query: str) -> None:
        self.field.setText(query)
        self._apply()

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    # -- autocomplete ----------------------------------------------------------------------------
    def _word_at_cursor(self) -> tuple[int, str]:
        text, end = self.field.text(), self.field.cursorPosition()
        start = end
        while start > 0 and text[start - 1] not in _WORD_STOP:
            start -= 1
        return start, text[start:end]

    def _complete(self) -> None:
        _start, word = self._word_at_cursor()
        popup = self.completer.popup()
        if len(word) < 2 or any(c in word for c in ":<>="):
            popup.hide()
            return
        self.completer.setCompletionPrefix(word)
        if self.completer.completionCount() == 0:
            popup.hide()
            return
        rect = self.field.cursorRect()
        rect.setWidth(max(280, popup.sizeHintForColumn(0) + 24))
        self.completer.complete(rect)

    def _insert_completion(self, word: str) -> None:
        start, old = self._word_at_cursor()
        text = self.field.text()
        self.field.setText(text[:start] + word + text[start + len(old):])
        self.field.setCursorPosition(start + len(word))
        self._timer.start()

    def _accept_suggestion(self, link: str) -> None:
        wrong, right = link.split("|", 1)
        text = self.field.text()
        self.field.setText(text.replace(wrong, right, 1))
        self._apply()

    # -- checking and applying -------------------------------------------------------------------
    def _show_translation(self, result) -> None:
        parts = list(result.notes)
        if result.query != self.text():
            parts.append(f"tags ≥ {DEFAULT_MIN_CONFIDENCE:g}")
        for wrong, right in result.suggestions:
            parts.append(f"did you mean <a href='{wrong}|{right}' style='color:#54a0ff'>{right}</a>?")
        self.hint.setText(" · ".join(parts))
        self.hint.setToolTip(f"searches: {result.query}")
        self.hint.setVisible(bool(parts))

    def _validate(self, _text: str = "") -> bool:
        query = self.text()
        self.translated = query
        self.hint.hide()
        try:
            if query:
                self.check(query)
                result = self.translate(query) if self.translate is not None else None
                if result is not None:
                    self.check(result.query)
                    self.translated = result.query
                    self._show_translation(result)
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
        if self._validate() and self.translated != self.applied:
            self.applied = self.translated
            self.query_changed.emit(self.applied)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Esc gives the keys back to the player
        if event.key() == Qt.Key.Key_Escape:
            self.field.clearFocus()
            return
        super().keyPressEvent(event)


def search_completions(taxonomy) -> list[tuple[str, str]]:
    """(word to insert, what the popup shows) for the search bar's autocomplete."""
    out = []
    if taxonomy is not None:
        for t in taxonomy.tags:
            out.append((t.id, f"{t.id}  —  {t.name}"))
        for phrase, ids in sorted(taxonomy.phrases().items()):
            if " " not in phrase and phrase not in ids:
                out.append((phrase, f"{phrase}  →  " + ", ".join(map(taxonomy.display_name, ids))))
    for field in ("duration>", "confidence>", "note:", "media:", "collection:", "state:", "source:"):
        out.append((field, field))
    return out
