"""The benchmark texts: segments of the real debate transcripts, cut exactly as the ETL cuts them.

The chosen documents are written to one transcript JSONL (the original records, unchanged,
or the first turns of the last document to reach a segment budget); the benchmark texts are
that file read back with `etl.read.read_file` and cut with `etl.segment.segment_document`, so
the ETL's input holds exactly the benchmark texts' documents.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from bench.harness import CORPORA

DEBATE_FILES = ("transcripts_debates_2016_kaggle_cc0.jsonl", "transcripts_debates_2024.jsonl")
COPY_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
              "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
              "nineteen", "twenty"]


@dataclass
class BenchTexts:
    path: Path  # the transcript JSONL the ETL reads
    documents: list[str]
    segment_ids: list[str]
    texts: list[str]


def debate_documents(corpora: Path = CORPORA) -> list[list[dict]]:
    """Each debate as its list of turn records, in file order, alternating between the two files."""
    per_file = []
    for name in DEBATE_FILES:
        docs: OrderedDict[str, list[dict]] = OrderedDict()
        for line in (corpora / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                docs.setdefault(rec["source_id"], []).append(rec)
        per_file.append(list(docs.values()))
    out = []
    for i in range(max(map(len, per_file))):
        out += [docs[i] for docs in per_file if i < len(docs)]
    return out


def segments_of(path: Path) -> list:
    """The segments the ETL makes of a file (segment ids and texts do not depend on speaker names)."""
    from etl.read import read_file
    from etl.segment import segment_document

    out = []
    for doc in read_file(path):
        if not hasattr(doc, "turns"):
            raise ValueError(f"benchmark input rejected: {doc}")
        out += segment_document(doc, [t.speaker for t in doc.turns])
    return out


def write_jsonl(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def select(out: Path, max_segments: int | None = None, corpora: Path = CORPORA) -> BenchTexts:
    """Write the benchmark documents to `out` and return their segments.

    max_segments None: every debate of both files. Otherwise whole debates while they fit, then
    the first turns of the next one, so the total lands at or just under max_segments.
    """
    records: list[dict] = []
    total = 0
    for turns in debate_documents(corpora):
        if max_segments is None:
            records += turns
            continue
        left = max_segments - total
        if left <= 0:
            break
        tmp = write_jsonl(out, turns)
        per_turn: dict[int, int] = {}
        for seg in segments_of(tmp):
            per_turn[seg.turn_index] = per_turn.get(seg.turn_index, 0) + 1
        if sum(per_turn.values()) <= left:
            records += turns
            total += sum(per_turn.values())
            continue
        taken = 0
        for rec in turns:
            n = per_turn.get(rec["turn_index"], 0)
            if taken + n > left and taken:
                break
            records.append(rec)
            taken += n
        total += taken
        break  # the budget is spent
    write_jsonl(out, records)
    segments = segments_of(out)
    return BenchTexts(out, list(OrderedDict.fromkeys(s.document_id for s in segments)),
                      [s.segment_id for s in segments], [s.text for s in segments])


def vary(text: str, word: str) -> str:
    """`text` with `word` at the start of every sentence: new content for every segment of a turn."""
    return re.sub(r"(^|(?<=[.!?])\s+)(?=\S)", lambda m: f"{m.group(1)}{word.capitalize()}, ", text)


def copies(src: Path, out: Path, n: int = 10) -> Path:
    """`n` copies of a transcript JSONL as new documents: distinct source ids and varied text, so the
    ETL has to embed every one of them (no reuse keyed by segment id or by content)."""
    records = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    words = COPY_WORDS + [f"copy{i}" for i in range(len(COPY_WORDS), n)]
    result = []
    for c in range(n):
        for rec in records:
            result.append({**rec, "source_id": f"{rec['source_id']}-copy{c + 1}",
                           "title": f"{rec.get('title') or ''} (copy {c + 1})",
                           "text": vary(rec["text"], words[c])})
    return write_jsonl(out, result)
