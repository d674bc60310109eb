"""camtag.syscheck: low-level load/write failures become one line naming the missing piece and the fix."""

import ctypes
import errno
import os
import re
import subprocess
import sys

import pytest

from camtag import syscheck


@pytest.mark.parametrize("text, package", [
    ("libpulse.so.0: cannot open shared object file: No such file or directory", "libpulse0"),
    ("ImportError: libEGL.so.1: cannot open shared object file: No such file or directory", "libegl1"),
    ("libxcb-cursor.so.0: cannot open shared object file: No such file or directory", "libxcb-cursor0"),
    ("libglib-2.0.so.0: cannot open shared object file: No such file or directory", "libglib2.0-0"),
    ("libdbus-1.so.3: cannot open shared object file: No such file or directory", "libdbus-1-3"),
    ("libxkbcommon-x11.so.0: cannot open shared object file", "libxkbcommon-x11-0"),
])
def test_missing_linux_library_names_the_debian_package(text, package):
    msg = syscheck.explain_load_error(ImportError(text), platform="linux")
    soname = text.removeprefix("ImportError: ").split(":")[0]
    assert msg.startswith(f"{soname} is missing")
    assert f"apt-get install {package}" in msg


def test_real_dlopen_failure_is_translated():
    with pytest.raises(OSError) as info:
        ctypes.CDLL("libcamtag-no-such-lib.so.7")
    msg = syscheck.explain_load_error(info.value, platform="linux")
    assert "libcamtag-no-such-lib.so.7 is missing" in msg and "apt-file search libcamtag-no-such-lib.so.7" in msg


def test_missing_pyside_modules_say_which_pip_package():
    assert "pip install PySide6-Addons" in syscheck.explain_load_error(
        ModuleNotFoundError("No module named 'PySide6.QtMultimedia'", name="PySide6.QtMultimedia"))
    assert "pip install PySide6-Essentials" in syscheck.explain_load_error(
        ModuleNotFoundError("No module named 'PySide6'", name="PySide6"))


def test_other_platforms_and_non_load_errors():
    mac = syscheck.explain_load_error("dlopen(QtCore.abi3.so, 2): Library not loaded: @rpath/libz.1.dylib")
    assert mac.startswith("libz.1.dylib is missing") and "reinstall camtag" in mac
    win = syscheck.explain_load_error("DLL load failed while importing QtCore: The specified module could not be found.")
    assert "Visual C++ Redistributable" in win
    assert syscheck.explain_load_error(ValueError("bad value")) is None


def test_no_gpu_driver_message_names_driver_and_fallback():
    msg = syscheck.explain_load_error("libcuda.so.1: cannot open shared object file", platform="linux")
    assert "NVIDIA driver" in msg and "geometric engine" in msg
    finding = syscheck.check_gpu_driver(platform="linux")
    try:
        ctypes.CDLL("libcuda.so.1")
        assert finding.level == "ok"
    except OSError:
        assert finding.level == "warning" and "NVIDIA driver" in finding.message


@pytest.mark.parametrize("code, words", [
    (errno.EROFS, "read-only disk"), (errno.EACCES, "not writable"), (errno.ENOSPC, "disk is full"),
])
def test_write_errors_name_the_folder_and_fix(tmp_path, code, words):
    msg = syscheck.explain_os_error(OSError(code, os.strerror(code)), tmp_path)
    assert str(tmp_path) in msg and words in msg and ("CAMTAG_MODELS_DIR" in msg or "free space" in msg)


def test_check_writable_folder_really_writes(tmp_path):
    assert syscheck.check_writable_folder(tmp_path).level == "ok"
    assert list(tmp_path.iterdir()) == []                       # the probe file is cleaned up
    a_file = tmp_path / "models.gguf"
    a_file.write_bytes(b"x")
    bad = syscheck.check_writable_folder(a_file)
    assert bad.level == "error" and "is a file, not a folder" in bad.message
    missing = syscheck.check_writable_folder(tmp_path / "nope")
    assert missing.level == "error" and "does not exist" in missing.message


def test_syscheck_does_not_import_qt_at_module_level():
    code = "import sys, camtag.syscheck; print(any(m.startswith('PySide6') for m in sys.modules))"
    app = os.path.join(os.path.dirname(__file__), "..", "..", "app")
    env = {**os.environ, "PYTHONPATH": os.path.abspath(app)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_doctor_covers_a_run_and_names_one_next_step(tmp_path):
    """`camtag doctor` reports decoders, shot detectors and the app's Qt plugins, checks no server
    when none is configured, and ends with one next step."""
    app = os.path.join(os.path.dirname(__file__), "..", "..", "app")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.abspath(app), os.environ.get("PYTHONPATH", "")]),
               HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("CAMTAG_SERVER_URL", None)
    proc = subprocess.run([sys.executable, "-m", "camtag", "doctor"], env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for section in ("Decoding", "Shot detectors", "Desktop app", "Hardware", "Backends", "Model files",
                    "Next step"):
        assert f"\n{section}\n" in f"\n{out}", section
    assert re.search(r"(ok|warn)\s+decoders\s+", out) and re.search(r"ok\s+av\s+PyAV", out)
    # the decode route (camtag.media.hwaccel.describe), in the Decoding section
    decoding = out.split("Decoding\n")[1].split("Shot detectors\n")[0]
    assert re.search(r"ok\s+decode route\s+hardware decode: .+", decoding) or \
        re.search(r"ok\s+decode route\s+software decode", decoding), decoding
    assert re.search(r"adaptive\s+classical detector", out)
    assert re.search(r"transnet\s+TransNetV2", out)
    assert "Qt platforms" in out and ("offscreen" in out or "PySide6 is not installed" in out)
    assert "127.0.0.1" not in out and "none configured" in out
    next_step = out.split("Next step\n")[1].splitlines()
    assert next_step[0].startswith("  ") and not next_step[0].startswith("  -")


def test_pyav_newer_than_tested_is_a_warning_with_the_install_line(monkeypatch):
    """PyAV 19 removed av.open(metadata_errors=) and made every rate an AVRational: a camtag
    installed next to it must say so in `camtag doctor`, with the pin that fixes it."""
    from pathlib import Path

    import av

    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert re.search(rf'^\s*"av>=\d+,<{syscheck.PYAV_UNTESTED}"', pyproject, re.M)
    now = syscheck.check_decoders()[0]
    assert now.what == "av" and now.level == "ok"      # the installed PyAV is inside the pin
    monkeypatch.setattr(av, "__version__", f"{syscheck.PYAV_UNTESTED}.0.2")
    newer = syscheck.check_decoders()[0]
    assert newer.level == "warning"
    assert f"pip install 'av<{syscheck.PYAV_UNTESTED}'" in newer.message
