"""A corpus of bad, odd and broken media files, generated with PyAV and numpy.

``build_corpus(folder)`` writes every kind and returns ``{kind: path}``. Clips are tiny
(mostly 64x48, 10 fps, ~3 s) so the whole corpus builds in a few seconds. Kinds that need a
writer running alongside the reader (a file that grows while it is analysed) are returned by
:func:`growing_file`, which gives back the path and a started writer thread.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

W, H, N, RATE = 64, 48, 30, Fraction(10)


def frames(n=N, w=W, h=H, cut_at: int | None = 15):
    """Moving diagonal stripes with a hard cut (a colour change) at ``cut_at``."""
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(n):
        shot = 0 if cut_at is None or i < cut_at else 1
        stripes = (((xx + yy + 3 * i) // 6) % 2).astype(np.uint8)
        img = np.empty((h, w, 3), np.uint8)
        base = (40, 160, 220) if shot == 0 else (200, 60, 30)
        for c in range(3):
            img[..., c] = base[c] // 2 + stripes * (base[c] // 2)
        yield img


def encode(path, *, codec="libx264", fmt=None, pix_fmt="yuv420p", n=N, w=W, h=H, rate=RATE,
           options=None, container_options=None, pts=None, time_base=None, audio=False,
           second_video=False, metadata=None, stream_metadata=None):
    """Write a clip; ``pts`` (in ``time_base`` units) gives explicit timestamps (VFR)."""
    out = av.open(str(path), "w", format=fmt, options=container_options or {})
    if metadata:
        out.metadata.update(metadata)
    s = out.add_stream(codec, rate=rate)
    s.width, s.height, s.pix_fmt = w, h, pix_fmt
    if time_base is not None:
        s.time_base = time_base
        s.codec_context.time_base = time_base
    if options:
        s.options = dict(options)
    if stream_metadata:
        s.metadata.update(stream_metadata)
    s2 = None
    if second_video:
        s2 = out.add_stream("mpeg4", rate=rate)
        s2.width, s2.height, s2.pix_fmt = w // 2 * 2, h // 2 * 2, "yuv420p"
    a = None
    if audio:
        a = out.add_stream("aac", rate=8000)
        a.layout = "mono"
    for i, img in enumerate(frames(n, w, h)):
        vf = av.VideoFrame.from_ndarray(img, format="bgr24")
        if pts is not None:
            vf.pts = pts[i]
            vf.time_base = time_base
        for p in s.encode(vf.reformat(format=pix_fmt) if pix_fmt != "bgr24" else vf):
            out.mux(p)
        if s2 is not None:
            vf2 = av.VideoFrame.from_ndarray(img[: s2.height, : s2.width], format="bgr24")
            for p in s2.encode(vf2.reformat(format="yuv420p")):
                out.mux(p)
    for st in (s, s2):
        if st is not None:
            for p in st.encode():
                out.mux(p)
    if a is not None:
        _add_audio(out, a, seconds=float(n / rate))
    out.close()
    return Path(path)


def _add_audio(out, stream, seconds: float):
    samples = int(8000 * seconds)
    t = np.arange(samples) / 8000
    wave = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for start in range(0, samples, 1024):
        chunk = wave[start:start + 1024]
        fr = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
        fr.sample_rate = 8000
        fr.pts = start
        for p in stream.encode(fr):
            out.mux(p)
    for p in stream.encode():
        out.mux(p)


def audio_only(path):
    out = av.open(str(path), "w")
    a = out.add_stream("aac", rate=8000)
    a.layout = "mono"
    _add_audio(out, a, 2.0)
    out.close()
    return Path(path)


def truncate(src, dst, fraction: float | None = None, size: int | None = None):
    data = Path(src).read_bytes()
    keep = size if size is not None else int(len(data) * fraction)
    Path(dst).write_bytes(data[:keep])
    return Path(dst)


def bitflip(src, dst, start: float, end: float, flips: int, seed: int):
    data = bytearray(Path(src).read_bytes())
    rng = np.random.default_rng(seed)
    lo, hi = int(len(data) * start), max(int(len(data) * start) + 1, int(len(data) * end))
    for pos in rng.integers(lo, hi, flips):
        data[pos] ^= 1 << int(rng.integers(0, 8))
    Path(dst).write_bytes(bytes(data))
    return Path(dst)


def _atom_offset(data: bytes, name: bytes) -> int:
    pos = data.find(name)
    if pos < 4:
        raise ValueError(f"no {name!r} atom")
    return pos - 4


def rotate_mp4(src, dst, degrees: int = 90):
    """Patch the tkhd display matrix of an MP4 (what phones write for portrait video)."""
    data = bytearray(Path(src).read_bytes())
    pos = data.find(b"tkhd") + 4
    version = data[pos]
    matrix_at = pos + 4 + (32 if version == 1 else 20) + 8 + 8
    one, minus, w = 0x00010000, 0xFFFF0000, 0x40000000
    if degrees == 90:
        m = (0, one, 0, minus, 0, 0, 0, 0, w)
    else:
        m = (minus, 0, 0, 0, minus, 0, 0, 0, w)
    data[matrix_at:matrix_at + 36] = struct.pack(">9I", *m)
    Path(dst).write_bytes(bytes(data))
    return Path(dst)


def _x264(**extra):
    return {"preset": "ultrafast", **extra}


def build_corpus(folder) -> dict[str, Path]:
    """Write every kind into ``folder``; returns ``{kind: path}``."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    c: dict[str, Path] = {}
    good = c["good_mp4_moov_at_end"] = encode(d / "good.mp4", options=_x264())
    c["faststart_mp4"] = encode(d / "faststart.mp4", options=_x264(),
                                container_options={"movflags": "faststart"})
    mkv = c["good_mkv"] = encode(d / "good.mkv", options=_x264())
    ts = c["mpegts"] = encode(d / "clip.ts", options=_x264(), fmt="mpegts")

    (d / "zero.mp4").write_bytes(b"")
    c["zero_bytes"] = d / "zero.mp4"
    (d / "text.mp4").write_text("this is a shopping list, not a video\n" * 20)
    c["text_renamed_mp4"] = d / "text.mp4"
    (d / "noise.mov").write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, np.uint8).tobytes())
    c["random_bytes_mov"] = d / "noise.mov"
    (d / "folder.mp4").mkdir()
    c["folder_named_mp4"] = d / "folder.mp4"
    c["missing_file"] = d / "does_not_exist.mp4"

    c["truncated_header_64b"] = truncate(good, d / "trunc_64b.mp4", size=64)
    for pct in (10, 50, 90, 99):
        c[f"truncated_moov_end_{pct}pct"] = truncate(good, d / f"trunc_{pct}.mp4", pct / 100)
    c["truncated_faststart_50pct"] = truncate(c["faststart_mp4"], d / "trunc_fs_50.mp4", 0.5)
    c["truncated_mkv_60pct"] = truncate(mkv, d / "trunc_60.mkv", 0.6)
    c["truncated_ts_40pct"] = truncate(ts, d / "trunc_40.ts", 0.4)
    data = Path(ts).read_bytes()
    cut = (len(data) // 2) // 188 * 188 + 57          # starts mid-packet, mid-GOP
    (d / "headless.ts").write_bytes(data[cut:])
    c["ts_head_cut_off"] = d / "headless.ts"
    gd = Path(good).read_bytes()
    c["moov_absent"] = truncate(good, d / "no_moov.mp4", size=_atom_offset(gd, b"moov"))

    c["bitflip_header"] = bitflip(good, d / "flip_head.mp4", 0.0, 0.05, 20, seed=2)
    c["bitflip_middle"] = bitflip(good, d / "flip_mid.mp4", 0.3, 0.7, 60, seed=3)
    c["bitflip_mkv_middle"] = bitflip(mkv, d / "flip_mid.mkv", 0.3, 0.7, 60, seed=4)
    c["bitflip_ts_everywhere"] = bitflip(ts, d / "flip.ts", 0.0, 1.0, 200, seed=5)
    fs = Path(c["faststart_mp4"]).read_bytes()
    moov = _atom_offset(fs, b"moov")
    c["bitflip_moov"] = bitflip(c["faststart_mp4"], d / "flip_moov.mp4",
                                (moov + 8) / len(fs), (moov + 400) / len(fs), 12, seed=6)

    c["audio_only_m4a_as_mp4"] = audio_only(d / "audio_only.mp4")
    c["video_plus_audio"] = encode(d / "av.mp4", options=_x264(), audio=True)
    c["single_frame"] = encode(d / "one.mp4", options=_x264(), n=1)
    c["two_frames"] = encode(d / "two.mp4", options=_x264(), n=2)
    tb = Fraction(1, 1000)
    steps = np.random.default_rng(7).choice([40, 100, 250], N)
    c["vfr_mkv"] = encode(d / "vfr.mkv", options=_x264(), pts=np.cumsum(steps) - steps[0],
                          time_base=tb)
    c["rotated_90"] = rotate_mp4(good, d / "rot90.mp4", 90)
    c["rotated_180"] = rotate_mp4(good, d / "rot180.mp4", 180)
    c["odd_size_33x17"] = encode(d / "odd.mkv", codec="ffv1", pix_fmt="yuv444p", w=33, h=17)
    c["odd_size_x264_444"] = encode(d / "odd444.mp4", pix_fmt="yuv444p", w=33, h=17,
                                    options=_x264())
    c["tiny_2x2"] = encode(d / "tiny.mkv", codec="ffv1", pix_fmt="yuv444p", w=2, h=2)
    c["wide_4096x64"] = encode(d / "wide.mp4", w=4096, h=64, n=12, options=_x264())
    c["tall_32x2048"] = encode(d / "tall.mp4", w=32, h=2048, n=8, options=_x264())
    avail = av.codecs_available
    if "libx265" in avail:
        c["hevc_10bit"] = encode(d / "hevc10.mp4", codec="libx265", pix_fmt="yuv420p10le",
                                 options={"preset": "ultrafast", "x265-params": "log-level=none"})
    if "prores_ks" in avail:
        c["prores_422_10bit"] = encode(d / "prores.mov", codec="prores_ks", pix_fmt="yuv422p10le")
    c["x264_10bit"] = encode(d / "x264_10.mkv", pix_fmt="yuv420p10le", options=_x264())
    c["interlaced_flags"] = encode(d / "interlaced.mp4",
                                   options=_x264(**{"flags": "+ildct+ilme",
                                                    "x264-params": "interlaced=1:tff=1"}))
    c["long_gop_no_keyframes"] = encode(d / "longgop.mp4", n=60, options=_x264(
        **{"g": "10000", "x264-params": "keyint=10000:min-keyint=10000:scenecut=0"}))
    c["second_video_stream"] = encode(d / "two_streams.mkv", options=_x264(), second_video=True)
    c["broken_timecode_tag"] = encode(d / "badtc.mkv", options=_x264(),
                                      metadata={"timecode": "99:99:99:99"},
                                      stream_metadata={"timecode": "99:99:99:99"})
    c["garbage_timecode_tag"] = encode(d / "garbagetc.mkv", options=_x264(),
                                       stream_metadata={"timecode": "not;a:time\x01code"})
    c["mpeg4_avi"] = encode(d / "mpeg4.avi", codec="mpeg4")
    c["mjpeg_avi"] = encode(d / "mjpeg.avi", codec="mjpeg", pix_fmt="yuvj420p")
    c["gif"] = encode(d / "anim.gif", codec="gif", pix_fmt="rgb8")
    c["png_in_mov"] = encode(d / "png.mov", codec="png", pix_fmt="rgb24")
    c["constant_black"] = _black(d / "black.mp4")
    return c


def _black(path):
    out = av.open(str(path), "w")
    s = out.add_stream("libx264", rate=RATE)
    s.width, s.height, s.pix_fmt, s.options = W, H, "yuv420p", _x264()
    for _ in range(20):
        vf = av.VideoFrame.from_ndarray(np.zeros((H, W, 3), np.uint8), format="bgr24")
        for p in s.encode(vf.reformat(format="yuv420p")):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()
    return Path(path)


def growing_file(folder, seconds: float = 2.0):
    """A MPEG-TS file that is still being written: returns (path, writer thread, started)."""
    d = Path(folder)
    src = encode(d / "grow_src.ts", options=_x264(), fmt="mpegts", n=60)
    data = src.read_bytes()
    dst = d / "growing.ts"
    first = len(data) // 5 // 188 * 188
    dst.write_bytes(data[:first])

    def writer():
        pos, step = first, max(188, (len(data) - first) // 20 // 188 * 188)
        with open(dst, "ab") as fh:
            while pos < len(data):
                time.sleep(seconds / 20)
                fh.write(data[pos:pos + step])
                fh.flush()
                pos += step

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    return dst, t


if __name__ == "__main__":
    import sys
    import tempfile

    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    t0 = time.monotonic()
    corpus = build_corpus(out)
    for k, p in corpus.items():
        print(f"{k:32s} {p} {os.path.getsize(p) if os.path.isfile(p) else '-'}")
    print(f"{len(corpus)} kinds in {time.monotonic() - t0:.1f} s")
