"""Editorial interchange: exports every NLE opens, and cut import from existing edits.

    from camtag.export import export, ExportOptions
    result = export(analysis, "edl", "cuts.edl", ExportOptions(record_start="01:00:00:00"))
    result.paths, result.warnings

``source`` is an :class:`~camtag.model.Analysis`, a list of them, or ``(MediaInfo, Shot)`` pairs
(search results, a collection). One module per format has a ``write_<format>`` function, named
in the registry table :data:`camtag.export.base.FORMATS`; :func:`available_formats` lists them.
Cut import lives in :mod:`camtag.export.cut_import` (:func:`import_cuts`).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass

from camtag.export.base import (ExportError, ExportFormat, ExportOptions, available_formats,
                                get_format)
from camtag.export.cut_import import CutImport, CutImportError, import_cuts
from camtag.export.timeline import EditEvent, EditSequence, ShotRef, Source, build_sequences


@dataclass(frozen=True)
class ExportResult:
    paths: tuple[str, ...]
    warnings: tuple[str, ...]
    sequences: int
    events: int


@contextmanager
def _gc_paused():
    """Building tens of thousands of small objects triggers the cyclic GC over and over (it halves
    a 10,000-shot OTIO export); nothing here makes cycles, so collect once at the end instead."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def export(source: Source, fmt: str, path: str, options: ExportOptions = ExportOptions()
           ) -> ExportResult:
    """Check, lay out and write ``source`` as ``fmt`` to ``path`` (atomically, file by file).

    Several sequences or more than 999 EDL events give several files beside ``path``; the result
    lists them. Raises :class:`ExportError` (one line) when the export cannot be written.
    """
    exporter = get_format(fmt)
    with _gc_paused():
        sequences, warnings = build_sequences(source, options)
        paths = exporter.write(path, sequences, options)
    return ExportResult(tuple(paths), tuple(warnings), len(sequences),
                        sum(len(s.events) for s in sequences))


__all__ = ["CutImport", "CutImportError", "EditEvent", "EditSequence", "ExportError",
           "ExportFormat", "ExportOptions", "ExportResult", "ShotRef", "available_formats",
           "build_sequences", "export", "get_format", "import_cuts"]
