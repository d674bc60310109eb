"""Batch tasks for long files split into parts (see :mod:`camtag.runs.parts`).

:func:`plan_or_analyze` is the first task of every file: a file shorter than two parts (or an
unfinished whole-file run) is analysed right there, as :func:`~camtag.scale.tasks.analyze_file`
does; a longer one gets a plan (its analysis claimed for the batch driver) and the driver starts
one :func:`analyze_part` task per part, then :func:`finish_file` (seam check and repair,
stitching) once every part is in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from camtag.scale.tasks import FileResult, analyze_file, open_watched_library, progress_reporter

Report = Callable[[str, int, Optional[int]], None]


@dataclass
class FilePlan:
    path: str
    analysis_id: int
    parts: list = field(default_factory=list)     # [(part, own_from, own_until, status)]
    frames: int = 0
    resumed: bool = False

    def label(self, part: int) -> str:
        _, a, b, _ = self.parts[part]
        end = "end" if b is None else b
        return f"part {part + 1}/{len(self.parts)} (frames {a}-{end})"

    def span(self, part: int) -> int:
        _, a, b, _ = self.parts[part]
        return (self.frames if b is None else b) - a


def part_key(path: str, part: int) -> str:
    """The progress-board key of one part."""
    return f"{path}\x00{part}"


def plan_or_analyze(library_url: str, path: str, request=None, *,
                    minutes: float = 0.0, part_frames: int = 0,
                    owner: str | None = None, preroll: int | None = None,
                    report: Report | None = None):
    """A :class:`FileResult` (analysed here, up to date or unreadable) or a :class:`FilePlan`."""
    from camtag.library import open_library
    from camtag.media.errors import MediaError
    from camtag.runs.plan import plan_file

    lib = open_library(library_url)
    try:
        plan = plan_file(lib, path, request, minutes=minutes, part_frames=part_frames,
                         owner=owner, preroll=preroll)
    except MediaError as exc:
        return FileResult(path, "failed", message=exc.reason)
    finally:
        lib.close()
    if plan is None:
        return analyze_file(library_url, path, request, report=report)
    if plan.record.skipped:
        return FileResult(path, "up to date", plan.record.shots, analysis_id=plan.record.id)
    return FilePlan(path, plan.record.id,
                    [(p.part, p.own_from, p.own_until, p.status) for p in plan.parts],
                    plan.media.info.frames, plan.resumed)


def analyze_part(library_url: str, path: str, analysis_id: int, part: int, *,
                 report: Report | None = None):
    """Run one part into the library; returns a :class:`~camtag.library.parts.PartOutcome`.
    Library and system errors propagate (the task is retried and resumes after its stored shots)."""
    from camtag.jobs import run_job
    from camtag.runs.parts import run_part

    lib = open_watched_library(library_url)
    try:
        return run_job(run_part(lib, analysis_id, part),
                       progress_reporter(report, part_key(path, part), zero=True))
    finally:
        lib.close()


def finish_file(library_url: str, path: str, analysis_id: int) -> FileResult:
    """Check and repair the seams of a split file and finish its analysis."""
    from camtag.jobs import run_job
    from camtag.library import open_library
    from camtag.library.records import Notice
    from camtag.runs.seams import finish_parts

    lib = open_library(library_url)
    notes: list[str] = []

    def note(progress) -> None:
        if isinstance(progress.partial, Notice):
            notes.append(progress.partial.text.partition(": ")[2] or progress.partial.text)

    try:
        record = run_job(finish_parts(lib, analysis_id), note)
    finally:
        lib.close()
    return FileResult(path, "done", record.shots, "; ".join(notes), analysis_id=record.id)
