"""Parallax evidence over short windows of chained KLT tracks (reference/camera_motion.md §4).

Pan, tilt, roll and zoom move every static point by one homography whatever its depth;
dolly, truck and pedestal add motion proportional to 1/Z. Over a window of ~6 frames we fit
a homography (H) and a fundamental matrix (F) to the tracks that survived the window:

* H explains (nearly) every track → rotation/zoom family ("rigid");
* H fails for a compact set of tracks that all share one residual vector while the rest fit
  H to a fraction of a pixel → an independently moving object, not camera translation;
* H fails for residuals spread over the frame and graded in size → camera translation; the
  epipole of F is the focus of expansion (FOE) and names it: near the centre → dolly, at
  horizontal infinity → truck, at vertical infinity → pedestal.

The result is a handful of numbers per window; nothing else is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

FAMILY_NONE, FAMILY_RIGID, FAMILY_TRANSLATION, FAMILY_OBJECT, FAMILY_AMBIGUOUS = 0, 1, 2, 3, 4
FAMILY_NAMES = {FAMILY_NONE: "none", FAMILY_RIGID: "rotation/zoom", FAMILY_TRANSLATION: "translation",
                FAMILY_OBJECT: "moving object", FAMILY_AMBIGUOUS: "ambiguous"}

MIN_TRACKS = 24


@dataclass(frozen=True)
class WindowEvidence:
    start: int                    # frame index at the window start (anchor frame)
    end: int                      # frame index at the window end
    tracks: int = 0
    h_inliers: float = math.nan   # share of tracks within 1 px of the homography
    f_inliers: float = math.nan
    off: float = math.nan         # share of tracks more than 2 px (at 640 wide) off H
    residual: float = math.nan    # median H residual, px at 640 wide
    spread: float = math.nan      # dispersion of the off-H residual vectors (0 = one shared vector)
    extent: float = math.nan      # share of the frame the off-H tracks span (0..1)
    family: int = FAMILY_NONE
    parallax: float = 0.0         # 0..1 strength of translation evidence
    # camera translation direction (x right, y up, z forward)
    direction: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    # focus of expansion, ((x − cx)/w, (y − cy)/w) in image coordinates; ±inf = at infinity
    foe: tuple[float, float] = (math.nan, math.nan)
    relative: float = math.nan    # off-H residual size relative to the bulk motion
    subject_still: bool = False   # the off-H region held still while the background moved (tracking?)
    # the camera's turn seen in the keystone of the dominant plane's homography, as the slide
    # it gives the middle of the frame (working px, + = the camera turns right, so content
    # moves left): a pan or an arc turns the camera, a truck does not (a sideways translation
    # leaves the third row of H unchanged)
    turn: float = math.nan


def keystone_turn(hmat: np.ndarray, width: int, height: int) -> float:
    """The camera's turn implied by the keystone (third row) of ``hmat``, as the slide of the
    frame's middle in px, + = turning right (content moving left); focal length ≈ width."""
    cx, cy = width / 2.0, height / 2.0
    t = np.array([[1.0, 0, cx], [0, 1.0, cy], [0, 0, 1.0]])
    ti = np.array([[1.0, 0, -cx], [0, 1.0, -cy], [0, 0, 1.0]])
    hc = ti @ hmat @ t
    if not abs(hc[2, 2]) > 1e-9:
        return math.nan
    hc = hc / hc[2, 2]
    f = float(width)
    return float(hc[2, 0] * f * f)


def _epipole(f: np.ndarray) -> np.ndarray | None:
    """Epipole in the second image: the left null vector of F."""
    try:
        _, _, vt = np.linalg.svd(f.T)
    except np.linalg.LinAlgError:
        return None
    e = vt[-1]
    return e / (np.linalg.norm(e) + 1e-12)


def _bbox_extent(pts: np.ndarray, w: int, h: int) -> float:
    if len(pts) < 3:
        return 0.0
    lo = np.percentile(pts, 10, axis=0)
    hi = np.percentile(pts, 90, axis=0)
    return float(max(0.0, hi[0] - lo[0]) * max(0.0, hi[1] - lo[1]) / (w * h)) / 0.64


def _along_background(p0: np.ndarray, p1: np.ndarray, off_mask: np.ndarray, unit: float) -> bool:
    """A wide layer sliding the same way as the rest, only faster or slower, is another depth
    seen by a translating camera; an object moves its own way (or stays put while the rest
    moves)."""
    flow = p1 - p0
    if (~off_mask).sum() < 6:
        return False
    bg = np.median(flow[~off_mask], axis=0)
    fg = np.median(flow[off_mask], axis=0)
    nb, nf = float(np.hypot(*bg)), float(np.hypot(*fg))
    if min(nb, nf) < 0.5 * unit:
        return False
    return float(np.dot(bg, fg)) / (nb * nf) > 0.9


def _camera_still(p0: np.ndarray, p1: np.ndarray, off_mask: np.ndarray, unit: float) -> bool:
    """The tracks one homography explains did not move: whatever moves is not the camera."""
    if (~off_mask).sum() < 12:
        return False
    mag = np.hypot(*(p1 - p0)[~off_mask].T)
    return float(np.median(mag)) < 0.5 * unit


def _subject_still(p0: np.ndarray, p1: np.ndarray, off_mask: np.ndarray, unit: float) -> bool:
    flow = p1 - p0
    if (~off_mask).sum() < 6 or off_mask.sum() < 6:
        return False
    bg = float(np.hypot(*np.median(flow[~off_mask], axis=0)))
    fg = float(np.hypot(*np.median(flow[off_mask], axis=0)))
    return bg > 3.0 * unit and fg < 0.35 * bg


def centre_fixed(p0: np.ndarray, p1: np.ndarray, width: int, height: int, unit: float) -> bool:
    """The middle of the frame holds still while the rest slides: the camera keeps a subject
    framed (a tracking shot or an orbit around it)."""
    flow = np.hypot(*(p1 - p0).T)
    mid = (np.abs(p0[:, 0] - width / 2) < 0.15 * width) & (np.abs(p0[:, 1] - height / 2) < 0.2 * height)
    if mid.sum() < 5 or (~mid).sum() < 12:
        return False
    rest = float(np.median(flow[~mid]))
    return rest > 3.0 * unit and float(np.median(flow[mid])) < 0.3 * rest


def analyse_window(p0: np.ndarray, p1: np.ndarray, start: int, end: int, width: int, height: int,
                   global_scale: float = 0.0, *, background_only: bool = False) -> WindowEvidence:
    """Test chained tracks (positions at the window start ``p0`` and end ``p1``, working px).

    ``global_scale`` is the summed log-scale of the per-frame similarity over the window (a
    hint for the sign of a dolly when the FOE is central).
    """
    n = len(p0)
    if n < MIN_TRACKS:
        return WindowEvidence(start, end, tracks=n)
    unit = width / 640.0
    p0 = np.ascontiguousarray(p0, np.float32)
    p1 = np.ascontiguousarray(p1, np.float32)
    hmat, hmask = cv2.findHomography(p0, p1, cv2.RANSAC, 1.0 * unit, maxIters=1000, confidence=0.995)
    if hmat is None:
        return WindowEvidence(start, end, tracks=n)
    proj = cv2.perspectiveTransform(p0.reshape(-1, 1, 2), hmat).reshape(-1, 2)
    res = p1 - proj
    rlen = np.hypot(res[:, 0], res[:, 1]) / unit
    h_inl = float(hmask.mean())
    off_mask = rlen > 2.0
    off = float(off_mask.mean())
    med = float(np.median(rlen))
    fmat, fmask = cv2.findFundamentalMat(p0, p1, cv2.FM_RANSAC, 1.0 * unit, 0.99)
    f_inl = float(fmask.mean()) if fmask is not None else math.nan
    common = dict(start=start, end=end, tracks=n, h_inliers=h_inl, f_inliers=f_inl, off=off,
                  residual=med, turn=keystone_turn(hmat, width, height))
    if off < 0.05 and h_inl > 0.85:
        return WindowEvidence(**common, spread=math.nan, extent=0.0, family=FAMILY_RIGID)
    still = _camera_still(p0, p1, off_mask, unit)
    r_off = res[off_mask]
    if len(r_off) < 6:
        return WindowEvidence(**common, spread=math.nan, extent=0.0, family=FAMILY_AMBIGUOUS,
                              parallax=0.0)
    centre = np.median(r_off, axis=0)
    bulk = float(np.median(np.hypot(*(p1 - p0).T)))
    relative = float(np.median(np.hypot(*r_off.T)) / max(bulk, 0.5 * unit))  # parallax vs motion
    size = float(np.median(np.hypot(*r_off.T)))
    spread = float(np.median(np.hypot(*(r_off - centre).T)) / (size + 1e-9))
    extent = _bbox_extent(p1[off_mask], width, height)
    layered = extent >= 0.35 and _along_background(p0, p1, off_mask, unit)
    shape = dict(common, spread=spread, extent=extent, relative=relative)
    if still or (spread < 0.25 and not layered):
        # one shared residual vector: something moving on its own, not depth. Set that region
        # aside and test the background alone: a camera travelling with a subject still leaves
        # parallax between the background's own depths
        subject = off_mask & (np.hypot(*(res - centre).T) < max(1.0 * unit, 0.35 * size))
        follows = _subject_still(p0, p1, off_mask, unit)
        if not background_only and not still and int((~subject).sum()) >= MIN_TRACKS:
            bg = analyse_window(p0[~subject], p1[~subject], start, end, width, height,
                                global_scale, background_only=True)
            if bg.family == FAMILY_TRANSLATION:
                return replace(bg, subject_still=follows)
        return WindowEvidence(**shape, family=FAMILY_OBJECT, subject_still=follows)
    e = _epipole(fmat) if fmat is not None and fmat.shape == (3, 3) else None
    if e is None:
        return WindowEvidence(**shape, family=FAMILY_AMBIGUOUS)
    cx, cy = width / 2.0, height / 2.0
    focal = float(width)                     # assume ~53° horizontal field of view
    # camera-frame direction of the FOE (x right, y down, z forward), up to sign
    d = np.array([e[0] - cx * e[2], e[1] - cy * e[2], focal * e[2]], float)
    d /= np.linalg.norm(d) + 1e-12
    flow = p1 - p0
    inside = abs(d[2]) > 1e-6 and abs(d[0] / d[2]) < 0.6 and abs(d[1] / d[2]) < 0.6 * height / width
    if inside:                               # FOE within the frame: dolly
        ex, ey = cx + focal * d[0] / d[2], cy + focal * d[1] / d[2]
        out = p0 - np.array([ex, ey], np.float32)
        radial = np.sum(flow * out, axis=1) / (np.hypot(out[:, 0], out[:, 1]) + 1e-6)
        sign = np.sign(np.median(radial)) or np.sign(global_scale) or 1.0
        if relative < 0.3 and abs(global_scale) >= 0.01:
            sign = np.sign(global_scale)     # a turn swamps the radial flow; the growth does not lie
        t = sign * d * np.sign(d[2])
        foe = ((ex - cx) / width, (ey - cy) / width)
    else:                                    # FOE outside the frame: lateral translation
        lat = d[:2] / (np.linalg.norm(d[:2]) + 1e-12)
        along = flow @ lat.astype(np.float32)
        sign = -np.sign(np.median(along)) or 1.0   # points move opposite to the camera
        t = sign * np.array([lat[0], lat[1], 0.0])
        foe = (math.copysign(math.inf, lat[0]) if abs(lat[0]) > 1e-6 else 0.0,
               math.copysign(math.inf, lat[1]) if abs(lat[1]) > 1e-6 else 0.0)
    graded = max(min(1.0, spread / 0.35), min(1.0, extent / 0.5) if layered else 0.0)
    strength = min(1.0, off / 0.3) * graded * (f_inl if f_inl == f_inl else 0.5)
    direction = (float(t[0]), float(-t[1]), float(t[2]))     # y up for people
    # translation needs F to explain the tracks H cannot (else the tracks are just noisy), and
    # parallax that is a real part of the motion rather than a ripple on a big rotation
    # ... except a forward move while turning (a follow shot that pans): the turn makes the
    # bulk motion large, but the parallax spreads from a focus of expansion inside the frame
    # while the picture grows
    forward_turn = inside and abs(global_scale) >= 0.01 and strength > 0.4
    clean = f_inl == f_inl and f_inl >= 0.8 and (not relative < 0.3 or forward_turn)
    family = FAMILY_TRANSLATION if strength > 0.25 and clean else FAMILY_AMBIGUOUS
    return WindowEvidence(**shape, family=family, parallax=float(strength), direction=direction,
                          subject_still=not inside and centre_fixed(p0, p1, width, height, unit),
                          foe=foe)
