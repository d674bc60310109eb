"""Numbers that describe a stretch of frames (a shot or a segment of one).

Everything the tag rules and the evidence trace need is computed here once, from a
:class:`~camtag.motion.curves.MotionCurves` slice, so the rules stay short and testable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from camtag.motion.curves import MotionCurves, shake_curve
from camtag.motion.parallax import (FAMILY_AMBIGUOUS, FAMILY_OBJECT, FAMILY_RIGID,
                                    FAMILY_TRANSLATION)
from camtag.motion.tracker import METHOD_DIS, METHOD_KLT, METHOD_PHASE


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds (frame widths W, log scale, degrees; per second where noted)."""

    min_conf: float = 0.3          # a frame counts as measured above this confidence
    min_coverage: float = 0.5      # below this share of measured frames the answer is "unknown"
    move_speed: float = 0.012      # W/s of smoothed pan/tilt that counts as movement
    move_total: float = 0.03       # W over a stretch for a pan/tilt/truck/pedestal tag
    zoom_speed: float = 0.012      # log-scale/s
    zoom_total: float = 0.03
    roll_speed: float = 0.6        # deg/s
    roll_total: float = 1.5        # deg
    shake_static: float = 0.0007   # W RMS of the high-passed path: "static with shake" above
    shake_handheld: float = 0.0020  # W RMS: handheld/shaky above
    slow: float = 0.06             # W/s: slower is speed_slow
    fast: float = 0.45             # W/s: faster is speed_fast
    translation_share: float = 0.4  # share of measured frames with parallax: truck/dolly/pedestal
    min_segment_s: float = 0.6


@dataclass(frozen=True)
class Stats:
    start: int
    end: int
    rate: float
    pairs: int                     # frame pairs inside the stretch
    coverage: float                # share of pairs measured with confidence
    confidence: float              # mean confidence of measured pairs
    pan: float                     # totals over the stretch (camera-centric, W / log / deg)
    tilt: float
    zoom: float
    roll: float
    pan_consistency: float         # share of moving frames whose sign agrees with the total
    tilt_consistency: float
    zoom_consistency: float
    roll_consistency: float
    speed: float                   # median |smoothed (pan, tilt)| over moving frames, W/s
    peak_speed: float              # 90th percentile of |smoothed (pan, tilt)|, W/s
    shake: float                   # robust RMS of the high-passed path, W
    shake_reliable: bool           # enough well-measured frames to judge steadiness
    windows: int                   # frames with a window verdict
    rigid: float                   # shares of those frames per family
    translation: float
    moving_object: float
    ambiguous: float
    subject_still: float
    offh: float                    # median share of tracks off the homography
    trans_dir: tuple[float, float, float]   # median translation direction (x right, y up, z fwd)
    lateral: float                 # share of translation frames whose FOE is sideways
    vertical: float
    axial: float
    methods: dict
    turn_ratio: float = math.nan   # pan implied by the keystone / measured pan (1 pan, 0 truck, > 1 arc)
    turn_spread: float = math.nan  # its uncertainty (robust standard error over the windows)


def _consistency(v: np.ndarray, total: float, floor: float) -> float:
    moving = np.isfinite(v) & (np.abs(v) >= floor)
    if not moving.any() or total == 0:
        return 0.0
    return float(np.mean(np.sign(v[moving]) == np.sign(total)))


def keystone_ratio(turn: np.ndarray, pan: np.ndarray, min_total: float) -> tuple[float, float]:
    """The keystone's turn over the measured pan, window by window (each window writes one turn
    value over its frames): the median of the windows' ratios weighted by their pan, and its
    robust standard error. A few windows that saw something else (the first pictures after a
    dissolve, a passer-by) must not decide pan against truck; how much the windows disagree is
    reported beside it (the trace states it)."""
    ok = np.isfinite(turn) & np.isfinite(pan)
    if not ok.any() or abs(float(pan[ok].sum())) < min_total:
        return math.nan, math.nan
    idx = np.flatnonzero(ok)
    # a new window starts where the turn value changes or the run of measured frames breaks
    new = np.ones(len(idx), bool)
    new[1:] = (turn[idx[1:]] != turn[idx[:-1]]) | (idx[1:] != idx[:-1] + 1)
    group = np.cumsum(new) - 1
    t_sum = np.bincount(group, turn[idx])
    p_sum = np.bincount(group, pan[idx])
    keep = np.abs(p_sum) > 1e-9
    if not keep.any():
        return math.nan, math.nan
    r, w = t_sum[keep] / p_sum[keep], np.abs(p_sum[keep])
    med = _weighted_median(r, w)
    if len(r) < 3:
        return med, math.nan
    mad = _weighted_median(np.abs(r - med), w)
    n_eff = float(w.sum() ** 2 / np.sum(w * w))          # windows that carry the pan
    return med, float(1.2533 * 1.4826 * mad / math.sqrt(n_eff))


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(x)
    cw = np.cumsum(w[o])
    return float(x[o][np.searchsorted(cw, 0.5 * cw[-1])])


def measure(c: MotionCurves, th: Thresholds) -> Stats:
    rate = float(c.rate) if c.rate else 25.0
    a = c.arrays
    n = c.frames
    conf = a["confidence"].astype(np.float64)
    valid = np.isfinite(a["pan"]) & (np.nan_to_num(conf) >= th.min_conf)
    # a shot slice starts with the blanked pair that crosses the cut; a segment slice does not
    lead = 0 if n and np.isfinite(a["pan"][0]) else 1
    pairs = max(0, n - lead)
    coverage = float(valid[lead:].sum() / pairs) if pairs else 0.0
    sm = c.smoothed()
    totals = {}
    for k in ("pan", "tilt", "zoom", "roll"):
        raw = a[k].astype(np.float64)
        filled = np.where(valid, raw, np.where(np.isfinite(sm[k]), sm[k], 0.0))
        filled[~np.isfinite(filled)] = 0.0
        totals[k] = float(filled[lead:].sum()) if pairs else 0.0
    vpan, vtilt = sm["pan"] * rate, sm["tilt"] * rate
    speed = np.hypot(vpan, vtilt)
    moving = np.isfinite(speed) & (speed >= th.move_speed)
    shake = shake_curve(c, th.move_speed)
    # shake from well-measured frames only, robustly: a few bad fits must not read as shake
    good = valid & np.isfinite(shake) & (np.nan_to_num(conf) >= 0.5)
    shake_reliable = bool(good.sum() >= max(3, 0.4 * pairs))
    if not shake_reliable:
        good = valid & np.isfinite(shake)
    sv = shake[good]
    fam = a["family"]
    win = fam > 0
    nw = int(win.sum())

    # shares of the *measured* frames, so that a lone window cannot speak for a whole stretch
    base = max(1, int((valid[lead:] | win[lead:]).sum()))

    def share(code: int) -> float:
        return float(np.sum(fam[lead:] == code) / base) if nw else 0.0

    tr = win & (fam == FAMILY_TRANSLATION) & np.isfinite(a["trans_x"])
    if tr.any():
        tx, ty, tz = (np.median(a[k][tr].astype(np.float64)) for k in ("trans_x", "trans_y", "trans_z"))
        ax = np.abs(np.stack([a["trans_x"][tr], a["trans_y"][tr], a["trans_z"][tr]]).astype(np.float64))
        dom = np.argmax(ax, axis=0)
        lateral, vertical, axial = (float(np.mean(dom == i)) for i in range(3))
    else:
        tx = ty = tz = math.nan
        lateral = vertical = axial = 0.0
    turn_ratio, turn_spread = keystone_ratio(a["turn"].astype(np.float64),
                                          np.where(valid, a["pan"], np.nan).astype(np.float64),
                                          th.move_total)
    meth = a["method"][lead:]
    methods = {name: float(np.mean(meth == code)) if len(meth) else 0.0
               for name, code in (("klt", METHOD_KLT), ("dis", METHOD_DIS), ("phase", METHOD_PHASE))}
    return Stats(
        start=c.start_frame, end=c.end_frame, rate=rate, pairs=pairs, coverage=coverage,
        confidence=float(np.mean(conf[valid])) if valid.any() else 0.0,
        pan=totals["pan"], tilt=totals["tilt"], zoom=totals["zoom"], roll=totals["roll"],
        pan_consistency=_consistency(vpan, totals["pan"], th.move_speed * 0.5),
        tilt_consistency=_consistency(vtilt, totals["tilt"], th.move_speed * 0.5),
        zoom_consistency=_consistency(sm["zoom"] * rate, totals["zoom"], th.zoom_speed * 0.5),
        roll_consistency=_consistency(sm["roll"] * rate, totals["roll"], th.roll_speed * 0.5),
        speed=float(np.median(speed[moving])) if moving.any() else 0.0,
        peak_speed=float(np.percentile(speed[np.isfinite(speed)], 90))
        if np.isfinite(speed).any() else 0.0,
        shake=float(1.4826 * np.median(np.abs(sv))) if len(sv) else 0.0,
        shake_reliable=shake_reliable,
        windows=nw, rigid=share(FAMILY_RIGID), translation=share(FAMILY_TRANSLATION),
        moving_object=share(FAMILY_OBJECT), ambiguous=share(FAMILY_AMBIGUOUS),
        subject_still=float(np.sum(a["subject"][lead:] > 0) / base) if nw else 0.0,
        offh=float(np.nanmedian(a["offh"][win])) if nw else math.nan,
        trans_dir=(float(tx), float(ty), float(tz)), lateral=lateral, vertical=vertical, axial=axial,
        methods=methods, turn_ratio=turn_ratio, turn_spread=turn_spread,
    )


def overall_speed(s: Stats) -> float:
    """Speed of the whole move in frame widths per second: pan/tilt, or the corner shift of a
    zoom or roll when that is larger (one number for the speed tag and the trace)."""
    per_s = s.rate / max(1, s.pairs)
    return max(s.speed, abs(s.zoom) * 0.6 * per_s, abs(s.roll) * 0.0105 * per_s)


def speed_words(v: float) -> str:
    """``v`` (frame widths per second) the one way the tags and the trace both write it."""
    pct = v * 100
    return f"{pct:.1f} % of the frame width per second" if pct < 10 else \
        f"{pct:.0f} % of the frame width per second"
