"""Hostile model files: one clear line each, never a traceback or a hang (no gguf package needed)."""

from __future__ import annotations

import json
import os
import signal
import struct

import pytest

from camtag.cli import main
from camtag.reasoner import ModelFileError
from camtag.reasoner.model_files import check_hf_folder, folder_problems, read_gguf, read_safetensors_header


def gguf_bytes(*kvs: bytes, n_kv: int | None = None) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs) if n_kv is None else n_kv) + b"".join(kvs)


def s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


@pytest.mark.parametrize("body, message", [
    (gguf_bytes(s("general.alignment") + struct.pack("<I", 8) + s("wide")), "general.alignment"),
    (gguf_bytes(s("tokens") + struct.pack("<IIQ", 9, 8, 1 << 62)), "an array of"),
    (gguf_bytes(s("deep") + struct.pack("<IIQ", 9, 9, 1) + struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 9, 1)
                + struct.pack("<IQ", 9, 1) + b"\0" * 16), "corrupt GGUF header"),
    (gguf_bytes(s("x") + struct.pack("<I", 99)), "unknown value type 99"),
    (gguf_bytes(struct.pack("<Q", 1 << 40)), "byte string"),
    (gguf_bytes(n_kv=5), "truncated GGUF header"),
    (b"GGUF" + struct.pack("<I", 7) + b"\0" * 20, "version 7"),
])
def test_malformed_gguf_metadata_is_one_line(tmp_path, body, message):
    path = tmp_path / "bad.gguf"
    path.write_bytes(body + b"\0" * 8)
    with pytest.raises(ModelFileError, match=message) as info:
        read_gguf(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("header, message", [
    (b"[1, 2]", "not an object"),
    (b'{"w": {"dtype": "F32", "shape": [1]}}', "tensor 'w'"),
    (b'{"w": {"data_offsets": [8, 4]}}', "tensor 'w'"),
    (b'{"w": {"data_offsets": "x"}}', "tensor 'w'"),
    (b"\xff\xfe{", "corrupt safetensors header"),
])
def test_malformed_safetensors_headers(tmp_path, header, message):
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(ModelFileError, match=message):
        read_safetensors_header(path)


def hf_folder(root, **config) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"architectures": ["Qwen2_5_VLForConditionalGeneration"],
                                                  "model_type": "qwen2_5_vl", **config}))
    header = b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
    (root / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    (root / "preprocessor_config.json").write_text("{}")
    (root / "tokenizer.json").write_text("{}")
    return str(root)


@pytest.fixture
def alarm():
    """Fail instead of hanging forever if a FIFO is ever opened."""
    def boom(*_):
        raise TimeoutError("blocked on a FIFO")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_fifo_config_and_remote_code_are_refused_without_hanging(tmp_path, alarm, capsys):
    good = hf_folder(tmp_path / "good")
    assert folder_problems(good) == [] and check_hf_folder(good)["model_type"] == "qwen2_5_vl"

    fifo = tmp_path / "fifo"
    hf_folder(fifo)
    os.remove(fifo / "config.json")
    os.mkfifo(fifo / "config.json")
    with pytest.raises(ModelFileError, match="not a regular file"):
        check_hf_folder(fifo)
    os.mkfifo(fifo / "extra.safetensors")              # a shard that is a FIFO is refused as well
    os.remove(fifo / "model.safetensors")
    assert any("extra.safetensors: not a regular file" in p for p in folder_problems(fifo))
    os.mkfifo(tmp_path / "model.gguf")
    with pytest.raises(ModelFileError, match="not a regular file"):
        read_gguf(tmp_path / "model.gguf")

    remote = hf_folder(tmp_path / "remote", auto_map={"AutoModel": "modeling_x.Model"})
    with pytest.raises(ModelFileError, match="remote code"):
        check_hf_folder(remote)
    (tmp_path / "remote" / "tokenizer_config.json").write_text(json.dumps({"trust_remote_code": True}))
    (tmp_path / "remote" / "model.safetensors").write_bytes(b"\1" * 4)
    problems = folder_problems(remote)
    assert len(problems) == 3 and all("\n" not in p for p in problems)

    # the CLI: one line per bad file, the report goes on, exit 1, no traceback
    assert main(["models", "verify", remote]) == 1
    out = capsys.readouterr()
    assert out.out.count("BAD ") == 3 and "Traceback" not in out.out + out.err
    assert main(["models", "verify", str(fifo)]) == 1
    assert "not a regular file" in capsys.readouterr().out
