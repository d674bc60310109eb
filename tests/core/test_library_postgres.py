"""PostgreSQL-only behaviour (the shared library tests run on both backends through
``library_url_factory``): concurrent writer processes, idempotent per-shot writes, v1 migration."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from camtag.library import open_library
from camtag.library.schema import MIGRATIONS
import library_support
from library_support import make_analysis, subprocess_env

WRITER = r"""
import sys
sys.path[:0] = [sys.argv[3], sys.argv[3] + "/.."]
from camtag.library import open_library
from camtag.library.rows import write_shot
from camtag.library.schema import now
from library_support import make_analysis

url, who = sys.argv[1], int(sys.argv[2])
lib = open_library(url)
with lib.store.read() as tx:
    analysis_id, media_id = tx.one("SELECT id, media_id FROM analyses ORDER BY id LIMIT 1")
shared = make_analysis("shared.mov", 40, seed=3)
for shot in shared.shots:                  # every writer retries every shot of the same analysis
    with lib.store.write() as tx:
        write_shot(tx, analysis_id, media_id, shot, now())
for k in range(3):                         # and adds its own media
    lib.import_analysis(make_analysis(f"W{who}_{k}.mov", 10, seed=who * 10 + k))
lib.close()
"""


def test_concurrent_writer_processes_never_duplicate_a_shot(pg, tmp_path):
    url = pg.new_database("w")
    lib = open_library(url)
    lib.import_analysis(make_analysis("shared.mov", 40, seed=3))
    expected = [(s.start_frame, s.end_frame, tuple(t.tag for t in s.tag_records))
                for s in lib.shots("/footage/shared.mov")]
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    core = os.path.dirname(library_support.__file__)
    procs = [subprocess.Popen([sys.executable, str(script), url, str(i), core], env=subprocess_env(),
                              stderr=subprocess.PIPE, text=True) for i in range(4)]
    for p in procs:
        assert p.wait(120) == 0, p.stderr.read()
    again = [(s.start_frame, s.end_frame, tuple(t.tag for t in s.tag_records))
             for s in lib.shots("/footage/shared.mov")]
    assert again == expected                                   # no duplicate shots or tags
    assert lib.count("") == 40 + 4 * 3 * 10 and len(lib.media()) == 13
    with lib.store.read() as tx:
        assert tx.scalar("SELECT count(*) FROM (SELECT analysis_id, start_frame FROM shots "
                         "GROUP BY 1, 2 HAVING count(*) > 1) d") == 0
    lib.close()


V1_DATA = [
    "INSERT INTO media VALUES (1, '/f/A001.mov', 'A001.mov', 100, 5, 'fp1', 25.0, 500, "
    "'{\"path\": \"/f/A001.mov\", \"width\": 1920, \"height\": 1080, \"rate\": \"25/1\", "
    "\"frames\": 500}', 1, '2025-01-01T00:00:00+00:00')",
    "INSERT INTO analyses VALUES (1, 1, 'fp1', 'geometry', '', 'fused', '{}', 'k', '0.0.9', 'done', "
    "500, 500, '2025-01-01', '2025-01-01', '', '[]')",
    "INSERT INTO shots VALUES (1, 1, 1, 0, 0, 100, 'cut', 0, 1, NULL), "
    "(2, 1, 1, 1, 100, 500, 'cut', 100, 101, NULL)",
    "INSERT INTO tags VALUES (1, 1, 'pan_left', 'geometry', 'proposed', 0.9, '', NULL, NULL, '2025-01-01'), "
    "(2, 2, 'dolly_in', 'vlm', 'confirmed', 0.5, '', NULL, NULL, '2025-01-02'), "
    "(3, 2, 'handheld', 'geometry', 'rejected', 0.95, '', NULL, NULL, '2025-01-03')",
    "INSERT INTO traces VALUES (1, 2, 'vlm', 'the camera pushes toward the window', 'parallax', "
    "'dolly_in', '', '[]')",
    "INSERT INTO notes VALUES (1, 'check focus', '2025-01-04')",
]


def test_migration_from_v1_on_postgresql_builds_search_and_scores(pg):
    import psycopg

    from camtag.library.postgres_store import PostgresDialect

    url = pg.new_database("m")
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in MIGRATIONS[0].sql(PostgresDialect()) + V1_DATA:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1, '2025-01-01', '0.0.9')")
    lib = open_library(url)
    assert lib.found_version == 1
    assert lib.search_ids('"push toward"') == [2]           # stemmed phrase over v1 traces
    assert lib.search_ids('"wind*"') == [2] and lib.search_ids("note:focus") == [1]
    assert lib.search_ids("confidence>0.95") == [2]          # confirmed counts as 1.0
    assert lib.search_ids("media:a001*") == [1, 2]           # ILIKE
    lib.close()


def test_a_dropped_connection_is_reported_then_reconnects(pg):
    import psycopg

    from camtag.library import LibraryError

    url = pg.new_database("d")
    lib = open_library(url)
    lib.import_analysis(make_analysis("A.mov", 3))
    with psycopg.connect(pg.admin_url, autocommit=True) as admin:   # the server drops us
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (url.rsplit("/", 1)[1],))
    with pytest.raises(LibraryError, match="cannot reach the library database|library postgresql"):
        lib.count("")
    assert lib.count("") == 3                                 # next call reconnects
    lib.close()
