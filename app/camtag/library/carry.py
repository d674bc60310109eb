"""Promotion of a finished analysis to a media's current one, carrying the editor's work along.

The editor's tag decisions (confirmed / rejected / added), notes and manual-collection memberships
on the previous current analysis move to the new analysis' shots that overlap them: the best
overlapping shot, plus every new shot lying at least half inside the old one (so a shot the new
analysis split keeps the decision on both halves). The previous analysis stays stored, untouched.
"""

from __future__ import annotations

import bisect

from camtag.library.store import Tx


def _targets(new_shots: list[tuple[int, int, int]], starts: list[int], lo: int, hi: int) -> list[int]:
    i = max(0, bisect.bisect_right(starts, lo) - 1)
    best, best_overlap, out = None, 0, []
    while i < len(new_shots) and new_shots[i][1] < hi:
        sid, s, e = new_shots[i]
        overlap = min(e, hi) - max(s, lo)
        if overlap > best_overlap:
            best, best_overlap = sid, overlap
        if overlap > 0 and overlap * 2 >= e - s:
            out.append(sid)
        i += 1
    if best is not None and best not in out:
        out.append(best)
    return out


def carry_editor_state(tx: Tx, old_analysis: int, new_analysis: int, now: str) -> set[int]:
    """Copy decisions, notes and memberships from ``old_analysis`` shots; returns touched shot ids."""
    new_shots = [(r[0], r[1], r[2]) for r in tx.query(
        "SELECT id, start_frame, end_frame FROM shots WHERE analysis_id = ? ORDER BY start_frame",
        (new_analysis,))]
    if not new_shots:
        return set()
    starts = [s for _, s, _ in new_shots]
    bounds = {sid: (s, e) for sid, s, e in new_shots}
    touched: set[int] = set()

    decisions: dict[tuple[int, str], object] = {}
    for r in tx.query("SELECT t.*, s.start_frame AS shot_start, s.end_frame AS shot_end FROM tags t "
                      "JOIN shots s ON s.id = t.shot_id WHERE s.analysis_id = ? "
                      "AND t.state <> 'proposed' ORDER BY t.changed_at, t.id", (old_analysis,)):
        decisions[(r["shot_id"], r["tag"])] = r              # latest decision per shot and tag wins
    for r in decisions.values():
        for target in _targets(new_shots, starts, r["shot_start"], r["shot_end"]):
            existing = tx.query("SELECT id, state FROM tags WHERE shot_id = ? AND tag = ?",
                                (target, r["tag"]))
            if existing and r["state"] != "added":
                tx.execute("UPDATE tags SET state = ?, changed_at = ? WHERE shot_id = ? AND tag = ? "
                           "AND state = 'proposed'", (r["state"], r["changed_at"], target, r["tag"]))
            elif not existing or all(e["state"] == "proposed" for e in existing):
                lo, hi = bounds[target]
                start, end = r["start_frame"], r["end_frame"]
                if start is not None:
                    start, end = max(start, lo), min(end, hi)
                    if start >= end:
                        start = end = None
                if existing and start is None:
                    tx.execute("UPDATE tags SET state = 'confirmed', changed_at = ? WHERE shot_id = ? "
                               "AND tag = ?", (r["changed_at"], target, r["tag"]))
                else:
                    tx.execute(
                        "INSERT INTO tags (shot_id, tag, source, state, confidence, reason, "
                        "start_frame, end_frame, created_at, changed_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (target, r["tag"], r["source"], r["state"], r["confidence"], r["reason"],
                         start, end, r["created_at"], r["changed_at"]))
            touched.add(target)

    for r in tx.query("SELECT n.body, s.start_frame, s.end_frame FROM notes n JOIN shots s "
                      "ON s.id = n.shot_id WHERE s.analysis_id = ? ORDER BY s.start_frame",
                      (old_analysis,)):
        for target in _targets(new_shots, starts, r["start_frame"], r["end_frame"]):
            have = tx.scalar("SELECT body FROM notes WHERE shot_id = ?", (target,))
            if have is None:
                tx.execute("INSERT INTO notes (shot_id, body, updated_at) VALUES (?, ?, ?)",
                           (target, r["body"], now))
            elif r["body"] not in have:
                tx.execute("UPDATE notes SET body = ?, updated_at = ? WHERE shot_id = ?",
                           (have + "\n" + r["body"], now, target))
            touched.add(target)

    for r in tx.query("SELECT cs.collection_id, s.start_frame, s.end_frame FROM collection_shots cs "
                      "JOIN shots s ON s.id = cs.shot_id WHERE s.analysis_id = ?", (old_analysis,)):
        for target in _targets(new_shots, starts, r["start_frame"], r["end_frame"]):
            tx.execute("INSERT INTO collection_shots (collection_id, shot_id) VALUES (?, ?) "
                       "ON CONFLICT DO NOTHING", (r["collection_id"], target))
            touched.add(target)
    return touched


def promote(tx: Tx, media_id: int, analysis_id: int, now: str) -> set[int]:
    """Make ``analysis_id`` the media's current analysis; returns shots that received editor state."""
    old = tx.scalar("SELECT current_analysis_id FROM media WHERE id = ?", (media_id,))
    touched: set[int] = set()
    if old is not None and old != analysis_id:
        touched = carry_editor_state(tx, old, analysis_id, now)
    tx.execute("UPDATE media SET current_analysis_id = ? WHERE id = ?", (analysis_id, media_id))
    return touched
