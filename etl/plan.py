"""The driver's pass over the inputs: read, hash, skip what is unchanged, resolve speakers.

Runs in the ETL's own process for both engines and yields one `Task` per new or changed
document, lazily and in input order. Nothing here loads a model, so a re-run on unchanged
input costs a read and hash of the files and never starts an engine's work.

Speaker resolution is the one part of the ETL whose answers depend on document order: the
resolver learns each transcript's speakers, and later documents link surnames and news
quotes to them. So it happens here, in order, for both engines; each task records how many
run names were known when it was read, and a worker replays exactly that state
(`ResolverReplay`), so a document gets the same answers on any engine and any worker.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from etl import load
from etl.compute import Task
from etl.model import Document, Reject
from etl.read import iter_files, read_file
from etl.speakers import SpeakerResolver

log = logging.getLogger("stance.etl")


class RunSpeakers:
    """The run's speaker resolver, on the driver. `learned` lists, in order, the names it
    learned during the run: with `aliases` and `known` it rebuilds any earlier state."""

    def __init__(self, aliases: str | Path | None, known: list[str]):
        self.aliases, self.known = aliases, known
        self.resolver = SpeakerResolver(aliases, known=known)
        self.learned: list[str] = []
        self._learned_set: set[str] = set()

    def resolve_turns(self, doc: Document) -> list[str | None]:
        """Each turn's canonical speaker (None for stage directions); learns the new names."""
        context = self.resolver.document_context([doc.title or "", *(t.text for t in doc.turns)], doc.published)
        speakers = [self.resolver.resolve(t.speaker, context) if t.speaker else None for t in doc.turns]
        new = [n for n in dict.fromkeys(speakers) if n and n not in self._learned_set]
        self.learned += new
        self._learned_set.update(new)
        self.resolver.learn(new)
        return speakers


class ResolverReplay:
    """A worker's copy of the driver's resolver, moved to the state it had at any task.

    Learning is a fold over the names in order, so the base resolver plus `learned[:k]`
    is exactly the driver's after its k-th name. Tasks arrive nearly in order: moving
    forward learns the difference, moving back (rare) rebuilds."""

    def __init__(self, aliases: str | Path | None, known: list[str], learned: list[str]):
        self.aliases, self.known, self.learned = aliases, known, learned
        self.resolver, self.k = SpeakerResolver(aliases, known=known), 0

    def at(self, k: int) -> SpeakerResolver:
        if k < self.k:
            self.resolver, self.k = SpeakerResolver(self.aliases, known=self.known), 0
        if k > self.k:
            self.resolver.learn(self.learned[self.k:k])
            self.k = k
        return self.resolver


class Planner:
    """Turns the inputs into tasks; counts skipped documents and rejects into `summary`."""

    def __init__(self, con, summary, settings):
        self.con, self.summary, self.settings = con, summary, settings
        self.speakers: RunSpeakers | None = None  # made at the first new document
        self.planned = 0

    def tasks(self) -> Iterator[Task]:
        stored = load.document_hashes(self.con)
        seen: dict[str, tuple[str, str]] = {}  # document_id -> (hash, file) within this run
        for item in iter_files(self.summary.inputs):
            for record in [item] if isinstance(item, Reject) else read_file(item):
                if isinstance(record, Reject):
                    self._reject(record)
                elif self._is_new(record, stored, seen):
                    yield self._task(record, replaces=record.document_id in stored)

    def _reject(self, record: Reject) -> None:
        log.warning("rejected %s", record)
        self.summary.rejects.append(record)

    def _is_new(self, doc: Document, stored: dict, seen: dict) -> bool:
        digest = doc.content_hash
        if doc.document_id in seen:
            first_hash, first_file = seen[doc.document_id]
            if first_hash != digest:
                self._reject(Reject(doc.source_file, doc.turns[0].line if doc.turns else None,
                                    f"source_id {doc.document_id!r} already read from {first_file} "
                                    "with different content"))
            return False
        seen[doc.document_id] = (digest, doc.source_file)
        if stored.get(doc.document_id) == digest:
            self.summary.skipped += 1
            return False
        return True

    def _task(self, doc: Document, replaces: bool) -> Task:
        if self.speakers is None:
            self.speakers = RunSpeakers(self.settings.aliases, load.known_speakers(self.con))
        turn_speakers = self.speakers.resolve_turns(doc)
        task = Task(seq=self.planned, doc=doc, turn_speakers=turn_speakers,
                    names_known=len(self.speakers.learned), replaces=replaces)
        if replaces:
            task.prior, task.prior_model = self._prior(doc.document_id)
        self.planned += 1
        return task

    def _prior(self, document_id: str) -> tuple[dict, str | None]:
        """The vectors stored for the document's previous version, and the model that made them."""
        if load.setting(self.con, "embedding_model") is None:
            return {}, None
        ids = [sid for (sid,) in self.con.execute(
            "SELECT segment_id FROM segments WHERE document_id = ?", [document_id]).fetchall()]
        return load.stored_vectors(self.con, ids), load.setting(self.con, "embedding_model")
