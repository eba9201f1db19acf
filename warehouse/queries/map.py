"""Map: a sample of the filtered segments to place on the map."""
from __future__ import annotations

from warehouse.queries.facts import _rows
from warehouse.queries.filters import Filters, _where
from warehouse.store import Reader

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
