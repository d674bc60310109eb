"""Model files: header checks against the gguf package, the registry CLI, pull (offline), doctor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

gguf = pytest.importorskip("gguf", reason="the tiny GGUF models are written with the gguf package")

from camtag import models_registry as reg
from camtag.cli import main
from camtag.reasoner import ModelFileError
from camtag.reasoner.model_files import GGML_TYPES, check_gguf_pair, read_gguf
from camtag.reasoner.tiny_models import write_tiny_gguf

APP = str(Path(__file__).resolve().parents[2] / "app")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMTAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CAMTAG_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path


def test_header_reader_agrees_with_the_gguf_package(tmp_path):
    text, proj = write_tiny_gguf(tmp_path)
    for path in (text, proj):
        ours, theirs = read_gguf(path), gguf.GGUFReader(path)
        assert set(ours.tensors) == {t.name for t in theirs.tensors}
        for t in theirs.tensors:
            assert ours.tensors[t.name][0] == tuple(int(d) for d in t.shape)
        assert ours.architecture == theirs.fields["general.architecture"].contents()
    assert read_gguf(proj).get("clip.vision.projection_dim") == 64
    shared = [t for t in gguf.GGML_QUANT_SIZES if int(t) in GGML_TYPES]
    assert len(shared) >= 32            # a type newer than our table only loses the truncation check
    for ttype in shared:
        assert GGML_TYPES[int(ttype)] == gguf.GGML_QUANT_SIZES[ttype], ttype.name


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:10], "not a GGUF file"),
    (lambda b: b"GGML" + b[4:], "wrong magic"),
    (lambda b: b[:2000], "truncated"),
])
def test_damaged_files(tmp_path, damage, message):
    text, proj = write_tiny_gguf(tmp_path)
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(damage(text.read_bytes()))
    with pytest.raises(ModelFileError, match=message):
        check_gguf_pair(str(bad), str(proj))


def test_add_list_verify_through_the_cli(home, capsys):
    text, proj = write_tiny_gguf(home / "files")
    assert main(["models", "add", str(text), "--mmproj", str(proj), "--name", "tiny"]) == 0
    names = {e.name: e for e in reg.entries()}
    assert names["tiny"].pair == "tiny-mmproj" and names["tiny-mmproj"].kind == "mmproj"
    assert names["tiny"].sha256 == reg.sha256_of(text)
    assert reg.find_gguf_pair() == (str(text), str(proj))
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "tiny " in listing and "camreasoner-7b-q4_k_m" in listing and "not on this machine" in listing

    assert main(["models", "verify", "tiny", "--load"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK  tiny:") and "sha256 matches" in out and "pairs with tiny-mmproj" in out
    assert "loads with the llamacpp backend" in out if _has_llama() else True

    text.write_bytes(text.read_bytes()[:-64])            # damaged after it was recorded
    assert main(["models", "verify", "tiny"]) == 1
    assert "expected" in capsys.readouterr().out
    assert main(["models", "verify", "no-such-model"]) == 1
    assert "no model named" in capsys.readouterr().err


def test_known_file_found_in_a_model_folder_and_mismatch_reported(home, capsys):
    folder = home / "models"
    text, proj = write_tiny_gguf(home / "a", projection_dim=32)
    folder.mkdir()
    os.replace(text, folder / "CamReasoner-7B-Q4_K_M.gguf")
    os.replace(proj, folder / "mmproj-CamReasoner-7B-f16.gguf")
    found = {e.name: e for e in reg.entries()}
    assert found["camreasoner-7b-q4_k_m"].path.startswith(str(folder))
    assert main(["models", "verify", "camreasoner-7b-q4_k_m"]) == 1
    assert "mmproj belongs to another model" in capsys.readouterr().out


def _has_llama() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


def test_pull_offline_from_a_local_hugging_face_cache(home, tmp_path):
    pytest.importorskip("huggingface_hub", reason="`camtag models pull` uses huggingface_hub")
    text, proj = write_tiny_gguf(tmp_path / "src")
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "models--camtag-test--tiny-gguf"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    (repo / "snapshots" / commit).mkdir(parents=True)
    os.replace(text, repo / "snapshots" / commit / "tiny-qwen2vl.gguf")
    registry = tmp_path / "registry.toml"
    registry.write_text('[[model]]\nname = "tiny-gguf"\nkind = "gguf"\nfile = "tiny-qwen2vl.gguf"\n'
                        'repo = "camtag-test/tiny-gguf"\npair = "x"\n'
                        '[[model]]\nname = "local-only"\nkind = "gguf"\nfile = "x.gguf"\n')
    env = {**os.environ, "PYTHONPATH": APP, "CAMTAG_REGISTRY": str(registry), "HF_HUB_OFFLINE": "1",
           "HF_HUB_CACHE": str(tmp_path / "hf")}
    run = subprocess.run([sys.executable, "-m", "camtag", "models", "pull", "tiny-gguf"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "downloaded tiny-gguf" in run.stdout
    os.environ.update(CAMTAG_REGISTRY=str(registry))
    try:
        added = reg.by_name("tiny-gguf")
        assert added.added and added.repo == "camtag-test/tiny-gguf" and added.pair == "x"
    finally:
        del os.environ["CAMTAG_REGISTRY"]
    missing = subprocess.run([sys.executable, "-m", "camtag", "models", "pull", "local-only"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "not published for download" in missing.stderr


def test_doctor_reports_and_suggests(home, capsys):
    assert main(["doctor", "--server-url", "http://127.0.0.1:9/v1"]) == 0
    out = capsys.readouterr().out
    for section in ("Hardware", "Backends", "Model files", "Engine", "Next step"):
        assert f"\n{section}\n" in f"\n{out}"
    assert "GPU offload compiled in" in out and "not reachable" in out
    assert "geometry only" in out and "models/README.md" in out


def test_conversion_script_runs_the_documented_commands(tmp_path):
    script = Path(__file__).resolve().parents[2] / "models" / "convert_camreasoner.py"
    run = subprocess.run([sys.executable, str(script), "--hf-dir", "/m/CamReasoner-7B", "--llama-cpp", "/src/llama.cpp",
                          "--out", str(tmp_path), "--dry-run"], capture_output=True, text=True, timeout=60)
    lines = [l for l in run.stdout.splitlines() if l.startswith("$ ")]
    assert run.returncode == 0 and len(lines) == 3
    assert "convert_hf_to_gguf.py /m/CamReasoner-7B --outtype f16 --outfile" in lines[0]
    assert "--mmproj --outtype f16" in lines[1] and lines[1].endswith("mmproj-CamReasoner-7B-f16.gguf")
    assert lines[2].endswith("CamReasoner-7B-Q4_K_M.gguf Q4_K_M")
