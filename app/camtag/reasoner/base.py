"""The reasoner backend Protocol, its errors and the registry by name.

A backend answers one question about one shot's frames with the model's raw text. It is
created cheaply (no model loaded), reports whether it can run, loads on demand and frees its
memory on ``close()``. Backend modules import their heavy dependencies inside methods, so
importing a backend module is always cheap and safe.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from camtag.media.frames import ShotFrame
from camtag.reasoner.prompts import Question

DEFAULT_MAX_NEW_TOKENS = 1024     # ~1,000 characters of O-T-A output is typical; 1024 tokens is ample


class ReasonerError(Exception):
    """A model problem with a one-line message for the user. ``fatal``: no point trying the
    next shot (missing or mismatched files, out of memory, server down)."""

    def __init__(self, message: str, *, fatal: bool = True) -> None:
        super().__init__(message)
        self.fatal = fatal


class ModelFileError(ReasonerError):
    """Missing, truncated or mismatched model files."""


@dataclass
class Reply:
    text: str
    seconds: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    extra: dict = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    name: str
    settings: dict

    @property
    def model_id(self) -> str:
        """What answers: a file name, folder or server model id (recorded with every result)."""

    def availability(self) -> str:
        """``"ok"`` or one line saying why this backend cannot run here (cheap, loads nothing)."""

    def load(self) -> None:
        """Load the model; raises :class:`ReasonerError`. Calling it twice is harmless."""

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        """One greedy generation for one question about the frames, in time order."""

    def close(self) -> None:
        """Free the model (GPU memory included)."""


# name -> "module:Class", imported on first use
REGISTRY: dict[str, str] = {
    "llamacpp": "camtag.reasoner.llamacpp_backend:LlamaCppBackend",
    "transformers": "camtag.reasoner.transformers_backend:TransformersBackend",
    "server": "camtag.reasoner.server_backend:ServerBackend",
}


def backend_class(name: str):
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown reasoner backend {name!r} (known: {', '.join(REGISTRY)})") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def create(name: str, settings: dict | None = None) -> Backend:
    return backend_class(name)(settings or {})


def register(name: str, target: str) -> None:
    """Add a backend: ``register("mine", "package.module:Class")``."""
    REGISTRY[name] = target
