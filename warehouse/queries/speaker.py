"""Speaker: one person's facts, stance over time, representative quotes and partners."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from warehouse.intervals import with_net_interval
from warehouse.queries.embeddings import embedding_dim
from warehouse.queries.facts import FACTS, _one, _rows, _with_text, facts_cursor
from warehouse.queries.filters import Filters, _check_bucket, _where
from warehouse.store import Reader


def speaker_info(reader: Reader, speaker_id: str) -> dict | None:
    """Name, role, number of statements and first / last date of one speaker."""
    return _one(reader, """
        SELECT sp.speaker_id, sp.name, sp.role, count(f.segment_id) AS statements,
               min(f.published) AS first, max(f.published) AS last
        FROM wh.main.speakers sp LEFT JOIN {facts} f ON f.speaker_id = sp.speaker_id
        WHERE sp.speaker_id = ? GROUP BY ALL""", [speaker_id])


def speaker_stance_over_time(reader: Reader, f: Filters, speaker_id: str, bucket: str = "quarter") -> list[dict]:
    """A speaker's statements per topic per period, with net stance and its interval."""
    _check_bucket(bucket)
    where, params = _where(f)
    return with_net_interval(_rows(reader, f"""
        SELECT period, topic, count(*) AS n,
               count(*) FILTER (WHERE stance = 'favor') AS favor,
               count(*) FILTER (WHERE stance = 'against') AS against,
               (count(*) FILTER (WHERE stance = 'favor') - count(*) FILTER (WHERE stance = 'against')) / count(*) AS net
        FROM (SELECT date_trunc(?, published) AS period, topic, stance FROM {{facts}}
              WHERE {where} AND speaker_id = ? AND published IS NOT NULL)
        GROUP BY period, topic ORDER BY period, topic""", [bucket] + params + [speaker_id]))


def representative_quotes(reader: Reader, f: Filters, speaker_id: str, per_topic: int = 3,
                          sample: int = 250) -> list[dict]:
    """Per topic, the speaker's statements nearest (cosine) to the centroid of their
    statements on it.

    Both the centroid and the candidates are a deterministic sample of up to `sample`
    statements per topic, which keeps prolific speakers fast. The vectors are fetched once
    (Arrow) and compared in numpy.
    """
    if not embedding_dim(reader):
        return []
    where, params = _where(f)
    cur = facts_cursor(reader)
    try:
        got = cur.execute(f"""
            WITH mine AS (
                SELECT segment_id, topic, stance, confidence, published, document_id, emb_row
                FROM {FACTS['facts']} WHERE {where} AND speaker_id = ? AND topic <> 'other' AND emb_row IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY topic ORDER BY hash(segment_id), segment_id) <= ?
            )
            SELECT m.topic, m.stance, m.confidence, m.published, m.segment_id, m.document_id, e.vector
            FROM mine m JOIN wh.main.embeddings e ON e.rowid = m.emb_row
            ORDER BY m.topic, m.segment_id""", params + [speaker_id, sample]).to_arrow_table()
    finally:
        cur.close()
    if not got.num_rows:
        return []
    vectors = got.column("vector").combine_chunks()
    vectors = vectors.flatten().to_numpy().reshape(len(vectors), -1).astype(np.float64)
    rows = got.drop_columns(["vector"]).to_pylist()
    topics = np.array([r["topic"] for r in rows])
    quotes = []
    for topic in sorted(set(topics.tolist())):
        idx = np.flatnonzero(topics == topic)
        centroid = vectors[idx].mean(axis=0)
        norms = np.linalg.norm(vectors[idx], axis=1) * np.linalg.norm(centroid)
        similarity = np.divide(vectors[idx] @ centroid, norms, out=np.zeros(len(idx)), where=norms > 0)
        for k in sorted(range(len(idx)), key=lambda k: (-similarity[k], rows[idx[k]]["segment_id"]))[:per_topic]:
            quotes.append({**rows[idx[k]], "similarity": float(similarity[k])})
    return _with_text(reader, quotes)


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


def speaker_vs_others(reader: Reader, f: Filters, speaker_id: str) -> list[dict]:
    """Per topic the speaker spoke on under the filters: their n, favor, against, net (with
    interval), and the same for everyone else (others_n, others_favor, ..., others_net_low)."""
    where, params = _where(replace(f, speakers=()))
    rows = _rows(reader, f"""
        SELECT topic, count(*) FILTER (WHERE speaker_id = ?) AS n,
               count(*) FILTER (WHERE speaker_id = ? AND stance = 'favor') AS favor,
               count(*) FILTER (WHERE speaker_id = ? AND stance = 'against') AS against,
               count(*) FILTER (WHERE speaker_id <> ?) AS others_n,
               count(*) FILTER (WHERE speaker_id <> ? AND stance = 'favor') AS others_favor,
               count(*) FILTER (WHERE speaker_id <> ? AND stance = 'against') AS others_against
        FROM {{facts}} WHERE {where} AND speaker_id IS NOT NULL AND topic <> 'other'
        GROUP BY topic HAVING count(*) FILTER (WHERE speaker_id = ?) > 0
        ORDER BY n DESC, topic""", [speaker_id] * 6 + params + [speaker_id])
    for r in rows:
        r["net"] = (r["favor"] - r["against"]) / r["n"]
        others = {"n": r["others_n"], "favor": r["others_favor"], "against": r["others_against"]}
        others["net"] = (others["favor"] - others["against"]) / others["n"] if others["n"] else None
        r["others"] = with_net_interval([others])[0] if others["n"] else None
    return with_net_interval(rows)
