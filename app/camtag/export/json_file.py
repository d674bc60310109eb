"""The analysis JSON (camtag.analysis/1) of the exported shots, one file per media.

Uses :func:`camtag.analysis_json.analysis_to_dict`, so the file reads back with
:func:`~camtag.analysis_json.read_analysis`. Only the selected shots are written, trimmed the same
way as in every other format; detector, engine, settings and motion curves come from the analysis
the shots belong to, when known.
"""

from __future__ import annotations

import os

from camtag.analysis_json import analysis_to_dict
from camtag.atomic import json_text
from camtag.export.base import ExportOptions, numbered_paths
from camtag.export.timeline import EditEvent, EditSequence
from camtag.model import Analysis
from camtag.outputs import encode_text, write_files


def analysis_for(events: list[EditEvent]) -> Analysis:
    """An Analysis of one media holding just these events' shots, in source order."""
    first = events[0].ref
    shots = tuple(e.shot if (e.start, e.end) == (e.shot.start_frame, e.shot.end_frame)
                  else e.shot.with_(start_frame=e.start, end_frame=e.end)
                  for e in sorted(events, key=lambda e: e.start))
    source = first.analysis
    if source is None:
        return Analysis(media=first.media, shots=shots)
    return Analysis(media=first.media, shots=shots, detector=source.detector, engine=source.engine,
                    settings=source.settings, motion=source.motion, warnings=source.warnings,
                    errors=source.errors)


def write_json(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    by_media: dict[str, list[EditEvent]] = {}
    for seq in sequences:
        for e in seq.events:
            by_media.setdefault(e.media.path, []).append(e)
    labels = [os.path.splitext(os.path.basename(p))[0] for p in by_media]
    return write_files([(out, encode_text(json_text(analysis_to_dict(analysis_for(events)))))
                        for events, out in zip(by_media.values(), numbered_paths(path, labels))])
