"""The selected shot's tags (confidence, source, editor state) and its reasoning traces.

Keyboard: C confirms and Delete rejects the highlighted tag, Alt+Up/Down move the highlight, T or Enter
opens the add field (type a tag id, Enter adds, Esc goes back), N edits the note. The panel only
asks; the main window runs the library's undoable operations and refreshes the panel.
"""

from __future__ import annotations

import html
from typing import Optional

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCompleter, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit,
                               QSplitter, QTextBrowser, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from camtag.library import ShotRecord
from camtag.model import MediaInfo

_STATE_MARK = {"confirmed": "✓ confirmed", "added": "+ added", "rejected": "✗ rejected",
               "proposed": "proposed"}


class ReasoningPanel(QWidget):
    confirm_requested = Signal(int, str)
    reject_requested = Signal(int, str)
    add_requested = Signal(int, str)
    note_requested = Signal(int, str)

    def __init__(self, tag_ids: list[str], color_of, parent: QWidget | None = None,
                 model=None) -> None:
        super().__init__(parent)
        self.color_of = color_of
        self.model = model                  # the shot model: display names and tag order
        self.record: Optional[ShotRecord] = None
        self.title = QLabel("No shot selected", self)
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.tags = QTreeWidget(self)
        self.tags.setHeaderLabels(["Tag", "Conf.", "Source", "State"])
        self.tags.setRootIsDecorated(False)
        self.tags.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tags.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        header = self.tags.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tags.setMinimumHeight(110)
        self.add_field = QLineEdit(self)
        self.add_field.setPlaceholderText("add tag (T): a name like “push in”, Enter")
        words = set(tag_ids)
        if model is not None and model.taxonomy is not None:
            words |= {t.name for t in model.taxonomy.tags}
            words |= {w for t in model.taxonomy.tags for w in t.synonyms}
        completer = QCompleter(QStringListModel(sorted(words, key=str.lower), self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.add_field.setCompleter(completer)
        self.add_field.returnPressed.connect(self._add)
        self.note_field = QLineEdit(self)
        self.note_field.setPlaceholderText("note (N): Enter saves")
        self.note_field.returnPressed.connect(self._note)
        self.trace = QTextBrowser(self)
        self.trace.setOpenLinks(False)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.title)
        top_layout.addWidget(self.tags, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_field)
        top_layout.addLayout(row)
        top_layout.addWidget(self.note_field)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.trace)
        split.setSizes([260, 300])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(split)
        self.setMinimumWidth(300)

    # -- showing ---------------------------------------------------------------------------------
    def show_shot(self, record: Optional[ShotRecord], media: Optional[MediaInfo]) -> None:
        previous = self.current_tag()
        same_shot = record is not None and self.record is not None and record.id == self.record.id
        self.record = record
        self.tags.clear()
        if record is None:
            self.title.setText("No shot selected")
            self.trace.setHtml("")
            self.note_field.clear()
            return
        shot = record.shot
        span = (f"{media.timecode(shot.start_frame)} – {media.timecode(shot.end_frame)}"
                if media else f"{shot.start_frame} – {shot.end_frame}")
        self.title.setText(f"Shot {shot.index + 1} · {span} · {shot.frames} frames")
        rank = self.model.tag_rank if self.model is not None else (lambda _t: 0)
        recs = sorted(record.tag_records,
                      key=lambda t: (t.state == "rejected", rank(t.tag), -t.confidence))
        seen = set()
        for t in recs:
            key = (t.tag, t.source, t.start_frame)
            if key in seen:
                continue
            seen.add(key)
            part = ""
            if t.start_frame is not None and t.end_frame is not None:   # where in the shot
                part = (f"  {media.timecode(t.start_frame)}–{media.timecode(t.end_frame)}" if media
                        else f"  +{t.start_frame - shot.start_frame}–{t.end_frame - shot.start_frame} f")
            name = self.model.name(t.tag) if self.model is not None else t.tag
            item = QTreeWidgetItem([name + ("  ◔" if part else ""), f"{t.confidence:.2f}", t.source,
                                    _STATE_MARK.get(t.state, t.state)])
            item.setData(0, Qt.ItemDataRole.UserRole, t.tag)
            item.setForeground(0, QBrush(QColor(self.color_of(t.tag))))
            where = f"\npart of the shot:{part}" if part else ""
            item.setToolTip(0, (f"{t.tag}: {t.reason}" if t.reason else t.tag) + where)
            if t.state == "rejected":
                font = QFont(self.tags.font())
                font.setStrikeOut(True)
                for col in range(4):
                    item.setFont(col, font)
                    item.setForeground(col, QBrush(QColor("#6b7280")))
            self.tags.addTopLevelItem(item)
        target = previous if same_shot else None
        self.select_tag(target) if target else self._highlight(0)
        if not self.note_field.hasFocus():
            self.note_field.setText(shot.note)
        self.trace.setHtml(self._trace_html(record))

    def _trace_html(self, record: ShotRecord) -> str:
        parts = []
        for tr in record.shot.traces:
            parts.append(f"<h4 style='margin:6px 0 2px 0;color:#54a0ff'>{html.escape(tr.source)}</h4>")
            for label, text in (("Observation", tr.observation), ("Think", tr.reasoning),
                                ("Answer", tr.answer)):
                if text:
                    parts.append(f"<p style='margin:2px 0'><b>{label}.</b> {html.escape(text)}</p>")
            for problem in tr.problems:
                parts.append(f"<p style='color:#f6b93b;margin:2px 0'>⚠ {html.escape(problem)}</p>")
        evidence = record.shot.evidence or {}
        reasoner = evidence.get("reasoner") or {}
        if reasoner.get("error"):
            parts.append(f"<p style='color:#ff8a80'>model: {html.escape(str(reasoner['error']))}</p>")
        geometry = evidence.get("geometry") or {}
        if geometry:
            rows = "".join(f"<tr><td style='color:#8b95a5;padding-right:8px'>{html.escape(k)}</td>"
                           f"<td>{html.escape(_fmt(v))}</td></tr>"
                           for k, v in geometry.items() if not isinstance(v, dict))
            parts.append("<h4 style='margin:8px 0 2px 0;color:#8b95a5'>Measurements behind the tags "
                         f"(engine detail)</h4><table style='font-size:8pt;color:#8b95a5'>{rows}</table>")
        return "".join(parts) or "<p style='color:#6b7280'>No reasoning trace for this shot.</p>"

    # -- tag highlight ---------------------------------------------------------------------------
    def current_tag(self) -> Optional[str]:
        item = self.tags.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select_tag(self, tag: str) -> None:
        for i in range(self.tags.topLevelItemCount()):
            if self.tags.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == tag:
                self._highlight(i)
                return
        self._highlight(0)

    def _highlight(self, row: int) -> None:
        n = self.tags.topLevelItemCount()
        if n:
            self.tags.setCurrentItem(self.tags.topLevelItem(max(0, min(row, n - 1))))

    def move_highlight(self, delta: int) -> None:
        item = self.tags.currentItem()
        row = self.tags.indexOfTopLevelItem(item) if item is not None else -1
        self._highlight(row + delta)

    # -- requests --------------------------------------------------------------------------------
    def confirm_current(self) -> None:
        tag = self.current_tag()
        if self.record is not None and tag:
            self.confirm_requested.emit(self.record.id, tag)

    def reject_current(self) -> None:
        tag = self.current_tag()
        if self.record is not None and tag:
            self.reject_requested.emit(self.record.id, tag)

    def start_add(self) -> None:
        if self.record is not None:
            self.add_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.add_field.selectAll()

    def start_note(self) -> None:
        if self.record is not None:
            self.note_field.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _add(self) -> None:
        tag = self.add_field.text().strip()
        if self.record is not None and tag:
            self.add_requested.emit(self.record.id, tag)
            self.add_field.clear()
        self.add_field.clearFocus()

    def _note(self) -> None:
        if self.record is not None and self.note_field.text().strip() != self.record.shot.note:
            self.note_requested.emit(self.record.id, self.note_field.text())
        self.note_field.clearFocus()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Esc leaves the text fields
        if event.key() == Qt.Key.Key_Escape:
            self.add_field.clearFocus()
            self.note_field.clearFocus()
            return
        super().keyPressEvent(event)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    return str(value)
