"""Overview: headline counts, speaker x topic, topic share over time, top speakers per topic."""
from __future__ import annotations

from dataclasses import replace

from warehouse.intervals import with_net_interval, with_share_interval
from warehouse.queries.facts import _one, _rows
from warehouse.queries.filters import Filters, _check_bucket, _where
from warehouse.store import Reader

def summary(reader: Reader, f: Filters) -> dict:
    """Headline counts under the filters."""
    where, params = _where(f)
    return _one(reader, f"""
        SELECT count(*) AS statements, count(*) FILTER (WHERE stance = 'favor') AS favor,
               count(*) FILTER (WHERE stance = 'against') AS against,
               count(*) FILTER (WHERE stance = 'none') AS "none",
               count(DISTINCT speaker_id) AS speakers, count(DISTINCT document_id) AS documents
        FROM {{facts}} WHERE {where}""", params)


def speaker_topic_matrix(reader: Reader, f: Filters, top_speakers: int = 25,
                         include: tuple[str, ...] = ()) -> list[dict]:
    """Statements per (speaker, topic) for the most active speakers: n, favor, against, net,
    its 95% interval (net_low, net_high) and whether it is too sparse to say anything.

    net = (favor - against) / n; rank 1 = the speaker with most statements. Speakers in
    `include` are there whatever their rank.
    """
    where, params = _where(f)
    return with_net_interval(_rows(reader, f"""
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
        WHERE r.rank <= ? OR list_contains(?::VARCHAR[], c.speaker_id)
        ORDER BY r.rank, c.topic""", params + [top_speakers, list(include)]))


def topic_share(reader: Reader, f: Filters, bucket: str = "month") -> list[dict]:
    """Statements per topic per period, as a share of all statements in that period, with
    its 95% interval (share_low, share_high). Every period with statements has a row per
    topic (n = 0 where the topic had none); periods without any statements have none.

    The denominator ignores the topic filter, so a selected topic's share stays honest.
    """
    _check_bucket(bucket)
    where, params = _where(replace(f, topics=()))
    return with_share_interval(_rows(reader, f"""
        WITH counts AS (
            SELECT period, topic, count(*) AS n
            FROM (SELECT date_trunc(?, published) AS period, topic FROM {{facts}}
                  WHERE {where} AND published IS NOT NULL)
            GROUP BY period, topic
        ), totals AS (
            SELECT period, sum(n) AS total FROM counts GROUP BY period
        ), shown AS (
            SELECT DISTINCT topic FROM counts WHERE len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], topic)
        )
        SELECT t.period, s.topic, coalesce(c.n, 0) AS n, t.total, coalesce(c.n, 0) / t.total AS share
        FROM totals t CROSS JOIN shown s LEFT JOIN counts c ON c.period = t.period AND c.topic = s.topic
        ORDER BY t.period, s.topic""", [bucket] + params + [list(f.topics)] * 2))


def top_speakers_by_topic(reader: Reader, f: Filters, k: int = 5) -> list[dict]:
    """The k speakers with most statements on each topic, with their net stance and its interval."""
    where, params = _where(f)
    return with_net_interval(_rows(reader, f"""
        SELECT * FROM (
            SELECT topic, speaker_id, any_value(speaker) AS speaker, count(*) AS n,
                   count(*) FILTER (WHERE stance = 'favor') AS favor,
                   count(*) FILTER (WHERE stance = 'against') AS against,
                   (count(*) FILTER (WHERE stance = 'favor') - count(*) FILTER (WHERE stance = 'against'))
                     / count(*) AS net
            FROM {{facts}} WHERE {where} AND speaker_id IS NOT NULL
            GROUP BY topic, speaker_id
        ) QUALIFY row_number() OVER (PARTITION BY topic ORDER BY n DESC, speaker_id) <= ?
        ORDER BY topic, n DESC, speaker_id""", params + [k]))
