"""Check model files before any native code touches them: GGUF headers and safetensors folders.

llama.cpp aborts the whole process on some bad inputs (an mmproj whose projection width does not
match the text model, a truncated tensor), so the backends and ``camtag models verify`` read the
headers here first and turn every problem into one line. Pure Python, no dependencies: GGUF
header, metadata and tensor table (spec: ggml-org/ggml docs/gguf.md), and the safetensors JSON
header. Both reveal truncation: every tensor's byte range must lie inside the file.

Hostile files: only regular files are opened (a FIFO named ``config.json`` would block a read
forever), every length and count is bounded by the bytes left in the file, any malformed value
becomes a :class:`ModelFileError`, and a folder that asks for remote code (``auto_map``,
``trust_remote_code``) is refused: camtag never runs code shipped in a model folder.
:func:`folder_problems` lists one line per bad file of a folder.
"""

from __future__ import annotations

import json
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

from camtag.reasoner.base import ModelFileError

TEXT_ARCHS = ("qwen2vl",)                      # what llama.cpp writes for Qwen2.5-VL text models
MMPROJ_PROJECTOR = "qwen2.5vl_merger"
HF_ARCH = "Qwen2_5_VLForConditionalGeneration"

# ggml type id -> (block size, bytes per block); ggml/include/ggml.h and ggml.c type traits
GGML_TYPES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 40),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
    22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17), 40: (64, 36), 41: (128, 18),
}
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
              11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
              17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
              23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
              29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4", 39: "NVFP4",
              40: "Q1_0"}
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


@dataclass
class GGUFInfo:
    path: str
    version: int
    metadata: dict
    tensors: dict[str, tuple[tuple[int, ...], int]] = field(default_factory=dict)   # name -> (shape, type)
    size: int = 0

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def quantization(self) -> str:
        ft = self.metadata.get("general.file_type")
        return FILE_TYPES.get(ft, f"type {ft}") if ft is not None else ""

    def get(self, key: str, default=None):
        return self.metadata.get(key, default)


def regular_file(path: str | os.PathLike) -> int:
    """Size of ``path`` if it is a regular file; ModelFileError otherwise (missing, FIFO, device...)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        why = "file not found" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise ModelFileError(f"{os.fspath(path)}: {why}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ModelFileError(f"{os.fspath(path)}: not a regular file (a pipe, device or folder); refusing to read it")
    return st.st_size


def read_json_file(path: str | os.PathLike, limit: int = 64 << 20) -> dict:
    """A small JSON object file, refused unless it is a regular file that parses to an object."""
    size = regular_file(path)
    if size > limit:
        raise ModelFileError(f"{os.fspath(path)}: {size} bytes is too large for a config file")
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(limit + 1).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ModelFileError(f"{os.fspath(path)}: not valid JSON") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{os.fspath(path)}: expected a JSON object")
    return data


def remote_code_request(data: dict) -> str:
    """What in a config asks for code from the model folder ('' when nothing does)."""
    if data.get("auto_map"):
        return "auto_map"
    if data.get("trust_remote_code"):
        return "trust_remote_code"
    return ""


class _Reader:
    def __init__(self, fh, path: str, size: int) -> None:
        self.fh, self.pos, self.path, self.size = fh, 0, path, size

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise ModelFileError(f"{self.path}: truncated GGUF header (file ends at byte {self.size})")
        out = self.fh.read(n)
        self.pos += n
        return out

    def scalar(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.scalar("<Q")
        if n > 1 << 24:
            raise ModelFileError(f"{self.path}: corrupt GGUF header (a {n}-byte string)")
        return self.take(n).decode("utf-8", "replace")

    def value(self, vtype: int, keep: bool = True, depth: int = 0):
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == 8:
            return self.string()
        if vtype == 9:
            itype, count = self.scalar("<I"), self.scalar("<Q")
            if depth > 2 or count > self.size - self.pos:      # every item takes at least one byte
                raise ModelFileError(f"{self.path}: corrupt GGUF header (an array of {count} items)")
            if itype in _SCALARS and itype != 7:
                size = struct.calcsize(_SCALARS[itype])
                raw = self.take(size * count)
                return list(struct.unpack(f"<{count}{_SCALARS[itype][1]}", raw)) if keep and count <= 4096 else count
            items = [self.value(itype, keep and count <= 64, depth + 1) for _ in range(count)]
            return items if keep and count <= 64 else count       # big arrays (vocab): count only
        raise ModelFileError(f"{self.path}: corrupt GGUF header (unknown value type {vtype})")


def read_gguf(path: str | os.PathLike) -> GGUFInfo:
    """Header, metadata and tensor table of a GGUF file; raises :class:`ModelFileError` only."""
    path = os.fspath(path)
    try:
        return _read_gguf(path)
    except ModelFileError:
        raise
    except (struct.error, ValueError, TypeError, OverflowError, MemoryError, RecursionError, OSError) as exc:
        raise ModelFileError(f"{path}: corrupt GGUF file ({type(exc).__name__}: {str(exc)[:120]})") from None


def _read_gguf(path: str) -> GGUFInfo:
    size = regular_file(path)
    if size < 24:
        raise ModelFileError(f"{path}: not a GGUF file ({size} bytes)")
    with open(path, "rb", buffering=1 << 20) as fh:
        r = _Reader(fh, path, size)
        if r.take(4) != b"GGUF":
            raise ModelFileError(f"{path}: not a GGUF file (wrong magic bytes)")
        version = r.scalar("<I")
        if version not in (2, 3):
            raise ModelFileError(f"{path}: GGUF version {version} is not supported (2 or 3)")
        n_tensors, n_kv = r.scalar("<Q"), r.scalar("<Q")
        if n_tensors > 1 << 20 or n_kv > 1 << 20:
            raise ModelFileError(f"{path}: corrupt GGUF header")
        meta = {}
        for _ in range(n_kv):
            key = r.string()
            meta[key] = r.value(r.scalar("<I"))
        tensors, offsets = {}, []
        for _ in range(n_tensors):
            name = r.string()
            n_dims = r.scalar("<I")
            if n_dims > 8:
                raise ModelFileError(f"{path}: corrupt GGUF tensor table")
            dims = tuple(r.scalar("<Q") for _ in range(n_dims))
            ttype, offset = r.scalar("<I"), r.scalar("<Q")
            tensors[name] = (dims, ttype)
            offsets.append((offset, dims, ttype, name))
        align = meta.get("general.alignment", 32)
        if not isinstance(align, int) or isinstance(align, bool) or not 1 <= align <= 1 << 16:
            raise ModelFileError(f"{path}: corrupt GGUF header (general.alignment {align!r})")
        data_start = (r.pos + align - 1) // align * align
    for offset, dims, ttype, name in offsets:
        n = 1
        for d in dims:
            n *= d
        block, nbytes = GGML_TYPES.get(ttype, (1, 0))
        end = data_start + offset + (n // block) * nbytes
        if end > size:
            raise ModelFileError(f"{path}: truncated: tensor {name} ends at byte {end}, file has {size} "
                                 "(an interrupted download or copy?)")
    return GGUFInfo(path, version, meta, tensors, size)


def check_text_model(info: GGUFInfo) -> None:
    arch = info.architecture
    if arch == "clip":
        raise ModelFileError(f"{info.path}: this is a vision projector (mmproj), not the text model")
    if arch not in TEXT_ARCHS:
        raise ModelFileError(f"{info.path}: architecture {arch or 'unknown'!r}, expected a Qwen2.5-VL text "
                             f"model ({'/'.join(TEXT_ARCHS)}); is it another model?")


def check_mmproj(info: GGUFInfo, text: GGUFInfo | None = None) -> None:
    if info.architecture != "clip":
        raise ModelFileError(f"{info.path}: architecture {info.architecture or 'unknown'!r}, "
                             "expected a vision projector (mmproj, 'clip')")
    if not info.get("clip.has_vision_encoder", False):
        raise ModelFileError(f"{info.path}: the projector has no vision encoder")
    proj = info.get("clip.projector_type", "")
    if proj != MMPROJ_PROJECTOR:
        raise ModelFileError(f"{info.path}: projector {proj or 'unknown'!r}, expected {MMPROJ_PROJECTOR!r} "
                             "(an mmproj from another model?)")
    if text is not None:
        want = text.get(f"{text.architecture}.embedding_length")
        got = info.get("clip.vision.projection_dim")
        if want is not None and got is not None and int(want) != int(got):
            raise ModelFileError(f"{info.path}: projects to width {got} but {os.path.basename(text.path)} "
                                 f"has width {want}: the mmproj belongs to another model")


def check_gguf_pair(model_path: str, mmproj_path: str) -> tuple[GGUFInfo, GGUFInfo]:
    text = read_gguf(model_path)
    check_text_model(text)
    proj = read_gguf(mmproj_path)
    check_mmproj(proj, text)
    return text, proj


def read_safetensors_header(path: str | os.PathLike) -> dict:
    path = os.fspath(path)
    size = regular_file(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise ModelFileError(f"{path}: not a safetensors file ({size} bytes)")
        n = struct.unpack("<Q", head)[0]
        if n > min(size, 100 << 20):
            raise ModelFileError(f"{path}: not a safetensors file (bad header length)")
        try:
            header = json.loads(fh.read(n))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ModelFileError(f"{path}: corrupt safetensors header") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: corrupt safetensors header (not an object)")
    end = 0
    for k, v in header.items():
        if k == "__metadata__":
            continue
        try:
            a, b = v["data_offsets"]
            if not (isinstance(a, int) and isinstance(b, int) and 0 <= a <= b):
                raise ValueError
        except (TypeError, KeyError, ValueError):
            raise ModelFileError(f"{path}: corrupt safetensors header (tensor {str(k)[:60]!r})") from None
        end = max(end, b)
    if 8 + n + end > size:
        raise ModelFileError(f"{path}: truncated ({size} bytes, needs {8 + n + end})")
    return header


def check_hf_folder(folder: str | os.PathLike) -> dict:
    """A Qwen2.5-VL checkpoint folder usable without remote code; returns its config.
    Raises :class:`ModelFileError` with the first problem (:func:`folder_problems` lists all)."""
    problems, config = _folder_check(Path(folder))
    if problems:
        raise ModelFileError(problems[0])
    return config


def folder_problems(folder: str | os.PathLike) -> list[str]:
    """One line per problem file of a Hugging Face folder ([] when it is usable)."""
    return _folder_check(Path(folder))[0]


def _folder_check(folder: Path) -> tuple[list[str], dict]:
    if not folder.is_dir():
        return [f"{folder}: folder not found"], {}
    problems: list[str] = []
    config: dict = {}
    cfg_path = folder / "config.json"
    if not cfg_path.exists() and not cfg_path.is_symlink():
        return [f"{folder}: no config.json (not a Hugging Face model folder)"], {}
    try:
        config = read_json_file(cfg_path)
        archs = config.get("architectures") or []
        if not isinstance(archs, list):
            archs = [str(archs)]
        if HF_ARCH not in archs and config.get("model_type") != "qwen2_5_vl":
            problems.append(f"{folder}: architecture {', '.join(map(str, archs)) or config.get('model_type')!s}, "
                            f"expected {HF_ARCH}")
        if remote_code_request(config):
            problems.append(f"{cfg_path}: asks for remote code ({remote_code_request(config)}); camtag never runs "
                            "code from a model folder")
    except ModelFileError as exc:
        problems.append(str(exc))
    for name in ("tokenizer_config.json", "preprocessor_config.json", "processor_config.json"):
        path = folder / name
        if path.exists() or path.is_symlink():
            try:
                if remote_code_request(read_json_file(path)):
                    problems.append(f"{path}: asks for remote code ({remote_code_request(read_json_file(path))}); "
                                    "camtag never runs code from a model folder")
            except ModelFileError as exc:
                problems.append(str(exc))
    index = folder / "model.safetensors.index.json"
    shards: list[str] = []
    if index.exists() or index.is_symlink():
        try:
            weight_map = read_json_file(index, 256 << 20).get("weight_map")
            if not isinstance(weight_map, dict):
                raise ModelFileError(f"{index}: corrupt index (no weight_map)")
            shards = sorted({str(v) for v in weight_map.values()})
        except ModelFileError as exc:
            problems.append(str(exc) if "corrupt" in str(exc) else f"{index}: corrupt index ({exc})")
    else:
        shards = sorted(p.name for p in folder.glob("*.safetensors"))
    if not shards and not problems:
        if any(folder.glob("*.bin")) or any(folder.glob("*.pt")):
            problems.append(f"{folder}: only pickle weights (.bin); camtag loads safetensors only")
        else:
            problems.append(f"{folder}: no .safetensors weights")
    for name in shards:
        if "/" in name or "\\" in name or name.startswith("."):
            problems.append(f"{index}: shard name {name[:60]!r} points outside the folder")
            continue
        if not (folder / name).exists():
            problems.append(f"{folder}: weight shard {name} is missing")
            continue
        try:
            read_safetensors_header(folder / name)
        except ModelFileError as exc:
            problems.append(str(exc))
    for options in (("preprocessor_config.json", "processor_config.json"), ("tokenizer.json", "tokenizer_config.json")):
        if not any((folder / name).exists() for name in options):
            problems.append(f"{folder}: {options[0]} is missing (copy the whole model folder)")
    return problems, config
