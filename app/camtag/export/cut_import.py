"""Cut import: an existing edit's cuts (CMX3600 EDL, OTIO, FCP7 XML) instead of shot detection.

Events are matched to one media file by clip name / source file / reel and by source timecode
(``side="source"``: the edit used this file as a source), or by record timecode
(``side="record"``: the file is the edited programme itself, e.g. a flattened export whose start
timecode is the timeline start). ``"auto"`` tries source first, then record. Every in and out
point inside the media becomes a boundary; the shots partition the whole media. Events that
reference the file but fall partly or wholly outside it are reported, never silently dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from camtag.export.cut_events import EditedClip
from camtag.export.read_edl import read_edl
from camtag.export.read_otio import EditReadError, read_fcp7_xml, read_otio
from camtag.export.reels import reel_name
from camtag.model import Boundary, MediaInfo, Shot, Transition

_NAMELESS_REELS = {"", "AX", "AUX", "BL", "BLK", "BLACK", "BARS"}


class CutImportError(ValueError):
    """No usable cuts for this media; the message says why in one line."""


@dataclass(frozen=True)
class CutImport:
    boundaries: tuple[Boundary, ...]
    shots: tuple[Shot, ...]
    matched: int                  # events used
    other_media: int              # events that reference other files
    side: str                     # "source" or "record"
    problems: tuple[str, ...]     # mismatches and trims, one line each


def read_edit(path: str, rate: Fraction) -> tuple[list[EditedClip], list[str], str]:
    """(clips, problems, source tag) for an EDL, .otio or FCP7 .xml file."""
    ext = os.path.splitext(path)[1].lower()
    if not os.path.isfile(path):
        raise CutImportError(f"{path}: " + ("not a regular file" if os.path.exists(path)
                                            else "no such file"))
    readers: dict[str, Callable[[], tuple[list[EditedClip], list[str]]]] = {
        ".edl": lambda: read_edl(path, rate),
        ".otio": lambda: (read_otio(path), []),
        ".otioz": lambda: (read_otio(path), []),
        ".xml": lambda: (read_fcp7_xml(path), []),
    }
    if ext not in readers:
        raise CutImportError(f"{os.path.basename(path)}: cut import reads .edl, .otio and FCP7 .xml")
    try:
        clips, problems = readers[ext]()
    except (EditReadError, FileNotFoundError, UnicodeError) as exc:
        raise CutImportError(str(exc)) from None
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:  # malformed values
        detail = " ".join(str(exc).split())[:200]
        raise CutImportError(f"{os.path.basename(path)}: malformed edit ({detail})") from None
    return clips, problems, {".edl": "edl", ".xml": "fcp7"}.get(ext, "otio")


def _norm(name: str) -> set[str]:
    base = os.path.basename(name.strip()).lower()
    return {base, os.path.splitext(base)[0]} - {""}


def _names_match(clip: EditedClip, media: MediaInfo) -> bool | None:
    """True/False when the clip names a file; None when it carries no usable name."""
    keys = _norm(media.path)
    reel = clip.reel.strip().upper()
    if not clip.names and reel in _NAMELESS_REELS:
        return None
    if any(_norm(n) & keys for n in clip.names):
        return True
    return reel not in _NAMELESS_REELS and reel == reel_name(media.path)


def _at_media_rate(clip: EditedClip, media: MediaInfo) -> EditedClip:
    if clip.rate is None or clip.rate == media.rate:
        return clip
    scale = media.rate / clip.rate

    def conv(v: int) -> int:
        return round(v * scale)
    return EditedClip(clip.number, clip.reel, clip.clip_name, clip.source_file, conv(clip.src_in),
                      conv(clip.src_out), conv(clip.rec_in), conv(clip.rec_out), clip.transition,
                      clip.transition_frames, media.rate)


def _match(clips: list[EditedClip], media: MediaInfo, side: str, match: str
           ) -> tuple[list[tuple[EditedClip, int, int]], int, list[str]]:
    lo, hi = media.start_frame, media.start_frame + media.frames
    used, other, problems = [], 0, []
    tc = media.timecode

    for clip in clips:
        a, b = (clip.src_in, clip.src_out) if side == "source" else (clip.rec_in, clip.rec_out)
        if b <= a:
            continue  # zero-length (outgoing half of a dissolve) or reversed
        overlaps = a < hi and b > lo
        named = _names_match(clip, media) if side == "source" and match != "tc" else None
        if named is False or (match == "name" and named is None):
            other += 1
            continue
        if not overlaps:
            if named:
                problems.append(f"event {clip.number}: names {os.path.basename(media.path)} but its "
                                f"{side} timecode {tc(a - lo)}-{tc(b - lo)} lies outside the media "
                                f"({tc(0)}-{tc(media.frames)})")
            else:
                other += 1
            continue
        if a < lo or b > hi:
            problems.append(f"event {clip.number}: {side} timecode {tc(a - lo)}-{tc(b - lo)} runs "
                            f"past the media ({tc(0)}-{tc(media.frames)}); trimmed")
        used.append((clip, max(a, lo) - lo, min(b, hi) - lo))
    return used, other, problems


def cuts_from_clips(clips: list[EditedClip], media: MediaInfo, *, side: str = "auto",
                    match: str = "auto", source: str = "edl",
                    problems: tuple[str, ...] = ()) -> CutImport:
    """Match edit clips to ``media`` and turn their in/out points into boundaries and shots."""
    if side not in ("auto", "source", "record") or match not in ("auto", "name", "tc"):
        raise ValueError(f"side must be auto/source/record and match auto/name/tc, got {side}/{match}")
    notes = list(problems)
    other_rates = sorted({float(c.rate) for c in clips if c.rate is not None and c.rate != media.rate})
    if other_rates:
        notes.append(f"edit runs at {', '.join(f'{r:.3f}' for r in other_rates)} fps, media at "
                     f"{float(media.rate):.3f} fps; times rescaled to the media rate")
    clips = [_at_media_rate(c, media) for c in clips]
    if not clips:
        raise CutImportError("the edit has no events")
    chosen = "source" if side == "auto" else side
    used, other, found = _match(clips, media, chosen, match)
    if not used and side == "auto":
        rec_used, rec_other, rec_found = _match(clips, media, "record", match)
        if rec_used:
            chosen, used, other, found = "record", rec_used, rec_other, rec_found
            found.insert(0, "no event uses this file as a source; matched the edit's record "
                            "timecode (the file is taken to be the edited programme)")
    notes += found
    if not used:
        detail = f"; {notes[-1]}" if notes else ""
        raise CutImportError(f"no event of the edit matches {os.path.basename(media.path)} "
                             f"({media.timecode(0)}-{media.timecode(media.frames)}, "
                             f"{len(clips)} events){detail}")

    cuts: dict[int, Boundary] = {}
    for clip, a, b in used:
        if 0 < a < media.frames:
            if clip.transition == "dissolve" and clip.transition_frames > 0:
                end = min(media.frames, a + clip.transition_frames)
                cuts[a] = Boundary(a, "dissolve", a, end, 1.0, source)
            else:
                cuts.setdefault(a, Boundary(a, "cut", source=source))
        if 0 < b < media.frames:
            cuts.setdefault(b, Boundary(b, "cut", source=source))
    boundaries = tuple(cuts[f] for f in sorted(cuts))
    edges = [0, *sorted(cuts), media.frames]
    shots = []
    for i, (start, end) in enumerate(zip(edges, edges[1:])):
        bd = cuts.get(start)
        transition = None if bd is None else Transition(bd.type, bd.start_frame, bd.end_frame)
        shots.append(Shot(index=i, start_frame=start, end_frame=end, transition_in=transition))
    return CutImport(boundaries, tuple(shots), len(used), other, chosen, tuple(notes))


def import_cuts(path: str, media: MediaInfo, *, side: str = "auto", match: str = "auto") -> CutImport:
    """Read an EDL / OTIO / FCP7 XML edit and return ``media``'s cuts (see module docs)."""
    clips, problems, source = read_edit(path, media.rate)
    return cuts_from_clips(clips, media, side=side, match=match, source=source,
                           problems=tuple(problems))
