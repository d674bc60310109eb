"""The library as the UI sees it: plain-Python library events re-emitted as Qt signals.

Library events fire on whatever thread made the change (an analysis worker, say); the Qt signals
here are delivered on the GUI thread (queued across threads), so widgets are only ever touched
there. When the configured library cannot be opened, a temporary one is used for the session and
the reason is kept in :attr:`problem` for a notification. Changes made by an editor op
(camtag.ui.ops) are not re-emitted: the op's returned Changes refresh the window, once.
"""

from __future__ import annotations

import os
import tempfile
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from camtag.library import Library, LibraryError, MediaRecord, open_library
from camtag.ui.ops import in_operation


class LibraryBridge(QObject):
    shots_changed = Signal(object)          # camtag.library.Changes
    media_changed = Signal(object)          # frozenset of media ids
    analysis_started = Signal(object)       # AnalysisRecord
    analysis_finished = Signal(object)      # AnalysisRecord
    collections_changed = Signal(object)    # frozenset of names
    undo_changed = Signal()
    changed_externally = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lib: Optional[Library] = None
        self.problem = ""
        self.temporary = False
        self._poll = QTimer(self)
        self._poll.setInterval(3000)
        self._poll.timeout.connect(self._poll_external)

    def open(self, url: str | None) -> Library:
        """Open ``url`` (None/"" = default); on failure fall back to a temporary library."""
        self.close()
        self.problem, self.temporary = "", False
        try:
            lib = open_library(url or None)
        except (LibraryError, OSError) as exc:
            folder = tempfile.mkdtemp(prefix="camtag-session-")
            self.problem = (f"The library {url or '(default)'} could not be opened: {exc}. "
                            f"This session uses a temporary library in {folder}; choose another "
                            f"location in Settings (Ctrl+,) to keep your work.")
            lib = open_library(os.path.join(folder, "library.sqlite"))
            self.temporary = True
        self.lib = lib
        ev = lib.events
        ev.shots_did_change.connect(self._shots_did_change)
        ev.media_did_change.connect(self.media_changed.emit)
        ev.analysis_did_start.connect(self.analysis_started.emit)
        ev.analysis_did_finish.connect(self.analysis_finished.emit)
        ev.collections_did_change.connect(self._collections_did_change)
        ev.undo_did_change.connect(self.undo_changed.emit)
        ev.library_did_change_externally.connect(self.changed_externally.emit)
        lib.poll_external_changes()
        self._poll.start()
        return lib

    # an editor op's own changes come back as its returned Changes (camtag.ui.ops): one refresh
    def _shots_did_change(self, changes) -> None:
        if not in_operation():
            self.shots_changed.emit(changes)

    def _collections_did_change(self, names) -> None:
        if not in_operation():
            self.collections_changed.emit(names)

    def _poll_external(self) -> None:
        if self.lib is not None:
            try:
                self.lib.poll_external_changes()
            except LibraryError:
                pass

    def close(self) -> None:
        self._poll.stop()
        if self.lib is not None:
            self.lib.close()
            self.lib = None

    # -- small conveniences -----------------------------------------------------------------------
    def media_for_path(self, path: str) -> Optional[MediaRecord]:
        return self.lib.find_media(os.path.abspath(path)) if self.lib else None
