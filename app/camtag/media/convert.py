"""From a decoded picture to the analysis arrays: small BGR, working luma, display thumbnails.

FFmpeg's scaler (swscale) does each conversion straight from the decoded planes, with cached
contexts (:class:`VideoReformatter`), on whichever thread calls it. With two cores or fewer it
runs on that thread alone: its own slice threads would only compete with the decoder's frame
threads (same pictures, ~5% less CPU for a 4K 10-bit picture's conversions). Measured
alternatives that were not taken (4K HEVC 10-bit, benchmarks/decode.py): one 640-wide YUV
conversion feeding luma and the 128×72 BGR saves 1.2 ms of 6.9 ms a picture but moves a third
of the luma pixels by a grey level and the small BGR by 2.3 on average; FAST_BILINEAR aliases.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from camtag.media.decode import FrameSpec

_YUV_PREFIXES = ("yuv", "yuvj", "nv12", "nv21", "gray", "p010", "p016")


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

