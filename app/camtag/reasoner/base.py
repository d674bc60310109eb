"""The reasoner backend Protocol, its errors and the registry by name.

A backend answers a shot's questions about its frames with the model's raw text and, where the
engine exposes them, the probabilities of the answer letters. The frames and the shared prompt
prefix are evaluated once per shot (``ask_all``); each question continues from that state. It is
created cheaply (no model loaded), reports whether it can run, loads on demand and frees its
memory on ``close()``. Backend modules import their heavy dependencies inside methods, so
importing a backend module is always cheap and safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Protocol, Sequence, runtime_checkable

from camtag.media.frames import ShotFrame
from camtag.reasoner.prompts import Question

if TYPE_CHECKING:
    from camtag.reasoner.inputs import PresetBudget

DEFAULT_MAX_NEW_TOKENS = 1024     # ~1,000 characters of O-T-A output is typical; 1024 tokens is ample


class ReasonerError(Exception):
    """A model problem with a one-line message for the user. ``fatal``: no point trying the
    next shot (missing or mismatched files, out of memory, server down)."""

    def __init__(self, message: str, *, fatal: bool = True) -> None:
        super().__init__(message)
        self.fatal = fatal


class FramesTooMany(ReasonerError):
    """The frames did not fit (context too small, out of memory): the job retries with fewer."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fatal=False)


class ModelFileError(ReasonerError):
    """Missing, truncated or mismatched model files."""


@dataclass
class Reply:
    """One answer. ``letter_probs``: the model's probability of each option letter at the step
    it wrote the letter (normalised over the question's letters), ``None`` when the engine gave
    no logits/logprobs; ``problems``: what went wrong without stopping the answer."""

    text: str
    seconds: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    extra: dict = field(default_factory=dict)
    letter_probs: dict[str, float] | None = None
    problems: tuple[str, ...] = ()


def new_work() -> dict[str, int]:
    """A backend's running counters of the work it did (``Backend.work``)."""
    return {"shots": 0, "prefills": 0, "images": 0, "prefix_tokens": 0, "suffix_tokens": 0,
            "decoded_tokens": 0, "questions": 0, "decode_calls": 0}


@runtime_checkable
class Backend(Protocol):
    name: str                 # the engine that actually runs (recorded with the results)
    settings: dict
    work: dict                # running counters, see :func:`new_work`
    budget: "PresetBudget"    # frames and pixels per shot (camtag.reasoner.inputs presets)

    @property
    def model_id(self) -> str:
        """What answers: a file name, folder or server model id (recorded with every result)."""

    def availability(self) -> str:
        """``"ok"`` or one line saying why this backend cannot run here (cheap, loads nothing)."""

    def load(self) -> None:
        """Load the model; raises :class:`ReasonerError`. Calling it twice is harmless."""

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        """One greedy generation for one question about the frames, in time order."""

    def ask_all(self, frames: Sequence[ShotFrame], questions: Sequence[Question]) -> Iterator[Reply]:
        """The replies to ``questions``, in order, from one prefill of the frames (yielded as
        each finishes, so a failure or cancel keeps the earlier ones)."""

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
    from camtag.registry import load

    return load(target)


def create(name: str, settings: dict | None = None) -> Backend:
    return backend_class(name)(settings or {})


def register(name: str, target: str) -> None:
    """Add a backend: ``register("mine", "package.module:Class")``."""
    REGISTRY[name] = target
