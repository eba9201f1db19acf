"""Every query the dashboard runs, as small functions over a `Reader`.

Each function takes a `warehouse.store.Reader` (plus a `Filters` where the global
filters apply) and returns plain Python: lists of dicts, or a small value. SQL is
always parameterised: user values travel as parameters, never inside the SQL text;
only constants of this module (identifiers, integers) are formatted into it.

Speed: the documented views join and aggregate whole label tables on every use
(~0.7 s at a million segments), so the first query on a warehouse snapshot copies
them, once, into compact tables in the reader's private in-memory catalog
(`memory.main.statement_facts`, `memory.main.agreement_facts`; ~2 s at a million
segments) and the aggregates run there. A reader moves to a new snapshot after an ETL
run or a correction, and the copies are made again.
Segment texts are fetched for the few rows shown, never for whole aggregates.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from warehouse.store import Reader, retry_conflicts, transaction

STANCES = ("favor", "against", "none")
AGREEMENT_LABELS = ("agree", "disagree", "neutral")
OVERRIDE_TASKS = ("topic", "stance", "agreement")
KINDS = ("conversation", "news")
BUCKETS = ("week", "month", "quarter", "year")


# --- filters ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """The global filters of the dashboard. Empty tuples and None mean 'no restriction'.

    min_confidence applies to the stance label's score (1.0 for human corrections) and,
    on the agreement page, to the agreement label's score.
    """

    start: dt.date | None = None
    end: dt.date | None = None
    topics: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()  # speaker_id values
    kind: str | None = None  # 'conversation' | 'news'
    outlets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    min_confidence: float = 0.0
    include_moderators: bool = True
    include_narration: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"] = self.start.isoformat() if self.start else None
        d["end"] = self.end.isoformat() if self.end else None
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Filters":
        """Tolerant of missing keys and junk values (the dict may come from a URL)."""
        d = d or {}
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known and v is not None}
        for key in ("start", "end"):
            d[key] = _parse_date(d.get(key))
        for key in ("topics", "speakers", "outlets", "languages"):
            value = d.get(key, ())
            d[key] = tuple(str(x) for x in ([value] if isinstance(value, str) else value) if str(x))
        if d.get("kind") not in KINDS:
            d["kind"] = None
        try:
            d["min_confidence"] = min(1.0, max(0.0, float(d.get("min_confidence", 0.0))))
        except (TypeError, ValueError):
            d["min_confidence"] = 0.0
        for key in ("include_moderators", "include_narration"):
            if key in d:
                d[key] = bool(d[key])
        return cls(**d)


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _where(f: Filters, table: str = "statements", alias: str = "") -> tuple[str, list]:
    """SQL conditions and their parameters for the filters, on statement or agreement facts."""
    a = f"{alias}." if alias else ""
    clauses, params = ["TRUE"], []

    def add(sql: str, *values) -> None:
        clauses.append(sql)
        params.extend(values)

    if f.start:
        add(f"{a}published >= ?", f.start)
    if f.end:
        add(f"{a}published <= ?", f.end)
    if f.kind:
        add(f"{a}kind = ?", f.kind)
    if f.outlets:
        add(f"list_contains(?, {a}outlet)", list(f.outlets))
    if f.languages:
        add(f"list_contains(?, {a}language)", list(f.languages))
    if f.min_confidence > 0:
        add(f"{a}confidence >= ?", f.min_confidence)
    if table == "statements":
        if f.topics:
            add(f"list_contains(?, {a}topic)", list(f.topics))
        if f.speakers:
            add(f"list_contains(?, {a}speaker_id)", list(f.speakers))
        if not f.include_moderators:
            add(f"{a}speaker_role IS DISTINCT FROM 'moderator'")
        if not f.include_narration:
            add(f"{a}speaker_id IS NOT NULL")
    else:  # agreements: both people are named; filter on either side
        if f.topics:
            add(f"{a}segment_id IN (SELECT segment_id FROM {{facts}} WHERE list_contains(?, topic))", list(f.topics))
        if f.speakers:
            add(f"(list_contains(?, {a}speaker_id) OR list_contains(?, {a}target_speaker_id))",
                list(f.speakers), list(f.speakers))
        if not f.include_moderators:
            add(f"{a}speaker_role IS DISTINCT FROM 'moderator' AND {a}target_role IS DISTINCT FROM 'moderator'")
    return " AND ".join(clauses), params


# --- running queries ---------------------------------------------------------------------------
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
    """A table or view (the warehouse's embeddings are a view over its stored vectors)."""
    return bool(cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? AND table_name = ?",
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
    """SQL keeping rows whose `column` is in a list parameter. A semi-join, which DuckDB
    pushes into the warehouse's Parquet scan as a filter on the id column (3-4x faster at
    1,000,000 segments than list_contains, which reads every row's text)."""
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


# --- filter choices and headline numbers -------------------------------------------------------
def filter_options(reader: Reader) -> dict:
    """Choices for the filter controls: topics, speakers, outlets, languages, date range."""
    speakers = _rows(reader, """
        SELECT speaker_id, any_value(speaker) AS name, any_value(speaker_role) AS role, count(*) AS n
        FROM {facts} WHERE speaker_id IS NOT NULL GROUP BY speaker_id ORDER BY n DESC, speaker_id""")
    docs = _one(reader, """
        SELECT list(DISTINCT outlet ORDER BY outlet) FILTER (WHERE outlet IS NOT NULL) AS outlets,
               list(DISTINCT language ORDER BY language) FILTER (WHERE language IS NOT NULL) AS languages,
               min(published) AS first, max(published) AS last
        FROM wh.main.documents""")
    topics = _rows(reader, "SELECT DISTINCT topic FROM {facts} ORDER BY topic = 'other', topic")
    languages = _rows(reader, "SELECT DISTINCT language FROM {facts} WHERE language IS NOT NULL")
    return {
        "topics": [t["topic"] for t in topics],
        "speakers": speakers,
        "outlets": docs["outlets"] or [],
        "languages": sorted(set(docs["languages"] or []) | {r["language"] for r in languages}),
        "first": docs["first"],
        "last": docs["last"],
    }


def summary(reader: Reader, f: Filters) -> dict:
    """Headline counts under the filters."""
    where, params = _where(f)
    return _one(reader, f"""
        SELECT count(*) AS statements, count(*) FILTER (WHERE stance = 'favor') AS favor,
               count(*) FILTER (WHERE stance = 'against') AS against,
               count(*) FILTER (WHERE stance = 'none') AS "none",
               count(DISTINCT speaker_id) AS speakers, count(DISTINCT document_id) AS documents
        FROM {{facts}} WHERE {where}""", params)


# --- overview ------------------------------------------------------------------------------------
def speaker_topic_matrix(reader: Reader, f: Filters, top_speakers: int = 25) -> list[dict]:
    """Statements per (speaker, topic) for the most active speakers: n, favor, against, net.

    net = (favor - against) / n; rank 1 = the speaker with most statements.
    """
    where, params = _where(f)
    return _rows(reader, f"""
        WITH cells AS (
            SELECT speaker_id, any_value(speaker) AS speaker, topic, count(*) AS n,
                   count(*) FILTER (WHERE stance = 'favor') AS favor,
                   count(*) FILTER (WHERE stance = 'against') AS against
            FROM {{facts}} WHERE {where} AND speaker_id IS NOT NULL
            GROUP BY speaker_id, topic
        ), ranked AS (
            SELECT speaker_id, row_number() OVER (ORDER BY sum(n) DESC, speaker_id) AS rank
            FROM cells GROUP BY speaker_id
        )
        SELECT c.*, (c.favor - c.against) / c.n AS net, r.rank
        FROM cells c JOIN ranked r USING (speaker_id)
        WHERE r.rank <= ?
        ORDER BY r.rank, c.topic""", params + [top_speakers])


def topic_share(reader: Reader, f: Filters, bucket: str = "month") -> list[dict]:
    """Statements per topic per period, as a share of all statements in that period.

    The denominator ignores the topic filter, so a selected topic's share stays honest.
    """
    _check_bucket(bucket)
    where, params = _where(replace(f, topics=()))
    return _rows(reader, f"""
        WITH counts AS (
            SELECT period, topic, count(*) AS n
            FROM (SELECT date_trunc(?, published) AS period, topic FROM {{facts}}
                  WHERE {where} AND published IS NOT NULL)
            GROUP BY period, topic
        ), shares AS (
            SELECT period, topic, n, sum(n) OVER (PARTITION BY period) AS total FROM counts
        )
        SELECT period, topic, n, total, n / total AS share FROM shares
        WHERE len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], topic)
        ORDER BY period, topic""", [bucket] + params + [list(f.topics)] * 2)


def _check_bucket(bucket: str) -> None:
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")


def top_speakers_by_topic(reader: Reader, f: Filters, k: int = 5) -> list[dict]:
    """The k speakers with most statements on each topic, with their net stance."""
    where, params = _where(f)
    return _rows(reader, f"""
        SELECT * FROM (
            SELECT topic, speaker_id, any_value(speaker) AS speaker, count(*) AS n,
                   (count(*) FILTER (WHERE stance = 'favor') - count(*) FILTER (WHERE stance = 'against'))
                     / count(*) AS net
            FROM {{facts}} WHERE {where} AND speaker_id IS NOT NULL
            GROUP BY topic, speaker_id
        ) QUALIFY row_number() OVER (PARTITION BY topic ORDER BY n DESC, speaker_id) <= ?
        ORDER BY topic, n DESC, speaker_id""", params + [k])


STATEMENT_COLUMNS = """segment_id, document_id, published, kind, outlet, language, speaker_id, speaker,
       topic, stance, confidence, stance_source"""


def statements(reader: Reader, f: Filters, *, speaker_id: str | None = None, topic: str | None = None,
               stance: str | None = None, period_start: dt.date | None = None, period_end: dt.date | None = None,
               document_id: str | None = None, limit: int = 200) -> list[dict]:
    """The statements behind a chart mark (newest first): the filters plus the mark's own
    restrictions; period_end is exclusive."""
    where, params = _where(f)
    for sql, value in {"speaker_id = ?": speaker_id, "topic = ?": topic, "stance = ?": stance,
                       "published >= ?": period_start, "published < ?": period_end,
                       "document_id = ?": document_id}.items():
        if value is not None:
            where += f" AND {sql}"
            params.append(value)
    sql = _top_facts(STATEMENT_COLUMNS, where, "published DESC, segment_id, topic")
    return _with_text(reader, _rows(reader, sql, params + [limit]))


def count_statements(reader: Reader, f: Filters, *, speaker_id: str | None = None, topic: str | None = None) -> int:
    """How many statements match (e.g. one heatmap cell)."""
    where, params = _where(f)
    for sql, value in {"speaker_id = ?": speaker_id, "topic = ?": topic}.items():
        if value is not None:
            where += f" AND {sql}"
            params.append(value)
    return _one(reader, f"SELECT count(*) AS n FROM {{facts}} WHERE {where}", params)["n"]


def statements_by_id(reader: Reader, segment_ids: list[str]) -> list[dict]:
    """All statements (one per topic) of the given segments."""
    return _with_text(reader, _rows(reader, f"""
        SELECT {STATEMENT_COLUMNS} FROM {{facts}} WHERE list_contains(?, segment_id)
        ORDER BY published DESC, segment_id, topic""", [list(segment_ids)]))


# --- speaker --------------------------------------------------------------------------------------
def speaker_info(reader: Reader, speaker_id: str) -> dict | None:
    """Name, role, number of statements and first / last date of one speaker."""
    return _one(reader, """
        SELECT sp.speaker_id, sp.name, sp.role, count(f.segment_id) AS statements,
               min(f.published) AS first, max(f.published) AS last
        FROM wh.main.speakers sp LEFT JOIN {facts} f ON f.speaker_id = sp.speaker_id
        WHERE sp.speaker_id = ? GROUP BY ALL""", [speaker_id])


def speaker_stance_over_time(reader: Reader, f: Filters, speaker_id: str, bucket: str = "quarter") -> list[dict]:
    """A speaker's statements per topic per period, with net stance."""
    _check_bucket(bucket)
    where, params = _where(f)
    return _rows(reader, f"""
        SELECT period, topic, count(*) AS n,
               count(*) FILTER (WHERE stance = 'favor') AS favor,
               count(*) FILTER (WHERE stance = 'against') AS against,
               (count(*) FILTER (WHERE stance = 'favor') - count(*) FILTER (WHERE stance = 'against')) / count(*) AS net
        FROM (SELECT date_trunc(?, published) AS period, topic, stance FROM {{facts}}
              WHERE {where} AND speaker_id = ? AND published IS NOT NULL)
        GROUP BY period, topic ORDER BY period, topic""", [bucket] + params + [speaker_id])


def representative_quotes(reader: Reader, f: Filters, speaker_id: str, per_topic: int = 3,
                          sample: int = 250) -> list[dict]:
    """Per topic, the speaker's statements nearest to the centroid of their statements on it.

    Both the centroid and the candidates are a deterministic sample of up to `sample`
    statements per topic, which keeps prolific speakers fast; similarity is
    array_cosine_similarity to the centroid.
    """
    dim = embedding_dim(reader)
    if not dim:
        return []
    where, params = _where(f)
    return _with_text(reader, _rows(reader, f"""
        WITH mine AS (
            SELECT segment_id, topic, stance, confidence, published, document_id, emb_row
            FROM {{facts}} WHERE {where} AND speaker_id = ? AND topic <> 'other' AND emb_row IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY topic ORDER BY hash(segment_id), segment_id) <= ?
        ), vec AS MATERIALIZED (
            SELECT m.*, e.vector FROM mine m JOIN wh.main.embeddings e ON e.rowid = m.emb_row
        ), centroid AS (
            SELECT topic, list(x ORDER BY i)::FLOAT[{int(dim)}] AS c
            FROM (SELECT topic, i, avg(vector[i]) AS x FROM vec, range(1, {int(dim) + 1}) r(i) GROUP BY topic, i)
            GROUP BY topic
        )
        SELECT v.topic, v.stance, v.confidence, array_cosine_similarity(v.vector, c.c) AS similarity,
               v.published, v.segment_id, v.document_id
        FROM vec v JOIN centroid c USING (topic)
        QUALIFY row_number() OVER (PARTITION BY v.topic ORDER BY similarity DESC, v.segment_id) <= ?
        ORDER BY v.topic, similarity DESC""", params + [speaker_id, sample, per_topic]))


def speaker_partners(reader: Reader, f: Filters, speaker_id: str, limit: int = 20) -> list[dict]:
    """Whom a speaker agrees / disagrees with (replies and reported), most interactions first."""
    where, params = _where(f, "agreements")
    return _rows(reader, f"""
        SELECT target_speaker_id AS other_id, any_value(target_speaker) AS other, count(*) AS n,
               count(*) FILTER (WHERE label = 'agree') AS agree,
               count(*) FILTER (WHERE label = 'disagree') AS disagree,
               count(*) FILTER (WHERE label = 'neutral') AS neutral
        FROM {{agreements}} WHERE {where} AND speaker_id = ? AND target_speaker_id IS NOT NULL
        GROUP BY target_speaker_id ORDER BY n DESC, other_id LIMIT ?""", params + [speaker_id, limit])


# --- agreement -------------------------------------------------------------------------------------
def agreement_matrix(reader: Reader, f: Filters, kind: str = "reply", top_speakers: int = 25) -> list[dict]:
    """Agreement from speaker to target among the most active speakers, for one kind:
    n, agree, disagree, net = (agree - disagree) / n."""
    if kind not in ("reply", "reported"):
        raise ValueError("kind must be 'reply' or 'reported'")
    where, params = _where(f, "agreements")
    return _rows(reader, f"""
        WITH pairs AS (
            SELECT speaker_id, any_value(speaker) AS speaker, target_speaker_id, any_value(target_speaker) AS target,
                   count(*) AS n, count(*) FILTER (WHERE label = 'agree') AS agree,
                   count(*) FILTER (WHERE label = 'disagree') AS disagree
            FROM {{agreements}} WHERE {where} AND agreement_kind = ? AND target_speaker_id IS NOT NULL
            GROUP BY speaker_id, target_speaker_id
        ), active AS (
            SELECT id FROM (SELECT speaker_id AS id, n FROM pairs UNION ALL SELECT target_speaker_id, n FROM pairs)
            GROUP BY id ORDER BY sum(n) DESC, id LIMIT ?
        )
        SELECT *, (agree - disagree) / n AS net FROM pairs
        WHERE speaker_id IN (SELECT id FROM active) AND target_speaker_id IN (SELECT id FROM active)
        ORDER BY speaker, target""", params + [kind, top_speakers])


def agreement_pairs(reader: Reader, f: Filters, speaker_ids: list[str], kind: str = "reply",
                    min_n: int = 1) -> list[dict]:
    """Agreement between the given speakers (both sides in the list), pairs with >= min_n labels."""
    where, params = _where(f, "agreements")
    return _rows(reader, f"""
        SELECT speaker_id, any_value(speaker) AS speaker, target_speaker_id, any_value(target_speaker) AS target,
               count(*) AS n, count(*) FILTER (WHERE label = 'agree') AS agree,
               count(*) FILTER (WHERE label = 'disagree') AS disagree,
               (count(*) FILTER (WHERE label = 'agree') - count(*) FILTER (WHERE label = 'disagree')) / count(*) AS net
        FROM {{agreements}}
        WHERE {where} AND agreement_kind = ? AND list_contains(?::VARCHAR[], speaker_id)
          AND list_contains(?::VARCHAR[], target_speaker_id)
        GROUP BY speaker_id, target_speaker_id HAVING count(*) >= ?
        ORDER BY n DESC, speaker_id, target_speaker_id""",
        params + [kind, list(speaker_ids), list(speaker_ids), min_n])


def agreement_statements(reader: Reader, f: Filters, *, speaker_id: str | None = None,
                         target_speaker_id: str | None = None, kind: str | None = None,
                         label: str | None = None, limit: int = 200) -> list[dict]:
    """The agreement rows behind a matrix cell or network edge, with both texts."""
    where, params = _where(f, "agreements")
    for sql, value in {"speaker_id = ?": speaker_id, "target_speaker_id = ?": target_speaker_id,
                       "agreement_kind = ?": kind, "label = ?": label}.items():
        if value is not None:
            where += f" AND {sql}"
            params.append(value)
    rows = _rows(reader, f"""
        SELECT segment_id, target_segment_id, document_id, published, agreement_kind, speaker_id, speaker,
               target_speaker_id, target_speaker, label, confidence
        FROM {{agreements}} WHERE {where} ORDER BY published DESC, segment_id LIMIT ?""", params + [limit])
    return _with_text(reader, _with_text(reader, rows), key="target_segment_id", column="target_text")


def stance_profiles(reader: Reader, f: Filters, top_speakers: int = 40, min_statements: int = 20) -> list[dict]:
    """Net stance per topic for the most active speakers (topic 'other' left out)."""
    rows = speaker_topic_matrix(reader, f, top_speakers)
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["speaker_id"]] = totals.get(r["speaker_id"], 0) + r["n"]
    return [r for r in rows if r["topic"] != "other" and totals[r["speaker_id"]] >= min_statements]


def contested_statements(reader: Reader, f: Filters, camps: dict[str, int], min_votes: int = 3,
                         limit: int = 15) -> list[dict]:
    """Statements replied to by people of at least two camps, scored pol.is-style.

    Per camp, the share of its replies that agree. consensus = the lowest camp share
    (high when every camp agrees); divisiveness = highest minus lowest camp share.
    Returns the `limit` most consensual (kind 'consensus') and most divisive ('divisive').
    """
    where, params = _where(f, "agreements")
    rows = _rows(reader, f"""
        WITH camp AS (SELECT unnest(?::VARCHAR[]) AS speaker_id, unnest(?::INTEGER[]) AS camp),
        replies AS (  -- replies by camp members only
            SELECT a.target_segment_id, a.target_speaker, a.label, c.camp
            FROM {{agreements}} a JOIN camp c USING (speaker_id)
            WHERE {where} AND a.agreement_kind = 'reply' AND a.target_segment_id IS NOT NULL
        ), answered AS (
            SELECT target_segment_id FROM replies GROUP BY target_segment_id
            HAVING count(*) >= ? AND count(DISTINCT camp) >= 2
        ), votes AS (
            SELECT target_segment_id AS segment_id, any_value(target_speaker) AS speaker, camp, count(*) AS n,
                   count(*) FILTER (WHERE label = 'agree') / count(*) AS agree_rate
            FROM replies SEMI JOIN answered USING (target_segment_id)
            GROUP BY target_segment_id, camp
        ), scored AS (
            SELECT segment_id, any_value(speaker) AS speaker, sum(n) AS votes, count(*) AS camps,
                   sum(agree_rate * n) / sum(n) AS agree_rate,
                   min(agree_rate) AS consensus, max(agree_rate) - min(agree_rate) AS divisiveness,
                   string_agg(camp || ': ' || round(100 * agree_rate) || '% of ' || n, ', ' ORDER BY camp) AS by_camp
            FROM votes GROUP BY segment_id
        )
        (SELECT 'consensus' AS kind, * FROM scored ORDER BY consensus DESC, votes DESC, segment_id LIMIT ?)
        UNION ALL
        (SELECT 'divisive' AS kind, * FROM scored ORDER BY divisiveness DESC, votes DESC, segment_id LIMIT ?)""",
        [list(camps), [int(v) for v in camps.values()]] + params + [min_votes, limit, limit])
    return _with_text(reader, rows)


# --- search -----------------------------------------------------------------------------------------
def _like_pattern(keyword: str) -> str:
    escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_where(f: Filters, keyword: str | None) -> tuple[str, list]:
    where, params = _where(f)
    if keyword:
        where += " AND segment_id IN (SELECT segment_id FROM wh.main.segments WHERE text ILIKE ? ESCAPE '\\')"
        params.append(_like_pattern(keyword))
    return where, params


def matching_embedding_rows(reader: Reader, f: Filters, keyword: str | None = None) -> np.ndarray:
    """Embedding rows (rowids) of the segments matching the filters and keyword; a segment
    with several topics appears once per topic."""
    where, params = _search_where(f, keyword)
    cur = reader.cursor()
    try:
        _materialise_facts(cur)
        got = cur.execute(f"SELECT emb_row FROM {FACTS['facts']} WHERE {where} AND emb_row IS NOT NULL",
                          params).fetchnumpy()
        return np.asarray(got["emb_row"], dtype=np.int64)
    finally:
        cur.close()


SEARCH_COLUMNS = """f.segment_id, f.document_id, f.published, f.kind, f.outlet, f.language, f.speaker, f.speaker_id,
               f.topic, f.stance, f.confidence"""


def search(reader: Reader, f: Filters, keyword: str | None = None, vector: np.ndarray | None = None,
           limit: int = 50) -> list[dict]:
    """Segments matching the filters and `keyword` (case-insensitive substring), one row
    each (its best topic): by cosine similarity to `vector` (exact, in DuckDB), else newest first."""
    where, params = _search_where(f, keyword)
    if vector is None:
        hits = f"""SELECT segment_id, NULL::DOUBLE AS score FROM {{facts}} WHERE {where}
                   GROUP BY segment_id ORDER BY max(published) DESC, segment_id LIMIT ?"""
        pre = []
    else:
        hits = f"""SELECT e.segment_id, array_cosine_similarity(e.vector, ?::FLOAT[{len(vector)}]) AS score
                   FROM wh.main.embeddings e
                   WHERE e.segment_id IN (SELECT segment_id FROM {{facts}} WHERE {where})
                   ORDER BY score DESC, e.segment_id LIMIT ?"""
        pre = [[float(x) for x in vector]]
    where_f, params_f = _where(f, alias="f")
    return _with_text(reader, _rows(reader, f"""
        WITH hits AS ({hits})
        SELECT {SEARCH_COLUMNS}, h.score
        FROM hits h JOIN {{facts}} f USING (segment_id)
        WHERE {where_f}
        QUALIFY row_number() OVER (PARTITION BY f.segment_id ORDER BY f.topic_score DESC, f.topic) = 1
        ORDER BY h.score DESC NULLS LAST, f.published DESC, f.segment_id""", pre + params + [limit] + params_f))


def search_results(reader: Reader, f: Filters, emb_rows: list[int], scores: list[float]) -> list[dict]:
    """Rows for hits of the in-memory index (embedding rows and scores), best first."""
    where, params = _where(f, alias="f")
    return _with_text(reader, _rows(reader, f"""
        WITH hits AS (SELECT unnest(?::BIGINT[]) AS emb_row, unnest(?::DOUBLE[]) AS score)
        SELECT {SEARCH_COLUMNS}, h.score
        FROM hits h JOIN {{facts}} f USING (emb_row)
        WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY f.segment_id ORDER BY f.topic_score DESC, f.topic) = 1
        ORDER BY h.score DESC, f.segment_id""", [[int(x) for x in emb_rows], [float(x) for x in scores]] + params))


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


# --- document ---------------------------------------------------------------------------------------
def document(reader: Reader, document_id: str) -> dict | None:
    """A document's metadata and its number of segments."""
    return _one(reader, """
        SELECT document_id, kind, title, outlet, url, published, language, source_file, format,
               (SELECT count(*) FROM wh.main.segments s WHERE s.document_id = d.document_id) AS segments
        FROM wh.main.documents d WHERE document_id = ?""", [document_id])


def segment_position(reader: Reader, document_id: str, segment_id: str) -> int | None:
    """How many segments of the document come before this one (None if not in it)."""
    row = _one(reader, """
        SELECT (SELECT count(*) FROM wh.main.segments s WHERE s.document_id = t.document_id AND s.seq < t.seq) AS n
        FROM wh.main.segments t WHERE t.document_id = ? AND t.segment_id = ?""", [document_id, segment_id])
    return row["n"] if row else None


def find_documents(reader: Reader, text: str | None = None, limit: int = 30) -> list[dict]:
    """Documents whose title, id or outlet contains `text` (newest first); all when empty."""
    pattern = _like_pattern(text or "")
    return _rows(reader, """
        SELECT document_id, title, kind, outlet, published FROM wh.main.documents
        WHERE title ILIKE ? ESCAPE '\\' OR document_id ILIKE ? ESCAPE '\\' OR outlet ILIKE ? ESCAPE '\\'
        ORDER BY published DESC NULLS LAST, document_id LIMIT ?""", [pattern, pattern, pattern, limit])


def document_segments(reader: Reader, document_id: str, offset: int = 0, limit: int = 1000) -> list[dict]:
    """A document's segments in order (`limit` from `offset`), with speaker, topics, main
    stance and reply links."""
    return _rows(reader, """
        WITH labels AS (
            SELECT segment_id, list(topic ORDER BY topic_score DESC, topic) AS topics,
                   arg_max(topic, topic_score) AS topic, arg_max(stance, topic_score) AS stance,
                   arg_max(confidence, topic_score) AS confidence
            FROM {facts} WHERE document_id = ? GROUP BY segment_id
        )
        SELECT s.segment_id, s.seq, s.turn_index, s.speaker_id, sp.name AS speaker, sp.role AS speaker_role,
               t.speaker_label, s.text, coalesce(s.language, d.language) AS language, s.reply_to,
               rsp.name AS reply_to_speaker, s.attribution_method, s.attribution_confidence,
               s.attribution_evidence, s.start_s, l.topics, l.topic, l.stance, l.confidence
        FROM wh.main.segments s
        JOIN wh.main.documents d USING (document_id)
        LEFT JOIN wh.main.turns t USING (document_id, turn_index)
        LEFT JOIN wh.main.speakers sp ON sp.speaker_id = s.speaker_id
        LEFT JOIN wh.main.segments r ON r.segment_id = s.reply_to
        LEFT JOIN wh.main.speakers rsp ON rsp.speaker_id = r.speaker_id
        LEFT JOIN labels l ON l.segment_id = s.segment_id
        WHERE s.document_id = ?
        ORDER BY s.seq LIMIT ? OFFSET ?""", [document_id, document_id, limit, offset])


# --- map --------------------------------------------------------------------------------------------
def map_sample(reader: Reader, f: Filters, limit: int = 20000) -> list[dict]:
    """A fixed pseudo-random sample of up to `limit` filtered segments (best topic each),
    with the embedding row to look their coordinates up by."""
    where, params = _where(f)
    # The facts are stored in sample order (and DuckDB keeps insertion order), so the first
    # matching rows are the sample; a segment's statements are adjacent, so 2 x limit rows
    # hold `limit` segments.
    return _rows(reader, f"""
        SELECT segment_id, document_id, topic, stance, speaker_id, speaker, published, emb_row
        FROM (SELECT * FROM {{facts}} WHERE {where} AND emb_row IS NOT NULL LIMIT ?)
        QUALIFY row_number() OVER (PARTITION BY segment_id ORDER BY topic_score DESC, topic) = 1
        ORDER BY sample_key, segment_id LIMIT ?""", params + [2 * limit, limit])


def segment_texts(reader: Reader, segment_ids: list[str], chars: int = 200) -> dict[str, str]:
    """The first `chars` characters of each segment's text."""
    return _texts(reader, list(segment_ids), chars)


# --- review -----------------------------------------------------------------------------------------
def review_queue(reader: Reader, f: Filters, limit: int = 100) -> list[dict]:
    """Model stance labels not yet corrected, least confident first."""
    where, params = _where(f)
    sql = _top_facts(STATEMENT_COLUMNS, f"{where} AND stance_source = 'model' AND topic <> 'other'",
                     "confidence, segment_id, topic")
    return _with_text(reader, _rows(reader, sql, params + [limit]))


def overrides(reader: Reader, limit: int = 200) -> list[dict]:
    """Corrections, latest first."""
    return _rows(reader, """
        SELECT override_id, task, segment_id, topic, old_label, new_label, author, created_at, note
        FROM wh.main.label_overrides ORDER BY override_id DESC LIMIT ?""", [limit])


def current_label(con, task: str, segment_id: str, topic: str | None) -> str | None:
    """The label the documented views show now (what a correction replaces)."""
    if task == "stance":  # as the statements view computes it, from the tables (the view joins everything)
        row = con.execute("""SELECT coalesce(
            (SELECT arg_max(new_label, override_id) FROM label_overrides
             WHERE task = 'stance' AND segment_id = $1 AND topic = $2),
            (SELECT label FROM stance_labels WHERE segment_id = $1 AND topic = $2), 'none')""",
                          [segment_id, topic]).fetchone()
    elif task == "topic":
        row = con.execute("SELECT string_agg(topic, '|' ORDER BY topic) FROM segment_topics WHERE segment_id = ?",
                          [segment_id]).fetchone()
    else:
        row = con.execute("""SELECT label FROM agreements WHERE segment_id = ? AND
                             coalesce(CASE WHEN kind = 'reported' THEN target_speaker_id END, '') = coalesce(?, '')""",
                          [segment_id, topic]).fetchone()
    return row[0] if row else None


def record_override(db_path, task: str, segment_id: str, topic: str | None, new_label: str,
                    author: str, note: str | None = None) -> int:
    """Store a human correction in one short transaction on the process's kept connection
    (retried if it races an ETL run's commit); returns its override_id.

    task 'stance': topic = the topic, new_label in favor / against / none.
    task 'topic': topic = None, new_label = 'a|b' (the corrected set of topics).
    task 'agreement': topic = the target speaker for reported agreement, else None.
    """
    _check_override(task, new_label, author)

    def attempt() -> int:
        with transaction(db_path) as con:
            known, override_id = con.execute(
                """SELECT (SELECT count(*) FROM segments WHERE segment_id = ?),
                          (SELECT coalesce(max(override_id), 0) + 1 FROM label_overrides)""", [segment_id]).fetchone()
            if not known:
                raise ValueError(f"unknown segment {segment_id!r}")
            old = current_label(con, task, segment_id, topic)
            con.execute(
                """INSERT INTO label_overrides (override_id, task, segment_id, topic, old_label, new_label, author, note)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [override_id, task, segment_id, topic, old, new_label, author.strip(), note],
            )
        return override_id

    return retry_conflicts(attempt)


def _check_override(task: str, new_label: str, author: str) -> None:
    if task not in OVERRIDE_TASKS:
        raise ValueError(f"task must be one of {OVERRIDE_TASKS}")
    if task == "stance" and new_label not in STANCES:
        raise ValueError(f"stance label must be one of {STANCES}")
    if task == "agreement" and new_label not in AGREEMENT_LABELS:
        raise ValueError(f"agreement label must be one of {AGREEMENT_LABELS}")
    if task == "topic" and not all(t.strip() for t in new_label.split("|")):
        raise ValueError("topic label must be topic names separated by '|'")
    if not (author or "").strip():
        raise ValueError("a correction needs an author")


# --- runs -------------------------------------------------------------------------------------------
def etl_runs(reader: Reader, limit: int = 200) -> list[dict]:
    """ETL runs, latest first."""
    return _rows(reader, """
        SELECT run_id, started_at, ended_at, status, array_to_string(inputs, ', ') AS inputs, added, replaced,
               skipped, rejected, segments, embedded, error,
               date_diff('second', started_at, ended_at) AS seconds
        FROM wh.main.etl_runs ORDER BY run_id DESC LIMIT ?""", [limit])


def rejects(reader: Reader, run_id: int | None = None, limit: int = 2000) -> list[dict]:
    """Rejected inputs with reasons, of one run or all."""
    return _rows(reader, """
        SELECT run_id, file, line, reason, excerpt FROM wh.main.rejects
        WHERE ?::INTEGER IS NULL OR run_id = ? ORDER BY run_id DESC, file, line LIMIT ?""", [run_id, run_id, limit])
