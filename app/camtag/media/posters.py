"""Poster frames from the single decode pass, cached on disk.

The decode pass hands over a display-corrected thumbnail every ``every`` frames; they are
written as JPEG samples into the poster folder. When a shot is final, the sample nearest to
one third into the shot (after its incoming transition) becomes its poster; samples before
that shot are deleted. Memory stays flat: nothing but file names is kept. Posters are optional:
an unwritable, full or wrong-type folder turns them off (``problem`` says why), never the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from bisect import bisect_left

from camtag.media.decode import AnalysisFrame, FrameSpec
from camtag.model import MediaInfo, Shot
from camtag.outputs import write_bytes


def default_poster_dir(media: MediaInfo) -> str:
    """A per-media folder in the user cache, keyed by path, size and modification time."""
    from platformdirs import user_cache_dir

    try:
        mtime = int(os.path.getmtime(media.path))
    except OSError:
        mtime = 0
    key = hashlib.sha1(f"{media.path}|{media.size_bytes}|{mtime}".encode("utf-8", "surrogatepass")
                    ).hexdigest()[:16]
    return os.path.join(user_cache_dir("camtag"), "posters", key)


class PosterWriter:
    NAME = "posters"

    def __init__(self, folder: str, every: int = 6, width: int = 320) -> None:
        import cv2  # noqa: F401  (fail early if OpenCV is missing)

        self.folder = folder
        self.every = max(1, every)
        self._frames: list[int] = []
        self.problem = ""        # posters are optional: a failure stops them, never the analysis
        self.samples_dir = ""
        try:
            os.makedirs(folder, exist_ok=True)
            # one samples folder per run: a resumed run never shares it with a stopped one
            self.samples_dir = tempfile.mkdtemp(prefix=".samples-", dir=folder)
        except (OSError, ValueError) as exc:
            self._give_up(exc)
        self.spec = FrameSpec(small_size=None, thumb_width=width,
                              thumb_every=self.every if not self.problem else 10 ** 9)

    def _give_up(self, exc: Exception) -> None:
        reason = getattr(exc, "strerror", None) or str(exc)
        self.problem = f"posters disabled: cannot write to {self.folder!r} ({reason})"
        self._frames = []

    def consume(self, frame: AnalysisFrame) -> None:
        import cv2

        if frame.thumb is None or self.problem:
            return
        path = self._sample_path(frame.index)
        ok, data = cv2.imencode(".jpg", frame.thumb, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            try:
                with open(path, "wb") as fh:
                    fh.write(data.tobytes())
            except OSError as exc:           # full disk, folder removed: no more posters
                self._give_up(exc)
                return
            self._frames.append(frame.index)

    def _sample_path(self, index: int) -> str:
        return os.path.join(self.samples_dir, f"f{index:08d}.jpg")

    def poster_for(self, shot: Shot) -> str | None:
        """Pick, keep and return the poster of a final shot; forget samples before it."""
        if not self._frames:
            return None
        begin = shot.start_frame
        if shot.transition_in is not None:
            begin = min(max(begin, shot.transition_in.end_frame), shot.end_frame - 1)
        target = begin + (shot.end_frame - begin) // 3
        i = bisect_left(self._frames, target)
        candidates = [self._frames[j] for j in (i - 1, i) if 0 <= j < len(self._frames)]
        inside = [f for f in candidates if shot.start_frame <= f < shot.end_frame]
        pick = min(inside or candidates, key=lambda f: abs(f - target))
        dest = os.path.join(self.folder, f"shot_{shot.start_frame:08d}.jpg")
        try:   # through the output policy: atomic, never through a planted link's old inode
            with open(self._sample_path(pick), "rb") as fh:
                write_bytes(dest, fh.read())
        except OSError:          # the cache was cleared under us, a full disk: no poster
            return None
        self._forget_before(shot.end_frame - self.every)
        return dest

    def _forget_before(self, frame: int) -> None:
        while len(self._frames) > 1 and self._frames[0] < frame and self._frames[1] <= frame:
            try:
                os.unlink(self._sample_path(self._frames.pop(0)))
            except OSError:
                pass

    def finish(self) -> None:
        if self.samples_dir:
            shutil.rmtree(self.samples_dir, ignore_errors=True)
