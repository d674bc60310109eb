"""The shot library: every analysis kept, editor corrections respected, shots searchable by movement.

Entry point::

    from camtag.library import open_library
    with open_library("sqlite:///path/project.sqlite") as lib:    # or a path, or None = default
        lib.add_media("A001.mov")                                  # (camtag.runs analyses it)
        lib.search("pan_left and not handheld")                   # -> [ShotRecord]
        lib.shots("A001.mov"); lib.analysis("A001.mov")           # for the UI / exporters
        lib.confirm_tag(shot_id, "dolly_in"); lib.undo()           # -> Changes
        lib.events.shots_did_change.connect(callback)

Storage only: analyses are run by :mod:`camtag.runs`, which writes through the typed API of
``library.analyses`` (register media, claim/lease, store shot, heartbeat, finish),
``library.parts`` (split analyses) and ``library.model_results``; all SQL lives in this package.
Storage is behind :class:`camtag.library.store.Store` (one module per backend, chosen by URL scheme).
"""

from __future__ import annotations

from camtag.library.errors import (LibraryBusyError, LibraryError, LibraryFullError,
                                   LibraryLockedError, LibraryReadOnlyError, QueryError,
                                   SchemaTooNewError, UndoError)
from camtag.library.library import Library
from camtag.library.location import default_library_path, parse_library_url, store_class
from camtag.library.records import (AnalysisRecord, Changes, CollectionRecord, LibraryStatus,
                                    MediaRecord, ShotRecord, TagRecord)
from camtag.library.schema import LATEST as SCHEMA_VERSION
from camtag.library.schema import ensure_schema

__all__ = [
    "open_library", "Library", "SCHEMA_VERSION", "default_library_path", "parse_library_url",
    "AnalysisRecord", "Changes", "CollectionRecord", "LibraryStatus", "MediaRecord", "ShotRecord",
    "TagRecord", "LibraryError", "LibraryBusyError", "LibraryFullError", "LibraryLockedError",
    "LibraryReadOnlyError", "QueryError", "SchemaTooNewError", "UndoError",
]


def open_library(url: str | None = None, *, create: bool = True) -> Library:
    """Open (creating or migrating as needed) the library at ``url``.

    ``url``: ``sqlite:///abs/path.sqlite``, a plain path (a folder means ``camtag-library.sqlite``
    inside it), or None for ``$CAMTAG_LIBRARY`` / the user data folder. With ``create=False`` a
    missing library is an error instead of a new empty one. Raises LibraryError subclasses with
    one-line messages (newer schema, locked, read-only, not a library...).
    """
    location = parse_library_url(url)
    store = store_class(location.scheme)(location)
    store.create = create
    try:
        found = ensure_schema(store)
    except BaseException:
        store.close()
        raise
    return Library(store, found)
