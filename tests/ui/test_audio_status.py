"""Sound on the default install (QtMultimedia from PySide6-Addons): the decoded samples start at
the video position the player asks for (first play while the media still loads, and a seek while
playing); without an output device the clip info says so in one line and the video plays on;
without QtMultimedia it says how to get it."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest

from camtag.ui import audio as audio_mod
from camtag.ui.audio import NO_DEVICE, NO_MULTIMEDIA, AudioOut

pytest.importorskip("PySide6.QtMultimedia", reason="sound needs PySide6-Addons (a default dependency)")

RATE, SAMPLE_RATE, SECONDS = 25, 48000, 5


def step_amplitude(t: np.ndarray) -> np.ndarray:
    """The tone's amplitude: a different level each second, so a buffer tells when it is from."""
    return 0.05 + 0.15 * np.floor(t)


@pytest.fixture(scope="module")
def tone_clip(tmp_path_factory) -> str:
    """A 5 s clip (25 fps video, 48 kHz mono AAC): a 440 Hz tone that gets louder each second."""
    import av

    path = str(tmp_path_factory.mktemp("audio") / "tone.mp4")
    with av.open(path, "w") as c:
        v = c.add_stream("mpeg4", rate=RATE)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("aac", rate=SAMPLE_RATE)
        a.layout = "mono"
        for i in range(RATE * SECONDS):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 2, np.uint8), format="rgb24")
            frame.pts = i
            for packet in v.encode(frame):
                c.mux(packet)
        t = np.arange(SAMPLE_RATE * SECONDS) / SAMPLE_RATE
        tone = (step_amplitude(t) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for k in range(0, len(tone), 1024):
            frame = av.AudioFrame.from_ndarray(tone[k:k + 1024].reshape(1, -1), format="flt",
                                               layout="mono")
            frame.sample_rate, frame.pts = SAMPLE_RATE, k
            for packet in a.encode(frame):
                c.mux(packet)
        for stream in (v, a):
            for packet in stream.encode():
                c.mux(packet)
    return path


def _buffers(qtbot, received: list, count: int) -> list[tuple[float, float]]:
    qtbot.waitUntil(lambda: len(received) >= count, timeout=15000)
    return received[:count]


def _tap(received: list):
    from PySide6.QtMultimedia import QAudioBufferOutput

    tap = QAudioBufferOutput()

    def got(buffer) -> None:
        data = np.frombuffer(bytes(buffer.constData()), np.float32) \
            if buffer.format().sampleFormat().name == "Float" else None
        rms = float(np.sqrt(np.mean(data ** 2))) if data is not None and data.size else -1.0
        received.append((buffer.startTime() / 1e6, rms))

    tap.audioBufferReceived.connect(got)
    return tap


def test_samples_start_at_the_video_position(qtbot, tone_clip, monkeypatch):
    monkeypatch.setattr(audio_mod, "output_devices", lambda: [])     # the same with or without
    received: list = []
    out = AudioOut(tap=_tap(received))
    out.open(tone_clip, has_audio=True)
    out.play(50, Fraction(RATE))                 # frame 50 = 2.0 s, asked while nothing is loaded
    first = _buffers(qtbot, received, 4)
    start, rms = first[0]
    assert abs(start - 2.0) < 0.05, first
    assert out.status == NO_DEVICE                 # decoded for the tap, no sound on this machine
    level = step_amplitude(np.array([2.0]))[0] / np.sqrt(2)
    assert rms == pytest.approx(level, rel=0.15)
    # a seek while playing: the sound follows to frame 95 (3.8 s), the level of second 3
    received.clear()
    out.play(95, Fraction(RATE))
    qtbot.waitUntil(lambda: any(abs(s - 3.8) < 0.05 for s, _ in received), timeout=15000)
    after = [(s, r) for s, r in received if s >= 3.8 - 0.05]
    assert after[0][0] == pytest.approx(3.8, abs=0.05)
    assert after[0][1] == pytest.approx(step_amplitude(np.array([3.0]))[0] / np.sqrt(2), rel=0.15)
    # the picture's clock ran ahead to frame 110 (4.4 s): the sound is put back in step, once
    received.clear()
    assert out.follow(110, Fraction(RATE))
    qtbot.waitUntil(lambda: any(abs(s - 4.4) < 0.05 for s, _ in received), timeout=15000)
    assert not out.follow(int(out.player.position() * RATE / 1000), Fraction(RATE))
    out.pause()
    out.close()


def test_no_device_says_so_in_one_line_and_video_plays_on(qtbot, tone_clip, monkeypatch):
    from camtag.media.probe import probe
    from camtag.ui.player import PlayerController
    from camtag.ui.player_widget import PlayerWidget
    from camtag.ui.shortcuts import ActionBinder
    from PySide6.QtWidgets import QMainWindow

    monkeypatch.setattr(audio_mod, "output_devices", lambda: [])
    window = QMainWindow()
    qtbot.addWidget(window)
    player = PlayerController(window)
    widget = PlayerWidget(player, ActionBinder(window, {}), "timecode", window)
    window.setCentralWidget(widget)
    window.show()
    info = probe(tone_clip)
    assert info.has_audio
    player.open(info)
    qtbot.waitUntil(lambda: player.shown_index == 0, timeout=10000)
    player.play(1.0)
    end = time.monotonic() + 10
    qtbot.waitUntil(lambda: player.shown_index >= 5 or time.monotonic() > end, timeout=12000)
    assert player.shown_index >= 5                   # pictures do not wait for sound
    assert player.audio.status == NO_DEVICE and "\n" not in NO_DEVICE
    assert NO_DEVICE in widget.info.text()
    player.pause()
    player.close()


def test_without_qtmultimedia_the_info_says_how_to_get_sound(qtbot, tone_clip, monkeypatch):
    monkeypatch.setattr(audio_mod, "multimedia_available", lambda: False)
    out = AudioOut()
    out.open(tone_clip, has_audio=True)
    assert out.status == NO_MULTIMEDIA and "PySide6-Addons" in out.status
    out.open(tone_clip, has_audio=False)
    assert out.status == "no audio stream"
    out.play(25, Fraction(RATE))                     # nothing to play: no error, still silent
    assert out.player is None
