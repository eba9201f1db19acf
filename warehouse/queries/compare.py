"""Compare: two to six speakers side by side: stance and attention per topic, and how they
replied to each other. The speakers are chosen explicitly, so the global speaker filter
and the participants-only default do not apply to them."""
from __future__ import annotations

from dataclasses import replace

from warehouse.intervals import with_net_interval, with_share_interval
from warehouse.queries.agreement import PAIR_COUNTS
from warehouse.queries.facts import _rows, _with_text
from warehouse.queries.filters import Filters, _where
from warehouse.store import Reader


def for_compare(f: Filters) -> Filters:
    """The filters as they apply to chosen speakers."""
    return replace(f, speakers=(), include_moderators=True)


def topics_by_speaker(reader: Reader, f: Filters, speaker_ids: list[str]) -> list[dict]:
    """Per speaker and topic: n, favor, against, net stance with its interval, and the topic's
    share of the speaker's statements (attention) with its Wilson interval."""
    where, params = _where(for_compare(f))
    rows = _rows(reader, f"""
        SELECT speaker_id, any_value(speaker) AS speaker, topic, count(*) AS n,
               count(*) FILTER (WHERE stance = 'favor') AS favor,
               count(*) FILTER (WHERE stance = 'against') AS against,
               (count(*) FILTER (WHERE stance = 'favor') - count(*) FILTER (WHERE stance = 'against')) / count(*) AS net,
               sum(count(*)) OVER (PARTITION BY speaker_id) AS total
        FROM {{facts}} WHERE {where} AND list_contains(?::VARCHAR[], speaker_id)
        GROUP BY speaker_id, topic ORDER BY speaker_id, topic""", params + [list(speaker_ids)])
    for r in rows:
        r["share"] = r["n"] / r["total"]
    return with_share_interval(with_net_interval(rows))


def replies_among(reader: Reader, f: Filters, speaker_ids: list[str], limit: int = 60) -> list[dict]:
    """Labelled replies and reported agreement between the given speakers (both sides among
    them), newest first, with both texts."""
    where, params = _where(for_compare(f), "agreements")
    rows = _rows(reader, f"""
        SELECT segment_id, target_segment_id, document_id, published, agreement_kind, speaker_id, speaker,
               target_speaker_id, target_speaker, label, confidence
        FROM {{agreements}}
        WHERE {where} AND list_contains(?::VARCHAR[], speaker_id) AND list_contains(?::VARCHAR[], target_speaker_id)
          AND speaker_id <> target_speaker_id
        ORDER BY published DESC NULLS LAST, segment_id LIMIT ?""", params + [list(speaker_ids)] * 2 + [limit])
    return _with_text(reader, rows, also=("target_segment_id", "target_text"))


def reply_pairs(reader: Reader, f: Filters, speaker_ids: list[str]) -> list[dict]:
    """Per ordered pair of the given speakers: labelled replies and reported agreement,
    agree / disagree counts and net agreement with its interval."""
    where, params = _where(for_compare(f), "agreements")
    return with_net_interval(_rows(reader, f"""
        {PAIR_COUNTS}
        WHERE {where} AND list_contains(?::VARCHAR[], speaker_id) AND list_contains(?::VARCHAR[], target_speaker_id)
          AND speaker_id <> target_speaker_id
        GROUP BY speaker_id, target_speaker_id ORDER BY speaker, target""",
        params + [list(speaker_ids)] * 2), "agree", "disagree")


def stance_target(reader: Reader, topic: str) -> str | None:
    """What net stance on a topic is for or against (the taxonomy's target, as labelled)."""
    rows = _rows(reader, "SELECT any_value(target) AS target FROM wh.main.stance_labels WHERE topic = ?", [topic])
    return rows[0]["target"] if rows else None
