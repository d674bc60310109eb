"""Posters for the two halves of a split shot: the frame a third into each half (as the analysis
picks them), decoded once with the player's reader and written beside the analysis' posters under
names of their own, so that undo shows the old poster again. Posters are optional: any problem
means no new poster, never a failed split."""

from __future__ import annotations

import os
from typing import Optional

from camtag.ui.frame_reader import FrameReader
from camtag.ui.frame_server import to_qimage


def poster_frame(start: int, end: int) -> int:
    return start + (end - start) // 3


def write_posters(folder: Optional[str], media, spans: list[tuple[int, int]]) -> list[Optional[str]]:
    """One JPEG per (start, end) span in ``folder``; None where it could not be made."""
    out: list[Optional[str]] = [None] * len(spans)
    if not folder or media is None:
        return out
    try:
        os.makedirs(folder, exist_ok=True)
        reader = FrameReader(media.path, rotation=media.rotation, sar=media.sar, max_size=(480, 270))
    except Exception:  # noqa: BLE001 - a moved file, an unreadable folder: no poster
        return out
    try:
        for n, (start, end) in enumerate(spans):
            dest = os.path.join(folder, f"shot_{start:08d}_{end:08d}.jpg")
            try:
                if os.path.exists(dest) or to_qimage(reader.read(poster_frame(start, end))).save(
                        dest, "JPG", 85):
                    out[n] = dest
            except Exception:  # noqa: BLE001 - a frame that does not decode: no poster
                continue
    finally:
        reader.close()
    return out
