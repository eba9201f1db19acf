"""Stage 5, load: ETL results into the warehouse's staging session, a batch of documents at a time.

Reads name the warehouse (`wh.main.documents`); writes go to the session's staging tables
(warehouse.staging), merged into the warehouse in one transaction at the end of the run.
Ids are handed to DuckDB as registered Arrow tables, never as Python lists bound to a
parameter (DuckDB 1.5.5 costs ~0.5 ms per list element there)."""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import asdict

import duckdb
import numpy as np
import pyarrow as pa

from etl.model import DocumentRows, Reject, Segment
from etl.stored import setting
from warehouse import staging
from warehouse.roles import ROLE_SOURCES

LABEL_TABLES = ("topic_labels", "stance_labels", "agreement_labels")


def ensure_embeddings(con: duckdb.DuckDBPyConnection, model: str, dim: int) -> None:
    """Record the embedding model; a different model or dimension replaces every stored vector."""
    if setting(con, "embedding_model") != model or setting(con, "embedding_dim") != str(dim):
        for key, value in (("embedding_model", model), ("embedding_dim", str(dim))):
            con.execute("DELETE FROM memory.main.settings WHERE key = ?", [key])
            con.execute("INSERT INTO memory.main.settings VALUES (?, ?)", [key, value])


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, columns: dict | pa.Table):
    """`columns` (an Arrow table, or name -> values) as a table `name` for the statements in the body."""
    con.register(name, columns if isinstance(columns, pa.Table) else pa.table(columns))
    try:
        yield name
    finally:
        con.unregister(name)


def replace_documents(con, run_id: int, batch: list[DocumentRows], model: str) -> None:
    """Stage several documents' rows, replacing what the warehouse holds for them when the
    session merges, with one statement per table whatever the number of documents. `con` is
    a staged session (warehouse.staging): a document is loaded whole or not at all."""
    if not batch:
        return
    segments = [s for d in batch for s in d.segments]
    replacing = _stored(con, [d.doc.document_id for d in batch])
    staging.replace(con, replacing)
    now = dt.datetime.now()
    insert_rows(con, "documents", [_document_row(d.doc, run_id, now) for d in batch])
    _upsert_speakers(con, _merged_speakers(batch, _record_roles(con, batch)))
    insert_rows(con, "turns", [
        {"document_id": d.doc.document_id, "turn_index": t.turn_index, "speaker_label": t.speaker,
         "speaker_id": sid, "text": t.text, "start_s": t.start_s, "end_s": t.end_s}
        for d in batch for t, sid in zip(d.doc.turns, d.turn_speakers)
    ])
    insert_rows(con, "segments", [_segment_row(s) for s in segments])
    kept = [s.segment_id for s in segments if s.document_id in replacing]
    _insert_vectors(con, segments, np.concatenate([d.vectors for d in batch]), model, kept)
    for table in LABEL_TABLES:
        insert_rows(con, table, [asdict(r) if not isinstance(r, dict) else r
                                 for d in batch for r in d.labels.get(table, ())])


def _stored(con, document_ids: list[str]) -> set[str]:
    """Which of these documents the warehouse holds (from a copy of its ids taken once per session)."""
    con.execute("CREATE TABLE IF NOT EXISTS memory.main.stored_documents AS SELECT document_id FROM wh.main.documents")
    with registered(con, "batch_ids", {"document_id": pa.array(document_ids, pa.string())}):
        return {d for (d,) in con.execute(
            "SELECT document_id FROM memory.main.stored_documents JOIN batch_ids USING (document_id)").fetchall()}


def _document_row(doc, run_id: int, loaded_at: dt.datetime) -> dict:
    return {"document_id": doc.document_id, "kind": doc.kind, "title": doc.title, "outlet": doc.outlet,
            "url": doc.url, "published": doc.published, "language": doc.language, "source_file": doc.source_file,
            "format": doc.format, "content_hash": doc.content_hash, "loaded_at": loaded_at, "run_id": run_id}


def _record_roles(con, batch: list[DocumentRows]) -> dict[str, str]:
    """Stage the batch's speaker roles, never replacing a role from a higher source (an alias
    beats a label beats an inference; within a source the latest wins). Returns the roles
    that changed: speaker_id -> role."""
    ids = sorted({sid for d in batch for sid in d.roles})
    if not ids:
        return {}
    current = _current_roles(con, ids)
    changed: dict[str, tuple[str, str]] = {}
    for d in batch:
        for sid, (role, source) in d.roles.items():
            old = changed.get(sid) or current.get(sid)
            if old and ROLE_SOURCES.index(old[1]) < ROLE_SOURCES.index(source):
                continue
            if old != (role, source):
                changed[sid] = (role, source)
    if changed:
        with registered(con, "changed_ids", {"speaker_id": pa.array(list(changed), pa.string())}):
            con.execute("DELETE FROM memory.main.speaker_roles WHERE speaker_id IN (SELECT speaker_id FROM changed_ids)")
        insert_rows(con, "speaker_roles", [{"speaker_id": sid, "role": role, "source": source}
                                           for sid, (role, source) in changed.items()])
    return {sid: role for sid, (role, _) in changed.items()}


def _current_roles(con, ids: list[str]) -> dict[str, tuple[str, str]]:
    """speaker_id -> (role, source) as this session stands: staged, else the warehouse's."""
    with registered(con, "role_ids", {"speaker_id": pa.array(ids, pa.string())}):
        rows = con.execute("""SELECT speaker_id, role, source FROM memory.main.speaker_roles JOIN role_ids USING (speaker_id)
                              UNION ALL
                              SELECT speaker_id, role, source FROM wh.main.speaker_roles JOIN role_ids USING (speaker_id)
                              WHERE speaker_id NOT IN (SELECT speaker_id FROM memory.main.speaker_roles)""").fetchall()
    return {sid: (role, source) for sid, role, source in rows}


def _merged_speakers(batch: list[DocumentRows], roles: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """One row per speaker, as loading the documents one by one would leave it: the first
    name; the role recorded now (`roles`), else the last one given."""
    merged: dict[str, tuple[str, str | None]] = {}
    for d in batch:
        for sid, (name, role) in d.speakers.items():
            first_name, last_role = merged.get(sid, (name, None))
            merged[sid] = (first_name, role or last_role)
    return {sid: (name, roles.get(sid, role)) for sid, (name, role) in merged.items()}


def _upsert_speakers(con, speakers: dict[str, tuple[str, str | None]]) -> None:
    """Stage speakers the warehouse lacks, and known ones whose role is now known or changed
    (a known speaker keeps its stored name and, where none is given now, its role)."""
    if not speakers:
        return
    con.execute("CREATE TABLE IF NOT EXISTS memory.main.stored_speakers AS FROM wh.main.speakers")
    with registered(con, "batch_speakers", {"speaker_id": pa.array(list(speakers), pa.string())}):
        known = {sid: (name, role) for sid, name, role in con.execute(
            """SELECT speaker_id, name, role FROM memory.main.speakers JOIN batch_speakers USING (speaker_id)
               UNION ALL
               SELECT speaker_id, name, role FROM memory.main.stored_speakers JOIN batch_speakers USING (speaker_id)
               WHERE speaker_id NOT IN (SELECT speaker_id FROM memory.main.speakers)""").fetchall()}
    rows = []
    for sid, (name, role) in speakers.items():
        old = known.get(sid)
        if old is None or (role is not None and role != old[1]):
            rows.append({"speaker_id": sid, "name": old[0] if old else name, "role": role})
    if rows:
        with registered(con, "new_speaker_ids", {"speaker_id": pa.array([r["speaker_id"] for r in rows], pa.string())}):
            con.execute("DELETE FROM memory.main.speakers WHERE speaker_id IN (SELECT speaker_id FROM new_speaker_ids)")
        insert_rows(con, "speakers", rows)


def _segment_row(s: Segment) -> dict:
    a = s.attribution
    return {
        "segment_id": s.segment_id, "document_id": s.document_id, "seq": s.seq, "turn_index": s.turn_index,
        "speaker_id": s.speaker, "text": s.text, "char_start": s.char_start, "char_end": s.char_end,
        "language": s.language, "start_s": s.start_s, "end_s": s.end_s, "reply_to": s.reply_to,
        "attribution_method": a.method if a else None, "attribution_confidence": a.confidence if a else None,
        "attribution_evidence": a.evidence if a else None,
    }


def insert_rows(con, table: str, rows: list[dict]) -> None:
    """Stage dicts (all with the same keys) through Arrow."""
    if not rows:
        return
    columns = list(rows[0])
    with registered(con, "new_rows", pa.Table.from_pylist(rows)) as name:
        names = ", ".join(columns)
        con.execute(f"INSERT INTO memory.main.{table} ({names}) SELECT {names} FROM {name}")


def _insert_vectors(con, segments: list[Segment], vectors: np.ndarray, model: str, kept: list[str]) -> None:
    """Stage the vectors the warehouse does not hold yet (a replaced document keeps those of
    its unchanged segments: `kept` are the ids that may have one), as FLOAT[]: the
    embeddings view shows them as FLOAT[dim]."""
    existing = set()
    if kept:
        with registered(con, "kept_ids", {"segment_id": pa.array(kept, pa.string())}):
            existing = {sid for (sid,) in con.execute(
                """SELECT segment_id FROM wh.main.embedding_vectors JOIN kept_ids USING (segment_id)
                   WHERE model = ?""", [model]).fetchall()}
    keep = [i for i, s in enumerate(segments) if s.segment_id not in existing]
    if not keep:
        return
    dim = vectors.shape[1]
    flat = pa.array(np.ascontiguousarray(vectors[keep], dtype=np.float32).ravel())
    table = pa.table({
        "segment_id": [segments[i].segment_id for i in keep],
        "model": [model] * len(keep),
        "dim": pa.array([dim] * len(keep), pa.int32()),
        "vector": pa.ListArray.from_arrays(pa.array(np.arange(0, (len(keep) + 1) * dim, dim, dtype=np.int32)), flat),
    })
    with registered(con, "new_vectors", table):
        con.execute("INSERT INTO memory.main.embedding_vectors SELECT segment_id, model, dim, vector FROM new_vectors")


def record_rejects(con, run_id: int, rejects: list[Reject]) -> None:
    insert_rows(con, "rejects", [
        {"run_id": run_id, "file": r.file, "line": r.line, "reason": r.reason, "excerpt": r.excerpt} for r in rejects
    ])
