"""Stage 2, segment: turns and articles -> sentence-aware segments of bounded length.

A conversation turn becomes one or more segments of whole sentences packed up to
PACK_CHARS; a news article becomes one segment per sentence (the unit quotes are
attributed to). A sentence longer than MAX_CHARS is cut at word boundaries, so a
2,000-word monologue never becomes one vector. Offsets index the turn's text.
"""
from __future__ import annotations

from collections.abc import Sequence

from etl.language import detect_language, split_sentences
from etl.model import NEWS, Document, Segment, Turn, segment_id

PACK_CHARS = 400
MAX_CHARS = 700


def segment_document(doc: Document, speakers: Sequence[str | None]) -> list[Segment]:
    """Segments in document order; `speakers` holds each turn's resolved speaker name."""
    language = doc.language or detect_language(" ".join(t.text for t in doc.turns)[:5000])
    segments: list[Segment] = []
    for turn, speaker in zip(doc.turns, speakers):
        spans = _spans(turn.text, language, pack=doc.kind != NEWS)
        for start, end in spans:
            text = turn.text[start:end]
            segments.append(Segment(
                segment_id=segment_id(doc.document_id, turn.turn_index, start, text),
                document_id=doc.document_id, seq=len(segments),
                turn_index=None if doc.kind == NEWS else turn.turn_index,
                speaker=speaker, text=text, char_start=start, char_end=end,
                language=_language(text, language), **_times(turn, start, end),
            ))
    if doc.kind != NEWS:
        link_replies(segments)
    return segments


def _spans(text: str, language: str | None, pack: bool) -> list[tuple[int, int]]:
    sentences = [piece for s, e in split_sentences(text, language) for piece in _cut(text, s, e)]
    if not pack:
        return sentences
    packed: list[tuple[int, int]] = []
    for start, end in sentences:
        if packed and end - packed[-1][0] <= PACK_CHARS and "\n\n" not in text[packed[-1][1]:start]:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _cut(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split an over-long sentence at the last space before MAX_CHARS, repeatedly."""
    pieces = []
    while end - start > MAX_CHARS:
        cut = text.rfind(" ", start + MAX_CHARS // 2, start + MAX_CHARS)
        cut = cut if cut > start else start + MAX_CHARS
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def _language(text: str, document_language: str | None) -> str | None:
    """Per-segment language; short segments inherit the document's."""
    if len(text) < 40:
        return document_language
    return detect_language(text) or document_language


def _times(turn: Turn, start: int, end: int) -> dict:
    if not turn.cues:
        return {"start_s": turn.start_s, "end_s": turn.end_s}
    covering = [c for c in turn.cues if c[0] < end]
    first = max((c for c in covering if c[0] <= start), key=lambda c: c[0], default=turn.cues[0])
    return {"start_s": first[1], "end_s": covering[-1][2] if covering else first[2]}


def link_replies(segments: list[Segment]) -> None:
    """Each segment replies to the last segment of the previous turn by a different speaker."""
    last_by_turn: dict[int, Segment] = {}
    for seg in segments:
        last_by_turn[seg.turn_index] = seg
    previous: list[Segment] = []  # last segment of each earlier turn with a speaker, in order
    current_turn, target = None, None
    for seg in segments:
        if seg.turn_index != current_turn:
            if current_turn is not None and last_by_turn[current_turn].speaker:
                previous.append(last_by_turn[current_turn])
            current_turn = seg.turn_index
            target = next((p for p in reversed(previous) if p.speaker != seg.speaker), None)
        if seg.speaker and target is not None:
            seg.reply_to = target.segment_id
