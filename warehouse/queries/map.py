"""Map: the filtered segments' places on the map, and its labelled clusters."""
from __future__ import annotations

from warehouse.intervals import with_net_interval
from warehouse.queries.embeddings import per_snapshot
from warehouse.queries.facts import _rows, _table_exists
from warehouse.queries.filters import Filters, _where
from warehouse.store import Reader


def map_sample(reader: Reader, f: Filters, limit: int = 20000) -> list[dict]:
    """A fixed pseudo-random sample of up to `limit` filtered segments on the map (best
    topic each), with their coordinates and cluster."""
    where, params = _where(f)
    # The facts are stored in sample order (and DuckDB keeps insertion order), so the first
    # matching rows are the sample; a segment's statements are adjacent, so 2 x limit rows
    # hold `limit` segments.
    return _rows(reader, f"""
        SELECT segment_id, document_id, topic, stance, speaker_id, speaker, published, language, cluster, x, y
        FROM (SELECT * FROM {{facts}} WHERE {where} AND x IS NOT NULL LIMIT ?)
        QUALIFY row_number() OVER (PARTITION BY segment_id ORDER BY topic_score DESC, topic) = 1
        ORDER BY sample_key, segment_id LIMIT ?""", params + [2 * limit, limit])


@per_snapshot
def has_layout(reader: Reader) -> bool:
    """Whether the warehouse has a map layout (made by the ETL from MIN_FIT segments on)."""
    cur = reader.cursor()
    try:
        if not _table_exists(cur, "wh", "layouts"):
            return False
        return bool(cur.execute("SELECT count(*) FROM wh.main.layouts").fetchone()[0])
    finally:
        cur.close()


@per_snapshot
def cluster_labels(reader: Reader) -> dict[int, dict[str, dict]]:
    """cluster -> language -> {label, keywords, segments} of the current layout."""
    if not has_layout(reader):
        return {}
    labels: dict[int, dict[str, dict]] = {}
    for r in _rows(reader, """SELECT cluster, language, label, keywords, segments FROM wh.main.layout_clusters
                             WHERE layout_id = (SELECT max(layout_id) FROM wh.main.layouts)"""):
        labels.setdefault(r["cluster"], {})[r["language"]] = r
    return labels


def cluster_table(reader: Reader, f: Filters) -> list[dict]:
    """Per cluster under the filters: statements, speakers, the most common topic and
    language, and net stance (with its interval)."""
    where, params = _where(f)
    rows = _rows(reader, f"""
        SELECT cluster, count(*) AS n, count(DISTINCT speaker_id) AS speakers,
               count(*) FILTER (WHERE stance = 'favor') AS favor, count(*) FILTER (WHERE stance = 'against') AS against,
               mode(topic) AS top_topic, mode(language) AS language,
               (count(*) FILTER (WHERE stance = 'favor') - count(*) FILTER (WHERE stance = 'against')) / count(*) AS net
        FROM {{facts}} WHERE {where} AND cluster IS NOT NULL
        GROUP BY cluster ORDER BY n DESC, cluster""", params)
    return with_net_interval(rows)
