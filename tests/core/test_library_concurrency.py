"""The library under concurrency and change (issue 18, item 4): two `library add` processes on
one library, links to one clip, and a file that changes while it is analysed. Tiny clips are
made here (tests/core/badmedia.py); no shared media is needed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import types

from badmedia import encode
from camtag.jobs import Progress, drive, run_job
from camtag.library import analyses, open_library
from camtag.media.probe import probe
from camtag.model import Analysis, AnalysisRequest, Shot
from camtag.pipeline import Resume, ShotCurves
from camtag.runs import analyze_into_library
from camtag.runs.queue import batch_job, make_queue
from camtag.runs.request import analysis_key
from library_support import camtag_cmd, subprocess_env


def _clip(path, n: int = 20):
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(encode(path, n=n))


def _add(lib, *paths):
    items = make_queue([str(p) for p in paths])
    run_job(batch_job(lib, items, isolate=False))
    return items


def test_two_processes_add_overlapping_folders_to_one_library(tmp_path, library_url_factory):
    root = tmp_path / "footage"
    clips = [_clip(root / "x" / "a.mp4"), _clip(root / "x" / "b.mp4"), _clip(root / "z.mp4")]
    url = library_url_factory()
    open_library(url).close()
    procs = [subprocess.Popen(camtag_cmd("library", "add", str(folder), "--library", url),
                              env=subprocess_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for folder in (root, root / "x")]          # both start on x/a.mp4
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, out in zip(procs, outputs):
        assert proc.returncode == 0, out
        assert "UNIQUE" not in out and "Traceback" not in out, out
    with open_library(url) as lib:
        media = lib.media()
        done = [[a.status for a in lib.analyses(m)] for m in media]
    assert [m.path for m in media] == sorted(os.path.realpath(c) for c in clips)  # stored once
    assert done == [["done"]] * 3                                                # analysed once


def test_a_symlink_and_a_hard_link_are_one_media_record(tmp_path, library_url_factory):
    original = _clip(tmp_path / "clips" / "take1.mp4")
    os.symlink(original, tmp_path / "clips" / "take1_link.mp4")
    os.link(original, tmp_path / "clips" / "take1_hard.mp4")
    lib = open_library(library_url_factory())
    items = _add(lib, tmp_path / "clips")                # the folder lists the file once
    assert [i.status for i in items] == ["done"]
    for link in ("take1_link.mp4", "take1_hard.mp4"):   # each link on its own: the same record
        assert _add(lib, tmp_path / "clips" / link)[0].status == "up to date"
    st = os.stat(original)                               # touched, same content: still up to date
    os.utime(original, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert _add(lib, tmp_path / "clips" / "take1_hard.mp4")[0].status == "up to date"
    os.utime(original, ns=(st.st_atime_ns, st.st_mtime_ns + 9_000_000_000))
    items = make_queue([str(tmp_path / "clips" / "take1_hard.mp4")])
    run_job(batch_job(lib, items, isolate=False, again=True))   # analysed through the link
    assert (items[0].status, items[0].message) == ("done", "")  # not taken for a changed file
    assert _add(lib, tmp_path / "clips" / "take1_link.mp4")[0].status == "up to date"
    assert [m.path for m in lib.media()] == [os.path.realpath(original)]
    lib.close()


def test_a_file_rewritten_during_its_analysis_is_analysed_again(tmp_path, library_url_factory):
    clip = _clip(tmp_path / "c.mp4", n=30)
    data = open(clip, "rb").read()
    lib = open_library(library_url_factory())
    run = drive(analyze_into_library(lib, clip))
    rewritten = False
    for progress in run:
        if not rewritten and isinstance(progress, Progress):
            with open(clip, "wb") as fh:            # a copy tool rewrites it in place
                fh.write(data)
            st = os.stat(clip)
            os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
            rewritten = True
    record = run.result
    assert record.status == "done" and "changed during the analysis" in record.error
    items = _add(lib, clip)
    assert items[0].status == "done", items[0].message          # not "up to date"
    assert items[0].message == ""                               # the redo covers the file
    assert _add(lib, clip)[0].status == "up to date"
    lib.close()


def test_fewer_frames_than_the_container_lists_is_not_up_to_date(tmp_path, monkeypatch,
                                                               library_url_factory):
    clip = _clip(tmp_path / "c.mp4", n=30)

    def short_job(path, request=None, *, cancel=None, resume=None, poster_dir=None, media=None):
        info = probe(path)                  # lists 30 frames; "decodes" 20 of them
        shots = (Shot(0, 0, 10), Shot(1, 10, 20))
        for shot in shots:
            yield Progress(shot.end_frame, info.frames, "shots", shot)
        return Analysis(info, shots, detector=request.detector)

    monkeypatch.setitem(sys.modules, "camtag.pipeline",
                        types.SimpleNamespace(analyze_job=short_job, Resume=Resume,
                                              ShotCurves=ShotCurves))
    lib = open_library(library_url_factory())
    first = _add(lib, clip)[0]
    assert first.status == "done" and "decoded 20 frames, the container lists 30" in first.message
    assert _add(lib, clip)[0].status == "done"                  # done again, never "up to date"
    assert [a.error.startswith("incomplete") for a in lib.analyses(clip)] == [True, True]
    lib.close()


def test_a_file_another_live_process_holds_is_waited_for_after_the_others(tmp_path):
    held, other = _clip(tmp_path / "held.mp4"), _clip(tmp_path / "other.mp4")
    lib = open_library(f"sqlite:///{tmp_path / 'lib.sqlite'}")
    media, _ = lib.add_media(held)
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"])
    reaper = threading.Thread(target=owner.wait)          # reaped, so its pid really goes away
    reaper.start()
    analyses.claim(lib, media, AnalysisRequest(), analysis_key(AnalysisRequest()),
                   owner=f"{socket.gethostname()}:{owner.pid}")
    items = make_queue([held, other])
    finished = []
    for progress in batch_job(lib, items, isolate=False, wait_s=120):
        item = progress.partial
        if item in items and item.status in ("done", "failed"):
            finished.append((item.name, item.status))
    reaper.join()
    assert finished == [("other.mp4", "done"), ("held.mp4", "done")]   # waited, then taken over
    assert len(lib.analyses(held)) == 1
    lib.close()
