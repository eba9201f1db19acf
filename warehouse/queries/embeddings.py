"""The warehouse's embeddings: their model, dimension, version, and all of them in batches."""
from __future__ import annotations

import numpy as np

from warehouse.queries.facts import _one, _table_exists
from warehouse.store import Reader

def embedding_model(reader: Reader) -> str | None:
    """The model the warehouse's embeddings were made with (settings, else the table)."""
    row = _one(reader, "SELECT value FROM wh.main.settings WHERE key = 'embedding_model'")
    if row:
        return row["value"]
    if not _has_embeddings(reader):
        return None
    row = _one(reader, "SELECT any_value(model) AS model FROM wh.main.embeddings")
    return row["model"] if row else None


def _has_embeddings(reader: Reader) -> bool:
    cur = reader.cursor()
    try:
        return _table_exists(cur, "wh", "embeddings")
    finally:
        cur.close()


def embedding_dim(reader: Reader) -> int | None:
    if not _has_embeddings(reader):
        return None
    row = _one(reader, "SELECT dim FROM wh.main.embeddings LIMIT 1")
    return int(row["dim"]) if row else None


def embeddings_version(reader: Reader) -> tuple | None:
    """Changes whenever the embeddings (or their rowids) may have changed, not on corrections."""
    if not _has_embeddings(reader):
        return None
    row = _one(reader, """SELECT (SELECT count(*) FROM wh.main.embeddings) AS n,
                                 (SELECT max(rowid) FROM wh.main.embeddings) AS last_row,
                                 (SELECT max(run_id) FROM wh.main.etl_runs) AS run,
                                 (SELECT max(loaded_at) FROM wh.main.documents) AS loaded""")
    return tuple(row.values())


def embedding_batches(reader: Reader, batch: int = 100_000):
    """Yield (rowids, float32 matrix) batches of all embeddings in rowid order (for an
    in-memory index); the first item is the total number of rows. Each batch is read by a
    connection of its own, closed after it: one connection would keep every block of the
    table cached (1.5 GB at a million rows). So a writer's swap during the read can mix two
    versions; a caller that must not mix them compares store.version before and after."""
    cur = reader.cursor()
    try:
        n, top = cur.execute("SELECT count(*), max(rowid) FROM wh.main.embeddings").fetchone()
    finally:
        cur.close()
    yield n
    for lo in range(0, (top if top is not None else -1) + 1, batch):
        con = reader.connect()
        try:
            got = con.sql("SELECT rowid AS r, vector FROM wh.main.embeddings WHERE rowid >= ? AND rowid < ?",
                          params=[lo, lo + batch]).to_arrow_table()
        finally:
            con.close()
        if got.num_rows:
            vectors = got.column("vector").combine_chunks()
            yield (got.column("r").to_numpy().astype(np.int64),
                   vectors.flatten().to_numpy().reshape(len(vectors), -1).astype(np.float32, copy=False))
