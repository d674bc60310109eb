"""Shared builders for the library tests (tests/core/test_library_*.py)."""

from __future__ import annotations

import os
import random
import sqlite3
import sys
from fractions import Fraction

from camtag.library import open_library
from camtag.model import Analysis, MediaInfo, Segment, Shot, Tag, Trace, Transition

TAGS = ["pan_left", "pan_right", "tilt_up", "zoom_in", "dolly_in", "handheld"]
SOURCES = ["geometry", "vlm", "fusion"]
WORDS = ["parallax", "horizon", "reshoot", "focus", "crane", "window"]
from media_paths import SHOTS_DIR as _SHOTS
SHOTS_DIR = str(_SHOTS)
CLIP = os.path.join(SHOTS_DIR, "pyscenedetect_issue-195-aspect-ratio.mp4")
APP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "app"))


def make_media(name: str, frames: int = 2000, rate: Fraction = Fraction(25)) -> MediaInfo:
    return MediaInfo(path=f"/footage/{name}", container="mov", codec="prores", width=1920,
                     height=1080, rate=rate, frames=frames, duration=Fraction(frames) / rate,
                     start_timecode="01:00:00:00", start_frame=90000)


def make_analysis(name: str, n_shots: int, seed: int = 0, engine: str = "geometry",
                  detector: str = "fused", settings: dict | None = None,
                  cuts: list[int] | None = None) -> Analysis:
    """Shots with 1-3 tags (always at least one), a trace and sometimes a note."""
    rng = random.Random(seed)
    if cuts is None:
        cuts, frame = [], 0
        for _ in range(n_shots):
            cuts.append(frame)
            frame += rng.randint(10, 120)
        cuts.append(frame)
    shots = []
    for k, (start, end) in enumerate(zip(cuts, cuts[1:])):
        chosen = rng.sample(TAGS, rng.randint(1, 3))
        tags = tuple(Tag(t, rng.choice([0.2, 0.4, 0.6, 0.7, 0.9, 1.0]), rng.choice(SOURCES), "why")
                     for t in chosen)
        words = " ".join(rng.sample(WORDS, 2))
        shots.append(Shot(
            index=k, start_frame=start, end_frame=end,
            transition_in=Transition(rng.choice(["cut", "dissolve"]), start, start + 1),
            tags=tags, segments=(Segment(start, end, (chosen[0],), 0.5),),
            traces=(Trace(f"the camera shows {words}", "because", chosen[0], "geometry"),),
            evidence={"curve": [rng.random() for _ in range(12)], "speed": 1.5},
            note=f"note about {rng.choice(WORDS)}" if rng.random() < 0.3 else ""))
    return Analysis(make_media(name, cuts[-1] + 10), tuple(shots), detector=detector,
                    engine=engine, settings=settings or {})


def new_library(tmp_path, name: str = "lib.sqlite"):
    return open_library(f"sqlite:///{tmp_path / name}")


def raw(path) -> sqlite3.Connection:
    """An independent connection straight to the file (not through camtag)."""
    return sqlite3.connect(str(path))


def camtag_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "camtag", *args]


def subprocess_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = APP + os.pathsep + env.get("PYTHONPATH", "")
    return env
