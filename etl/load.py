"""Stage 5, load: ETL results into the warehouse's staging session, one document at a time.

Reads name the warehouse (`wh.main.documents`); writes go to the session's staging tables
(warehouse.staging), merged into the warehouse in one transaction at the end of the run."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import duckdb
import numpy as np
import pyarrow as pa

from etl.model import Document, Reject, Segment
from warehouse import schema, staging


def document_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT document_id, content_hash FROM wh.main.documents").fetchall())


def known_speakers(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute("SELECT name FROM wh.main.speakers ORDER BY name").fetchall()]


def setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A setting as this session will leave it (staged, else the warehouse's)."""
    return schema.setting(con, key, "memory") or schema.setting(con, key, "wh")


def next_run_id(con: duckdb.DuckDBPyConnection) -> int:
    """Runs are numbered in order; one run at a time (store.etl_lock) keeps the number free."""
    return con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM wh.main.etl_runs").fetchone()[0]


def ensure_embeddings(con: duckdb.DuckDBPyConnection, model: str, dim: int) -> None:
    """Record the embedding model; a different model or dimension replaces every stored vector."""
    if setting(con, "embedding_model") != model or setting(con, "embedding_dim") != str(dim):
        for key, value in (("embedding_model", model), ("embedding_dim", str(dim))):
            con.execute("DELETE FROM memory.main.settings WHERE key = ?", [key])
            con.execute("INSERT INTO memory.main.settings VALUES (?, ?)", [key, value])


def stored_vectors(con: duckdb.DuckDBPyConnection, segment_ids: list[str],
                   model: str | None = None) -> dict[str, np.ndarray]:
    """Vectors already in the warehouse for these content keys (unchanged segments are not
    re-embedded); only `model`'s, when given."""
    if not segment_ids:
        return {}
    con.register("wanted_ids", pa.table({"segment_id": segment_ids}))
    try:
        rows = con.execute(
            """SELECT e.segment_id, e.vector FROM wh.main.embedding_vectors e JOIN wanted_ids USING (segment_id)
               WHERE ?::VARCHAR IS NULL OR e.model = ?""", [model, model]).fetchall()
    finally:
        con.unregister("wanted_ids")
    return {sid: np.asarray(vec, dtype=np.float32) for sid, vec in rows}


def is_stored(con: duckdb.DuckDBPyConnection, document_id: str) -> bool:
    """Whether the warehouse holds this document (from a copy of its ids taken once per session)."""
    con.execute("CREATE TABLE IF NOT EXISTS memory.main.stored_documents AS SELECT document_id FROM wh.main.documents")
    return bool(con.execute("SELECT count(*) FROM memory.main.stored_documents WHERE document_id = ?",
                            [document_id]).fetchone()[0])


def replace_document(con, doc: Document, run_id: int, speakers: dict[str, tuple[str, str | None]],
                     turn_speakers: list[str | None], segments: list[Segment], vectors: np.ndarray,
                     model: str, labels: dict[str, list]) -> None:
    """Stage a document's rows, replacing what the warehouse holds for it when the session merges.

    `con` is a staged session (warehouse.staging): the session is the transaction, so a
    document is loaded whole or not at all."""
    replacing = is_stored(con, doc.document_id)
    if replacing:
        staging.replace(con, doc.document_id)
    _insert_document(con, doc, run_id)
    _upsert_speakers(con, speakers)
    insert_rows(con, "turns", [
        {"document_id": doc.document_id, "turn_index": t.turn_index, "speaker_label": t.speaker,
         "speaker_id": sid, "text": t.text, "start_s": t.start_s, "end_s": t.end_s}
        for t, sid in zip(doc.turns, turn_speakers)
    ])
    insert_rows(con, "segments", [_segment_row(s) for s in segments])
    _insert_vectors(con, segments, vectors, model, replacing)
    for table, rows in labels.items():
        insert_rows(con, table, [asdict(r) if not isinstance(r, dict) else r for r in rows])


def _insert_document(con, doc: Document, run_id: int) -> None:
    con.execute(
        """INSERT INTO memory.main.documents (document_id, kind, title, outlet, url, published, language,
                                  source_file, format, content_hash, loaded_at, run_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [doc.document_id, doc.kind, doc.title, doc.outlet, doc.url, doc.published, doc.language,
         doc.source_file, doc.format, doc.content_hash, dt.datetime.now(), run_id],
    )


def _upsert_speakers(con, speakers: dict[str, tuple[str, str | None]]) -> None:
    """Stage speakers the warehouse lacks, and known ones whose role is now known or changed
    (a known speaker keeps its stored name and, where none is given now, its role)."""
    if not speakers:
        return
    con.execute("CREATE TABLE IF NOT EXISTS memory.main.stored_speakers AS FROM wh.main.speakers")
    ids = list(speakers)
    known = {sid: (name, role) for sid, name, role in con.execute(
        """SELECT speaker_id, name, role FROM memory.main.speakers WHERE speaker_id IN (SELECT unnest(?))
           UNION ALL BY NAME
           SELECT speaker_id, name, role FROM memory.main.stored_speakers
           WHERE speaker_id IN (SELECT unnest(?)) AND speaker_id NOT IN (SELECT speaker_id FROM memory.main.speakers)""",
        [ids, ids]).fetchall()}
    rows = []
    for sid, (name, role) in speakers.items():
        old = known.get(sid)
        if old is None or (role is not None and role != old[1]):
            rows.append({"speaker_id": sid, "name": old[0] if old else name, "role": role})
    if rows:
        con.execute("DELETE FROM memory.main.speakers WHERE speaker_id IN (SELECT unnest(?))", [[r["speaker_id"] for r in rows]])
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
    con.register("new_rows", pa.Table.from_pylist(rows))
    try:
        names = ", ".join(columns)
        con.execute(f"INSERT INTO memory.main.{table} ({names}) SELECT {names} FROM new_rows")
    finally:
        con.unregister("new_rows")


def _insert_vectors(con, segments: list[Segment], vectors: np.ndarray, model: str, replacing: bool) -> None:
    """Stage the vectors the warehouse does not hold yet (a replaced document keeps those of
    its unchanged segments), as FLOAT[]: the embeddings view shows them as FLOAT[dim]."""
    existing = set()
    if replacing:
        existing = {sid for (sid,) in con.execute(
            "SELECT segment_id FROM wh.main.embedding_vectors WHERE segment_id IN (SELECT unnest(?)) AND model = ?",
            [[s.segment_id for s in segments], model]).fetchall()}
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
    con.register("new_vectors", table)
    try:
        con.execute("INSERT INTO memory.main.embedding_vectors SELECT segment_id, model, dim, vector FROM new_vectors")
    finally:
        con.unregister("new_vectors")


def record_rejects(con, run_id: int, rejects: list[Reject]) -> None:
    insert_rows(con, "rejects", [
        {"run_id": run_id, "file": r.file, "line": r.line, "reason": r.reason, "excerpt": r.excerpt} for r in rejects
    ])
