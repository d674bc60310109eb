"""The one decode pass: PyAV frame threading, cached reformatters, small analysis frames.

Every consumer (shot detectors, the motion engine, poster frames) reads the same
:class:`AnalysisFrame` stream. Decoding runs on its own thread and feeds a bounded queue,
so memory stays flat however long the file is and consumers run concurrently with decode.
The reformatting into analysis arrays happens on the consumer's side of the queue: the decode
thread only feeds FFmpeg, which keeps its frame threads busy (on two cores, full analysis
went from 0.97× to ~0.92× PySceneDetect's time, benchmarks/motion.py).
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Optional

import numpy as np

from camtag.jobs import CancelToken
from camtag.media.errors import MediaError
from camtag.media.probe import OpenedMedia, frame_rotation, open_container, packet_key

_YUV_PREFIXES = ("yuv", "yuvj", "nv12", "nv21", "gray", "p010", "p016")


def thread_cap() -> int:
    """``$CAMTAG_THREADS``: threads one analysis may use (0 = all cores). Ray tasks set it to
    the CPUs they hold; decode, OpenCV and torch follow it."""
    import os

    try:
        cap = max(0, int(os.environ.get("CAMTAG_THREADS", "0")))
    except ValueError:
        return 0
    if cap:
        import cv2

        cv2.setNumThreads(cap)
    return cap


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


@dataclass(frozen=True)
class DecodeIssue:
    index: int        # frame index at which the problem was met
    message: str


class _Converter:
    """Turns av.VideoFrame into analysis arrays with cached reformatters."""

    def __init__(self, spec: FrameSpec, sar: Fraction, rotation: int) -> None:
        from av.video.reformatter import VideoReformatter

        self.spec = spec
        self.sar = sar
        self.rotation = rotation % 360
        self._small = VideoReformatter()
        self._gray = VideoReformatter()
        self._thumb = VideoReformatter()

    def luma(self, frame) -> np.ndarray:
        width = self.spec.luma_width
        w, h = frame.width, frame.height
        if width and w > width:          # swscale's area filter: half the time of Y plane + cv2
            out_h = max(2, round(h * width / w))
            y = self._gray.reformat(frame, width=width, height=out_h, format="gray",
                                    interpolation="AREA").to_ndarray()
            return np.ascontiguousarray(y)
        fmt = frame.format.name
        if fmt.startswith(_YUV_PREFIXES) and not fmt.endswith(("le", "be")):
            plane = frame.planes[0]
            y = np.frombuffer(plane, np.uint8).reshape(h, plane.line_size)[:, :w]
        elif fmt.startswith(_YUV_PREFIXES) and fmt.endswith("le"):
            plane = frame.planes[0]
            y16 = np.frombuffer(plane, np.uint16).reshape(h, plane.line_size // 2)[:, :w]
            depth = int("".join(c for c in fmt.split("p")[-1] if c.isdigit()) or 10)
            y = (y16 >> max(0, depth - 8)).astype(np.uint8)
        else:
            y = self._gray.reformat(frame, format="gray").to_ndarray()
        return np.ascontiguousarray(y)

    def small(self, frame) -> np.ndarray:
        w, h = self.spec.small_size
        return self._small.reformat(frame, width=w, height=h, format="bgr24",
                                    interpolation="AREA").to_ndarray()

    def thumb(self, frame) -> np.ndarray:
        import cv2

        width = self.spec.thumb_width
        disp_w = frame.width * self.sar
        height = max(2, round(frame.height * width / disp_w)) & ~1
        img = self._thumb.reformat(frame, width=width, height=height, format="bgr24",
                                   interpolation="AREA").to_ndarray()
        if self.rotation == 90:
            img = cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
        elif self.rotation == 270:
            img = cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
        elif self.rotation == 180:
            img = cv2.rotate(img, cv2.ROTATE_180)
        return img


class Decoder:
    """Iterate :class:`AnalysisFrame` objects from a file, decoding on a background thread
    (``background=False``: on the iterating thread, for one-core runs).

    Broken packets in the middle are skipped and recorded in :attr:`issues`; the iteration
    goes on past them. ``stop()`` (or the cancel token) ends the thread promptly.
    """

    def __init__(self, path: str, spec: FrameSpec, *, sar: Fraction = Fraction(1),
                 rotation: Optional[int] = 0, cancel: CancelToken | None = None,
                 queue_size: int = 16, threads: bool = True, start_frame: int = 0,
                 background: bool = True, order: Optional[np.ndarray] = None,
                 opened: Optional[OpenedMedia] = None) -> None:
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

    def _frames(self) -> Iterator[tuple]:
        """Decode on the calling thread: (av frame, index) pairs in presentation order; broken
        packets become :attr:`issues`. Conversions happen on the consumer's side."""
        import av

        container, packets = self._open()
        try:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            if self._threads:
                stream.thread_type = "AUTO"
                cap = thread_cap()
                if cap:
                    ctx.thread_count = cap
            if not self.spec.exact:
                ctx.options = {**ctx.options, "skip_loop_filter": "all"}
            self._time_base = Fraction(stream.time_base) if stream.time_base else None
            self._convert = _Converter(self.spec, self.sar, self.rotation or 0)
            # frames wait in the queue at full size (the consumer converts them, so conversions
            # run beside the decode, not after it): keep the queue to ~100 MB whatever the size
            depth = 2 if (ctx.pix_fmt or "").endswith(("le", "be")) else 1
            frame_bytes = 2 * depth * (ctx.width or 1) * (ctx.height or 1)
            self._queue.maxsize = max(4, min(self._queue_size, (100 << 20) // frame_bytes))
            index, order = 0, None
            if self.start_frame:
                order = self._seek(container, stream)
                packets = None
            for packet in packets or container.demux(stream):
                if self._stop.is_set() or self.cancel.cancelled:
                    break
                try:
                    frames = packet.decode()
                except (av.error.InvalidDataError, av.error.FFmpegError) as exc:
                    self.issues.append(DecodeIssue(index, f"broken data skipped: {exc}"))
                    continue
                for frame in frames:
                    if self.rotation is None:
                        self.rotation = frame_rotation(frame)
                        self._convert.rotation = self.rotation % 360
                    if order is not None:       # after a seek: the index comes from the PTS order
                        if frame.pts is None:
                            continue
                        index = int(np.searchsorted(order, frame.pts))
                        if index < self.start_frame:
                            continue
                    yield frame, index
                    index += 1
        except av.error.FFmpegError as exc:
            self.issues.append(DecodeIssue(-1, f"decoding stopped early: {exc}"))
        finally:
            container.close()

    def _open(self):
        """The container and, for one handed over by the probe, its packets from the first on
        (None: demux from where the container stands). A handed-over container whose rewind did
        not land on the first packet is closed and the file opened afresh."""
        opened, self.opened = self.opened, None
        container = opened.take() if opened is not None else None
        if container is not None and self.order is None:
            self.order = opened.order
        if container is None:
            return open_container(self.path), None
        packets = container.demux(container.streams.video[0])
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

    def _seek(self, container, stream) -> np.ndarray:
        """Seek to the keyframe before ``start_frame``; return all PTS in presentation order."""
        from camtag.media.probe import scan_packets

        order = self.order
        if order is None:
            order, _, _ = scan_packets(container, stream)
        if self.start_frame >= len(order):
            raise MediaError(self.path, f"cannot resume at frame {self.start_frame}: "
                                        f"the file has {len(order)} frames")
        container.seek(int(order[self.start_frame]), stream=stream, backward=True, any_frame=False)
        return order

    def _analysis_frame(self, frame, index: int) -> AnalysisFrame:
        spec, convert, time_base = self.spec, self._convert, self._time_base
        pts = frame.pts
        time = Fraction(pts) * time_base if pts is not None and time_base else Fraction(0)
        af = AnalysisFrame(index=index, pts=pts, time=time)
        if spec.small_size:
            af.small = convert.small(frame)
        if spec.luma_width:
            af.luma = convert.luma(frame)
        if spec.thumb_width and spec.thumb_every and index % spec.thumb_every == 0:
            af.thumb = convert.thumb(frame)
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
            for frame, index in self._frames():
                yield self._analysis_frame(frame, index)
            return
        thread = threading.Thread(target=self._produce, name="camtag-decode", daemon=True)
        thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                yield self._analysis_frame(*item)
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
