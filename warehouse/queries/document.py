"""Document: one transcript or article, its segments in order, and finding documents."""
from __future__ import annotations

from warehouse.queries.facts import _one, _rows
from warehouse.queries.search import _like_pattern
from warehouse.store import Reader

def document(reader: Reader, document_id: str) -> dict | None:
    """A document's metadata and its number of segments."""
    return _one(reader, """
        SELECT document_id, kind, title, outlet, url, published, language, source_file, format,
               (SELECT count(*) FROM wh.main.segments WHERE document_id = $doc) AS segments
        FROM wh.main.documents WHERE document_id = $doc""", {"doc": document_id})


def segment_position(reader: Reader, document_id: str, segment_id: str) -> int | None:
    """How many segments of the document come before this one (None if not in it)."""
    row = _one(reader, """
        SELECT (SELECT count(*) FROM wh.main.segments s WHERE s.document_id = t.document_id AND s.seq < t.seq) AS n
        FROM wh.main.segments t WHERE t.document_id = ? AND t.segment_id = ?""", [document_id, segment_id])
    return row["n"] if row else None


def find_documents(reader: Reader, text: str | None = None, limit: int = 30) -> list[dict]:
    """Documents whose title, id or outlet contains `text` (newest first); all when empty."""
    pattern = _like_pattern(text or "")
    return _rows(reader, """
        SELECT document_id, title, kind, outlet, published FROM wh.main.documents
        WHERE title ILIKE ? ESCAPE '\\' OR document_id ILIKE ? ESCAPE '\\' OR outlet ILIKE ? ESCAPE '\\'
        ORDER BY published DESC NULLS LAST, document_id LIMIT ?""", [pattern, pattern, pattern, limit])


def document_segments(reader: Reader, document_id: str, offset: int = 0, limit: int = 1000) -> list[dict]:
    """A document's segments in order (`limit` from `offset`), with speaker, topics, main
    stance and reply links."""
    return _rows(reader, """
        WITH labels AS (
            SELECT segment_id, list(topic ORDER BY topic_score DESC, topic) AS topics,
                   arg_max(topic, topic_score) AS topic, arg_max(stance, topic_score) AS stance,
                   arg_max(confidence, topic_score) AS confidence
            FROM {facts} WHERE document_id = $doc GROUP BY segment_id
        )
        SELECT s.segment_id, s.seq, s.turn_index, s.speaker_id, sp.name AS speaker, sp.role AS speaker_role,
               t.speaker_label, s.text, coalesce(s.language, d.language) AS language, s.reply_to,
               rsp.name AS reply_to_speaker, s.attribution_method, s.attribution_confidence,
               s.attribution_evidence, s.start_s, l.topics, l.topic, l.stance, l.confidence
        FROM wh.main.segments s
        JOIN wh.main.documents d USING (document_id)
        LEFT JOIN wh.main.turns t USING (document_id, turn_index)
        LEFT JOIN wh.main.speakers sp ON sp.speaker_id = s.speaker_id
        LEFT JOIN (SELECT segment_id, speaker_id FROM wh.main.segments WHERE document_id = $doc) r
               ON r.segment_id = s.reply_to  -- a reply answers a segment of its own document
        LEFT JOIN wh.main.speakers rsp ON rsp.speaker_id = r.speaker_id
        LEFT JOIN labels l ON l.segment_id = s.segment_id
        WHERE s.document_id = $doc
        ORDER BY s.seq LIMIT $limit OFFSET $offset""", {"doc": document_id, "limit": limit, "offset": offset})
