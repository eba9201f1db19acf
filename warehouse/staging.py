"""The ETL's write session: stage a run privately, then merge it in one short transaction.

A run (or a relabel) can take minutes. Held open that long, a DuckLake transaction would
lose its commit to any correction committed meanwhile (SQLite refuses to upgrade a stale
read), and would write one small Parquet file per document and table. So the run writes
into a private in-memory staging database with the warehouse's tables (spilling to a
temporary folder beyond its memory limit), records which documents it replaces and which
label sets it clears, and at the end merges everything in one transaction: deletes, then
one INSERT per table. Readers see the whole run or none of it; a run killed before the
merge has touched nothing; a merge that loses a race with a correction is simply retried.

Inside the session the default catalog is the staging one (`memory`): unqualified
INSERTs stage rows, and reads of the warehouse name it: `wh.main.documents`.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb

from warehouse import schema, store
from warehouse.location import Location

# merged in this order (deletes first, in reverse): facts after the rows they point at
TABLES = ("settings", "speakers", "speaker_roles", "documents", "turns", "segments", "embedding_vectors",
          "topic_labels", "stance_labels", "agreement_labels", "etl_runs", "rejects",
          "layouts", "segment_layout", "layout_clusters")
LABEL_TABLES = ("topic_labels", "stance_labels", "agreement_labels")
LAYOUT_TABLES = ("layouts", "segment_layout", "layout_clusters")
# staged rows replace warehouse rows with the same key
KEYS = {"settings": "key", "speakers": "speaker_id", "speaker_roles": "speaker_id"}


@contextlib.contextmanager
def staged_session(db: str | Path | Location, *, memory_limit: str | None = None, data_path: str | None = None):
    """A connection on a private staging database with the warehouse attached as `wh`;
    merged into the warehouse when the body succeeds, discarded when it fails."""
    con = store.connect(db, memory_limit=memory_limit, data_path=data_path)
    spill = tempfile.mkdtemp(prefix="stance-staging-")
    try:
        store.retry_conflicts(lambda: schema.migrate(con))
        con.execute(f"SET temp_directory = {store.sql_string(spill)}")
        con.execute("USE memory")
        schema.create_tables(con)
        con.execute("CREATE TABLE replaced_documents (document_id VARCHAR)")
        con.execute("CREATE TABLE cleared (table_name VARCHAR, condition VARCHAR)")
        yield con
        store.retry_conflicts(lambda: _merge_once(con))
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def clear(con: duckdb.DuckDBPyConnection, table: str, condition: str = "TRUE") -> None:
    """Delete the warehouse's rows of `table` matching `condition` (SQL) when the session merges."""
    con.execute("INSERT INTO memory.main.cleared VALUES (?, ?)", [table, condition])


def replace(con: duckdb.DuckDBPyConnection, document_ids: Iterable[str]) -> None:
    """The warehouse's rows of these documents are deleted when the session merges (the
    stored vectors and map coordinates of segments staged again are kept)."""
    import pyarrow as pa  # (and numpy) only for a run that writes

    ids = pa.table({"document_id": pa.array(list(document_ids), pa.string())})
    if not len(ids):
        return
    con.register("replaced_ids", ids)
    try:
        con.execute("INSERT INTO memory.main.replaced_documents SELECT document_id FROM replaced_ids")
    finally:
        con.unregister("replaced_ids")


def _merge_once(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN")
    try:
        _merge(con)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def _merge(con: duckdb.DuckDBPyConnection) -> None:
    for table, condition in con.execute("SELECT table_name, condition FROM memory.main.cleared").fetchall():
        con.execute(f"DELETE FROM wh.main.{table} WHERE {condition}")
    _delete_replaced(con)
    staged = {t: con.execute(f"SELECT count(*) FROM memory.main.{t}").fetchone()[0] for t in TABLES}
    dim = _new_embedding_dim(con)
    for table, key in KEYS.items():
        if staged[table]:
            con.execute(f"DELETE FROM wh.main.{table} WHERE {key} IN (SELECT {key} FROM memory.main.{table})")
    for table in TABLES:
        if staged[table]:
            con.execute(f"INSERT INTO wh.main.{table} SELECT * FROM memory.main.{table}")
    if dim:
        con.execute("USE wh")
        try:
            schema.refresh_views(con, dim)
        finally:
            con.execute("USE memory")


def _delete_replaced(con: duckdb.DuckDBPyConnection) -> None:
    """Rows of replaced documents; a stored vector (and its place on the map) stays if its
    segment is staged again."""
    con.execute("""CREATE OR REPLACE TEMP TABLE gone AS SELECT DISTINCT document_id FROM memory.main.replaced_documents
                   WHERE document_id IN (SELECT document_id FROM wh.main.documents)""")
    if not con.execute("SELECT count(*) FROM temp.main.gone").fetchone()[0]:
        return
    old = "SELECT segment_id FROM wh.main.segments WHERE document_id IN (SELECT document_id FROM temp.main.gone)"
    for table in LABEL_TABLES:
        con.execute(f"DELETE FROM wh.main.{table} WHERE segment_id IN ({old})")
    for table in ("embedding_vectors", "segment_layout"):
        con.execute(f"""DELETE FROM wh.main.{table} WHERE segment_id IN ({old})
                        AND segment_id NOT IN (SELECT segment_id FROM memory.main.segments)""")
    for table in ("segments", "turns", "documents"):
        con.execute(f"DELETE FROM wh.main.{table} WHERE document_id IN (SELECT document_id FROM temp.main.gone)")


def _new_embedding_dim(con: duckdb.DuckDBPyConnection) -> str | None:
    """A new embedding model or dimension: vectors of any other are deleted. Returns the new dimension."""
    staged = dict(con.execute("""SELECT key, value FROM memory.main.settings
                                 WHERE key IN ('embedding_model', 'embedding_dim')""").fetchall())
    if not staged:
        return None
    model, dim = staged.get("embedding_model"), staged.get("embedding_dim")
    con.execute("DELETE FROM wh.main.embedding_vectors WHERE model <> ? OR dim <> ?", [model, int(dim)])
    if model != schema.setting(con, "embedding_model", "wh") or dim != schema.setting(con, "embedding_dim", "wh"):
        for table in LAYOUT_TABLES:  # fitted on the vectors just deleted: the next layout update fits anew
            con.execute(f"DELETE FROM wh.main.{table}")
    return dim if dim != schema.setting(con, "embedding_dim", "wh") else None
