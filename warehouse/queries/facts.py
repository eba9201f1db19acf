"""Running queries: the fact tables the aggregates run on, and helpers every module uses.

Speed: the documented views join and aggregate whole label tables on every use
(~0.7 s at a million segments), so the first query on a warehouse snapshot copies
them, once, into compact tables in the reader's private in-memory catalog
(`memory.main.statement_facts`, `memory.main.agreement_facts`; ~2 s at a million
segments) and the aggregates run there. After an ETL run the copies are made again from
the new snapshot, by the first query that notices, while concurrent queries are answered
from the previous one (`served`). After corrections only, the corrected segments' rows are
replaced in the tables being served, in one transaction (~0.5 s at a million segments).
Segment texts are fetched for the few rows shown, never for whole aggregates.
"""
from __future__ import annotations

import logging
import threading
import weakref

import duckdb

from warehouse.roles import NON_PARTICIPANT_ROLES
from warehouse.location import sql_string
from warehouse.store import Reader, in_transaction

log = logging.getLogger("stance.queries")

# The views reduced to the columns the dashboard filters and aggregates on. emb_row is
# the row of the segment's embedding (its rowid), which the in-memory index is keyed by;
# cluster, x and y place the segment on the map; participant is false for moderators,
# questioners and the other roles that run a conversation rather than take part in it.
# Rows are stored in a fixed pseudo-random order (sample_key), so the map's sample is
# simply the first matching rows.
NON_PARTICIPANTS = "[" + ", ".join(f"'{r}'" for r in NON_PARTICIPANT_ROLES) + "]"
STATEMENT_FACTS_SQL = """
    SELECT st.segment_id, st.document_id, st.kind, st.outlet, st.published, st.language, st.speaker_id,
           st.speaker, st.speaker_role, NOT coalesce(list_contains({roles}, st.speaker_role), false) AS participant,
           st.seq, st.topic, st.topic_score, st.stance, st.stance_score AS confidence, st.stance_source,
           {emb_row} AS emb_row, {layout} hash(st.segment_id) AS sample_key
    FROM wh.main.statements st {emb_join} {layout_join}"""
FACTS_ORDER = {"facts": "ORDER BY sample_key, segment_id, topic", "agreements": ""}
EMB_JOIN = """LEFT JOIN (SELECT segment_id, min(rowid) AS emb_row FROM wh.main.embeddings GROUP BY segment_id) e
              ON e.segment_id = st.segment_id"""
LAYOUT_JOIN = "LEFT JOIN wh.main.segment_layout sl ON sl.segment_id = st.segment_id"
AGREEMENT_FACTS_SQL = f"""
    SELECT a.segment_id, a.target_segment_id, a.document_id, a.published, a.kind AS agreement_kind,
           d.kind, d.outlet, coalesce(s.language, d.language) AS language,
           a.speaker_id, a.speaker, sp.role AS speaker_role,
           NOT coalesce(list_contains({NON_PARTICIPANTS}, sp.role), false) AS speaker_participant,
           a.target_speaker_id, a.target_speaker, tsp.role AS target_role,
           NOT coalesce(list_contains({NON_PARTICIPANTS}, tsp.role), false) AS target_participant,
           a.label, a.score AS confidence, a.label_source
    FROM wh.main.agreements a
    JOIN wh.main.documents d ON d.document_id = a.document_id
    JOIN wh.main.segments s ON s.segment_id = a.segment_id
    LEFT JOIN wh.main.speakers sp ON sp.speaker_id = a.speaker_id
    LEFT JOIN wh.main.speakers tsp ON tsp.speaker_id = a.target_speaker_id"""


FACTS = {"facts": "memory.main.statement_facts", "agreements": "memory.main.agreement_facts",
         "segment_rows": "memory.main.segment_rows"}  # segment_id -> its row in wh.main.segments
FEW_TEXTS = 500
# What a DuckLake snapshot that only inserted corrections records (inlined or in a file), and
# the most corrected segments patched into the previous fact tables rather than built anew.
CORRECTION_CHANGES = {"inlined_insert", "tables_inserted_into"}
PATCH_LIMIT = 10_000


def _statement_facts_sql(cur) -> str:
    embeddings, layout = _table_exists(cur, "wh", "embeddings"), _table_exists(cur, "wh", "segment_layout")
    return STATEMENT_FACTS_SQL.format(
        roles=NON_PARTICIPANTS, emb_row="e.emb_row" if embeddings else "NULL::BIGINT",
        emb_join=EMB_JOIN if embeddings else "",
        layout="sl.cluster, sl.x, sl.y," if layout else "NULL::INTEGER AS cluster, NULL::FLOAT AS x, NULL::FLOAT AS y,",
        layout_join=LAYOUT_JOIN if layout else "")


def _table_exists(cur, database: str, table: str) -> bool:
    """A table or view (the warehouse's embeddings are a view over its stored vectors).

    Looked up by name, not in information_schema.tables: that lists every table with its
    statistics, which a DuckLake connection reads from the catalog the first time (~13 s
    on a loaded machine for a 100,000-segment warehouse whose column statistics take 224 MB
    of its catalog). A reader opens a new connection for each new snapshot, and a correction
    makes one, so every correction cost each concurrent request that much, several times."""
    try:
        cur.execute(f'SELECT 1 FROM "{database}".main."{table}" LIMIT 0')
    except duckdb.CatalogException:
        return False
    return True


def _materialise_facts(cur) -> None:
    """Copy the views into the fact tables of this cursor's snapshot (once per snapshot)."""
    if not _table_exists(cur, "memory", "statement_facts"):
        cur.execute(f"CREATE OR REPLACE TABLE {FACTS['segment_rows']} AS "
                    "SELECT segment_id, rowid AS seg_row FROM wh.main.segments")
        for name, sql in (("agreements", AGREEMENT_FACTS_SQL), ("facts", _statement_facts_sql(cur))):
            cur.execute(f"CREATE OR REPLACE TABLE {FACTS[name]} AS {sql} {FACTS_ORDER[name]}")


def _corrected_since(cur, since: int | None) -> dict[str, list[str]] | None:
    """The segments whose statements ('facts') or replies ('agreements') were corrected after
    snapshot `since`, up to the cursor's; None unless corrections are all that changed."""
    now = cur.execute("FROM ducklake_current_snapshot('wh')").fetchone()[0]
    if since is None or now is None or now <= since:
        return None
    table = cur.execute("SELECT table_id FROM ducklake_table_info('wh') "
                        "WHERE table_name = 'label_overrides'").fetchone()
    allowed = {str(table[0]), "main.label_overrides"} if table else set()
    for (changes,) in cur.execute(f"SELECT changes FROM wh.snapshots() "
                                  f"WHERE snapshot_id > {int(since)} AND snapshot_id <= {int(now)}").fetchall():
        if set(changes) - CORRECTION_CHANGES or not set().union(*changes.values()) <= allowed:
            return None
    rows = cur.execute(f"SELECT DISTINCT task, segment_id FROM wh.table_changes('label_overrides', "
                       f"{int(since) + 1}, {int(now)})").fetchall()
    if len(rows) > PATCH_LIMIT:
        return None
    return {"facts": sorted({s for task, s in rows if task != "agreement"}),
            "agreements": sorted({s for task, s in rows if task == "agreement"})}


def _patch(state: _Served, cur, corrected: dict[str, list[str]]) -> None:
    """Bring the served fact tables up to the cursor's snapshot, where it differs from theirs
    by corrections only: the corrected segments' rows, made anew from the views on `cur`,
    replace theirs in one transaction (concurrent queries see the tables before or after)."""
    fresh = {}
    for name, sql in (("agreements", AGREEMENT_FACTS_SQL), ("facts", _statement_facts_sql(cur))):
        if corrected[name]:  # literal ids: a bound list is not pushed into the views' scans (2x slower)
            ids = ", ".join(map(sql_string, corrected[name]))
            fresh[name] = cur.execute(f"SELECT * FROM ({sql}) WHERE segment_id IN ({ids})").to_arrow_table()
    with state.ready:  # cursors of one connection are made one at a time
        con = state.con.cursor()
    try:
        with in_transaction(con):
            for name, rows in fresh.items():
                con.register("fresh", rows)
                _replace_rows(con, FACTS[name], rows.column_names, name == "facts")
                con.unregister("fresh")
    finally:
        con.close()


def _replace_rows(con, table: str, columns: list[str], keep_order: bool) -> None:
    """Replace the rows of the segments in `fresh` with fresh's. With `keep_order`, a row whose
    (segment, topic) stays is updated where it is (the map samples rows in stored order); a
    segment's new topics are added at the end."""
    if not keep_order:
        con.execute(f"DELETE FROM {table} WHERE segment_id IN (SELECT segment_id FROM fresh)")
        con.execute(f"INSERT INTO {table} SELECT * FROM fresh")
        return
    same = "t.segment_id = n.segment_id AND t.topic = n.topic"
    values = ", ".join(f"{c} = n.{c}" for c in columns if c not in ("segment_id", "topic"))
    con.execute(f"UPDATE {table} t SET {values} FROM fresh n WHERE {same}")
    con.execute(f"""DELETE FROM {table} t WHERE segment_id IN (SELECT segment_id FROM fresh)
                    AND NOT EXISTS (SELECT 1 FROM fresh n WHERE {same})""")
    con.execute(f"INSERT INTO {table} SELECT * FROM fresh n WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same})")


class _Served:
    """A reader's snapshot whose fact tables are built: the one queries run on."""

    def __init__(self):
        self.ready = threading.Condition()
        self.con = None  # a connection with the fact tables
        self.version = None  # the snapshot they hold (their connection's, or a later one that added corrections only)
        self.building = False


_SERVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SERVED_LOCK = threading.Lock()


def _served(reader: Reader) -> _Served:
    with _SERVED_LOCK:
        return _SERVED.setdefault(reader, _Served())


def served(reader: Reader, wait: bool = False) -> tuple[object, tuple | None]:
    """(connection, version) of the snapshot to query. When a writer has swapped in a new
    version, the first caller builds its fact tables (~2 s at a million segments) while
    concurrent callers are served the previous snapshot; with `wait`, or before any
    snapshot is ready, a caller waits for the build in progress."""
    state = _served(reader)
    current = reader.snapshot()
    with state.ready:
        while True:
            if state.con is not None and state.version == current:
                return state.con, state.version
            if not state.building:
                state.building = True
                break
            if state.con is not None and not wait:
                return state.con, state.version
            state.ready.wait()
    try:
        cur = reader.cursor()
        corrected = _corrected_since(cur, state.version) if state.con is not None else None
        log.info("fact tables %s", "built from the views" if corrected is None else
                 f"patched for {sum(map(len, corrected.values()))} corrected segment(s)")
        if corrected is None:
            _materialise_facts(cur)
            con = cur
        else:
            _patch(state, cur, corrected)
            cur.close()
            con = state.con
        with state.ready:
            state.con, state.version = con, current
    finally:
        with state.ready:
            state.building = False
            state.ready.notify_all()
    return con, current


def facts_cursor(reader: Reader):
    """A cursor on the served snapshot, with the fact tables built; close it after use."""
    con, _ = served(reader)
    with _served(reader).ready:  # cursors of one connection are made one at a time
        cur = con.cursor()
    cur.execute("USE wh")
    return cur


def facts_version(reader: Reader) -> tuple | None:
    """The version of the warehouse the queries answer from now (for caching their results)."""
    return served(reader)[1]


def _rows(reader: Reader, sql: str, params: list | dict | None = None) -> list[dict]:
    """Run `sql` ({facts} / {agreements} name the fact tables) and return dicts."""
    cur = facts_cursor(reader)
    try:
        rel = cur.execute(sql.format(**FACTS), params or [])
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, row)) for row in rel.fetchall()]
    finally:
        cur.close()


def _one(reader: Reader, sql: str, params: list | dict | None = None) -> dict | None:
    rows = _rows(reader, sql, params)
    return rows[0] if rows else None


# DuckDB (1.5) probes for pandas once per element when it binds a Python list parameter:
# without pandas installed, that is a failed import per element, ~0.1-0.7 ms each. Long
# lists (the texts of a map's 6,000 points, a search's hits) therefore travel as one string
# joined with SEP and are split in SQL.
SEP = "\x1f"


def joined(values) -> str:
    """A list parameter as one string, for `string_split(?, chr(31))` in SQL."""
    return SEP.join(str(v) for v in values)


def _ids_filter(column: str, ids: list[str]) -> str:
    """SQL keeping rows whose `column` is one of `ids` (given as joined(ids)). A semi-join, which
    DuckDB pushes into the warehouse's Parquet scan as a filter on the id column (3-4x faster at
    1,000,000 segments than list_contains, which reads every row's text)."""
    return f"{column} IN (SELECT unnest(string_split(?, chr(31))))"


def _texts(reader: Reader, ids: list[str], chars: int | None = None) -> dict[str, str]:
    """The texts of these segments. A few are read by their stored rows' numbers, as literals
    (looked up in `segment_rows`): DuckLake then reads only the row groups that hold them (~10
    ms at a million segments, where a filter on the ids decodes every stored id, ~25 ms)."""
    if not ids:
        return {}
    text = "text" if chars is None else f"left(text, {int(chars)})"
    if len(ids) > FEW_TEXTS:
        sql = f"SELECT segment_id, {text} AS text FROM wh.main.segments WHERE {_ids_filter('segment_id', ids)}"
        return {r["segment_id"]: r["text"] for r in _rows(reader, sql, [joined(ids)])}
    cur = facts_cursor(reader)  # (not _rows: the ids are literals, which str.format must not see)
    try:
        found = cur.execute(f"SELECT seg_row FROM {FACTS['segment_rows']} "
                            f"WHERE segment_id IN ({', '.join(map(sql_string, ids))})").fetchall()
        rows = ", ".join(str(int(r)) for (r,) in found)
        return dict(cur.execute(f"SELECT segment_id, {text} FROM wh.main.segments WHERE rowid IN ({rows})")
                    .fetchall()) if found else {}
    finally:
        cur.close()


def _with_text(reader: Reader, rows: list[dict], key: str = "segment_id", column: str = "text",
               also: tuple[str, str] | None = None) -> list[dict]:
    """Add each row's segment text (fetched for these rows only); `also` = (key, column) adds a
    second one, such as a reply's target, in the same fetch."""
    pairs = [(key, column), *([also] if also else [])]
    texts = _texts(reader, sorted({r[k] for r in rows for k, _ in pairs if r.get(k)}))
    for r in rows:
        for k, c in pairs:
            r[c] = texts.get(r.get(k))
    return rows


def _top_facts(columns: str, where: str, order: str) -> str:
    """SQL for the first rows of the statement facts by `order` (with a LIMIT ? parameter).

    Sorting only the row ids and then fetching the chosen rows is ~2x faster than
    sorting whole rows."""
    return f"""SELECT {columns} FROM {{facts}}
        WHERE rowid IN (SELECT rowid FROM {{facts}} WHERE {where} ORDER BY {order} LIMIT ?)
        ORDER BY {order}"""


def warm_up(reader: Reader) -> None:
    """Build the fact tables of the warehouse as it is now, waiting for a build in progress
    (the dashboard calls this at start-up, and after a correction so that its author sees it)."""
    reader.snapshot(fresh=True)
    served(reader, wait=True)
