"""`stance relabel`: new label models over the stored segments and vectors (no re-embedding)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from etl import load, stored
from etl.compute import reply_rows
from etl.embed import get_embedder
from etl.labels import Labeller
from etl.model import Segment
from etl.taxonomy import load_taxonomy
from warehouse import staging
from warehouse.roles import is_participant
from warehouse.store import etl_lock

CHUNK = 5000  # segments labelled at a time, in whole documents
_COLUMNS = "s.segment_id, s.document_id, s.seq, s.turn_index, s.speaker_id, s.text, s.char_start, s.char_end, s.language, s.reply_to"


def relabel_warehouse(db: str | Path, settings) -> dict[str, int]:
    """Replace model labels (topic, stance, reply agreement); human corrections are untouched.
    The new labels are staged and replace the old ones in one transaction at the end."""
    with etl_lock(db), staging.staged_session(db) as con:
        model = stored.setting(con, "embedding_model")
        embedder = get_embedder(settings.model or model, settings.embed_backend)
        labeller = Labeller(load_taxonomy(settings.taxonomy), embedder, settings.label_models)
        staging.clear(con, "topic_labels")
        staging.clear(con, "stance_labels")
        staging.clear(con, "agreement_labels", "kind = 'reply'")
        roles = dict(con.execute("SELECT speaker_id, role FROM wh.main.speakers WHERE role IS NOT NULL").fetchall())
        counts = {"segments": 0, "topic_labels": 0, "stance_labels": 0, "agreement_labels": 0}
        for first, last in _chunks(con):
            segments, vectors = _segments(con, first, last)
            _relabel(con, labeller, segments, vectors, lambda sid: is_participant(roles.get(sid)), counts)
        return counts


def _chunks(con) -> list[tuple[str, str]]:
    """(first, last) document ids of runs of whole documents of about CHUNK segments, in id order
    (stances read each segment after the one before it, replies the turns before them)."""
    chunks, first, size = [], None, 0
    for document_id, n in con.execute("""SELECT s.document_id, count(*) FROM wh.main.segments s
                                         JOIN wh.main.embeddings e USING (segment_id)
                                         GROUP BY s.document_id ORDER BY s.document_id""").fetchall():
        first = first or document_id
        size += n
        if size >= CHUNK:
            chunks.append((first, document_id))
            first, size = None, 0
    if first is not None:
        chunks.append((first, document_id))
    return chunks


def _segments(con, first: str, last: str) -> tuple[list[Segment], np.ndarray]:
    rows = con.execute(
        f"""SELECT {_COLUMNS}, e.vector FROM wh.main.segments s JOIN wh.main.embeddings e USING (segment_id)
            WHERE s.document_id BETWEEN ? AND ? ORDER BY s.document_id, s.seq""", [first, last]).fetchall()
    segments = [Segment(*r[:8], language=r[8], reply_to=r[9]) for r in rows]
    return segments, np.asarray([r[10] for r in rows], dtype=np.float32)


def _relabel(con, labeller: Labeller, segments: list[Segment], vectors: np.ndarray, participant, counts: dict) -> None:
    topics = labeller.topics(segments, vectors)
    stances = labeller.stances(segments, vectors, topics)
    agreements = []
    for lo, hi in _documents(segments):  # replies never reach into another document
        labels = labeller.replies(segments[lo:hi], vectors[lo:hi], participant)
        agreements += reply_rows(labels, segments[lo:hi], lambda seg: seg.speaker)
    for table, rows in (("topic_labels", topics), ("stance_labels", stances), ("agreement_labels", agreements)):
        load.insert_rows(con, table, [r if isinstance(r, dict) else r.__dict__ for r in rows])
        counts[table] += len(rows)
    counts["segments"] += len(segments)


def _documents(segments: list[Segment]) -> list[tuple[int, int]]:
    """[lo, hi) of each document's segments (they come grouped by document)."""
    bounds = [i for i in range(1, len(segments)) if segments[i].document_id != segments[i - 1].document_id]
    return list(zip([0, *bounds], [*bounds, len(segments)]))
