"""Media probe: container, codec, geometry, exact rate and frame count, start timecode, VFR.

The frame count comes from a demux-only pass over the video packets (no decoding), so it is
exact in decode order and cheap; the same pass gives the PTS deltas used to detect VFR.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from camtag import timebase
from camtag.media.errors import MediaError
from camtag.model import MediaInfo


MAX_PIXELS_ENV = "CAMTAG_MAX_PIXELS"
MAX_PIXELS = 8192 * 8192     # the decode budget: past it a picture is refused before decoding


def max_pixels() -> int:
    """Pixels one picture may have (``$CAMTAG_MAX_PIXELS``, default 8192×8192)."""
    try:
        value = int(os.environ.get(MAX_PIXELS_ENV, "") or MAX_PIXELS)
    except ValueError:
        return MAX_PIXELS
    return value if value > 0 else MAX_PIXELS


def frame_bytes(width: int, height: int, pix_fmt: str) -> int:
    """About how many bytes one decoded picture holds (any chroma layout; 2 bytes past 8 bits)."""
    depth = 2 if _bit_depth(pix_fmt) > 8 or pix_fmt.endswith(("le", "be")) else 1
    return 3 * depth * max(1, width) * max(1, height)


def check_budget(path: str, width: int, height: int) -> None:
    """Refuse a picture larger than the decode budget with one line, before it is decoded (a
    few hundred KB of 16000×16000 H.264 would need gigabytes of decoded pictures)."""
    limit = max_pixels()
    if width and height and width * height > limit:
        raise MediaError(path, f"picture {width}×{height} ({width * height / 1e6:.0f} Mpx) is past the "
                               f"decode budget of {limit / 1e6:.0f} Mpx (set {MAX_PIXELS_ENV} to raise it)")


def open_container(path: str, hwaccel=None):
    """Open a media file with PyAV, turning every failure into a one-line :class:`MediaError`.
    ``hwaccel``: PyAV hardware decode settings (see :mod:`camtag.media.hwaccel`)."""
    import av

    if not os.path.exists(path):
        raise MediaError(path, "file not found")
    if os.path.isdir(path):
        raise MediaError(path, "is a folder, not a media file")
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise MediaError(path, "is a pipe or device, not a file: the analysis reads the file more "
                               "than once (probe, decode, model frames); save the stream to a file first")
    if os.path.getsize(path) == 0:
        raise MediaError(path, "file is empty (0 bytes)")
    # max_pixels: FFmpeg's stream probing decodes a few frames; past the budget it declines them
    # (the parser still gives the size), so a huge picture is refused before it is ever decoded
    kwargs = {"options": {"max_pixels": str(max_pixels())}}
    if hwaccel is not None:
        kwargs["hwaccel"] = hwaccel
    try:
        try:
            container = av.open(path, metadata_errors="ignore", **kwargs)
        except TypeError:            # PyAV 19 reads tags as UTF-8 with surrogateescape itself
            container = av.open(path, **kwargs)
    except av.error.InvalidDataError:
        raise MediaError(path, _unreadable_reason(path)) from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(path, f"cannot open: {exc}") from None
    if video_stream(container) is None:
        container.close()
        raise MediaError(path, "has no video stream (audio-only or data file)")
    return container


def video_stream(container):
    """The file's picture stream: FFmpeg's best video stream that is not cover art (a cover
    picture or thumbnail can come first: read first, a clip analysed as one still frame).
    None when there is none."""
    import av

    cover = av.stream.Disposition.attached_pic
    videos = [s for s in container.streams.video if not (s.disposition & cover)]
    if not videos:
        return None
    try:
        best = container.streams.best("video")
    except (av.error.FFmpegError, ValueError):
        best = None
    return best if best is not None and best in videos else videos[0]


def _unreadable_reason(path: str) -> str:
    """Why FFmpeg found no media in ``path``: an MP4/MOV whose index never got written (a
    recording or copy cut off) is named as such, since tools exist that rebuild it."""
    atoms = _top_level_atoms(path)
    if atoms and atoms[0] in (b"ftyp", b"wide", b"mdat", b"free", b"skip") and b"moov" not in atoms:
        if b"mdat" in atoms:
            return ("incomplete MP4/MOV: its index (the 'moov' atom) is missing, as when a "
                    "recording or copy is cut off; a recovery tool can rebuild it from a good "
                    "clip of the same camera")
        return "incomplete MP4/MOV: it ends before any picture data"
    return "not a media file PyAV/FFmpeg can read (invalid data)"


def _top_level_atoms(path: str, limit: int = 4096) -> list[bytes]:
    """The types of an ISO media file's top-level boxes, read from their 8-byte headers ([]
    when it does not look like one). Reads at most ``limit`` headers."""
    names: list[bytes] = []
    try:
        size_total = os.path.getsize(path)
        with open(path, "rb") as f:
            pos = 0
            while pos + 8 <= size_total and len(names) < limit:
                f.seek(pos)
                head = f.read(16)
                size, kind = int.from_bytes(head[:4], "big"), head[4:8]
                if len(kind) < 4 or not all(32 <= c < 127 for c in kind):
                    break
                if size == 1 and len(head) == 16:
                    size = int.from_bytes(head[8:16], "big")
                elif size == 0:
                    size = size_total - pos
                names.append(kind)
                if size < 8:
                    break
                pos += size
    except OSError:
        return []
    return names


def _start_timecode(container, stream) -> str | None:
    candidates = [stream.metadata.get("timecode"), container.metadata.get("timecode")]
    for other in container.streams:
        candidates.append(other.metadata.get("timecode"))
    for tc in candidates:
        if tc:
            return tc.strip()
    return None


def _bit_depth(pix_fmt: str) -> int:
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pix_fmt:
            return depth
    return 8


def _nominal_rate(deltas: np.ndarray, time_base: Fraction, declared: list) -> Fraction | None:
    """The nominal rate: the typical PTS step, preferring a declared rate that agrees with it."""
    declared = [Fraction(r) for r in declared if r]
    if deltas.size == 0:
        return timebase.parse_rate(declared[0]) if declared else None
    common, _ = Counter(deltas.tolist()).most_common(1)[0]
    near = deltas[np.abs(deltas - common) <= max(1, common * 0.05)]
    if near.size == 0 or common <= 0:
        return None
    measured = 1 / (float(near.mean()) * float(time_base))
    for rate in declared:
        if abs(float(rate) - measured) <= measured * 0.01:
            return timebase.parse_rate(rate if rate.denominator in (1, 1001) else float(rate))
    return timebase.parse_rate(measured)


def packet_key(packet) -> tuple:
    """What identifies a packet across two reads of the same file."""
    return packet.pos, packet.dts, packet.pts, packet.size


def scan_packets(container, stream, first: list | None = None,
                 runs: list | None = None) -> tuple[np.ndarray, int, list[int]]:
    """Demux the video stream: sorted PTS (or DTS), packet count, indices of corrupt packets.
    ``first``, if given, receives the :func:`packet_key` of the first packet. Packets flagged
    discard are not frames of the file: a clip trimmed by stream copy keeps the pictures before
    its in-point, from the keyframe on, for the decoder's sake, and its edit list hides them.
    ``runs``, if given, receives the PTS of each stretch whose decode timestamps never go back
    (more than one: the timestamps restart, as in recordings joined end to end)."""
    pts: list[int] = []
    corrupt: list[int] = []
    count = 0
    last_dts = None
    # decode timestamps never go back in one recording; half a second back is a restart
    back = int(0.5 / stream.time_base) if stream.time_base else 0
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        if first is not None and not first:
            first.append(packet_key(packet))
        if packet.is_discard:
            continue
        stamp = packet.pts if packet.pts is not None else packet.dts
        if packet.is_corrupt:
            corrupt.append(count)
        count += 1
        if stamp is not None:
            pts.append(stamp)
            if runs is not None:
                dts = packet.dts
                if not runs or (dts is not None and last_dts is not None and dts < last_dts - back):
                    runs.append([])
                runs[-1].append(stamp)
                last_dts = dts if dts is not None else last_dts
    return np.sort(np.asarray(pts, dtype=np.int64)), count, corrupt


def seek_index(container, stream, path: str) -> tuple[list[int], list[int]]:
    """Sorted timestamps of every video packet and of the keyframes, for frame-exact seeking.
    Raises :class:`MediaError` when no packet carries a timestamp."""
    import av

    pts: list[int] = []
    keys: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            stamp = packet.pts if packet.pts is not None else packet.dts
            if stamp is None:
                continue
            if not packet.is_discard:       # (not a frame of the file: see scan_packets)
                pts.append(stamp)
            if packet.is_keyframe:          # a hidden keyframe still starts the decode
                keys.append(stamp)
    except av.error.FFmpegError as exc:
        if not pts:
            raise MediaError(path, f"cannot read packets: {exc}") from None
    if not pts:
        raise MediaError(path, "no video frames with timestamps")
    pts.sort()
    return pts, sorted(keys) or [pts[0]]


def probe(path: str) -> MediaInfo:
    """Describe a media file. Raises :class:`MediaError` with a one-line reason."""
    path = os.fspath(path)
    container = open_container(path)
    try:
        return _describe(container, path, read_rotation=True)[0]
    finally:
        container.close()


@dataclass
class OpenedMedia:
    """A probed file whose container stays open for the analysis decode pass (each open costs
    FFmpeg a few decoded frames). ``info.rotation`` is not read here: the decoder takes it from
    the first frame. ``container`` is rewound to the first packet, whose key is ``first``;
    ``order`` holds every frame's PTS in presentation order (for seeking to a frame)."""

    info: MediaInfo
    container: object
    first: tuple
    order: np.ndarray
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self):
        """The container, once (None after that); the taker closes it."""
        with self._lock:
            container, self.container = self.container, None
        return container

    def close(self) -> None:
        container = self.take()
        if container is not None:
            container.close()


def open_for_analysis(path: str) -> OpenedMedia:
    """:func:`probe` without the first-frame decode, keeping the container open and rewound."""
    import av

    path = os.fspath(path)
    container = open_container(path)
    first: list = []
    try:
        info, order = _describe(container, path, read_rotation=False, first=first)
    except BaseException:
        container.close()
        raise
    try:
        container.seek(first[0][1] if first[0][1] is not None else 0,
                       stream=video_stream(container), backward=True, any_frame=False)
    except av.error.FFmpegError:       # cannot rewind: the decoder opens the file afresh
        container.close()
        container = None
    return OpenedMedia(info, container, first[0], order)


def _describe(container, path: str, *, read_rotation: bool,
              first: list | None = None) -> tuple[MediaInfo, np.ndarray]:
    """The file's :class:`MediaInfo` and its frames' PTS in presentation order."""
    import av

    stream = video_stream(container)
    ctx = stream.codec_context
    time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1000)
    warnings: list[str] = []
    runs: list[list[int]] = []
    try:
        pts, count, corrupt = scan_packets(container, stream, first, runs)
    except av.error.FFmpegError as exc:
        raise MediaError(path, f"cannot read packets: {exc}") from None
    if count == 0:
        raise MediaError(path, "video stream holds no frames")
    if len(runs) > 1:
        # timestamps restart (recordings joined end to end): the rate comes from the steps
        # inside each stretch, and frames are numbered by counting (the timestamps repeat)
        per_run = [np.sort(np.asarray(r, np.int64)) for r in runs]
        deltas = np.concatenate([np.diff(r) for r in per_run])
        pts = np.concatenate(per_run)   # presentation order, stretch by stretch (not sorted)
        warnings.append(f"timestamps restart {len(runs) - 1} time{'s' if len(runs) > 2 else ''} "
                        "(recordings joined end to end?): frames are numbered in decode order; "
                        "the player may seek imprecisely")
    else:
        deltas = np.diff(pts) if pts.size > 1 else np.empty(0, np.int64)
    declared = [stream.guessed_rate, stream.average_rate, stream.base_rate]
    rate = _nominal_rate(deltas, time_base, declared)
    if rate is None:
        raise MediaError(path, "frame rate cannot be determined")
    vfr = False
    if deltas.size > 2:
        nominal = 1 / (rate * time_base)
        off = np.abs(deltas - float(nominal)) > max(1.0, float(nominal) * 0.02)
        vfr = bool(off.mean() > 0.01)
    if vfr:
        warnings.append(
            f"variable frame rate: {int(off.sum())} of {deltas.size} frame intervals differ from "
            f"{float(rate):.3f} fps; frame numbers are decode order, timecode uses a constant-rate mapping")
    if pts.size and len(runs) <= 1:
        last = deltas[-1] if deltas.size else int(1 / (rate * time_base))
        duration = Fraction(int(pts[-1] - pts[0] + last)) * time_base
    else:
        duration = Fraction(count) / rate
    if corrupt:
        warnings.append(f"{len(corrupt)} corrupt packets (first at packet {corrupt[0]})")

    rotation = 0
    if read_rotation:
        container.seek(0, stream=stream) if pts.size else None
        try:
            for frame in container.decode(stream):
                rotation = frame_rotation(frame)
                break
        except av.error.FFmpegError as exc:
            warnings.append(f"first frame did not decode: {exc}")

    start_tc = _start_timecode(container, stream)
    start_frame, drop = 0, False
    if start_tc:
        drop = (";" in start_tc or "," in start_tc) and timebase.drop_frame_allowed(rate)
        try:
            start_frame = timebase.timecode_to_frames(start_tc, rate, drop)
        except timebase.TimecodeError as exc:
            warnings.append(f"start timecode ignored: {exc}")
            start_tc, start_frame, drop = None, 0, False
    sar = stream.sample_aspect_ratio or ctx.sample_aspect_ratio
    info = MediaInfo(
        path=os.path.abspath(path),
        container=container.format.name.split(",")[0],
        codec=ctx.name,
        width=ctx.width or stream.width,
        height=ctx.height or stream.height,
        rate=rate,
        frames=count,
        duration=duration,
        time_base=time_base,
        rotation=rotation,
        sar=Fraction(sar) if sar else Fraction(1),
        pix_fmt=ctx.pix_fmt or "",
        bit_depth=_bit_depth(ctx.pix_fmt or ""),
        start_timecode=timebase.frames_to_timecode(start_frame, rate, drop) if start_tc else None,
        start_frame=start_frame,
        drop_frame=drop,
        vfr=vfr,
        has_audio=bool(container.streams.audio),
        size_bytes=os.path.getsize(path),
        warnings=tuple(warnings),
    )
    return info, pts


def frame_rotation(frame) -> int:
    """A decoded frame's display rotation (its display matrix), degrees."""
    return int(getattr(frame, "rotation", 0) or 0)
