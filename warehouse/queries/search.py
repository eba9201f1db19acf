"""Search: segments by words (in DuckDB) or by meaning (exact in DuckDB, or the rows of an index's hits)."""
from __future__ import annotations

import numpy as np

from warehouse.queries.facts import FACTS, _rows, _with_text, facts_cursor, joined
from warehouse.queries.filters import Filters, _where
from warehouse.store import Reader

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
    cur = facts_cursor(reader)
    try:
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


def search_results(reader: Reader, f: Filters, emb_rows: list[int], scores: list[float],
                   text: bool = True) -> list[dict]:
    """Rows for hits of the in-memory index (embedding rows and scores), best first; with
    their texts unless `text` is false."""
    if not len(emb_rows):
        return []
    where, params = _where(f, alias="f")
    rows = _rows(reader, f"""
        WITH hits AS (SELECT unnest(string_split(?, chr(31))::BIGINT[]) AS emb_row,
                           unnest(string_split(?, chr(31))::DOUBLE[]) AS score)
        SELECT {SEARCH_COLUMNS}, h.score
        FROM hits h JOIN {{facts}} f USING (emb_row)
        WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY f.segment_id ORDER BY f.topic_score DESC, f.topic) = 1
        ORDER BY h.score DESC, f.segment_id""",
        [joined(int(x) for x in emb_rows), joined(repr(float(x)) for x in scores)] + params)
    return _with_text(reader, rows) if text else rows
