"""`camtag batch --engine llamacpp` on a local Ray instance: a model actor (num_gpus=0 here) tags
every shot of a shared clip one by one, its process is killed once mid-batch and restarted with
the shot retried, and the stored tags and traces equal ``reason_job`` run in-process."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("gguf", reason="the tiny GGUF model is written with the gguf package")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is an optional backend (CI installs the cached wheel)")
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install \"ray[default]\")")

from camtag.jobs import run_job
from camtag.library import open_library
from camtag.reasoner import create, reason_job
from camtag.reasoner.tiny_models import write_tiny_gguf
from camtag.scale.runner import run_batch, run_in_process
from camtag.scale.tagger_actor import FAULT_ENV, TagSpec
from library_support import SHOTS_DIR
from ray_support import ADAPTIVE, local_ray
from reasoner_support import SCRIPTED_REPLY

CLIP = os.path.join(SHOTS_DIR, "pyscenedetect_issue-134-rotate.mp4")     # 3 shots
FAST = {"n_threads": 1, "max_new_tokens": 64, "max_questions": 2}


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One Ray session; its model actor dies once after its first shot unless the marker exists."""
    if not os.path.exists(CLIP):
        pytest.skip("shared test media not found")
    model, mmproj = write_tiny_gguf(tmp_path_factory.mktemp("scripted"), reply=SCRIPTED_REPLY)
    marker = tmp_path_factory.mktemp("fault") / "actor-died"
    with local_ray(FAULT_ENV, marker):
        yield {"model_path": str(model), "mmproj_path": str(mmproj), **FAST}, marker


def _stored(url: str):
    lib = open_library(url)
    try:
        return [(r.start_frame, r.end_frame, _key(r.shot)) for r in lib.shots(CLIP)]
    finally:
        lib.close()


def _key(shot):
    return (tuple((t.id, round(t.confidence, 6), t.source) for t in shot.tags),
            tuple((t.source, t.observation, t.reasoning, t.answer) for t in shot.traces))


@pytest.fixture(scope="module")
def expected(session, tmp_path_factory):
    """Geometric pass in-process, then reason_job in-process over the same stored shots."""
    settings, _ = session
    url = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite'}"
    assert [r.status for r in run_in_process([CLIP], url, request=ADAPTIVE)] == ["done"]
    lib = open_library(url)
    try:
        analysis = lib.analysis(CLIP)
    finally:
        lib.close()
    backend = create("llamacpp", settings)
    try:
        tagged = run_job(reason_job(analysis.media, analysis.shots, backend))
    finally:
        backend.close()
    return [(s.start_frame, s.end_frame, _key(s)) for s in tagged]


def test_actors_tag_every_shot_like_the_in_process_job_and_survive_a_death(session, expected, tmp_path):
    settings, marker = session
    assert len(expected) >= 2 and not marker.exists()
    url = f"sqlite:///{tmp_path / 'ray.sqlite'}"
    results = run_batch([CLIP], url, ray_address="local", request=ADAPTIVE,
                        tagging=TagSpec("llamacpp", settings), gpus_per_actor=0, actors=1)
    assert marker.exists()                                 # the actor's process really died once
    assert [(r.status, r.tagged, r.message) for r in results] == [("done", len(expected), "")]
    stored = _stored(url)
    for _, _, (tags, traces) in stored:                    # the model's tags and its trace
        assert any(src in ("vlm", "fusion") for _, _, src in tags)
        assert traces[0][0] == "fusion" and traces[0][1] and traces[0][3]
    assert stored == expected


def test_the_in_process_batch_stores_the_same_and_a_missing_model_keeps_geometry(session, expected, tmp_path):
    settings, marker = session
    marker.touch()
    url = f"sqlite:///{tmp_path / 'local.sqlite'}"
    results = run_batch([CLIP], url, request=ADAPTIVE, tagging=TagSpec("llamacpp", settings))
    assert [(r.status, r.tagged) for r in results] == [("done", len(expected))]
    assert _stored(url) == expected
    # a second batch finds everything done: nothing is asked again, nothing changes
    again = run_batch([CLIP], url, ray_address="local", request=ADAPTIVE,
                      tagging=TagSpec("llamacpp", settings), gpus_per_actor=0)
    assert [(r.status, r.tagged) for r in again] == [("up to date", 0)] and _stored(url) == expected

    geo_url = f"sqlite:///{tmp_path / 'geo.sqlite'}"
    missing = {**settings, "model_path": str(tmp_path / "nowhere.gguf")}
    results = run_batch([CLIP], geo_url, ray_address="local", request=ADAPTIVE,
                        tagging=TagSpec("llamacpp", missing), gpus_per_actor=0)
    assert results[0].status == "done" and results[0].tagged == 0
    assert "geometric tags kept" in results[0].message
    assert all(all(src == "geometry" for _, _, src in tags) for _, _, (tags, _) in _stored(geo_url))
