"""Shared pieces for tests/core/test_reasoner_*.py: paths to the shared media and small builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from camtag.model import Shot, Tag, Trace


def shared_dir() -> Path:
    for cand in (os.environ.get("CAMTAG_SHARED"), Path(__file__).resolve().parents[3] / "shared", "/work/shared"):
        if cand and (Path(cand) / "media").is_dir():
            return Path(cand)
    pytest.skip("shared/ (test media and reference sheets) is not beside the repository")


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
