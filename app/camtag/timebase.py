"""Rational time: frame counts, `Fraction` rates and SMPTE timecode.

Edit points are integer frame numbers. Timecode is computed from frame counts at the
nominal (integer) rate with an explicit drop-frame flag, never from float seconds.
"""

from __future__ import annotations

import re
from fractions import Fraction

_TC_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")

COMMON_RATES = (
    Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
    Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60), Fraction(120000, 1001),
    Fraction(120),
)


MAX_RATE = 100_000     # frames per second; high-speed cameras stay far below


class TimecodeError(ValueError):
    """A timecode string or rate that cannot be used."""


def parse_rate(value: str | int | float | Fraction) -> Fraction:
    """Parse "30000/1001", "29.97", 25, ... into an exact rate, snapping to common rates.

    Every part is bounded before it becomes a Fraction (``"1e999999999"`` would never return):
    a rate must lie in (0, MAX_RATE] with numerator and denominator below 10**15.
    """
    from camtag.inputs import InputError, fraction

    try:
        if isinstance(value, (Fraction, int)) or (isinstance(value, str) and "/" in value):
            rate = fraction(value, "frame rate")
        else:
            rate = fraction(value, "frame rate").limit_denominator(1001)
            for common in COMMON_RATES:
                if abs(float(rate) - float(common)) < 0.006:
                    return common
    except InputError as exc:
        raise TimecodeError(str(exc)) from None
    if rate <= 0 or rate > MAX_RATE:
        raise TimecodeError(f"frame rate must be above 0 and at most {MAX_RATE}, got {value!r}")
    return rate


def format_rate(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def nominal_fps(rate: Fraction) -> int:
    """The integer frame count per timecode second (30 for 29.97, 24 for 23.976)."""
    return max(1, round(rate))


def drop_frame_allowed(rate: Fraction) -> bool:
    """Drop-frame labels exist only for the NTSC multiples of 30 (29.97, 59.94, 119.88)."""
    return rate.denominator == 1001 and nominal_fps(rate) % 30 == 0


def _drop_count(rate: Fraction) -> int:
    return 2 * (nominal_fps(rate) // 30)


def frames_to_timecode(frame: int, rate: Fraction, drop_frame: bool = False) -> str:
    """Label of absolute frame ``frame`` (counted from 00:00:00:00) at ``rate``.

    Drop-frame labels use ';' before the frames field. Negative counts wrap at 24 h.
    """
    fps = nominal_fps(rate)
    if drop_frame and not drop_frame_allowed(rate):
        drop_frame = False
    per_day = fps * 86400
    if drop_frame:
        drop = _drop_count(rate)
        per_10min = fps * 600 - 9 * drop
        per_day = per_10min * 144
        frame %= per_day
        tens, rem = divmod(frame, per_10min)
        if rem > drop:
            frame += 9 * drop * tens + drop * ((rem - drop) // (fps * 60 - drop))
        else:
            frame += 9 * drop * tens
    else:
        frame %= per_day
    ff = frame % fps
    total_s = frame // fps
    sep = ";" if drop_frame else ":"
    return f"{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}{sep}{ff:02d}"


def timecode_to_frames(tc: str, rate: Fraction, drop_frame: bool | None = None) -> int:
    """Absolute frame count of a timecode label. ';' or ',' implies drop-frame.

    Raises :class:`TimecodeError` for malformed labels and for labels that do not exist
    (frame field past the rate, or a dropped drop-frame label such as 00:01:00;00).
    """
    match = _TC_RE.match(tc.strip())
    if not match:
        raise TimecodeError(f"not a timecode: {tc!r}")
    hh, mm, ss, sep, ff = match.groups()
    h, m, s, f = int(hh), int(mm), int(ss), int(ff)
    if drop_frame is None:
        drop_frame = sep in ";,"
    fps = nominal_fps(rate)
    if m > 59 or s > 59 or f >= fps or h > 23:
        raise TimecodeError(f"timecode {tc!r} is out of range at {float(rate):.3f} fps")
    if drop_frame and not drop_frame_allowed(rate):
        raise TimecodeError(f"drop-frame timecode {tc!r} is not defined at {float(rate):.3f} fps")
    total_min = h * 60 + m
    frames = (total_min * 60 + s) * fps + f
    if drop_frame:
        drop = _drop_count(rate)
        if s == 0 and f < drop and m % 10 != 0:
            raise TimecodeError(f"drop-frame label {tc!r} does not exist (dropped)")
        frames -= drop * (total_min - total_min // 10)
    return frames


def frame_to_seconds(frame: int, rate: Fraction) -> Fraction:
    """Exact time of a frame on a constant-rate timeline."""
    return Fraction(frame) / rate


def seconds_to_frame(seconds: Fraction, rate: Fraction) -> int:
    """Nearest frame for an exact time on a constant-rate timeline."""
    return round(Fraction(seconds) * rate)
