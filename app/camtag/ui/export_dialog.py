"""Export dialog for every format in :mod:`camtag.export`'s registry.

The shots to export are the current media's, the browser's search results, or the selected
shots; the dialog asks the main window for them (``sources``: scope -> callable returning an
export source). Writing runs off the GUI thread; the result lists the files and any warnings,
and an :class:`~camtag.export.ExportError` is shown in the dialog in one line.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from camtag.export import ExportOptions, available_formats, export
from camtag.timebase import TimecodeError, timecode_to_frames
from camtag.ui.workers import run_in_thread

SCOPES = (("media", "All shots of the current clip"), ("results", "Shots shown in the browser"),
          ("selection", "Selected shots"))
REEL_CHOICES = (("file", "From the file name (A001C002…, short names, else name + hash)"),
                ("embedded", "Embedded reel / tape name (QuickTime, MXF), else from the file name"))


class ExportDialog(QDialog):
    exported = Signal(object)            # camtag.export.ExportResult

    def __init__(self, sources: dict[str, Callable[[], object]], default_dir: str,
                 default_stem: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export shots")
        self.sources = sources
        self.default_dir, self.default_stem = default_dir, default_stem
        self.formats = available_formats()
        self.format = QComboBox(self)
        for name, fmt in self.formats.items():
            self.format.addItem(f"{fmt.description}  (.{fmt.extension.lstrip('.')})", name)
        self.scope = QComboBox(self)
        for key, label in SCOPES:
            self.scope.addItem(label, key)
        self.reels = QComboBox(self)
        for key, label in REEL_CHOICES:
            self.reels.addItem(label, key)
        self.reels.setToolTip("Reel names in EDL, ALE, XML and OTIO exports (8 characters, A–Z 0–9). "
                              "Embedded: the reel/tape name the camera or ingest wrote into the file")
        self.record_start = QLineEdit(ExportOptions.record_start, self)
        self.record_start.setToolTip("Record (timeline) start timecode; ';' for drop frame")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("sequence name (default: from the media)")
        self.combined = QCheckBox("One sequence for all media", self)
        self.strict = QCheckBox("Refuse overlapping or out-of-range shots instead of trimming", self)
        self.locators = QCheckBox("Locators in CMX3600 EDLs (for Avid)", self)
        self.locators.setChecked(True)
        self.path = QLineEdit(self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.result = QLabel("", self)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Shots", self.scope)
        form.addRow("Reel names", self.reels)
        form.addRow("Record start", self.record_start)
        form.addRow("Name", self.name)
        form.addRow("", self.combined)
        form.addRow("", self.strict)
        form.addRow("", self.locators)
        form.addRow("File", path_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.reveal_button = self.buttons.addButton("Reveal in folder",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.reveal_button.hide()
        self.reveal_button.clicked.connect(self.reveal)
        self.rename_button = self.buttons.addButton("Use a new name",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.rename_button.hide()
        self.rename_button.clicked.connect(self.use_free_name)
        self._overwrite_ok = ""             # the path the editor agreed to overwrite
        self.written: list[str] = []
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ApplyRole)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.path.textChanged.connect(self._path_changed)
        self._format_changed()
        self.resize(620, 360)
        self._worker = None

    # -- fields ----------------------------------------------------------------------------------
    def select_format(self, name: str) -> None:
        self.format.setCurrentIndex(max(0, self.format.findData(name)))

    def select_reels(self, key: str) -> None:
        self.reels.setCurrentIndex(max(0, self.reels.findData(key)))

    def select_scope(self, key: str) -> None:
        self.scope.setCurrentIndex(max(0, self.scope.findData(key)))

    def _extension(self) -> str:
        fmt = self.formats[self.format.currentData()]
        return "." + fmt.extension.lstrip(".")

    def _format_changed(self) -> None:
        current = self.path.text().strip()
        if current:
            stem = os.path.splitext(current)[0]
        else:
            stem = os.path.join(self.default_dir, self.default_stem)
        self.path.setText(stem + self._extension())
        self.locators.setEnabled(self.format.currentData() == "edl")

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(),
                                              f"*{self._extension()}")
        if path:
            self.path.setText(path)

    def options(self) -> ExportOptions:
        tc = self.record_start.text().strip() or ExportOptions.record_start
        try:
            timecode_to_frames(tc, Fraction(30000, 1001))
        except TimecodeError as exc:
            raise ValueError(f"record start: {exc}") from None
        return ExportOptions(record_start=tc, combined=self.combined.isChecked(),
                             name=self.name.text().strip(), strict=self.strict.isChecked(),
                             locators=self.locators.isChecked(),
                             reel_source=self.reels.currentData() or "file")

    def _path_changed(self, _text: str = "") -> None:
        self._overwrite_ok = ""
        self.export_button.setText("Export")
        self.rename_button.hide()

    def use_free_name(self) -> None:
        """``name-2.edl``, ``name-3.edl``… the first that does not exist."""
        stem, ext = os.path.splitext(self.path.text().strip())
        stem = stem.rsplit("-", 1)[0] if stem.rsplit("-", 1)[-1].isdigit() else stem
        n = 2
        while os.path.exists(f"{stem}-{n}{ext}"):
            n += 1
        self.path.setText(f"{stem}-{n}{ext}")
        self.result.setText("")

    def reveal(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if self.written:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(self.written[0])))

    # -- export ----------------------------------------------------------------------------------
    def start_export(self) -> None:
        path = self.path.text().strip()
        if not path:
            self._show_error("choose a file to write")
            return
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            self._show_error(f"{folder} is not a writable folder; Browse… to pick another")
            return
        try:
            options = self.options()
            source = self.sources[self.scope.currentData()]()
        except Exception as exc:  # noqa: BLE001 - shown in the dialog, the app goes on
            self._show_error(str(exc))
            return
        if os.path.exists(path) and self._overwrite_ok != path:
            self._overwrite_ok = path       # never silently: say so, offer both ways out
            self.export_button.setText("Overwrite")
            self.rename_button.show()
            self._show_error(f"{os.path.basename(path)} already exists. Overwrite replaces it; "
                             f"Use a new name keeps it.", prefix="⚠")
            return
        fmt = self.format.currentData()
        self.export_button.setEnabled(False)
        self.result.setText("exporting…")
        self._worker = run_in_thread(lambda: export(source, fmt, path, options), self._done,
                                     self._failed)

    def _done(self, result) -> None:
        self.export_button.setEnabled(True)
        self.written = list(result.paths)
        self.reveal_button.setVisible(bool(self.written))
        self.rename_button.hide()
        self._overwrite_ok = ""
        self.export_button.setText("Export")
        lines = [f"✓ wrote {len(result.paths)} file(s), {result.events} events:"]
        lines += [f"   {p}" for p in result.paths]
        lines += [f"⚠ {w}" for w in result.warnings[:8]]
        self.result.setStyleSheet("color: #d8dee9")
        self.result.setText("\n".join(lines))
        self.exported.emit(result)

    def _failed(self, exc: Exception) -> None:
        self.export_button.setEnabled(True)
        self._show_error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)

    def _show_error(self, text: str, prefix: str = "✖ Not exported:") -> None:
        self.result.setStyleSheet("color: #ff8a80")
        self.result.setText(f"{prefix} {text}")
