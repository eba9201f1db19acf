"""Search by meaning, by words, or both, under the global filters: the logic of the Search
page, callable without Dash (a reader, an embedding index and the filters are all it needs)."""
from __future__ import annotations

from dashboard.embedding_index import EmbeddingIndex
from warehouse import queries as q
from warehouse.queries import Filters
from warehouse.store import Reader

MODES = ("meaning", "words", "both")
# Segments with less text than this ("Well...", "Du…", ".") carry no meaning to rank by, yet a
# sentence encoder puts them near every short query; by meaning they are left out.
MIN_LETTERS = 12


def run_search(reader: Reader, index: EmbeddingIndex, f: Filters, text: str, mode: str = "meaning",
               limit: int = 50) -> list[dict]:
    """Up to `limit` rows for a query, best first: by meaning through the in-memory index
    (mode 'both': among the segments containing the words), by words in DuckDB (newest first)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    text = (text or "").strip()
    if mode == "words":
        return q.search(reader, f, keyword=text, limit=limit)
    keyword = text if mode == "both" else None
    vector = index.encode(text)
    allowed = q.matching_embedding_rows(reader, f, keyword)
    emb_rows, scores = index.top(vector, allowed, k=3 * limit)
    return _meaningful_with_text(reader, q.search_results(reader, f, emb_rows.tolist(), scores.tolist(), text=False),
                                 limit)


def exact_search(reader: Reader, f: Filters, text: str, mode: str = "meaning", limit: int = 10) -> list[dict]:
    """The same search without the in-memory index: an exact cosine scan in DuckDB (for one-off queries,
    such as `stance search`, where building the index would cost more than the scan)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    text = (text or "").strip()
    if mode == "words":
        return q.search(reader, f, keyword=text, limit=limit)
    from dashboard.embedding_index import _encode

    vector = _encode(q.embedding_model(reader), text)
    hits = q.search(reader, f, keyword=text if mode == "both" else None, vector=vector, limit=3 * limit)
    return _meaningful(hits, limit)


def _meaningful_with_text(reader: Reader, rows: list[dict], limit: int) -> list[dict]:
    """The first `limit` meaningful rows, with their texts: fetched a little beyond what is still
    missing at a time (most hits are meaningful), not for all 3 x limit candidates."""
    kept, at = [], 0
    while len(kept) < limit and at < len(rows):
        chunk = rows[at:at + limit - len(kept) + 10]
        at += len(chunk)
        texts = q.segment_texts(reader, [r["segment_id"] for r in chunk], chars=None)
        kept += _meaningful([{**r, "text": texts.get(r["segment_id"])} for r in chunk], limit - len(kept))
    return kept


def _meaningful(rows: list[dict], limit: int) -> list[dict]:
    return [r for r in rows if sum(c.isalpha() for c in r["text"] or "") >= MIN_LETTERS][:limit]
