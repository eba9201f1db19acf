"""Agreement: who agrees with whom, stance profiles for camps, consensus and divisive statements."""
from __future__ import annotations

from warehouse.intervals import with_net_interval
from warehouse.queries.facts import _rows, _with_text, joined
from warehouse.queries.filters import Filters, _where
from warehouse.queries.overview import speaker_topic_matrix
from warehouse.store import Reader

# per ordered pair of speakers: labels, agree / disagree counts and net agreement (GROUP BY the pair)
PAIR_COUNTS = """SELECT speaker_id, any_value(speaker) AS speaker, target_speaker_id, any_value(target_speaker) AS target,
               count(*) AS n, count(*) FILTER (WHERE label = 'agree') AS agree,
               count(*) FILTER (WHERE label = 'disagree') AS disagree,
               (count(*) FILTER (WHERE label = 'agree') - count(*) FILTER (WHERE label = 'disagree')) / count(*) AS net
        FROM {agreements}"""


def agreement_matrix(reader: Reader, f: Filters, kind: str = "reply", top_speakers: int = 25,
                     include: tuple[str, ...] = ()) -> list[dict]:
    """Agreement from speaker to target among the `top_speakers` most active speakers and
    those in `include`, for one kind: n, agree, disagree, net = (agree - disagree) / n and
    its interval (net_low, net_high, sparse)."""
    if kind not in ("reply", "reported"):
        raise ValueError("kind must be 'reply' or 'reported'")
    where, params = _where(f, "agreements")
    return with_net_interval(_rows(reader, f"""
        WITH pairs AS (
            SELECT speaker_id, any_value(speaker) AS speaker, target_speaker_id, any_value(target_speaker) AS target,
                   count(*) AS n, count(*) FILTER (WHERE label = 'agree') AS agree,
                   count(*) FILTER (WHERE label = 'disagree') AS disagree
            FROM {{agreements}} WHERE {where} AND agreement_kind = ? AND target_speaker_id IS NOT NULL
            GROUP BY speaker_id, target_speaker_id
        ), active AS (
            SELECT id FROM (SELECT speaker_id AS id, n FROM pairs UNION ALL SELECT target_speaker_id, n FROM pairs)
            GROUP BY id ORDER BY sum(n) DESC, id LIMIT ?
        ), shown AS (SELECT id FROM active UNION SELECT unnest(?::VARCHAR[]))
        SELECT *, (agree - disagree) / n AS net FROM pairs
        WHERE speaker_id IN (SELECT id FROM shown) AND target_speaker_id IN (SELECT id FROM shown)
        ORDER BY speaker, target""", params + [kind, top_speakers, list(include)]), "agree", "disagree")


def agreement_pairs(reader: Reader, f: Filters, speaker_ids: list[str], kind: str = "reply",
                    min_n: int = 1) -> list[dict]:
    """Agreement between the given speakers (both sides in the list), pairs with >= min_n
    labels, with the interval of their net agreement."""
    where, params = _where(f, "agreements")
    return with_net_interval(_rows(reader, f"""
        {PAIR_COUNTS}
        WHERE {where} AND agreement_kind = ? AND list_contains(string_split(?, chr(31)), speaker_id)
          AND list_contains(string_split(?, chr(31)), target_speaker_id)
        GROUP BY speaker_id, target_speaker_id HAVING count(*) >= ?
        ORDER BY n DESC, speaker_id, target_speaker_id""",
        params + [kind, joined(speaker_ids), joined(speaker_ids), min_n]), "agree", "disagree")


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
    return _with_text(reader, rows, also=("target_segment_id", "target_text"))


def stance_profiles(reader: Reader, f: Filters, top_speakers: int = 40, min_statements: int = 20,
                    include: tuple[str, ...] = ()) -> list[dict]:
    """Net stance per topic for the most active speakers and those in `include` (topic
    'other' left out)."""
    rows = speaker_topic_matrix(reader, f, top_speakers, include)
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
        WITH camp AS (SELECT unnest(string_split(?, chr(31))) AS speaker_id,
                         unnest(string_split(?, chr(31))::INTEGER[]) AS camp),
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
        [joined(camps), joined(int(v) for v in camps.values())] + params + [min_votes, limit, limit])
    return _with_text(reader, rows)
