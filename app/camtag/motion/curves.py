"""Per-frame motion curves for a whole media file (or one shot's slice of it).

Frame ``i`` carries the motion from frame ``i − 1`` to frame ``i``. Units and signs
(reference/camera_motion.md §1), camera-centric so that "camera pans right" is positive:

==========  ====================================================================
pan         frame widths per frame, + = camera pans right (content moves left)
tilt        frame widths per frame, + = camera tilts up (content moves down)
roll        degrees per frame, + = camera rolls clockwise (content turns CCW)
zoom        log scale per frame, + = zoom in (content grows)
confidence  0..1 of the per-frame fit (inliers, track count, residual)
parallax    0..1 strength of camera-translation evidence from the window test
trans_x/y/z camera translation direction from the focus of expansion
            (x right, y up, z forward; NaN without translation evidence)
offh        share of tracks a single homography does not explain
family      window family (see :mod:`camtag.motion.parallax`), uint8
method      estimator used (see :mod:`camtag.motion.tracker`), uint8
subject     1 where a compact region held still while the background moved
turn        frame widths per frame of pan the keystone of the window's homography shows
            (a turning camera bends the picture, a travelling one does not; NaN in
            files written before this column existed)
==========  ====================================================================

Smoothed pan/tilt/roll/zoom (robust 5-frame median, then a Gaussian of ~0.1 s) restart at
``breaks`` (shot starts) so that a cut never bleeds into the next shot.
"""

from __future__ import annotations

import base64
import math
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

MOTION = ("pan", "tilt", "roll", "zoom")
EVIDENCE = ("confidence", "parallax", "trans_x", "trans_y", "trans_z", "offh", "inliers", "turn")
OPTIONAL = ("turn",)            # added later: files written before it read it as NaN
CODES = ("family", "method", "subject")
UNITS = {"pan": "frame widths/frame, + right", "tilt": "frame widths/frame, + up",
         "roll": "degrees/frame, + clockwise", "zoom": "log scale/frame, + in",
         "confidence": "0..1", "parallax": "0..1", "trans_x": "unit vector, + right",
         "trans_y": "unit vector, + up", "trans_z": "unit vector, + forward",
         "offh": "share of tracks", "inliers": "tracks",
         "turn": "frame widths/frame of pan implied by the keystone, + right"}
_DTYPES = {**{k: "<f4" for k in MOTION}, **{k: "<f2" for k in EVIDENCE}, **{k: "u1" for k in CODES}}
FORMAT = "camtag.motion/1"
ENCODING = "zlib+base64"        # each array: little-endian bytes of its dtype, zlib, base64


def _nan_gauss(x: np.ndarray, sigma: float) -> np.ndarray:
    """NaN-aware Gaussian smoothing (normalised convolution); NaN only where no data is near."""
    if len(x) == 0 or sigma <= 0:
        return x.astype(np.float64)
    r = max(1, int(math.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    ok = np.isfinite(x)
    n = len(x)
    num = np.convolve(np.where(ok, x, 0.0), k)[r:r + n]
    den = np.convolve(ok.astype(np.float64), k)[r:r + n]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den < 0.2] = np.nan
    return out


def _nan_median5(x: np.ndarray) -> np.ndarray:
    """5-frame running median ignoring NaN (edges padded), equal to ``np.nanmedian`` over the
    windows bit for bit (the mean of the two middle values for an even count, NaN for none),
    without its masked-array path (~3× the time, and numpy.ma's import on the first call)."""
    if len(x) < 5:
        return x.astype(np.float64)
    pad = np.pad(x.astype(np.float64), 2, mode="edge")
    win = np.sort(np.lib.stride_tricks.sliding_window_view(pad, 5), axis=1)   # NaN sorts last
    k = 5 - np.isnan(win).sum(axis=1)                                           # finite per window
    rows = np.arange(len(win))
    out = (win[rows, np.maximum(k - 1, 0) // 2] + win[rows, np.maximum(k, 1) // 2]) / 2
    out[k == 0] = np.nan
    return out


def smooth(x: np.ndarray, rate: float, breaks: tuple[int, ...] = ()) -> np.ndarray:
    """Robust 5-frame median then a ~0.1 s Gaussian, restarting at ``breaks`` (offsets)."""
    x = np.asarray(x, np.float64)
    out = np.full(len(x), np.nan)
    sigma = max(1.0, 0.1 * rate)
    edges = sorted({0, len(x), *[b for b in breaks if 0 < b < len(x)]})
    for a, b in zip(edges[:-1], edges[1:]):
        out[a:b] = _nan_gauss(_nan_median5(x[a:b]), sigma)
    return out


@dataclass
class MotionCurves:
    start_frame: int
    rate: Fraction
    arrays: dict[str, np.ndarray]
    breaks: tuple[int, ...] = ()        # absolute frame numbers where a new shot starts
    width: int = 640                   # analysis width the numbers were measured at
    _smoothed: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = None
        for name in (*MOTION, *EVIDENCE, *CODES):
            if name not in self.arrays and name in OPTIONAL and n is not None:
                self.arrays[name] = np.full(n, np.nan, np.float32)
            if name not in self.arrays:
                raise ValueError(f"motion curves: array {name!r} is missing")
            a = np.asarray(self.arrays[name])
            if a.ndim != 1 or (n is not None and len(a) != n):
                raise ValueError(f"motion curves: array {name!r} has the wrong length")
            n = len(a)
        self.rate = Fraction(self.rate)

    # -- shape ---------------------------------------------------------------------------------
    @property
    def frames(self) -> int:
        return len(self.arrays["pan"])

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @classmethod
    def empty(cls, start_frame: int, rate: Fraction, n: int = 0, width: int = 640) -> "MotionCurves":
        arrays = {k: np.full(n, np.nan, np.float32) for k in (*MOTION, *EVIDENCE)}
        arrays.update({k: np.zeros(n, np.uint8) for k in CODES})
        return cls(start_frame, rate, arrays, (), width)

    # -- smoothing -----------------------------------------------------------------------------
    def smoothed(self) -> dict[str, np.ndarray]:
        if self._smoothed is None:
            offs = tuple(b - self.start_frame for b in self.breaks)
            rate = float(self.rate) if self.rate else 25.0
            # unreliable pairs (cuts, flashes, failed fits) do not take part in the smoothing
            weak = ~(np.nan_to_num(self.arrays["confidence"].astype(np.float64)) >= 0.2)
            self._smoothed = {k: smooth(np.where(weak, np.nan, self.arrays[k]), rate, offs)
                              for k in MOTION}
        return self._smoothed

    def add_break(self, frame: int) -> None:
        """Record a shot start (smoothing restarts there)."""
        if self.start_frame < frame < self.end_frame and frame not in self.breaks:
            self.breaks = tuple(sorted((*self.breaks, frame)))
            self._smoothed = None

    def with_breaks(self, breaks) -> "MotionCurves":
        return MotionCurves(self.start_frame, self.rate, self.arrays, tuple(sorted(set(breaks))),
                            self.width)

    # -- slices --------------------------------------------------------------------------------
    def slice(self, start: int, end: int, *, own_shot: bool = True) -> "MotionCurves":
        """Frames [start, end). With ``own_shot`` the first entry (motion *into* ``start``,
        which crosses the cut) is blanked and smoothing restarts at ``start``."""
        a = max(start, self.start_frame) - self.start_frame
        b = max(a, min(end, self.end_frame) - self.start_frame)
        arrays = {k: np.array(v[a:b]) for k, v in self.arrays.items()}
        first = self.start_frame + a
        if own_shot and b > a:
            for k in (*MOTION, *EVIDENCE):
                arrays[k][0] = np.nan
            arrays["confidence"][0] = 0
            for k in CODES:
                arrays[k][0] = 0
        breaks = tuple(x for x in self.breaks if first < x < first + (b - a))
        return MotionCurves(first, self.rate, arrays, breaks, self.width)

    # -- export --------------------------------------------------------------------------------
    def to_arrays(self, per_second: bool = False) -> dict[str, np.ndarray]:
        """Everything a timeline needs: ``frame``, ``time`` (s, for plotting only), raw
        ``pan``…, smoothed ``pan_smooth``…, the evidence arrays and ``shake`` (frame widths)."""
        n = self.frames
        frame = np.arange(self.start_frame, self.start_frame + n)
        out: dict[str, np.ndarray] = {"frame": frame, "time": frame / float(self.rate or 1)}
        k = float(self.rate) if per_second else 1.0
        sm = self.smoothed()
        for name in MOTION:
            out[name] = self.arrays[name].astype(np.float64) * k
            out[name + "_smooth"] = sm[name] * k
        for name in (*EVIDENCE, *CODES):
            out[name] = np.asarray(self.arrays[name])
        out["shake"] = shake_curve(self)
        return out

    def to_dict(self) -> dict[str, Any]:
        sm = self.smoothed()
        enc = {}
        for name in (*MOTION, *EVIDENCE, *CODES):
            enc[name] = _b64(self.arrays[name], _DTYPES[name])
        smooth_enc = {name: _b64(sm[name], "<f2") for name in MOTION}   # display only
        return {
            "format": FORMAT, "start_frame": int(self.start_frame), "frames": self.frames,
            "rate": f"{self.rate.numerator}/{self.rate.denominator}", "width": int(self.width),
            "breaks": [int(b) for b in self.breaks], "encoding": ENCODING,
            "dtypes": {k: _DTYPES[k] for k in enc}, "units": UNITS, "raw": enc, "smoothed": smooth_enc,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MotionCurves":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError(f"motion curves: expected format {FORMAT!r}")
        try:
            n = int(d["frames"])
            rate = Fraction(str(d["rate"]))
            dtypes = d.get("dtypes") or _DTYPES
            arrays = {}
            for name in (*MOTION, *EVIDENCE, *CODES):
                if name in OPTIONAL and name not in d["raw"]:
                    arrays[name] = np.full(n, np.nan, np.float32)
                    continue
                dt = np.dtype(dtypes.get(name, _DTYPES[name]))
                raw = _unb64(d["raw"][name], str(d.get("encoding", ENCODING)))
                if len(raw) != n * dt.itemsize:
                    count = len(raw) // dt.itemsize
                    raise ValueError(f"array {name!r} has {count} values, expected {n}")
                a = np.frombuffer(raw, dt)
                if len(a) != n:
                    raise ValueError(f"array {name!r} has {len(a)} values, expected {n}")
                arrays[name] = a.astype(np.float32 if dt.kind == "f" else np.uint8)
        except (KeyError, TypeError, ValueError, ZeroDivisionError, zlib.error) as exc:
            raise ValueError(f"motion curves: unreadable ({exc})") from None
        return cls(int(d.get("start_frame", 0)), rate, arrays,
                   tuple(int(b) for b in d.get("breaks", ())), int(d.get("width", 640)))


def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(zlib.compress(np.asarray(a).astype(dtype).tobytes(), 6)).decode("ascii")


def _unb64(text: str, encoding: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    return zlib.decompress(raw) if encoding.startswith("zlib") else raw


def _highpass_path(v: np.ndarray, fill: np.ndarray, sigma: float) -> np.ndarray:
    """Position (cumulative sum of per-frame motion) minus its Gaussian low-pass. The ends are
    padded by odd reflection so that a steady move has no shake at the shot edges."""
    ok = np.isfinite(v)
    v = np.where(ok, v, np.where(np.isfinite(fill), fill, 0.0))
    pos = np.cumsum(v)
    n = len(pos)
    if n < 3:
        return np.where(ok, 0.0, np.nan)
    r = min(n - 1, max(1, int(math.ceil(3 * sigma))))
    head = 2 * pos[0] - pos[r:0:-1]
    tail = 2 * pos[-1] - pos[-2:-r - 2:-1]
    padded = np.concatenate([head, pos, tail])
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    low = np.convolve(padded, k / k.sum())[2 * r:2 * r + n]
    hp = pos - low
    hp[~ok] = np.nan
    return hp


def shake_curve(c: MotionCurves, move_speed: float = 0.012) -> np.ndarray:
    """High-pass of the camera path (position − its ~0.25 s low-pass), in frame widths.

    While the camera moves, only the component across the direction of motion counts (×√2 for
    an isotropic equivalent): frame-rate conversion judder (frames dropped or doubled) jerks
    the image *along* the move and is not shake."""
    rate = float(c.rate) if c.rate else 25.0
    sigma = max(1.5, 0.25 * rate)
    sm = c.smoothed()
    out = np.full(c.frames, np.nan)
    inner = [b - c.start_frame for b in c.breaks if 0 < b - c.start_frame < c.frames]
    offs = sorted({0, c.frames, *inner})
    for a, b in zip(offs[:-1], offs[1:]):
        vx, vy = sm["pan"][a:b], sm["tilt"][a:b]
        hx = _highpass_path(c.arrays["pan"][a:b].astype(np.float64), vx, sigma)
        hy = _highpass_path(c.arrays["tilt"][a:b].astype(np.float64), vy, sigma)
        v = np.hypot(vx, vy)
        with np.errstate(invalid="ignore", divide="ignore"):
            ux, uy = vx / v, vy / v
        moving = np.isfinite(v) & (v * rate >= move_speed)
        across = np.abs(-uy * hx + ux * hy) * math.sqrt(2.0)
        out[a:b] = np.where(moving, across, np.hypot(hx, hy))
    return out
