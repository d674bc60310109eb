"""Hardware decode: NVDEC (cuda), VideoToolbox, VAAPI, QSV through PyAV's hwaccel, with fallback.

``$CAMTAG_HWACCEL`` chooses: ``auto`` (default: the first device of :data:`PREFERENCE` that the
loaded FFmpeg has and that decodes a probe clip on this machine), ``off`` (software only), or a
device name (``cuda``, ``videotoolbox``, ``vaapi``, ``qsv``, …; tried first, software after).

Every failure falls back to software decoding, and says why in :class:`DecodeRoute.note`:

* the device cannot be opened (no GPU, no driver, no permission): the device is remembered as
  unusable for the rest of the process, the file is opened for software decoding;
* the device opens but does not decode this stream (codec, profile, bit depth, size): FFmpeg
  decodes it in software in the same container (``allow_software_fallback``);
* a decode error in the middle of the stream: the decoder (:mod:`camtag.media.decode`) reopens
  the file in software at the frame it had reached, so no frame is lost or repeated.

Frames are always downloaded to system memory (``is_hw_owned=False``): every consumer sees the
same planes as from software decoding. :func:`describe` is one line for ``camtag doctor``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Optional

ENV = "CAMTAG_HWACCEL"
# the order ``auto`` tries them in: dedicated video decoders first
PREFERENCE = ("cuda", "videotoolbox", "d3d11va", "vaapi", "qsv")
_OFF = ("off", "none", "no", "0", "software", "false")

_lock = threading.Lock()
_unusable: dict[str, str] = {}          # device -> why it cannot be used in this process
_probed: dict[str, bool] = {}           # device -> decoded the probe clip on the device


@dataclass(frozen=True)
class DecodeRoute:
    """Which decoder ran: ``device`` is the hardware device type (None: software), ``codec`` the
    FFmpeg decoder, ``note`` why software ran when hardware was asked for (empty otherwise)."""

    device: Optional[str] = None
    codec: str = ""
    note: str = ""

    @property
    def hardware(self) -> bool:
        return self.device is not None

    @property
    def label(self) -> str:
        """``"cuda (hevc)"`` or ``"software (hevc)"``, plus the note when there is one."""
        text = f"{self.device or 'software'} ({self.codec or '?'})"
        return f"{text}: {self.note}" if self.note else text

    def to_dict(self) -> dict:
        return {"decoder": self.device or "software", "codec": self.codec, "note": self.note}


def compiled_devices() -> list[str]:
    """Hardware device types the loaded FFmpeg was built with."""
    try:
        from av.codec.hwaccel import hwdevices_available
    except ImportError:              # a PyAV without hwaccel support
        return []
    try:
        return [str(d) for d in hwdevices_available()]
    except Exception:                # noqa: BLE001 - a broken FFmpeg build: no hardware
        return []


def requested(setting: Optional[str] = None) -> list[str]:
    """Devices to try, in order, for ``setting`` (default ``$CAMTAG_HWACCEL``, ``auto``)."""
    value = (setting if setting is not None else os.environ.get(ENV, "auto")).strip().lower()
    if value in _OFF:
        return []
    if value in ("", "auto"):
        compiled = set(compiled_devices())
        return [d for d in PREFERENCE if d in compiled]
    # commas or white space between names; a name no FFmpeg has (no device type is this long)
    # is kept short, so the line that says it was not used stays one readable line
    names = [d if len(d) <= 32 else d[:32] + "…" for d in value.replace(",", " ").split()]
    return list(dict.fromkeys(names))


def explicit(setting: Optional[str] = None) -> bool:
    """Whether devices were named (``setting`` or ``$CAMTAG_HWACCEL``), not left to ``auto``:
    then a fall-back to software is said where the route is shown (the analysis JSON)."""
    value = (setting if setting is not None else os.environ.get(ENV, "auto")).strip().lower()
    return value not in ("", "auto") and value not in _OFF


def mark_unusable(device: str, reason: str) -> None:
    with _lock:
        _unusable.setdefault(device, reason)


def unusable(device: str) -> Optional[str]:
    """Why ``device`` cannot be used in this process (None: not known to fail)."""
    with _lock:
        return _unusable.get(device)


def reset() -> None:
    """Forget what this process learnt about devices (the next use probes them again)."""
    with _lock:
        _unusable.clear()
        _probed.clear()


def candidates(setting: Optional[str] = None) -> list[str]:
    """Devices worth trying now: requested ones not already known to fail in this process."""
    return [d for d in requested(setting) if unusable(d) is None]


def accel(device: str):
    """PyAV's hwaccel settings for ``device``: frames downloaded, software fallback allowed."""
    from av.codec.hwaccel import HWAccel

    try:
        return HWAccel(device, allow_software_fallback=True, is_hw_owned=False)
    except TypeError:                # PyAV < 17: frames are always downloaded
        return HWAccel(device, allow_software_fallback=True)


def on_device(ctx) -> bool:
    """Whether a codec context really decodes on its hardware device (False on a PyAV that
    cannot tell, which then counts as software)."""
    return bool(getattr(ctx, "is_hwaccel", False))


def error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def device_error(exc: BaseException) -> str:
    """Why a device could not be used, in one line: FFmpeg's system errors (no GPU, no driver,
    no permission: ``EPERM``, ``ENODEV``, ``ENOENT``…) as the device not opening, with the
    system's words; anything else (PyAV's "no stream is compatible") as its first line."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"the device did not open ({exc.strerror})"
    return str(exc).strip().partition("\n")[0] or type(exc).__name__


def _probe_clip() -> Optional[bytes]:
    """A tiny H.264 clip made in memory (None when this PyAV has no H.264 encoder)."""
    import io

    import av
    import numpy as np

    buf = io.BytesIO()
    try:
        with av.open(buf, "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=25)
            stream.width, stream.height, stream.pix_fmt = 256, 144, "yuv420p"
            for i in range(2):
                img = np.full((144, 256, 3), 40 + 60 * i, np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    except Exception:                # noqa: BLE001 - no encoder: probe each file instead
        return None
    return buf.getvalue()


def probe_device(device: str) -> bool:
    """Whether ``device`` decodes a small H.264 clip in hardware here (cached per process);
    a device that cannot be opened is marked unusable."""
    with _lock:
        if device in _probed:
            return _probed[device]
    built = compiled_devices()
    if device not in built:
        mark_unusable(device, f"not built into this FFmpeg (it has: {', '.join(built) or 'none'})")
        with _lock:
            _probed[device] = False
        return False
    clip = _probe_clip()
    ok = clip is None                # cannot tell: let the file itself decide
    if clip is not None:
        import io

        import av
        from av.codec.hwaccel import HWAccel

        try:
            with av.open(io.BytesIO(clip), hwaccel=HWAccel(device, allow_software_fallback=False)) as c:
                stream = c.streams.video[0]
                for _ in c.decode(stream):
                    break
                ok = on_device(stream.codec_context)
            if not ok:
                mark_unusable(device, "decodes nothing in hardware here")
        except Exception as exc:     # noqa: BLE001 - any failure means: not this device
            mark_unusable(device, device_error(exc))
            ok = False
    with _lock:
        _probed[device] = ok
    return ok


def available_devices(setting: Optional[str] = None) -> list[str]:
    """Requested devices that decode in hardware on this machine (probing each once)."""
    return [d for d in candidates(setting) if probe_device(d)]


def describe(setting: Optional[str] = None) -> str:
    """One line for ``camtag doctor``: what is asked for, what is built in, what works."""
    value = (setting if setting is not None else os.environ.get(ENV, "auto")).strip() or "auto"
    if value.lower() in _OFF:
        return f"hardware decode: off ({ENV}={value}); software decode"
    wanted = requested(setting)
    built = compiled_devices()
    if not wanted:
        return f"hardware decode: none built into this FFmpeg ({', '.join(built) or 'no devices'}); software decode"
    works = available_devices(setting)
    failed = [f"{d}: {unusable(d)}" for d in wanted if d not in works and unusable(d)]
    head = f"hardware decode: {works[0]} (of {', '.join(wanted)})" if works else \
        "hardware decode: no usable device; software decode"
    return head + (f"; {'; '.join(failed)}" if failed else "")


def decode_fps(path: str, device: Optional[str], seconds: float = 20.0) -> tuple[float, bool]:
    """Decode-only frames per second of ``path`` with ``device`` (None: software), at most
    ``seconds`` long, and whether the device really decoded (False: it fell back)."""
    import time

    import av

    kwargs = {"hwaccel": accel(device)} if device else {}
    with av.open(path, **kwargs) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        n, t0 = 0, time.perf_counter()
        for _ in c.decode(stream):
            n += 1
            if time.perf_counter() - t0 > seconds:
                break
        wall = time.perf_counter() - t0
        used = bool(device) and on_device(stream.codec_context)
    return (n / wall if wall > 0 else 0.0), used
