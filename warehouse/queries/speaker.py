"""Speaker: one person's facts, stance over time, representative quotes and partners."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from warehouse.intervals import with_net_interval
from warehouse.queries.embeddings import embedding_dim
from warehouse.queries.facts import _one, _rows, _with_text, facts_cursor, joined
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
                          sample: int = 250, vectors=None) -> list[dict]:
    """Per topic, the speaker's statements nearest (cosine) to the centroid of their
    statements on it.

    Both the centroid and the candidates are a deterministic sample of up to `sample`
    statements per topic, which keeps prolific speakers fast. `vectors(emb_rows)`, when
    given, returns the candidates' vectors (the dashboard's in-memory index holds them all)
    or None; else they are read from the warehouse, which at a million segments means
    decoding every stored vector (~5 s: Parquet gives no way to read 250 rows of 1,000,000).
    The vectors are compared in numpy.
    """
    return quotes_by_speaker(reader, f, [speaker_id], per_topic, sample, vectors)[speaker_id]


def quotes_by_speaker(reader: Reader, f: Filters, speaker_ids: list[str], per_topic: int = 3,
                      sample: int = 250, vectors=None) -> dict[str, list[dict]]:
    """representative_quotes of several speakers, their texts fetched in one query."""
    quotes: dict[str, list[dict]] = {s: [] for s in speaker_ids}
    if not embedding_dim(reader):
        return quotes
    candidates: dict[str, list[dict]] = {}
    for r in _quote_candidates(reader, f, speaker_ids, sample):
        candidates.setdefault(r.pop("speaker_id"), []).append(r)
    for speaker_id, rows in candidates.items():
        emb_rows = [r.pop("emb_row") for r in rows]
        found = vectors(emb_rows) if vectors is not None else None
        found = _stored_vectors(reader, emb_rows) if found is None else found
        quotes[speaker_id] = _nearest_centroid(rows, np.asarray(found, dtype=np.float64), per_topic)
    _with_text(reader, [r for rows in quotes.values() for r in rows])  # adds each row's text in place
    return quotes


def _quote_candidates(reader: Reader, f: Filters, speaker_ids: list[str], sample: int) -> list[dict]:
    """The sampled statements per speaker and topic (not 'other') with their embedding row, by
    speaker, topic and segment (one scan for all the speakers)."""
    where, params = _where(f)
    return _rows(reader, f"""
        SELECT speaker_id, topic, stance, confidence, published, segment_id, document_id, emb_row
        FROM {{facts}} WHERE {where} AND list_contains(?::VARCHAR[], speaker_id) AND topic <> 'other'
          AND emb_row IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY speaker_id, topic ORDER BY hash(segment_id), segment_id) <= ?
        ORDER BY speaker_id, topic, segment_id""", params + [list(speaker_ids), sample])


def _stored_vectors(reader: Reader, emb_rows: list[int]) -> np.ndarray:
    """The warehouse's vectors of these embedding rows, in their order (fetched once, as Arrow)."""
    cur = facts_cursor(reader)
    try:
        got = cur.execute("""SELECT rowid AS emb_row, vector FROM wh.main.embeddings
                             WHERE rowid IN (SELECT unnest(string_split(?, chr(31))::BIGINT[]))""",
                          [joined(emb_rows)]).to_arrow_table()
    finally:
        cur.close()
    column = got.column("vector").combine_chunks()
    stored = column.flatten().to_numpy().reshape(len(column), -1)
    at = {int(r): i for i, r in enumerate(got.column("emb_row").to_pylist())}
    return stored[[at[int(r)] for r in emb_rows]]


def _nearest_centroid(rows: list[dict], vectors: np.ndarray, per_topic: int) -> list[dict]:
    """Per topic, the `per_topic` rows whose vectors are nearest (cosine) to their topic's centroid."""
    topics = np.array([r["topic"] for r in rows])
    quotes = []
    for topic in sorted(set(topics.tolist())):
        idx = np.flatnonzero(topics == topic)
        centroid = vectors[idx].mean(axis=0)
        norms = np.linalg.norm(vectors[idx], axis=1) * np.linalg.norm(centroid)
        similarity = np.divide(vectors[idx] @ centroid, norms, out=np.zeros(len(idx)), where=norms > 0)
        for k in sorted(range(len(idx)), key=lambda k: (-similarity[k], rows[idx[k]]["segment_id"]))[:per_topic]:
            quotes.append({**rows[idx[k]], "similarity": float(similarity[k])})
    return quotes


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


def topic_totals(reader: Reader, f: Filters) -> dict[str, dict]:
    """Per topic (not 'other'): everyone's n, favor and against under the filters (the speaker
    filter aside): what `speaker_vs_others` compares one speaker with, the same for them all."""
    where, params = _where(replace(f, speakers=()))
    rows = _rows(reader, f"""
        SELECT topic, count(*) AS n, count(*) FILTER (WHERE stance = 'favor') AS favor,
               count(*) FILTER (WHERE stance = 'against') AS against
        FROM {{facts}} WHERE {where} AND speaker_id IS NOT NULL AND topic <> 'other' GROUP BY topic""", params)
    return {r.pop("topic"): r for r in rows}


def speaker_vs_others(reader: Reader, f: Filters, speaker_id: str, totals: dict | None = None) -> list[dict]:
    """Per topic the speaker spoke on under the filters: their n, favor, against, net (with
    interval), and the same for everyone else (others_n, others_favor, ..., others_net_low).
    `totals` is `topic_totals(reader, f)`, given where it is at hand."""
    totals = topic_totals(reader, f) if totals is None else totals
    where, params = _where(replace(f, speakers=()))
    rows = _rows(reader, f"""
        SELECT topic, count(*) AS n, count(*) FILTER (WHERE stance = 'favor') AS favor,
               count(*) FILTER (WHERE stance = 'against') AS against
        FROM {{facts}} WHERE {where} AND speaker_id = ? AND topic <> 'other'
        GROUP BY topic ORDER BY n DESC, topic""", params + [speaker_id])
    for r in rows:
        r["net"] = (r["favor"] - r["against"]) / r["n"]
        everyone = totals.get(r["topic"], {"n": 0, "favor": 0, "against": 0})
        others = {k: max(everyone[k] - r[k], 0) for k in ("n", "favor", "against")}  # (totals of a moment before)
        r.update({f"others_{k}": v for k, v in others.items()})
        others["net"] = (others["favor"] - others["against"]) / others["n"] if others["n"] else None
        r["others"] = with_net_interval([others])[0] if others["n"] else None
    return with_net_interval(rows)
