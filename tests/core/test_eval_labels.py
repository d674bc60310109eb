"""`camtag eval`: label files (CameraBench jsonl and simple JSON), hostile lines, the metrics,
and a run over the labelled shared clips with the shipped labels file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from camtag.cli import main
from camtag.evaluation.labels import load_labels
from camtag.evaluation.metrics import average_precision, reliability
from camtag.evaluation.runner import evaluate, format_report
from camtag.model import Shot, Tag
from camtag.motion.primitives import TASKS, decide
from media_paths import CAMERA_DIR

DATA = Path(__file__).resolve().parents[1] / "data"


def _line(video, task, label):
    return json.dumps({"image": video, "question": "?", "question_id": 0, "label": label, "task": task})


def test_jsonl_problems_name_the_line_and_the_rest_is_scored(tmp_path):
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"")
    lines = [_line("/far/away/a.mp4", "Pan Left", "Yes"),       # found by file name in --videos
             "{not json",
             _line("a.mp4", "Dolly Sideways", "Yes"),
             _line("missing.mp4", "Static", "No"),
             _line("b.mp4", "Pan_Left", "maybe"),
             _line("b.mp4", "Pan_Left", "No"),
             _line("b.mp4", "Static", "Yes")]
    f = tmp_path / "Pan_Left.jsonl"
    f.write_text("\n".join(lines) + "\n")
    labels = load_labels(str(f), str(tmp_path))
    assert [(Path(i.video).name, i.task, i.label) for i in labels.items] == [
        ("a.mp4", "Pan Left", True), ("b.mp4", "Pan Left", False), ("b.mp4", "Static", True)]
    text = "\n".join(labels.problems)
    assert "Pan_Left.jsonl:2: not JSON" in text
    assert "Pan_Left.jsonl:3: unknown primitive 'Dolly Sideways'" in text
    assert "Pan_Left.jsonl:4: video not found: missing.mp4" in text
    assert "Pan_Left.jsonl:5: label must be Yes or No" in text

    shots = {"a.mp4": Shot(0, 0, 10, tags=(Tag("pan_left", 0.8), Tag("stable", 0.9))),
             "b.mp4": Shot(0, 0, 10, tags=(Tag("static", 0.9),))}
    report = evaluate(labels, analyse=lambda v: shots[Path(v).name])
    by = {s.task: s for s in report.scores}
    assert by["Pan Left"].n == 2 and by["Pan Left"].ap == 1.0 and by["Pan Left"].accuracy == 1.0
    assert report.problems[:4] == list(labels.problems[:4])


def test_simple_json_and_a_clip_that_cannot_be_analysed(tmp_path):
    (tmp_path / "clip.gif").write_bytes(b"")
    (tmp_path / "broken.mp4").write_bytes(b"")
    f = tmp_path / "labels.json"
    f.write_text(json.dumps({"clips": {"clip.gif": {"positives": ["Move Left"], "negatives": ["pan left", "Static"]},
                                       "broken.mp4": {"positives": ["Static"]},
                                       "gone.mp4": {"positives": ["Static"]}}}))
    labels = load_labels(str(f))
    assert len(labels.items) == 4 and any("gone.mp4" in p for p in labels.problems)

    def analyse(video):
        if video.endswith("broken.mp4"):
            raise ValueError("no video stream\nsecond line")
        return Shot(0, 0, 10, tags=(Tag("pan_left", 0.7), Tag("truck_left", 0.6)))

    report = evaluate(labels, analyse=analyse)
    assert any("broken.mp4: could not be analysed (no video stream)" in p for p in report.problems)
    assert report.n_items == 3
    # "pan left" was wrong: the confusion list says what the engine answered instead
    assert any(c.startswith("Pan Left false yes on clip.gif") for c in report.confusions)


def test_average_precision_and_calibration_by_hand():
    # ranks: 0.9 (yes), 0.8 (no), 0.7 (yes), 0.1 (no) → AP = 0.5·1 + 0.5·(2/3)
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx(0.5 + 1 / 3)
    assert math.isnan(average_precision([0, 0], [0.3, 0.2]))
    # ties share one threshold (sklearn's definition)
    assert average_precision([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    bins, ece = reliability([1, 1, 0, 0], [0.95, 0.95, 0.05, 0.05])
    assert ece == pytest.approx(0.05) and [b.n for b in bins] == [2, 2]


def test_decisions_in_camerabench_terms():
    d = decide([Tag("arc_cw", 0.7), Tag("stable", 0.9)])
    assert d.primary() == "arc_cw"
    assert d.probabilities["Move Left"] == d.probabilities["Pan Right"] == 0.7
    assert d.probabilities["Static"] < 0.1 and set(d.probabilities) == set(TASKS)
    shake = decide([Tag("static_shake", 0.85)])
    still = decide([Tag("static", 0.9)])
    assert shake.primary() == "static_shake" and shake.probabilities["Static"] < still.probabilities["Static"]
    none = decide([Tag("unknown", 0.3, reason="not measurable: only 0% of 10 frame pairs")])
    assert not none.measurable and none.primary() == "unknown" and "not measurable" in none.why_not


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("camtag: error: no usable labels in") and "no such label file" in err[0]
    (tmp_path / "clip.mp4").write_bytes(b"")
    f = tmp_path / "l.jsonl"
    f.write_text(_line("clip.mp4", "Static", "Yes") + "\n")
    # a model engine that cannot run here says why in one line, before any clip is decoded
    assert main(["eval", str(f), "--engine", "server", "--server-url", "http://127.0.0.1:9/v1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("camtag: error: engine 'server' is not available")


@pytest.mark.skipif(not (CAMERA_DIR / "labels.json").exists(), reason=f"labelled clips not found in {CAMERA_DIR}")
def test_shared_clips_primary_right_or_pair_stated():
    labels = load_labels(str(DATA / "camera_binary.jsonl"), str(CAMERA_DIR))
    assert not labels.problems and len(labels.videos()) == 6
    truth = json.loads((CAMERA_DIR / "labels.json").read_text())["files"]
    report = evaluate(labels)
    for video, d in report.decisions.items():
        gt = truth[Path(video).name]["ground_truth"]["binary_primitives"]
        yes = [t for t, v in gt.items() if v == "Yes"]
        assert len(yes) == 1
        want = {"Move Left": "truck_left", "Tilt Down": "tilt_down", "Pan Left": "pan_left",
                "Static": "static"}[yes[0]]
        assert want in d.stated(), (video, d.primary(), d.pairs)
    assert report.macro_ap >= 0.7
    out = "\n".join(format_report(report))
    assert "macro AP" in out and "expected calibration error" in out and "Tilt Down" in out


def test_primitive_table_agrees_with_the_taxonomy():
    from camtag.motion.primitives import ARC_PARTS, PRIMITIVES, STEADINESS, task_key
    from camtag.taxonomy import default_taxonomy

    tax = default_taxonomy()
    for p in PRIMITIVES:
        assert tax.get(p.tag).label == p.label, p
        assert task_key(p.task.replace(" ", "_")) == task_key(p.tag) == p.task
    for tag in (*ARC_PARTS, *STEADINESS, "track"):
        assert tag in tax
