"""Stage 5, load: ETL results into the warehouse, a batch of documents per transaction, each
document all of it or nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import duckdb
import numpy as np
import pyarrow as pa

from etl.model import Document, DocumentRows, Reject, Segment


def document_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT document_id, content_hash FROM documents").fetchall())


def known_speakers(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute("SELECT name FROM speakers ORDER BY name").fetchall()]


def setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def ensure_embeddings(con: duckdb.DuckDBPyConnection, model: str, dim: int) -> None:
    """Create embeddings(vector FLOAT[dim]); a different model or dimension starts it afresh."""
    if setting(con, "embedding_model") != model or setting(con, "embedding_dim") != str(dim):
        con.execute("DROP TABLE IF EXISTS embeddings")
    con.execute(f"""CREATE TABLE IF NOT EXISTS embeddings (
        segment_id VARCHAR PRIMARY KEY, model VARCHAR NOT NULL, dim INTEGER NOT NULL,
        vector FLOAT[{int(dim)}] NOT NULL)""")
    for key, value in (("embedding_model", model), ("embedding_dim", str(dim))):
        con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])


def stored_vectors(con: duckdb.DuckDBPyConnection, segment_ids: list[str]) -> dict[str, np.ndarray]:
    """Vectors already in the warehouse for these content keys (unchanged segments are not re-embedded)."""
    if not segment_ids:
        return {}
    con.register("wanted_ids", pa.table({"segment_id": segment_ids}))
    try:
        rows = con.execute(
            "SELECT e.segment_id, e.vector FROM embeddings e JOIN wanted_ids USING (segment_id)"
        ).fetchall()
    finally:
        con.unregister("wanted_ids")
    return {sid: np.asarray(vec, dtype=np.float32) for sid, vec in rows}


LABEL_TABLES = ("topic_labels", "stance_labels", "agreement_labels")


def replace_document(con, doc: Document, run_id: int, speakers: dict[str, tuple[str, str | None]],
                     turn_speakers: list[str | None], segments: list[Segment], vectors: np.ndarray,
                     model: str, labels: dict[str, list]) -> None:
    """Swap a document's rows for new ones in one transaction."""
    replace_documents(con, run_id, [DocumentRows(doc, speakers, turn_speakers, segments, vectors, labels)], model)


def replace_documents(con, run_id: int, batch: list[DocumentRows], model: str) -> None:
    """Swap several documents' rows for new ones in one transaction, with one statement per
    table whatever the number of documents: a document costs the writer no statements of its own."""
    if not batch:
        return
    segments = [s for d in batch for s in d.segments]
    con.execute("BEGIN")
    try:
        delete_documents(con, [d.doc.document_id for d in batch], keep_vectors_for=[s.segment_id for s in segments])
        now = dt.datetime.now()
        insert_rows(con, "documents", [_document_row(d.doc, run_id, now) for d in batch])
        _upsert_speakers(con, _merged_speakers(batch))
        insert_rows(con, "turns", [
            {"document_id": d.doc.document_id, "turn_index": t.turn_index, "speaker_label": t.speaker,
             "speaker_id": sid, "text": t.text, "start_s": t.start_s, "end_s": t.end_s}
            for d in batch for t, sid in zip(d.doc.turns, d.turn_speakers)
        ])
        insert_rows(con, "segments", [_segment_row(s) for s in segments])
        _insert_vectors(con, segments, np.concatenate([d.vectors for d in batch]), model)
        for table in LABEL_TABLES:
            insert_rows(con, table, [asdict(r) if not isinstance(r, dict) else r
                                     for d in batch for r in d.labels.get(table, ())])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def delete_document(con, document_id: str, keep_vectors_for: list[str] = ()) -> None:
    delete_documents(con, [document_id], keep_vectors_for)


def delete_documents(con, document_ids: list[str], keep_vectors_for: list[str] = ()) -> None:
    """Remove these documents and everything hanging off them, except the listed segments' vectors."""
    con.register("gone_ids", pa.table({"document_id": pa.array(document_ids, pa.string())}))
    con.register("kept_ids", pa.table({"segment_id": pa.array(list(keep_vectors_for), pa.string())}))
    try:
        if not con.execute("SELECT count(*) FROM documents JOIN gone_ids USING (document_id)").fetchone()[0]:
            return  # all new: nothing to delete
        seg_ids = "SELECT segment_id FROM segments JOIN gone_ids USING (document_id)"
        for table in LABEL_TABLES:
            con.execute(f"DELETE FROM {table} WHERE segment_id IN ({seg_ids})")
        con.execute(f"""DELETE FROM embeddings WHERE segment_id IN ({seg_ids})
                        AND segment_id NOT IN (SELECT segment_id FROM kept_ids)""")
        for table in ("segments", "turns", "documents"):
            con.execute(f"DELETE FROM {table} WHERE document_id IN (SELECT document_id FROM gone_ids)")
    finally:
        con.unregister("gone_ids")
        con.unregister("kept_ids")


def _document_row(doc: Document, run_id: int, loaded_at: dt.datetime) -> dict:
    return {"document_id": doc.document_id, "kind": doc.kind, "title": doc.title, "outlet": doc.outlet,
            "url": doc.url, "published": doc.published, "language": doc.language, "source_file": doc.source_file,
            "format": doc.format, "content_hash": doc.content_hash, "loaded_at": loaded_at, "run_id": run_id}


def _merged_speakers(batch: list[DocumentRows]) -> dict[str, tuple[str, str | None]]:
    """One row per speaker, as loading the documents one by one would leave it: the first
    name, the last role given."""
    merged: dict[str, tuple[str, str | None]] = {}
    for d in batch:
        for sid, (name, role) in d.speakers.items():
            first_name, last_role = merged.get(sid, (name, None))
            merged[sid] = (first_name, role or last_role)
    return merged


def _upsert_speakers(con, speakers: dict[str, tuple[str, str | None]]) -> None:
    if not speakers:
        return
    con.register("new_speakers", pa.table({
        "speaker_id": pa.array(list(speakers), pa.string()),
        "name": pa.array([name for name, _ in speakers.values()], pa.string()),
        "role": pa.array([role for _, role in speakers.values()], pa.string())}))
    try:
        con.execute("""INSERT INTO speakers SELECT speaker_id, name, role FROM new_speakers
                       ON CONFLICT (speaker_id) DO UPDATE SET role = coalesce(excluded.role, speakers.role)""")
    finally:
        con.unregister("new_speakers")


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
    """Bulk insert dicts (all with the same keys) through Arrow."""
    if not rows:
        return
    columns = list(rows[0])
    con.register("new_rows", pa.Table.from_pylist(rows))
    try:
        names = ", ".join(columns)
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM new_rows")
    finally:
        con.unregister("new_rows")


def _insert_vectors(con, segments: list[Segment], vectors: np.ndarray, model: str) -> None:
    existing = {sid for (sid,) in con.execute(
        "SELECT segment_id FROM embeddings WHERE segment_id IN (SELECT unnest(?))",
        [[s.segment_id for s in segments]]).fetchall()}
    keep = [i for i, s in enumerate(segments) if s.segment_id not in existing]
    if not keep:
        return
    dim = vectors.shape[1]
    flat = pa.array(np.ascontiguousarray(vectors[keep], dtype=np.float32).ravel())
    table = pa.table({
        "segment_id": [segments[i].segment_id for i in keep],
        "model": [model] * len(keep),
        "dim": pa.array([dim] * len(keep), pa.int32()),
        "vector": pa.FixedSizeListArray.from_arrays(flat, dim),
    })
    con.register("new_vectors", table)
    try:
        con.execute(f"INSERT INTO embeddings SELECT segment_id, model, dim, vector::FLOAT[{dim}] FROM new_vectors")
    finally:
        con.unregister("new_vectors")


def record_rejects(con, run_id: int, rejects: list[Reject]) -> None:
    insert_rows(con, "rejects", [
        {"run_id": run_id, "file": r.file, "line": r.line, "reason": r.reason, "excerpt": r.excerpt} for r in rejects
    ])
