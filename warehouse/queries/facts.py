"""Running queries: the fact tables the aggregates run on, and helpers every module uses.

Speed: the documented views join and aggregate whole label tables on every use
(~0.7 s at a million segments), so the first query on a warehouse snapshot copies
them, once, into compact tables in the reader's private in-memory catalog
(`memory.main.statement_facts`, `memory.main.agreement_facts`; ~2 s at a million
segments) and the aggregates run there. A reader moves to a new snapshot after an ETL
run or a correction, and the copies are made again.
Segment texts are fetched for the few rows shown, never for whole aggregates.
"""
from __future__ import annotations

import threading

from warehouse.store import Reader

# The views reduced to the columns the dashboard filters and aggregates on. emb_row is
# the row of the segment's embedding (its rowid), which the in-memory index is keyed by.
# Rows are stored in a fixed pseudo-random order (sample_key), so the map's sample is
# simply the first matching rows.
STATEMENT_FACTS_SQL = """
    SELECT st.segment_id, st.document_id, st.kind, st.outlet, st.published, st.language, st.speaker_id,
           st.speaker, st.speaker_role, st.seq, st.topic, st.topic_score, st.stance,
           st.stance_score AS confidence, st.stance_source, {emb_row} AS emb_row,
           hash(st.segment_id) AS sample_key
    FROM wh.main.statements st {emb_join}
    ORDER BY sample_key, st.segment_id, st.topic"""
EMB_JOIN = """LEFT JOIN (SELECT segment_id, min(rowid) AS emb_row FROM wh.main.embeddings GROUP BY segment_id) e
              ON e.segment_id = st.segment_id"""
AGREEMENT_FACTS_SQL = """
    SELECT a.segment_id, a.target_segment_id, a.document_id, a.published, a.kind AS agreement_kind,
           d.kind, d.outlet, coalesce(s.language, d.language) AS language,
           a.speaker_id, a.speaker, sp.role AS speaker_role,
           a.target_speaker_id, a.target_speaker, tsp.role AS target_role,
           a.label, a.score AS confidence, a.label_source
    FROM wh.main.agreements a
    JOIN wh.main.documents d ON d.document_id = a.document_id
    JOIN wh.main.segments s ON s.segment_id = a.segment_id
    LEFT JOIN wh.main.speakers sp ON sp.speaker_id = a.speaker_id
    LEFT JOIN wh.main.speakers tsp ON tsp.speaker_id = a.target_speaker_id"""


FACTS = {"facts": "memory.main.statement_facts", "agreements": "memory.main.agreement_facts"}
_build_lock = threading.Lock()


def _statement_facts_sql(cur) -> str:
    if _table_exists(cur, "wh", "embeddings"):
        return STATEMENT_FACTS_SQL.format(emb_row="e.emb_row", emb_join=EMB_JOIN)
    return STATEMENT_FACTS_SQL.format(emb_row="NULL::BIGINT", emb_join="")


def _table_exists(cur, database: str, table: str) -> bool:
    return bool(cur.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                            [database, table]).fetchone()[0])


def _materialise_facts(cur) -> None:
    """Copy the views into the fact tables of this cursor's snapshot, once per snapshot."""
    if _table_exists(cur, "memory", "statement_facts"):
        return
    with _build_lock:
        if not _table_exists(cur, "memory", "statement_facts"):
            cur.execute(f"CREATE OR REPLACE TABLE {FACTS['agreements']} AS {AGREEMENT_FACTS_SQL}")
            cur.execute(f"CREATE TABLE {FACTS['facts']} AS {_statement_facts_sql(cur)}")


def _rows(reader: Reader, sql: str, params: list | None = None) -> list[dict]:
    """Run `sql` ({facts} / {agreements} name the fact tables) and return dicts."""
    cur = reader.cursor()
    try:
        _materialise_facts(cur)
        rel = cur.execute(sql.format(**FACTS), params or [])
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, row)) for row in rel.fetchall()]
    finally:
        cur.close()


def _one(reader: Reader, sql: str, params: list | None = None) -> dict | None:
    rows = _rows(reader, sql, params)
    return rows[0] if rows else None


def _ids_filter(column: str, ids: list[str]) -> str:
    """SQL keeping rows whose `column` is in a list parameter: a plain list test for a few
    ids (prunes by min/max), a semi-join for many (a hash lookup per row)."""
    if len(ids) <= 500:
        return f"list_contains(?::VARCHAR[], {column})"
    return f"{column} IN (SELECT unnest(?::VARCHAR[]))"


def _texts(reader: Reader, ids: list[str], chars: int | None = None) -> dict[str, str]:
    text = "text" if chars is None else f"left(text, {int(chars)})"
    sql = f"SELECT segment_id, {text} AS text FROM wh.main.segments WHERE {_ids_filter('segment_id', ids)}"
    rows = _rows(reader, sql, [ids]) if ids else []
    return {r["segment_id"]: r["text"] for r in rows}


def _with_text(reader: Reader, rows: list[dict], key: str = "segment_id", column: str = "text") -> list[dict]:
    """Add each row's segment text (fetched for these rows only)."""
    texts = _texts(reader, sorted({r[key] for r in rows if r.get(key)}))
    for r in rows:
        r[column] = texts.get(r.get(key))
    return rows


def _top_facts(columns: str, where: str, order: str) -> str:
    """SQL for the first rows of the statement facts by `order` (with a LIMIT ? parameter).

    Sorting only the row ids and then fetching the chosen rows is ~2x faster than
    sorting whole rows."""
    return f"""SELECT {columns} FROM {{facts}}
        WHERE rowid IN (SELECT rowid FROM {{facts}} WHERE {where} ORDER BY {order} LIMIT ?)
        ORDER BY {order}"""


def warm_up(reader: Reader) -> None:
    """Materialise the fact tables now (the dashboard calls this at start-up)."""
    _rows(reader, "SELECT 1")
