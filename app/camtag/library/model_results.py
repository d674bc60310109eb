"""Store one shot's model result (fused tags, traces, evidence) over its stored geometric result.

The one storage rule for model results (every caller goes through ``camtag.runs.model_pass``: the
CLI's batch, the UI queue, the Ray model actors): a result is stored on the shot it tags, in that
shot's analysis, never as a new analysis. Surgical and idempotent: in one write transaction the shot's *proposed* tags are replaced by the fused ones, its
traces and evidence by the fused shot's; the editor's decisions (confirmed / rejected / added tag
rows) stay as they are and a fused tag the editor already decided on is not added twice. Storing
the same result again changes nothing; a shot that no longer exists (re-analysed, merged) is
skipped. The search index and scores follow through the schema's triggers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from camtag.library import curves
from camtag.library.records import Changes
from camtag.library.rows import insert_tag_rows
from camtag.library.schema import now
from camtag.model import Shot

if TYPE_CHECKING:
    from camtag.library import Library


def store_model_result(lib: "Library", shot_id: int, shot: Shot, *, engine: str = "") -> bool:
    """Write ``shot``'s tags/traces/evidence onto stored shot ``shot_id``; False if it is gone."""
    stamp = now()
    with lib.store.write() as tx:
        row = tx.one("SELECT analysis_id FROM shots WHERE id = ?", (shot_id,))
        if row is None:
            return False
        tx.execute("DELETE FROM tags WHERE shot_id = ? AND state = 'proposed'", (shot_id,))
        decided = {r["tag"] for r in tx.query("SELECT tag FROM tags WHERE shot_id = ?", (shot_id,))}
        insert_tag_rows(tx, shot_id, [t for t in shot.tags if t.id not in decided], stamp)
        tx.execute("DELETE FROM traces WHERE shot_id = ?", (shot_id,))
        if shot.traces:
            tx.executemany("INSERT INTO traces (shot_id, source, observation, reasoning, answer, raw, "
                           "problems) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(shot_id, t.source, t.observation, t.reasoning, t.answer, t.raw,
                             json.dumps(list(t.problems))) for t in shot.traces])
        tx.execute("DELETE FROM shot_evidence WHERE shot_id = ?", (shot_id,))
        if shot.evidence:
            tx.execute("INSERT INTO shot_evidence (shot_id, data) VALUES (?, ?)",
                       (shot_id, curves.encode(shot.evidence)))
        rec = (shot.evidence or {}).get("reasoner") or {}
        if engine and rec.get("done"):
            tx.execute("UPDATE analyses SET engine = ?, model = ? WHERE id = ?",
                       (engine, str(rec.get("model", "")), row["analysis_id"]))
    lib.events.shots_did_change.emit(Changes(shots=frozenset({shot_id}), label="model tags"))
    return True
