"""Speaker: one person's facts, stance over time, representative quotes and partners."""
from __future__ import annotations

from warehouse.queries.embeddings import embedding_dim
from warehouse.queries.facts import _one, _rows, _with_text
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
