"""SQLite backend: one file, WAL, foreign keys, FTS5 over traces and notes.

Durability: WAL with ``synchronous=NORMAL`` keeps every committed transaction across a crash or
``kill -9`` of the process (a power cut may lose the last few, never corrupts). Writers take the
lock up front (``BEGIN IMMEDIATE``) and wait up to the busy timeout (``?timeout=``, default 10 s).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator, Sequence
from urllib.parse import quote

from camtag.library.errors import (LibraryError, LibraryFullError, LibraryLockedError,
                                   LibraryReadOnlyError)
from camtag.library.location import LibraryURL
from camtag.library.store import ConnectionPerThread, Dialect, Store, Tx


CACHE_KIB = 64 * 1024
MMAP_BYTES = 256 << 20


class SQLiteDialect(Dialect):
    name = "sqlite"
    types = {"pk": "INTEGER PRIMARY KEY", "blob": "BLOB", "float": "REAL", "bigint": "INTEGER"}

    def table_exists(self) -> str:
        return "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"

    def fts_statements(self) -> list[str]:
        out = []
        for table, cols, key in (("traces", ("observation", "reasoning", "answer"), "id"),
                                 ("notes", ("body",), "shot_id")):
            fts, col_list = f"{table}_fts", ", ".join(cols)
            new = ", ".join(f"new.{c}" for c in cols)
            old = ", ".join(f"old.{c}" for c in cols)
            delete = (f"INSERT INTO {fts}({fts}, rowid, {col_list}) "
                      f"VALUES ('delete', old.{key}, {old});")
            insert = f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new.{key}, {new});"
            out += [
                f"CREATE VIRTUAL TABLE {fts} USING fts5({col_list}, content='{table}', "
                f"content_rowid='{key}', tokenize='porter unicode61 remove_diacritics 2')",
                f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
                f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
                f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} BEGIN {delete} {insert} END",
                f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
            ]
        return out

    def score_statements(self) -> list[str]:
        from camtag.library.schema import EFFECTIVE_CONFIDENCE

        def refresh(ref: str) -> str:
            return (f"UPDATE shots SET max_confidence = (SELECT max({EFFECTIVE_CONFIDENCE}) FROM tags "
                    f"WHERE shot_id = {ref}.shot_id AND state <> 'rejected') WHERE id = {ref}.shot_id;")
        return [
            f"CREATE TRIGGER tags_score_ai AFTER INSERT ON tags BEGIN {refresh('new')} END",
            f"CREATE TRIGGER tags_score_ad AFTER DELETE ON tags BEGIN {refresh('old')} END",
            f"CREATE TRIGGER tags_score_au AFTER UPDATE OF state, confidence, shot_id ON tags "
            f"BEGIN {refresh('new')} {refresh('old')} END",
        ]

    def text_match(self, scope: str) -> str:
        if scope == "notes":
            return "s.id IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)"
        return ("s.id IN (SELECT tr.shot_id FROM traces_fts JOIN traces tr "
                "ON tr.id = traces_fts.rowid WHERE traces_fts MATCH ?)")

    def fts_query(self, words: Sequence[str], prefix: bool) -> str:
        phrase = '"' + " ".join(w.replace('"', '""') for w in words) + '"'
        return phrase + (" *" if prefix else "")


def translate(exc: sqlite3.Error, where: str) -> LibraryError:
    """Map an sqlite3 error to a one-line library error."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return LibraryLockedError(f"library {where} is locked by another program; "
                                  f"nothing was changed, try again when it is done")
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return LibraryReadOnlyError(f"library {where} is read-only; searching works, "
                                    f"changes need write access to the file and its folder")
    if name == "SQLITE_FULL" or "full" in text:
        return LibraryFullError(f"library {where} is full (disk or size limit); the last change was "
                                f"rolled back and nothing else is lost: free space and run again")
    if name == "SQLITE_NOTADB" or "not a database" in text:
        return LibraryError(f"{where} is not a camtag library (not an SQLite database)")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return LibraryError(f"library {where} is damaged ({text}); restore it from a backup")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return LibraryError(f"cannot open library {where}: folder missing or not accessible")
    return LibraryError(f"library {where}: {text}")


class SQLiteTx(Tx):
    def column(self, sql: str, params: Sequence[Any] = ()) -> list:
        cur = self.conn.cursor()
        cur.row_factory = None                      # plain tuples: much faster than Row objects
        return [r[0] for r in cur.execute(sql, tuple(params))]


class SQLiteStore(ConnectionPerThread, Store):
    name = "sqlite"
    dialect = SQLiteDialect()

    def __init__(self, url: LibraryURL) -> None:
        super().__init__(url)
        self.path = url.path
        self.timeout = float(url.options.get("timeout", 10))
        self.max_pages = int(url.options["max_pages"]) if "max_pages" in url.options else None
        self.read_only = url.options.get("mode") == "ro" or self._not_writable()
        self._immutable = False
        self._init_connections()

    def _not_writable(self) -> bool:
        folder = os.path.dirname(self.path) or "."
        if os.path.exists(self.path):
            return not (os.access(self.path, os.W_OK) and os.access(folder, os.W_OK))
        return False

    # -- connections -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            if not os.path.exists(self.path):
                raise LibraryError(f"library {self.path} does not exist")
            mode = "ro&immutable=1" if self._immutable else "ro"
        else:
            try:
                os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot create the library folder for {self.path}: "
                                   f"{exc.strerror}") from None
            mode = "rwc"
        uri = f"file:{quote(self.path)}?mode={mode}"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)   # one connection per thread, by us
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if not self.read_only:
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")      # default 2 MiB is far too small
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            if self.max_pages:
                conn.execute(f"PRAGMA max_page_count = {int(self.max_pages)}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
        self._remember(conn)
        return conn

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def open(self) -> int:
        if not self.create and not os.path.exists(self.path):
            raise LibraryError(f"there is no library at {self.path} "
                               f"(`camtag library add` creates one)")
        try:
            self.connection()
        except LibraryError:
            if not self.read_only:
                raise
            self._immutable = True          # read-only WAL file whose -shm we cannot create
            self.connection()
        with self.read() as tx:
            tables = {r[0] for r in tx.query("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return 0
            if "schema_version" not in tables:
                raise LibraryError(f"{self.path} is an SQLite database but not a camtag library")
            return int(tx.scalar("SELECT max(version) FROM schema_version", default=0))

    def prepare_for_writes(self) -> None:
        if self.read_only:
            return
        try:
            mode = self.connection().execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
        if str(mode).lower() != "wal":
            raise LibraryError(f"library {self.path}: cannot switch to WAL mode (got {mode})")

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        conn = self.connection()
        if conn.in_transaction:                 # nested: join the outer transaction
            yield SQLiteTx(self, conn)
            return
        try:
            conn.execute(begin)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
        try:
            yield SQLiteTx(self, conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, self.path) from None
            raise

    def write(self):
        if self.read_only:
            raise LibraryReadOnlyError(f"library {self.path} is opened read-only; "
                                       f"searching works, changes need write access")
        return self._transaction("BEGIN IMMEDIATE")

    def read(self):
        return self._transaction("BEGIN")

    def data_version(self) -> int:
        return int(self.connection().execute("PRAGMA data_version").fetchone()[0])

    def optimize(self) -> None:
        """ANALYZE when the shots table grew by a quarter since the last statistics (cheap: ~0.1 s
        at 100k shots); the query planner needs them to drive searches from the selective term."""
        if self.read_only:
            return
        try:
            conn = self.connection()
            row = conn.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'shots' LIMIT 1").fetchone() \
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() \
                else None
            known = int(str(row[0]).split()[0]) if row else 0
            count = conn.execute("SELECT max(id) FROM shots").fetchone()[0] or 0
            if count >= 200 and count > known * 1.25:
                conn.execute("ANALYZE")
        except sqlite3.Error:
            pass            # statistics are an optimisation; never fail a write for them

    def size_bytes(self) -> int | None:
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(self.path + suffix)
            except OSError:
                pass
        return total

    def data_dir(self) -> str | None:
        return os.path.join(os.path.dirname(self.path), "camtag-posters")

    def checkpoint(self) -> None:
        if not self.read_only:
            self.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.close_connections((sqlite3.Error,))
