"""The exporter contract: options, the write-function Protocol, the registry by name, atomic files.

An exporter is one module with one ``write_<format>(path, sequences, options) -> list[str]``
function named in :data:`FORMATS` under a format name. It receives :class:`~camtag.export.timeline.EditSequence`
objects (already validated, trimmed and laid out on record time) and returns the files it wrote.
"""

from __future__ import annotations

from camtag.atomic import write_text_atomic  # noqa: F401  (exporters write through it)

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from camtag.export.text import file_label
from camtag.registry import load

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
    reel_source: str = "file"          # "embedded": the file's own reel/tape name where it has one


class WriteFunction(Protocol):
    def __call__(self, path: str, sequences: "list[EditSequence]",
                 options: ExportOptions) -> list[str]: ...


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    description: str
    write: WriteFunction


# The registry, as data (like OTIO's adapter manifest): format name -> (write function as
# "module:attr", file extension, description). The module is imported when the format is used.
FORMATS: dict[str, tuple[str, str, str]] = {
    "ale": ("camtag.export.ale:write_ale", ".ale",
            "Avid Log Exchange with camera-move bin columns (one row per shot)"),
    "csv": ("camtag.export.csv_file:write_csv", ".csv",
            "CSV start,end,label in seconds (LosslessCut layout), one file per media"),
    "csv-frames": ("camtag.export.csv_file:write_csv_frames", ".csv",
                   "CSV start,end,label in frames (end exclusive), one file per media"),
    "edl": ("camtag.export.edl:write_edl", ".edl",
            "CMX3600 cut EDL with clip names, tags as comments and Avid locators"),
    "fcp7": ("camtag.export.fcp7:write_fcp7", ".xml",
             "FCP7 XML for Premiere Pro / Resolve: clips with logging info, sequence markers"),
    "fcpxml": ("camtag.export.fcpxml:write_fcpxml", ".fcpxml",
               "FCPXML 1.9 for Final Cut Pro: keyword ranges per movement, markers"),
    "json": ("camtag.export.json_file:write_json", ".json",
             "camtag analysis JSON of the exported shots (one file per media)"),
    "otio": ("camtag.export.otio_file:write_otio", ".otio",
             "OpenTimelineIO timeline with all camtag metadata and movement markers"),
    "resolve-markers": ("camtag.export.resolve_markers:write_resolve_markers", ".edl",
                        "DaVinci Resolve timeline-marker EDL: one coloured marker per shot "
                        "(|C: |M: |D:)"),
}


def available_formats() -> dict[str, ExportFormat]:
    return {name: get_format(name) for name in sorted(FORMATS)}


def get_format(name: str) -> ExportFormat:
    if name not in FORMATS:
        raise ExportError(f"unknown export format {name!r}; choose one of {', '.join(sorted(FORMATS))}")
    target, extension, description = FORMATS[name]
    return ExportFormat(name, extension, description, load(target))


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
