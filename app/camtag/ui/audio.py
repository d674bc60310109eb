"""Sound during 1× forward playback, through QtMultimedia (PySide6-Addons, a default dependency).

The player's pictures never depend on this: the frame server shows the exact frames and audio
follows the player's position (each play or seek at 1× starts the sound at that frame's time,
once the media is loaded: a position set while it loads would be dropped and the sound would
start at 0). Without an audio stream, an output device (a CI machine, a server under Xvfb) or
QtMultimedia itself, the clip plays silently and :attr:`AudioOut.status` says why in one line,
from the moment the clip opens, so the clip info never promises sound it cannot play.

``tap``: an optional QAudioBufferOutput that receives every decoded buffer (with its start time),
with or without a device: the tests read it to check that the sound is in step with the video.
"""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from typing import Any, Optional

from PySide6.QtCore import QObject, QUrl

NO_MULTIMEDIA = "silent: QtMultimedia is missing (pip install 'PySide6-Addons>=6.8,<6.12')"
NO_DEVICE = "silent: no audio output device (video plays on)"
DRIFT_MS = 60          # sound further than this from the picture is put back in step (2–3 frames)


def multimedia_available() -> bool:
    """Whether QtMultimedia can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec("PySide6.QtMultimedia") is not None
    except (ImportError, ValueError):
        return False


def output_devices() -> list:
    """The audio outputs Qt sees (none on a machine without sound)."""
    from PySide6.QtMultimedia import QMediaDevices

    return list(QMediaDevices.audioOutputs())


class AudioOut(QObject):
    def __init__(self, parent: QObject | None = None, tap: Any = None) -> None:
        super().__init__(parent)
        self._player: Any = None
        self._output: Any = None
        self._tap = tap
        self._path = ""
        self._pending: Optional[int] = None      # ms to start at once the media is loaded
        self.status = "no audio"

    @property
    def player(self):
        """The QMediaPlayer once sound was asked for (None before, or when silent)."""
        return self._player

    def open(self, path: str, has_audio: bool) -> None:
        self._path = path if has_audio else ""
        self._pending = None
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
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError:
            self.status = NO_MULTIMEDIA
            return False
        device = bool(output_devices())
        if not device and self._tap is None:
            self.status = NO_DEVICE
            return False
        self._player = QMediaPlayer(self)
        if device:
            self._output = QAudioOutput(self)
            self._player.setAudioOutput(self._output)
        if self._tap is not None:
            self._player.setAudioBufferOutput(self._tap)
        self._player.mediaStatusChanged.connect(self._status_changed)
        self._player.errorOccurred.connect(self._failed)
        self.status = "audio on" if device else NO_DEVICE
        return True

    def play(self, frame: int, rate: Fraction) -> None:
        if not self._path or not self._ensure():
            return
        ms = int(frame * 1000 / rate)
        if self._player.source().toLocalFile() != self._path:
            self._pending = ms
            self._player.setSource(QUrl.fromLocalFile(self._path))
            return                                  # starts in _status_changed, once loaded
        if self._pending is not None:               # still loading: start there instead
            self._pending = ms
            return
        self._player.setPosition(ms)
        self._player.play()

    def follow(self, frame: int, rate: Fraction) -> bool:
        """Put the sound back on ``frame`` when it drifted (the picture runs on its own clock,
        the sound on the device's); True when it had to."""
        from PySide6.QtMultimedia import QMediaPlayer

        p = self._player
        if p is None or self._pending is not None or \
                p.playbackState() != QMediaPlayer.PlaybackState.PlayingState:
            return False
        ms = int(frame * 1000 / rate)
        if abs(p.position() - ms) <= DRIFT_MS:
            return False
        p.setPosition(ms)
        return True

    def _status_changed(self, status) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if self._pending is None:
            return
        if status in (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia):
            ms, self._pending = self._pending, None
            self._player.setPosition(ms)
            self._player.play()
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._pending = None

    def _failed(self, _error, text: str) -> None:
        self._pending = None
        self.status = f"silent: {text.splitlines()[0] if text else 'the sound could not be decoded'}"

    def pause(self) -> None:
        self._pending = None
        if self._player is not None:
            self._player.pause()

    def close(self) -> None:
        self._pending = None
        if self._player is not None:
            self._player.stop()
