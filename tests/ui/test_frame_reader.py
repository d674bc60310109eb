"""The player's exact-frame reader on a clip trimmed by stream copy (no Qt needed).

Such a clip keeps, behind its edit list, the pictures from the keyframe before its in-point;
FFmpeg never hands them out. The reader counted them as frames and, skipping non-reference
pictures on the way to a target, skipped the clip's first picture itself: "frame 0 cannot be
decoded" (a B-picture first after the in-point)."""

from __future__ import annotations

import av
import numpy as np

from camtag.ui.frame_reader import FrameReader

W, H, N, HIDDEN = 96, 64, 40, 7


def _trimmed(tmp_path):
    src, dst = tmp_path / "src.mkv", tmp_path / "trimmed.mp4"
    with av.open(str(src), "w") as out:
        s = out.add_stream("mpeg4", rate=10)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"g": "10", "bf": "2", "qscale": "2"}
        for i in range(N):              # frame i: a white bar at x = 2 i, each frame known by it
            img = np.full((H, W, 3), 30, np.uint8)
            img[:, 2 * i:2 * i + 4] = 230
            for packet in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in s.encode(None):
            out.mux(packet)
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        s = inp.streams.video[0]
        so = out.add_stream_from_template(s)
        step = int(1 / (s.average_rate * s.time_base))
        for packet in inp.demux(s):
            if packet.size:
                packet.pts -= HIDDEN * step
                packet.dts -= HIDDEN * step
                packet.stream = so
                out.mux(packet)
    return dst


def test_trimmed_clip_frames_are_its_own_and_all_readable(tmp_path):
    path = _trimmed(tmp_path)
    with av.open(str(path)) as c:                   # the premise: pictures hidden behind the edit
        packets = [p for p in c.demux(c.streams.video[0]) if p.size]
        assert any(p.is_discard for p in packets)
    reader = FrameReader(str(path))
    try:
        assert reader.frames == N - HIDDEN
        for index in (0, 1, 5, 20, N - HIDDEN - 1, 3, 0):
            columns = reader.read(index).mean(axis=(0, 2))
            bar = int(np.argmax(np.convolve(columns, np.ones(4), "valid")))
            assert abs(bar - 2 * (index + HIDDEN)) <= 1, (index, bar)
    finally:
        reader.close()
