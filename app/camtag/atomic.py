"""Atomic file writes, through the one output policy of :mod:`camtag.outputs`.

An interrupted write (Ctrl-C, SIGTERM, full disk) leaves either the old file or the new one,
never half of one, and no temporary file; stdout, pipes and devices are written through; an
existing file keeps its mode, a new one follows the umask.
"""

from __future__ import annotations

import json
from typing import Any

from camtag.outputs import write_text


def write_text_atomic(path: str, text: str, newline: str = "\n", encoding: str = "utf-8",
                      fallback: bool = False) -> str:
    return write_text(path, text, newline=newline, encoding=encoding, fallback=fallback)


def json_text(data: Any, indent: int | None = 1, sort_keys: bool = False) -> str:
    """JSON as UTF-8 text; text holding lone surrogates (file names that were not UTF-8, garbled
    model output) is written with ``\\u`` escapes instead, which reads back to the same string."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, sort_keys=sort_keys)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=indent, ensure_ascii=True, sort_keys=sort_keys)
    return text


def write_json_atomic(path: str, data: Any, indent: int | None = 1, sort_keys: bool = False,
                      fallback: bool = False) -> str:
    return write_text(path, json_text(data, indent, sort_keys), fallback=fallback)
