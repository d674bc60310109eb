"""The shot-detector Protocol, its settings and the registry by name."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional, Protocol, Sequence, runtime_checkable

from camtag.media.decode import AnalysisFrame, FrameSpec
from camtag.model import Boundary
from camtag.registry import load


@dataclass(frozen=True)
class DetectorSettings:
    sensitivity: float = 1.0          # > 1 finds more cuts, < 1 fewer
    min_shot_frames: int = 6          # shorter shots are merged into their neighbour (MERGE)
    flash_frames: int = 3             # a flash of up to this many frames is not a cut
    rate: Fraction = Fraction(25)     # the media's nominal rate, for time-based windows


@runtime_checkable
class ShotDetector(Protocol):
    """Fed every analysis frame in decode order; returns boundaries as soon as they are final.

    ``name``: what ran (e.g. ``fused(adaptive only)`` without TransNetV2), recorded with the result;
    ``warnings``: what the user should know about this run; ``horizon``: frames before this one
    get no further boundary (None: the pipeline assumes a fixed lag); ``status``: a slow step the
    detector takes at its next frame (``"loading TransNetV2…"``), shown by progress displays."""

    NAME: str
    spec: FrameSpec

    @property
    def name(self) -> str: ...

    @property
    def warnings(self) -> Sequence[str]: ...

    @property
    def horizon(self) -> Optional[int]: ...

    @property
    def status(self) -> Optional[str]: ...

    def process(self, frame: AnalysisFrame) -> list[Boundary]: ...

    def finish(self) -> list[Boundary]: ...


class DetectorUnavailable(RuntimeError):
    """The detector needs an optional dependency that is not installed."""


# The registry, as data: name -> "module:Class" (the class takes DetectorSettings), imported on use.
DETECTORS: dict[str, str] = {
    "adaptive": "camtag.shots.adaptive_detector:AdaptiveDetector",
    "fused": "camtag.shots.fused_detector:FusedDetector",
    "transnet": "camtag.shots.transnet_detector:TransNetDetector",
}


def available_detectors() -> list[str]:
    return sorted(DETECTORS)


def create_detector(name: str, settings: DetectorSettings) -> ShotDetector:
    if name not in DETECTORS:
        raise KeyError(f"unknown detector {name!r}; choose one of {', '.join(sorted(DETECTORS))}")
    factory: Callable[[DetectorSettings], ShotDetector] = load(DETECTORS[name])
    return factory(settings)
