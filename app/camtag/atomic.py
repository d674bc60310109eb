"""Atomic file writes: a temporary file beside the target, fsync, then rename over it.

An interrupted write (Ctrl-C, kill, full disk) leaves either the old file or the new one,
never half of one; the temporary file is removed on failure.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any


def write_text_atomic(path: str, text: str, newline: str = "\n", encoding: str = "utf-8") -> str:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".camtag-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_json_atomic(path: str, data: Any, indent: int | None = 1, sort_keys: bool = False) -> str:
    return write_text_atomic(path, json.dumps(data, indent=indent, ensure_ascii=False,
                                              sort_keys=sort_keys))
