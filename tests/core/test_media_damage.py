"""Damaged, trimmed and joined files: frame numbers stay exact, and the analysis says where.

FFmpeg drops a picture whose data it cannot read at all and conceals errors in one it can
partly read (handing it out flagged corrupt). Counting the pictures that come out numbered
everything after a lost one a frame early (a cut at 20 read as 19, the last shot one frame
short); concealed pictures made cuts that are not in the footage without a word. The files are
remuxed with one packet's payload damaged; FFmpeg's own MPEG-4 part 2 codec makes the loss and
the concealment the same on every build.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from camtag.jobs import run_job
from camtag.pipeline import analyze_job

W, H, N, CUT, GOP = 160, 120, 40, 20, 10


def _clip(path: Path) -> Path:
    """Two panning noise shots, a hard cut at CUT, a keyframe every GOP frames."""
    rng = np.random.default_rng(7)
    scenes = []
    for tint in ((0.3, 0.6, 1.0), (1.0, 0.5, 0.2)):   # blotches and grain, blue then orange
        coarse = np.kron(rng.random((H // 8, (W + 2 * N) // 8)), np.ones((8, 8)))
        grey = 0.7 * coarse + 0.3 * rng.random(coarse.shape)
        scenes.append((255 * grey[..., None] * np.array(tint)).astype(np.uint8))
    out = av.open(str(path), "w")
    stream = out.add_stream("mpeg4", rate=10)
    stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
    stream.options = {"g": str(GOP), "bf": "0", "qscale": "3"}
    for i in range(N):
        scene = scenes[0 if i < CUT else 1]
        img = np.ascontiguousarray(scene[:, 2 * i:2 * i + W])
        for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return path


def _damaged(src: Path, dst: Path, index: int, how: str) -> Path:
    """A copy of ``src`` whose ``index``-th video packet is all zeros ("zeros": unreadable)
    or cut to its first half ("half": readable in part)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        s = inp.streams.video[0]
        so = out.add_stream_from_template(s)
        n = 0
        for packet in inp.demux(s):
            if not packet.size:
                continue
            if n == index:
                data = bytes(packet)
                new = av.Packet(bytes(len(data)) if how == "zeros" else data[: len(data) // 2])
                new.pts, new.dts, new.time_base = packet.pts, packet.dts, packet.time_base
                new.is_keyframe = packet.is_keyframe
                packet = new
            packet.stream = so
            out.mux(packet)
            n += 1
    return dst


def _analyse(path: Path):
    return run_job(analyze_job(str(path), detector="adaptive", settings={"motion": True, "posters": False}))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = _clip(tmp_path_factory.mktemp("damage") / "clean.mkv")
    analysis = _analyse(path)
    assert [(s.start_frame, s.end_frame) for s in analysis.shots] == [(0, CUT), (CUT, N)]
    assert not analysis.errors
    return path, analysis


def test_a_lost_picture_leaves_later_frame_numbers_exact(clean, tmp_path):
    src, good = clean
    bad = _damaged(src, tmp_path / "lost.mkv", 12, "zeros")
    with av.open(str(bad)) as c:                    # the premise: FFmpeg really drops one picture
        assert sum(1 for _ in _decodable(c)) == N - 1
    analysis = _analyse(bad)
    assert [(s.start_frame, s.end_frame) for s in analysis.shots] == [(0, CUT), (CUT, N)]
    assert [t.id for t in analysis.shots[1].tags] == [t.id for t in good.shots[1].tags]
    lost = [e for e in analysis.errors if "could not be decoded" in e]
    assert len(lost) == 1 and "(frame 12)" in lost[0], analysis.errors
    assert not any("begin" in e for e in analysis.errors), analysis.errors
    assert not any("container lists" in w for w in analysis.warnings), analysis.warnings
    # the stand-in's motion is unknown (not a stop), and so is the jump over it to frame 13
    pan = analysis.motion.arrays["pan"]
    assert np.isnan(pan[12]) and np.isnan(pan[13]) and np.isfinite(pan[[10, 11, 15, 16]]).all(), pan[9:17]


def test_concealed_pictures_are_named_and_a_cut_on_them_is_flagged(clean, tmp_path):
    src, good = clean
    inside = _analyse(_damaged(src, tmp_path / "inside.mkv", 25, "half"))
    assert [(s.start_frame, s.end_frame) for s in inside.shots] == [(0, CUT), (CUT, N)]
    concealed = [e for e in inside.errors if "concealed" in e]
    assert len(concealed) == 1 and "frame 25" in concealed[0], inside.errors
    assert not any("begin" in e for e in inside.errors), inside.errors

    at_cut = _analyse(_damaged(src, tmp_path / "at_cut.mkv", CUT, "half"))
    assert any("concealed" in e and f"frame {CUT}" in e for e in at_cut.errors), at_cut.errors
    assert "shot 2 begins on damaged pictures: the cut may not be in the footage" in at_cut.errors


def _decodable(container):
    stream = container.streams.video[0]
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            continue


@pytest.mark.parametrize("start", [0, 11])
def test_decoder_numbers_frames_by_timestamp_from_any_start(clean, tmp_path, start):
    """Whole runs and resumed or split runs (which seek) number the same pictures the same."""
    from camtag.media.decode import Decoder, FrameSpec
    from camtag.media.probe import open_for_analysis

    bad = _damaged(clean[0], tmp_path / "lost.mkv", 12, "zeros")
    opened = open_for_analysis(str(bad))
    decoder = Decoder(str(bad), FrameSpec(), start_frame=start, opened=opened)
    frames = list(decoder)
    assert [f.index for f in frames] == list(range(start, N))
    blue, orange = [], []
    for f in frames:
        b, _, r = f.small.reshape(-1, 3).mean(axis=0)
        (blue if b > r else orange).append(f.index)
    assert blue == list(range(start, CUT)) and orange == list(range(CUT, N))
    # the stand-in for the lost frame 12 is frame 11's picture, at frame 12's own time
    by_index = {f.index: f for f in frames}
    if start <= 11:
        assert np.array_equal(by_index[12].small, by_index[11].small)
        assert by_index[12].time == opened.info.time_base * int(opened.order[12])


def test_the_library_run_warns_the_editor_and_stores_exact_shots(clean, tmp_path):
    """The app's analysis queue shows a Notice of level "warning" (a banner, not the status bar)."""
    from camtag.jobs import drive
    from camtag.library import open_library
    from camtag.library.records import Notice
    from camtag.runs import AnalysisRequest, analyze_into_library

    bad = _damaged(clean[0], tmp_path / "lost.mkv", 12, "zeros")
    lib = open_library(str(tmp_path / "lib.sqlite"))
    try:
        run = drive(analyze_into_library(lib, str(bad), AnalysisRequest(detector="adaptive")))
        notices = [p.partial for p in run if isinstance(p.partial, Notice)]
        assert run.result.status == "done"
        warned = [n.text for n in notices if n.level == "warning"]
        assert len(warned) == 1 and "lost.mkv: decode problems: 1 picture could not be decoded" in warned[0] and "frame 12" in warned[0]
        assert [(s.start_frame, s.end_frame) for s in lib.shots(str(bad))] == [(0, CUT), (CUT, N)]
    finally:
        lib.close()


def test_a_recording_cut_off_before_its_index_is_named_as_such(tmp_path):
    from camtag.media.errors import MediaError
    from camtag.media.probe import open_for_analysis

    whole = tmp_path / "whole.mp4"                  # the MP4 muxer writes the index ('moov') last
    out = av.open(str(whole), "w")
    stream = out.add_stream("mpeg4", rate=10)
    stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
    for i in range(N):
        img = np.full((H, W, 3), 6 * i, np.uint8)
        for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    data = whole.read_bytes()
    assert data.rfind(b"moov") > data.find(b"mdat") > 0
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    other = tmp_path / "notes.mp4"
    other.write_bytes(b"not a video at all\n" * 100)
    with pytest.raises(MediaError, match="index \\(the 'moov' atom\\) is missing"):
        open_for_analysis(str(cut))
    with pytest.raises(MediaError, match="not a media file"):
        open_for_analysis(str(other))


def test_a_clip_trimmed_by_stream_copy_counts_only_its_own_frames(clean, tmp_path):
    """An MP4 cut at a frame between keyframes without re-encoding keeps the pictures from the
    keyframe before its in-point, flagged discard behind an edit list: they are not its frames
    (they were counted, and the analysis then warned that fewer frames decoded than listed; taken
    for lost pictures they would read as damage)."""
    from camtag.media.probe import open_for_analysis

    hidden = 7                                      # frames 0-6 of the source: before the in-point
    trimmed = tmp_path / "trimmed.mp4"
    with av.open(str(clean[0])) as inp, av.open(str(trimmed), "w") as out:
        s = inp.streams.video[0]
        so = out.add_stream_from_template(s)
        step = int(1 / (s.average_rate * s.time_base))
        for packet in inp.demux(s):
            if packet.size:
                packet.pts -= hidden * step         # the muxer writes an edit list from pts 0
                packet.dts -= hidden * step
                packet.stream = so
                out.mux(packet)
    with av.open(str(trimmed)) as c:                # the premise: FFmpeg flags them discard
        assert sum(p.is_discard for p in c.demux(c.streams.video[0]) if p.size) == hidden
    opened = open_for_analysis(str(trimmed))
    assert opened.info.frames == N - hidden
    opened.close()
    analysis = _analyse(trimmed)
    assert [(s.start_frame, s.end_frame) for s in analysis.shots] == [(0, CUT - hidden), (CUT - hidden, N - hidden)]
    assert not analysis.errors and not analysis.warnings, (analysis.errors, analysis.warnings)


def _ts_segment(path: Path, w: int, h: int, n: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    base = (255 * np.kron(rng.random((h // 8, w // 8 + n)), np.ones((8, 8)))).astype(np.uint8)
    out = av.open(str(path), "w", format="mpegts")
    stream = out.add_stream("mpeg4", rate=25)
    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
    stream.options = {"g": "10", "bf": "0"}
    for i in range(n):
        img = np.repeat(np.ascontiguousarray(base[:, 4 * i:4 * i + w])[..., None], 3, axis=2)
        for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return path.read_bytes()


def test_recordings_joined_end_to_end_are_analysed_frame_by_frame(tmp_path):
    """Transport streams copied one after the other (a camera's spanned clips, a recorder's
    segments): the timestamps start again, and here the picture size changes too. The rate once
    came out undeterminable (the file was refused) and a size change crashed the motion engine."""
    joined = tmp_path / "joined.ts"
    joined.write_bytes(_ts_segment(tmp_path / "a.ts", 320, 180, 30, 1)
                       + _ts_segment(tmp_path / "b.ts", 240, 180, 30, 2))
    analysis = _analyse(joined)
    assert analysis.media.frames == 60 and analysis.media.rate == 25
    assert analysis.shots[0].start_frame == 0 and analysis.shots[-1].end_frame == 60
    assert any("timestamps restart 1 time" in w for w in analysis.warnings), analysis.warnings
    assert not any("could not be decoded" in e for e in analysis.errors), analysis.errors


def test_cover_art_stored_as_the_first_video_stream_is_not_the_clip(tmp_path):
    """A still picture (cover art, a thumbnail) muxed as video stream 0 ahead of the footage: it
    was analysed as a one-frame clip."""
    path = tmp_path / "cover_first.mkv"
    rng = np.random.default_rng(3)
    out = av.open(str(path), "w")
    cover = out.add_stream("mjpeg", rate=1)
    cover.width, cover.height, cover.pix_fmt = W, H, "yuvj420p"
    video = out.add_stream("mpeg4", rate=10)
    video.width, video.height, video.pix_fmt = W, H, "yuv420p"
    base = (255 * np.kron(rng.random((H // 8, W // 8 + N)), np.ones((8, 8)))).astype(np.uint8)
    still = av.VideoFrame.from_ndarray(np.full((H, W, 3), 128, np.uint8), format="rgb24")
    for packet in list(cover.encode(still)) + list(cover.encode(None)):
        out.mux(packet)
    for i in range(N):
        img = np.repeat(np.ascontiguousarray(base[:, 8 * i // 4:8 * i // 4 + W])[..., None], 3, axis=2)
        for packet in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(packet)
    for packet in video.encode(None):
        out.mux(packet)
    out.close()
    with av.open(str(path)) as c:                   # the premise: the still comes first
        assert [s.codec_context.name for s in c.streams.video] == ["mjpeg", "mpeg4"]
    analysis = _analyse(path)
    assert analysis.media.codec == "mpeg4" and analysis.media.frames == N
    assert analysis.shots[-1].end_frame == N


def test_stand_ins_without_unreadable_data_are_not_called_damage():
    """Timestamps listing a picture a field (two a frame) make a stand-in of every other frame:
    numbered by the timestamps, but said as what it is, not as lost pictures."""
    from camtag.media.decode import Damage

    fields = Damage()
    for first in range(1, 40, 2):
        fields.lost(first, first + 1)
    assert fields.stamps_fields(unreadable=0, frames=40)
    assert [i.message.startswith("the timestamps list 40 pictures but 20 came out") for i in
            fields.issues(unreadable=0, frames=40)] == [True]
    damaged = Damage()
    damaged.lost(12, 13)
    assert not damaged.stamps_fields(unreadable=1, frames=40)
    assert "1 picture could not be decoded, at frame 12" in damaged.issues(unreadable=1, frames=40)[0].message


def test_a_quiet_cli_run_still_says_the_file_is_damaged(clean, tmp_path):
    import os
    import subprocess
    import sys

    bad = _damaged(clean[0], tmp_path / "lost.mkv", 12, "zeros")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "app")}
    proc = subprocess.run([sys.executable, "-m", "camtag", "analyze", str(bad), "-q", "--detector",
                           "adaptive", "-o", str(tmp_path / "a.json")], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("camtag: lost.mkv: decode problems: 1 picture could not be decoded"), proc.stderr
    assert "(frame 12)" in lines[0]


def test_a_song_with_cover_art_is_not_a_video(tmp_path):
    """Its only video stream is the cover (disposition attached_pic): refused as audio-only,
    where it was analysed as a one-frame clip."""
    from camtag.media.errors import MediaError
    from camtag.media.probe import open_for_analysis

    path = tmp_path / "song.m4a.mp4"
    out = av.open(str(path), "w")
    audio = out.add_stream("aac", rate=8000)
    audio.layout = "mono"
    cover = out.add_stream("mjpeg", rate=1)
    cover.width, cover.height, cover.pix_fmt = 64, 48, "yuvj420p"
    cover.disposition = av.stream.Disposition.attached_pic
    picture = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
    for packet in list(cover.encode(picture)) + list(cover.encode(None)):
        out.mux(packet)
    sound = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.float32), format="fltp", layout="mono")
    sound.sample_rate = 8000
    for packet in list(audio.encode(sound)) + list(audio.encode(None)):
        out.mux(packet)
    out.close()
    with av.open(str(path)) as c:                   # the premise: one video stream, the cover
        assert [int(s.disposition) & int(av.stream.Disposition.attached_pic) for s in c.streams.video] != [0]
    with pytest.raises(MediaError, match="has no video stream"):
        open_for_analysis(str(path))


def test_the_model_frame_cache_takes_no_stand_in(clean, tmp_path):
    """The reasoner's 1-fps frames come from real pictures: a stand-in (the picture before a lost
    one, again) would show the model a stop that is not in the footage."""
    from camtag.media.decode import Decoder
    from camtag.media.frames import FrameBudget, FrameCache
    from camtag.media.probe import open_for_analysis

    bad = _damaged(clean[0], tmp_path / "lost.mkv", 10, "zeros")     # frame 10: a 1-fps pick
    opened = open_for_analysis(str(bad))
    cache = FrameCache(opened.info, FrameBudget(fps=1))
    stand_ins = []
    for frame in Decoder(str(bad), cache.spec, opened=opened):
        if frame.stand_in:
            stand_ins.append(frame.index)
        cache.consume(frame)
    assert stand_ins == [10]
    # thumbnails come every 10th frame (1 fps at 10 fps): that second has no model frame in the
    # cache, and the sampler seeks for its shot if it holds too few (FrameCache's docstring)
    assert sorted(cache.frames) == [0, 20, 30]
