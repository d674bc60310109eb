"""The analysis JSON (``"schema": "camtag.analysis/1"``): writing, reading and validating.

Documented in docs/analysis-json.md. Rates and times are written as exact "num/den" strings;
frame numbers are 0-based in decode order with exclusive ends. Files are written atomically
(temporary file + rename) so an interrupted run never leaves a half-written result.
"""

from __future__ import annotations

import base64
import binascii
from fractions import Fraction
from typing import Any

from camtag import __version__, inputs, timebase
from camtag.atomic import write_json_atomic
from camtag.model import (
    TRANSITION_TYPES,
    Analysis,
    MediaInfo,
    Segment,
    Shot,
    Tag,
    Trace,
    Transition,
)

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


MAX_FRAMES = 10 ** 10          # far past any real file (a week at 120 fps is 7.3e7)
MAX_SIZE = 1 << 16             # pixels per side
MAX_CURVE_BYTES = 64 << 20     # one motion array: 16.7 M float32 frames (38 h at 120 fps)


def _opt(d: dict[str, Any], key: str, default: Any) -> Any:
    value = d.get(key)
    return default if value is None else value


def media_from_dict(d: dict[str, Any], where: str = "analysis") -> MediaInfo:
    w = f"{where}: media"
    rate = timebase.parse_rate(d["rate"])
    frames = inputs.integer(d["frames"], f"{w}.frames", 0, MAX_FRAMES)
    duration = d.get("duration")
    return MediaInfo(
        path=inputs.path_text(d["path"], f"{w}.path"),
        container=inputs.text(_opt(d, "container", ""), f"{w}.container", 200),
        codec=inputs.text(_opt(d, "codec", ""), f"{w}.codec", 200),
        width=inputs.integer(d["width"], f"{w}.width", 0, MAX_SIZE),
        height=inputs.integer(d["height"], f"{w}.height", 0, MAX_SIZE),
        rate=rate, frames=frames,
        duration=(inputs.fraction(duration, f"{w}.duration", lo=0, hi=MAX_FRAMES) if duration
                  else Fraction(frames) / rate),
        time_base=inputs.fraction(_opt(d, "time_base", "1/1000"), f"{w}.time_base", positive=True),
        rotation=inputs.integer(_opt(d, "rotation", 0), f"{w}.rotation", -360, 360),
        sar=inputs.fraction(_opt(d, "sar", "1/1"), f"{w}.sar", lo=Fraction(1, 100), hi=100),
        pix_fmt=inputs.text(_opt(d, "pix_fmt", ""), f"{w}.pix_fmt", 100),
        bit_depth=inputs.integer(_opt(d, "bit_depth", 8), f"{w}.bit_depth", 1, 64),
        start_timecode=(None if d.get("start_timecode") is None
                        else inputs.text(d["start_timecode"], f"{w}.start_timecode", 20)),
        start_frame=inputs.integer(_opt(d, "start_frame", 0), f"{w}.start_frame", 0, MAX_FRAMES),
        drop_frame=bool(d.get("drop_frame", False)),
        vfr=bool(d.get("vfr", False)), has_audio=bool(d.get("has_audio", False)),
        size_bytes=inputs.integer(_opt(d, "size_bytes", 0), f"{w}.size_bytes", 0, 1 << 62),
        warnings=tuple(inputs.text_list(_opt(d, "warnings", []), f"{w}.warnings")),
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


def _frame(value: Any, where: str) -> int | None:
    return None if value is None else inputs.integer(value, where, 0, MAX_FRAMES)


def _free_text(d: dict[str, Any], key: str, where: str) -> str:
    """Notes, reasons, traces: any text (NUL characters are dropped); paths and ids stay strict."""
    return inputs.text(_opt(d, key, ""), f"{where}.{key}", nul=True).replace("\x00", "")


def _tag(t: Any, w: str) -> Tag:
    t = inputs.obj(t, w)
    return Tag(inputs.text(t["id"], f"{w}.id", 200),
               inputs.number(t["confidence"], f"{w}.confidence", 0.0, 1.0),
               inputs.text(_opt(t, "source", "geometry"), f"{w}.source", 200),
               _free_text(t, "reason", w),
               _frame(t.get("start_frame"), f"{w}.start_frame"),
               _frame(t.get("end_frame"), f"{w}.end_frame"))


def _trace(t: Any, w: str) -> Trace:
    t = inputs.obj(t, w)
    return Trace(*(_free_text(t, k, w) for k in ("observation", "reasoning", "answer")),
                 inputs.text(_opt(t, "source", "geometry"), f"{w}.source", 200),
                 _free_text(t, "raw", w),
                 tuple(inputs.text_list(_opt(t, "problems", []), f"{w}.problems")))


def shot_from_dict(d: dict[str, Any], where: str = "shot") -> Shot:
    d = inputs.obj(d, where)
    tr = d.get("transition_in")
    segments = []
    for j, g in enumerate(inputs.items(_opt(d, "segments", []), f"{where}.segments")):
        g = inputs.obj(g, f"{where}.segments[{j}]")
        segments.append(Segment(
            inputs.integer(g["start_frame"], f"{where}.segments[{j}].start_frame", 0, MAX_FRAMES),
            inputs.integer(g["end_frame"], f"{where}.segments[{j}].end_frame", 0, MAX_FRAMES),
            tuple(inputs.text_list(g["tags"], f"{where}.segments[{j}].tags")),
            inputs.number(_opt(g, "confidence", 0.0), f"{where}.segments[{j}].confidence", 0, 1)))
    times = {k: None if not d.get(k) else inputs.fraction(d[k], f"{where}.{k}", lo=0, hi=MAX_FRAMES)
             for k in ("start_time", "end_time")}
    return Shot(
        index=inputs.integer(d["index"], f"{where}.index", 0, MAX_FRAMES),
        start_frame=inputs.integer(d["start_frame"], f"{where}.start_frame", 0, MAX_FRAMES),
        end_frame=inputs.integer(d["end_frame"], f"{where}.end_frame", 0, MAX_FRAMES),
        transition_in=None if not tr else Transition(
            tr["type"], inputs.integer(tr["start_frame"], f"{where}.transition_in.start_frame"),
            inputs.integer(tr["end_frame"], f"{where}.transition_in.end_frame")),
        poster=None if d.get("poster") is None else inputs.path_text(d["poster"], f"{where}.poster"),
        tags=tuple(_tag(t, f"{where}.tags[{j}]")
                   for j, t in enumerate(inputs.items(_opt(d, "tags", []), f"{where}.tags"))),
        segments=tuple(segments),
        traces=tuple(_trace(t, f"{where}.traces[{j}]")
                     for j, t in enumerate(inputs.items(_opt(d, "traces", []), f"{where}.traces"))),
        evidence=dict(inputs.obj(_opt(d, "evidence", {}), f"{where}.evidence")),
        note=_free_text(d, "note", where),
        start_time=times["start_time"], end_time=times["end_time"],
    )


def analysis_to_dict(a: Analysis) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "generator": {"name": "camtag", "version": __version__},
        "detector": a.detector,
        "engine": a.engine,
        "decoder": a.decoder,
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
    except ValueError as exc:
        raise AnalysisFormatError(f"{where}: media.rate unreadable: {exc}") from None
    frames = inputs.integer(media["frames"], f"{where}: media.frames", 0, MAX_FRAMES)
    shots = d.get("shots")
    if not isinstance(shots, list):
        raise AnalysisFormatError(f"{where}: 'shots' must be a list")
    prev_end = 0
    for i, s in enumerate(shots):
        spot = f"{where}: shots[{i}]"
        if not isinstance(s, dict):
            raise AnalysisFormatError(f"{spot} must be an object")
        if "start_frame" not in s or "end_frame" not in s:
            raise AnalysisFormatError(f"{spot}: start_frame/end_frame missing")
        start = inputs.integer(s["start_frame"], f"{spot}.start_frame", 0, MAX_FRAMES)
        end = inputs.integer(s["end_frame"], f"{spot}.end_frame", 0, MAX_FRAMES)
        if not 0 <= start < end <= frames:
            raise AnalysisFormatError(f"{spot}: frames {start}-{end} outside 0-{frames} or empty")
        if start < prev_end:
            raise AnalysisFormatError(f"{spot}: overlaps the previous shot (starts {start} < {prev_end})")
        prev_end = end
        tr = s.get("transition_in")
        if tr is not None and (not isinstance(tr, dict) or tr.get("type") not in TRANSITION_TYPES):
            raise AnalysisFormatError(f"{spot}: transition_in.type must be one of {TRANSITION_TYPES}")
        for j, t in enumerate(inputs.items(_opt(s, "tags", []), f"{spot}.tags")):
            if not isinstance(t, dict) or "id" not in t or "confidence" not in t:
                raise AnalysisFormatError(f"{spot}.tags[{j}] needs 'id' and 'confidence'")


def analysis_from_dict(d: dict[str, Any], where: str = "analysis") -> Analysis:
    try:
        return _analysis_from_dict(d, where)
    except AnalysisFormatError:
        raise
    except inputs.InputError as exc:
        raise AnalysisFormatError(str(exc)) from None
    except KeyError as exc:
        raise AnalysisFormatError(f"{where}: required field {exc} is missing") from None
    except RecursionError:
        raise AnalysisFormatError(f"{where}: nested too deeply") from None
    except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise AnalysisFormatError(f"{where}: malformed field ({type(exc).__name__}: {detail})") from None


def _analysis_from_dict(d: dict[str, Any], where: str) -> Analysis:
    validate(d, where)
    media = media_from_dict(d["media"], where)
    motion = None
    if d.get("motion"):
        check_motion(d["motion"], media.frames, where)
        try:
            from camtag.motion.curves import MotionCurves
            motion = MotionCurves.from_dict(d["motion"])
        except ImportError:
            motion = None
    return Analysis(
        media=media,
        shots=tuple(shot_from_dict(s, f"{where}: shots[{i}]") for i, s in enumerate(d["shots"])),
        detector=inputs.text(_opt(d, "detector", ""), f"{where}: detector", 200),
        engine=inputs.text(_opt(d, "engine", "geometry"), f"{where}: engine", 200),
        decoder=inputs.text(_opt(d, "decoder", ""), f"{where}: decoder", 200),
        settings=dict(inputs.obj(_opt(d, "settings", {}), f"{where}: settings")),
        motion=motion,
        warnings=tuple(inputs.text_list(_opt(d, "warnings", []), f"{where}: warnings")),
        errors=tuple(inputs.text_list(_opt(d, "errors", []), f"{where}: errors")),
    )


def check_motion(m: Any, frames: int, where: str) -> None:
    """Bound the motion curves before they are inflated: a frame count near the media's and every
    zlib array inflating to at most 8 bytes per frame (a bomb is refused while still small)."""
    m = inputs.obj(m, f"{where}: motion")
    n = inputs.integer(m.get("frames"), f"{where}: motion.frames", 0, frames + 1)
    limit = min(8 * n + 64, MAX_CURVE_BYTES)
    encoding = str(m.get("encoding", "zlib+base64"))
    for group in ("raw", "smoothed"):
        arrays = inputs.obj(_opt(m, group, {}), f"{where}: motion.{group}")
        if len(arrays) > 64:
            raise AnalysisFormatError(f"{where}: motion.{group} holds {len(arrays)} arrays")
        for name, value in arrays.items():
            spot = f"{where}: motion.{group}.{name}"
            value = inputs.text(value, spot, 4 * limit + 64)
            try:
                raw = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise AnalysisFormatError(f"{spot}: not base64") from None
            if encoding.startswith("zlib"):
                inputs.inflate(raw, limit, spot)


def write_analysis(path: str, analysis: Analysis) -> None:
    """Write atomically through the output policy; if the final write fails, the result is kept
    in the user cache and the error (:class:`~camtag.outputs.OutputError`) says where."""
    write_json_atomic(path, analysis_to_dict(analysis), fallback=True)


def read_analysis(path: str) -> Analysis:
    try:
        data = inputs.read_json(path, what="analysis JSON")
    except inputs.InputError as exc:
        raise AnalysisFormatError(str(exc)) from None
    return analysis_from_dict(data, where=path)
