"""Errors about media files, with one line that names the file and the reason."""

from __future__ import annotations


class MediaError(Exception):
    """A media file that cannot be analysed. ``str()`` is one line for the user."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
