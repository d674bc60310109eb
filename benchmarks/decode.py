"""Decode benchmark (issue 21): full analysis against the decoder's own ceiling, camera originals.

Makes short clips with moving content and three hard cuts (PyAV encoders, cached under
benchmarks/.cache): 1080p H.264, 4K HEVC 10-bit 4:2:0, 4K ProRes 422 HQ 10-bit, and with
``--8k`` an 8K HEVC one. For each file, in the same run and each in its own child process:

* decode-only: ``ffmpeg -threads N -i F -f null -`` when the ffmpeg CLI is installed, else a
  PyAV decode loop with the same thread count (the anchor; the column says which);
* ``camtag analyze`` (shots + motion + tags + posters, the CLI's defaults);
* PySceneDetect ``detect-adaptive`` (when scenedetect is installed).

The table gives camtag wall ÷ decode wall (target ≤ 1.25, i.e. analysis at ≥ 0.8 × the decode
ceiling), camtag ÷ PySceneDetect (target ≤ 0.7 on 4K), CPU ratios and each child's peak RSS
(its own ``ru_maxrss``, not its parent's: see ``_LAUNCH``; targets ≤ 600 MB at 4K, ≤ 1 GB at
8K). ``--loops`` rounds each run every command once (in alternating order); a ratio is taken
between the runs of one round and the table shows its median over the rounds. camtag's child
runs with cached bytecode, as an installed package does (``--no-bytecode``: compiled on every
run, as under PYTHONDONTWRITEBYTECODE).

``--intra-stride N`` adds, for intra-only files (ProRes), a row of the first detector with
``CAMTAG_INTRA_STRIDE=N`` (experimental sparse decoding, camtag.media.intra).

``--hwaccel`` adds decode fps software vs hardware (PyAV hwaccel; only meaningful on a machine
with a hardware decoder, skipped otherwise).

Run: ``PYTHONPATH=app python benchmarks/decode.py [--seconds 4] [--loops 3] [--8k] [--hwaccel]
[--intra-stride 2]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import ROOT, append_results, machine_line, table

CACHE = ROOT / "benchmarks" / ".cache"
RATE = 25

# name -> (width, height, codec, pix_fmt, container suffix, encoder options)
FILES = {
    "1080p H.264": (1920, 1080, "libx264", "yuv420p", "mp4", {"preset": "veryfast", "crf": "20"}),
    "4K HEVC 10-bit 4:2:0": (3840, 2160, "libx265", "yuv420p10le", "mp4",
                             {"preset": "ultrafast", "crf": "22", "x265-params": "log-level=error"}),
    "4K ProRes 422 HQ": (3840, 2160, "prores_ks", "yuv422p10le", "mov", {"profile": "3"}),
    "8K HEVC 10-bit 4:2:0": (7680, 4320, "libx265", "yuv420p10le", "mp4",
                             {"preset": "ultrafast", "crf": "24", "x265-params": "log-level=error"}),
}


def encode(out, stream, frame) -> None:
    """Encode one frame (None: flush the encoder) and mux what comes out."""
    for packet in stream.encode(frame):
        out.mux(packet)


def _canvas(width: int, height: int, seed: int) -> np.ndarray:
    """A textured BGR picture (blurred noise at several scales plus shapes), larger than the frame."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.float32)
    for cells, weight in ((8, 90.0), (40, 60.0), (200, 35.0)):
        small = rng.random((max(2, cells * height // width), cells, 3), dtype=np.float32)
        img += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    # fine detail at pixel scale (it moves with the picture): camera-original bitrates, not a
    # test pattern's (grain that changes every frame would cost the encoder too much here)
    img += rng.normal(0.0, 10.0, (height, width, 1)).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(40):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(height // 60, height // 12))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), r, color, -1)
        else:
            cv2.rectangle(img, (x, y), (x + 2 * r, y + r), color, -1)
    return img


def make_file(name: str, seconds: float) -> Path:
    """The clip for ``name`` (made once, cached): four shots panning, tilting and zooming."""
    import av
    import cv2

    width, height, codec, pix_fmt, suffix, options = FILES[name]
    if width > 4096:                 # 8K: x265 takes minutes a second of it; two seconds do
        seconds = min(seconds, 2.0)
    tag = name.split()[0] + "-" + codec + f"-{seconds:g}s-v2"
    path = CACHE / f"{tag}.{suffix}"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part." + suffix)
    n = int(round(seconds * RATE))
    shots = 4
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream(codec, rate=RATE)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.options = dict(options)
        stream.thread_type = "AUTO"
        canvas = None
        pad = width // 8
        for i in range(n):
            shot = i * shots // n
            k = i - shot * n // shots
            if k == 0:
                canvas = _canvas(width + 2 * pad, height + 2 * pad, seed=shot)
            step = max(1, width // 400)              # ~5 px a frame at 1080p
            if shot % 4 == 0:       # pan right
                x, y = pad // 4 + k * step, pad
                img = canvas[y:y + height, x:x + width]
            elif shot % 4 == 1:     # tilt down
                x, y = pad, pad // 4 + k * step
                img = canvas[y:y + height, x:x + width]
            elif shot % 4 == 2:     # zoom in about the centre
                z = 1 + 0.004 * k
                m = cv2.getRotationMatrix2D(((width + 2 * pad) / 2, (height + 2 * pad) / 2), 0, z)
                m[:, 2] -= pad
                img = cv2.warpAffine(canvas, m, (width, height), flags=cv2.INTER_LINEAR)
            else:                   # static with a moving block
                img = canvas[pad:pad + height, pad:pad + width].copy()
                bx = (k * 4 * step) % (width - width // 5)
                cv2.rectangle(img, (bx, height // 3), (bx + width // 5, height // 3 + height // 4),
                              (30, 200, 240), -1)
            encode(out, stream, av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24"))
        encode(out, stream, None)
    os.replace(tmp, path)
    return path


# A child's ru_maxrss starts from the memory of whatever process it was started from (Linux keeps
# the old image's high-water mark across exec, and subprocess shares this script's memory until
# exec): after this script has encoded a 4K clip in-process, every child read ~2 GB. So each
# command is started by a tiny launcher (a bare Python) that forks and execs it, and reports the
# command's own wall, CPU and peak.
_LAUNCH = """
import os, sys, time
fd = int(sys.argv[1]); argv = sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.close(fd)
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
os.write(fd, ("%r %r %r %r" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss,
                               os.waitstatus_to_exitcode(status))).encode())
"""


def run_child(argv: list[str], env: dict | None = None) -> dict:
    """Run a command in a child process: wall seconds, CPU seconds, peak RSS (MB), exit status
    (the command's own, measured by a tiny launcher: see ``_LAUNCH``)."""
    read, write = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCH, str(write), *argv],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                pass_fds=(write,))
    finally:
        os.close(write)
    _, err_bytes = proc.communicate()
    with os.fdopen(read, "rb") as pipe:
        report = pipe.read().decode().split()
    err = err_bytes.decode(errors="replace")
    if len(report) != 4:
        return {"wall": 0.0, "cpu": 0.0, "rss": 0.0, "rc": proc.returncode or 1,
                "err": err.strip().splitlines()[-1:] or ["the launcher reported nothing"]}
    wall, cpu, rss, rc = float(report[0]), float(report[1]), int(report[2]), int(report[3])
    return {"wall": wall, "cpu": cpu, "rss": rss / 1024, "rc": rc,
            "err": err.strip().splitlines()[-1:] or [""]}


def rounds(commands: dict[str, tuple[list[str], dict | None]], loops: int) -> dict[str, list[dict]]:
    """Every command once a round, ``loops`` rounds, the order reversed every other round: a ratio
    is then taken between runs made moments apart (this machine's speed drifts by ±15 % over a
    minute when it is shared), and its median over the rounds is what the table shows."""
    runs: dict[str, list[dict]] = {k: [] for k in commands}
    for i in range(loops):
        for key in (list(commands) if i % 2 == 0 else list(reversed(commands))):
            argv, env = commands[key]
            run = run_child(argv, env)
            if run["rc"] != 0:
                raise SystemExit(f"{' '.join(argv[:4])}…: exit {run['rc']}: {run['err'][0]}")
            runs[key].append(run)
    return runs


def median_ratio(a: list[dict], b: list[dict], key: str) -> float:
    """The median over rounds of run ``a`` ÷ run ``b`` of the same round."""
    return float(np.median([x[key] / y[key] for x, y in zip(a, b)]))


def median_of(runs: list[dict], key: str) -> float:
    return float(np.median([r[key] for r in runs]))


_PYAV_DECODE = """
import sys, av
c = av.open(sys.argv[1]); s = c.streams.video[0]
s.thread_type = "AUTO"; s.codec_context.thread_count = int(sys.argv[2])
for f in c.decode(s):
    pass
"""


def decode_argv(path: Path, threads: int) -> tuple[list[str], str]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        return [ffmpeg, "-v", "error", "-threads", str(threads), "-i", str(path), "-an",
                "-f", "null", "-"], f"ffmpeg -threads {threads}"
    return [sys.executable, "-c", _PYAV_DECODE, str(path), str(threads)], f"PyAV decode, {threads} threads"


def scenedetect_argv(path: Path, out: str) -> list[str] | None:
    try:
        import scenedetect  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "scenedetect", "-q", "-i", str(path), "-o", out, "detect-adaptive"]


def analysis_cuts(path: Path, setting: str, env: dict) -> tuple[list[int], str]:
    """Shot start frames and the decoder that ran, from ``camtag analyze`` with
    ``CAMTAG_HWACCEL=setting`` in a child process."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        run = run_child(camtag_argv(path, tmp, "fused"), dict(env, CAMTAG_HWACCEL=setting))
        if run["rc"] != 0:
            return [], f"exit {run['rc']}: {run['err'][0]}"
        doc = json.loads(Path(tmp, "a.json").read_text())
    return [s["start_frame"] for s in doc["shots"]], str(doc["decoder"])


def hwaccel_rows(paths: dict[str, Path], env: dict, seconds_cap: float = 20.0) -> tuple[list[list], str]:
    """Decode fps, software against each hardware device this machine has (PyAV hwaccel), and
    whether a full analysis finds the same cuts with each (frame-exact)."""
    from camtag.media import hwaccel

    devices = hwaccel.available_devices()
    if not devices:
        return [], f"hardware decode: none available here ({hwaccel.describe()}); skipped"
    rows = []
    for name, path in paths.items():
        soft = hwaccel.decode_fps(str(path), None, seconds_cap)
        soft_cuts, soft_route = analysis_cuts(path, "off", env)
        for device in devices:
            hard = hwaccel.decode_fps(str(path), device, seconds_cap)
            cuts, route = analysis_cuts(path, device, env)
            same = "yes" if cuts and cuts == soft_cuts else f"NO: {cuts} vs {soft_cuts}"
            rows.append([name, device, f"{soft[0]:.1f}", f"{hard[0]:.1f}" if hard[1] else "fell back",
                         f"{hard[0] / soft[0]:.2f}" if hard[1] and soft[0] else "–",
                         f"{same} ({len(soft_cuts)} shots)", route, soft_route])
    return rows, table(["file", "device", "software fps", "hardware fps", "hw ÷ sw",
                        "analysis cuts hw = sw", "decoder (hw run)", "decoder (sw run)"], rows)


def make_huge(side: int = 16000, frames: int = 2) -> Path:
    """A flat-colour H.264 file of side×side pixels: a few hundred KB that decode to gigabytes."""
    import av

    path = CACHE / f"huge-{side}.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=RATE)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for i in range(frames):
            frame = av.VideoFrame(side, side, "yuv420p")
            for plane, value in zip(frame.planes, (90 + 10 * i, 128, 128)):
                plane.update(bytes([value]) * plane.buffer_size)
            encode(out, stream, frame)
        encode(out, stream, None)
    os.replace(tmp, path)
    return path


def camtag_argv(path: Path, tmp: str, detector: str) -> list[str]:
    return [sys.executable, "-m", "camtag", "analyze", str(path), "-q", "--detector", detector,
            "-o", os.path.join(tmp, "a.json"), "--posters", os.path.join(tmp, "p")]


def huge_line(env: dict) -> str:
    """camtag analyze on a 16000×16000 file: refused with one line, and the peak memory."""
    path = make_huge()
    with tempfile.TemporaryDirectory() as tmp:
        run = run_child(camtag_argv(path, tmp, "adaptive"), env)
    return (f"16000×16000 H.264 ({path.stat().st_size >> 10} KB): camtag analyze exit {run['rc']}, "
            f"peak {run['rss']:.0f} MB, {run['wall']:.1f} s: {run['err'][0]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="clip length (default 4 s)")
    ap.add_argument("--loops", type=int, default=3,
                    help="rounds: each runs every command once; ratios are taken within a round "
                         "and the table shows their medians")
    ap.add_argument("--threads", type=int, default=2, help="decode threads (CAMTAG_THREADS too)")
    ap.add_argument("--detectors", default="fused,adaptive",
                    help="camtag detectors to time, comma-separated (default: fused,adaptive)")
    ap.add_argument("--8k", dest="eight_k", action="store_true", help="add the 8K HEVC file")
    ap.add_argument("--only", help="run only the files whose name contains one of these (comma-separated)")
    ap.add_argument("--huge", action="store_true", help="also a 16000×16000 file: refused, peak memory")
    ap.add_argument("--hwaccel", action="store_true",
                    help="decode fps, software vs hardware, and the analysis's cuts with each")
    ap.add_argument("--hwaccel-only", action="store_true",
                    help="only the --hwaccel rows (no timing table): for a GPU machine's short lease")
    ap.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    ap.add_argument("--no-bytecode", action="store_true",
                    help="let camtag's child compile its modules on every run (as under "
                         "PYTHONDONTWRITEBYTECODE) instead of using cached bytecode like an installed package")
    ap.add_argument("--intra-stride", type=int, default=0,
                    help="also time intra-only files with CAMTAG_INTRA_STRIDE=N (experimental)")
    args = ap.parse_args()

    names = [n for n in FILES if args.eight_k or not n.startswith("8K")]
    if args.only:
        wanted = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        names = [n for n in names if any(w in n.lower() for w in wanted)]
    paths = {}
    for name in names:
        t0 = time.perf_counter()
        paths[name] = make_file(name, args.seconds)
        print(f"{name}: {paths[name].name} ({paths[name].stat().st_size >> 20} MB, "
              f"{time.perf_counter() - t0:.0f} s to make)", flush=True)

    # the timing table compares software decoding with software decoding: on a machine with a
    # hardware decoder camtag's `auto` would take it (the --hwaccel rows measure that)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               CAMTAG_THREADS=str(args.threads), CAMTAG_HWACCEL="off")
    if not args.no_bytecode:
        # an installed camtag has its bytecode compiled (pip does it); a source tree under
        # PYTHONDONTWRITEBYTECODE recompiles ~60 modules per run (~0.3 s CPU). The peers' bytecode
        # is in site-packages either way. Cached here, outside the tree, warmed before timing.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "app" / "camtag")],
                       env=env, check=False, stdout=subprocess.DEVNULL)
    if args.hwaccel_only:
        note = f"{machine_line()}; {args.seconds:g} s clips (8K: at most 2 s) at {RATE} fps, four shots"
        print(note, flush=True)
        text = hwaccel_rows(paths, env)[1]
        print(text)
        if not args.no_save:
            append_results("Hardware decode (issue 21)", f"{note}\n\n{text}\n",
                           command="PYTHONPATH=app python benchmarks/decode.py " + " ".join(sys.argv[1:]))
        return 0
    detectors = [d.strip() for d in args.detectors.split(",") if d.strip()]
    rows, anchor_name = [], ""
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in paths.items():
            mbit = path.stat().st_size * 8 / 1e6 / (min(args.seconds, 2.0) if "8K" in name else args.seconds)
            argv, anchor_name = decode_argv(path, args.threads)
            commands: dict[str, tuple[list[str], dict | None]] = {
                "decode": (argv, None),
                "pyav": ([sys.executable, "-c", _PYAV_DECODE, str(path), str(args.threads)], None)}
            sd_argv = scenedetect_argv(path, tmp)
            if sd_argv:
                commands["scenedetect"] = (sd_argv, None)
            labels = [(d, d, env) for d in detectors]
            if args.intra_stride > 1 and "ProRes" in name:
                labels.append((detectors[0], f"{detectors[0]}, stride {args.intra_stride}",
                               dict(env, CAMTAG_INTRA_STRIDE=str(args.intra_stride))))
            for detector, label, run_env in labels:
                commands["camtag " + label] = (camtag_argv(path, tmp, detector), run_env)
            runs = rounds(commands, args.loops)
            dec, pyav, sd = runs["decode"], runs["pyav"], runs.get("scenedetect")
            for _, label, _ in labels:
                cam = runs["camtag " + label]
                rows.append([
                    f"{name} ({mbit:.0f} Mbit/s)", label, f"{median_of(dec, 'wall'):.2f}",
                    f"{median_of(cam, 'wall'):.2f}", f"{median_ratio(cam, dec, 'wall'):.2f}",
                    f"{median_ratio(dec, cam, 'wall'):.2f}", f"{median_ratio(cam, pyav, 'wall'):.2f}",
                    f"{median_ratio(cam, sd, 'wall'):.2f}" if sd else "–",
                    f"{median_ratio(cam, dec, 'cpu'):.2f}", f"{median_ratio(cam, pyav, 'cpu'):.2f}",
                    f"{median_ratio(cam, sd, 'cpu'):.2f}" if sd else "–",
                    f"{median_of(cam, 'cpu'):.2f}", f"{median_of(pyav, 'cpu'):.2f}",
                    f"{max(r['rss'] for r in cam):.0f} MB", f"{max(r['rss'] for r in dec):.0f} MB"])
                print(" | ".join(rows[-1]), flush=True)
    headers = ["file", "detector", "decode s", "camtag s", "camtag ÷ decode", "× ceiling",
               "camtag ÷ PyAV decode", "camtag ÷ PySceneDetect", "CPU ÷ decode", "CPU ÷ PyAV decode",
               "CPU ÷ PySceneDetect", "camtag CPU s", "PyAV CPU s",
               "camtag peak", "decode peak"]
    text = table(headers, rows)
    note = (f"{machine_line()}; {args.seconds:g} s clips (8K: at most 2 s) at {RATE} fps, four shots; decode anchor: "
            f"{anchor_name}; PyAV decode: the same FFmpeg camtag uses, {args.threads} threads; "
            f"CAMTAG_THREADS={args.threads}, software decode; medians of {args.loops} rounds (ratios "
            f"within a round); camtag bytecode "
            f"{'compiled each run' if args.no_bytecode else 'cached'}"
            + ("" if scenedetect_argv(Path("x"), "") else "; PySceneDetect not installed"))
    print(note)
    print(text)
    extra = []
    if args.huge:
        extra.append(huge_line(env))
        print(extra[-1])
    if args.hwaccel:
        extra.append(hwaccel_rows(paths, env)[1])
        print(extra[-1])
    if not args.no_save:
        body = f"{note}\n\n{text}\n" + "".join(f"\n{e}\n" for e in extra)
        append_results("Decode ceiling (issue 21)", body,
                       command="PYTHONPATH=app python benchmarks/decode.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
