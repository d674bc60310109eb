"""What the library hands out: frozen records that wrap the shared model dataclasses with ids and
editor state. Exporters take ``record.shot`` (a :class:`camtag.model.Shot` with the effective tags)
or :meth:`camtag.library.Library.analysis` (a whole :class:`camtag.model.Analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from camtag.model import Analysis, MediaInfo, Shot, Tag


@dataclass(frozen=True)
class TagRecord:
    """One proposed or editor-made tag on a shot. ``state``: proposed/confirmed/rejected/added."""

    id: int
    tag: str
    source: str
    state: str
    confidence: float
    reason: str = ""
    start_frame: Optional[int] = None
    end_frame: Optional[int] = None
    changed_at: str = ""

    @property
    def effective(self) -> bool:
        return self.state != "rejected"

    def to_tag(self) -> Tag:
        confidence = 1.0 if self.state in ("confirmed", "added") else self.confidence
        return Tag(self.tag, confidence, self.source, self.reason, self.start_frame, self.end_frame)


@dataclass(frozen=True)
class MediaRecord:
    id: int
    path: str
    name: str
    size_bytes: int
    mtime_ns: int
    fingerprint: str
    info: Optional[MediaInfo]            # probed when the file was added (None if unreadable)
    current_analysis_id: Optional[int]
    added_at: str = ""


@dataclass(frozen=True)
class AnalysisRecord:
    id: int
    media_id: int
    engine: str
    model: str
    detector: str
    settings: dict = field(compare=False, hash=False)
    camtag_version: str = ""
    status: str = "running"              # running / cancelled / failed / done
    frames_done: int = 0
    total_frames: Optional[int] = None
    shots: int = 0
    started_at: str = ""
    finished_at: Optional[str] = None
    error: str = ""
    resumed_from: int = 0                # set on the record analyze() returns: frame it resumed at
    skipped: bool = False                # analyze() found it finished and did nothing


@dataclass(frozen=True)
class ShotRecord:
    """A stored shot: ids, where it is, and every tag with its editor state."""

    id: int
    media_id: int
    analysis_id: int
    media_path: str
    shot: Shot                           # tags = effective tags (rejected ones left out)
    tag_records: tuple[TagRecord, ...] = ()

    @property
    def index(self) -> int:
        return self.shot.index

    @property
    def start_frame(self) -> int:
        return self.shot.start_frame

    @property
    def end_frame(self) -> int:
        return self.shot.end_frame

    def tag_state(self, tag: str) -> Optional[str]:
        """The editor state of ``tag`` on this shot (None if nobody proposed or added it)."""
        states = [t.state for t in self.tag_records if t.tag == tag]
        for state in ("rejected", "added", "confirmed", "proposed"):
            if state in states:
                return state
        return None


@dataclass(frozen=True)
class CollectionRecord:
    id: int
    name: str
    kind: str                            # "smart" (saved query) or "manual"
    query: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class Changes:
    """What an operation changed, so a UI refreshes only that (Anki's OpChanges idea)."""

    shots: frozenset[int] = frozenset()          # existing shots whose data changed
    added_shots: frozenset[int] = frozenset()
    removed_shots: frozenset[int] = frozenset()
    tags: frozenset[tuple[int, str]] = frozenset()   # (shot id, tag id)
    notes: frozenset[int] = frozenset()          # shot ids whose note changed
    media: frozenset[int] = frozenset()
    collections: frozenset[str] = frozenset()
    label: str = ""

    def __or__(self, other: "Changes") -> "Changes":
        return Changes(self.shots | other.shots, self.added_shots | other.added_shots,
                       self.removed_shots | other.removed_shots, self.tags | other.tags,
                       self.notes | other.notes, self.media | other.media,
                       self.collections | other.collections, self.label or other.label)

    def __bool__(self) -> bool:
        return bool(self.shots or self.added_shots or self.removed_shots or self.tags
                    or self.notes or self.media or self.collections)

    def inverted(self, label: str = "") -> "Changes":
        """The summary of undoing this change: added and removed shots swap."""
        return Changes(self.shots, self.removed_shots, self.added_shots, self.tags, self.notes,
                       self.media, self.collections, label or self.label)


@dataclass(frozen=True)
class Notice:
    """Something the user should read, yielded as ``Progress.partial`` (re-linked, resumed...);
    ``level`` "warning" when it needs the user's eyes (damaged data in the file)."""

    text: str
    level: str = "info"


@dataclass(frozen=True)
class LibraryStatus:
    url: str
    schema_version: int
    read_only: bool
    size_bytes: Optional[int]
    media: int
    shots: int
    analyses: dict                       # status -> count
    tags: dict                           # state -> count
    collections: int
    unfinished: tuple[AnalysisRecord, ...] = ()
    missing_media: tuple[MediaRecord, ...] = ()
    changed_media: tuple[MediaRecord, ...] = ()


@dataclass(frozen=True)
class RunOutcome:
    """What a finished run hands the library to store: shots the streaming missed, the media
    description, the motion curves and the problems met (see :func:`library.analyses.finish`)."""

    media: Optional[MediaInfo] = None
    motion: object = None
    shots: tuple[Shot, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    engine: str = ""
    detector: str = ""

    @classmethod
    def of(cls, result: Analysis) -> "RunOutcome":
        """What the library stores of a pipeline result."""
        return cls(media=result.media, motion=result.motion, shots=result.shots,
                   warnings=result.warnings, errors=result.errors, engine=result.engine,
                   detector=result.detector)
