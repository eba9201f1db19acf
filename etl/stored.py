"""What the warehouse already holds, read inside a staged session (warehouse.staging).

Plain SQL with no numpy or Arrow to import: a run whose inputs are all unchanged reads its
hashes and run number here and never loads the writer (etl/load.py) or the models.
"""
from __future__ import annotations

import duckdb

from warehouse import schema


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


def document_vectors(con: duckdb.DuckDBPyConnection, document_id: str) -> tuple[dict, str | None]:
    """The vectors the warehouse holds for a document's segments (segment_id -> float32
    array), and the model that made them."""
    import numpy as np  # a document being replaced: the models load for it anyway

    model = schema.setting(con, "embedding_model", "wh")
    if model is None:
        return {}, None
    rows = con.execute("""SELECT e.segment_id, e.vector FROM wh.main.segments s
                          JOIN wh.main.embedding_vectors e USING (segment_id)
                          WHERE s.document_id = ? AND e.model = ?""", [document_id, model]).fetchall()
    return {sid: np.asarray(vec, dtype=np.float32) for sid, vec in rows}, model
