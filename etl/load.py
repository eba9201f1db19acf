"""Stage 5, load: ETL results into the warehouse, one document at a time, all of it or nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import duckdb
import numpy as np
import pyarrow as pa

from etl.model import Document, Reject, Segment


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


def replace_document(con, doc: Document, run_id: int, speakers: dict[str, tuple[str, str | None]],
                     turn_speakers: list[str | None], segments: list[Segment], vectors: np.ndarray,
                     model: str, labels: dict[str, list]) -> None:
    """Swap a document's rows for new ones in one transaction."""
    con.execute("BEGIN")
    try:
        delete_document(con, doc.document_id, keep_vectors_for=[s.segment_id for s in segments])
        _insert_document(con, doc, run_id)
        _upsert_speakers(con, speakers)
        insert_rows(con, "turns", [
            {"document_id": doc.document_id, "turn_index": t.turn_index, "speaker_label": t.speaker,
             "speaker_id": sid, "text": t.text, "start_s": t.start_s, "end_s": t.end_s}
            for t, sid in zip(doc.turns, turn_speakers)
        ])
        insert_rows(con, "segments", [_segment_row(s) for s in segments])
        _insert_vectors(con, segments, vectors, model)
        for table, rows in labels.items():
            insert_rows(con, table, [asdict(r) if not isinstance(r, dict) else r for r in rows])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def delete_document(con, document_id: str, keep_vectors_for: list[str] = ()) -> None:
    seg_ids = "SELECT segment_id FROM segments WHERE document_id = ?"
    for table in ("topic_labels", "stance_labels", "agreement_labels"):
        con.execute(f"DELETE FROM {table} WHERE segment_id IN ({seg_ids})", [document_id])
    con.register("kept_ids", pa.table({"segment_id": pa.array(list(keep_vectors_for), pa.string())}))
    try:
        con.execute(f"""DELETE FROM embeddings WHERE segment_id IN ({seg_ids})
                        AND segment_id NOT IN (SELECT segment_id FROM kept_ids)""", [document_id])
    finally:
        con.unregister("kept_ids")
    for table in ("segments", "turns", "documents"):
        con.execute(f"DELETE FROM {table} WHERE document_id = ?", [document_id])


def _insert_document(con, doc: Document, run_id: int) -> None:
    con.execute(
        """INSERT INTO documents (document_id, kind, title, outlet, url, published, language,
                                  source_file, format, content_hash, loaded_at, run_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [doc.document_id, doc.kind, doc.title, doc.outlet, doc.url, doc.published, doc.language,
         doc.source_file, doc.format, doc.content_hash, dt.datetime.now(), run_id],
    )


def _upsert_speakers(con, speakers: dict[str, tuple[str, str | None]]) -> None:
    for sid, (name, role) in speakers.items():
        con.execute(
            """INSERT INTO speakers VALUES (?, ?, ?)
               ON CONFLICT (speaker_id) DO UPDATE SET role = coalesce(excluded.role, speakers.role)""",
            [sid, name, role],
        )


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
