"""Reel (tape) names: at most 8 characters, deterministic per file, unique within an export.

CMX3600 reels are 8 characters; Avid matches ALE ``Tape`` against EDL reels, so both come from
here. Camera-original names give their clip id (A001C002); short names are used as they are;
anything else becomes 4 letters of the name plus a 4-character hash of the file name.

With ``source="embedded"`` the reel (tape) name the file carries wins where it has one: QuickTime's
timecode-track ``reel_name`` (what cameras and ffmpeg write), ``com.apple.quicktime.reel``, an MXF
tape/reel name (PyAV stream or container metadata); a file without one keeps the file-name rule.
"""

from __future__ import annotations

import hashlib
import os
import re
from base64 import b32encode
from functools import lru_cache
from typing import Optional

from camtag.export.text import ascii_fold
from camtag.model import MediaInfo

_CAMERA_CLIP = re.compile(r"^([A-Za-z]\d{3}[A-Za-z]\d{3})")
_RESERVED_REELS = {"BL", "BLK", "BLACK", "AX", "AUX", "BARS", "ISO"}
REEL_SOURCES = ("file", "embedded")     # file-name rule / embedded reel name, else the file rule
_REEL_KEYS = ("reel_name", "com.apple.quicktime.reel", "com.apple.proapps.reel", "reel",
              "tape_name", "tape", "com.apple.quicktime.camera.reel")


def _hashed_reel(basename: str, clean: str) -> str:
    digest = b32encode(hashlib.sha1(basename.encode("utf-8")).digest()).decode()
    return (clean[:4] or "CLIP").ljust(4, "X") + digest[:4]


def clean_reel(text: str) -> Optional[str]:
    """An embedded reel name as a CMX reel ([A-Z0-9], at most 8): None when nothing usable is left
    (empty, only symbols, or a name that means black/aux in an EDL)."""
    match = _CAMERA_CLIP.match(text.strip())
    if match:
        return match.group(1).upper()
    clean = re.sub(r"[^A-Z0-9]", "", ascii_fold(text, "").upper())[:8]
    return clean if clean and clean not in _RESERVED_REELS else None


@lru_cache(maxsize=4096)
def embedded_reel(path: str) -> Optional[str]:
    """The reel/tape name the file carries in its metadata (cleaned), or None (none, unreadable)."""
    try:
        from camtag.media.probe import open_container

        container = open_container(path)
    except Exception:  # noqa: BLE001 - a moved or unreadable file has no embedded reel
        return None
    try:
        tables = [dict(s.metadata) for s in container.streams] + [dict(container.metadata)]
    finally:
        container.close()
    for key in _REEL_KEYS:
        for table in tables:
            found = {k.lower(): v for k, v in table.items()}.get(key)
            reel = clean_reel(str(found)) if found else None
            if reel:
                return reel
    return None


def reel_name(path: str, source: str = "file") -> str:
    """A deterministic reel of at most 8 characters [A-Z0-9] for a media file.

    Camera-original names (A001C002_…) give their clip id; short names are used as they are;
    anything else becomes 4 letters of the name plus a 4-character hash of the file name.
    ``source="embedded"``: the file's own reel name first (:func:`embedded_reel`).
    """
    if source == "embedded":
        reel = embedded_reel(path)
        if reel:
            return reel
    base = os.path.basename(path)
    stem = os.path.splitext(base)[0]
    match = _CAMERA_CLIP.match(stem)
    if match:
        return match.group(1).upper()
    clean = re.sub(r"[^A-Z0-9]", "", ascii_fold(stem, "").upper())
    if 0 < len(clean) <= 8 and clean not in _RESERVED_REELS:
        return clean
    return _hashed_reel(base, clean)


def assign_reels(media: list[MediaInfo], warnings: list[str],
                 source: str = "file") -> dict[str, str]:
    if source not in REEL_SOURCES:
        raise ValueError(f"reel source {source!r}: use one of {', '.join(REEL_SOURCES)}")
    reels: dict[str, str] = {}
    owner: dict[str, str] = {}
    for m in media:
        reel = first = reel_name(m.path, source)
        if reel in owner and owner[reel] != m.path:
            base = os.path.basename(m.path)
            reel = _hashed_reel(m.path, re.sub(r"[^A-Z0-9]", "", ascii_fold(base, "").upper()))
            warnings.append(f"{base}: reel name clashes with {os.path.basename(owner[first])}; "
                            f"using reel {reel}")
        owner.setdefault(reel, m.path)
        reels[m.path] = reel
    return reels
