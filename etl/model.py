"""The records that flow through the ETL stages."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CONVERSATION = "conversation"
NEWS = "news"


@dataclass
class Turn:
    """One speaker turn of a conversation (or the whole body of a news article)."""

    turn_index: int
    speaker: str | None  # the label as written in the source; None for stage directions
    text: str
    start_s: float | None = None  # cue times, for subtitles
    end_s: float | None = None
    line: int | None = None  # line of the source file the turn starts on
    cues: list[tuple[int, float, float]] | None = None  # subtitles: (char offset, start_s, end_s) per cue


@dataclass
class Document:
    document_id: str
    kind: str  # CONVERSATION | NEWS
    source_file: str
    format: str
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: dt.date | None = None
    language: str | None = None
    turns: list[Turn] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the warehouse, so a changed document is re-loaded."""
        payload = {k: v for k, v in asdict(self).items() if k not in ("source_file",)}
        for t in payload["turns"]:
            t.pop("line", None)
        blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Reject:
    """A record or file that could not be loaded, and why."""

    file: str
    line: int | None
    reason: str
    excerpt: str = ""

    MAX_EXCERPT = 200

    def __post_init__(self) -> None:
        self.excerpt = (self.excerpt or "")[: self.MAX_EXCERPT]

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


@dataclass
class Attribution:
    """Who a news segment reports, and the evidence for it."""

    speaker: str
    method: str  # e.g. 'direct-quote', 'reported-speech', 'coreference'
    confidence: float
    evidence: str  # the span of text that names the source


@dataclass
class Segment:
    segment_id: str
    document_id: str
    seq: int  # order within the document
    turn_index: int | None  # None for news
    speaker: str | None  # canonical speaker name; None = narration / stage direction
    text: str
    char_start: int  # offsets into the turn text (conversation) or article text (news)
    char_end: int
    language: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    reply_to: str | None = None  # segment this one answers (conversations)
    attribution: Attribution | None = None


def segment_id(document_id: str, turn_index: int | None, char_start: int, text: str) -> str:
    """Content key: the same text at the same place keeps its id (and its embedding) across re-loads."""
    key = f"{document_id}\x1f{turn_index}\x1f{char_start}\x1f{text}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


@dataclass
class DocumentRows:
    """One document's rows, as the compute makes them (etl/compute.py) and the load writes them."""

    doc: Document
    speakers: dict[str, tuple[str, str | None]]  # speaker_id -> (name, role)
    turn_speakers: list[str | None]  # speaker_id per turn
    segments: list[Segment]  # .speaker holds the speaker_id
    vectors: np.ndarray
    labels: dict[str, list]  # table -> rows (label dataclasses or dicts)
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)  # speaker_id -> (role, source) shown here
