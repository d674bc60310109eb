"""The exporter contract: options, the write-function Protocol, the registry by name, atomic files.

An exporter is one module with one ``write_<format>(path, sequences, options) -> list[str]``
function registered under a format name. It receives :class:`~camtag.export.timeline.EditSequence`
objects (already validated, trimmed and laid out on record time) and returns the files it wrote.
"""

from __future__ import annotations

from camtag.atomic import write_text_atomic  # noqa: F401  (exporters write through it)

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

from camtag.export.text import file_label

if TYPE_CHECKING:
    from camtag.export.timeline import EditSequence


class ExportError(ValueError):
    """An export that cannot be written as asked; the message is one line for the user."""


@dataclass(frozen=True)
class ExportOptions:
    record_start: str = "01:00:00:00"  # record (timeline) start, read in the sequence's DF mode
    combined: bool = False             # one sequence for all media instead of one per media
    name: str = ""                     # sequence / title name; default from the media
    strict: bool = False               # refuse overlapping / out-of-range shots instead of trimming
    locators: bool = True              # `* LOC:` locators in the CMX3600 EDL (for Avid)
    max_events: int = 999              # CMX3600 limit; longer lists are split into several files


class WriteFunction(Protocol):
    def __call__(self, path: str, sequences: "list[EditSequence]",
                 options: ExportOptions) -> list[str]: ...


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    description: str
    write: WriteFunction


_REGISTRY: dict[str, ExportFormat] = {}


def register(name: str, extension: str, description: str) -> Callable[[WriteFunction], WriteFunction]:
    def wrap(write: WriteFunction) -> WriteFunction:
        _REGISTRY[name] = ExportFormat(name, extension, description, write)
        return write
    return wrap


def available_formats() -> dict[str, ExportFormat]:
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def get_format(name: str) -> ExportFormat:
    formats = available_formats()
    if name not in formats:
        raise ExportError(f"unknown export format {name!r}; choose one of {', '.join(formats)}")
    return formats[name]


def _load_all() -> None:
    # importing the modules registers them
    from camtag.export import (ale, csv_file, edl, fcp7, fcpxml, json_file,  # noqa: F401
                               otio_file, resolve_markers)


# ---- files ---------------------------------------------------------------------------------

def numbered_paths(path: str, labels: list[str]) -> list[str]:
    """``path`` itself for one output; otherwise ``<stem>_<label><ext>``, made unique."""
    if len(labels) == 1:
        return [path]
    stem, ext = os.path.splitext(path)
    out, seen = [], set()
    for label in labels:
        candidate = f"{stem}_{file_label(label)}{ext}"
        n = 2
        while candidate in seen:
            candidate = f"{stem}_{file_label(label)}_{n}{ext}"
            n += 1
        seen.add(candidate)
        out.append(candidate)
    return out


def part_paths(path: str, parts: int) -> list[str]:
    """``path`` for one part, else ``<stem>_part1<ext>`` … (CMX3600's 999-event limit)."""
    if parts == 1:
        return [path]
    stem, ext = os.path.splitext(path)
    return [f"{stem}_part{i + 1}{ext}" for i in range(parts)]
