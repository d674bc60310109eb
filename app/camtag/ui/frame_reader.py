"""Exact frames by index for the player: PyAV seek + decode, no Qt.

Frame ``i`` is the ``i``-th frame in presentation order (the numbering the analysis uses): one
demux-only pass lists every packet's timestamp, so ``i`` maps to a PTS exactly (VFR-safe). A
request seeks to the keyframe before that PTS and decodes forward (skipping non-reference frames
while far from the target), or simply keeps decoding when the target is just ahead (playback).
Recently decoded frames before the target stay in a small cache, so stepping backwards and
reverse play within a GOP cost nothing. Images are RGB, display-corrected (pixel aspect and
rotation) and scaled to fit ``max_size``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from fractions import Fraction

import numpy as np

from camtag.media.errors import MediaError
from camtag.media.probe import open_container, video_stream
from camtag.media.threads import cap_frame_threads

_KEEP_BEHIND = 48          # frames before a seek target kept for stepping/reverse play


class FrameReader:
    def __init__(self, path: str, *, rotation: int = 0, sar: Fraction = Fraction(1),
                 max_size: tuple[int, int] = (1280, 720), cache_bytes: int = 192 << 20) -> None:
        self.path = path
        self.rotation = rotation % 360
        self._pts, self._keys = self._scan(path)
        self._container = open_container(path)
        self._stream = video_stream(self._container)
        self._stream.thread_type = "AUTO"
        cap_frame_threads(self._stream)
        tb = self._stream.time_base
        self._tb = Fraction(tb) if tb else Fraction(1, 1000)
        w, h = self._stream.codec_context.width, self._stream.codec_context.height
        dw = round(w * sar) if sar and sar != 1 else w
        if self.rotation in (90, 270):
            dw, h_disp = h, dw
        else:
            h_disp = h
        scale = min(1.0, max_size[0] / max(1, dw), max_size[1] / max(1, h_disp))
        self.size = (max(2, int(dw * scale) // 2 * 2), max(2, int(h_disp * scale) // 2 * 2))
        self._decoder = None
        self._next = None              # index the running decoder will produce next
        self._seek_key = self._pts[0]
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = cache_bytes
        self.decoded = 0               # frames decoded (for benchmarks and tests)

    # -- setup ------------------------------------------------------------------------------
    @staticmethod
    def _scan(path: str) -> tuple[list[int], list[int]]:
        from camtag.media.probe import seek_index

        container = open_container(path)
        try:
            return seek_index(container, video_stream(container), path)
        finally:
            container.close()

    @property
    def frames(self) -> int:
        return len(self._pts)

    def close(self) -> None:
        self._decoder = None
        self._cache.clear()
        if self._container is not None:
            self._container.close()
            self._container = None

    # -- reading ----------------------------------------------------------------------------
    def cached(self, index: int) -> np.ndarray | None:
        img = self._cache.get(index)
        if img is not None:
            self._cache.move_to_end(index)
        return img

    def read(self, index: int, keep_behind: int = 0) -> np.ndarray:
        """The exact frame ``index`` (clamped to the file) as an RGB array.

        ``keep_behind``: when a seek is needed, also keep that many frames before the target
        (set it when stepping or playing backwards)."""
        index = max(0, min(index, self.frames - 1))
        hit = self.cached(index)
        if hit is not None:
            return hit
        seek = not self._can_continue(index)
        if seek:
            self._seek(index)
        keep = min(keep_behind, _KEEP_BEHIND) if seek else 0
        img = self._decode_to(index, keep_from=index - keep)
        if img is None:            # broken data on the way, or a needed picture skipped as
            self._seek(index)      # non-reference: one fresh seek decoding every picture
            img = self._decode_to(index, keep_from=index, skip=False)
        if img is None:
            raise MediaError(self.path, f"frame {index} cannot be decoded")
        return img

    def _can_continue(self, index: int) -> bool:
        if self._decoder is None or self._next is None or index < self._next:
            return False
        target = self._pts[index]
        key = self._keys[max(0, bisect_right(self._keys, target) - 1)]
        return key <= self._pts[min(self._next, self.frames - 1)]   # no keyframe in between

    def _seek(self, index: int) -> None:
        target = self._pts[index]
        key = self._keys[max(0, bisect_right(self._keys, target) - 1)]
        self._container.seek(key, stream=self._stream, backward=True, any_frame=False)
        self._decoder = self._container.decode(self._stream)
        self._next = None
        self._seek_key = key

    def _index_of(self, pts: int) -> int:
        i = bisect_left(self._pts, pts)
        if i < self.frames and self._pts[i] == pts:
            return i
        return max(0, bisect_right(self._pts, pts) - 1)

    def _decode_to(self, index: int, keep_from: int, skip: bool = True) -> np.ndarray | None:
        import av

        ctx = self._stream.codec_context
        guard = max(1, int(Fraction(1, 2) / self._tb))
        target = self._pts[index]
        start = self._pts[self._next] if self._next is not None and self._next < self.frames \
            else self._seek_key
        # frames needed (the target, and the ones kept behind it) are never skipped
        skip_until = min(target - guard, self._pts[max(0, min(keep_from, index))])
        # (the switch back happens on the first picture out past skip_until; pictures a trimmed
        # clip's edit list hides never come out, so the target itself can be skipped: the retry
        # in :meth:`read` decodes with skip=False)
        skipping = skipped = skip and skip_until > start
        ctx.skip_frame = "NONREF" if skipping else "DEFAULT"
        try:
            for frame in self._decoder:
                self.decoded += 1
                stamp = frame.pts if frame.pts is not None else frame.dts
                if stamp is None:
                    continue
                i = self._index_of(stamp)
                self._next = i + 1
                if skipping and stamp >= skip_until:
                    ctx.skip_frame = "DEFAULT"
                    skipping = False
                if i < keep_from:
                    continue
                if i > index:          # the exact frame is missing (broken data): nearest before
                    self._remember(i, self._convert(frame))
                    exact = self._cache.get(index)
                    if exact is None and skipped:
                        return None    # perhaps skipped as non-reference: read() decodes all
                    return exact if exact is not None else self._nearest_before(index)
                img = self._convert(frame)
                self._remember(i, img)
                if i == index:
                    return img
        except av.error.FFmpegError:
            self._decoder = None
            self._next = None
        finally:
            ctx.skip_frame = "DEFAULT"
        self._decoder = None            # end of stream
        self._next = None
        return self._cache.get(index)

    def _nearest_before(self, index: int) -> np.ndarray | None:
        before = [i for i in self._cache if i <= index]
        return self._cache[max(before)] if before else None

    def _convert(self, frame) -> np.ndarray:
        w, h = self.size
        if self.rotation in (90, 270):
            w, h = h, w
        img = frame.reformat(width=w, height=h, format="rgb24", interpolation="BILINEAR").to_ndarray()
        if self.rotation == 90:
            img = np.rot90(img, 1)
        elif self.rotation == 270:
            img = np.rot90(img, -1)
        elif self.rotation == 180:
            img = img[::-1, ::-1]
        return np.ascontiguousarray(img)

    def _remember(self, index: int, img: np.ndarray) -> None:
        if index in self._cache:
            return
        self._cache[index] = img
        self._cache_bytes += img.nbytes
        while self._cache_bytes > self._cache_limit and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.nbytes
