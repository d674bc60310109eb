"""The default detector: the adaptive detector's cuts and blends fused with TransNetV2.

Measured on the shared clips: the classical path finds hard cuts (including same-set jump
cuts TransNetV2 misses) and clean fades/dissolves; TransNetV2 finds gradual transitions in
moving footage. Fusion rules, applied once TransNetV2 has seen past a boundary:
- classical boundaries are kept, except a classical cut inside a TransNetV2 gradual run
  (fade edges), which gives way to that run;
- a TransNetV2 boundary within 2 frames of (or overlapping) a classical one is a duplicate;
- a TransNetV2-only cut must also change the picture's structure (not only its colour).
TransNetV2 looks only at the 100-frame windows where the classical path saw a gradual change it
could not explain by a cut or by camera movement (:class:`camtag.shots.gate.MixGate`); the rest
costs nothing, and the network loads at the first window it needs. Without torch the detector runs the classical path alone and says
so in ``warnings``.
"""

from __future__ import annotations

import numpy as np

from camtag.media.decode import AnalysisFrame, FrameSpec
from camtag.model import Boundary
from camtag.shots._boundaries import BoundaryFilter
from camtag.shots.adaptive_detector import AdaptiveDetector
from camtag.shots.base import DetectorSettings, DetectorUnavailable
from camtag.shots.gate import MixGate

_NEAR = 2


class FusedDetector:
    NAME = "fused"
    horizon = None               # frames settle after a fixed lag (the pipeline's default)

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self.adaptive = AdaptiveDetector(self.settings)
        self.warnings: list[str] = []
        self.gate = MixGate(self.adaptive)
        try:
            from camtag.shots.transnet_detector import TransNetDetector
            self.transnet = TransNetDetector(self.settings, gate=self.gate.opens)
        except DetectorUnavailable as exc:
            self.transnet = None
            self.warnings.append(
                "shots by the classical detector alone: it finds cuts, fades and dissolves, "
                "and the fused detector is surer of dissolves over moving pictures with "
                f"TransNetV2. {exc}")
        self.spec = FrameSpec(small_size=(128, 72))
        self._classical: list[Boundary] = []
        self._neural: list[Boundary] = []
        self._filter = BoundaryFilter(self.settings.min_shot_frames)
        self._index = -1
        self._recent: list[Boundary] = []

    @property
    def status(self) -> str | None:
        """A slow step at the next frame (TransNetV2's first load), for the progress display."""
        return self.transnet.status if self.transnet is not None else None

    @property
    def name(self) -> str:
        return self.NAME if self.transnet is not None else "fused(adaptive only)"

    def process(self, frame: AnalysisFrame) -> list[Boundary]:
        self._index = frame.index
        self._classical += self.adaptive.process(frame)
        if self.transnet is None:
            return self._push(self._take_classical(None), self.adaptive.horizon)
        self.gate.add(frame.index, frame.small)
        self._neural += self.transnet.process(frame)
        return self._merge(horizon=min(self.adaptive.horizon, self.transnet.horizon))

    def finish(self) -> list[Boundary]:
        self._classical += self.adaptive.finish()
        if self.transnet is None:
            return self._push(self._take_classical(None), None)
        self._neural += self.transnet.finish()
        return self._merge(horizon=None)

    def _take_classical(self, horizon: int | None) -> list[Boundary]:
        ready = [b for b in self._classical if horizon is None or b.end_frame < horizon]
        self._classical = [b for b in self._classical if b not in ready]
        return ready

    def _merge(self, horizon: int | None) -> list[Boundary]:
        classical = self._take_classical(horizon)
        neural = [b for b in self._neural if horizon is None or b.end_frame < horizon]
        self._neural = [b for b in self._neural if b not in neural]
        kept: list[Boundary] = []
        for b in classical:
            if b.type == "cut" and any(n.type != "cut" and n.start_frame <= b.frame <= n.end_frame
                                       and not self._overlaps_gradual(n, classical) for n in neural):
                continue
            kept.append(b)
        self._recent = [b for b in self._recent if b.end_frame > self._index - 1000] + classical
        for n in neural:
            if any(self._same(n, b) for b in self._recent):
                continue
            if n.type == "cut" and not self._structure_changed(n.frame):
                continue
            kept.append(n)
        return self._push(sorted(kept, key=lambda b: b.frame), horizon)

    @staticmethod
    def _overlaps_gradual(n: Boundary, classical: list[Boundary]) -> bool:
        return any(b.type != "cut" and b.start_frame <= n.end_frame and n.start_frame <= b.end_frame
                   for b in classical)

    @staticmethod
    def _same(n: Boundary, b: Boundary) -> bool:
        return (n.start_frame - _NEAR <= b.end_frame and b.start_frame - _NEAR <= n.end_frame) or \
            abs(n.frame - b.frame) <= _NEAR

    def _structure_changed(self, frame: int) -> bool:
        a, b = self.gate.grays.get(frame - 1), self.gate.grays.get(frame)
        if a is None or b is None:
            return True
        a = a.astype(np.float32) - a.mean()
        b = b.astype(np.float32) - b.mean()
        return float(np.abs(a - b).mean()) >= self.adaptive.structure_min

    def _push(self, bounds: list[Boundary], horizon: int | None) -> list[Boundary]:
        out: list[Boundary] = []
        for b in bounds:
            out += self._filter.push(b)
        return out + (self._filter.flush(self._index + 1) if horizon is None
                      else self._filter.release(horizon))
