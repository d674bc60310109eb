"""Compact binary for motion curves and shot evidence: JSON structure + packed numeric arrays, zlib.

Numeric sequences of at least :data:`MIN_ARRAY` values become arrays. Arrays that are already
compact keep their dtype (float32, float16, uint8, int8-32): the motion engine chose those. Python
lists and float64 arrays become float16 when every finite value fits (about 3 significant digits,
the precision of a plotted curve) else float32; integers stay exact (int32/int64). Shorter values
and everything else stay in the JSON header, so scalars round-trip exactly. Decoded float arrays
are float32.

:func:`encode_motion` / :func:`decode_motion` store a :class:`camtag.motion.curves.MotionCurves`
without its smoothed curves (recomputed on load) at the dtypes it declares.
"""

from __future__ import annotations

import json
import struct
import zlib
from fractions import Fraction
from typing import Any

import numpy as np

MAGIC = b"CTC1"
CODEC = "ctc1-zlib"
MIN_ARRAY = 8
_F16_MAX = 65000.0


def _as_array(value: Any) -> np.ndarray | None:
    if isinstance(value, np.ndarray):
        arr = value
    elif (isinstance(value, (list, tuple)) and len(value) >= MIN_ARRAY
          and not isinstance(value[0], (str, dict))):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return None
    else:
        return None
    if arr.dtype.kind not in "biuf" or arr.size < MIN_ARRAY and not isinstance(value, np.ndarray):
        return None
    return arr


def _pack(arr: np.ndarray) -> tuple[str, bytes]:
    if arr.dtype.kind == "b":
        return "b1", arr.astype(np.uint8).tobytes()
    if arr.dtype.kind in "iu":
        if arr.dtype.itemsize <= 4:
            dtype = arr.dtype.newbyteorder("<").str
        else:
            small = arr.size == 0 or (arr.min() >= -2**31 and arr.max() < 2**31)
            dtype = "<i4" if small else "<i8"
        return dtype, arr.astype(dtype).tobytes()
    if arr.dtype.itemsize <= 4:
        dtype = arr.dtype.newbyteorder("<").str
        return dtype, arr.astype(dtype).tobytes()
    finite = arr[np.isfinite(arr)]
    if finite.size == 0 or float(np.abs(finite).max()) <= _F16_MAX:
        return "<f2", arr.astype("<f2").tobytes()
    return "<f4", arr.astype("<f4").tobytes()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def encode(tree: Any) -> bytes:
    """Encode a JSON-like tree (dicts, lists, numbers, strings, numpy arrays) compactly."""
    arrays: list[dict] = []
    chunks: list[bytes] = []

    def walk(node: Any) -> Any:
        arr = _as_array(node)
        if arr is not None:
            dtype, raw = _pack(arr)
            arrays.append({"dtype": dtype, "shape": list(arr.shape), "nbytes": len(raw)})
            chunks.append(raw)
            return {"$array": len(arrays) - 1}
        if isinstance(node, dict):
            return {str(k): walk(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [walk(v) for v in node]
        return node

    header = json.dumps({"tree": walk(tree), "arrays": arrays}, default=_json_default,
                        separators=(",", ":")).encode("utf-8")
    raw = struct.pack("<I", len(header)) + header + b"".join(chunks)
    return MAGIC + zlib.compress(raw, 6)


def decode(blob: bytes | None) -> Any:
    """Inverse of :func:`encode`; float arrays come back as float32 numpy arrays."""
    if not blob:
        return {}
    blob = bytes(blob)
    if not blob.startswith(MAGIC):
        raise ValueError("not a camtag curves blob")
    raw = zlib.decompress(blob[len(MAGIC):])
    (hlen,) = struct.unpack_from("<I", raw)
    header = json.loads(raw[4:4 + hlen].decode("utf-8"))
    arrays, pos = [], 4 + hlen
    for spec in header["arrays"]:
        is_bool = spec["dtype"] == "b1"
        dtype = np.dtype("u1" if is_bool else spec["dtype"])
        arr = np.frombuffer(raw, dtype=dtype, count=int(np.prod(spec["shape"])), offset=pos)
        pos += spec["nbytes"]
        arr = arr.reshape(spec["shape"])
        if is_bool:
            arr = arr.astype(bool)
        elif dtype.kind == "f":
            arr = arr.astype(np.float32)
        elif dtype.itemsize >= 4:
            arr = arr.astype(np.int64)
        else:
            arr = arr.astype(dtype.newbyteorder("="))
        arrays.append(arr)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"$array"}:
                return arrays[node["$array"]]
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(header["tree"])


def to_plain(tree: Any) -> Any:
    """Arrays back to lists (for ``from_dict`` constructors that expect JSON-like input)."""
    if isinstance(tree, np.ndarray):
        return tree.tolist()
    if isinstance(tree, dict):
        return {k: to_plain(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [to_plain(v) for v in tree]
    return tree


def encode_motion(motion: Any) -> bytes:
    """A MotionCurves (anything with ``arrays``/``start_frame``/``rate``), else a plain tree."""
    if hasattr(motion, "arrays") and hasattr(motion, "start_frame"):
        rate = Fraction(motion.rate)
        tree = {"kind": "MotionCurves", "start_frame": int(motion.start_frame),
                "rate": f"{rate.numerator}/{rate.denominator}", "width": int(motion.width),
                "breaks": [int(b) for b in motion.breaks],
                "arrays": {k: np.asarray(v) for k, v in motion.arrays.items()}}
        return encode(tree)
    return encode(motion.to_dict() if hasattr(motion, "to_dict") else motion)


def decode_motion(blob: bytes) -> Any:
    """A MotionCurves when the blob holds one (and the motion package is there), else a tree."""
    tree = decode(blob)
    if isinstance(tree, dict) and tree.get("kind") == "MotionCurves":
        try:
            from camtag.motion.curves import MotionCurves
        except ImportError:
            return to_plain(tree)
        arrays = {k: np.asarray(v) for k, v in tree["arrays"].items()}
        return MotionCurves(tree["start_frame"], Fraction(tree["rate"]), arrays,
                            tuple(tree["breaks"]), tree["width"])
    return to_plain(tree)
