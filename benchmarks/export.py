"""Export throughput: a 10,000-shot analysis written in every format (target: < 1 s each).

Anchor: ``json.dumps`` of the same analysis dict in the same run, so the ratio column is
comparable across machines. Run: ``PYTHONPATH=app python benchmarks/export.py [--shots N]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "app"))

from camtag import timebase  # noqa: E402
from camtag.analysis_json import analysis_to_dict  # noqa: E402
from camtag.export import ExportOptions, available_formats, export  # noqa: E402
from camtag.model import Analysis, MediaInfo, Segment, Shot, Tag, Trace  # noqa: E402

TAGS = ["pan_left", "pan_right", "tilt_up", "zoom_in", "dolly_out", "truck_left", "handheld", "static"]


def make_analysis(n: int) -> Analysis:
    rate = Fraction(24000, 1001)
    start = timebase.timecode_to_frames("14:22:10:00", rate)
    media = MediaInfo(path="/footage/A001C002_230614_R1AB.mov", container="mov", codec="prores",
                      width=1920, height=1080, rate=rate, frames=n * 48 + 10,
                      duration=Fraction(n * 48 + 10) / rate, start_timecode="14:22:10:00",
                      start_frame=start, has_audio=True)
    shots = []
    for i in range(n):
        a = i * 48
        tags = (Tag(TAGS[i % 8], 0.9, "fusion", "flow", a + 4, a + 40), Tag("handheld", 0.6))
        shots.append(Shot(
            index=i + 1, start_frame=a, end_frame=a + 48, tags=tags,
            segments=(Segment(a, a + 40, (TAGS[i % 8],), 0.9),),
            traces=(Trace("steady leftward drift of the background " * 2,
                          "flow is uniform, no parallax, so rotation not translation " * 2,
                          "B", "vlm"),),
            note="check focus" if i % 10 == 0 else ""))
    return Analysis(media, tuple(shots), "adaptive", "geometry")


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shots", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    analysis = make_analysis(args.shots)
    anchor = timed(lambda: json.dumps(analysis_to_dict(analysis)), args.repeat)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, fmt in available_formats().items():
            path = os.path.join(tmp, f"bench{fmt.extension}")
            result = {}

            def run(name=name, path=path, result=result):
                result["r"] = export(analysis, name, path, ExportOptions())
            seconds = timed(run, args.repeat)
            paths = result["r"].paths
            size = sum(os.path.getsize(p) for p in paths)
            rows.append((name, seconds, seconds / anchor, len(paths), size))
    print(f"## Exports (issue 6)\n\n{datetime.date.today()} · {platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · {args.shots} shots, "
          f"median of {args.repeat}\n")
    print(f"anchor json.dumps(analysis_to_dict): {anchor:.3f} s\n")
    print("| format | seconds | × anchor | files | MB | < 1 s |")
    print("|---|---:|---:|---:|---:|:---:|")
    for name, seconds, ratio, files, size in rows:
        print(f"| {name} | {seconds:.3f} | {ratio:.2f} | {files} | {size / 1e6:.1f} | "
              f"{'yes' if seconds < 1 else 'NO'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
