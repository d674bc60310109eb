"""Desktop app on a big library (issue 19): 100,000 shots across 500 clips.

Measures, against anchors in the same run:
- open at the last state (clip, "All shots", selected shot): a cold process start to the end of
  the window's first frame with the scope's rows and the shot selected (the motion timeline is
  built after it: the time until it is in place is reported too); anchor: a bare QMainWindow start;
- search-as-you-type: each keystroke of an editor's query, from the key to the browser
  repainted with the library's answer; anchor: the library query alone;
- jump from a result to its shot in its clip (another clip each time): from the click to the
  clip open, the playhead on the shot, the panel and browser showing it; anchor: reading
  that one shot from the library;
- reviewing 100 shots with the keyboard: keys pressed per shot (and ms per shot).

The 500 clips are links to one real clip, so the player opens real media. The app runs in child
processes with a bytecode cache (in the benchmark's cache folder, as an installed app has one),
whatever ``PYTHONDONTWRITEBYTECODE`` says. ``--baseline-app DIR`` (another checkout's ``app/``
folder, e.g. from ``git archive``) is measured in the same run, interleaved, for a before/after.

    PYTHONPATH=app python benchmarks/app.py --library [--shots 100000] [--baseline-app DIR] [--append]
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

PER_MEDIA = 200
CACHE = os.path.join(tempfile.gettempdir(), "camtag-bench-app-library")

OPEN_LAST = r"""
import sys, time
t0 = time.time()
from PySide6.QtCore import QEvent, QObject
from camtag.ui.app import build_window, create_application
from PySide6.QtTest import QTest
app = create_application(); w = build_window(None, sys.argv[1])
first = {"frames": 0, "end": 0.0}


class FirstFrame(QObject):
    # the end of the first frame: the last paint of a window widget before its second update
    def eventFilter(self, obj, event):
        t = event.type()
        if first["frames"] < 2 and obj is w and t == QEvent.Type.UpdateRequest and first["end"]:
            first["frames"] = 2
        elif first["frames"] < 2 and t == QEvent.Type.Paint and obj.isWidgetType() and obj.window() is w:
            first["end"] = time.time()
        return False


frames = FirstFrame(); app.installEventFilter(frames)
w.show()
QTest.qWaitForWindowExposed(w); app.processEvents()
shown = time.time()
ready = getattr(w, "timeline_ready", lambda: True)
while not ready():                      # the timeline is built after the first paint
    app.processEvents(); time.sleep(0.002)
rec = w.current_record()
print("SHOWN", shown, w.model.rowCount(), rec.id if rec else 0, w.scope.kind, first["end"],
      time.time()); sys.stdout.flush()
import os; os._exit(0)
"""


def build_library(n_shots: int, clip: str) -> tuple[str, list[str]]:
    """A cached library of ``n_shots`` synthetic shots over links to ``clip``."""
    from camtag.library import open_library
    from camtag.media.probe import probe
    from camtag.model import Analysis, Segment, Shot, Tag, Trace, Transition
    from camtag.taxonomy import default_taxonomy

    n_media = max(1, n_shots // PER_MEDIA)
    folder = os.path.join(CACHE, f"{n_shots}")
    os.makedirs(folder, exist_ok=True)
    links = []
    for i in range(n_media):
        link = os.path.join(folder, f"A{i:03d}_C{i % 7:03d}.mp4")
        if not os.path.lexists(link):
            os.symlink(clip, link)
        links.append(link)
    path = os.path.join(folder, "library.sqlite")
    if os.path.exists(path + ".done"):
        return path, links
    if os.path.exists(path):
        os.remove(path)
    info = probe(clip)
    ids = default_taxonomy().ids()
    rng = random.Random(19)
    length = max(1, info.frames // PER_MEDIA)
    with open_library(path) as lib:
        for i, link in enumerate(links):
            shots = []
            for k in range(PER_MEDIA):
                start = k * length
                chosen = rng.sample(ids, rng.randint(1, 3))
                tags = tuple(Tag(t, round(rng.uniform(0.2, 1.0), 3), "geometry", "curves")
                             for t in chosen)
                shots.append(Shot(k, start, start + length, Transition("cut", start, start + 1),
                                  tags=tags, segments=(Segment(start, start + length, (chosen[0],),
                                                               tags[0].confidence),),
                                  traces=(Trace("the frame slides", "so it moves", chosen[0],
                                                "geometry"),)))
            media = replace(info, path=link)
            lib.import_analysis(Analysis(media, tuple(shots), detector="fused", engine="geometry",
                                         settings={"bench": True}))
        lib.store.checkpoint()
    open(path + ".done", "w").close()
    return path, links


def _app_env(env: dict, app_dir: str) -> dict:
    """``env`` running the app from ``app_dir``, with a bytecode cache of its own."""
    import hashlib

    out = dict(env, PYTHONPATH=app_dir,
               PYTHONPYCACHEPREFIX=os.path.join(CACHE, "pycache",
                                                hashlib.sha1(app_dir.encode()).hexdigest()[:10]))
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _open_once(env: dict, lib_path: str, shot_id: int, cpu: list | None = None,
               more: list | None = None) -> tuple[float, int]:
    """Seconds to the window's first frame (the last state on screen), and the scope's rows;
    ``more`` gets (seconds to the event loop idle after show, seconds to the timeline in place)."""
    t0, c0 = time.time(), _children_cpu()
    out = subprocess.run([sys.executable, "-c", OPEN_LAST, lib_path], capture_output=True,
                         text=True, env=env, timeout=300).stdout
    if cpu is not None:
        cpu.append(_children_cpu() - c0)        # all the process' threads, start to exit
    line = [x for x in out.splitlines() if x.startswith("SHOWN")]
    if not line:
        raise RuntimeError(f"the app did not start: {out[-400:]}")
    _, shown, rows, sel, kind, first, ready = line[0].split()
    if int(sel) != shot_id or kind != "all":
        raise RuntimeError(f"last state not restored: shot {sel} scope {kind}")
    if more is not None:
        more.append((float(shown) - t0, float(ready) - t0))
    return float(first) - t0, int(rows)


def _config(folder: str, **state) -> dict:
    os.makedirs(folder, exist_ok=True)
    data = {"detector": "adaptive", "engine": "geometry", **state}
    with open(os.path.join(folder, "app.json"), "w") as fh:
        json.dump(data, fh)
    return dict(os.environ, CAMTAG_CONFIG_DIR=folder)


def open_at_last_state(lib_path: str, links: list[str], runs: int, anchor_code: str,
                       app_dir: str, baseline: str | None = None) -> dict:
    from camtag.library import open_library

    with open_library(lib_path) as lib:
        media = lib.find_media(links[len(links) // 2])
        shot = lib.shots(media)[PER_MEDIA // 2]
    state = _config(tempfile.mkdtemp(prefix="camtag-bench-cfg-"), last_media=media.path,
                    last_scope="all", last_shot=shot.id)
    env = _app_env(state, app_dir)
    base_env = _app_env(state, baseline) if baseline else None
    times, anchors, empties, before, rows = [], [], [], [], 0
    cpu: list[float] = []
    before_cpu: list[float] = []
    more: list[tuple[float, float]] = []
    before_more: list[tuple[float, float]] = []
    empty_env = _app_env(_config(tempfile.mkdtemp(prefix="camtag-bench-cfg-")), app_dir)
    empty_lib = os.path.join(tempfile.mkdtemp(prefix="camtag-bench-empty-"), "library.sqlite")
    for _ in range(runs + 1):                     # the first run warms the file and bytecode caches
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", OPEN_LAST, empty_lib], capture_output=True,
                             text=True, env=empty_env, timeout=300).stdout
        empties.append(float(out.split("SHOWN")[1].split()[4]) - t0)       # first frame
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", anchor_code], capture_output=True, text=True,
                             env=env, timeout=120).stdout
        anchors.append(float(out.split("SHOWN")[1].split()[0]) - t0)
        if base_env is not None:
            before.append(_open_once(base_env, lib_path, shot.id, before_cpu, before_more)[0])
        seconds, rows = _open_once(env, lib_path, shot.id, cpu, more)
        times.append(seconds)
    return {"app": statistics.median(times[1:]), "anchor": statistics.median(anchors[1:]),
            "empty": statistics.median(empties[1:]), "rows": rows, "cpu": statistics.median(cpu[1:]),
            "before": statistics.median(before[1:]) if before else None,
            "before_cpu": statistics.median(before_cpu[1:]) if before_cpu else None,
            "idle": statistics.median(m[0] for m in more[1:]),
            "timeline": statistics.median(m[1] for m in more[1:]),
            "before_idle": statistics.median(m[0] for m in before_more[1:]) if before_more else None,
            "before_timeline": statistics.median(m[1] for m in before_more[1:]) if before_more else None}


def in_app(lib_path: str, links: list[str]) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from camtag.ui.app import build_window, create_application

    os.environ.update(_config(tempfile.mkdtemp(prefix="camtag-bench-cfg-"), last_media=links[0],
                              last_scope="all"))
    app = create_application()
    w = build_window(None, lib_path)
    w.resize(1920, 1080)
    w.show()
    QTest.qWaitForWindowExposed(w)
    app.processEvents()
    lib, out = w.bridge.lib, {}
    end = time.monotonic() + 60                  # steady state: the start-up engine check (which
    while not w.engine_states and time.monotonic() < end:   # imports model runtimes) is done
        app.processEvents()
        time.sleep(0.01)

    # search as you type: every keystroke applied at once (no debounce) and painted
    field = w.search.field
    typing, anchor, typing_cpu = [], [], []
    for query in ("pan left and not handheld", "dolly duration>0.1s", "push in or zoom"):
        field.clear()
        w.search._apply()
        for ch in query:
            t0, c0 = time.perf_counter(), time.process_time()
            QTest.keyClick(field, ch)
            w.search._apply()
            app.processEvents()
            typing.append(time.perf_counter() - t0)
            typing_cpu.append(time.process_time() - c0)
            if w.search.valid and w.search.translated:
                t1 = time.perf_counter()
                lib.search_ids(w.search.translated)
                anchor.append(time.perf_counter() - t1)
    out["typing"], out["typing_anchor"], out["typing_cpu"] = typing, anchor, typing_cpu
    out["typing_rows"] = w.browser.proxy.rowCount()

    # jump from a result to its shot in its clip (a different clip every time)
    field.clear()
    for ch in "pan":
        QTest.keyClick(field, ch)
    w.search._apply()
    app.processEvents()
    proxy = w.browser.proxy
    rng = random.Random(3)
    rows = rng.sample(range(proxy.rowCount()), 30)
    jumps, jump_anchor, jump_cpu = [], [], []
    for r in rows:
        rec = proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1)
        if rec.media_id == w.media_id:
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        w.browser.shot_selected.emit(rec)
        app.processEvents()
        jumps.append(time.perf_counter() - t0)
        jump_cpu.append(time.process_time() - c0)
        if w.media_id != rec.media_id or w.current_record() is None or w.current_record().id != rec.id:
            raise RuntimeError("the jump did not land on the shot")
        t1 = time.perf_counter()
        lib.get_shots([rec.id])
        jump_anchor.append(time.perf_counter() - t1)
    out["jumps"], out["jump_anchor"], out["jump_cpu"] = jumps, jump_anchor, jump_cpu

    # review 100 shots by keyboard: a search narrows to 100, review mode, C for each
    field.clear()
    first = int(time.time()) % len(links)        # a clip earlier runs left unreviewed (the
    for k in range(len(links)):                  # library is reused between runs)
        fresh = links[(first + k) % len(links)]
        w.search.set_query(f'media:"{os.path.basename(fresh)}" and confidence<0.99')
        app.processEvents()
        if proxy.rowCount() >= 100:
            break
    n = min(100, proxy.rowCount())
    keys = 0
    QTest.keyClick(w, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    keys += 1
    t0 = time.perf_counter()
    reviewed = []
    for _ in range(n):
        rec = w.current_record()
        reviewed.append((rec.id, w.panel.current_tag()))
        QTest.keyClick(w, Qt.Key.Key_C)
        keys += 1
        app.processEvents()
    runner = getattr(w.ops, "runner", None)      # edits run off the GUI thread (issue 15)
    while runner is not None and not runner.idle:
        app.processEvents()
    review_s = time.perf_counter() - t0
    done = sum(1 for sid, tag in reviewed if lib.shot(sid).tag_state(tag) == "confirmed")
    out["review"] = {"shots": n, "keys": keys, "confirmed": done, "ms_per_shot": review_s / max(1, n) * 1000}
    w.close()
    app.processEvents()
    return out


def in_app_process(lib_path: str, links: list[str], app_dir: str) -> dict:
    """``in_app`` in a child process running the app from ``app_dir``."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--in-app", lib_path],
                         capture_output=True, text=True, timeout=900,
                         env=_app_env(dict(os.environ, CAMTAG_BENCH_LINKS=json.dumps(links)), app_dir))
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        raise RuntimeError(f"the in-app run failed: {(out.stdout + out.stderr)[-600:]}")
    return json.loads(line[0][len("RESULT "):])


def _merged(runs: list[dict]) -> dict:
    """The samples of several in-app runs together (the review: the last run's)."""
    out = {key: [x for r in runs for x in r[key]] for key, value in runs[0].items()
           if isinstance(value, list)}
    out["review"] = runs[-1]["review"]
    return out


def _ms(v: float) -> str:
    return f"{v * 1000:.0f}"


def _row(label, times, anchor, cpu, target_ms) -> str:
    times = sorted(times)
    med, p90 = statistics.median(times), times[int(0.9 * (len(times) - 1))]
    a = statistics.median(anchor) if anchor else float("nan")
    c = statistics.median(cpu)
    return (f"| {label} | {_ms(med)} | {_ms(p90)} | {_ms(times[-1])} | {_ms(c)} | {a * 1000:.1f} | "
            f"≤ {target_ms} | {'yes' if med * 1000 <= target_ms else 'NO'} |")


def report(n_shots: int, clip: str, anchor_code: str, runs: int = 2,
           baseline: str | None = None) -> list[str]:
    app_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app")
    t0 = time.perf_counter()
    lib_path, links = build_library(n_shots, clip)
    built = time.perf_counter() - t0
    start = open_at_last_state(lib_path, links, runs if not baseline else 2 * runs, anchor_code,
                               app_dir, baseline)
    if baseline:                                  # interleaved, twice each: the load varies
        pairs = [(in_app_process(lib_path, links, os.path.abspath(baseline)),
                  in_app_process(lib_path, links, app_dir)) for _ in range(2)]
        old, inner = _merged([p[0] for p in pairs]), _merged([p[1] for p in pairs])
    else:
        old, inner = None, in_app_process(lib_path, links, app_dir)
    lines = [f"Library: {start['rows']} shots over {len(links)} clips (built or reused in {built:.0f} s).",
             "",
             "| workflow | seconds | anchor: bare QMainWindow start (s) | anchor: camtag app on an "
             "empty library (s) | × empty-library app | target | met |",
             "|---|---:|---:|---:|---:|---:|:---:|",
             f"| open at last state, first frame (All shots, clip, selected shot; cold process) | {start['app']:.2f} | "
             f"{start['anchor']:.2f} | {start['empty']:.2f} | {start['app'] / start['empty']:.2f} | ≤ 1.5 | "
             f"{'yes' if start['app'] <= 1.5 else 'NO'} |",
             f"| … then the event loop idle once (old measure) | {start['idle']:.2f} | | | | | |",
             f"| … then the motion timeline in place (built after the first paint) | "
             f"{start['timeline']:.2f} | | | | | |",
             "",
             "| per action | median ms | p90 ms | max ms | CPU ms of the process, median "
             "| anchor: the library call alone, median ms | target (median) | met |",
             "|---|---:|---:|---:|---:|---:|---:|:---:|",
             _row("search-as-you-type, one keystroke → browser repainted", inner["typing"],
                  inner["typing_anchor"], inner["typing_cpu"], 50),
             _row("jump from a result to its shot in another clip", inner["jumps"],
                  inner["jump_anchor"], inner["jump_cpu"], 150)]
    rv = inner["review"]
    lines += ["", f"Review by keyboard (Ctrl+R, then C per shot): {rv['shots']} shots, {rv['keys']} keys = "
                  f"**{rv['keys'] / max(1, rv['shots']):.2f} keys per shot** (target ≤ 2: "
                  f"{'yes' if rv['keys'] / max(1, rv['shots']) <= 2 else 'NO'}); {rv['confirmed']} of "
                  f"{rv['shots']} confirmed as intended; {rv['ms_per_shot']:.0f} ms per shot."]
    if old is not None:
        med = statistics.median
        lines += ["", f"Before/after in the same run (before: `{baseline}`; cold starts interleaved, "
                      f"in-app runs alternated twice each). CPU is the process' own time (all its "
                      f"threads), which the machine's load disturbs far less than wall time:", "",
                  "| median | before | after | after / before |", "|---|---:|---:|---:|",
                  f"| open at last state (first frame), wall (s) | {start['before']:.2f} | {start['app']:.2f} | "
                  f"{start['app'] / start['before']:.2f} |",
                  f"| open at last state, CPU (s) | {start['before_cpu']:.2f} | {start['cpu']:.2f} | "
                  f"{start['cpu'] / start['before_cpu']:.2f} |",
                  f"| … event loop idle once (old measure), wall (s) | {start['before_idle']:.2f} | "
                  f"{start['idle']:.2f} | {start['idle'] / start['before_idle']:.2f} |",
                  f"| … motion timeline in place, wall (s) | {start['before_timeline']:.2f} | "
                  f"{start['timeline']:.2f} | {start['timeline'] / start['before_timeline']:.2f} |"]
        for label, key in (("search keystroke, wall (ms)", "typing"),
                           ("search keystroke, CPU (ms)", "typing_cpu"),
                           ("jump to a result in another clip, wall (ms)", "jumps"),
                           ("jump to a result in another clip, CPU (ms)", "jump_cpu")):
            a, b = med(old[key]) * 1000, med(inner[key]) * 1000
            lines.append(f"| {label} | {a:.0f} | {b:.0f} | {b / a:.2f} |")
        lines.append(f"| review, ms per shot | {old['review']['ms_per_shot']:.0f} | "
                     f"{rv['ms_per_shot']:.0f} | {rv['ms_per_shot'] / old['review']['ms_per_shot']:.2f} |")
    return lines


if __name__ == "__main__" and sys.argv[1:2] == ["--in-app"]:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print("RESULT " + json.dumps(in_app(sys.argv[2], json.loads(os.environ["CAMTAG_BENCH_LINKS"]))),
          flush=True)
    os._exit(0)
