"""Model files: the shipped registry (models/registry.toml), the ones a user added, and checks.

Model folders searched, in order: ``settings["models_dir"]``, ``$CAMTAG_MODELS_DIR``, the user
data folder's ``models/`` and the source tree's ``models/``. ``camtag models add PATH`` records a
file anywhere on disk (with its size and sha256) in the user data folder's ``models.toml``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from camtag.reasoner.base import ModelFileError
from camtag.reasoner import model_files

KINDS = ("gguf", "mmproj", "hf")
from camtag.resources_path import shipped_models_dir  # noqa: E402

_SOURCE_MODELS = shipped_models_dir()


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str
    file: str
    quantization: str = ""
    size: int = 0
    sha256: str = ""
    approx_size: str = ""
    source: str = ""
    repo: str = ""
    pair: str = ""
    note: str = ""
    auto: bool = True
    path: str = ""              # where it was found ("" = not on this machine)
    added: bool = False         # recorded by `camtag models add`


@dataclass
class Verification:
    entry: ModelEntry
    ok: bool
    lines: list[str] = field(default_factory=list)


def data_dir() -> Path:
    env = os.environ.get("CAMTAG_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("camtag", appauthor=False))


def registry_path() -> Path:
    from camtag import resources_path

    return resources_path.registry_path()


def user_registry_path() -> Path:
    return data_dir() / "models.toml"


def model_dirs(settings: dict | None = None) -> list[Path]:
    dirs = [(settings or {}).get("models_dir"), os.environ.get("CAMTAG_MODELS_DIR"),
            data_dir() / "models", _SOURCE_MODELS]
    return list(dict.fromkeys(Path(d) for d in dirs if d))


def _load_toml(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        with open(path, "rb") as fh:
            return list(tomllib.load(fh).get("model", []))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ModelFileError(f"{path}: cannot read the model registry ({exc})") from None


def _entry(d: dict, added: bool) -> ModelEntry:
    known = {f.name for f in fields(ModelEntry)}
    return ModelEntry(**{k: v for k, v in d.items() if k in known}, added=added)


def entries(settings: dict | None = None) -> list[ModelEntry]:
    """Known and added models, each with ``path`` set when the file is on this machine."""
    out: dict[str, ModelEntry] = {}
    dirs = model_dirs(settings)
    for d in _load_toml(registry_path()):
        e = _entry(d, False)
        found = next((p / e.file for p in dirs if (p / e.file).exists()), None)
        out[e.name] = replace(e, path=str(found) if found else "")
    for d in _load_toml(user_registry_path()):
        e = _entry(d, True)
        out[e.name] = replace(e, path=e.path if e.path and Path(e.path).exists() else "")
    return list(out.values())


def by_name(name: str, settings: dict | None = None) -> ModelEntry:
    for e in entries(settings):
        if e.name == name:
            return e
    raise ModelFileError(f"no model named {name!r} (see `camtag models list`)")


def find_gguf_pair(settings: dict | None = None) -> tuple[str, str] | None:
    """The first usable (text GGUF, mmproj) pair: added models first, then known files."""
    all_ = entries(settings)
    named = {e.name: e for e in all_}
    mmprojs = [e for e in all_ if e.kind == "mmproj" and e.path]
    for e in sorted((e for e in all_ if e.kind == "gguf" and e.path and e.auto), key=lambda e: not e.added):
        partner = named.get(e.pair)
        if partner and partner.path:
            return e.path, partner.path
        same_dir = [m for m in mmprojs if Path(m.path).parent == Path(e.path).parent]
        if same_dir:
            return e.path, same_dir[0].path
    return None


def find_hf_folder(settings: dict | None = None) -> str | None:
    for e in sorted(entries(settings), key=lambda e: not e.added):
        if e.kind == "hf" and e.path and e.auto:
            return e.path
    return None


def sha256_of(path: str | Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def human_size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.{2 if unit == 'GB' else 1}f} {unit}"
    return f"{n} B"


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def detect_kind(path: Path) -> str:
    if path.is_dir():
        model_files.check_hf_folder(path)
        return "hf"
    info = model_files.read_gguf(path)
    return "mmproj" if info.architecture == "clip" else "gguf"


def check_file(kind: str, path: str | Path) -> str:
    """Format-level check (header, architecture, truncation); returns a one-line description."""
    path = Path(path)
    if kind == "hf":
        cfg = model_files.check_hf_folder(path)
        return f"Hugging Face folder, {cfg.get('model_type', '?')}, {cfg.get('torch_dtype') or cfg.get('dtype') or ''}".rstrip(", ")
    info = model_files.read_gguf(path)
    if kind == "mmproj":
        model_files.check_mmproj(info)
        return f"mmproj {info.get('clip.projector_type')}, width {info.get('clip.vision.projection_dim')}, {info.quantization}"
    model_files.check_text_model(info)
    return f"GGUF {info.architecture}, width {info.get(info.architecture + '.embedding_length')}, {info.quantization}"


def add(path: str | os.PathLike, *, name: str | None = None, kind: str | None = None,
        pair: str | None = None) -> ModelEntry:
    p = Path(path).expanduser().resolve()
    if not p.exists():
        raise ModelFileError(f"{p}: not found")
    kind = kind or detect_kind(p)
    if kind not in KINDS:
        raise ModelFileError(f"unknown kind {kind!r} (use {', '.join(KINDS)})")
    check_file(kind, p)
    if kind == "gguf" and pair:
        partner = by_name(pair) if not Path(pair).exists() else add(pair)
        if partner.path:
            model_files.check_gguf_pair(str(p), partner.path)
        pair = partner.name
    quant = ""
    if kind != "hf":
        quant = model_files.read_gguf(p).quantization
    name = name or (p.stem if p.is_file() else p.name).lower()
    known = next((e for e in entries() if e.name == name and not e.added), None)
    entry = ModelEntry(name=name, kind=kind, file=p.name, quantization=quant or (known.quantization if known else ""),
                       size=_folder_size(p) if p.is_dir() else p.stat().st_size,
                       sha256="" if p.is_dir() else sha256_of(p),
                       source=(known.source + "; " if known else "") + f"added from {p}",
                       repo=known.repo if known else "", note=known.note if known else "",
                       pair=pair or (known.pair if known else ""), path=str(p), added=True)
    rows = [d for d in _load_toml(user_registry_path()) if d.get("name") != entry.name]
    rows.append({f.name: getattr(entry, f.name) for f in fields(ModelEntry)
                 if f.name != "added" and getattr(entry, f.name) not in ("", 0)})
    _write_toml(user_registry_path(), rows)
    return entry


def _write_toml(path: Path, rows: list[dict]) -> None:
    """Flat tables of strings, ints and bools: the only shapes this registry holds."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return json.dumps(str(v), ensure_ascii=False)

    text = "# models added with `camtag models add` (written by camtag)\n"
    for row in rows:
        text += "\n[[model]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in row.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def verify(entry: ModelEntry, *, load: bool = False, settings: dict | None = None) -> Verification:
    """Size, sha256 (when known), format, pairing and, with ``load``, a real load."""
    v = Verification(entry, False)
    if not entry.path:
        v.lines.append(f"not found in {', '.join(str(d) for d in model_dirs(settings))}")
        return v
    p = Path(entry.path)
    try:
        size = _folder_size(p) if p.is_dir() else p.stat().st_size
        if entry.size and size != entry.size:
            v.lines.append(f"size {size} bytes, expected {entry.size}: incomplete or a different file")
            return v
        v.lines.append(f"size {size:,} bytes" + (" (as recorded)" if entry.size else ""))
        v.lines.append(check_file(entry.kind, p))
        if entry.kind == "gguf" and entry.pair:
            partner = next((e for e in entries(settings) if e.name == entry.pair), None)
            if partner and partner.path:
                model_files.check_gguf_pair(str(p), partner.path)
                v.lines.append(f"pairs with {partner.name}")
        if entry.sha256 and p.is_file():
            digest = sha256_of(p)
            if digest != entry.sha256.lower():
                v.lines.append(f"sha256 {digest[:16]}… differs from the recorded {entry.sha256[:16]}…")
                return v
            v.lines.append("sha256 matches")
        elif p.is_file():
            v.lines.append("no sha256 on record (file converted locally or not added yet)")
        if load:
            v.lines.append(load_check(entry, settings))
    except ModelFileError as exc:
        v.lines.append(str(exc))
        return v
    v.ok = True
    return v


def load_check(entry: ModelEntry, settings: dict | None = None) -> str:
    """Really load the model with its backend (slow for 7B files); raises ModelFileError."""
    from camtag.reasoner import base

    s = dict(settings or {})
    if entry.kind == "hf":
        s["hf_model_dir"] = entry.path
        backend = base.create("transformers", s)
    elif entry.kind == "gguf":
        partner = next((e for e in entries(settings) if e.name == entry.pair and e.path), None)
        pair = find_gguf_pair(settings)
        mmproj = partner.path if partner else (pair[1] if pair else None)
        if not mmproj:
            raise ModelFileError(f"{entry.name}: no mmproj to load it with (add one with `camtag models add`)")
        s.update(model_path=entry.path, mmproj_path=mmproj)
        backend = base.create("llamacpp", s)
    else:
        return "mmproj is loaded together with its text model (verify the text model with --load)"
    try:
        backend.load()
    except base.ReasonerError as exc:
        raise ModelFileError(str(exc)) from None
    finally:
        backend.close()
    return f"loads with the {backend.name} backend"


def pull(name: str, dest: str | os.PathLike | None = None, *, settings: dict | None = None) -> Path:
    """Download a registry model with huggingface_hub (online users). Returns its path.
    Only safetensors, JSON and text files are fetched (no pickles, no remote code)."""
    entry = by_name(name, settings)
    if not entry.repo:
        raise ModelFileError(f"{name} is not published for download: {entry.source}")
    try:
        import huggingface_hub
    except ImportError:
        raise ModelFileError("huggingface_hub is not installed (pip install huggingface_hub)") from None
    # Without ``dest`` files go to the Hugging Face cache (shared with other tools, resumable,
    # and usable offline with HF_HUB_OFFLINE=1 once there); ``camtag models add`` records the path.
    where: dict = {}
    if dest:
        Path(dest).mkdir(parents=True, exist_ok=True)
        where["local_dir"] = Path(dest) / entry.file if entry.kind == "hf" else Path(dest)
    try:
        if entry.kind == "hf":
            path = Path(huggingface_hub.snapshot_download(
                entry.repo, allow_patterns=["*.json", "*.safetensors", "*.txt", "*.jinja", "*.model"], **where))
        else:
            path = Path(huggingface_hub.hf_hub_download(entry.repo, entry.file, **where))
    except Exception as exc:  # offline, missing repo, interrupted download: one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelFileError(f"could not download {entry.repo}/{entry.file}: {first}") from None
    check_file(entry.kind, path)
    return path
