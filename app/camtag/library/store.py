"""The storage seam: one :class:`Store` subclass (plus its :class:`Dialect`) per database backend.

Everything above this seam (schema, writers, query compiler, ops) speaks portable SQL:

- placeholders are ``?``; a backend whose driver wants another style converts them in its :class:`Tx`;
- inserts that need the new id end with ``RETURNING id`` (SQLite ≥ 3.35, PostgreSQL);
- upserts use ``ON CONFLICT (...) DO ...`` (both);
- DDL uses ``{pk}``, ``{blob}``, ``{float}`` and ``{bigint}`` type slots filled by :meth:`Dialect.ddl`;
- full-text search is the one thing each dialect writes itself (:meth:`Dialect.fts_statements`,
  :meth:`Dialect.text_match`); SQLite uses FTS5, PostgreSQL would use ``tsvector`` + GIN.

Adding PostgreSQL (issue 10) is one module ``postgres_store.py`` with ``PostgresDialect`` and
``PostgresStore`` registered in :data:`camtag.library.location.BACKENDS`.
"""

from __future__ import annotations

import threading

import re
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any, Iterable, Sequence

from camtag.library.location import LibraryURL


class Dialect:
    """SQL differences between backends, kept to what the library really needs."""

    name = "base"
    types: dict[str, str] = {"pk": "INTEGER PRIMARY KEY", "blob": "BLOB", "float": "REAL",
                              "bigint": "BIGINT"}

    def ddl(self, template: str) -> str:
        return template.format(**self.types)

    def table_exists(self) -> str:
        """SQL counting tables named ``?``."""
        return "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"

    def fts_statements(self) -> list[str]:
        """Statements creating (and filling) full-text indexes over ``traces`` and ``notes``."""
        raise NotImplementedError

    def score_statements(self) -> list[str]:
        """Triggers keeping ``shots.max_confidence`` equal to the best non-rejected tag's
        effective confidence (see :data:`camtag.library.schema.EFFECTIVE_CONFIDENCE`)."""
        raise NotImplementedError

    def text_match(self, scope: str) -> str:
        """A boolean SQL fragment about shot alias ``s`` with one ``?`` (the FTS query).

        ``scope`` is ``"traces"`` (observation, reasoning, answer) or ``"notes"``.
        """
        raise NotImplementedError

    def fts_query(self, words: Sequence[str], prefix: bool) -> str:
        """The parameter value for :meth:`text_match`: a phrase of ``words`` (last one a prefix)."""
        raise NotImplementedError

    def hits_in_order(self, where: str) -> str:
        """FROM ... WHERE ``where`` ORDER BY media path, then time: the rows of a search."""
        return (f"FROM media m JOIN shots s ON s.analysis_id = m.current_analysis_id "
                f"WHERE {where} ORDER BY m.path, s.start_frame")

    def like(self, expr: str) -> str:
        """Case-insensitive LIKE with ``\\`` as escape; one ``?`` placeholder."""
        return f"{expr} LIKE ? ESCAPE '\\'"

    def after_explicit_ids(self, tx: "Tx", tables: Sequence[str]) -> None:
        """Called after rows were inserted with explicit ids (undo/redo re-inserts); backends whose
        ids come from sequences move them past the highest id."""


_PLACEHOLDER = re.compile(r"\?")


class Tx:
    """A transaction (or read snapshot) on one connection. Rows are mappings by column name."""

    def __init__(self, store: "Store", conn: Any) -> None:
        self.store = store
        self.conn = conn

    def _sql(self, sql: str) -> str:            # backends with %s placeholders override
        return sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(self._sql(sql), [tuple(r) for r in rows])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list:
        return self.execute(sql, params).fetchall()

    def column(self, sql: str, params: Sequence[Any] = ()) -> list:
        """The first column of every row (fast path for long id lists)."""
        return [r[0] for r in self.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()):
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = (), default: Any = None) -> Any:
        row = self.execute(sql, params).fetchone()
        return default if row is None or row[0] is None else row[0]

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        """Run an INSERT ... RETURNING id; None when ON CONFLICT skipped the row."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else int(row[0])


class ConnectionPerThread:
    """Each thread gets its own database connection; ``close_connections`` closes them all."""

    def _init_connections(self) -> None:
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()

    def _remember(self, conn) -> None:
        with self._lock:
            self._all.append(conn)

    def close_connections(self, errors: tuple[type[BaseException], ...]) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except errors:
                pass
        self._local = threading.local()


class Store(ABC):
    """One open library database. Thread-safe: each thread gets its own connection."""

    name: str = "base"                 # the backend, as in BACKENDS (``sqlite``, ``postgresql``)
    dialect: Dialect
    read_only: bool = False
    create: bool = True                # False: opening a library that does not exist is an error

    def __init__(self, url: LibraryURL) -> None:
        self.url = url

    @property
    def description(self) -> str:
        """How messages name this library (a path for files, the URL otherwise)."""
        return self.url.path or str(self.url)

    @abstractmethod
    def open(self) -> int:
        """Connect and check the file; return the stored schema version (0 = empty)."""

    @abstractmethod
    def prepare_for_writes(self) -> None:
        """Switch on what writers need (e.g. WAL). Called after the version check passed."""

    @abstractmethod
    def write(self) -> AbstractContextManager[Tx]:
        """A write transaction: committed on success, rolled back on any exception.

        Backend errors are raised as :mod:`camtag.library.errors` exceptions with one-line messages.
        Nested use joins the outer transaction.
        """

    @abstractmethod
    def read(self) -> AbstractContextManager[Tx]:
        """A consistent read snapshot (sees only committed data)."""

    def data_version(self) -> int:
        """A number that changes when another connection commits (for polling UIs)."""
        return 0

    def optimize(self) -> None:
        """Refresh planner statistics after bulk writes, if the backend needs it."""

    def size_bytes(self) -> int | None:
        return None

    def data_dir(self) -> str | None:
        """A folder beside the library for derived files (poster frames), or None."""
        return None

    def close(self) -> None:
        pass
