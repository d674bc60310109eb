"""Size and start-up time of the PyInstaller bundle, against the same commands from the venv.

    python benchmarks/bundle.py [--bundle dist/camtag] [--repeat 5] [--append]

Targets (issue 8): bundle ≤ 400 MB without torch; bundled start-up ≤ 2 s for `camtag --version`
and for the window to be shown (offscreen). The anchors are the same work from the developer's
Python in the same run: `python -m camtag --version` and installers/common/qt_probe.py.
Build the bundle first: bash installers/linux/build-bundle.sh.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine_line, table

TARGET_MB, TARGET_S = 400, 2.0


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


# where the bytes are: (label, prefixes of names directly under _internal/)
PARTS = [
    ("Qt (PySide6, shiboken6)", ("PySide6", "shiboken6", "libpyside6", "libshiboken6")),
    ("OpenCV (cv2 + its FFmpeg, OpenBLAS)", ("cv2", "opencv_python_headless.libs")),
    ("PyAV (av + its FFmpeg, codecs)", ("av", "av.libs")),
    ("NumPy (+ OpenBLAS)", ("numpy",)),
    ("Python (libpython, lib-dynload, stdlib zip)", ("libpython", "python3", "base_library.zip")),
]


def breakdown(bundle: Path) -> list[list[str]]:
    """MB per part of the bundle; system libraries and the rest are 'other'."""
    internal = bundle / "_internal"
    sizes = {label: 0 for label, _ in PARTS}
    other = tree_bytes(bundle)
    for entry in internal.iterdir():
        if entry.is_symlink():
            continue
        for label, prefixes in PARTS:
            if entry.name.startswith(prefixes):
                n = tree_bytes(entry) if entry.is_dir() else entry.stat().st_size
                sizes[label] += n
                other -= n
                break
    rows = [[f"  {label}", f"{n / 1e6:.1f}"] for label, n in sizes.items()]
    return rows + [["  other (executables, system libraries, OTIO, pyqtgraph, data)", f"{other / 1e6:.1f}"]]


def bundled_opencv(bundle: Path) -> str:
    version = bundle / "_internal" / "cv2" / "version.py"
    if version.is_file():
        for line in version.read_text().splitlines():
            if line.startswith("opencv_version"):
                return line.split("=", 1)[1].strip().strip("\"'")
    return "?"


def wall(cmd: list[str], env: dict, repeat: int) -> tuple[float, str]:
    """Median wall time of ``cmd`` over ``repeat`` runs after one warm-up (disk cache), and its last line."""
    times, out = [], ""
    for i in range(repeat + 1):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
        out = (proc.stdout.strip().splitlines() or [""])[-1]
        if i:
            times.append(elapsed)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default=str(ROOT / "dist" / "camtag"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--append", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = ap.parse_args()
    bundle = Path(args.bundle)
    exe = bundle / ("camtag.exe" if os.name == "nt" else "camtag")
    if not exe.exists():
        raise SystemExit(f"{exe} not found: build it with bash installers/linux/build-bundle.sh")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    venv_env = dict(env, PYTHONPATH=str(ROOT / "app"))

    size_mb = tree_bytes(bundle) / 1e6
    archives = sorted(bundle.parent.glob("camtag-*.tar.gz"))
    rows = [["bundle size (onedir, MB)", f"{size_mb:.1f}", "", "", f"≤ {TARGET_MB}",
             "yes" if size_mb <= TARGET_MB else "NO"]]
    rows += [[name, mb, "", "", "", ""] for name, mb in breakdown(bundle)]
    if archives:
        rows.append([f"download ({archives[-1].name}, MB)", f"{archives[-1].stat().st_size / 1e6:.0f}",
                     "", "", "", ""])

    checks = [
        ("camtag --version", [str(exe), "--version"], [sys.executable, "-m", "camtag", "--version"]),
        ("window shown (qtprobe)", [str(bundle / "camtag-qtprobe")],
         [sys.executable, str(ROOT / "installers" / "common" / "qt_probe.py")]),
    ]
    help_text = subprocess.run([str(exe), "app", "--help"], env=env, capture_output=True, text=True).stdout
    tmp = Path(tempfile.mkdtemp(prefix="camtag-bench-"))
    env["CAMTAG_DATA_DIR"] = venv_env["CAMTAG_DATA_DIR"] = str(tmp / "data")
    if "--smoke" in help_text:
        app_args = ["app", "--smoke"]
        app_name = "camtag app --smoke"
    else:
        # window shown + screenshot + quit; the app's first check comes 0.5 s after show()
        app_args = ["app", "--library", str(tmp / "lib.sqlite"), "--screenshot", str(tmp / "w.png"),
                    "--timeout", "0"]
        app_name = "camtag app (window + screenshot, incl. 0.5 s timer)"
    if "--smoke" in help_text or "--screenshot" in help_text:
        checks.append((app_name, [str(exe), *app_args], [sys.executable, "-m", "camtag", *app_args]))
    for name, bundled, anchor in checks:
        b, _ = wall(bundled, env, args.repeat)
        a, _ = wall(anchor, venv_env, args.repeat)
        rows.append([f"{name} (s)", f"{b:.3f}", f"{a:.3f}", f"{b / a:.2f}", f"≤ {TARGET_S}",
                     "yes" if b <= TARGET_S else "NO"])
    shutil.rmtree(tmp, ignore_errors=True)

    text = (f"bundle benchmark, {machine_line()}, median of {args.repeat} after a warm-up\n"
            f"bundle: {bundle} (OpenCV {bundled_opencv(bundle)})\n\n"
            + table(["measure", "bundle", "venv anchor", "× anchor", "target", "met"], rows)
            + f"\n\nMB = 10^6 bytes of files on disk (links counted once; {size_mb * 1e6 / 2**20:.0f} MiB). "
            "Command: `python benchmarks/bundle.py --repeat " + str(args.repeat) + "` after "
            "`bash installers/linux/build-bundle.sh`.")
    print(text)
    if args.append:
        from _common import append_results
        append_results("Installers (issue 8)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
