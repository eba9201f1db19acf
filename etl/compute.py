"""Stages 2-4 for one document, with no warehouse in reach: segment, attribute, embed, label.

Both engines (etl/engines/) run this same function, the local one in the ETL's own process
and the Ray one in its workers, so the two give the same rows for the same document. All it
needs comes with the `Task`: the speakers the driver resolved for the turns, the vectors
stored for the document's previous version, and how many run names were known when the
driver read it (news attribution links to exactly those; see etl/plan.py).
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from etl import speaker_roles
from etl.attribution import attribute, reported_agreements
from etl.embed import Embedder, get_embedder
from etl.model import NEWS, Document, DocumentRows, Segment
from etl.segment import segment_document
from etl.speakers import SpeakerResolver, speaker_id
from etl.taxonomy import Taxonomy, load_taxonomy
from warehouse.roles import is_participant

if TYPE_CHECKING:
    from etl.labels import Labeller


@dataclass
class Task:
    """One new or changed document, as the driver planned it."""

    seq: int  # position among the run's tasks: results are loaded in this order
    doc: Document
    turn_speakers: list[str | None]  # canonical name per turn, resolved on the driver
    names_known: int  # run names learned when the driver read it (etl.plan.RunSpeakers)
    replaces: bool  # a previous version is in the warehouse
    prior: dict[str, np.ndarray] = field(default_factory=dict)  # segment_id -> vector stored for that version
    prior_model: str | None = None  # the model that made them


@dataclass
class Result:
    """One document's rows for the writer, and what the run reports about them."""

    seq: int
    replaces: bool
    rows: DocumentRows
    model: str
    dim: int
    embedded: int  # vectors computed (the others were reused)


@dataclass
class Models:
    """The embedder, taxonomy and label models: loaded once per process (or per Ray actor)."""

    embedder: Embedder
    taxonomy: Taxonomy
    _labeller: Future

    @property
    def labeller(self) -> Labeller:
        return self._labeller.result()

    @classmethod
    def load(cls, settings, threads: int | None = None, device: str | None = None) -> Models:
        embedder = get_embedder(settings.model, settings.embed_backend, threads, device)
        taxonomy = load_taxonomy(settings.taxonomy)
        # The label models (and scikit-learn, ~1 s to import) load in a thread while the
        # first document is segmented and embedded; labels are only needed after that.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-labeller")
        labeller = pool.submit(_load_labeller, taxonomy, embedder, settings.label_models)
        pool.shutdown(wait=False)  # its thread ends when the load does
        return cls(embedder, taxonomy, labeller)


def _load_labeller(taxonomy, embedder, label_models) -> Labeller:
    from etl.labels import Labeller

    return Labeller(taxonomy, embedder, label_models)


def compute_document(models: Models, resolver: SpeakerResolver, task: Task) -> Result:
    """Segment, embed and label one document. `resolver` must know exactly the names known
    when the driver read it (the local engine's live resolver; etl.plan.ResolverReplay on Ray)."""
    doc, turn_speakers = task.doc, task.turn_speakers
    segments = segment_document(doc, turn_speakers)
    reported = _attribute_news(doc, segments, resolver) if doc.kind == NEWS else []
    vectors, n_new = _vectors(models.embedder, segments, task.prior if task.prior_model == models.embedder.name else {})
    names = {s.speaker for s in segments} | set(turn_speakers) | {n for r in reported for n in (r.speaker, r.target_speaker)}
    speakers = {n: (speaker_id(n), None) for n in names if n}  # roles are recorded by the load, by precedence
    roles = speaker_roles.document_roles(doc, turn_speakers, resolver, quoted=names)
    labels = _labels(models, segments, vectors, reported, speakers, roles)
    for seg in segments:  # the warehouse stores speaker ids
        seg.speaker = speakers[seg.speaker][0] if seg.speaker else None
    rows = DocumentRows(doc, {sid: (name, role) for name, (sid, role) in speakers.items()},
                        [speakers[n][0] if n else None for n in turn_speakers], segments, vectors, labels,
                        {speakers[name][0]: role for name, role in roles.items()})
    return Result(task.seq, task.replaces, rows, models.embedder.name, models.embedder.dim, n_new)


def _attribute_news(doc: Document, segments: list[Segment], resolver: SpeakerResolver) -> list:
    text = doc.turns[0].text
    spans = [(s.char_start, s.char_end) for s in segments]
    language = doc.language or (segments[0].language if segments else None)
    attributions = attribute(text, spans, language, resolver)
    for seg, attr in zip(segments, attributions):
        seg.speaker, seg.attribution = (attr.speaker, attr) if attr else (None, None)
    return reported_agreements(text, spans, attributions, language, resolver)


def _vectors(embedder: Embedder, segments: list[Segment], prior: dict) -> tuple[np.ndarray, int]:
    """The stored vectors of unchanged segments, new ones for the rest."""
    vectors = np.zeros((len(segments), embedder.dim), dtype=np.float32)
    missing = []
    for i, s in enumerate(segments):
        if s.segment_id in prior and len(prior[s.segment_id]) == embedder.dim:
            vectors[i] = prior[s.segment_id]
        else:
            missing.append(i)
    if missing:
        vectors[missing] = embedder.encode([segments[i].text for i in missing])
    return vectors, len(missing)


def _labels(models: Models, segments, vectors, reported, speakers, roles) -> dict[str, list]:
    topics = models.labeller.topics(segments, vectors)
    stances = models.labeller.stances(segments, vectors, topics)
    return {
        "topic_labels": topics,
        "stance_labels": stances,
        "agreement_labels": _reply_agreements(models, segments, vectors, speakers, roles)
        + _reported_rows(segments, reported, speakers),
    }


def _reply_agreements(models: Models, segments: list[Segment], vectors, speakers, roles) -> list[dict]:
    """One agreement label per replying turn, toward the turn it engages (Labeller.replies):
    a moderator's question is looked past to the participant the reply answers, by the
    roles this document shows."""
    def participant(name: str) -> bool:
        return is_participant(roles[name][0] if name in roles else None)

    labels = models.labeller.replies(segments, vectors, participant)
    return reply_rows(labels, segments, lambda seg: speakers[seg.speaker][0])


def reply_rows(labels, segments: list[Segment], speaker_of) -> list[dict]:
    """agreement_labels rows for reply labels; `speaker_of(segment)` is its speaker's id."""
    index = {s.segment_id: i for i, s in enumerate(segments)}
    return [
        {"segment_id": a.segment_id, "kind": "reply", "target_segment_id": a.target_segment_id,
         "speaker_id": speaker_of(segments[index[a.segment_id]]),
         "target_speaker_id": speaker_of(segments[index[a.target_segment_id]]),
         "label": a.label, "score": a.score, "model": a.model, "method": a.method, "evidence": None}
        for a in labels
    ]


def _reported_rows(segments: list[Segment], reported, speakers) -> list[dict]:
    return [
        {"segment_id": segments[r.span_index].segment_id, "kind": "reported", "target_segment_id": None,
         "speaker_id": speakers[r.speaker][0], "target_speaker_id": speakers[r.target_speaker][0],
         "label": r.label, "score": r.score, "model": "attribution-rules", "method": "reported-speech",
         "evidence": r.evidence}
        for r in reported
    ]
