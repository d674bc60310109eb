"""From a decoded picture to the analysis arrays: small BGR, working luma, display thumbnails.

FFmpeg's scaler (swscale) does each conversion straight from the decoded planes, with cached
contexts (:class:`VideoReformatter`), on whichever thread calls it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from camtag.media.decode import FrameSpec

_YUV_PREFIXES = ("yuv", "yuvj", "nv12", "nv21", "gray", "p010", "p016")


class Converter:
    """Turns av.VideoFrame into analysis arrays with cached reformatters."""

    def __init__(self, spec: "FrameSpec", sar: Fraction, rotation: int) -> None:
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

