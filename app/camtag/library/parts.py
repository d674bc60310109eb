"""Storage of split analyses (a long file run as parts, see ``camtag.runs.parts``): the plan (one
``analysis_parts`` row per part), each part's lease, its shots with their side data
(``part_shots``: raw motion columns and the transition after the shot), its closing record, and
the file's frame index. Nothing here runs the pipeline.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

from camtag.library import curves
from camtag.library.errors import LibraryBusyError, LibraryError
from camtag.library.leases import owner_alive, owner_id, part_key
from camtag.library.records import AnalysisRecord, Changes, MediaRecord, RunOutcome
from camtag.library.rows import media_record, write_shot
from camtag.library.schema import now
from camtag.model import AnalysisRequest, Shot, Transition

if TYPE_CHECKING:
    from camtag.library.library import Library


@dataclass(frozen=True)
class Part:
    analysis_id: int
    part: int
    own_from: int
    own_until: Optional[int]            # None: to the end of the media
    preroll: int
    status: str = "planned"

    def label(self, count: int) -> str:
        end = "end" if self.own_until is None else str(self.own_until)
        return f"part {self.part + 1}/{count} (frames {self.own_from}-{end})"


@dataclass(frozen=True)
class Plan:
    record: AnalysisRecord
    media: MediaRecord
    parts: tuple[Part, ...]
    resumed: bool = False
    note: str = ""


@dataclass(frozen=True)
class PartOutcome:
    part: int
    status: str                        # done / failed
    stored: int = 0                    # shots stored by this attempt
    resumed_from: int = 0
    message: str = ""


@dataclass(frozen=True)
class PartClaim:
    """A part taken by this process (``claimed``; False: it is done already)."""

    part: Part
    media: MediaRecord
    request: AnalysisRequest
    claimed: bool


def _part(row) -> Part:
    return Part(row["analysis_id"], row["part"], row["own_from"], row["own_until"], row["preroll"],
                row["status"])


def parts_of(lib: "Library", analysis_id: int) -> list[Part]:
    with lib.store.read() as tx:
        return [_part(r) for r in tx.query("SELECT * FROM analysis_parts WHERE analysis_id = ? "
                                           "ORDER BY part", (analysis_id,))]


def has_parts(lib: "Library", analysis_id: int) -> bool:
    with lib.store.read() as tx:
        return bool(tx.scalar("SELECT count(*) FROM analysis_parts WHERE analysis_id = ?",
                              (analysis_id,), 0))


def open_plan(lib: "Library", media_id: int, key: str) -> Optional[int]:
    """The unfinished split analysis of this media and key, if any."""
    with lib.store.read() as tx:
        row = tx.one("SELECT a.id FROM analyses a JOIN analysis_parts p ON p.analysis_id = a.id "
                     "WHERE a.media_id = ? AND a.settings_key = ? AND a.status <> 'done' LIMIT 1",
                     (media_id, key))
    return None if row is None else row[0]


def write_plan(lib: "Library", analysis_id: int, ranges: Sequence[tuple[int, Optional[int]]],
               preroll: int, order=None) -> list[Part]:
    """Store the parts (an existing plan is kept) and the frame index (PTS in presentation order)."""
    with lib.store.write() as tx:
        if order is not None:
            tx.execute("INSERT INTO analysis_frame_index (analysis_id, pts) VALUES (?, ?) "
                       "ON CONFLICT (analysis_id) DO NOTHING", (analysis_id, _pack_order(order)))
        tx.executemany("INSERT INTO analysis_parts (analysis_id, part, own_from, own_until, "
                       "preroll) VALUES (?, ?, ?, ?, ?) ON CONFLICT (analysis_id, part) "
                       "DO NOTHING",
                       [(analysis_id, k, a, b, preroll) for k, (a, b) in enumerate(ranges)])
    return parts_of(lib, analysis_id)


def _pack_order(order) -> bytes:
    import numpy as np

    return zlib.compress(np.diff(order, prepend=0).astype("<i8").tobytes(), 6)


def frame_order(lib: "Library", analysis_id: int):
    """The split file's frame PTS in presentation order, as stored when it was planned (or None)."""
    import numpy as np

    with lib.store.read() as tx:
        blob = tx.scalar("SELECT pts FROM analysis_frame_index WHERE analysis_id = ?", (analysis_id,))
    if blob is None:
        return None
    return np.cumsum(np.frombuffer(zlib.decompress(bytes(blob)), "<i8"))


# -- one part --------------------------------------------------------------------------------
def claim_part(lib: "Library", analysis_id: int, part: int) -> PartClaim:
    with lib.store.write() as tx:
        analysis = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
        row = tx.one("SELECT * FROM analysis_parts WHERE analysis_id = ? AND part = ?",
                     (analysis_id, part))
        if analysis is None or row is None:
            raise LibraryError(f"part {part + 1} of analysis {analysis_id} is not in the library")
        media = media_record(tx.one("SELECT * FROM media WHERE id = ?", (analysis["media_id"],)))
        request = AnalysisRequest.from_settings(json.loads(analysis["settings"] or "{}"),
                                                analysis["detector"], strict=False)
        if analysis["status"] == "done" or row["status"] == "done":
            return PartClaim(_part(row), media, request, False)
        if row["status"] == "running" and owner_alive(row["owner"], row["heartbeat_at"],
                                                      part_key(lib.url, analysis_id, part)):
            raise LibraryBusyError(f"part {part + 1} of {media.name} is being analysed by "
                                   f"another camtag process ({row['owner']})")
        tx.execute("UPDATE analysis_parts SET status = 'running', owner = ?, heartbeat_at = ?, "
                   "attempts = attempts + 1, error = '' WHERE analysis_id = ? AND part = ?",
                   (owner_id(), now(), analysis_id, part))
        row = tx.one("SELECT * FROM analysis_parts WHERE analysis_id = ? AND part = ?",
                     (analysis_id, part))
    return PartClaim(_part(row), media, request, True)


def last_part_shot(lib: "Library", analysis_id: int, part: int) -> Optional[tuple[int, int]]:
    """(start, end) of the part's last stored shot, or None."""
    with lib.store.read() as tx:
        last = tx.one("SELECT start_frame, end_frame FROM part_shots WHERE analysis_id = ? AND "
                      "part = ? ORDER BY start_frame DESC LIMIT 1", (analysis_id, part))
    return None if last is None else (last[0], last[1])


def store_part_shot(lib: "Library", analysis_id: int, media_id: int, part: int, shot: Shot,
                    motion=None, next_transition: Optional[Transition] = None,
                    frames_done: Optional[int] = None) -> int | None:
    """One shot of a split analysis with its side data, in one transaction (idempotent)."""
    stamp = now()
    nt = next_transition
    blob = curves.encode_motion(motion) if motion is not None else None
    with lib.store.write() as tx:
        sid = write_shot(tx, analysis_id, media_id, shot, stamp)
        tx.execute("INSERT INTO part_shots (analysis_id, start_frame, end_frame, part, next_type, "
                   "next_start, next_end, curves) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (analysis_id, start_frame) DO NOTHING",
                   (analysis_id, shot.start_frame, shot.end_frame, part,
                    nt.type if nt else None, nt.start_frame if nt else None,
                    nt.end_frame if nt else None, blob))
        if frames_done is not None and part >= 0:
            tx.execute("UPDATE analysis_parts SET frames_done = ?, heartbeat_at = ? "
                       "WHERE analysis_id = ? AND part = ?", (frames_done, stamp, analysis_id, part))
            tx.execute("UPDATE analyses SET heartbeat_at = ?, frames_done = (SELECT "
                       "coalesce(sum(frames_done), 0) FROM analysis_parts WHERE analysis_id = ?) "
                       "WHERE id = ?", (stamp, analysis_id, analysis_id))
    if sid is not None:
        lib.events.shots_did_change.emit(Changes(added_shots=frozenset({sid}), label="analysis"))
    return sid


def beat_part(lib: "Library", analysis_id: int, part: int) -> None:
    with lib.store.write() as tx:
        tx.execute("UPDATE analysis_parts SET heartbeat_at = ? WHERE analysis_id = ? AND part = ?",
                   (now(), analysis_id, part))


@dataclass(frozen=True)
class PartClose:
    """How a part ended: its closing boundary ``frame`` (None: the media ended first) and that
    boundary's ``transition``, the motion columns just past it (``tail``), the first frame decoded."""

    frame: Optional[int] = None
    transition: Optional[Transition] = None
    tail: object = None
    first_frame: Optional[int] = None
    to_the_end: bool = False


def part_done(lib: "Library", analysis_id: int, part: int, end: PartClose,
              outcome: Optional[RunOutcome], span: int, resumed_from: int,
              agrees: bool = True) -> None:
    tr = end.transition
    with lib.store.read() as tx:
        old = json.loads(tx.scalar("SELECT info FROM analysis_parts WHERE analysis_id = ? AND "
                                   "part = ?", (analysis_id, part), "{}") or "{}")
    suspect = list(old.get("suspect_resumes", []))      # resume points to check at the seams
    if not agrees:
        suspect.append(resumed_from)
    info: dict[str, object] = {"to_the_end": bool(end.to_the_end), "decoded_from": end.first_frame,
            "resumed_from": resumed_from, "suspect_resumes": suspect}
    if outcome is not None:
        info.update(warnings=list(outcome.warnings), errors=list(outcome.errors),
                    detector=outcome.detector, engine=outcome.engine)
    tail = curves.encode_motion(end.tail) if end.tail is not None else None
    with lib.store.write() as tx:
        tx.execute("UPDATE analysis_parts SET status = 'done', owner = '', heartbeat_at = ?, "
                   "frames_done = ?, closing = ?, closing_type = ?, closing_start = ?, "
                   "closing_end = ?, tail = ?, info = ? WHERE analysis_id = ? AND part = ?",
                   (now(), span, end.frame, tr.type if tr else None, tr.start_frame if tr else None,
                    tr.end_frame if tr else None, tail, json.dumps(info), analysis_id, part))


def part_failed(lib: "Library", analysis_id: int, part: int, error: str) -> None:
    try:
        with lib.store.write() as tx:
            tx.execute("UPDATE analysis_parts SET status = 'failed', owner = '', error = ? "
                       "WHERE analysis_id = ? AND part = ? AND status <> 'done'",
                       (error[:500], analysis_id, part))
    except LibraryError:
        pass        # the part stays resumable all the same
