"""The geometric camera-motion engine (CPU, always available).

Per frame pair: KLT tracks with a forward-backward check and a RANSAC similarity fit
(:mod:`.tracker`, with dense-flow and phase-correlation fallbacks). Per ~6-frame window:
homography vs fundamental matrix, focus of expansion and a moving-object guard
(:mod:`.parallax`). Per shot: curves (:mod:`.curves`), tags (:mod:`.classify`), sub-shot
segments (:mod:`.segments`) and an observation / reasoning / answer trace (:mod:`.trace`).

The pipeline uses :func:`create_engine`; the engine is a :class:`camtag.consumers.FrameConsumer`.
"""

from camtag.motion.curves import MotionCurves
from camtag.motion.engine import EngineSettings, MotionEngine, create_engine

__all__ = ["EngineSettings", "MotionCurves", "MotionEngine", "create_engine"]
