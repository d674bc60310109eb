"""Sparse decoding of intra-only codecs (ProRes, DNxHD/HR, MJPEG): EXPERIMENTAL, off by default.

Every packet of an intra-only stream decodes on its own, so the analysis need not decode every
picture: with ``$CAMTAG_INTRA_STRIDE=N`` (N ≥ 2) only every N-th packet is decoded first. When two
decoded pictures N frames apart are the same to within a grey level or so (``quiet``), the frames
between them are made by blending the two (small BGR and luma; no thumbnail); otherwise, or when
a consumer wants a thumbnail of one of them, the held packets are decoded after all, so cuts,
flashes and dissolves are seen on real pictures, frame-exact. The gate is the codec descriptor's
intra-only property, one frame per packet in presentation order (checked on every decoded
picture: a mismatch ends the sparse mode for the rest of the file). Frame threads would hand
pictures out late, so the sparse mode decodes with slice threads only (MJPEG has none in FFmpeg:
one thread there).

The first ``SETTLE`` frames after any change are all decoded (the motion engine's windows
reach a little past a cut: blends right after one moved the previous shot's tags).

Measured (issue 21, tests/core/test_media_intra.py): same cut frames, transitions and tag ids as
a full decode on synthetic ProRes and MJPEG clips with still shots, hard cuts, a dissolve, a pan
and a flash (confidences within 0.05, but blended pictures carry less noise, so a still shot
may read up to 0.1 surer of being still). It saves nothing on footage that moves all the time (no pair is quiet: the 4K
ProRes benchmark clip), which is why it is off by default: moving footage would gain only if the
motion engine measured at the stride itself and the detectors took stride-2 differences.
"""

from __future__ import annotations

import os
from dataclasses import replace
from fractions import Fraction
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

QUIET_MEAN = 1.0       # mean |difference| of the 128×72 BGR pictures, grey levels
QUIET_BLOCK = 4.0      # and of its worst 8×8 block: a local change (a flash, a cut-in) decodes
QUIET_LUMA = 1.5       # mean |difference| of the lumas (≤ 640 wide): slow camera movement decodes
SETTLE = 16            # frames after a change (a cut, movement) that are all decoded


def stride_setting() -> int:
    """``$CAMTAG_INTRA_STRIDE``: decode every N-th picture of intra-only streams first (1: all)."""
    try:
        return max(1, min(8, int(os.environ.get("CAMTAG_INTRA_STRIDE", "1"))))
    except ValueError:
        return 1


def intra_only(ctx) -> bool:
    """Whether every picture of the stream decodes on its own (the codec descriptor says so)."""
    codec = ctx.codec
    return bool(codec is not None and codec.intra_only)


def quiet(a, b) -> bool:
    """Nothing happens between two analysis frames: their small BGR pictures and, when there,
    their lumas (sharper: sub-pixel camera movement shows there) are the same but for noise."""
    if a.luma is not None:
        if b.luma is None or a.luma.shape != b.luma.shape or \
                float(np.abs(a.luma.astype(np.int16) - b.luma).mean()) > QUIET_LUMA:
            return False
    return _quiet_small(a.small, b.small)


def _quiet_small(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> bool:
    if a is None or b is None or a.shape != b.shape:
        return False
    d = np.abs(a.astype(np.int16) - b.astype(np.int16)).mean(axis=2)
    if float(d.mean()) > QUIET_MEAN:
        return False
    h, w = (d.shape[0] // 8) * 8, (d.shape[1] // 8) * 8
    blocks = d[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(1, 3))
    return float(blocks.max()) <= QUIET_BLOCK


def _blend(a: Optional[np.ndarray], b: Optional[np.ndarray], t: float) -> Optional[np.ndarray]:
    if a is None or b is None:
        return None
    return np.rint(a * (1.0 - t) + b * t).astype(np.uint8)


class Sparse:
    """Counts what the sparse mode did: pictures decoded, and made by blending."""

    def __init__(self, stride: int) -> None:
        self.stride = stride
        self.decoded = 0
        self.blended = 0

    def frames(self, packets: Iterable, start: int, decode: Callable, convert: Callable,
               time_of: Callable, wants_thumb: Callable[[int], bool]) -> Iterator[tuple]:
        """(AnalysisFrame, index) pairs in order from ``packets`` (numbered from ``start``).
        ``decode(packet)``: its pictures; ``convert(frame, index)``: an AnalysisFrame;
        ``time_of(pts)``: exact seconds."""
        held: list = []
        prev = None
        changed = start                      # the last frame where the picture changed
        index = start
        stride = self.stride

        def decoded(packet, i):
            out = []
            for frame in decode(packet):
                if packet.pts is not None and frame.pts != packet.pts:
                    self.stride = 1          # not one picture per packet in order: stop skipping
                out.append(convert(frame, i))
                self.decoded += 1
            return out

        for packet in packets:
            if not packet.size:
                continue
            if self.stride > 1 and (index - start) % stride and not wants_thumb(index):
                held.append((packet, index))
                index += 1
                continue
            now = decoded(packet, index)
            if held:
                cur = now[0] if len(now) == 1 else None
                calm = prev is not None and cur is not None and quiet(prev, cur)
                if not calm:
                    changed = cur.index if cur is not None else index
                if self.stride > 1 and calm and prev.index - changed >= SETTLE:
                    for packet_j, j in held:
                        t = (j - prev.index) / max(1, cur.index - prev.index)
                        yield replace(prev, index=j, pts=packet_j.pts, time=time_of(packet_j.pts),
                                      small=_blend(prev.small, cur.small, t),
                                      luma=_blend(prev.luma, cur.luma, t), thumb=None), j
                        self.blended += 1
                else:
                    for packet_j, j in held:
                        for af in decoded(packet_j, j):
                            yield af, j
                held = []
            for af in now:
                yield af, index
                prev = af
            index += 1
        for packet_j, j in held:                    # the file ended on skipped pictures
            for af in decoded(packet_j, j):
                yield af, j


def exact_time(pts: Optional[int], time_base: Optional[Fraction]) -> Fraction:
    return Fraction(pts) * time_base if pts is not None and time_base else Fraction(0)
