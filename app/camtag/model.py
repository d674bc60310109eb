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
    decoder: str = ""                        # which decoder ran: "software (h264)", "cuda (hevc)"…
    settings: dict = field(default_factory=dict, compare=False, hash=False)
    motion: object = None                    # camtag.motion.curves.MotionCurves or None
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()             # e.g. broken frames skipped, with positions


# -- what to run ---------------------------------------------------------------------------------
DEFAULT_DETECTOR = "fused"
DETECTOR_NAMES = ("adaptive", "fused", "transnet")           # = camtag.shots.base.DETECTORS
ENGINE_NAMES = ("geometry", "auto", "llamacpp", "transformers", "server")
QUESTION_MODES = ("plan", "thorough")
REASONER_KEYS = ("model_path", "mmproj_path", "hf_model_dir", "server_url", "server_model",
                 "allow_cpu", "n_threads", "n_gpu_layers", "n_ctx", "device", "quantization",
                 "preset", "prefix_reuse", "calibration", "experimental_dominant",
                 "server_parallel", "server_logprobs", "setup_questions", "parallel_questions")


class RequestError(ValueError):
    """An analysis request with a value out of range or an unknown name (one line, for the user)."""


def _number(name: str, value, low: float, high: float, *, integer: bool = False):
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (integer and not float(value).is_integer()):
        raise RequestError(f"{name} must be {'a whole number' if integer else 'a number'}, "
                           f"got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise RequestError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return int(value) if integer else float(value)


@dataclass(frozen=True)
class AnalysisRequest:
    """What one analysis runs with: the only home of the defaults. Validated when made (a
    :class:`RequestError` names the bad value). ``reasoner``: the model backend's options
    (``model_path``, ``server_url``...) when ``engine`` is not ``geometry``."""

    detector: str = DEFAULT_DETECTOR
    sensitivity: float = 1.0                   # > 1 finds more cuts, < 1 fewer
    min_shot_seconds: float = 0.25
    flash_frames: int = 3
    motion: bool = True
    posters: bool = True
    motion_settings: dict = field(default_factory=dict, hash=False)
    engine: str = "geometry"
    mode: str = "plan"                          # model question plan
    reasoner: dict = field(default_factory=dict, hash=False)

    ANALYSIS_KEYS = ("sensitivity", "min_shot_seconds", "flash_frames", "motion", "posters",
                     "motion_settings")

    def __post_init__(self) -> None:
        if self.detector not in DETECTOR_NAMES:
            raise RequestError(f"unknown detector {self.detector!r}; choose one of "
                               f"{', '.join(DETECTOR_NAMES)}")
        if self.engine not in ENGINE_NAMES:
            raise RequestError(f"unknown engine {self.engine!r}; choose one of "
                               f"{', '.join(ENGINE_NAMES)}")
        if self.mode not in QUESTION_MODES:
            raise RequestError(f"unknown question mode {self.mode!r}; choose one of "
                               f"{', '.join(QUESTION_MODES)}")
        set_ = object.__setattr__
        set_(self, "sensitivity", _number("sensitivity", self.sensitivity, 0.01, 100.0))
        set_(self, "min_shot_seconds", _number("min shot", self.min_shot_seconds, 0.0, 3600.0))
        set_(self, "flash_frames", _number("flash frames", self.flash_frames, 0, 1000,
                                            integer=True))
        for name, flag in (("motion", self.motion), ("posters", self.posters)):
            if not isinstance(flag, bool):
                raise RequestError(f"{name} must be true or false, got {flag!r}")
        for name, mapping in (("motion_settings", self.motion_settings), ("reasoner", self.reasoner)):
            if not isinstance(mapping, dict):
                raise RequestError(f"{name} must be a mapping, got {mapping!r}")
            set_(self, name, dict(mapping))

    @classmethod
    def from_settings(cls, settings: Optional[dict] = None, detector: Optional[str] = None, *,
                      strict: bool = True) -> "AnalysisRequest":
        """From a settings mapping (``--set KEY=VALUE``, the UI, a stored analysis): unknown keys
        are refused when ``strict`` (else dropped); ``detector`` wins over ``settings["detector"]``."""
        data = dict(settings or {})
        kwargs: dict = {}
        reasoner = dict(data.pop("reasoner", None) or {})
        for key, value in data.items():
            if key in cls.ANALYSIS_KEYS or key in ("detector", "engine", "mode"):
                kwargs[key] = value
            elif key == "model":
                if value:
                    reasoner.setdefault("model_path", value)
            elif key in REASONER_KEYS:
                reasoner[key] = value
            elif strict:
                raise RequestError(f"unknown analysis setting {key!r}; known: "
                                   f"{', '.join(('detector',) + cls.ANALYSIS_KEYS)}")
        if detector:
            kwargs["detector"] = detector
        return cls(reasoner=reasoner, **kwargs)

    def settings(self) -> dict:
        """The analysis settings as stored with a result (the detector is stored on its own)."""
        out = {"sensitivity": self.sensitivity, "min_shot_seconds": self.min_shot_seconds,
               "flash_frames": self.flash_frames, "motion": self.motion, "posters": self.posters,
               "motion_settings": dict(self.motion_settings)}
        if self.engine != "geometry":
            out.update(engine=self.engine, mode=self.mode, reasoner=dict(self.reasoner))
        return out

    def min_shot_frames(self, rate: Fraction) -> int:
        return max(1, round(self.min_shot_seconds * float(rate)))
