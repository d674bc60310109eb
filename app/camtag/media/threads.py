"""How many threads the decode pass and OpenCV use.

``$CAMTAG_THREADS`` caps one analysis (Ray tasks set it to the CPUs they hold; 0 = all cores);
FFmpeg's frame threads are further capped by the pictures they hold (:func:`frame_threads`), and
OpenCV runs on its callers' threads during an analysis (:func:`opencv_one_thread`).
"""

from __future__ import annotations

import os

from camtag.media.probe import frame_bytes

# FFmpeg's frame threads are capped so their pictures in flight stay within this (frame_threads)
DECODER_BYTES = 320 << 20


def thread_cap() -> int:
    """``$CAMTAG_THREADS``: threads one analysis may use (0 = all cores). Ray tasks set it to
    the CPUs they hold; decode and torch follow it (OpenCV: :func:`opencv_one_thread`)."""
    try:
        return max(0, int(os.environ.get("CAMTAG_THREADS", "0")))
    except ValueError:
        return 0


def frame_threads(size: int, cap: int, cores: int) -> int:
    """FFmpeg frame threads for pictures of ``size`` bytes (:func:`probe.frame_bytes`): ``cap``
    (``$CAMTAG_THREADS``; 0 = FFmpeg's own choice, a thread per core plus one, at most 16), fewer
    where their pictures in flight would pass ``DECODER_BYTES``; 0 leaves the count to FFmpeg.
    A frame thread holds 0.7-1.2 ``size`` (measured a thread: 4K 10-bit HEVC 39 MB, ProRes 422
    HQ 36 MB, 8-bit H.264 30 MB): with FFmpeg's 17 threads on 16 cores a 4K analysis peaked at
    904-914 MB, past the 600 MB it may take; the cap (6 threads at 4K 10-bit, 12 at 8-bit) keeps it
    near 500 MB (benchmarks/RESULTS.md "Decode ceiling (issue 21)"). At least 2 (one picture
    decoding while the last is handed out), unless capped to 1."""
    most = max(2, DECODER_BYTES // max(1, size))
    if cap:
        return min(cap, most)
    return most if min(cores + 1, 16) > most else 0


def cap_frame_threads(stream) -> None:
    """:func:`frame_threads` on an opened PyAV video stream (before its first decode), for the
    readers beside the analysis (model frames, the player)."""
    ctx = stream.codec_context
    n = frame_threads(frame_bytes(ctx.width or 1, ctx.height or 1, ctx.pix_fmt or ""), thread_cap(),
                      os.cpu_count() or 1)
    if n:
        ctx.thread_count = n


def opencv_one_thread() -> None:
    """OpenCV's calls run on the thread that makes them (process-wide). An analysis calls it on
    small pictures only (the 640-wide luma, 128×72 thumbnails: tracking, fits, flow), and gets
    its parallelism from its own threads (decode, conversion, motion); OpenCV's pool, one
    thread per core, spins up for each call and costs more than it saves: on 16 cores the
    motion thread burnt 8.2 s of CPU for a 25-s 1080p clip with the pool against 1.3 s without,
    and the analysis was slower (1.86 → 1.41 s wall; benchmarks/RESULTS.md "Decode ceiling
    (issue 21)"). Results are the same with any number of OpenCV threads."""
    import cv2

    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
