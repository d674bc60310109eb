"""Frames of one shot for the model: 1 fps, a bounded count and a pixel budget, found by seeking.

CamReasoner was evaluated on frames sampled at 1 fps (``ffmpeg -r 1``), each sent as an image,
in time order. Long shots are thinned uniformly to ``max_frames`` (RL training also drops frames
uniformly when a prompt is too long); shots shorter than two seconds still get ``min_frames``
(first and last frame) so the model sees motion. Frames are display-corrected (pixel aspect and
rotation), RGB, and sized so each side is a multiple of 28 px (one Qwen2.5-VL token per 28×28)
within ``max_side`` and ``max_pixels``: the token count per frame is known before encoding.

Frame indices map to timestamps through one demux-only packet scan per file (exact in decode
order, VFR-safe); each frame is then reached by seeking to the keyframe before it and decoding
forward, reusing the decoder when the next target lies in the same GOP.
"""

from __future__ import annotations

import base64
import math
from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from camtag.media.errors import MediaError
from camtag.media.probe import check_budget, open_container, video_stream
from camtag.media.threads import cap_frame_threads
from camtag.model import MediaInfo, Shot

PATCH = 28  # Qwen2.5-VL: 14 px patches merged 2x2


@dataclass(frozen=True)
class FrameBudget:
    fps: Fraction = Fraction(1)
    max_frames: int = 8
    min_frames: int = 2
    max_side: int = 448
    max_pixels: int = 448 * 252
    lossless: bool = False         # the model must see exact pixels (eval preset): no JPEG cache

    @classmethod
    def from_settings(cls, settings: dict | None) -> "FrameBudget":
        s = settings or {}
        side = int(s.get("max_side", cls.max_side))
        return cls(fps=Fraction(s.get("fps", cls.fps)).limit_denominator(1000),
                   max_frames=max(1, int(s.get("max_frames", cls.max_frames))),
                   min_frames=max(1, int(s.get("min_frames", cls.min_frames))),
                   max_side=side, max_pixels=int(s.get("max_pixels", side * side * 9 // 16)))

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """Output size for a display size: within the budget, sides multiples of 28."""
        scale = min(1.0, self.max_side / max(width, height),
                    math.sqrt(self.max_pixels / max(1, width * height)))
        w = max(PATCH, int(width * scale + 1e-6) // PATCH * PATCH)
        h = max(PATCH, int(height * scale + 1e-6) // PATCH * PATCH)
        return w, h

    def tokens_per_frame(self, width: int, height: int) -> int:
        w, h = self.size_for(width, height)
        return (w // PATCH) * (h // PATCH)


@dataclass(frozen=True)
class ShotFrame:
    index: int              # frame number, 0-based, decode order
    time: Fraction          # seconds since the media's first frame
    image: np.ndarray       # HxWx3 uint8 RGB, display-corrected
    jpeg: bytes = b""       # the same frame as JPEG, when already encoded (frame cache)


def frames_fps(frames) -> float:
    """The rate the frames were taken at (what the model's temporal encoding needs)."""
    if len(frames) < 2:
        return 1.0
    span = float(frames[-1].time - frames[0].time)
    return (len(frames) - 1) / span if span > 0 else 1.0


def jpeg_bytes(image: np.ndarray, quality: int = 90) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def data_uri(frame: "ShotFrame | np.ndarray", quality: int = 90) -> str:
    """A JPEG data URI of a frame (reusing its JPEG when it has one) or of an RGB array."""
    if isinstance(frame, ShotFrame):
        raw = frame.jpeg or jpeg_bytes(frame.image, quality)
    else:
        raw = jpeg_bytes(frame, quality)
    return "data:image/jpeg;base64," + base64.b64encode(raw).decode("ascii")


class FrameCache:
    """A frame consumer for the single decode pass: keeps model-ready frames at ~1 fps as JPEG.

    Plug it into the analysis pass (it follows :class:`camtag.consumers.FrameConsumer`); the
    reasoner then reads each shot's frames from memory instead of seeking and decoding again
    (about 25 kB a frame: ~90 MB for an hour at 1 fps). Frames come from the decoder's
    display-corrected thumbnails; shots whose 1-fps grid holds too few frames fall back to seeking.
    A ``lossless`` budget (the reasoner's eval preset) keeps nothing: its frames are always
    decoded exactly by seeking, never passed through JPEG.
    """

    NAME = "model_frames"

    def __init__(self, media: MediaInfo, budget: "FrameBudget | None" = None, quality: int = 90) -> None:
        from camtag.media.decode import FrameSpec

        self.media = media
        self.budget = budget or FrameBudget()
        self.quality = quality
        disp = media.display_size
        self.out_size = self.budget.size_for(*disp)
        self.every = max(1, round(float(media.rate) / float(self.budget.fps))) if media.rate else 25
        thumb_w = self.out_size[1] if media.rotation % 180 else self.out_size[0]   # width before rotation
        self.spec = FrameSpec(small_size=None, thumb_width=(thumb_w + 1) // 2 * 2, thumb_every=self.every,
                              exact=True)
        if self.budget.lossless:     # JPEG would change the pixels: keep nothing, the sampler seeks
            self.spec = FrameSpec(small_size=None)
        self.frames: dict[int, tuple[Fraction, bytes]] = {}
        self._due = 0

    def consume(self, frame) -> None:
        # (a stand-in for a lost picture is the one before it: the model would read a stop)
        if self.budget.lossless or frame.thumb is None or frame.stand_in or frame.index < self._due:
            return
        import cv2

        w, h = self.out_size
        img = frame.thumb if frame.thumb.shape[:2] == (h, w) else cv2.resize(frame.thumb, (w, h), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if ok:
            self.frames[frame.index] = (frame.time, buf.tobytes())
        self._due = frame.index + self.every

    def finish(self) -> "FrameCache":
        return self


class FrameSampler:
    """Samples shots of one file. Open once per file; ``frames(shot)`` per shot; ``close()``."""

    def __init__(self, media: MediaInfo, budget: FrameBudget | None = None,
                 cache: FrameCache | None = None) -> None:
        self.media = media
        self.budget = budget or FrameBudget()
        self.cache = cache if cache is not None and cache.frames else None
        self._container = None
        self._decoder = None
        self._last_pts: int | None = None
        if media.width:
            self.out_size = self.budget.size_for(*media.display_size)
        if self.cache is None:
            self._open()

    def _open(self) -> None:
        if self._container is not None:
            return
        self._container = open_container(self.media.path)
        self._stream = video_stream(self._container)
        try:
            check_budget(self.media.path, self._stream.codec_context.width, self._stream.codec_context.height)
        except MediaError:
            self.close()
            raise
        self._stream.thread_type = "AUTO"
        cap_frame_threads(self._stream)
        tb = self._stream.time_base
        self._tb = Fraction(tb) if tb else Fraction(1, 1000)
        self._pts, self._keys = self._scan()
        if not self.media.width:
            self.out_size = self.budget.size_for(self._stream.width, self._stream.height)

    def _scan(self) -> tuple[list[int], list[int]]:
        from camtag.media.probe import seek_index

        return seek_index(self._container, self._stream, self.media.path)

    def close(self) -> None:
        self._decoder = None
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> "FrameSampler":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def time_of(self, index: int) -> Fraction:
        return (self._pts[index] - self._pts[0]) * self._tb

    def indices(self, shot: Shot) -> list[int]:
        """Frame numbers to show the model for a shot."""
        last = min(shot.end_frame, len(self._pts)) - 1
        first = shot.start_frame
        tr = shot.transition_in
        if tr is not None and first < tr.end_frame <= last:
            first = tr.end_frame                 # skip the fade/dissolve ramp
        if last < first:
            return []
        b = self.budget
        step = 1 / b.fps
        out, t = [], self.time_of(first)
        end_t = self.time_of(last)
        times = [self._pts[i] for i in range(first, last + 1)] if last - first < 4096 else None
        while t <= end_t:
            target = self._pts[0] + t / self._tb
            if times is not None:
                j = first + min(len(times) - 1, max(0, _ceil_index(times, target)))
            else:
                j = min(last, max(first, _ceil_index(self._pts, target)))
            out.append(j)
            t += step
        out = list(dict.fromkeys(out))
        if len(out) < b.min_frames and last > first:
            n = min(b.min_frames, last - first + 1)
            out = [first + round(k * (last - first) / (n - 1)) for k in range(n)] if n > 1 else [first]
        if len(out) > b.max_frames:
            m = b.max_frames
            out = [out[round(k * (len(out) - 1) / (m - 1))] for k in range(m)] if m > 1 else out[:1]
        return list(dict.fromkeys(out))

    def frames(self, shot: Shot) -> list[ShotFrame]:
        if self.cache is not None:
            cached = self._from_cache(shot)
            if cached:
                return cached
        self._open()
        got = zip(*self._grab(self.indices(shot)))
        return [ShotFrame(i, self.time_of(i), img) for i, img in dict(got).items()]

    def _from_cache(self, shot: Shot) -> list[ShotFrame]:
        """The shot's frames from the decode-pass cache, 1 s apart, thinned like :meth:`indices`."""
        import cv2

        first, last = shot.start_frame, shot.end_frame - 1
        tr = shot.transition_in
        if tr is not None and first < tr.end_frame <= last:
            first = tr.end_frame
        have = sorted(i for i in self.cache.frames if first <= i <= last)
        step = 1 / self.budget.fps
        picked, next_t = [], None
        for i in have:
            t = self.cache.frames[i][0]
            if next_t is None or t >= next_t - Fraction(1, 10):
                picked.append(i)
                next_t = t + step
        if len(picked) < self.budget.min_frames:
            return []
        m = self.budget.max_frames
        if len(picked) > m:
            picked = [picked[round(k * (len(picked) - 1) / (m - 1))] for k in range(m)] if m > 1 else picked[:1]
        out = []
        for i in dict.fromkeys(picked):
            t, jpeg = self.cache.frames[i]
            bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            out.append(ShotFrame(i, t, np.ascontiguousarray(bgr[..., ::-1]), jpeg))
        return out

    def _grab(self, indices: list[int]) -> tuple[list[int], list[np.ndarray]]:
        """Decode the frames at ``indices``. Far from a target, non-reference frames are skipped
        (they are never needed to decode later frames): 2-3x less decoding with long GOPs."""
        import av

        ctx = self._stream.codec_context
        guard = int(Fraction(1, 2) / self._tb)      # decode everything for the last 0.5 s
        got_i, got = [], []
        for index in indices:
            target = self._pts[index]
            key = self._keys[max(0, bisect_right(self._keys, target) - 1)]
            if self._decoder is None or self._last_pts is None or target <= self._last_pts or key > self._last_pts:
                self._container.seek(key, stream=self._stream, backward=True, any_frame=False)
                self._decoder = self._container.decode(self._stream)
                self._last_pts = None
            start = self._last_pts if self._last_pts is not None else key
            skipping = target - start > guard
            ctx.skip_frame = "NONREF" if skipping else "DEFAULT"
            try:
                for frame in self._decoder:
                    if frame.pts is None:
                        continue
                    self._last_pts = frame.pts
                    if skipping and frame.pts >= target - guard:
                        ctx.skip_frame = "DEFAULT"
                        skipping = False
                    if frame.pts >= target:
                        got_i.append(min(len(self._pts) - 1, bisect_right(self._pts, frame.pts) - 1))
                        got.append(self._convert(frame))
                        break
            except av.error.FFmpegError:
                self._decoder = None             # broken data: skip this frame, reseek next time
            finally:
                ctx.skip_frame = "DEFAULT"
        if indices and not got:
            raise MediaError(self.media.path, f"no frame could be decoded near frame {indices[0]}")
        return got_i, got

    def _convert(self, frame) -> np.ndarray:
        w, h = self.out_size
        rot = self.media.rotation % 360
        if rot in (90, 270):
            w, h = h, w
        img = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray()
        if rot == 90:
            img = np.rot90(img, 1)
        elif rot == 270:
            img = np.rot90(img, -1)
        elif rot == 180:
            img = img[::-1, ::-1]
        return np.ascontiguousarray(img)


def _ceil_index(values: list[int], target: Fraction) -> int:
    """First position whose value is >= target (values sorted)."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def sample_shot_frames(media: MediaInfo, shot: Shot, budget: FrameBudget | None = None) -> list[ShotFrame]:
    """One shot's frames (opens and closes the file; use :class:`FrameSampler` for many shots)."""
    with FrameSampler(media, budget) as sampler:
        return sampler.frames(shot)
