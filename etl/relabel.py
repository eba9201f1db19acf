"""`stance relabel`: new label models over the stored segments and vectors (no re-embedding)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from etl import load
from etl.embed import get_embedder
from etl.labels import Labeller
from etl.model import Segment
from etl.taxonomy import load_taxonomy
from warehouse import staging
from warehouse.store import etl_lock

CHUNK = 5000
_COLUMNS = "s.segment_id, s.document_id, s.seq, s.turn_index, s.speaker_id, s.text, s.char_start, s.char_end, s.language, s.reply_to"


def relabel_warehouse(db: str | Path, settings) -> dict[str, int]:
    """Replace model labels (topic, stance, reply agreement); human corrections are untouched.
    The new labels are staged and replace the old ones in one transaction at the end."""
    with etl_lock(db), staging.staged_session(db) as con:
        model = load.setting(con, "embedding_model")
        embedder = get_embedder(settings.model or model, settings.embed_backend)
        labeller = Labeller(load_taxonomy(settings.taxonomy), embedder, settings.label_models)
        staging.clear(con, "topic_labels")
        staging.clear(con, "stance_labels")
        staging.clear(con, "agreement_labels", "kind = 'reply'")
        counts = {"segments": 0, "topic_labels": 0, "stance_labels": 0, "agreement_labels": 0}
        offset = 0
        while batch := _batch(con, offset):
            segments, vectors, firsts = batch
            _relabel(con, labeller, segments, vectors, firsts, counts)
            offset += len(segments)
        return counts


def _batch(con, offset: int):
    rows = con.execute(
        f"""SELECT {_COLUMNS}, e.vector,
                   s.seq = min(s.seq) OVER (PARTITION BY s.document_id, s.turn_index) AS first_of_turn
            FROM wh.main.segments s JOIN wh.main.embeddings e USING (segment_id)
            ORDER BY s.document_id, s.seq LIMIT ? OFFSET ?""", [CHUNK, offset]).fetchall()
    if not rows:
        return None
    segments = [Segment(*r[:8], language=r[8], reply_to=r[9]) for r in rows]
    firsts = [i for i, r in enumerate(rows) if r[11] and r[9]]  # first segment of a replying turn
    return segments, np.asarray([r[10] for r in rows], dtype=np.float32), firsts


def _relabel(con, labeller: Labeller, segments: list[Segment], vectors: np.ndarray, firsts: list[int],
             counts: dict) -> None:
    topics = labeller.topics(segments, vectors)
    stances = labeller.stances(segments, vectors, topics)
    replies = _reply_pairs(con, segments, firsts)
    agreements = []
    if replies:
        idx, targets, target_vecs = zip(*replies)
        labels = labeller.agreements([segments[i] for i in idx], list(targets),
                                     vectors[list(idx)], np.asarray(target_vecs, dtype=np.float32))
        agreements = [
            {"segment_id": a.segment_id, "kind": "reply", "target_segment_id": a.target_segment_id,
             "speaker_id": segments[i].speaker, "target_speaker_id": t.speaker, "label": a.label,
             "score": a.score, "model": a.model, "method": a.method, "evidence": None}
            for a, i, t in zip(labels, idx, targets)
        ]
    for table, rows in (("topic_labels", topics), ("stance_labels", stances), ("agreement_labels", agreements)):
        load.insert_rows(con, table, [r if isinstance(r, dict) else r.__dict__ for r in rows])
        counts[table] += len(rows)
    counts["segments"] += len(segments)


def _reply_pairs(con, segments: list[Segment], firsts: list[int]):
    """(index, target segment, target vector) for the first segment of each replying turn."""
    if not firsts:
        return []
    wanted = [segments[i].reply_to for i in firsts]
    rows = con.execute(
        f"""SELECT {_COLUMNS}, e.vector FROM wh.main.segments s JOIN wh.main.embeddings e USING (segment_id)
            WHERE s.segment_id IN (SELECT unnest(?))""", [wanted]).fetchall()
    by_id = {r[0]: (Segment(*r[:8], language=r[8], reply_to=r[9]), r[10]) for r in rows}
    return [(i, *by_id[segments[i].reply_to]) for i in firsts if segments[i].reply_to in by_id]
