"""Shared pieces for tests/core/test_reasoner_*.py: paths to the shared media and small builders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from camtag.model import Shot, Tag, Trace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))       # tests/ (media_paths)
import media_paths  # noqa: E402


def shared_dir() -> Path:
    """``$CAMTAG_SHARED`` or ``shared/`` beside the repository (tests/media_paths.py); skip without it."""
    found = media_paths.shared_dir()
    if not (found / "media").is_dir():
        pytest.skip("shared/ test media not found: set CAMTAG_SHARED or put shared/ beside the repository")
    return found


def media_path(*parts: str) -> str:
    return str(shared_dir().joinpath("media", *parts))


# A reply with every part distinct (the scripted tiny model needs that) in the trained format.
SCRIPTED_REPLY = ("<observation>The background slides right across the frames.</observation>"
                  "<think>Content moving right means the camera turns left.</think> <answer>B</answer>")


def geo_shot(index: int = 0, start: int = 0, end: int = 30, **tags: float) -> Shot:
    return Shot(index, start, end,
                tags=tuple(Tag(t, c, "geometry", f"measured {t}") for t, c in tags.items()),
                traces=(Trace("the background moved", "one homography explains it", "pan_left"),),
                evidence={"pan_px": -120.0})
