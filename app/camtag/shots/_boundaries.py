"""Shared post-processing for detectors: ordering, flash filtering and minimum shot length."""

from __future__ import annotations

from camtag.model import Boundary


class BoundaryFilter:
    """Applies the minimum shot length (MERGE: a boundary too close to the previous is dropped,
    unless it is much stronger, then it replaces it) to boundaries arriving in order."""

    def __init__(self, min_shot_frames: int) -> None:
        self.min_shot_frames = max(1, min_shot_frames)
        self._last: Boundary | None = None
        self._pending: Boundary | None = None

    def push(self, boundary: Boundary) -> list[Boundary]:
        out: list[Boundary] = []
        if boundary.frame <= 0:
            return out
        if self._pending is not None:
            gap = boundary.frame - self._pending.frame
            if gap < self.min_shot_frames and boundary.type == "cut" and self._pending.type == "cut":
                if boundary.score > 2 * self._pending.score:
                    self._pending = boundary
                return out
            if gap < self.min_shot_frames and boundary.type != "cut" and self._pending.type == "cut":
                self._pending = boundary          # a gradual transition absorbs a nearby cut
                return out
            if gap < self.min_shot_frames:
                return out
            out.append(self._pending)
        self._pending = boundary
        return out

    def release(self, horizon: int) -> list[Boundary]:
        """Hand out the held boundary once no boundary before ``horizon`` can merge with it."""
        if self._pending is not None and self._pending.frame + self.min_shot_frames <= horizon:
            out, self._pending = [self._pending], None
            return out
        return []

    def flush(self, end_frame: int | None = None) -> list[Boundary]:
        """Hand out the held boundary at the end of the media, unless the shot it would start
        is shorter than the minimum (a fade to black in the last frames, say)."""
        out = [self._pending] if self._pending is not None else []
        if out and end_frame is not None and end_frame - out[0].frame < self.min_shot_frames:
            out = []
        self._pending = None
        return out
