"""Library errors. ``str()`` of each is one line the user can act on (QueryError adds a caret line)."""

from __future__ import annotations


class LibraryError(Exception):
    """Something about the library itself (not one media file) stops the operation."""


class SchemaTooNewError(LibraryError):
    """The library was written by a newer camtag; we leave it untouched."""


class LibraryLockedError(LibraryError):
    """Another program holds the write lock longer than our busy timeout."""


class LibraryReadOnlyError(LibraryError):
    """The library can be read but not changed (file, folder or URL is read-only)."""


class LibraryFullError(LibraryError):
    """The disk (or the library's size limit) is full; the transaction was rolled back."""


class LibraryBusyError(LibraryError):
    """Another live process is analysing the same media with the same settings."""


class UndoError(LibraryError):
    """An undo/redo is impossible because the shots changed elsewhere since."""


class QueryError(ValueError):
    """A search query that cannot be parsed. ``column`` is 0-based into ``query``."""

    def __init__(self, message: str, query: str, column: int, length: int = 1) -> None:
        self.message = message
        self.query = query
        self.column = max(0, min(column, len(query)))
        self.length = max(1, length)
        super().__init__(self.describe())

    @property
    def caret_line(self) -> str:
        return " " * self.column + "^" * min(self.length, max(1, len(self.query) - self.column))

    def describe(self) -> str:
        """Message line, then the query and a caret line pointing at the spot."""
        return (f"{self.message} (column {self.column + 1})\n"
                f"  {self.query}\n"
                f"  {self.caret_line}")
