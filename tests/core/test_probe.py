"""Media probe on the shared clips and on files made in the test (start timecode, DF)."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from camtag.media.errors import MediaError
from camtag.media.probe import probe


@pytest.mark.parametrize("clip, rate, frames, extra", [
    ("pyscenedetect_testvideo.mp4", Fraction(30000, 1001), 720, {}),
    ("pyscenedetect_issue-195-aspect-ratio.mp4", Fraction(25), 628, {"sar": Fraction(16, 11)}),
    ("pyscenedetect_issue-134-rotate.mp4", Fraction(24000, 1001), 240, {"rotation": -90}),
    ("pyscenedetect_goldeneye-vfr-drop3.mp4", Fraction(24000, 1001), 160, {"vfr": True}),
    ("pyscenedetect_issue-236-split-copy.mkv", Fraction(24000, 1001), 48, {"container": "matroska"}),
    ("pyscenedetect_counter.mp4", Fraction(10), 30, {"vfr": False}),
])
def test_probe_shared_clips(shots_dir, clip, rate, frames, extra):
    m = probe(str(shots_dir / clip))
    assert m.rate == rate and m.frames == frames
    for key, value in extra.items():
        assert getattr(m, key) == value, key
    assert m.vfr == extra.get("vfr", False)
    if m.vfr:
        assert any("variable frame rate" in w for w in m.warnings)


def _write(path, rate, n, timecode=None):
    out = av.open(str(path), "w")
    s = out.add_stream("libx264", rate=rate)
    s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
    if timecode:
        s.metadata["timecode"] = timecode
    for i in range(n):
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 9 % 255, np.uint8), format="bgr24")
        for p in s.encode(frame):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()


def test_start_timecode_drop_frame_from_tmcd(tmp_path):
    path = tmp_path / "df.mov"
    _write(path, Fraction(30000, 1001), 12, "01:00:00;00")
    m = probe(str(path))
    assert (m.start_timecode, m.drop_frame, m.start_frame) == ("01:00:00;00", True, 107892)
    assert m.timecode(0) == "01:00:00;00"
    assert m.frames == 12


def test_unreadable_files_raise_one_line_errors(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    for path, reason in ((empty, "empty"), (text, "not a media file"), (tmp_path / "nope.mov", "not found")):
        with pytest.raises(MediaError) as err:
            probe(str(path))
        assert reason in str(err.value) and "\n" not in str(err.value)


def test_a_pipe_is_refused_with_what_to_do(tmp_path):
    """A pipe (a stream piped into /dev/stdin, a FIFO) cannot be read twice; it once read as
    "file is empty (0 bytes)"."""
    import os

    fifo = tmp_path / "stream.mp4"
    os.mkfifo(fifo)
    with pytest.raises(MediaError, match="is a pipe or device, not a file.*save the stream to a file"):
        probe(str(fifo))


def test_an_av_open_without_metadata_errors_still_opens(tmp_path, monkeypatch):
    """PyAV 19 removed av.open(metadata_errors=) (tags are always UTF-8 with surrogateescape):
    every analysis stopped with an internal TypeError. The probe falls back to the plain call."""
    path = tmp_path / "clip.mov"
    _write(path, Fraction(25), 6, "00:00:10:00")
    real_open = av.open

    def open_19(file, *args, **kwargs):
        if "metadata_errors" in kwargs:
            raise TypeError("open() got an unexpected keyword argument 'metadata_errors'")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", open_19)
    m = probe(str(path))
    assert m.frames == 6 and m.start_timecode == "00:00:10:00"
