"""One ETL run: read -> segment -> embed -> label -> load, incremental by content hash.

Unchanged documents are skipped, changed ones replace their old rows, and segments whose
text did not change keep their stored vectors. The whole run is staged privately and merged
into the warehouse in one short transaction at the end (warehouse.staging), so a run killed
at any moment leaves the previous state intact and readers never see half a run.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from etl import layout, load, speaker_roles
from etl.attribution import attribute, reported_agreements
from etl.embed import Embedder, get_embedder
from etl.model import NEWS, Document, Reject, Segment
from etl.read import iter_files, read_file
from etl.segment import segment_document
from etl.speakers import SpeakerResolver, speaker_id
from etl.taxonomy import Taxonomy, load_taxonomy
from warehouse.staging import staged_session
from warehouse.store import etl_lock, location

if TYPE_CHECKING:
    from etl.labels import Labeller

log = logging.getLogger("stance.etl")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS, EXIT_RUNNING = 0, 1, 2, 3, 75


ETL_MEMORY_LIMIT = "256MB"
"""DuckDB's memory in a run. The run's staging tables spill to a temporary folder beyond it,
so the ETL's peak memory does not grow with its input; the warehouse has no indexes that
must fit in memory, so it does not grow with the warehouse either."""


@dataclass
class Settings:
    model: str | None = None  # sentence-transformers name or path; None = bundled all-MiniLM-L6-v2
    taxonomy: str | Path | None = None
    aliases: str | Path | None = None
    label_models: str | Path | None = None  # directory from `stance train`; None = shipped defaults
    embed_backend: str | None = None  # "onnx" or "sentence-transformers"; None = $STANCE_EMBED_BACKEND or onnx
    data_path: str | None = None  # where a new DuckLake location keeps its Parquet files (e.g. s3://...)


@dataclass
class RunSummary:
    inputs: list[str]
    run_id: int | None = None
    status: str = "running"
    added: int = 0
    replaced: int = 0
    skipped: int = 0
    segments: int = 0
    embedded: int = 0
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None
    started_at: dt.datetime = field(default_factory=dt.datetime.now)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def exit_code(self) -> int:
        return {"ok": EXIT_OK, "ok_with_rejects": EXIT_REJECTS}.get(self.status, EXIT_FAILED)

    def line(self) -> str:
        return (f"run {self.run_id}: {self.status}: {self.added} added, {self.replaced} replaced, "
                f"{self.skipped} unchanged, {self.rejected} rejected; {self.segments} segments, "
                f"{self.embedded} embedded")


@dataclass
class Stages:
    """What a run needs besides the warehouse: loaded once, reused for every document."""

    embedder: Embedder
    taxonomy: Taxonomy
    resolver: SpeakerResolver
    _labeller: Future

    @property
    def labeller(self) -> Labeller:
        return self._labeller.result()

    @classmethod
    def load(cls, settings: Settings, known_speakers: Iterable[str] = ()) -> Stages:
        embedder = get_embedder(settings.model, settings.embed_backend)
        taxonomy = load_taxonomy(settings.taxonomy)
        # The label models (and scikit-learn, ~1 s to import) load in a thread while the
        # first document is read and embedded; labels are only needed after that.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-labeller")
        labeller = pool.submit(_load_labeller, taxonomy, embedder, settings.label_models)
        pool.shutdown(wait=False)  # its thread ends when the load does
        return cls(embedder, taxonomy, SpeakerResolver(settings.aliases, known=known_speakers), labeller)


def _load_labeller(taxonomy, embedder, label_models) -> Labeller:
    from etl.labels import Labeller

    return Labeller(taxonomy, embedder, label_models)


class LazyStages:
    """Stages loaded at the first document that needs them: a run with nothing new to load
    never pays for the model and label models."""

    def __init__(self, con, settings: Settings):
        self.con, self.settings, self._stages = con, settings, None

    def __call__(self) -> Stages:
        if self._stages is None:
            self._stages = Stages.load(self.settings, load.known_speakers(self.con))
            load.ensure_embeddings(self.con, self._stages.embedder.name, self._stages.embedder.dim)
        return self._stages


def run_etl(db: str | Path, inputs: list[str], settings: Settings | None = None) -> RunSummary:
    """Load `inputs` into the warehouse at `db`. Raises AlreadyRunning if another run holds it."""
    settings = settings or Settings()
    summary = RunSummary(inputs=[str(i) for i in inputs])
    db = location(db, settings.data_path)  # a bad --db fails here, before anything runs
    with etl_lock(db):
        try:
            with staged_session(db, memory_limit=ETL_MEMORY_LIMIT, data_path=settings.data_path) as con:
                summary.run_id = load.next_run_id(con)
                _load_inputs(con, LazyStages(con, settings), summary)
                if summary.added or summary.replaced or layout.missing(con):
                    log.info(layout.update(con).line())
                summary.status = "ok_with_rejects" if summary.rejects else "ok"
                _finish_run(con, summary)
        except Exception as exc:
            summary.status, summary.error = "failed", f"{type(exc).__name__}: {exc}"
            log.error("run failed: %s", summary.error)
            _record_failure(db, summary, settings.data_path)
    log.info(summary.line())
    return summary


def _load_inputs(con, stages: LazyStages, summary: RunSummary) -> None:
    stored = load.document_hashes(con)
    seen: dict[str, tuple[str, str]] = {}  # document_id -> (hash, file) within this run
    for item in iter_files(summary.inputs):
        for record in [item] if isinstance(item, Reject) else read_file(item):
            if isinstance(record, Reject):
                log.warning("rejected %s", record)
                summary.rejects.append(record)
                continue
            _load_document(con, stages, summary, record, stored, seen)


def _load_document(con, stages: LazyStages, summary, doc: Document, stored: dict, seen: dict) -> None:
    digest = doc.content_hash
    if doc.document_id in seen:
        first_hash, first_file = seen[doc.document_id]
        if first_hash != digest:
            summary.rejects.append(Reject(doc.source_file, doc.turns[0].line if doc.turns else None,
                                          f"source_id {doc.document_id!r} already read from {first_file} "
                                          "with different content"))
        return
    seen[doc.document_id] = (digest, doc.source_file)
    if stored.get(doc.document_id) == digest:
        summary.skipped += 1
        return
    n_segments, n_embedded = process_document(con, stages(), doc, summary.run_id, known=doc.document_id in stored)
    summary.segments += n_segments
    summary.embedded += n_embedded
    if doc.document_id in stored:
        summary.replaced += 1
    else:
        summary.added += 1
    log.info("loaded %s (%s, %d segments)", doc.document_id, doc.kind, n_segments)


def process_document(con, stages: Stages, doc: Document, run_id: int, known: bool = True) -> tuple[int, int]:
    """Segment, embed, label and load one document; returns (segments, newly embedded).
    `known`: the warehouse may hold vectors of its segments (False for a new document)."""
    context = stages.resolver.document_context([doc.title or "", *(t.text for t in doc.turns)], doc.published)
    turn_speakers = [stages.resolver.resolve(t.speaker, context) if t.speaker else None for t in doc.turns]
    stages.resolver.learn(n for n in turn_speakers if n)
    segments = segment_document(doc, turn_speakers)
    reported = _attribute_news(doc, segments, stages.resolver) if doc.kind == NEWS else []
    vectors, n_new = _vectors(con, stages.embedder, segments, known)
    names = {s.speaker for s in segments} | set(turn_speakers) | {n for r in reported for n in (r.speaker, r.target_speaker)}
    speakers = {n: (speaker_id(n), None) for n in names if n}  # roles are recorded below, by precedence
    roles = speaker_roles.document_roles(doc, turn_speakers, stages.resolver, quoted=names)
    labels = _labels(stages, segments, vectors, reported, speakers)
    for seg in segments:  # the warehouse stores speaker ids
        seg.speaker = speakers[seg.speaker][0] if seg.speaker else None
    load.replace_document(
        con, doc, run_id, {sid: (name, role) for name, (sid, role) in speakers.items()},
        [speakers[n][0] if n else None for n in turn_speakers], segments, vectors,
        stages.embedder.name, labels,
    )
    speaker_roles.record(con, {speakers[name][0]: role for name, role in roles.items()})
    return len(segments), n_new


def _attribute_news(doc: Document, segments: list[Segment], resolver: SpeakerResolver) -> list:
    text = doc.turns[0].text
    spans = [(s.char_start, s.char_end) for s in segments]
    language = doc.language or (segments[0].language if segments else None)
    attributions = attribute(text, spans, language, resolver)
    for seg, attr in zip(segments, attributions):
        seg.speaker, seg.attribution = (attr.speaker, attr) if attr else (None, None)
    return reported_agreements(text, spans, attributions, language, resolver)


def _vectors(con, embedder: Embedder, segments: list[Segment], known: bool) -> tuple[np.ndarray, int]:
    stored = load.stored_vectors(con, [s.segment_id for s in segments], embedder.name) if known else {}
    missing = [i for i, s in enumerate(segments) if s.segment_id not in stored]
    vectors = np.zeros((len(segments), embedder.dim), dtype=np.float32)
    for i, s in enumerate(segments):
        if s.segment_id in stored:
            vectors[i] = stored[s.segment_id]
    if missing:
        vectors[missing] = embedder.encode([segments[i].text for i in missing])
    return vectors, len(missing)


def _labels(stages: Stages, segments, vectors, reported, speakers) -> dict[str, list]:
    topics = stages.labeller.topics(segments, vectors)
    stances = stages.labeller.stances(segments, vectors, topics)
    return {
        "topic_labels": topics,
        "stance_labels": stances,
        "agreement_labels": _reply_agreements(stages, segments, vectors, speakers)
        + _reported_rows(segments, reported, speakers),
    }


def _reply_agreements(stages: Stages, segments: list[Segment], vectors, speakers) -> list[dict]:
    """One agreement label per replying turn: its first segment toward the segment it answers."""
    index = {s.segment_id: i for i, s in enumerate(segments)}
    firsts = [i for i, s in enumerate(segments)
              if s.reply_to and (i == 0 or segments[i - 1].turn_index != s.turn_index)]
    if not firsts:
        return []
    targets = [index[segments[i].reply_to] for i in firsts]
    labels = stages.labeller.agreements([segments[i] for i in firsts], [segments[j] for j in targets],
                                        vectors[firsts], vectors[targets])
    return [
        {"segment_id": a.segment_id, "kind": "reply", "target_segment_id": a.target_segment_id,
         "speaker_id": speakers[segments[i].speaker][0], "target_speaker_id": speakers[segments[j].speaker][0],
         "label": a.label, "score": a.score, "model": a.model, "method": a.method, "evidence": None}
        for a, i, j in zip(labels, firsts, targets)
    ]


def _reported_rows(segments: list[Segment], reported, speakers) -> list[dict]:
    return [
        {"segment_id": segments[r.span_index].segment_id, "kind": "reported", "target_segment_id": None,
         "speaker_id": speakers[r.speaker][0], "target_speaker_id": speakers[r.target_speaker][0],
         "label": r.label, "score": r.score, "model": "attribution-rules", "method": "reported-speech",
         "evidence": r.evidence}
        for r in reported
    ]


def _finish_run(con, summary: RunSummary) -> None:
    """The run's row (merged with everything else it loaded: no run is ever seen half-done)."""
    load.record_rejects(con, summary.run_id, summary.rejects)
    # parameters, not Arrow: DuckDB's first Arrow scan in a process costs ~0.5 s, most of an unchanged re-run
    con.execute(
        """INSERT INTO memory.main.etl_runs (run_id, started_at, ended_at, status, inputs, added, replaced, skipped,
                                             rejected, segments, embedded, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [summary.run_id, summary.started_at, dt.datetime.now(), summary.status, summary.inputs, summary.added,
         summary.replaced, summary.skipped, summary.rejected, summary.segments, summary.embedded, summary.error])


def _record_failure(db, summary: RunSummary, data_path: str | None) -> None:
    """A failed run loads nothing, but its row and rejects are kept for the Runs page."""
    try:
        with staged_session(db, data_path=data_path) as con:
            summary.run_id = load.next_run_id(con)
            summary.added = summary.replaced = summary.segments = summary.embedded = 0
            _finish_run(con, summary)
    except Exception as exc:  # the warehouse itself is unusable; the log line is all we can give
        log.error("could not record the failed run: %s", exc)
