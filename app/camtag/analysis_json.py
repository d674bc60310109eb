"""The analysis JSON (``"schema": "camtag.analysis/1"``): writing, reading and validating.

Documented in docs/analysis-json.md. Rates and times are written as exact "num/den" strings;
frame numbers are 0-based in decode order with exclusive ends. Files are written atomically
(temporary file + rename) so an interrupted run never leaves a half-written result.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from camtag import __version__, timebase
from camtag.atomic import write_json_atomic
from camtag.model import (TRANSITION_TYPES, Analysis, MediaInfo, Segment, Shot, Tag, Trace,
                          Transition)

SCHEMA = "camtag.analysis/1"


class AnalysisFormatError(ValueError):
    """A JSON file that is not a valid camtag analysis; the message says where."""


def _frac(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def media_to_dict(m: MediaInfo) -> dict[str, Any]:
    return {
        "path": m.path, "container": m.container, "codec": m.codec,
        "width": m.width, "height": m.height, "rotation": m.rotation, "sar": _frac(m.sar),
        "pix_fmt": m.pix_fmt, "bit_depth": m.bit_depth,
        "rate": _frac(m.rate), "frames": m.frames, "duration": _frac(m.duration),
        "duration_s": round(float(m.duration), 6), "time_base": _frac(m.time_base),
        "start_timecode": m.start_timecode or m.timecode(0), "start_frame": m.start_frame,
        "drop_frame": m.drop_frame, "vfr": m.vfr, "has_audio": m.has_audio,
        "size_bytes": m.size_bytes, "warnings": list(m.warnings),
    }


def media_from_dict(d: dict[str, Any]) -> MediaInfo:
    rate = timebase.parse_rate(d["rate"])
    return MediaInfo(
        path=d["path"], container=d.get("container", ""), codec=d.get("codec", ""),
        width=int(d["width"]), height=int(d["height"]), rate=rate, frames=int(d["frames"]),
        duration=Fraction(d.get("duration") or Fraction(int(d["frames"])) / rate),
        time_base=Fraction(d.get("time_base", "1/1000")), rotation=int(d.get("rotation", 0)),
        sar=Fraction(d.get("sar", "1/1")), pix_fmt=d.get("pix_fmt", ""),
        bit_depth=int(d.get("bit_depth", 8)), start_timecode=d.get("start_timecode"),
        start_frame=int(d.get("start_frame", 0)), drop_frame=bool(d.get("drop_frame", False)),
        vfr=bool(d.get("vfr", False)), has_audio=bool(d.get("has_audio", False)),
        size_bytes=int(d.get("size_bytes", 0)), warnings=tuple(d.get("warnings", ())),
    )


def tag_to_dict(t: Tag) -> dict[str, Any]:
    out = {"id": t.id, "confidence": round(float(t.confidence), 4), "source": t.source}
    if t.reason:
        out["reason"] = t.reason
    if t.start_frame is not None:
        out["start_frame"], out["end_frame"] = t.start_frame, t.end_frame
    return out


def trace_to_dict(t: Trace) -> dict[str, Any]:
    out = {"source": t.source, "observation": t.observation, "reasoning": t.reasoning,
           "answer": t.answer}
    if t.raw:
        out["raw"] = t.raw
    if t.problems:
        out["problems"] = list(t.problems)
    return out


def shot_to_dict(s: Shot, media: MediaInfo) -> dict[str, Any]:
    tr = s.transition_in
    return {
        "index": s.index,
        "start_frame": s.start_frame,
        "end_frame": s.end_frame,
        "start_timecode": media.timecode(s.start_frame),
        "end_timecode": media.timecode(s.end_frame),
        "start_time": None if s.start_time is None else _frac(s.start_time),
        "end_time": None if s.end_time is None else _frac(s.end_time),
        "transition_in": None if tr is None else {
            "type": tr.type, "start_frame": tr.start_frame, "end_frame": tr.end_frame},
        "poster": s.poster,
        "tags": [tag_to_dict(t) for t in s.tags],
        "segments": [{"start_frame": g.start_frame, "end_frame": g.end_frame, "tags": list(g.tags),
                      "confidence": round(float(g.confidence), 4)} for g in s.segments],
        "traces": [trace_to_dict(t) for t in s.traces],
        "evidence": s.evidence,
        "note": s.note,
    }


def shot_from_dict(d: dict[str, Any]) -> Shot:
    tr = d.get("transition_in")
    return Shot(
        index=int(d["index"]), start_frame=int(d["start_frame"]), end_frame=int(d["end_frame"]),
        transition_in=None if not tr else Transition(tr["type"], int(tr["start_frame"]),
                                                     int(tr["end_frame"])),
        poster=d.get("poster"),
        tags=tuple(Tag(t["id"], float(t["confidence"]), t.get("source", "geometry"),
                       t.get("reason", ""), t.get("start_frame"), t.get("end_frame"))
                   for t in d.get("tags", ())),
        segments=tuple(Segment(int(g["start_frame"]), int(g["end_frame"]), tuple(g["tags"]),
                               float(g.get("confidence", 0.0))) for g in d.get("segments", ())),
        traces=tuple(Trace(t.get("observation", ""), t.get("reasoning", ""), t.get("answer", ""),
                           t.get("source", "geometry"), t.get("raw", ""),
                           tuple(t.get("problems", ()))) for t in d.get("traces", ())),
        evidence=dict(d.get("evidence") or {}),
        note=d.get("note", ""),
        start_time=Fraction(d["start_time"]) if d.get("start_time") else None,
        end_time=Fraction(d["end_time"]) if d.get("end_time") else None,
    )


def analysis_to_dict(a: Analysis) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "generator": {"name": "camtag", "version": __version__},
        "detector": a.detector,
        "engine": a.engine,
        "settings": a.settings,
        "media": media_to_dict(a.media),
        "shots": [shot_to_dict(s, a.media) for s in a.shots],
        "warnings": list(a.warnings),
        "errors": list(a.errors),
    }
    if a.motion is not None and hasattr(a.motion, "to_dict"):
        out["motion"] = a.motion.to_dict()
    return out


def validate(d: Any, where: str = "analysis") -> None:
    """Check structure and frame ranges; raise :class:`AnalysisFormatError` naming the spot."""
    if not isinstance(d, dict):
        raise AnalysisFormatError(f"{where}: top level must be an object")
    if d.get("schema") != SCHEMA:
        raise AnalysisFormatError(f"{where}: schema is {d.get('schema')!r}, expected {SCHEMA!r}")
    media = d.get("media")
    if not isinstance(media, dict):
        raise AnalysisFormatError(f"{where}: missing 'media' object")
    for key in ("path", "width", "height", "rate", "frames"):
        if key not in media:
            raise AnalysisFormatError(f"{where}: media.{key} is missing")
    try:
        timebase.parse_rate(media["rate"])
        frames = int(media["frames"])
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        raise AnalysisFormatError(f"{where}: media.rate/frames unreadable: {exc}") from None
    shots = d.get("shots")
    if not isinstance(shots, list):
        raise AnalysisFormatError(f"{where}: 'shots' must be a list")
    prev_end = 0
    for i, s in enumerate(shots):
        spot = f"{where}: shots[{i}]"
        if not isinstance(s, dict):
            raise AnalysisFormatError(f"{spot} must be an object")
        try:
            start, end = int(s["start_frame"]), int(s["end_frame"])
        except (KeyError, TypeError, ValueError):
            raise AnalysisFormatError(f"{spot}: start_frame/end_frame missing or not integers") from None
        if not 0 <= start < end <= frames:
            raise AnalysisFormatError(f"{spot}: frames {start}-{end} outside 0-{frames} or empty")
        if start < prev_end:
            raise AnalysisFormatError(f"{spot}: overlaps the previous shot (starts {start} < {prev_end})")
        prev_end = end
        tr = s.get("transition_in")
        if tr is not None and (not isinstance(tr, dict) or tr.get("type") not in TRANSITION_TYPES):
            raise AnalysisFormatError(f"{spot}: transition_in.type must be one of {TRANSITION_TYPES}")
        for j, t in enumerate(s.get("tags", ())):
            if not isinstance(t, dict) or "id" not in t or "confidence" not in t:
                raise AnalysisFormatError(f"{spot}.tags[{j}] needs 'id' and 'confidence'")


def analysis_from_dict(d: dict[str, Any], where: str = "analysis") -> Analysis:
    try:
        return _analysis_from_dict(d, where)
    except AnalysisFormatError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise AnalysisFormatError(f"{where}: malformed field ({type(exc).__name__}: {detail})") from None


def _analysis_from_dict(d: dict[str, Any], where: str) -> Analysis:
    validate(d, where)
    motion = None
    if d.get("motion"):
        try:
            from camtag.motion.curves import MotionCurves
            motion = MotionCurves.from_dict(d["motion"])
        except ImportError:
            motion = None
    return Analysis(
        media=media_from_dict(d["media"]),
        shots=tuple(shot_from_dict(s) for s in d["shots"]),
        detector=d.get("detector", ""), engine=d.get("engine", "geometry"),
        settings=dict(d.get("settings") or {}), motion=motion,
        warnings=tuple(d.get("warnings", ())), errors=tuple(d.get("errors", ())),
    )


def write_analysis(path: str, analysis: Analysis) -> None:
    """Write atomically: a temporary file in the same folder, fsync, then rename."""
    write_json_atomic(path, analysis_to_dict(analysis))


def read_analysis(path: str) -> Analysis:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise AnalysisFormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise AnalysisFormatError(f"{path}: not a UTF-8 text file") from None
    return analysis_from_dict(data, where=path)
