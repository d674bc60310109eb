"""What to export: shots of one or more media, checked and laid out on record (timeline) time.

Input is an :class:`Analysis`, several of them, or ``(MediaInfo, Shot)`` pairs (search results, a
collection). Output is one :class:`EditSequence` per media, or one combined sequence. All edit
points are integer frames; source timecode counts from the media's own start timecode
(``MediaInfo.start_frame``), record timecode from the record start (default 01:00:00:00).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Optional, Union

from camtag import timebase
from camtag.export.base import ExportError, ExportOptions
from camtag.export.reels import REEL_SOURCES, assign_reels
from camtag.model import Analysis, MediaInfo, Shot, Tag


def shot_number(shot: Shot) -> int:
    """The number people see: ``Shot.index`` is 0-based (the library's ordinal), numbers start at 1."""
    return shot.index + 1


def shot_name(media: MediaInfo, shot: Shot) -> str:
    """'A001C002_230614_R1AB shot 003': the clip/row name every format uses for a shot."""
    stem = os.path.splitext(os.path.basename(media.path))[0]
    return f"{stem} shot {shot_number(shot):03d}"


@dataclass(frozen=True)
class ShotRef:
    """One shot of one media; ``analysis`` (optional) carries detector/engine for the JSON export."""

    media: MediaInfo
    shot: Shot
    analysis: Optional[Analysis] = None


@dataclass(frozen=True)
class EditEvent:
    number: int          # 1-based position in its sequence
    ref: ShotRef
    start: int           # media frames after trimming: 0-based, end exclusive
    end: int
    rec_in: int          # absolute record frame count (record start included)
    reel: str            # at most 8 characters, [A-Z0-9]

    @property
    def media(self) -> MediaInfo:
        return self.ref.media

    @property
    def shot(self) -> Shot:
        return self.ref.shot

    @property
    def frames(self) -> int:
        return self.end - self.start

    @property
    def rec_out(self) -> int:
        return self.rec_in + self.end - self.start

    @property
    def src_in(self) -> int:
        """Absolute source frame count (start timecode included)."""
        return self.ref.media.start_frame + self.start

    @property
    def src_out(self) -> int:
        return self.ref.media.start_frame + self.end

    @property
    def source_drop_frame(self) -> bool:
        m = self.ref.media
        return m.drop_frame and timebase.drop_frame_allowed(m.rate)

    def tag_range(self, tag: Tag) -> tuple[int, int]:
        """Media frames a tag covers within this event (the whole event if the tag has no range)."""
        start, end = self.start, self.end
        if tag.start_frame is not None and tag.end_frame is not None:
            start, end = max(start, int(tag.start_frame)), min(end, int(tag.end_frame))
        return (start, end) if start < end else (self.start, self.end)

    def src_tc(self, frame: int) -> str:
        """Source timecode of an absolute source frame count, in this media's own DF mode."""
        return timebase.frames_to_timecode(frame, self.ref.media.rate, self.source_drop_frame)


@dataclass(frozen=True)
class EditSequence:
    name: str
    rate: Fraction
    drop_frame: bool
    record_start: int
    events: tuple[EditEvent, ...]

    @property
    def record_end(self) -> int:
        return self.events[-1].rec_out if self.events else self.record_start

    @property
    def duration(self) -> int:
        return self.record_end - self.record_start

    def rec_tc(self, frame: int) -> str:
        return timebase.frames_to_timecode(frame, self.rate, self.drop_frame)

    @property
    def media(self) -> list[MediaInfo]:
        """The distinct media, in order of first use."""
        seen: dict[str, MediaInfo] = {}
        for e in self.events:
            seen.setdefault(e.media.path, e.media)
        return list(seen.values())


Source = Union[Analysis, Iterable[Union[Analysis, ShotRef, tuple]]]


def collect(source: Source) -> list[ShotRef]:
    """Normalise an Analysis, a list of Analyses, ShotRefs or (MediaInfo, Shot) pairs."""
    if isinstance(source, Analysis):
        return [ShotRef(source.media, s, source) for s in source.shots]
    refs: list[ShotRef] = []
    for item in source:
        if isinstance(item, Analysis):
            refs.extend(ShotRef(item.media, s, item) for s in item.shots)
        elif isinstance(item, ShotRef):
            refs.append(item)
        elif isinstance(item, tuple) and len(item) >= 2 and isinstance(item[0], MediaInfo) \
                and isinstance(item[1], Shot):
            refs.append(ShotRef(item[0], item[1], item[2] if len(item) > 2 else None))
        else:
            raise ExportError(f"cannot export {type(item).__name__}: expected an Analysis or "
                              "(MediaInfo, Shot) pairs")
    return refs


# ---- checking and layout -------------------------------------------------------------------

def _frames_per_day(rate: Fraction, drop_frame: bool) -> int:
    fps = timebase.nominal_fps(rate)
    if drop_frame:
        drop = 2 * (fps // 30)
        return (fps * 600 - 9 * drop) * 144
    return fps * 86400


def _checked_ranges(media: MediaInfo, refs: list[ShotRef], strict: bool,
                    warnings: list[str]) -> dict[int, tuple[int, int]]:
    """Per ref (by id), its usable frame range after trimming; refs left out are dropped."""
    base = os.path.basename(media.path)
    kept: dict[int, tuple[int, int]] = {}
    problems: list[str] = []
    prev_end, seen = 0, set()
    for ref in sorted(refs, key=lambda r: (r.shot.start_frame, r.shot.end_frame)):
        shot = ref.shot
        key = (shot.index, shot.start_frame, shot.end_frame)
        if key in seen:
            warnings.append(f"{base} shot {shot_number(shot)}: selected twice; exported once")
            continue
        seen.add(key)
        start, end = max(0, shot.start_frame), shot.end_frame
        issues = []
        if shot.start_frame < 0:
            issues.append("starts before the first frame")
        if media.frames > 0 and end > media.frames:
            issues.append(f"ends at frame {end}, past the media end ({media.frames})")
            end = media.frames
        if start < prev_end:
            issues.append(f"frames {shot.start_frame}-{shot.end_frame} overlap the previous shot "
                          f"(ends {prev_end})")
            start = prev_end
        where = f"{base} shot {shot_number(shot)}: "
        if start >= end:
            problems.append(where + (", ".join(issues) or "is empty") + "; left out")
            continue
        if issues:
            problems.append(where + ", ".join(issues) + "; trimmed")
        kept[id(ref)] = (start, end)
        prev_end = end
    if problems and strict:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ExportError(problems[0] + more)
    warnings.extend(problems)
    return kept


def _record_start(options: ExportOptions, rate: Fraction, drop_frame: bool) -> int:
    try:
        return timebase.timecode_to_frames(options.record_start, rate, drop_frame)
    except timebase.TimecodeError as exc:
        raise ExportError(f"record start: {exc}") from None


def _layout(name: str, rate: Fraction, drop_frame: bool, refs: list[ShotRef],
            ranges: dict[int, tuple[int, int]], reels: dict[str, str],
            options: ExportOptions) -> EditSequence:
    rec = start = _record_start(options, rate, drop_frame)
    events = []
    for ref in refs:
        if id(ref) not in ranges:
            continue
        a, b = ranges[id(ref)]
        events.append(EditEvent(len(events) + 1, ref, a, b, rec, reels[ref.media.path]))
        rec += b - a
    if rec >= _frames_per_day(rate, drop_frame):
        raise ExportError(f"sequence {name!r} would run past 24:00:00:00 "
                          f"(record start {options.record_start}, {rec - start} frames); "
                          "choose an earlier --record-start")
    return EditSequence(name, rate, drop_frame, start, tuple(events))


def build_sequences(source: Source, options: ExportOptions = ExportOptions()
                    ) -> tuple[list[EditSequence], list[str]]:
    """Check the selection and lay it out. Returns (sequences, warnings).

    Shots past the media end or overlapping an earlier shot of the same media are trimmed
    (refused with :class:`ExportError` when ``options.strict``); an empty selection is refused.
    """
    refs = collect(source)
    if not refs:
        raise ExportError("nothing to export: the selection has no shots")
    warnings: list[str] = []
    by_media: dict[str, list[ShotRef]] = {}
    for ref in refs:
        by_media.setdefault(ref.media.path, []).append(ref)
    media = [group[0].media for group in by_media.values()]
    for m in media:
        if m.start_frame + m.frames > _frames_per_day(m.rate, m.drop_frame and
                                                      timebase.drop_frame_allowed(m.rate)):
            warnings.append(f"{os.path.basename(m.path)}: source timecode passes midnight "
                            "(24:00:00:00) and wraps to 00:00:00:00; some NLEs will not conform it")
        if m.vfr:
            warnings.append(f"{os.path.basename(m.path)} has a variable frame rate: timecodes use a "
                            f"constant {float(m.rate):.3f} fps mapping; transcode to a constant rate "
                            "for a frame-accurate conform")
    ranges: dict[int, tuple[int, int]] = {}
    for group in by_media.values():
        ranges.update(_checked_ranges(group[0].media, group, options.strict, warnings))
    if not ranges:
        raise ExportError("nothing to export: no shot is left after checking the selection")
    if options.reel_source not in REEL_SOURCES:
        raise ExportError(f"reel source {options.reel_source!r}: use one of {', '.join(REEL_SOURCES)}")
    reels = assign_reels(media, warnings, options.reel_source)

    if options.combined:
        first = media[0]
        for m in media[1:]:
            if m.rate != first.rate:
                raise ExportError(
                    f"a combined sequence needs one frame rate: {os.path.basename(first.path)} is "
                    f"{float(first.rate):.3f} fps, {os.path.basename(m.path)} is {float(m.rate):.3f} "
                    "fps; export one sequence per media instead")
        drop = first.drop_frame and timebase.drop_frame_allowed(first.rate)
        name = options.name or "camtag selection"
        return [_layout(name, first.rate, drop, refs, ranges, reels, options)], warnings

    sequences = []
    for group in by_media.values():
        m = group[0].media
        stem = os.path.splitext(os.path.basename(m.path))[0]
        name = f"{options.name} {stem}" if options.name and len(by_media) > 1 else (options.name or stem)
        ordered = sorted(group, key=lambda r: ranges.get(id(r), (0, 0)))
        drop = m.drop_frame and timebase.drop_frame_allowed(m.rate)
        seq = _layout(name, m.rate, drop, ordered, ranges, reels, options)
        if seq.events:
            sequences.append(seq)
    return sequences, warnings
