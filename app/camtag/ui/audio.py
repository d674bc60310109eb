"""Sound during 1× forward playback, through QtMultimedia when it is installed.

QtMultimedia ships in PySide6-Addons, not in PySide6-Essentials (camtag's default Qt, a third of
the size): ``pip install 'camtag[audio]'`` adds it. Without it (or without an audio stream or
device) the player plays silently and :attr:`AudioOut.status` says why from the moment a clip
opens, so the clip info never promises sound it cannot play. Pictures never depend on this: the
frame server shows the exact frames; audio follows the player's position.
"""

from __future__ import annotations

import importlib.util
from fractions import Fraction

from PySide6.QtCore import QObject, QUrl


NO_MULTIMEDIA = "silent: no QtMultimedia (pip install 'camtag[audio]')"


def multimedia_available() -> bool:
    """Whether QtMultimedia can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec("PySide6.QtMultimedia") is not None
    except (ImportError, ValueError):
        return False


class AudioOut(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player = None
        self._output = None
        self._path = ""
        self.status = "no audio"

    def open(self, path: str, has_audio: bool) -> None:
        self._path = path if has_audio else ""
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
        if not has_audio:
            self.status = "no audio stream"
            return
        if not multimedia_available():
            self.status = NO_MULTIMEDIA
            return
        self.status = "audio ready (loads on first play)"

    def _ensure(self) -> bool:
        if self._player is not None:
            return True
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
        except ImportError:
            self.status = NO_MULTIMEDIA
            return False
        if not QMediaDevices.audioOutputs():
            self.status = "silent: no audio output device"
            return False
        self._player = QMediaPlayer(self)
        self._output = QAudioOutput(self)
        self._player.setAudioOutput(self._output)
        self.status = "audio on"
        return True

    def play(self, frame: int, rate: Fraction) -> None:
        if not self._path or not self._ensure():
            return
        if self._player.source().toLocalFile() != self._path:
            self._player.setSource(QUrl.fromLocalFile(self._path))
        self._player.setPosition(int(frame * 1000 / rate))
        self._player.play()

    def pause(self) -> None:
        if self._player is not None:
            self._player.pause()

    def close(self) -> None:
        if self._player is not None:
            self._player.stop()
