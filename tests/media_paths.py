"""Where the shared test media live: ``$CAMTAG_SHARED`` or the ``shared/`` folder beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    for cand in (os.environ.get("CAMTAG_SHARED"), _ROOT.parent / "shared", _ROOT / "shared"):
        if cand and Path(cand, "media").is_dir():
            return Path(cand)
    return _ROOT.parent / "shared"


SHARED = shared_dir()
SHOTS_DIR = SHARED / "media" / "shots"
CAMERA_DIR = SHARED / "media" / "camera"
HAVE_MEDIA = SHOTS_DIR.is_dir() and CAMERA_DIR.is_dir()
# the one reason every media-dependent test gives when the shared media are absent
MISSING_REASON = (f"shared test media not found at {SHARED} (the shared/ folder beside the repository, "
                  f"or set CAMTAG_SHARED=PATH; README's Quick start says what it holds)")
