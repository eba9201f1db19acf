"""Training and test rows from the project's stand-off annotations, with the text read from the corpora.

The annotations (etl/labels/annotations/pass_a.jsonl, pass_b.jsonl; see docs/annotation-guide.md)
hold no text: each label names a document, a turn and character offsets (or a reply and the turn it
answers). This module reads the transcripts from ../shared/corpora, cuts them as the ETL does, keeps
the labels both passes agree on, and writes the CSVs `stance train` and `stance eval` read, with a
`context` column (what the segment follows: the previous segment, often the question it answers).

Splits are by whole document. The 2024 debates are copyrighted: test only. The 2016 debates (CC0) and
the White House transcripts (public domain) train the shipped models, except the documents in
HELD_OUT, which are test data for the figures in docs/benchmarks.md.

    python -m etl.labels.annotated --corpora ../shared/corpora --out /tmp/annotated
"""
from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path

from etl.labels.annotation import NOT_SPEAKERS, TOPICS, documents, read_pass, units

ANNOTATIONS = Path(__file__).resolve().parent / "annotations"
TRAINABLE = ("transcripts_debates_2016_kaggle_cc0.jsonl", "transcripts_whitehouse_2024_public_domain.jsonl")
TEST_ONLY = ("transcripts_debates_2024.jsonl",)
HELD_OUT = ("kaggle2016-debate-2016-10-19", "wh-2024-10-23-harris-cnn-town-hall")
TARGETS = {"immigration": "stricter immigration enforcement",
           "elections": "trust that elections are free, fair and accurately counted",
           "regulation": "more government regulation of business"}
# Persons evaluated often enough to learn from; a segment naming one without evaluating them is a `none` row.
PERSONS = {"Donald Trump": r"\b(Trump|Donald)\b", "Hillary Clinton": r"\b(Clinton|Hillary)\b",
           "Mike Pence": r"\bPence\b", "Tim Kaine": r"\bKaine\b", "Barack Obama": r"\bObama\b",
           "Joe Biden": r"\bBiden\b", "Kamala Harris": r"\b(Harris|Kamala)\b"}
COLUMNS = {"topic": ["text", "label", "language", "context", "document_id"],
           "stance": ["text", "target", "label", "language", "context", "document_id"],
           "agreement": ["quote", "response", "label", "language", "document_id"]}


def agreed(pass_a: Path = ANNOTATIONS / "pass_a.jsonl", pass_b: Path = ANNOTATIONS / "pass_b.jsonl"):
    """Per segment: the topic set if both passes agree on it, and each (topic or person) stance both give;
    per reply: the label if both give the same."""
    (seg_a, rep_a), (seg_b, rep_b) = read_pass(pass_a), read_pass(pass_b)
    segments = {}
    for key in seg_a.keys() & seg_b.keys():
        a, b = seg_a[key], seg_b[key]
        topics = a["topics"] if a["topics"] == b["topics"] else None
        stance = {t: a["stance"][t] for t in set(a["stance"]) & set(b["stance"]) if a["stance"][t] == b["stance"][t]}
        persons = {p: v for p, v in a["persons"].items() if b["persons"].get(p) == v}
        named = set(a["persons"]) | set(b["persons"])
        segments[key] = {"topics": topics, "stance": stance, "persons": persons, "named": named}
    replies = {k: rep_a[k] for k in rep_a.keys() & rep_b.keys() if rep_a[k] == rep_b[k]}
    return segments, replies


def build_rows(corpora: Path, split: str) -> dict[str, list[dict]]:
    """split: "train" (trainable documents minus HELD_OUT), "all-train" (every trainable document),
    "held-out" (HELD_OUT) or "test-2024" (the 2024 debates)."""
    files = TEST_ONLY if split == "test-2024" else TRAINABLE
    keep = (lambda d: d in HELD_OUT) if split == "held-out" else \
           (lambda d: d not in HELD_OUT) if split == "train" else (lambda d: True)
    seg_labels, reply_labels = agreed()
    out = {task: [] for task in COLUMNS}
    for doc in documents([Path(corpora) / f for f in files]):
        if keep(doc.document_id):
            _document_rows(doc, seg_labels, reply_labels, out)
    return out


def _document_rows(doc, seg_labels: dict, reply_labels: dict, out: dict) -> None:
    segs = units(doc)
    previous = {}
    for i, u in enumerate(segs):
        previous[u.key] = next((p.text for p in reversed(segs[:i]) if _speaks(p.speaker)), "")
    by_turn = {}
    for u in segs:
        by_turn.setdefault(u.turn_index, []).append(u)
    base = {"language": doc.language or "en", "document_id": doc.document_id}
    for u in segs:
        labels = seg_labels.get(u.key)
        if labels is None or not _speaks(u.speaker):
            continue
        row = {**base, "text": u.text, "context": previous[u.key]}
        if labels["topics"] is not None:
            out["topic"].append({**row, "label": "|".join(labels["topics"]) or "other"})
        for topic, label in labels["stance"].items():
            out["stance"].append({**row, "target": TARGETS[topic], "label": label})
        for person, label in labels["persons"].items():
            if person in PERSONS:
                out["stance"].append({**row, "target": person, "label": label})
        for person, pattern in PERSONS.items():  # named but evaluated by neither pass: no stance toward them
            if person not in labels["named"] and re.search(pattern, u.text):
                out["stance"].append({**row, "target": person, "label": "none"})
    for (doc_id, turn, target), label in reply_labels.items():
        if doc_id == doc.document_id and turn in by_turn and target in by_turn:
            out["agreement"].append({**base, "quote": by_turn[target][-1].text, "response": by_turn[turn][0].text,
                                     "label": label})


def _speaks(speaker: str | None) -> bool:
    """As the ETL sees it: crowd and cross-talk labels are no speaker."""
    return bool(speaker) and speaker.lower() not in NOT_SPEAKERS


def write_csvs(rows: dict[str, list[dict]], out_dir: Path, prefix: str = "") -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for task, items in rows.items():
        paths[task] = out_dir / f"{prefix}{task}.csv"
        with open(paths[task], "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, COLUMNS[task], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(items)
    return paths


def summary(rows: dict[str, list[dict]]) -> dict:
    def count(items, key="label"):
        return dict(Counter(lab for r in items for lab in r[key].split("|")))
    return {"topic": count(rows["topic"]), "stance": count(rows["stance"]),
            "stance_targets": dict(Counter(r["target"] for r in rows["stance"])), "agreement": count(rows["agreement"])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m etl.labels.annotated")
    parser.add_argument("--corpora", default=str(Path(__file__).resolve().parents[3] / "shared" / "corpora"))
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    for split in ("train", "all-train", "held-out", "test-2024"):
        rows = build_rows(Path(args.corpora), split)
        write_csvs(rows, Path(args.out), prefix=f"{split}-")
        print(split, summary(rows))


if __name__ == "__main__":
    main()
