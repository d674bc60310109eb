"""The shot-detector Protocol, its settings and the registry by name."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Protocol, runtime_checkable

from camtag.media.decode import AnalysisFrame, FrameSpec
from camtag.model import Boundary


@dataclass(frozen=True)
class DetectorSettings:
    sensitivity: float = 1.0          # > 1 finds more cuts, < 1 fewer
    min_shot_frames: int = 6          # shorter shots are merged into their neighbour (MERGE)
    flash_frames: int = 3             # a flash of up to this many frames is not a cut
    rate: Fraction = Fraction(25)     # the media's nominal rate, for time-based windows


@runtime_checkable
class ShotDetector(Protocol):
    """Fed every analysis frame in decode order; returns boundaries as soon as they are final."""

    NAME: str
    spec: FrameSpec

    def process(self, frame: AnalysisFrame) -> list[Boundary]: ...

    def finish(self) -> list[Boundary]: ...


class DetectorUnavailable(RuntimeError):
    """The detector needs an optional dependency that is not installed."""


_REGISTRY: dict[str, Callable[[DetectorSettings], ShotDetector]] = {}


def register(name: str):
    def wrap(factory):
        _REGISTRY[name] = factory
        return factory
    return wrap


def available_detectors() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def create_detector(name: str, settings: DetectorSettings) -> ShotDetector:
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(f"unknown detector {name!r}; choose one of {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](settings)


def _load_all() -> None:
    # importing the modules registers them; optional dependencies are imported lazily inside
    import importlib

    for name in _MODULES:
        importlib.import_module(f"camtag.shots.{name}")


_MODULES = ("adaptive_detector", "transnet_detector", "fused_detector")
