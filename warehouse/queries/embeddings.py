"""The warehouse's embeddings: their model, dimension, version, and all of them in batches."""
from __future__ import annotations

import functools
import threading
import weakref

import numpy as np

from warehouse.queries.facts import _one, _table_exists
from warehouse.store import Reader

_PER_SNAPSHOT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # reader -> {name: (snapshot, value)}
_PER_SNAPSHOT_LOCK = threading.Lock()


def per_snapshot(fn):
    """fn(reader), computed once per snapshot of the warehouse: these facts about the stored
    embeddings change only when a writer commits, and every search and quote needs them
    (together ~0.1-0.2 s a callback on a loaded machine at a million segments, mostly
    counting the embeddings' rows)."""
    @functools.wraps(fn)
    def wrapper(reader: Reader):
        snapshot = reader.snapshot()
        with _PER_SNAPSHOT_LOCK:
            known = _PER_SNAPSHOT.setdefault(reader, {}).get(fn.__name__)
        if known is not None and known[0] == snapshot:
            return known[1]
        value = fn(reader)
        with _PER_SNAPSHOT_LOCK:
            _PER_SNAPSHOT[reader][fn.__name__] = (snapshot, value)
        return value
    return wrapper


@per_snapshot
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


@per_snapshot
def embedding_dim(reader: Reader) -> int | None:
    if not _has_embeddings(reader):
        return None
    row = _one(reader, "SELECT dim FROM wh.main.embeddings LIMIT 1")
    return int(row["dim"]) if row else None


@per_snapshot
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
            # literal bounds, not parameters: DuckLake prunes Parquet files by constant filters
            # only (a parameterised range scanned every file: 17 s a batch at a million rows, not 1)
            got = con.sql(f"SELECT rowid AS r, vector FROM wh.main.embeddings "
                          f"WHERE rowid >= {int(lo)} AND rowid < {int(lo + batch)}").to_arrow_table()
        finally:
            con.close()
        if got.num_rows:
            vectors = got.column("vector").combine_chunks()
            yield (got.column("r").to_numpy().astype(np.int64),
                   vectors.flatten().to_numpy().reshape(len(vectors), -1).astype(np.float32, copy=False))
