"""The analysis job: media → one decode pass → shots + motion + posters → Analysis.

``analyze_job`` is a generator job (see :mod:`camtag.jobs`). Shots are handed out as soon as
they are final (``Progress.partial`` is the finished, tagged :class:`Shot`), so a library can
store them one by one and a UI can show them while the analysis runs. ``resume`` (a :class:`Resume`)
restarts a run that was stopped: decoding restarts at the keyframe before its frame and the shots
already stored are kept as they are.

``part`` (a :class:`PartRange`) runs one part of a long file (see :mod:`camtag.runs.parts`):
the run owns the shots that start in [own_from, own_until). It decodes from ``preroll`` frames
before ``own_from`` (detector and motion engine both see them, so their state is warmed up), its
first shot starts at the first boundary at or after ``own_from`` and its last shot ends at the
first boundary at or after ``own_until`` (or the end of the media). Before each owned shot it hands
out a :class:`ShotCurves` (the shot's raw motion columns and the transition that ends it), and at
the end a :class:`PartEnd` (the closing boundary and the motion columns just past it), so the
caller can check that neighbouring parts agree at their seams.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import Optional, Sequence

from camtag.consumers import InlineConsumer, ThreadedConsumer
from camtag.jobs import CancelToken, Job, Progress
from camtag.media.decode import Decoder
from camtag.media.errors import MediaError
from camtag.media.posters import PosterWriter, default_poster_dir
from camtag.media.probe import OpenedMedia, open_for_analysis
from camtag.media.threads import opencv_one_thread, thread_cap
from camtag.model import Analysis, AnalysisRequest, Boundary, MediaInfo, Shot, Transition
from camtag.shots.base import DetectorSettings, create_detector

_PROGRESS_EVERY = 0.1   # seconds between plain progress updates
PREROLL = 64            # frames the detector sees again before a resume point (its context)
SEAM_FRAMES = 16        # motion columns a part hands out past its closing boundary (seam check)
DETECTOR_GRID = 50      # TransNetV2 predicts in windows sliding by 50 frames on the whole-file grid:
                        # a part's pre-roll starts on it, so its first windows hold real frames
_SETTLED = 300          # frames after which a detector without a ``horizon`` has emitted a boundary


@dataclass(frozen=True)
class Resume:
    """Resume a stopped whole-file run: decoding restarts at the keyframe before ``start_frame``
    and the shots already stored (``done_shots``) are kept as they are."""

    start_frame: int = 0
    done_shots: Sequence[Shot] = ()
    frame_order: object = None        # every frame's PTS in presentation order, if known
    curves: bool = False              # hand out each shot's ShotCurves (kept if the run stops)


@dataclass(frozen=True)
class PartRange:
    """Run one part of a long file: the run owns the shots that start in [own_from, own_until)
    (``own_until`` None: to the end) and decodes from ``preroll`` frames before ``own_from``.
    ``frame_order``: every frame's PTS in presentation order if known (spares the scan of the
    whole file's packets that seeking to a frame number needs)."""

    own_from: int = 0
    own_until: Optional[int] = None
    preroll: int = PREROLL
    frame_order: object = None


class _ShotBuilder:
    """Turns boundaries into shots and releases them once motion has seen all their frames."""

    def __init__(self, start_frame: int, first_index: int, times: dict) -> None:
        self.start = start_frame
        self.index = first_index
        self.times = times               # frame -> exact time of the recent frames
        self.start_time = None
        self.transition: Optional[Transition] = None
        self.pending: list[Shot] = []

    def _add(self, b: Boundary) -> None:
        if b.frame <= self.start:
            return
        end_time = self.times.get(b.frame)
        self.pending.append(Shot(index=self.index, start_frame=self.start, end_frame=b.frame,
                                 transition_in=self.transition, start_time=self._start_time(),
                                 end_time=end_time))
        self.index += 1
        self.start = b.frame
        self.start_time = end_time
        self.transition = Transition(b.type, b.start_frame, b.end_frame)

    def reopen(self, b: Boundary) -> None:
        """A boundary met again in a resumed run's pre-roll: the one at the resume point gives
        the first new shot its incoming transition; earlier ones belong to stored shots."""
        if abs(b.frame - self.start) <= 2 and self.transition is None:
            self.transition = Transition(b.type, b.start_frame, b.end_frame)

    def add(self, b: Boundary) -> None:
        if abs(b.frame - self.start) <= 2 and self.transition is None and self.index > 0:
            self.reopen(b)
            return
        self._add(b)

    def _start_time(self):
        return self.start_time if self.start_time is not None else self.times.get(self.start)

    def close(self, end_frame: int, end_time) -> None:
        if end_frame > self.start:
            self.pending.append(Shot(index=self.index, start_frame=self.start, end_frame=end_frame,
                                     transition_in=self.transition, start_time=self._start_time(),
                                     end_time=end_time))
            self.start = end_frame

    def ready(self, frames_done: int) -> list[Shot]:
        out = [s for s in self.pending if s.end_frame <= frames_done]
        self.pending = self.pending[len(out):]
        return out


@dataclass(frozen=True)
class ShotCurves:
    """Part runs: handed out just before each owned shot. ``curves``: the raw motion columns of
    [start_frame, end_frame) (None without motion); ``next_transition``: how the next shot begins."""

    start_frame: int
    end_frame: int
    curves: object = None
    next_transition: Optional[Transition] = None


@dataclass(frozen=True)
class PartEnd:
    """Part runs: handed out last. ``frame``: the first boundary at or after ``own_until``, where
    the last owned shot ends (None: the media ended first); ``transition``: the boundary's
    transition; ``tail``: motion columns [frame, frame + SEAM_FRAMES) as this run measured them."""

    frame: Optional[int]
    transition: Optional[Transition] = None
    tail: object = None
    first_frame: Optional[int] = None     # first frame decoded (the pre-roll's start)
    to_the_end: bool = False              # the run went on to the end of the media


def part_decode_start(own_from: int, preroll: int = PREROLL) -> int:
    """The first frame a part run owning from ``own_from`` decodes (pre-roll, on the grid)."""
    if own_from <= 0:
        return 0
    return max(0, own_from - max(0, preroll)) // DETECTOR_GRID * DETECTOR_GRID


class _OwnedShotBuilder(_ShotBuilder):
    """Builds only the shots that start in [own_from, own_until): the first at the first boundary
    at or after ``own_from`` (frame 0 when owning from the start), the last ending at the first
    boundary at or after ``own_until`` (``closing``). Remembers the transition after each shot."""

    def __init__(self, own_from: int, own_until: Optional[int], times: dict) -> None:
        super().__init__(0 if own_from <= 0 else -1, 0, times)
        self.owning = own_from <= 0
        self.own_from = own_from
        self.own_until = own_until
        self.closing: Optional[Boundary] = None
        self.next_transition: dict[int, Transition] = {}      # shot end -> transition there

    def _past_end(self, b: Boundary) -> bool:
        return self.own_until is not None and b.frame >= self.own_until

    def reopen(self, b: Boundary) -> None:     # a part run has no stored shots to reopen
        self.add(b)

    def add(self, b: Boundary) -> None:
        if self.closing is not None or b.frame < self.own_from:
            return
        if not self.owning:
            if self._past_end(b):                # no boundary in the owned range: nothing owned
                self.closing = b
                return
            self.owning = True
            self.start, self.start_time = b.frame, self.times.get(b.frame)
            self.transition = Transition(b.type, b.start_frame, b.end_frame)
            return
        if b.frame <= self.start:
            return
        self._add(b)
        self.next_transition[b.frame] = self.transition
        if self._past_end(b):
            self.closing = b

    def close(self, end_frame: int, end_time) -> None:
        if self.owning and self.closing is None:
            super().close(end_frame, end_time)


def _settled(det, index: int) -> int:
    """Frames before this one will get no further boundary from ``det``."""
    horizon = det.horizon
    return index - _SETTLED if horizon is None else horizon


def analyze_job(path: str, request: AnalysisRequest | None = None, *,
                detector: str | None = None, settings: dict | None = None,
                cancel: CancelToken | None = None, resume: Resume | None = None,
                part: PartRange | None = None, poster_dir: str | None = None,
                media: MediaInfo | None = None, consumers: Sequence = ()) -> Job[Analysis]:
    """Analyse one file (or, with ``part``, one part of it: see the module docstring). Raises
    :class:`MediaError` for files that cannot be read.

    ``request`` says what to run (or ``detector`` and a ``settings`` mapping, turned into one).
    ``consumers``: extra :class:`camtag.consumers.FrameConsumer` objects fed from the same decode
    pass (for example the reasoner's frame cache), so no frame is decoded twice. Without ``media``
    the file is opened once for probe and decode, and the rotation is read from the first frame."""
    if request is None:
        request = AnalysisRequest.from_settings(settings, detector, strict=False)
    path = os.fspath(path)
    yield Progress(0, None, f"probing {os.path.basename(path)}")
    opened = open_for_analysis(path) if media is None else None
    try:
        return (yield from _analyze(
            path, media or opened.info, opened, request, cancel=cancel or CancelToken(),
            resume=resume or Resume(), part=part, poster_dir=poster_dir, consumers=consumers))
    finally:
        if opened is not None:          # not taken by the decoder (an early error): close it
            opened.close()


def _analyze(path: str, media: MediaInfo, opened: Optional[OpenedMedia], opts: AnalysisRequest,
             *, cancel: CancelToken, resume: Resume, part: Optional[PartRange], poster_dir,
             consumers: Sequence) -> Job[Analysis]:
    start_frame, done_shots = resume.start_frame, resume.done_shots
    own_from = part.own_from if part is not None else None
    own_until = part.own_until if part is not None else None
    frame_order = part.frame_order if part is not None else resume.frame_order
    det_settings = DetectorSettings(
        sensitivity=opts.sensitivity, min_shot_frames=opts.min_shot_frames(media.rate),
        flash_frames=opts.flash_frames, rate=media.rate)
    det = create_detector(opts.detector, det_settings)
    warnings = list(media.warnings) + list(det.warnings)
    spec = det.spec
    motion = None
    if opts.motion:
        from camtag.motion import create_engine

        motion = create_engine(media, opts.motion_settings)
        spec = spec.merged(motion.spec)
    posters = None
    if opts.posters:
        posters = PosterWriter(poster_dir or default_poster_dir(media))
        spec = spec.merged(posters.spec)
    for extra in consumers:
        spec = spec.merged(extra.spec)
    in_part = part is not None
    if in_part:
        start_frame, done_shots = 0, ()
    if start_frame >= media.frames:
        start_frame = 0 if not done_shots else media.frames

    shots: list[Shot] = list(done_shots)
    times: dict[int, object] = {}          # frame -> time, for the frames detectors may still cut at
    if in_part:
        # a part warms detector and motion up on its pre-roll; only owned shots are built
        own_from = max(0, own_from or 0)
        builder = _OwnedShotBuilder(own_from, own_until, times)
        preroll_from = part_decode_start(own_from, part.preroll)
        feed_from, keep_from = preroll_from, own_from
    else:
        builder = _ShotBuilder(start_frame, first_index=len(shots), times=times)
        # on resume the detector re-reads a little before the resume point, so it finds again the
        # boundary that opened the first new shot (and its transition); nothing else sees those frames
        preroll_from = max(0, start_frame - PREROLL) if start_frame else 0
        feed_from = keep_from = start_frame
    lag = motion.lag if motion is not None else 0
    # one core (CAMTAG_THREADS=1, as in a Ray task holding one CPU): everything on this thread,
    # so N tasks scale over N cores; otherwise decode and motion each get a thread of their own
    one_core = thread_cap() == 1
    opencv_one_thread()
    decoder = Decoder(path, spec, sar=media.sar, cancel=cancel, start_frame=preroll_from,
                      rotation=None if opened is not None else media.rotation,
                      background=not one_core, order=frame_order, opened=opened)
    worker = None
    if motion is not None:
        worker = InlineConsumer(motion) if one_core else ThreadedConsumer(motion)
    last_index = feed_from - 1
    empty = False
    last_report = 0.0
    t0 = time.monotonic()


    def finished(batch: list[Shot]):
        for shot in batch:
            if motion is not None:
                shot = motion.tag_shot(shot)
            if posters is not None:
                shot = shot.with_(poster=posters.poster_for(shot))
            shots.append(shot)
            if in_part or resume.curves:    # the shot's raw motion columns go out first
                chunk = None
                if motion is not None:
                    chunk = motion.curves(shot.start_frame, shot.end_frame).slice(
                        shot.start_frame, shot.end_frame, own_shot=False).with_breaks(())
                yield Progress(shot.end_frame, media.frames, "", partial=ShotCurves(
                    shot.start_frame, shot.end_frame, chunk,
                    builder.next_transition.pop(shot.end_frame, None) if in_part else None))
            yield Progress(shot.end_frame, media.frames, f"shot {shot.index + 1}", partial=shot)

    try:
        if start_frame < media.frames:
            frames = iter(decoder)
            for frame in frames:
                cancel.raise_if_cancelled()
                if frame.index >= media.frames:     # the file grew after the probe: keep to the probe
                    break
                if frame.index < feed_from:         # pre-roll of a resumed run: detector only
                    for b in det.process(frame):
                        builder.reopen(b)
                    if det.status:
                        yield Progress(frame.index + 1, media.frames, det.status)
                    continue
                last_index = frame.index
                times[frame.index] = frame.time
                times.pop(frame.index - 2000, None)
                if builder.start_time is None and frame.index == builder.start:
                    builder.start_time = frame.time
                if worker is not None:
                    worker.consume(frame)
                if frame.index >= keep_from:        # (a part's pre-roll: detector and motion only)
                    if posters is not None:
                        posters.consume(frame)
                    for extra in consumers:
                        extra.consume(frame)
                for b in det.process(frame):
                    builder.add(b)
                if det.status:                      # e.g. TransNetV2 loads at the next frame
                    yield Progress(frame.index + 1, media.frames, det.status)
                done = motion.frames_done() - motion.lag if motion is not None else frame.index + 1
                yield from finished(builder.ready(done))
                if in_part and builder.closing is not None and \
                        frame.index + 1 >= builder.closing.frame + SEAM_FRAMES + lag:
                    break                           # a part stops past its closing boundary
                if in_part and not builder.owning and own_until is not None and \
                        own_until > own_from and _settled(det, frame.index) >= own_until:
                    empty = True                    # no boundary in its range: it owns nothing
                    break
                now = time.monotonic()
                if now - last_report >= _PROGRESS_EVERY:
                    last_report = now
                    yield Progress(frame.index + 1, media.frames, "analysing")
            frames.close()
            cancel.raise_if_cancelled()
            if not empty and (not in_part or builder.closing is None):
                for b in det.finish():
                    builder.add(b)
            last_time = times.get(last_index)
            builder.close(last_index + 1, None if last_time is None else last_time + 1 / media.rate)
            curves = worker.finish() if worker is not None else None
            yield from finished(builder.ready(last_index + 1))
        else:
            curves = motion.finish() if motion is not None else None
    except BaseException:
        decoder.stop()
        if worker is not None:
            worker.abandon()
        raise
    finally:
        if posters is not None and not builder.pending:
            posters.finish()

    if decoder.rotation is not None:
        media = replace(media, rotation=decoder.rotation)
    # what the editor reads first: the damage, with timecodes, and the shots it touches; then what
    # FFmpeg said of each unreadable packet
    numbered = last_index + 1 - feed_from
    errors = [i.message for i in decoder.damage.issues(media.timecode, decoder.broken_packets, numbered)]
    damaged = [] if decoder.damage.stamps_fields(decoder.broken_packets, numbered) else \
        [s.index + 1 for s in shots if s.start_frame > 0 and decoder.damage.covers(s.start_frame)]
    if damaged:
        named = ", ".join(map(str, damaged[:12])) + (", …" if len(damaged) > 12 else "")
        errors.append(f"shot{'s' if len(damaged) > 1 else ''} {named} begin{'' if len(damaged) > 1 else 's'} "
                      "on damaged pictures: the cut may not be in the footage")
    errors += [f"frame {i.index}: {i.message}" if i.index >= 0 else i.message for i in decoder.issues]
    if decoder.route.note:                  # hardware decode was asked for, software ran: why
        warnings.append(decoder.route.note)
    if posters is not None and posters.problem:
        warnings.append(posters.problem)
    to_the_end = not in_part or builder.closing is None and not empty
    if last_index >= 0 and last_index + 1 != media.frames and to_the_end:
        warnings.append(f"decoded {last_index + 1} frames, the container lists {media.frames}")
    if not shots and (not in_part or last_index < feed_from):
        raise MediaError(path, "no frame could be decoded")
    if in_part:
        closing, tail = builder.closing, None
        if closing is not None and curves is not None:
            tail = curves.slice(closing.frame, closing.frame + SEAM_FRAMES,
                                own_shot=False).with_breaks(())
        yield Progress(last_index + 1, media.frames, "part done", partial=PartEnd(
            None if closing is None else closing.frame,
            None if closing is None else Transition(closing.type, closing.start_frame,
                                                    closing.end_frame),
            tail, preroll_from, to_the_end))
    elapsed = time.monotonic() - t0
    yield Progress(media.frames, media.frames, f"done in {elapsed:.1f} s")
    return Analysis(media=media, shots=tuple(shots), detector=det.name,
                    engine="geometry" if motion is not None else "none", decoder=decoder.route.label,
                    settings=opts.settings(), motion=curves, warnings=tuple(warnings),
                    errors=tuple(errors))
