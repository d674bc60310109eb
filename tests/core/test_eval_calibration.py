"""`camtag eval --fit-calibration`: an over-confident engine's calibration is fitted from the
eval run, written through the output policy, read back by the reasoner's loader, and lowers the
expected calibration error when applied; a foreign OUT file is refused in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from camtag.cli import main
from camtag.evaluation import runner
from camtag.model import Shot, Tag
from camtag.reasoner import calibration

# 40 clips: 20 tagged pan_left at 0.95 of which only 12 are pans, 20 untagged (P = floor) of
# which 4 are pans; the same for tilt_up with other proportions: confident far beyond its hits.
N = 40


def _truth(i: int) -> tuple[bool, bool, bool, bool]:
    """(pan tagged, pan true, tilt tagged, tilt true) for clip i."""
    pan_tag = i < 20
    pan_true = i < 12 or 20 <= i < 24
    tilt_tag = i % 2 == 0
    tilt_true = (i % 4 == 0) or i in (1, 3, 5)
    return pan_tag, pan_true, tilt_tag, tilt_true


@pytest.fixture()
def labelled(tmp_path, monkeypatch):
    clips = {}
    for i in range(N):
        (tmp_path / f"c{i}.mp4").write_bytes(b"")
        _, pan, _, tilt = _truth(i)
        clips[f"c{i}.mp4"] = {"positives": [t for t, y in (("Pan Left", pan), ("Tilt Up", tilt)) if y],
                              "negatives": [t for t, y in (("Pan Left", pan), ("Tilt Up", tilt)) if not y]}
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"clips": clips}))

    def scripted(path: str) -> Shot:
        pan_tag, _, tilt_tag, _ = _truth(int(Path(path).stem[1:]))
        tags = [Tag("pan_left", 0.95)] * pan_tag + [Tag("tilt_up", 0.97)] * tilt_tag
        return Shot(0, 0, 10, tags=tuple(tags) or (Tag("stable", 0.9),))

    monkeypatch.setattr(runner, "analyse_geometric", scripted)
    return labels


def _ece(out: str) -> float:
    return float(re.search(r"^expected calibration error ([0-9.]+)$", out, re.M).group(1))


def _ap(out: str, task: str) -> str:
    return re.search(rf"^{task}\s.*$", out, re.M).group(0).split()[-1]


def test_fitted_calibration_lowers_the_ece_and_round_trips(labelled, tmp_path, capsys):
    out_file = tmp_path / "cal.json"
    assert main(["eval", str(labelled), "--quiet", "--fit-calibration", str(out_file)]) == 0
    before = capsys.readouterr().out
    assert f"written to {out_file}" in before and "calibration=" in before

    cal = calibration.load(str(out_file))                # the loader fusion uses reads it back
    assert json.loads(out_file.read_text())["schema"] == calibration.SCHEMA
    assert cal.scale("pan_left").temperature > 1.5       # over-confident: softened
    assert cal.scale("zoom_in") == calibration.Scale()   # nothing labelled: identity
    assert calibration.from_json(cal.to_json()).primitives == cal.primitives

    assert main(["eval", str(labelled), "--quiet", "--calibration", str(out_file)]) == 0
    after = capsys.readouterr().out
    assert _ece(before) > 0.2 and _ece(after) < _ece(before) / 3
    # a temperature and offset keep the ranking: AP does not move
    assert _ap(after, "Pan Left") == _ap(before, "Pan Left")
    assert _ap(after, "Tilt Up") == _ap(before, "Tilt Up")

    # refitting over its own earlier file is allowed: it is a camtag output
    assert main(["eval", str(labelled), "--quiet", "--fit-calibration", str(out_file)]) == 0
    capsys.readouterr()


def test_a_foreign_out_file_is_refused_in_one_line(labelled, tmp_path, capsys):
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}\n')
    assert main(["eval", str(labelled), "--quiet", "--fit-calibration", str(notes)]) == 1
    cap = capsys.readouterr()
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and "not a camtag output" in err[0] and "--force" in err[0]
    assert cap.out == ""                                # refused before any clip was analysed
    assert notes.read_text() == '{"my": "notes"}\n'
    # the labels file itself is an input
    assert main(["eval", str(labelled), "--quiet", "--fit-calibration", str(labelled)]) == 1
    assert "is an input of this command" in capsys.readouterr().err
    assert main(["eval", str(labelled), "--quiet", "--fit-calibration", str(notes), "--force"]) == 0
    assert calibration.load(str(notes)).scale("pan_left").temperature > 1.5


def test_a_bad_calibration_file_is_one_line(labelled, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": calibration.SCHEMA,
                               "primitives": {"pan_left": {"temperature": 0, "offset": 0}}}))
    assert main(["eval", str(labelled), "--quiet", "--calibration", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "temperature must be > 0" in err[0]


@pytest.fixture()
def model_engine(labelled, monkeypatch):
    """A model engine whose answers go through the real fusion: an over-confident P(yes) (0.97
    for "yes", 0.03 for "no") that follows the same tagged/true table as above. Records the
    settings the engine was made with; ``seen[0]["logprobs"] = False`` makes it a server that
    gives letters only."""
    from camtag.reasoner import fusion, prompts
    from camtag.reasoner.parse import ParsedOutput

    seen: list[dict] = [{"logprobs": True}]

    def analyser(engine: str, settings: dict | None = None):
        seen.append(dict(settings or {}))
        cal = calibration.load((settings or {}).get("calibration"))

        def analyse(path: str) -> Shot:
            pan_tag, _, tilt_tag, _ = _truth(int(Path(path).stem[1:]))
            answers, probs = [], []
            for split, yes in (("Pan_Left", pan_tag), ("Tilt_Up", tilt_tag)):
                q = prompts.binary(split)
                letter = "B" if yes else "A"                 # binary format: A. No / B. Yes
                answers.append((q, ParsedOutput(raw="", letter=letter, meaning=q.meaning(letter),
                                                format_ok=True)))
                probs.append({letter: 0.97, "A" if yes else "B": 0.03} if seen[0]["logprobs"] else None)
            return fusion.fuse(Shot(0, 0, 10, tags=(Tag("stable", 0.9),)), answers, probs=probs,
                               calibration=cal, engine=engine)
        return analyse

    monkeypatch.setattr(runner, "model_analyser", analyser)
    return labelled, seen


def test_a_model_engine_is_fitted_to_the_models_own_p_yes(model_engine, tmp_path, capsys):
    labelled, seen = model_engine
    out_file = tmp_path / "model-cal.json"
    assert main(["eval", str(labelled), "--quiet", "--engine", "llamacpp", "--fit-calibration", str(out_file)]) == 0
    before = capsys.readouterr().out
    assert "the model's own P(yes), before fusion, over 80 answers" in before
    cal = calibration.load(str(out_file))
    assert cal.scale("pan_left").temperature > 1.5 and cal.scale("tilt_up").temperature > 1.0

    # read back by fusion (the engine's 'calibration' setting), not applied again on top of it
    assert main(["eval", str(labelled), "--quiet", "--engine", "llamacpp", "--calibration", str(out_file)]) == 0
    after = capsys.readouterr().out
    assert seen[-1]["calibration"] == str(out_file)
    assert _ece(after) < _ece(before) / 2


def test_a_model_without_probabilities_has_nothing_to_fit(model_engine, tmp_path, capsys):
    labelled, seen = model_engine
    seen[0]["logprobs"] = False
    out_file = tmp_path / "none.json"
    assert main(["eval", str(labelled), "--quiet", "--engine", "llamacpp", "--fit-calibration",
                 str(out_file)]) == 1
    cap = capsys.readouterr()
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and "nothing to fit" in err[0] and not out_file.exists()
    assert "macro AP" in cap.out                         # the scores were still printed
