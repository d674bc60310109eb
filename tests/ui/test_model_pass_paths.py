"""One model pass, one storage rule: `camtag batch --engine llamacpp` (the CLI into a library), the
UI queue's worker function and the Ray model actor's body store the same rows for the same tiny
model, on the shots of the analysis they tag (no new analysis), keeping the editor's decisions,
and a second pass asks the model nothing."""

from __future__ import annotations

import os
import shutil

import pytest

pytest.importorskip("gguf", reason="the tiny GGUF model is written with the gguf package")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is an optional backend")

from camtag.cli import main as cli_main  # noqa: E402
from camtag.jobs import CancelToken, run_job  # noqa: E402
from camtag.library import open_library  # noqa: E402
from camtag.reasoner.tiny_models import write_tiny_gguf  # noqa: E402
from camtag.runs import analyze_into_library, make_request  # noqa: E402
from camtag.runs.model_pass import pending_shots, result_key  # noqa: E402
from camtag.scale.tagger_actor import ShotTagger, TagSpec  # noqa: E402
from camtag.ui.analysis_queue import file_job  # noqa: E402
from camtag.ui.settings import AppSettings  # noqa: E402

REPLY = ("<observation>The background slides right across the frames.</observation>"
         "<think>Content moving right means the camera turns left.</think> <answer>B</answer>")
FAST = {"n_threads": 1, "max_new_tokens": 64, "max_questions": 2}     # the same for every path


@pytest.fixture(scope="module")
def clip(shots_dir) -> str:
    return str(shots_dir / "pyscenedetect_issue-134-rotate.mp4")      # 3 shots (adaptive)


@pytest.fixture(scope="module")
def template_library(tmp_path_factory, clip) -> str:
    """The clip's geometric analysis as the UI queue makes it (the CLI keys it the same)."""
    folder = tmp_path_factory.mktemp("geometric")
    request = make_request(AppSettings.from_dict({"detector": "adaptive"}).analysis_settings())
    with open_library(str(folder / "library.sqlite")) as lib:
        run_job(analyze_into_library(lib, clip, request))
        lib.store.checkpoint()
    return str(folder)


def _copy(template: str, tmp_path, name: str) -> str:
    target = tmp_path / name
    shutil.copytree(template, target)
    return str(target / "library.sqlite")


def _reject_first_tag(url: str, clip: str) -> str:
    """The editor rejects the first shot's first geometric tag before any model pass."""
    with open_library(url) as lib:
        first = lib.shots(clip)[0]
        tag = first.shot.tags[0].id
        lib.reject_tag(first.id, tag)
    return tag


def _rows(url: str, clip: str):
    with open_library(url) as lib:
        analyses = [(a.engine, a.model) for a in lib.analyses(clip)]
        shots = [(r.id, r.start_frame, r.end_frame,
                  tuple((t.id, round(t.confidence, 6), t.source) for t in r.shot.tags),
                  tuple(sorted((t.tag, t.state) for t in r.tag_records)),
                  tuple((t.source, t.observation, t.reasoning, t.answer) for t in r.shot.traces),
                  {k: ((r.shot.evidence or {}).get("reasoner") or {}).get(k) for k in ("model", "key")})
                 for r in lib.shots(clip)]
    return analyses, shots


def test_cli_ui_and_ray_actor_store_the_same_model_rows(template_library, clip, tmp_path, monkeypatch):
    model, mmproj = write_tiny_gguf(tmp_path / "model", reply=REPLY)
    files = {"model_path": str(model), "mmproj_path": str(mmproj)}
    ui_settings = AppSettings.reasoner_settings         # the UI has no field for these speed knobs
    monkeypatch.setattr(AppSettings, "reasoner_settings", lambda self: {**ui_settings(self), **FAST})
    urls = {name: _copy(template_library, tmp_path, name) for name in ("cli", "ui", "ray")}
    rejected = {name: _reject_first_tag(url, clip) for name, url in urls.items()}

    # the CLI: the geometric analysis is up to date, the model pass stores into the library
    assert cli_main(["batch", clip, "--library", urls["cli"], "--detector", "adaptive",
                     "--engine", "llamacpp", "--model", files["model_path"],
                     "--mmproj", files["mmproj_path"],
                     *[a for k, v in FAST.items() for a in ("--model-set", f"{k}={v}")]]) == 0

    # the UI queue's worker function (no widgets)
    settings = AppSettings.from_dict({"detector": "adaptive", "engine": "llamacpp", **files})
    with open_library(urls["ui"]) as lib:
        run_job(file_job(lib, clip, settings, CancelToken()))

    # the Ray model actor's body, called here shot by shot as the pool feeds it
    tagger = ShotTagger(TagSpec("llamacpp", {**files, **FAST}))
    try:
        key, problem = tagger.ready()
        assert key and not problem
        with open_library(urls["ray"]) as lib:
            media, todo = pending_shots(lib, clip, key)
        outcomes = [tagger.tag(urls["ray"], sid, media, shot) for sid, shot in todo]
    finally:
        tagger.close()
    assert len(outcomes) >= 2 and all(o.stored and not o.error for o in outcomes)

    rows = {name: _rows(url, clip) for name, url in urls.items()}
    analyses, shots = rows["ray"]
    assert analyses == [("llamacpp", "llamacpp:" + model.name)]      # one analysis, tagged in place
    model_id = "llamacpp:" + model.name
    assert all(traces[0][0] == "fusion" and rec == {"model": model_id, "key": key}
               for *_, traces, rec in shots)
    assert any(src in ("vlm", "fusion") for _, _, _, tags, *_ in shots for _, _, src in tags)
    states = [state for tag, state in shots[0][4] if tag == rejected["ray"]]
    assert states == ["rejected"]                        # the editor's word kept, not proposed again
    assert rejected["ray"] not in {t[0] for t in shots[0][3]}
    assert rows["cli"] == rows["ui"] == rows["ray"]

    # the UI queue again: every shot already holds this model's result, nothing changes
    with open_library(urls["ui"]) as lib:
        assert pending_shots(lib, clip, key)[1] == []
        run_job(file_job(lib, clip, settings, CancelToken()))
    assert _rows(urls["ui"], clip) == rows["ui"]
    # a model file replaced under the same name is a different model: its key asks again
    os.utime(model, ns=(1, 1))
    with open_library(urls["ui"]) as lib:
        assert len(pending_shots(lib, clip, key)[1]) == 0
        assert len(pending_shots(lib, clip, result_key(model_id, "plan", {**files, **FAST}))[1]) == \
            len(shots)
