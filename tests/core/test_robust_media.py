"""Every kind of bad media through the real `camtag analyze` CLI: a valid analysis or one clear
error line naming the file, never a traceback, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import badmedia
from camtag.analysis_json import read_analysis

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60          # seconds per file; a hang fails the test instead of stalling the suite

# Kinds that must analyse (odd but valid files), and kinds that must be refused.
MUST_WORK = {
    "good_mp4_moov_at_end", "faststart_mp4", "good_mkv", "mpegts", "video_plus_audio",
    "single_frame", "two_frames", "vfr_mkv", "rotated_90", "rotated_180", "odd_size_33x17",
    "odd_size_x264_444", "tiny_2x2", "wide_4096x64", "tall_32x2048", "hevc_10bit",
    "prores_422_10bit", "x264_10bit", "interlaced_flags", "long_gop_no_keyframes",
    "second_video_stream", "broken_timecode_tag", "garbage_timecode_tag", "mpeg4_avi",
    "mjpeg_avi", "gif", "png_in_mov", "constant_black",
}
MUST_FAIL = {
    "zero_bytes", "text_renamed_mp4", "random_bytes_mov", "folder_named_mp4", "missing_file",
    "truncated_header_64b", "audio_only_m4a_as_mp4",
}


def _env(tmp: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "app")}
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    return env


def analyze_cli(path: Path, out: Path, env: dict, timeout: float = TIMEOUT):
    cmd = [sys.executable, "-m", "camtag", "analyze", str(path), "--detector", "adaptive",
           "-q", "-o", str(out), "--posters", str(out.parent / "posters")]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None
    return p


def check_outcome(kind: str, path: Path, out: Path, proc) -> str | None:
    """None if the outcome is acceptable, else what went wrong."""
    if proc is None:
        return f"{kind}: hung (> {TIMEOUT} s)"
    err = proc.stderr
    if "Traceback" in err or proc.returncode < 0:
        return f"{kind}: crashed (rc {proc.returncode}): {err[-800:]}"
    if proc.returncode == 0:
        try:
            analysis = read_analysis(str(out))
        except Exception as exc:   # noqa: BLE001 - any failure here is the finding
            return f"{kind}: exit 0 but the analysis JSON is invalid: {exc}"
        if not analysis.shots or analysis.shots[-1].end_frame > analysis.media.frames:
            return f"{kind}: exit 0 but shots are inconsistent with the media"
        if kind in MUST_FAIL:
            return f"{kind}: should have been refused"
        return None
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if len(lines) != 1:
        return f"{kind}: expected one error line, got {len(lines)}: {err[-800:]}"
    if path.name not in lines[0] or not lines[0].startswith("camtag: error:"):
        return f"{kind}: error line does not name the file: {lines[0]!r}"
    if len(lines[0].split(":", 3)[-1].strip()) < 5:
        return f"{kind}: error line gives no reason: {lines[0]!r}"
    if kind in MUST_WORK:
        return f"{kind}: valid file refused: {lines[0]}"
    if out.exists():
        return f"{kind}: failed but left an output file behind"
    return None


def test_corpus_has_at_least_30_kinds(tmp_path):
    corpus = badmedia.build_corpus(tmp_path)
    assert len(corpus) >= 30
    assert MUST_WORK | MUST_FAIL <= set(corpus)


def test_every_bad_media_kind_gives_a_result_or_one_clear_line(tmp_path):
    corpus = badmedia.build_corpus(tmp_path / "media")
    env = _env(tmp_path)

    def one(item):
        kind, path = item
        out = tmp_path / "out" / kind / "analysis.json"
        out.parent.mkdir(parents=True)
        return kind, check_outcome(kind, Path(path), out, analyze_cli(Path(path), out, env))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(one, corpus.items()))
    problems = [msg for msg in results.values() if msg]
    assert not problems, "\n".join(problems)


def test_file_growing_while_read(tmp_path):
    path, writer = badmedia.growing_file(tmp_path, seconds=2.0)
    out = tmp_path / "grow.json"
    proc = analyze_cli(path, out, _env(tmp_path))
    writer.join()
    problem = check_outcome("growing_file", path, out, proc)
    assert problem is None, problem
