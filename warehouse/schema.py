"""The warehouse's schema: numbered migrations, the documented views, the embeddings view.

Views are recreated only when their SQL changed (its hash is kept in `settings`): in
DuckLake every catalog change is a new snapshot, and a write that changes nothing else
should not make one.
"""
from __future__ import annotations

import hashlib
import re
from importlib import resources

import duckdb

from warehouse.location import sql_literal

MIGRATIONS = resources.files("warehouse") / "migrations"
VIEWS = resources.files("warehouse") / "views.sql"
SCHEMA_VERSION = max(int(p.name.split("_")[0]) for p in MIGRATIONS.iterdir() if p.name.endswith(".sql"))
NOT_INLINED = "layouts_not_inlined"  # settings key: set once `layouts` writes Parquet (see _layouts_not_inlined)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring a fresh or old warehouse (the connection's default catalog) to the current
    schema, each migration in its own transaction; refresh the views. Returns the version.
    A warehouse that is up to date costs one read."""
    state = _state(con)
    if state is None:
        con.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER NOT NULL, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)""")
        state = (set(), None, None, None)
    done, dim, digest, not_inlined = state
    for path in sorted(MIGRATIONS.iterdir(), key=lambda p: p.name):
        m = re.match(r"^(\d+)_.*\.sql$", path.name)
        if not m or int(m.group(1)) in done:
            continue
        con.execute("BEGIN")
        con.execute(path.read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [int(m.group(1)), path.name])
        con.execute("COMMIT")
    if digest != _views_digest(dim):
        con.execute("BEGIN")
        refresh_views(con, dim)
        con.execute("COMMIT")
    if not not_inlined:
        _layouts_not_inlined(con)
    return SCHEMA_VERSION


def _layouts_not_inlined(con: duckdb.DuckDBPyConnection) -> None:
    """`layouts` rows go to Parquet, never inlined in a DuckLake catalog. DuckLake keeps an
    inlined BLOB whole (hex-escaped, ~3x) as its column's min and max statistics, and every
    connection loads all statistics at its first query: a 10,000-segment layout's reducer
    (38 MB) made them 220 MB, slower than the rest of an unchanged re-run and beyond the ETL's
    memory limit. Parquet statistics keep 512 bytes. Statistics never shrink and a table's
    option cannot be set in the transaction that creates it, so the table is made anew
    (empty, committed), given the option, then filled from the old one in one transaction."""
    catalog = con.execute("SELECT current_database()").fetchone()[0]
    kind, ddl = con.execute(f"""SELECT d.type, t.sql FROM duckdb_databases() d
                               JOIN duckdb_tables() t USING (database_name)
                               WHERE database_name = {sql_literal(catalog)} AND t.table_name = 'layouts'""").fetchone()
    if kind == "ducklake":
        con.execute(re.sub(r"^CREATE TABLE layouts\b", "CREATE TABLE IF NOT EXISTS layouts_parquet", ddl))
        con.execute(f"CALL {catalog}.set_option('data_inlining_row_limit', 0, table_name => 'layouts_parquet')")
    con.execute("BEGIN")
    if kind == "ducklake":
        con.execute("INSERT INTO layouts_parquet FROM layouts")
        con.execute("DROP TABLE layouts")
        con.execute("ALTER TABLE layouts_parquet RENAME TO layouts")
    put_setting(con, NOT_INLINED, "true")
    con.execute("COMMIT")


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The warehouse's tables, empty, in the connection's default catalog (a staging copy)."""
    for path in sorted(MIGRATIONS.iterdir(), key=lambda p: p.name):
        if re.match(r"^(\d+)_.*\.sql$", path.name):
            con.execute(path.read_text(encoding="utf-8"))


def refresh_views(con: duckdb.DuckDBPyConnection, dim: str | int | None) -> None:
    """(Re)create the documented views and the embeddings view for `dim`, inside the caller's transaction."""
    con.execute(VIEWS.read_text(encoding="utf-8"))
    if dim:
        con.execute(embeddings_view_sql(dim))
    put_setting(con, "views_sha256", _views_digest(dim))


def _views_digest(dim) -> str:
    views = VIEWS.read_text(encoding="utf-8")
    return hashlib.sha256(f"{views}\n{embeddings_view_sql(dim)}".encode()).hexdigest()


def _state(con) -> tuple[set[int], str | None, str | None, str | None] | None:
    """(migrations applied, embedding dimension, views' hash, layouts not inlined) in one read;
    None for a new warehouse."""
    try:
        row = con.execute(f"""SELECT (SELECT list(version) FROM schema_migrations),
                                     (SELECT any_value(value) FROM settings WHERE key = 'embedding_dim'),
                                     (SELECT any_value(value) FROM settings WHERE key = 'views_sha256'),
                                     (SELECT any_value(value) FROM settings WHERE key = '{NOT_INLINED}')""").fetchone()
    except duckdb.CatalogException:
        return None
    return set(row[0] or ()), row[1], row[2], row[3]


def embeddings_view_sql(dim: str | int | None) -> str:
    """Readers see vectors as FLOAT[dim] (what array_cosine_similarity and the search
    index expect), and the stored row's rowid, which the dashboard's index is keyed by."""
    if not dim:
        return ""
    return f"""CREATE OR REPLACE VIEW embeddings AS
        SELECT rowid AS rowid, segment_id, model, dim, vector::FLOAT[{int(dim)}] AS vector
        FROM embedding_vectors"""


def setting(con: duckdb.DuckDBPyConnection, key: str, catalog: str = "") -> str | None:
    table = f"{catalog}.main.settings" if catalog else "settings"
    row = con.execute(f"SELECT value FROM {table} WHERE key = {sql_literal(key)}").fetchone()  # (see sql_literal)
    return row[0] if row else None


def put_setting(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("DELETE FROM settings WHERE key = ?", [key])
    con.execute("INSERT INTO settings VALUES (?, ?)", [key, value])
