"""The one decode pass: PyAV frame threading, cached reformatters, small analysis frames.

Every consumer (shot detectors, the motion engine, poster frames) reads the same
:class:`AnalysisFrame` stream. Decoding runs on its own thread and feeds a bounded queue,
so memory stays flat however long the file is and consumers run concurrently with decode.
The reformatting into analysis arrays happens on the consumer's side of the queue: the decode
thread only feeds FFmpeg, which keeps its frame threads busy (on two cores, full analysis
went from 0.97× to ~0.92× PySceneDetect's time, benchmarks/motion.py). Pictures over
``EARLY_BYTES`` (8K, huge stills) are converted on the decode thread instead, so the queue never
holds more than a few of them; pictures past the pixel budget are refused before decoding.
The decoder may run on a hardware device (:mod:`camtag.media.hwaccel`); :attr:`Decoder.route`
says which decoder ran.

Damaged data: frame numbers come from the pictures' timestamps (every frame's PTS, from the
probe's packet scan), not from counting what comes out, so a picture FFmpeg cannot decode at
all leaves the ones after it correctly numbered; the picture before stands in for it (consumers
see every frame number once, in order). Pictures FFmpeg decodes with concealed errors are
flagged by it; :class:`Damage` keeps both, up to the next keyframe, and the analysis names them
and any shot that begins on one (tests/core/test_media_damage.py).
"""

from __future__ import annotations

import itertools
import queue
import threading
from bisect import bisect_right
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable, Iterator, Optional

import numpy as np

from camtag.jobs import CancelToken
from camtag.media import hwaccel, intra
from camtag.media.errors import MediaError
from camtag.media.convert import Converter
from camtag.media.hwaccel import DecodeRoute
from camtag.media.probe import (OpenedMedia, check_budget, frame_bytes, frame_rotation,
                                open_container, packet_key, video_stream)
from camtag.media.threads import cap_frame_threads, thread_cap

# frames wait in the queue at full size (the consumer converts them, so conversions run beside
# the decode): the queue holds about this many bytes of pictures. Pictures larger than
# EARLY_BYTES are converted on the decode thread instead (the queue then holds small arrays);
# frame threads are capped by camtag.media.threads.
QUEUE_BYTES = 100 << 20
EARLY_BYTES = 40 << 20


@dataclass(frozen=True)
class FrameSpec:
    """What consumers need from each frame; anything left ``None`` is not computed."""

    small_size: Optional[tuple[int, int]] = (128, 72)   # BGR for shot detection
    luma_width: Optional[int] = None                     # luma for the motion engine
    thumb_width: Optional[int] = None                    # display-corrected BGR for posters
    thumb_every: int = 0                                 # a thumbnail every N frames (0: none)
    # exact: pixels exactly as the codec defines them (frames a model looks at). Otherwise the
    # analysis decode skips the in-loop deblocking filter: ~15% less H.264 decode time, pictures
    # within a fraction of a grey level at normal bitrates (benchmarks/motion.py, shots.py)
    exact: bool = False

    def merged(self, other: "FrameSpec") -> "FrameSpec":
        def pick(a, b):
            if a is None:
                return b
            if b is None:
                return a
            return max(a, b)
        every = [e for e in (self.thumb_every, other.thumb_every) if e]
        return FrameSpec(
            small_size=pick(self.small_size, other.small_size),
            luma_width=pick(self.luma_width, other.luma_width),
            thumb_width=pick(self.thumb_width, other.thumb_width),
            thumb_every=min(every) if every else 0,
            exact=self.exact or other.exact,
        )


@dataclass
class AnalysisFrame:
    index: int                       # 0-based, decode (presentation) order
    pts: Optional[int]
    time: Fraction                   # seconds from the stream's timestamps
    small: Optional[np.ndarray] = None   # HxWx3 uint8 BGR
    luma: Optional[np.ndarray] = None    # HxW uint8
    thumb: Optional[np.ndarray] = None   # HxWx3 uint8 BGR, SAR and rotation applied
    stand_in: bool = False           # the decoder lost this frame: the picture before stands in


@dataclass(frozen=True)
class DecodeIssue:
    index: int        # frame index at which the problem was met
    message: str


class Damage:
    """Pictures the decoder flagged corrupt (FFmpeg conceals damaged data and hands the picture
    out anyway, with ``AV_FRAME_FLAG_CORRUPT``): they can make cuts and movement that are not
    in the footage, and pictures predicted from them carry the damage on, unflagged, up to the
    next keyframe. :attr:`spans` holds those stretches; :meth:`issues` sums them up (the pipeline
    adds them to the analysis's errors, with timecodes)."""

    SHOWN = 8             # frame numbers named in the message
    MAX_SPANS = 10_000    # a file damaged all through keeps its first spans only

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.count = 0
        self.held = 0                       # pictures lost and held (see :meth:`lost`)
        self.lost_ranges: list[tuple[int, int]] = []
        self.spans: list[list[int]] = []    # [first, end) frame ranges; the last may be open
        self._open = False

    def note(self, frame, index: int) -> None:
        if frame.is_corrupt:
            self.count += 1
            if len(self.frames) < self.SHOWN:
                self.frames.append(index)
            if not self._open and len(self.spans) < self.MAX_SPANS:
                self.spans.append([index, index + 1])
                self._open = True
        elif self._open and frame.key_frame:
            self._open = False
        if self._open:
            self.spans[-1][1] = index + 1

    def lost(self, first: int, end: int) -> None:
        """Pictures [first, end) never came out of the decoder (their data was unreadable, or
        they were predicted from such a picture): the picture before stands in for them."""
        self.held += end - first
        if len(self.lost_ranges) < self.SHOWN:
            self.lost_ranges.append((first, end))
        if self.spans and self.spans[-1][1] >= first:
            self.spans[-1][1] = max(self.spans[-1][1], end)
        elif len(self.spans) < self.MAX_SPANS:
            self.spans.append([first, end])
        self._open = True                   # what follows is predicted from the lost pictures

    def covers(self, index: int) -> bool:
        """Whether frame ``index`` is damaged or predicted from a damaged picture."""
        i = bisect_right(self.spans, [index, float("inf")]) - 1
        return i >= 0 and self.spans[i][0] <= index < self.spans[i][1]

    def stamps_fields(self, unreadable: int, frames: int) -> bool:
        """No data was unreadable, yet a third or more of the numbered frames are stand-ins:
        the container stamps something else than pictures (a packet a field), not damage."""
        return bool(self.held) and not unreadable and self.held * 3 >= frames

    def issues(self, timecode: Optional[Callable[[int], str]] = None, unreadable: int = 0,
               frames: int = 0) -> list[DecodeIssue]:
        """What happened, as issues with no frame prefix: their messages name the frames (with
        their timecodes, given ``timecode(frame)``). ``unreadable``: packets FFmpeg refused;
        ``frames``: frames numbered in the run."""
        def span(a: int, b: int) -> str:       # frames [a, b)
            if b == a + 1:
                return f"{timecode(a)} (frame {a})" if timecode else f"frame {a}"
            return (f"{timecode(a)}–{timecode(b - 1)} (frames {a}–{b - 1})" if timecode
                    else f"frames {a}–{b - 1}")

        out = []
        if self.stamps_fields(unreadable, frames):
            # no data was unreadable, yet the timestamps list many more pictures than come out:
            # the container stamps something else (a packet a field) — not damage
            out.append(DecodeIssue(-1, f"the timestamps list {frames} pictures but {frames - self.held} "
                                       "came out of the decoder (a packet a field?); each stands in "
                                       "for the ones it covers, so frame numbers follow the timestamps"))
        elif self.held:
            more = ", …" if self.held > sum(b - a for a, b in self.lost_ranges) else ""
            spans = ", ".join(span(a, b) for a, b in self.lost_ranges)
            out.append(DecodeIssue(-1, f"{_pictures(self.held)} could not be decoded, at {spans}{more}; "
                                       "the picture before stands in, so later frame numbers stay exact"))
        if self.count:
            more = ", …" if self.count > len(self.frames) else ""
            named = ", ".join(span(f, f + 1) for f in self.frames)
            out.append(DecodeIssue(-1, f"the decoder concealed errors in {_pictures(self.count)}, at "
                                       f"{named}{more}; shots and tags there, and up to the next "
                                       "keyframe, may be wrong"))
        return out


def _pictures(n: int) -> str:
    return "1 picture" if n == 1 else f"{n} pictures"


def _strictly_increasing(order: Optional[np.ndarray]) -> bool:
    return order is not None and len(order) > 1 and bool(np.all(np.diff(order) > 0))


class _HardwareFault(Exception):
    """A hardware decoder failed mid-stream at frame ``index`` (the next one to come out)."""

    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(hwaccel.error_line(cause))
        self.index = index


class Decoder:
    """Iterate :class:`AnalysisFrame` objects from a file, decoding on a background thread
    (``background=False``: on the iterating thread, for one-core runs).

    Broken packets in the middle are skipped and recorded in :attr:`issues`; the iteration
    goes on past them. ``stop()`` (or the cancel token) ends the thread promptly.
    ``hwaccel``: the hardware decode setting (None: ``$CAMTAG_HWACCEL``, see
    :mod:`camtag.media.hwaccel`); :attr:`route` says which decoder ran (final once iterated).
    Pictures past the pixel budget (:func:`camtag.media.probe.check_budget`) raise
    :class:`MediaError` before anything is decoded.
    """

    def __init__(self, path: str, spec: FrameSpec, *, sar: Fraction = Fraction(1),
                 rotation: Optional[int] = 0, cancel: CancelToken | None = None,
                 queue_size: int = 16, threads: bool = True, start_frame: int = 0,
                 background: bool = True, order: Optional[np.ndarray] = None,
                 opened: Optional[OpenedMedia] = None, hwaccel: Optional[str] = None) -> None:
        self.path = path
        self.spec = spec
        self.sar = sar
        # None: taken from the first decoded frame (``opened`` media skip the probe's decode)
        self.rotation = rotation
        self.opened = opened
        self.cancel = cancel or CancelToken()
        self.issues: list[DecodeIssue] = []
        self._queue_size = queue_size
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._threads = threads
        self.background = background        # False: decode on the iterating thread
        self._error: Optional[BaseException] = None
        self.start_frame = max(0, start_frame)
        # every frame's PTS in presentation order, when the caller has it (a segment of a long
        # file): a seek then needs no pass over the whole file's packets
        self.order = order
        self.hwaccel = hwaccel
        self.route = DecodeRoute()
        self._early = False                 # convert on the decode thread (huge pictures)
        self.sparse: Optional[intra.Sparse] = None    # what sparse decoding did, when it ran
        self.damage = Damage()              # pictures decoded from damaged data
        self.broken_packets = 0             # packets FFmpeg refused to decode
        self._converted: Optional[tuple] = None     # (av frame, its AnalysisFrame): stand-ins reuse it

    def _frames(self) -> Iterator[tuple]:
        """Decode on the calling thread: (frame, index[, pts]) items in presentation order
        (frames are converted already when :attr:`_early`; ``pts`` is given for a stand-in
        picture); broken packets become :attr:`issues`. A hardware decoder failing mid-stream is
        replaced by software decoding from the frame it reached."""
        start, software = self.start_frame, False
        while True:
            try:
                yield from self._decode_from(start, software)
                if self.broken_packets > self.BROKEN_SHOWN:
                    self.issues.append(DecodeIssue(-1, f"{self.broken_packets - self.BROKEN_SHOWN} more "
                                                       "unreadable packets skipped"))
                return
            except _HardwareFault as fault:
                device = self.route.device
                self.route = DecodeRoute(None, self.route.codec, f"{device} failed at frame "
                                         f"{fault.index} ({fault}); software decode from there")
                self.issues.append(DecodeIssue(fault.index, f"hardware decode ({device}) failed: {fault}; "
                                                            "continued with software decode"))
                start, software = fault.index, True

    def _decode_from(self, start: int, software: bool) -> Iterator[tuple]:
        import av

        container, packets = self._open(software)
        index = start
        try:
            stream = video_stream(container)
            ctx = stream.codec_context
            check_budget(self.path, ctx.width or stream.width, ctx.height or stream.height)
            size = frame_bytes(ctx.width or 1, ctx.height or 1, ctx.pix_fmt or "")
            # intra-only streams may be decoded sparsely (experimental, $CAMTAG_INTRA_STRIDE):
            # one picture out per packet in, so slice threads only
            stride = intra.stride_setting() if not start and not self.route.hardware else 1
            sparse = stride > 1 and intra.intra_only(ctx)
            if self._threads:
                stream.thread_type = "SLICE" if sparse else "AUTO"
                cap_frame_threads(stream)
            if not self.spec.exact:
                ctx.options = {**ctx.options, "skip_loop_filter": "all"}
            self._time_base = Fraction(stream.time_base) if stream.time_base else None
            self._convert = Converter(self.spec, self.sar, self.rotation or 0,
                                      threads=1 if thread_cap() in (1, 2) else None)
            self._early = size > EARLY_BYTES or sparse      # sparse: compares converted pictures
            if not self._early:
                self._queue.maxsize = max(4, min(self._queue_size, QUEUE_BYTES // size))
            hardware = self.route.hardware
            order = None
            if start:
                order = self._seek(container, stream, start)
                packets = None
            # pictures the decoder never hands out (unreadable data, or predicted from it) are
            # found by the next picture's timestamp: every frame's PTS, strictly increasing
            gaps = self.order if order is None and _strictly_increasing(self.order) else None
            held = None                     # the last picture handed out (what stands in)
            if sparse:
                yield from self._sparse(packets or container.demux(stream), stride)
                return
            for packet in packets or container.demux(stream):
                if self._stop.is_set() or self.cancel.cancelled:
                    break
                try:
                    frames = packet.decode()
                except (av.error.InvalidDataError, av.error.FFmpegError) as exc:
                    if hardware:
                        raise _HardwareFault(index, exc) from None
                    if order is None and gaps is None:
                        gaps = self._pts_table()
                    # (no frame number: frame threads report an error on a later packet; the
                    # pictures it cost are named exactly by the timestamps, see Damage)
                    self._broken(-1, exc)
                    continue
                for frame in frames:
                    if self.rotation is None:
                        self.rotation = frame_rotation(frame)
                        self._convert.rotation = self.rotation % 360
                    if hardware and not self._on_device(ctx):   # the device declined this stream
                        hardware = False
                        self.route = DecodeRoute(None, ctx.name, f"{self.route.device} does not decode "
                                                 f"this stream ({ctx.name} {ctx.pix_fmt}); software decode")
                    k = index
                    if order is not None:       # after a seek: the index comes from the PTS order
                        if frame.pts is None:
                            continue
                        k = int(np.searchsorted(order, frame.pts))
                        if k < start:
                            continue
                        if k < index:           # (a repeated timestamp: numbered as before)
                            index = k
                    elif frame.pts is not None and (gaps is not None or frame.is_corrupt):
                        if gaps is None:
                            gaps = self._pts_table()
                            if gaps is None:
                                gaps = np.empty(0, np.int64)
                        k = int(np.searchsorted(gaps, frame.pts))
                        if not (k < len(gaps) and gaps[k] == frame.pts):
                            k = index
                    if k > index:               # pictures lost before this one: held, numbered
                        table = order if order is not None else gaps
                        self.damage.lost(index, k)
                        for j in range(index, k):
                            yield self._stand_in(held if held is not None else frame, j, int(table[j]))
                        index = k
                    self.damage.note(frame, index)
                    held = self._analysis_frame(frame, index) if self._early else frame
                    yield held, index
                    index += 1
        except av.error.FFmpegError as exc:
            if self.route.hardware:
                raise _HardwareFault(index, exc) from None
            self.issues.append(DecodeIssue(-1, f"decoding stopped early: {exc}"))
        finally:
            container.close()

    def _sparse(self, packets, stride: int) -> Iterator[tuple]:
        """Intra-only streams, every ``stride``-th picture first (see :mod:`camtag.media.intra`)."""
        import av

        spec = self.spec

        def decode(packet):
            try:
                frames = packet.decode()
            except (av.error.InvalidDataError, av.error.FFmpegError) as exc:
                self._broken(-1, exc)
                return []
            if frames and self.rotation is None:
                self.rotation = frame_rotation(frames[0])
                self._convert.rotation = self.rotation % 360
            return frames

        def convert(frame, index: int) -> AnalysisFrame:
            self.damage.note(frame, index)
            return self._analysis_frame(frame, index)

        self.sparse = intra.Sparse(stride)
        for item in self.sparse.frames(
                packets, 0, decode, convert,
                lambda pts: intra.exact_time(pts, self._time_base),
                lambda i: bool(spec.thumb_width and spec.thumb_every and i % spec.thumb_every == 0)):
            if self._stop.is_set() or self.cancel.cancelled:
                break
            yield item

    BROKEN_SHOWN = 20       # packets FFmpeg refused, each named; the rest are counted

    def _broken(self, index: int, exc: BaseException) -> None:
        self.broken_packets += 1
        if self.broken_packets <= self.BROKEN_SHOWN:
            self.issues.append(DecodeIssue(index, f"unreadable packet skipped (FFmpeg: {exc})"))

    @staticmethod
    def _on_device(ctx) -> bool:
        """Whether the codec context really decodes on the hardware device."""
        return hwaccel.on_device(ctx)

    def _open_hardware(self, opened: Optional[OpenedMedia]):
        """A container decoding on the first usable hardware device (None: software), and the
        route; the probe's container, when handed over, is closed for it."""
        setting = self.hwaccel
        wanted = hwaccel.requested(setting)
        for device in hwaccel.available_devices(setting):
            try:
                container = open_container(self.path, hwaccel=hwaccel.accel(device))
            except (MediaError, RuntimeError, ValueError) as exc:
                hwaccel.mark_unusable(device, getattr(exc, "reason", None) or hwaccel.device_error(exc))
                continue
            if opened is not None:
                if self.order is None:
                    self.order = opened.order
                opened.close()
            codec = video_stream(container).codec_context.name
            return container, DecodeRoute(device, codec)
        failed = [f"{d}: {hwaccel.unusable(d)}" for d in wanted if hwaccel.unusable(d)]
        note = ("no usable hardware decoder (" + "; ".join(failed) + ")") \
            if failed and hwaccel.explicit(setting) else ""
        return None, DecodeRoute(None, "", note)

    def _open(self, software: bool = False):
        """The container and, for one handed over by the probe, its packets from the first on
        (None: demux from where the container stands). A handed-over container whose rewind did
        not land on the first packet is closed and the file opened afresh. Hardware decoding,
        when a device is usable, opens the file afresh with it (see :mod:`camtag.media.hwaccel`)."""
        opened, self.opened = self.opened, None
        if not software:
            container, self.route = self._open_hardware(opened)
            if container is not None:
                return container, None
        container = opened.take() if opened is not None else None
        if container is not None and self.order is None:
            self.order = opened.order
        if container is None:
            container = open_container(self.path)
            self.route = DecodeRoute(None, video_stream(container).codec_context.name, self.route.note)
            return container, None
        stream = video_stream(container)
        self.route = DecodeRoute(None, stream.codec_context.name, self.route.note)
        packets = container.demux(stream)
        try:
            head = next((p for p in packets if p.size), None)
        except Exception:                   # noqa: BLE001 - the fresh open reports it properly
            head = None
        if head is not None and packet_key(head) == opened.first:
            return container, itertools.chain([head], packets)
        packets.close()
        container.close()
        return open_container(self.path), None

    def _produce(self) -> None:
        try:
            for item in self._frames():
                self._put(item)
        except BaseException as exc:  # handed to the consumer thread
            self._error = exc
        finally:
            self._put(None)

    def _seek(self, container, stream, start: int) -> np.ndarray:
        """Seek to the keyframe before frame ``start``; return all PTS in presentation order."""
        from camtag.media.probe import scan_packets

        order = self.order
        if order is None:
            order, _, _ = scan_packets(container, stream)
            self.order = order
        if start >= len(order):
            raise MediaError(self.path, f"cannot resume at frame {start}: "
                                        f"the file has {len(order)} frames")
        container.seek(int(order[start]), stream=stream, backward=True, any_frame=False)
        return order

    def _pts_table(self) -> Optional[np.ndarray]:
        """Every frame's PTS (None when not strictly increasing), read when damage first shows in
        a run that was not handed the table (a library run skips the probe's packet scan): one
        demux-only pass, paid by damaged files alone."""
        from camtag.media.probe import scan_packets

        if self.order is None:
            try:
                container = open_container(self.path)
            except MediaError:
                return None
            runs: list = []
            try:
                order, _, _ = scan_packets(container, video_stream(container), runs=runs)
            except Exception:                   # noqa: BLE001 - unreadable: numbered by counting
                return None
            finally:
                container.close()
            if len(runs) > 1:                   # timestamps restart: they cannot number frames
                return None
            self.order = order
        return self.order if _strictly_increasing(self.order) else None

    def _stand_in(self, held, index: int, pts: int) -> tuple:
        """The queue item for frame ``index``, which the decoder lost: ``held`` (an av frame, or
        an AnalysisFrame when converting early) stands in for it, at its own time."""
        if isinstance(held, AnalysisFrame):
            time = Fraction(pts) * self._time_base if self._time_base else held.time
            return replace(held, index=index, pts=pts, time=time, stand_in=True), index
        return held, index, pts

    def _analysis_frame(self, frame, index: int, pts: Optional[int] = None) -> AnalysisFrame:
        """``pts`` is given for a stand-in (see :meth:`_stand_in`): its own time, the picture of
        ``frame``."""
        spec, convert, time_base = self.spec, self._convert, self._time_base
        stand_in = pts is not None
        pts = frame.pts if pts is None else pts
        time = Fraction(pts) * time_base if pts is not None and time_base else Fraction(0)
        last = self._converted
        if stand_in and last is not None and last[0] is frame:     # the same picture again
            return replace(last[1], index=index, pts=pts, time=time, stand_in=True)
        af = AnalysisFrame(index=index, pts=pts, time=time, stand_in=stand_in)
        af.small, af.luma = convert.analysis(frame)
        if spec.thumb_width and spec.thumb_every and index % spec.thumb_every == 0:
            af.thumb = convert.thumb(frame)
        self._converted = (frame, af)
        return af

    def _put(self, item) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set() and item is not None:
                    return

    def __iter__(self) -> Iterator[AnalysisFrame]:
        if not self.background:
            for item in self._frames():
                yield item[0] if self._early else self._analysis_frame(*item)
            return
        thread = threading.Thread(target=self._produce, name="camtag-decode", daemon=True)
        thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                yield item[0] if self._early else self._analysis_frame(*item)
            if self._error is not None:
                raise self._error
        finally:
            self.stop()
            thread.join(timeout=10)

    def stop(self) -> None:
        self._stop.set()
        if self.opened is not None:         # not started: close the handed-over container
            self.opened.close()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
