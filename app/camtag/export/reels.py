"""Reel (tape) names: at most 8 characters, deterministic per file, unique within an export.

CMX3600 reels are 8 characters; Avid matches ALE ``Tape`` against EDL reels, so both come from
here. Camera-original names give their clip id (A001C002); short names are used as they are;
anything else becomes 4 letters of the name plus a 4-character hash of the file name.
"""

from __future__ import annotations

import hashlib
import os
import re
from base64 import b32encode

from camtag.export.text import ascii_fold
from camtag.model import MediaInfo

_CAMERA_CLIP = re.compile(r"^([A-Za-z]\d{3}[A-Za-z]\d{3})")
_RESERVED_REELS = {"BL", "BLK", "BLACK", "AX", "AUX", "BARS", "ISO"}


def _hashed_reel(basename: str, clean: str) -> str:
    digest = b32encode(hashlib.sha1(basename.encode("utf-8")).digest()).decode()
    return (clean[:4] or "CLIP").ljust(4, "X") + digest[:4]


def reel_name(path: str) -> str:
    """A deterministic reel of at most 8 characters [A-Z0-9] for a media file.

    Camera-original names (A001C002_…) give their clip id; short names are used as they are;
    anything else becomes 4 letters of the name plus a 4-character hash of the file name.
    """
    base = os.path.basename(path)
    stem = os.path.splitext(base)[0]
    match = _CAMERA_CLIP.match(stem)
    if match:
        return match.group(1).upper()
    clean = re.sub(r"[^A-Z0-9]", "", ascii_fold(stem, "").upper())
    if 0 < len(clean) <= 8 and clean not in _RESERVED_REELS:
        return clean
    return _hashed_reel(base, clean)


def assign_reels(media: list[MediaInfo], warnings: list[str]) -> dict[str, str]:
    reels: dict[str, str] = {}
    owner: dict[str, str] = {}
    for m in media:
        reel = reel_name(m.path)
        if reel in owner and owner[reel] != m.path:
            base = os.path.basename(m.path)
            reel = _hashed_reel(m.path, re.sub(r"[^A-Z0-9]", "", ascii_fold(base, "").upper()))
            warnings.append(f"{base}: reel name clashes with {os.path.basename(owner[reel_name(m.path)])}; "
                            f"using reel {reel}")
        owner.setdefault(reel, m.path)
        reels[m.path] = reel
    return reels
