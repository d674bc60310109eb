"""Plain frozen dataclasses that cross every seam (core ↔ UI, pipeline ↔ library ↔ export).

Frames are integers in decode order, rates are ``Fraction``s; timecode is computed at the
edges with :mod:`camtag.timebase`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Optional

from camtag import timebase

TRANSITION_TYPES = ("cut", "fade_in", "fade_out", "dissolve")
TAG_SOURCES = ("geometry", "vlm", "fusion", "editor")


@dataclass(frozen=True)
class MediaInfo:
    path: str
    container: str
    codec: str
    width: int
    height: int
    rate: Fraction                 # nominal frame rate
    frames: int                    # exact count in decode order
    duration: Fraction             # seconds, from the stream's timestamps
    time_base: Fraction = Fraction(1, 1000)
    rotation: int = 0              # display rotation, degrees counter-clockwise (display matrix)
    sar: Fraction = Fraction(1)    # sample (pixel) aspect ratio
    pix_fmt: str = ""
    bit_depth: int = 8
    start_timecode: Optional[str] = None
    start_frame: int = 0           # start timecode as a frame count at the nominal rate
    drop_frame: bool = False
    vfr: bool = False
    has_audio: bool = False
    size_bytes: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: pixel aspect applied, then rotation."""
        w = round(self.width * self.sar) if self.sar != 1 else self.width
        h = self.height
        return (h, w) if self.rotation % 180 else (w, h)

    def timecode(self, frame: int) -> str:
        """Source timecode of a 0-based frame index (constant-rate mapping)."""
        return timebase.frames_to_timecode(self.start_frame + frame, self.rate, self.drop_frame)


@dataclass(frozen=True)
class Transition:
    """How a shot begins. ``end_frame`` is exclusive; a cut has start == end - 1 == the first frame."""

    type: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Boundary:
    """A detector's finding: the new shot starts at ``frame``; the transition spans [start, end)."""

    frame: int
    type: str = "cut"
    start_frame: int = -1
    end_frame: int = -1
    score: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.start_frame < 0:
            object.__setattr__(self, "start_frame", self.frame)
        if self.end_frame < 0:
            object.__setattr__(self, "end_frame", max(self.frame, self.start_frame) + 1)


@dataclass(frozen=True)
class Tag:
    id: str
    confidence: float
    source: str = "geometry"
    reason: str = ""
    start_frame: Optional[int] = None  # a tag may cover only part of the shot
    end_frame: Optional[int] = None


@dataclass(frozen=True)
class Segment:
    """A stretch of a shot with one kind of movement. ``end_frame`` is exclusive."""

    start_frame: int
    end_frame: int
    tags: tuple[str, ...]
    confidence: float = 0.0


@dataclass(frozen=True)
class Trace:
    """Observation / reasoning / answer, the shape CamReasoner answers in."""

    observation: str = ""
    reasoning: str = ""
    answer: str = ""
    source: str = "geometry"
    raw: str = ""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shot:
    index: int
    start_frame: int
    end_frame: int                           # exclusive
    transition_in: Optional[Transition] = None
    poster: Optional[str] = None
    tags: tuple[Tag, ...] = ()
    segments: tuple[Segment, ...] = ()
    traces: tuple[Trace, ...] = ()
    evidence: dict = field(default_factory=dict, compare=False, hash=False)
    note: str = ""
    start_time: Optional[Fraction] = None    # seconds from the stream's timestamps (exact for VFR)
    end_time: Optional[Fraction] = None

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame

    def with_(self, **changes) -> "Shot":
        return replace(self, **changes)


@dataclass(frozen=True)
class Analysis:
    media: MediaInfo
    shots: tuple[Shot, ...]
    detector: str = ""
    engine: str = "geometry"
    settings: dict = field(default_factory=dict, compare=False, hash=False)
    motion: object = None                    # camtag.motion.curves.MotionCurves or None
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()             # e.g. broken frames skipped, with positions
