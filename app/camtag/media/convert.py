"""From a decoded picture to the analysis arrays: small BGR, working luma, display thumbnails.

FFmpeg's scaler (swscale) does each conversion straight from the decoded planes, with cached
contexts (:class:`VideoReformatter`), on whichever thread calls it. With two cores or fewer it
runs on that thread alone: its own slice threads would only compete with the decoder's frame
threads (same pictures, ~5% less CPU for a 4K 10-bit picture's conversions).

One conversion feeds every per-frame consumer: a picture wider than ``SHARED_WIDTH`` is scaled
once (area filter) to a ``SHARED_WIDTH``-wide full-range 8-bit YUV 4:2:0 picture; its Y plane
*is* the motion engine's luma (bit-identical to a direct conversion to grey for untagged
pictures; ~2 levels apart for BT.709-tagged ones, where swscale's grey output differs) and the
128×72 BGR comes from it at a fraction of the cost of a second pass over the full-size planes
(4K HEVC 10-bit: 6.0 → 4.1 ms CPU a picture; 1080p H.264: 0.75 → 0.55 ms). The small BGR then
differs from a direct conversion by ~1-2 levels on average (shot boundaries, transitions and
tags measured unchanged, benchmarks/RESULTS.md "Decode ceiling (issue 21)"). It is taken
this way whether or not the luma is asked for, so shots do not depend on the motion setting.
FAST_BILINEAR aliases; a 4:4:4 intermediate costs more and moves the small BGR further.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:
    from camtag.media.decode import FrameSpec

_YUV_PREFIXES = ("yuv", "yuvj", "nv12", "nv21", "gray", "p010", "p016")
SHARED_WIDTH = 640      # the width of the one intermediate picture (the motion engine's luma width)


def _sws_threads_supported() -> bool:
    import av

    try:
        return int(av.__version__.split(".")[0]) >= 17
    except ValueError:
        return False


class Converter:
    """Turns av.VideoFrame into analysis arrays with cached reformatters."""

    def __init__(self, spec: "FrameSpec", sar: Fraction, rotation: int, threads: int | None = None) -> None:
        from av.video.reformatter import VideoReformatter

        self.spec = spec
        self.sar = sar
        self.rotation = rotation % 360
        if threads is None:
            import os

            threads = 1 if (os.cpu_count() or 1) <= 2 else 0
        # PyAV >= 17 runs swscale threaded and takes ``threads``; older versions run it on the
        # calling thread and do not take it
        self._sws = {"threads": threads or None} if _sws_threads_supported() else {}
        self._small = VideoReformatter()
        self._gray = VideoReformatter()
        self._thumb = VideoReformatter()
        self._mid = VideoReformatter()

    def analysis(self, frame) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        """The small BGR and the luma the spec asks for (None where not asked), from one
        conversion of the decoded picture when it is wider than ``SHARED_WIDTH``."""
        spec = self.spec
        w, h = frame.width, frame.height
        if w <= SHARED_WIDTH or not spec.small_size:
            return (self.small(frame) if spec.small_size else None,
                    self.luma(frame) if spec.luma_width else None)
        mid_h = max(2, round(h * SHARED_WIDTH / w))
        # full range: the Y plane is then what a conversion to "gray" gives, bit for bit
        mid = self._mid.reformat(frame, width=SHARED_WIDTH, height=mid_h, format="yuvj420p",
                                 interpolation="AREA", **self._sws)
        luma = None
        if spec.luma_width == SHARED_WIDTH:
            plane = mid.planes[0]
            luma = np.frombuffer(plane, np.uint8).reshape(mid_h, plane.line_size)[:, :SHARED_WIDTH].copy()
        elif spec.luma_width:
            luma = self.luma(frame)
        return self.small(mid), luma

    def luma(self, frame) -> np.ndarray:
        width = self.spec.luma_width
        w, h = frame.width, frame.height
        if width and w > width:          # swscale's area filter: half the time of Y plane + cv2
            out_h = max(2, round(h * width / w))
            y = self._gray.reformat(frame, width=width, height=out_h, format="gray",
                                    interpolation="AREA", **self._sws).to_ndarray()
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
            y = self._gray.reformat(frame, format="gray", **self._sws).to_ndarray()
        return np.ascontiguousarray(y)

    def small(self, frame) -> np.ndarray:
        w, h = self.spec.small_size
        return self._small.reformat(frame, width=w, height=h, format="bgr24",
                                    interpolation="AREA", **self._sws).to_ndarray()

    def thumb(self, frame) -> np.ndarray:
        import cv2

        width = self.spec.thumb_width
        disp_w = frame.width * self.sar
        height = max(2, round(frame.height * width / disp_w)) & ~1
        img = self._thumb.reformat(frame, width=width, height=height, format="bgr24",
                                   interpolation="AREA", **self._sws).to_ndarray()
        if self.rotation == 90:
            img = cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
        elif self.rotation == 270:
            img = cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
        elif self.rotation == 180:
            img = cv2.rotate(img, cv2.ROTATE_180)
        return img

