"""The SQLite store: layout, URLs, migrations, and bad libraries (newer, locked, read-only, full,
not a library) — each with a one-line message and nothing half-written."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from camtag.library import (LibraryError, LibraryFullError, LibraryLockedError,
                            LibraryReadOnlyError, SCHEMA_VERSION, SchemaTooNewError, curves,
                            open_library, parse_library_url)
from camtag.library.schema import MIGRATIONS
from camtag.library.sqlite_store import SQLiteDialect
from library_support import make_analysis, new_library, raw, subprocess_env


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_new_library_is_wal_versioned_with_foreign_keys(tmp_path):
    lib = new_library(tmp_path)
    lib.import_analysis(make_analysis("A.mov", 5))
    conn = lib.store.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    lib.close()
    db = raw(tmp_path / "lib.sqlite")
    assert db.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    # foreign keys cascade: deleting the media removes its analysis, shots and tags
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("DELETE FROM media")
    db.commit()
    assert [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("analyses", "shots", "tags", "traces", "traces_fts", "shot_evidence")] == [0] * 6


def test_library_urls(tmp_path, monkeypatch):
    target = str(tmp_path / "p" / "lib.sqlite")
    assert parse_library_url(f"sqlite:///{target.lstrip('/')}").path == target
    assert parse_library_url(f"sqlite:////{target.lstrip('/')}").path == target
    assert parse_library_url(target + "?x").path == target + "?x"           # a plain path is a path
    assert parse_library_url(f"sqlite:///{target}?mode=ro").options == {"mode": "ro"}
    assert parse_library_url(str(tmp_path)).path == str(tmp_path / "camtag-library.sqlite")
    monkeypatch.setenv("CAMTAG_LIBRARY", target)
    assert parse_library_url(None).path == target
    monkeypatch.delenv("CAMTAG_LIBRARY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert parse_library_url(None).path == str(tmp_path / "xdg" / "camtag" / "library.sqlite")
    with pytest.raises(LibraryError, match="unknown library URL scheme 'ftp'"):
        parse_library_url("ftp://host/lib")
    with pytest.raises(LibraryError, match="cannot reach the library database postgresql://127.0.0.1:9/camtag"):
        open_library("postgresql://user:secret@127.0.0.1:9/camtag?timeout=2")   # nothing listens


V1_DATA = """
INSERT INTO media VALUES (1, '/f/A001.mov', 'A001.mov', 100, 5, 'fp1', 25.0, 500,
  '{"path": "/f/A001.mov", "width": 1920, "height": 1080, "rate": "25/1", "frames": 500}', 1,
  '2025-01-01T00:00:00+00:00');
INSERT INTO analyses VALUES (1, 1, 'fp1', 'geometry', '', 'fused', '{}', 'k', '0.0.9', 'done', 500,
  500, '2025-01-01T00:00:00+00:00', '2025-01-01T00:01:00+00:00', '', '[]');
INSERT INTO shots VALUES (1, 1, 1, 0, 0, 100, 'cut', 0, 1, NULL),
                         (2, 1, 1, 1, 100, 500, 'cut', 100, 101, NULL);
INSERT INTO tags VALUES (1, 1, 'pan_left', 'geometry', 'proposed', 0.9, '', NULL, NULL, '2025-01-01'),
                        (2, 2, 'dolly_in', 'vlm', 'confirmed', 0.5, '', NULL, NULL, '2025-01-02'),
                        (3, 2, 'handheld', 'geometry', 'rejected', 0.95, '', NULL, NULL, '2025-01-03');
INSERT INTO traces VALUES (1, 2, 'vlm', 'the camera pushes toward the window', 'parallax', 'dolly_in',
                           '', '[]');
INSERT INTO notes VALUES (1, 'check focus', '2025-01-04');
"""


def _v1_library(path) -> None:
    db = raw(path)
    for statement in MIGRATIONS[0].sql(SQLiteDialect()):
        db.execute(statement)
    db.execute("INSERT INTO schema_version VALUES (1, '2025-01-01', '0.0.9')")
    db.executescript(V1_DATA)
    db.commit()
    db.close()


def test_migration_from_v1_keeps_everything_and_indexes_it(tmp_path):
    path = tmp_path / "old.sqlite"
    _v1_library(path)
    lib = open_library(str(path))
    assert lib.found_version == 1
    assert lib.search_ids('"push toward"') == [2]                  # FTS built from v1 traces
    assert lib.search_ids("note:focus") == [1]
    assert lib.search_ids("confidence>0.95") == [2]                # confirmed counts as 1.0
    assert lib.search_ids("handheld") == [] and lib.search_ids("handheld:rejected") == [2]
    shot = lib.shot(2)
    assert {t.tag: (t.state, t.changed_at) for t in shot.tag_records} == {
        "dolly_in": ("confirmed", "2025-01-02"), "handheld": ("rejected", "2025-01-03")}
    assert [a.status for a in lib.analyses("/f/A001.mov")] == ["done"]
    lib.close()
    assert raw(path).execute("SELECT group_concat(version) FROM schema_version").fetchone()[0] == ",".join(str(m.version) for m in MIGRATIONS)


def test_failed_migration_leaves_the_old_library_untouched(tmp_path):
    path = tmp_path / "old.sqlite"
    _v1_library(path)
    db = raw(path)
    db.execute("CREATE TABLE motion_curves (x)")                   # makes the v2 step fail midway
    db.commit()
    db.close()
    with pytest.raises(LibraryError):
        open_library(str(path))
    db = raw(path)
    assert db.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1
    assert "changed_at" not in [r[1] for r in db.execute("PRAGMA table_info(tags)")]
    assert db.execute("SELECT count(*) FROM tags").fetchone()[0] == 3


def test_library_from_a_newer_camtag_is_refused_untouched(tmp_path):
    lib = new_library(tmp_path)
    lib.import_analysis(make_analysis("A.mov", 3))
    lib.close()
    db = raw(tmp_path / "lib.sqlite")
    db.execute("INSERT INTO schema_version VALUES (99, 'future', '9.0')")
    db.commit()
    db.close()
    before = _sha(tmp_path / "lib.sqlite")
    with pytest.raises(SchemaTooNewError) as info:
        new_library(tmp_path)
    assert "newer camtag (schema 99" in str(info.value) and "\n" not in str(info.value)
    assert _sha(tmp_path / "lib.sqlite") == before


def test_not_a_library(tmp_path):
    (tmp_path / "junk.sqlite").write_bytes(os.urandom(4096))
    with pytest.raises(LibraryError, match="not a camtag library"):
        open_library(str(tmp_path / "junk.sqlite"))
    db = raw(tmp_path / "other.sqlite")
    db.execute("CREATE TABLE invoices (x)")
    db.commit()
    with pytest.raises(LibraryError, match="SQLite database but not a camtag library"):
        open_library(str(tmp_path / "other.sqlite"))


def test_locked_library_fails_cleanly_then_works(tmp_path):
    lib = open_library(f"sqlite:///{tmp_path / 'lib.sqlite'}?timeout=0.2")
    lib.import_analysis(make_analysis("A.mov", 3))
    shot = lib.shots("/footage/A.mov")[0]
    other = raw(tmp_path / "lib.sqlite")
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(LibraryLockedError, match="locked by another program"):
        lib.confirm_tag(shot.id, "static")
    assert not lib.can_undo and lib.shot(shot.id).tag_state("static") is None   # reads still work
    other.rollback()
    lib.confirm_tag(shot.id, "static")
    assert lib.shot(shot.id).tag_state("static") == "added"


READ_ONLY_PROBE = """
import sys
from camtag.library import open_library, LibraryReadOnlyError
lib = open_library(sys.argv[1])
print(lib.read_only, lib.count("pan_left or pan_right or tilt_up or zoom_in or dolly_in or handheld"))
try:
    lib.confirm_tag(lib.search_ids("")[0], "static")
except LibraryReadOnlyError as exc:
    print("refused:", exc)
"""


def test_read_only_library_searches_and_refuses_changes(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    lib = new_library(folder)
    lib.import_analysis(make_analysis("A.mov", 6))
    lib.close()
    url = f"sqlite:///{folder / 'lib.sqlite'}"
    ro = open_library(url + "?mode=ro")
    assert ro.read_only and ro.count("") == 6
    with pytest.raises(LibraryReadOnlyError):
        ro.edit_note(ro.search_ids("")[0], "x")
    ro.close()
    # real permissions: file and folder read-only, root's override dropped for the subprocess
    if not shutil.which("setpriv"):
        pytest.skip("setpriv not available")
    before = _sha(folder / "lib.sqlite")
    os.chmod(folder / "lib.sqlite", 0o444)
    os.chmod(folder, 0o555)
    try:
        out = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                              sys.executable, "-c", READ_ONLY_PROBE, url],
                             capture_output=True, text=True, env=subprocess_env(), timeout=60)
    finally:
        os.chmod(folder, 0o755)
        os.chmod(folder / "lib.sqlite", 0o644)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "True 6"
    assert lines[1].startswith("refused: library") and "read-only" in lines[1]
    assert _sha(folder / "lib.sqlite") == before


def test_full_library_rolls_back_the_whole_write(tmp_path):
    lib = new_library(tmp_path)
    lib.import_analysis(make_analysis("A.mov", 5))
    lib.close()
    pages = raw(tmp_path / "lib.sqlite").execute("PRAGMA page_count").fetchone()[0]
    full = open_library(f"sqlite:///{tmp_path / 'lib.sqlite'}?max_pages={pages + 3}")
    with pytest.raises(LibraryFullError, match="is full") as info:
        full.import_analysis(make_analysis("B.mov", 400, seed=3))
    assert "\n" not in str(info.value)
    assert [m.name for m in full.media()] == ["A.mov"] and full.count("") == 5
    full.close()
    db = raw(tmp_path / "lib.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM shots").fetchone()[0] == 5
    assert db.execute("SELECT count(*) FROM analyses").fetchone()[0] == 1
    db.close()
    lib = new_library(tmp_path)                                   # room again: the same write works
    lib.import_analysis(make_analysis("B.mov", 400, seed=3))
    assert lib.count("") == 405


def test_curve_codec_is_compact_and_faithful():
    rng = np.random.default_rng(0)
    tree = {"frames": np.arange(5000, 5100), "dx": rng.normal(0, 3, 100).astype(np.float64),
            "huge": [1e6 + i for i in range(10)], "ok": [True, False] * 5, "short": [1.25, 2.5],
            "name": "pan", "nested": {"zoom": [0.001 * i for i in range(20)]}}
    blob = curves.encode(tree)
    back = curves.decode(blob)
    assert back["frames"].tolist() == list(range(5000, 5100))          # integers exact
    assert np.allclose(back["dx"], tree["dx"], rtol=1e-3, atol=1e-3)   # float16 precision
    assert back["huge"].tolist() == [1e6 + i for i in range(10)]       # too big for f16 -> f32
    assert back["ok"].tolist() == [True, False] * 5
    assert back["short"] == [1.25, 2.5] and back["name"] == "pan"
    assert np.allclose(back["nested"]["zoom"], tree["nested"]["zoom"], atol=1e-4)
    import json
    assert len(blob) < len(json.dumps(curves.to_plain(tree))) / 3


def test_motion_curves_round_trip_exactly_and_compactly():
    from fractions import Fraction

    from camtag.motion.curves import CODES, EVIDENCE, MOTION, MotionCurves

    rng = np.random.default_rng(1)
    n = 3000
    arrays = {k: rng.normal(0, 0.002, n).astype(np.float32) for k in MOTION}
    arrays.update({k: rng.random(n).astype(np.float16) for k in EVIDENCE})
    arrays.update({k: rng.integers(0, 4, n).astype(np.uint8) for k in CODES})
    motion = MotionCurves(100, Fraction(24000, 1001), arrays, (100, 900, 2000), 640)
    blob = curves.encode_motion(motion)
    back = curves.decode_motion(blob)
    assert isinstance(back, MotionCurves) and back.start_frame == 100 and back.breaks == (100, 900, 2000)
    for k in (*MOTION, *EVIDENCE, *CODES):
        assert np.array_equal(back.arrays[k], arrays[k], equal_nan=True), k
    assert len(blob) < 35 * n                      # no smoothed copies, no base64


def test_readers_see_consistent_snapshots_while_a_writer_runs(library_url_factory):
    import threading

    url = library_url_factory()                      # on SQLite and on PostgreSQL
    lib = open_library(url)
    lib.import_analysis(make_analysis("seed.mov", 10))
    errors: list[BaseException] = []
    seen: list[tuple[int, int]] = []
    reader_ready, done = threading.Event(), threading.Event()
    written = []

    def write():
        try:
            reader_ready.wait(30)
            while len(written) < 15 or (len(seen) < 5 and len(written) < 300):
                lib.import_analysis(make_analysis(f"W{len(written):03d}.mov", 20, seed=len(written)))
                written.append(1)                    # each import: 20 shots in one transaction
        except BaseException as exc:                 # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    def read():
        reader = open_library(url)                   # another connection, as another process would
        reader_ready.set()
        try:
            while not done.is_set():
                with reader.store.read() as tx:          # one snapshot: shots and media agree
                    media = tx.scalar("SELECT count(*) FROM media")
                    shots = tx.scalar("SELECT count(*) FROM shots")
                assert shots == 10 + 20 * (media - 1)
                seen.append((media, reader.count("pan_left or not pan_left")))
        except BaseException as exc:                 # noqa: BLE001
            errors.append(exc)
            reader_ready.set()
        finally:
            reader.close()

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(seen) >= 5 and [m for m, _ in seen] == sorted(m for m, _ in seen)
    assert all(n >= 10 + 20 * (m - 1) for m, n in seen)      # a later read never sees less
    assert lib.count("") == 10 + 20 * len(written)
