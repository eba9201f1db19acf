"""Stand-off annotation of transcripts: units to label, annotation passes, and what both passes agree on.

Units are the ETL's own segments (`etl.segment`), keyed by (document, turn, character offsets), and
reply pairs, keyed by (document, replying turn, earlier turn). A pass is a JSONL file of labels on
those keys, with no text; the text is read back from the transcripts when training rows are built.
See docs/annotation-guide.md for what the labels mean.

    python -m etl.labels.annotation export ../shared/corpora/transcripts_debates_2016_kaggle_cc0.jsonl --out DIR
    python -m etl.labels.annotation agreement etl/labels/annotations/pass_a.jsonl etl/labels/annotations/pass_b.jsonl
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from etl.model import CONVERSATION, Document
from etl.read import read_file
from etl.segment import segment_document

TOPICS = ("immigration", "elections", "regulation")
STANCES = ("favor", "against", "none")
AGREEMENT = ("agree", "disagree", "neutral")
# Speaker labels of the corpora that moderate or ask rather than take part.
NON_PARTICIPANTS = {"holt", "cooper", "raddatz", "wallace", "quijano", "q", "question", "audience", "candidates",
                    "david muir", "linsey davis", "jake tapper", "dana bash", "anderson cooper", "enrique acevedo",
                    "karine jean-pierre"}
NOT_SPEAKERS = {"audience", "candidates"}


@dataclass(frozen=True)
class Unit:
    """A segment to label."""

    document_id: str
    turn_index: int
    char_start: int
    char_end: int
    speaker: str | None
    text: str

    @property
    def key(self) -> tuple:
        return (self.document_id, self.turn_index, self.char_start, self.char_end)


@dataclass(frozen=True)
class ReplyUnit:
    """A turn and an earlier turn of another speaker that it may answer."""

    document_id: str
    turn_index: int
    target_turn: int
    speaker: str
    target_speaker: str

    @property
    def key(self) -> tuple:
        return (self.document_id, self.turn_index, self.target_turn)


def documents(paths: Iterable[str | Path]) -> Iterator[Document]:
    for path in paths:
        for doc in read_file(Path(path)):
            if isinstance(doc, Document) and doc.kind == CONVERSATION:
                yield doc


def units(doc: Document) -> list[Unit]:
    segments = segment_document(doc, [t.speaker for t in doc.turns])
    return [Unit(doc.document_id, s.turn_index, s.char_start, s.char_end, s.speaker, s.text) for s in segments]


def is_participant(speaker: str | None) -> bool:
    return bool(speaker) and speaker.lower() not in NON_PARTICIPANTS


def reply_units(doc: Document, window: int = 4) -> list[ReplyUnit]:
    """Each speaking turn with the previous turn of another speaker and, where that one moderates or
    asks, also the last turn of another participant within `window` turns."""
    out = []
    turns = [t for t in doc.turns if t.speaker and t.speaker.lower() not in NOT_SPEAKERS and t.text.strip()]
    for k, turn in enumerate(turns):
        earlier = [t for t in reversed(turns[max(0, k - window):k]) if t.speaker != turn.speaker]
        if not earlier:
            continue
        targets = [earlier[0]]
        if not is_participant(earlier[0].speaker):
            targets += [t for t in earlier[1:] if is_participant(t.speaker)][:1]
        out += [ReplyUnit(doc.document_id, turn.turn_index, t.turn_index, turn.speaker, t.speaker) for t in targets]
    return out


# --- passes ------------------------------------------------------------------------------------
def read_pass(path: str | Path) -> tuple[dict[tuple, dict], dict[tuple, str]]:
    """({segment key: {"topics", "stance", "persons"}}, {reply key: label}) from a pass file."""
    segments, replies = {}, {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        rec = json.loads(line)
        if "target_turn" in rec:
            replies[(rec["document_id"], rec["turn_index"], rec["target_turn"])] = _check(rec["label"], AGREEMENT, path, n)
        else:
            key = (rec["document_id"], rec["turn_index"], rec["char_start"], rec["char_end"])
            topics = sorted(_check(t, TOPICS, path, n) for t in rec.get("topics", []))
            stance = {t: _check(rec.get("stance", {}).get(t, "none"), STANCES, path, n) for t in topics}
            persons = {p: _check(v, STANCES, path, n) for p, v in rec.get("persons", {}).items()}
            segments[key] = {"topics": topics, "stance": stance, "persons": persons}
    return segments, replies


def _check(value: str, allowed: tuple, path, line: int) -> str:
    if value not in allowed:
        raise ValueError(f"{path}:{line}: {value!r} is not one of {', '.join(allowed)}")
    return value


def cohen_kappa(a: list, b: list) -> float:
    labels = sorted(set(a) | set(b))
    n = len(a)
    if not n:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b)) / n
    expected = sum((a.count(lab) / n) * (b.count(lab) / n) for lab in labels)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def agreement(pass_a: str | Path, pass_b: str | Path) -> dict:
    """Raw agreement and Cohen's kappa per task, over the units both passes labelled."""
    (seg_a, rep_a), (seg_b, rep_b) = read_pass(pass_a), read_pass(pass_b)
    both = sorted(set(seg_a) & set(seg_b))
    topic_a = [t in seg_a[k]["topics"] for k in both for t in TOPICS]
    topic_b = [t in seg_b[k]["topics"] for k in both for t in TOPICS]
    sets_equal = sum(seg_a[k]["topics"] == seg_b[k]["topics"] for k in both)
    shared_topics = [(k, t) for k in both for t in set(seg_a[k]["topics"]) & set(seg_b[k]["topics"])]
    st_a = [seg_a[k]["stance"][t] for k, t in shared_topics]
    st_b = [seg_b[k]["stance"][t] for k, t in shared_topics]
    person_keys = [(k, p) for k in both for p in set(seg_a[k]["persons"]) | set(seg_b[k]["persons"])]
    pe_a = [seg_a[k]["persons"].get(p, "none") for k, p in person_keys]
    pe_b = [seg_b[k]["persons"].get(p, "none") for k, p in person_keys]
    rep = sorted(set(rep_a) & set(rep_b))
    ra, rb = [rep_a[k] for k in rep], [rep_b[k] for k in rep]

    def summary(a, b, n_units):
        agree = sum(x == y for x, y in zip(a, b))
        return {"units": n_units, "decisions": len(a), "agreement": round(agree / len(a), 4) if a else None,
                "kappa": round(cohen_kappa(a, b), 4) if a else None}

    out = {
        "topic": summary(topic_a, topic_b, len(both)),
        "topic_stance": summary(st_a, st_b, len(shared_topics)),
        "person_stance": summary(pe_a, pe_b, len(person_keys)),
        "reply": summary(ra, rb, len(rep)),
    }
    out["topic"]["same_topic_set"] = round(sets_equal / len(both), 4) if both else None
    return out


# --- export for annotators ---------------------------------------------------------------------
def export(paths: list[str], out_dir: str | Path, batch_segments: int = 120) -> int:
    """Write annotation batches (readable conversation text with unit ids) and index.json mapping ids
    to stand-off keys. Returns the number of batches. The batches hold source text: keep them out of
    the repository."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index, batches = {}, 0
    for doc in documents(paths):
        segs, reps = units(doc), reply_units(doc)
        by_turn: dict[int, list[Unit]] = {}
        for u in segs:
            by_turn.setdefault(u.turn_index, []).append(u)
        replies_by_turn: dict[int, list[ReplyUnit]] = {}
        for r in reps:
            replies_by_turn.setdefault(r.turn_index, []).append(r)
        lines, count, part = [], 0, 0
        for turn in doc.turns:
            if count >= batch_segments:
                batches += _write_batch(out, doc, part, lines)
                lines, count, part = [], 0, part + 1
            lines.append(f"\n[T{turn.turn_index}] {turn.speaker or '(no speaker)'}:")
            for u in by_turn.get(turn.turn_index, []):
                uid = f"s{len(index)}"
                index[uid] = {"document_id": u.document_id, "turn_index": u.turn_index,
                              "char_start": u.char_start, "char_end": u.char_end}
                lines.append(f"  {uid}: {u.text}")
                count += 1
            for r in replies_by_turn.get(turn.turn_index, []):
                rid = f"r{len(index)}"
                index[rid] = {"document_id": r.document_id, "turn_index": r.turn_index, "target_turn": r.target_turn}
                lines.append(f"  {rid}: REPLY of {r.speaker} (T{r.turn_index}) toward {r.target_speaker} (T{r.target_turn})")
        if lines:
            batches += _write_batch(out, doc, part, lines)
    (out / "index.json").write_text(json.dumps(index, indent=0), encoding="utf-8")
    return batches


def _write_batch(out: Path, doc: Document, part: int, lines: list[str]) -> int:
    head = f"=== {doc.document_id} | {doc.title or ''} | {doc.published or ''} | part {part} ==="
    (out / f"{doc.document_id}__{part:02d}.txt").write_text(head + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return 1


def resolve(labels_file: str | Path, index_file: str | Path) -> list[dict]:
    """Annotators' {"id": ...} records with their ids replaced by stand-off keys."""
    index = json.loads(Path(index_file).read_text(encoding="utf-8"))
    out = []
    for n, line in enumerate(Path(labels_file).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            rec = json.loads(line)
            if rec.get("id") not in index:
                raise ValueError(f"{labels_file}:{n}: unknown unit id {rec.get('id')!r}")
            out.append({**index[rec.pop("id")], **rec})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m etl.labels.annotation")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write annotation batches for transcript files")
    ex.add_argument("inputs", nargs="+")
    ex.add_argument("--out", required=True)
    ag = sub.add_parser("agreement", help="agreement between two passes")
    ag.add_argument("pass_a")
    ag.add_argument("pass_b")
    args = parser.parse_args(argv)
    if args.command == "export":
        print(f"{export(args.inputs, args.out)} batches in {args.out}")
    else:
        print(json.dumps(agreement(args.pass_a, args.pass_b), indent=2))


if __name__ == "__main__":
    main()
