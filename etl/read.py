"""Stage 1, read: input files -> Documents, and Rejects for whatever cannot be used.

Formats are detected from content, not the file name:
  transcript JSONL  {"source_id","title","date","url","speaker","turn_index","text"} per turn
  news JSONL        {"source_id","outlet","date","url","language","title","text"} per article
  plain text        "SPEAKER: text" lines (optional "# SOURCE: url", "# TITLE:", "# DATE:" header lines)
  WebVTT / SRT      cues with <v Speaker> voice tags (or "SPEAKER: text" payloads)
A bad record is rejected with its file, line and reason; it never costs the good ones beside it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from etl.model import CONVERSATION, NEWS, Document, Reject, Turn

MAX_LINE_BYTES = 10 * 1024 * 1024
TRANSCRIPT_KEYS = {"source_id", "title", "date", "url", "speaker", "turn_index", "text"}
NEWS_KEYS = {"source_id", "outlet", "date", "url", "language", "title", "text"}

Record = Document | Reject


class FileError(ValueError):
    """The whole file cannot be read; becomes one Reject."""


# ---------------------------------------------------------------- files and folders

def iter_files(inputs: Iterable[str | Path]) -> Iterator[Path | Reject]:
    """Every file under the inputs (folders recursed, symlink loops and repeats visited once)."""
    seen: set[str] = set()
    for raw in inputs:
        path = Path(raw)
        if not path.exists():
            yield Reject(str(raw), None, "no such file or directory")
        elif path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=True):
                real = os.path.realpath(root)
                if real in seen:
                    dirs[:] = []
                    continue
                seen.add(real)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield from _once(Path(root) / name, seen)
        else:
            yield from _once(path, seen)


def _once(path: Path, seen: set[str]) -> Iterator[Path]:
    real = os.path.realpath(path)
    if real not in seen:
        seen.add(real)
        yield path


def read_file(path: str | Path) -> Iterator[Record]:
    """Documents and Rejects from one file; an unreadable file is a single Reject."""
    path = Path(path)
    try:
        lines = _decoded_lines(path)
        fmt = detect_format(lines)
    except FileError as exc:
        yield Reject(str(path), None, str(exc))
        return
    except OSError as exc:
        yield Reject(str(path), None, f"cannot read file ({exc.strerror or exc})")
        return
    yield from READERS[fmt](path, lines)


def _decoded_lines(path: Path) -> list[tuple[int, str | Reject]]:
    """(line number, text) pairs; a line that cannot be decoded or is too long is a Reject."""
    data = path.read_bytes()
    if not data.strip():
        raise FileError("empty file")
    if b"\x00" in data[:8192]:
        raise FileError("binary file (contains NUL bytes); expected text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    encoding = _encoding(data)
    out: list[tuple[int, str | Reject]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if len(raw) > MAX_LINE_BYTES:
            out.append((number, Reject(str(path), number, f"line longer than {MAX_LINE_BYTES // 2**20} MB",
                                       raw[:200].decode("utf-8", "replace"))))
            continue
        try:
            out.append((number, raw.decode(encoding).rstrip("\r")))
        except UnicodeDecodeError as exc:
            out.append((number, Reject(str(path), number, f"invalid {encoding} at byte {exc.start}",
                                       raw[:200].decode(encoding, "replace"))))
    return out


def _encoding(data: bytes) -> str:
    """UTF-8 unless no line with non-ASCII bytes decodes as UTF-8 (a legacy file such as cp1252).

    Deciding per file, not per line, keeps one bad line from turning a UTF-8 file into mojibake.
    """
    valid = invalid = 0
    for raw in data.split(b"\n"):
        if not raw.isascii():
            try:
                raw.decode("utf-8")
                valid += 1
            except UnicodeDecodeError:
                invalid += 1
    if valid or not invalid:
        return "utf-8"
    from charset_normalizer import from_bytes  # only for a legacy file: its import costs ~50 ms

    guess = from_bytes(data).best()
    return guess.encoding if guess is not None else "cp1252"


# ---------------------------------------------------------------- format detection

_TIMING = re.compile(r"^\s*(\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}")
_LABEL = re.compile(r"^\s*(?P<label>[A-Z][\w.'\- ]{0,48}?|\(?[A-Z]{1,4}\)?)\s*:\s+(?P<text>\S.*)$")


def detect_format(lines: list[tuple[int, str | Reject]]) -> str:
    text = [t.strip() for _, t in lines if isinstance(t, str) and t.strip()]
    if not text:
        raise FileError("no readable text (every line is invalid)")
    first = text[0]
    if first.startswith("{") or sum(t.startswith("{") for t in text[:50]) >= min(len(text[:50]), 2) / 2:
        return "jsonl"
    if first.lstrip("\ufeff").startswith("WEBVTT"):
        return "vtt"
    if first.isdigit() and len(text) > 1 and _TIMING.match(text[1]):
        return "srt"
    body = [t for t in text if not t.startswith("#")]
    labelled = sum(1 for t in body if _speaker_label(t))
    if labelled >= 2 and labelled >= 0.2 * len(body):
        return "text"
    raise FileError(
        "unrecognised format: expected transcript or news JSONL, WebVTT, SRT, or 'SPEAKER: text' lines"
    )


def _speaker_label(line: str) -> tuple[str, str] | None:
    m = _LABEL.match(line)
    if not m or any(ch.isdigit() for ch in m.group("label")):
        return None
    label = m.group("label").strip("() ")
    if len(label.split()) > 5:
        return None
    return label, m.group("text").strip()


# ---------------------------------------------------------------- JSONL

def read_jsonl(path: Path, lines) -> Iterator[Record]:
    docs: dict[str, Document] = {}
    turn_lines: dict[tuple[str, int], str] = {}
    for number, raw in lines:
        if isinstance(raw, Reject):
            yield raw
            continue
        if not raw.strip():
            continue
        try:
            rec = _parse_record(raw)
            doc = _news(path, rec) if _is_news(rec) else _transcript(path, rec, number)
        except ValueError as exc:
            yield Reject(str(path), number, str(exc), raw)
            continue
        problem = _merge(docs, turn_lines, doc, number)
        if problem:
            yield Reject(str(path), number, problem, raw)
    for doc in docs.values():
        doc.turns.sort(key=lambda t: t.turn_index)
        yield doc


def _parse_record(raw: str) -> dict:
    try:
        rec = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, got {type(rec).__name__}")
    return rec


def _is_news(rec: dict) -> bool:
    return "outlet" in rec or ("speaker" not in rec and "turn_index" not in rec)


def _text_field(rec: dict, key: str, required: bool = False) -> str | None:
    value = rec.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"missing or empty field '{key}'")
        return None
    if not isinstance(value, str):
        raise ValueError(f"field '{key}' must be a string, got {type(value).__name__}")
    return value.strip() if key != "text" else value


def _date(rec: dict) -> dt.date | None:
    value = _text_field(rec, "date")
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"field 'date' is not a YYYY-MM-DD date: {value[:40]!r}") from None


def _news(path: Path, rec: dict) -> Document:
    text = _text_field(rec, "text", required=True)
    return Document(
        document_id=_text_field(rec, "source_id", required=True), kind=NEWS, source_file=str(path),
        format="news-jsonl", title=_text_field(rec, "title"), outlet=_text_field(rec, "outlet"),
        url=_text_field(rec, "url"), published=_date(rec), language=_text_field(rec, "language"),
        turns=[Turn(0, None, text)],
    )


def _transcript(path: Path, rec: dict, number: int) -> Document:
    index = rec.get("turn_index")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"field 'turn_index' must be a non-negative integer, got {json.dumps(index)[:40]}")
    return Document(
        document_id=_text_field(rec, "source_id", required=True), kind=CONVERSATION, source_file=str(path),
        format="transcript-jsonl", title=_text_field(rec, "title"), url=_text_field(rec, "url"),
        published=_date(rec), language=_text_field(rec, "language"),
        turns=[Turn(index, _text_field(rec, "speaker"), _text_field(rec, "text", required=True), line=number)],
    )


def _merge(docs: dict[str, Document], turn_lines: dict, doc: Document, number: int) -> str | None:
    """Fold one parsed line into the documents of its file; returns a reason to reject it."""
    known = docs.get(doc.document_id)
    if doc.kind == NEWS:
        if known is None:
            docs[doc.document_id] = doc
            return None
        same = known.content_hash == doc.content_hash
        return f"duplicate source_id {doc.document_id!r}" + ("" if same else " with different content")
    if known is None:
        docs[doc.document_id] = known = Document(**{**doc.__dict__, "turns": []})
    elif known.kind != CONVERSATION:
        return f"source_id {doc.document_id!r} is already a news article in this file"
    turn = doc.turns[0]
    key = (doc.document_id, turn.turn_index)
    if key in turn_lines:
        return f"duplicate turn_index {turn.turn_index} for source_id {doc.document_id!r} (first on line {turn_lines[key]})"
    turn_lines[key] = number
    known.turns.append(turn)
    return None


# ---------------------------------------------------------------- plain text

_HEADER = re.compile(r"^#\s*(SOURCE|TITLE|DATE|URL)\s*:\s*(.+)$", re.I)


def read_text(path: Path, lines) -> Iterator[Record]:
    meta: dict[str, str] = {}
    turns: list[Turn] = []
    for number, raw in lines:
        if isinstance(raw, Reject):
            yield raw
            continue
        line = raw.strip()
        header = _HEADER.match(line) if not turns else None
        if header:
            meta[header.group(1).lower()] = header.group(2).strip()
        elif (labelled := _speaker_label(line)) is not None:
            turns.append(Turn(len(turns), labelled[0], labelled[1], line=number))
        elif line and turns:
            turns[-1].text += "\n" + line
        elif line:
            yield Reject(str(path), number, "text before the first 'SPEAKER:' label", line)
    yield _conversation_file(path, "text", turns, meta)


def _conversation_file(path: Path, fmt: str, turns: list[Turn], meta: dict[str, str]) -> Document:
    date = meta.get("date") or _date_in(path.name)
    try:
        published = dt.date.fromisoformat(date) if date else None
    except ValueError:
        published = None
    return Document(
        document_id=path.stem, kind=CONVERSATION, source_file=str(path), format=fmt,
        title=meta.get("title") or re.sub(r"[_\-\s]*\d{4}-\d{2}-\d{2}", "", path.stem).replace("_", " ").strip(),
        url=meta.get("source") or meta.get("url"), published=published, turns=turns,
    )


def _date_in(name: str) -> str | None:
    m = re.search(r"(\d{4}-\d{2}-\d{2})", name)
    return m.group(1) if m else None


# ---------------------------------------------------------------- subtitles

_VOICE = re.compile(r"<v(?:\.[\w.]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-z][^>]*>|<\d[\d:.]*>", re.I)


def read_subtitles(path: Path, lines) -> Iterator[Record]:
    turns: list[Turn] = []
    for number, timing, payload in _cues(path, lines):
        start, end = (_seconds(t) for t in re.split(r"\s*-->\s*", timing.strip())[:2])
        for speaker, text in _voices(payload):
            if speaker is None and turns:
                speaker = turns[-1].speaker
            if not turns or speaker != turns[-1].speaker:
                turns.append(Turn(len(turns), speaker, "", start_s=start, line=number, cues=[]))
            turn = turns[-1]
            turn.text += (" " if turn.text else "") + text
            turn.cues.append((len(turn.text) - len(text), start, end))
            turn.end_s = end
    fmt = "vtt" if lines and str(lines[0][1]).lstrip("\ufeff").startswith("WEBVTT") else "srt"
    if not turns:
        yield Reject(str(path), None, "subtitle file has no cues with text")
        return
    yield _conversation_file(path, fmt, turns, {})


def _cues(path: Path, lines) -> Iterator[tuple[int, str, str]]:
    """(line, timing, payload) per cue; malformed lines are skipped (subtitle exports are messy)."""
    timing, start_line, payload = None, 0, []
    for number, raw in [*lines, (len(lines) + 1, "")]:
        if isinstance(raw, Reject):
            continue
        line = raw.strip()
        if _TIMING.match(line):
            timing, start_line, payload = line, number, []
        elif not line:
            if timing and payload:
                yield start_line, timing, " ".join(payload)
            timing, payload = None, []
        elif timing:
            payload.append(line)


def _voices(payload: str) -> Iterator[tuple[str | None, str]]:
    parts = _VOICE.split(payload)
    if len(parts) == 1:
        labelled = _speaker_label(_TAG.sub("", payload))
        text = labelled[1] if labelled else _TAG.sub("", payload).strip()
        if text:
            yield (labelled[0] if labelled else None), text
        return
    if _TAG.sub("", parts[0]).strip():
        yield None, _TAG.sub("", parts[0]).strip()
    for speaker, text in zip(parts[1::2], parts[2::2]):
        text = " ".join(_TAG.sub("", text).split())
        if text:
            yield speaker.strip(), text


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split()[0].split(":")
    return round(sum(float(p) * 60**i for i, p in enumerate(reversed(parts))), 3)


READERS = {"jsonl": read_jsonl, "text": read_text, "vtt": read_subtitles, "srt": read_subtitles}
