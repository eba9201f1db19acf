"""`stance check`: integrity of a warehouse (what a killed or buggy run could break).

DuckLake enforces no keys and no CHECK constraints: the keys and value domains of the
schema are verified here."""
from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.store import SCHEMA_VERSION, connect_read, location

VIEWS = ("statements", "agreements")
CHECKS = {
    "segments without a document":
        "SELECT count(*) FROM segments s ANTI JOIN documents d USING (document_id)",
    "turns without a document":
        "SELECT count(*) FROM turns t ANTI JOIN documents d USING (document_id)",
    "documents without turns":
        "SELECT count(*) FROM documents d ANTI JOIN turns t USING (document_id)",
    "embeddings without a segment":
        "SELECT count(*) FROM embeddings e ANTI JOIN segments s USING (segment_id)",
    "segments without an embedding":
        "SELECT count(*) FROM segments s ANTI JOIN embeddings e USING (segment_id)",
    "topic labels without a segment":
        "SELECT count(*) FROM topic_labels l ANTI JOIN segments s USING (segment_id)",
    "segments without topic scores":
        "SELECT count(*) FROM segments s ANTI JOIN topic_labels l USING (segment_id)",
    "stance labels without a segment":
        "SELECT count(*) FROM stance_labels l ANTI JOIN segments s USING (segment_id)",
    "agreement labels without a segment":
        "SELECT count(*) FROM agreement_labels l ANTI JOIN segments s USING (segment_id)",
    "replies pointing at a missing segment":
        "SELECT count(*) FROM segments s WHERE reply_to IS NOT NULL AND reply_to NOT IN (SELECT segment_id FROM segments)",
    "segments attributed to an unknown speaker":
        "SELECT count(*) FROM segments s WHERE speaker_id IS NOT NULL AND speaker_id NOT IN (SELECT speaker_id FROM speakers)",
    "segment offsets outside their turn":
        """SELECT count(*) FROM segments s JOIN turns t
             ON t.document_id = s.document_id AND t.turn_index = coalesce(s.turn_index, 0)
           WHERE s.char_start < 0 OR s.char_end > length(t.text) OR s.char_start >= s.char_end""",
    "runs still marked running":
        "SELECT count(*) FROM etl_runs WHERE status = 'running'",
    "duplicate documents":
        "SELECT count(*) - count(DISTINCT document_id) FROM documents",
    "duplicate segments":
        "SELECT count(*) - count(DISTINCT segment_id) FROM segments",
    "duplicate turns":
        "SELECT count(*) - count(DISTINCT (document_id, turn_index)) FROM turns",
    "duplicate speakers":
        "SELECT count(*) - count(DISTINCT speaker_id) FROM speakers",
    "duplicate embeddings":
        "SELECT count(*) - count(DISTINCT segment_id) FROM embeddings",
    "duplicate topic labels":
        "SELECT count(*) - count(DISTINCT (segment_id, topic)) FROM topic_labels",
    "duplicate stance labels":
        "SELECT count(*) - count(DISTINCT (segment_id, topic)) FROM stance_labels",
    "duplicate corrections":
        "SELECT count(*) - count(DISTINCT override_id) FROM label_overrides",
    "duplicate runs":
        "SELECT count(*) - count(DISTINCT run_id) FROM etl_runs",
    "duplicate settings":
        "SELECT count(*) - count(DISTINCT key) FROM settings",
    "duplicate speaker roles":
        "SELECT count(*) - count(DISTINCT speaker_id) FROM speaker_roles",
    "speaker roles without a speaker":
        "SELECT count(*) FROM speaker_roles r ANTI JOIN speakers s USING (speaker_id)",
    "speaker roles that are not the speaker's role":
        "SELECT count(*) FROM speaker_roles r JOIN speakers s USING (speaker_id) WHERE s.role IS DISTINCT FROM r.role",
    "duplicate layouts":
        "SELECT count(*) - count(DISTINCT layout_id) FROM layouts",
    "duplicate map coordinates":
        "SELECT count(*) - count(DISTINCT segment_id) FROM segment_layout",
    "duplicate map cluster labels":
        "SELECT count(*) - count(DISTINCT (layout_id, cluster, language)) FROM layout_clusters",
    "map coordinates without an embedding":
        "SELECT count(*) FROM segment_layout l ANTI JOIN embeddings e USING (segment_id)",
    "map coordinates of another layout":
        "SELECT count(*) FROM segment_layout WHERE layout_id NOT IN (SELECT layout_id FROM layouts)",
    "labels outside their values":
        """SELECT (SELECT count(*) FROM stance_labels WHERE label NOT IN ('favor', 'against', 'none'))
                + (SELECT count(*) FROM agreement_labels WHERE label NOT IN ('agree', 'disagree', 'neutral')
                                                          OR kind NOT IN ('reply', 'reported'))
                + (SELECT count(*) FROM documents WHERE kind NOT IN ('conversation', 'news'))
                + (SELECT count(*) FROM label_overrides WHERE task NOT IN ('topic', 'stance', 'agreement'))
                + (SELECT count(*) FROM speaker_roles WHERE source NOT IN ('aliases', 'label', 'inferred'))""",
}


def check_warehouse(db: str | Path) -> list[str]:
    """Problems found, as one-line descriptions; empty when the warehouse is sound."""
    db = location(db)  # a single-file warehouse is refused with the command that moves it
    try:
        con = connect_read(db)
    except Exception as exc:
        return [f"{db}: cannot open ({exc})"]
    try:
        version = _schema_version(con)
        if version is not None and version > SCHEMA_VERSION:
            return [f"{db}: schema version {version} is newer than this stance's ({SCHEMA_VERSION}): upgrade stance"]
        has_embeddings = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'embeddings'").fetchone()[0]
        problems = []
        for name, sql in CHECKS.items():
            if "embeddings" in sql and not has_embeddings:
                continue
            n = _count(con, sql, version)
            if n:
                problems.append(f"{n} {name}")
        for view in VIEWS:  # they run (a view that no longer binds raises here)
            _count(con, f"SELECT count(*) FROM {view}", version)
        return problems
    finally:
        con.close()


def _count(con, sql: str, version: int | None) -> int | None:
    """The count `sql` gives; None where it needs a table or view of a later migration than
    the warehouse's, which the next run makes."""
    try:
        return con.execute(sql).fetchone()[0]
    except duckdb.CatalogException:
        if version == SCHEMA_VERSION:
            raise
        return None


def _schema_version(con) -> int | None:
    """The warehouse's schema version; None before its first migration committed. A run killed
    between two migrations (each its own transaction) leaves an older version, which is sound:
    the next run brings it up to date."""
    try:
        return con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    except duckdb.CatalogException:
        return None
