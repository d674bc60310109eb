"""Start-up of `camtag analyze`: the same short clip analysed by two trees of camtag, alternated.

    PYTHONPATH=app python benchmarks/startup.py [--before REV] [--pairs 5] [--clip F] [--append]

``--before`` (a git revision, default the branch's merge base with the newest merge) is unpacked
into a temporary folder; each pair runs before and after back to back, in alternating order, and
the medians of wall time and CPU (user + system of the child) are compared. An anchor in the same
run: a Python that only imports numpy, cv2 and av (what any analysis needs before its first
frame). Bytecode caches are kept per tree (the shared machine sets PYTHONDONTWRITEBYTECODE, which
would make every run compile camtag from source: no installed camtag does that).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine_line, table

PY = sys.executable


def unpack(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "app"], check=True,
                          capture_output=True).stdout
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(into, filter="data")
    return into / "app"


def make_clip(path: Path) -> str:
    """1 s of a moving noise picture, 640×360 H.264 at 25 fps."""
    import numpy as np

    from camtag.motion.synthetic import ClipWriter

    out = ClipWriter(str(path), 640, 360, preset="ultrafast")
    img = (np.random.default_rng(0).random((360, 640, 3)) * 255).astype(np.uint8)
    for i in range(25):
        out.write(np.roll(img, 3 * i, axis=1))
    out.close()
    return str(path)


def timed(argv: list[str], env: dict) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="6391f57", help="git revision to compare against")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--clip", help="clip to analyse (default: 1 s of 640×360 H.264 made here, so "
                    "that start-up is most of the run)")
    ap.add_argument("--tree", action="append", default=[], metavar="NAME=APP_DIR",
                    help="another camtag tree to time in each pair (e.g. a trial patch)")
    ap.add_argument("--append", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="camtag-startup-"))
    clip = args.clip or make_clip(tmp / "tiny.mp4")
    trees = {"before": unpack(args.before, tmp / "before"), "after": ROOT / "app"}
    trees.update((t.split("=", 1)[0], Path(t.split("=", 1)[1])) for t in args.tree)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    envs = {name: dict(base, PYTHONPATH=str(tree), PYTHONPYCACHEPREFIX=str(tmp / f"pyc-{name}"))
            for name, tree in trees.items()}
    envs["anchor"] = dict(base, PYTHONPYCACHEPREFIX=str(tmp / "pyc-anchor"))
    out = str(tmp / "x.json")
    argv = {name: [PY, "-m", "camtag", "analyze", clip, "-o", out, "-q", "--force"]
            for name in trees}
    argv["anchor"] = [PY, "-c", "import numpy, cv2, av"]
    for name in argv:                       # warm-up: bytecode caches, page cache
        timed(argv[name], envs[name])
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in argv}
    for i in range(args.pairs):
        order = list(trees) if i % 2 == 0 else list(trees)[::-1]
        for name in order + ["anchor"]:
            samples[name].append(timed(argv[name], envs[name]))
    med = {name: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s))
           for name, s in samples.items()}
    rows = [[name, f"{med[name][0]:.2f}", f"{med[name][1]:.2f}",
             f"{med[name][1] / med['anchor'][1]:.2f}",
             f"{med[name][1] / med['before'][1]:.2f}"] for name in [*trees, "anchor"]]
    text = (f"{machine_line()}; load {os.getloadavg()[0]:.1f}; clip {os.path.basename(clip)}; "
            f"{args.pairs} pairs alternated, medians; before = {args.before}\n\n"
            + table(["run", "wall s", "CPU s", "CPU ÷ anchor (import numpy, cv2, av)",
                     "CPU ÷ before"], rows))
    print(text)
    if args.append:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
