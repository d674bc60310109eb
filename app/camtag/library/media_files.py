"""Media files as the library sees them: content fingerprints, quick info, folder expansion."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Iterable

from camtag.media.errors import MediaError

CHUNK = 1 << 20
# the one list of what camtag opens: folder scans (CLI and app) and the app's Open dialog use it
MEDIA_EXTENSIONS = frozenset(
    ".mov .mp4 .m4v .mkv .mxf .avi .webm .mts .m2ts .ts .mpg .mpeg .wmv .flv .3gp .dv .r3d .braw"
    " .gif".split())


@dataclass(frozen=True)
class FileState:
    path: str
    size_bytes: int
    mtime_ns: int


def file_state(path: str) -> FileState:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MediaError(path, "file not found") from None
    except OSError as exc:
        raise MediaError(path, f"cannot read: {exc.strerror}") from None
    if not os.path.isfile(path):
        raise MediaError(path, "is not a regular file")
    return FileState(os.path.realpath(path), st.st_size, st.st_mtime_ns)


def same_file(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` one file (a symlink or hard link: same device and inode)?"""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def fingerprint(path: str, size: int | None = None) -> str:
    """sha256 over the size and the first and last MiB: cheap, and stable when a file is moved."""
    size = os.path.getsize(path) if size is None else size
    h = hashlib.sha256(str(size).encode())
    try:
        with open(path, "rb") as fh:
            h.update(fh.read(CHUNK))
            if size > CHUNK:
                fh.seek(max(CHUNK, size - CHUNK))
                h.update(fh.read(CHUNK))
    except OSError as exc:
        raise MediaError(path, f"cannot read: {exc.strerror}") from None
    return h.hexdigest()


def probe_info(path: str) -> dict:
    """Exact media info (:func:`camtag.media.probe.probe`) as the analysis-JSON dict; stored with
    the media so that a resumed or repeated analysis need not probe again."""
    from camtag.analysis_json import media_to_dict
    from camtag.media.probe import probe

    data = media_to_dict(probe(path))
    data["path"] = os.path.abspath(path)
    return data


def expand_media_paths(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """Files as given plus media files found (recursively, sorted) in folders.

    Returns (files, problems): a path that does not exist is a problem, not an exception. A file
    reached again through a symlink or a hard link (same device and inode) is listed once.
    """
    files: list[str] = []
    problems: list[str] = []
    seen: set[object] = set()
    for raw in paths:
        path = os.path.abspath(os.path.expanduser(raw))
        if os.path.isdir(path):
            found = []
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(folder, n) for n in names
                          if not n.startswith(".") and os.path.splitext(n)[1].lower() in MEDIA_EXTENSIONS]
            if not found:
                problems.append(f"{raw}: no media files in this folder")
            candidates = sorted(found)
        elif os.path.exists(path):
            candidates = [path]
        else:
            problems.append(f"{raw}: file not found")
            candidates = []
        for c in candidates:
            try:
                st = os.stat(c)
                ident: object = (st.st_dev, st.st_ino)
            except OSError:
                ident = os.path.realpath(c)
            if ident not in seen:
                seen.add(ident)
                files.append(c)
    return files, problems
