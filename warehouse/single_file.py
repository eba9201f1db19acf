"""`stance migrate`: move a single-file warehouse of an earlier release into a DuckLake warehouse.

Every table is copied as it is (ids, runs, corrections and all); vectors become FLOAT[]
behind the `embeddings` view. The old file is only read, and is left as it was.
"""
from __future__ import annotations

from pathlib import Path

from warehouse import schema
from warehouse.location import Location, is_single_file, sql_string
from warehouse.store import connect, etl_lock, location, migrate

TABLES = ("settings", "documents", "speakers", "speaker_roles", "turns", "segments", "topic_labels", "stance_labels",
          "agreement_labels", "label_overrides", "etl_runs", "rejects", "layouts", "segment_layout", "layout_clusters")


def import_single_file(src: str | Path, db: str | Path | Location, data_path: str | None = None) -> dict[str, int]:
    """Copy the single-file warehouse `src` into the new warehouse `db`; returns rows per table."""
    src = Path(src)
    if not is_single_file(src):
        raise ValueError(f"{src}: not a single-file (DuckDB) warehouse")
    loc = location(db, data_path)
    with etl_lock(loc):
        con = connect(loc)
        try:
            migrate(con)
            if con.execute("SELECT count(*) FROM documents").fetchone()[0]:
                raise ValueError(f"{loc}: already holds documents; migrate into a new warehouse")
            con.execute(f"ATTACH {sql_string(src.resolve())} AS old (READ_ONLY)")
            con.execute("BEGIN")
            counts = {t: _copy(con, t) for t in TABLES}
            if not _has_table(con, "speaker_roles"):
                _roles_from_speakers(con)
            if _has_table(con, "embeddings"):
                counts["embeddings"] = con.execute(
                    """INSERT INTO embedding_vectors SELECT segment_id, model, dim, vector::FLOAT[]
                       FROM old.main.embeddings""").fetchone()[0]
            schema.refresh_views(con, schema.setting(con, "embedding_dim"))
            con.execute("COMMIT")
        finally:
            con.close()
    return counts


def _copy(con, table: str) -> int:
    if not _has_table(con, table):
        return 0
    new = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE wh.main.{table})").fetchall()]
    old = {c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE old.main.{table})").fetchall()}
    columns = ", ".join(c for c in new if c in old)
    where = "WHERE key <> 'views_sha256'" if table == "settings" else ""
    if table == "settings":
        con.execute("DELETE FROM wh.main.settings WHERE key IN (SELECT key FROM old.main.settings)")
    return con.execute(f"INSERT INTO wh.main.{table} ({columns}) SELECT {columns} FROM old.main.{table} {where}").fetchone()[0]


def _roles_from_speakers(con) -> None:
    """A file from before roles had sources: its roles count as the alias file's (as migration 0003 has it)."""
    con.execute("UPDATE speakers SET role = 'questioner' WHERE role = 'generic'")
    con.execute("INSERT INTO speaker_roles SELECT speaker_id, role, 'aliases' FROM speakers WHERE role IS NOT NULL")


def _has_table(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'old' AND table_name = ?",
                            [table]).fetchone()[0])
