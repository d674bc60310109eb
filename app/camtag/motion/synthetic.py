"""Synthetic clips with exactly known camera motion, for the motion tests and benchmark.

Two kinds:

* **planar** clips: a photo mosaic warped by a per-frame similarity (pan, tilt, roll, zoom,
  handheld jitter), optionally with a pasted object moving in frame or locked in the centre;
* **layered** clips: three textured fronto-parallel planes at different depths rendered with
  a pinhole camera, so that dolly/truck/pedestal create parallax and zoom/pan/tilt do not.

Everything is drawn from images the caller passes in (the tests use photos that an installed
package ships, see :func:`shipped_photos`); nothing is downloaded. Clips are encoded with
PyAV (libx264, yuv420p) so they go through the same decoder as real media.
"""

from __future__ import annotations

import glob
import importlib.util
import math
import os
from dataclasses import dataclass, field
from fractions import Fraction

import cv2
import numpy as np

_PHOTO_NAMES = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg",
                "motorcycle_left.png", "hubble_deep_field.jpg", "immunohistochemistry.png")
_TEXTURE_NAMES = ("gravel.png", "grass.png", "brick.png")


def _skimage_data_dir() -> str | None:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(list(spec.submodule_search_locations)[0], "data")
    return folder if os.path.isdir(folder) else None


def shipped_photos() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(photos, textures) as BGR arrays, read from the photos scikit-image ships in its wheel.

    Raises ``FileNotFoundError`` when they are not installed (``pip install scikit-image``).
    """
    folder = _skimage_data_dir()
    if folder is None:
        raise FileNotFoundError("scikit-image is not installed; its bundled photos are needed")
    photos, textures = [], []
    for names, out in ((_PHOTO_NAMES, photos), (_TEXTURE_NAMES, textures)):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.exists(path):
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if img is not None:
                    out.append(img)
    if len(photos) < 3 or not textures:
        found = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "*")))
        raise FileNotFoundError(f"too few bundled photos in {folder}: {found[:10]}")
    return photos, textures


def mosaic(photos: list[np.ndarray], width: int, height: int, seed: int = 0) -> np.ndarray:
    """A non-repeating canvas of photos (random sizes, no gaps) of the given size."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((height, width, 3), np.uint8)
    y = 0
    row = 0
    while y < height:
        row_h = int(rng.integers(260, 420))
        x = -int(rng.integers(0, 200))
        k = row
        while x < width:
            img = photos[k % len(photos)]
            w = max(8, round(img.shape[1] * row_h / img.shape[0]))
            tile = cv2.resize(img, (w, row_h), interpolation=cv2.INTER_AREA)
            x0, x1 = max(0, x), min(width, x + w)
            y1 = min(height, y + row_h)
            if x1 > x0:
                canvas[y:y1, x0:x1] = tile[: y1 - y, x0 - x: x1 - x]
            x += w
            k += 3
        y += row_h
        row += 1
    return canvas


def similarity(dx: float, dy: float, log_s: float, theta_deg: float, cx: float,
               cy: float) -> np.ndarray:
    """3×3 similarity ``x' = s·R(θ)·(x − c) + c + t`` (image y down; θ>0 turns +x toward +y)."""
    s = math.exp(log_s)
    th = math.radians(theta_deg)
    a, b = s * math.cos(th), s * math.sin(th)
    m = np.array([[a, -b, 0.0], [b, a, 0.0], [0.0, 0.0, 1.0]])
    m[0, 2] = cx + dx - (a * cx - b * cy)
    m[1, 2] = cy + dy - (b * cx + a * cy)
    return m


def corner_error(m_est: np.ndarray, m_gt: np.ndarray, width: int, height: int) -> float:
    """Mean end-point distance of the 4 corners and the centre under two 3×3 transforms."""
    pts = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1],
                    [width / 2, height / 2, 1]], float).T
    a = m_est @ pts
    b = m_gt @ pts
    a = a[:2] / a[2]
    b = b[:2] / b[2]
    return float(np.mean(np.hypot(*(a - b))))


@dataclass
class Clip:
    path: str
    width: int
    height: int
    rate: Fraction
    frames: int
    truth: list = field(default_factory=list)   # per frame: 3×3 motion from i-1 to i (0: None)
    kind: str = ""


class ClipWriter:
    """Encode BGR frames to H.264 yuv420p with PyAV."""

    def __init__(self, path: str, width: int, height: int, rate: Fraction = Fraction(25),
                 crf: int = 20, preset: str = "veryfast") -> None:
        import av

        self.container = av.open(path, "w")
        self.stream = self.container.add_stream("libx264", rate=rate)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"crf": str(crf), "preset": preset}

    def write(self, bgr: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr), format="bgr24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


def _noise(img: np.ndarray, rng, sigma: float) -> np.ndarray:
    if sigma <= 0:
        return img
    n = rng.normal(0, sigma, img.shape).astype(np.float32)
    return np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)


def planar_clip(path: str, photos: list[np.ndarray], motions: list[tuple[float, float, float, float]],
                width: int = 640, height: int = 360, rate: Fraction = Fraction(25), *,
                low_texture: bool = False, object_img: np.ndarray | None = None,
                object_path: list[tuple[float, float]] | None = None, object_size: float = 0.3,
                noise: float = 1.5, seed: int = 0, crf: int = 20, preset: str = "veryfast") -> Clip:
    """Warp a photo mosaic by per-frame similarities ``(dx, dy, log_s, theta_deg)`` in px of
    this clip's size (motion from frame i-1 to i; ``motions[0]`` is ignored).

    ``object_path`` gives the object's centre in frame coordinates per frame (a pasted photo
    of ``object_size`` × frame height), for moving-object and tracking clips.
    """
    n = len(motions)
    cx, cy = width / 2, height / 2
    poses = [np.eye(3)]
    truth: list = [None]
    for dx, dy, ls, th in motions[1:]:
        m = similarity(dx, dy, ls, th, cx, cy)
        truth.append(m)
        poses.append(m @ poses[-1])
    # canvas large enough for every frame's footprint
    corners = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1]], float).T
    foot = np.hstack([(np.linalg.inv(p) @ corners)[:2] for p in poses])
    x0, y0 = np.floor(foot.min(axis=1)) - 8
    x1, y1 = np.ceil(foot.max(axis=1)) + 8
    cw, ch = int(x1 - x0), int(y1 - y0)
    canvas = mosaic(photos, cw, ch, seed)
    if low_texture:
        canvas = cv2.GaussianBlur(canvas, (0, 0), 6)
        canvas = (canvas.astype(np.float32) * 0.25 + 96).astype(np.uint8)
    shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], float)   # frame-0 → canvas coords
    rng = np.random.default_rng(seed + 1)
    obj = None
    if object_img is not None:
        oh = max(8, int(height * object_size))
        ow = max(8, round(object_img.shape[1] * oh / object_img.shape[0]))
        obj = cv2.resize(object_img, (ow, oh), interpolation=cv2.INTER_AREA)
    writer = ClipWriter(path, width, height, rate, crf=crf, preset=preset)
    try:
        for i in range(n):
            g = poses[i] @ np.linalg.inv(shift)      # canvas → frame i
            img = cv2.warpAffine(canvas, g[:2], (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT)
            if obj is not None and object_path is not None:
                ox, oy = object_path[i]
                _paste(img, obj, ox, oy)
            writer.write(_noise(img, rng, noise))
    finally:
        writer.close()
    return Clip(path, width, height, rate, n, truth, "planar")


def _paste(img: np.ndarray, obj: np.ndarray, cx: float, cy: float) -> None:
    """Paste ``obj`` centred at a sub-pixel position (rendered by an affine shift)."""
    oh, ow = obj.shape[:2]
    m = np.array([[1, 0, cx - ow / 2], [0, 1, cy - oh / 2]], float)
    layer = cv2.warpAffine(obj, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.full((oh, ow), 255, np.uint8), m, (img.shape[1], img.shape[0]),
                          flags=cv2.INTER_LINEAR)
    a = (mask.astype(np.float32) / 255.0)[..., None]
    img[:] = (img * (1 - a) + layer * a).astype(np.uint8)


# -- layered 3-D scenes ------------------------------------------------------------------------

@dataclass(frozen=True)
class Layer:
    depth: float                 # metres in front of the camera at frame 0
    texture: np.ndarray          # BGR
    metres_per_px: float         # texture scale on the plane
    mask: np.ndarray | None = None   # uint8 alpha over the texture (None: opaque)


def layered_scene(photos: list[np.ndarray], textures: list[np.ndarray], focal: float,
                  width: int, height: int, seed: int = 0) -> list[Layer]:
    """Far photo wall at 30 m, a mid layer of photo panels at 7 m, near posts and a low
    foreground band at 3 m: planes spread over the frame so that translation leaves
    depth-graded parallax everywhere (the reference's 3 m / 7 m / 30 m set-up)."""
    rng = np.random.default_rng(seed)
    layers = []
    for depth, cover, kind in ((30.0, 3.0, "far"), (7.0, 2.4, "mid"), (3.0, 2.2, "near")):
        # texture covering `cover` × the frame's footprint at this depth
        mpp_frame = depth / focal                            # metres per image px at frame 0
        tw, th = int(width * cover), int(height * cover)
        if kind == "far":
            tex = mosaic(photos, tw, th, seed + 11)
            mask = None
        else:
            src = textures if kind == "near" else photos[::-1]
            tex = mosaic(src, tw, th, seed + (23 if kind == "mid" else 37))
            mask = np.zeros((th, tw), np.uint8)
            if kind == "mid":
                for _ in range(int(10 * cover)):          # panels
                    w, h = int(rng.integers(tw // 14, tw // 8)), int(rng.integers(th // 6, th // 3))
                    x, y = int(rng.integers(0, tw - w)), int(rng.integers(0, th - h))
                    mask[y:y + h, x:x + w] = 255
            else:
                step = tw // 7
                for x in range(int(rng.integers(0, step)), tw, step):   # posts
                    mask[:, x: x + step // 4] = 255
                mask[int(th * 0.62):, :] = 255                          # foreground band
        layers.append(Layer(depth, tex, mpp_frame, mask))
    return layers


def composite(layers, focal_px: float, cams, rot: np.ndarray, width: int, height: int) -> np.ndarray:
    """The picture (float32 BGR) of ``layers`` back to front, each seen from its camera position
    in ``cams`` (one per layer: a moving subject is a layer whose camera is offset)."""
    img = np.zeros((height, width, 3), np.float32)
    for layer, cam in zip(layers, cams):
        h = layer_matrix(layer, focal_px, cam, rot, width, height)
        col = cv2.warpPerspective(layer.texture, h, (width, height), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT if layer.mask is None
                                  else cv2.BORDER_CONSTANT)
        if layer.mask is None:
            img[:] = col
        else:
            a = cv2.warpPerspective(layer.mask, h, (width, height), flags=cv2.INTER_LINEAR)
            a = (a.astype(np.float32) / 255.0)[..., None]
            img = img * (1 - a) + col * a
    return img


def layer_matrix(layer: Layer, focal_px: float, cam: np.ndarray, rot: np.ndarray,
                  width: int, height: int) -> np.ndarray:
    """3×3 map from texture pixels to image pixels for a camera at ``cam`` (metres) with
    rotation ``rot`` (world→camera) and focal length ``focal_px``."""
    th, tw = layer.texture.shape[:2]
    s = layer.metres_per_px
    # texture px → world point on the plane Z = depth (texture centred on the optical axis)
    t2w = np.array([[s, 0, -s * tw / 2], [0, s, -s * th / 2], [0, 0, layer.depth]], float)
    k = np.array([[focal_px, 0, width / 2], [0, focal_px, height / 2], [0, 0, 1]], float)
    # world → camera: X_c = R (X_w − C), and X_w − C = (t2w − C·e3ᵀ) @ [u, v, 1]
    world = t2w - np.outer(cam, [0, 0, 1])
    return k @ rot @ world


def layered_clip(path: str, layers: list[Layer], n: int, *, focal: float,
                 width: int = 640, height: int = 360, rate: Fraction = Fraction(25),
                 velocity: tuple[float, float, float] = (0, 0, 0),
                 yaw_deg: float = 0.0, pitch_deg: float = 0.0, zoom: float = 0.0,
                 noise: float = 1.5, seed: int = 0, crf: int = 20,
                 preset: str = "veryfast") -> Clip:
    """Render layered 3-D clips: per frame the camera moves by ``velocity`` metres (x right,
    y down, z forward), turns by ``yaw_deg`` (+ = pans right) and ``pitch_deg`` (+ = tilts
    up) and its focal length grows by ``zoom`` (log per frame)."""
    rng = np.random.default_rng(seed + 5)
    writer = ClipWriter(path, width, height, rate, crf=crf, preset=preset)
    try:
        for i in range(n):
            cam = np.array(velocity, float) * i
            yaw, pitch = math.radians(yaw_deg * i), math.radians(pitch_deg * i)
            # camera turns right by yaw: world points rotate left in camera coordinates
            ry = np.array([[math.cos(yaw), 0, -math.sin(yaw)], [0, 1, 0],
                           [math.sin(yaw), 0, math.cos(yaw)]])
            # camera tilts up by pitch (y down): world points move down in the camera frame
            rx = np.array([[1, 0, 0], [0, math.cos(pitch), math.sin(pitch)],
                           [0, -math.sin(pitch), math.cos(pitch)]])
            rot = rx @ ry
            f = focal * math.exp(zoom * i)
            img = composite(layers, f, [cam] * len(layers), rot, width, height)
            writer.write(_noise(img.astype(np.uint8), rng, noise))
    finally:
        writer.close()
    return Clip(path, width, height, rate, n, [], "layered")
