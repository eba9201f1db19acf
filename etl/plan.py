"""The driver's pass over the inputs: read, hash, skip what is unchanged, resolve speakers.

Runs in the ETL's own process for both engines and yields one `Task` per new or changed
document, lazily and in input order. Nothing here loads a model, so a re-run on unchanged
input costs a read and hash of the files and never starts an engine's work (nor imports
numpy: the compute and the speaker resolver are imported at the first new document). Speakers are
resolved here, in input order, because later documents depend on the names learned from
earlier ones (etl/run_speakers.py).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from etl import stored
from etl.model import Document, Reject
from etl.read import iter_files, read_file

if TYPE_CHECKING:
    from etl.compute import Task
    from etl.run_speakers import RunSpeakers

log = logging.getLogger("stance.etl")


class Planner:
    """Turns the inputs into tasks; counts skipped documents and rejects into `summary`."""

    def __init__(self, con, summary, settings):
        self.con, self.summary, self.settings = con, summary, settings
        self.speakers: RunSpeakers | None = None  # made at the first new document
        self.planned = 0

    def tasks(self) -> Iterator[Task]:
        hashes = stored.document_hashes(self.con)
        seen: dict[str, tuple[str, str]] = {}  # document_id -> (hash, file) within this run
        for item in iter_files(self.summary.inputs):
            for record in [item] if isinstance(item, Reject) else read_file(item):
                if isinstance(record, Reject):
                    self._reject(record)
                elif self._is_new(record, hashes, seen):
                    yield self._task(record, replaces=record.document_id in hashes)

    def _reject(self, record: Reject) -> None:
        log.warning("rejected %s", record)
        self.summary.rejects.append(record)

    def _is_new(self, doc: Document, hashes: dict, seen: dict) -> bool:
        digest = doc.content_hash
        if doc.document_id in seen:
            first_hash, first_file = seen[doc.document_id]
            if first_hash != digest:
                self._reject(Reject(doc.source_file, doc.turns[0].line if doc.turns else None,
                                    f"source_id {doc.document_id!r} already read from {first_file} "
                                    "with different content"))
            return False
        seen[doc.document_id] = (digest, doc.source_file)
        if hashes.get(doc.document_id) == digest:
            self.summary.skipped += 1
            return False
        return True

    def _task(self, doc: Document, replaces: bool) -> Task:
        from etl.compute import Task
        from etl.run_speakers import RunSpeakers

        if self.speakers is None:
            self.speakers = RunSpeakers(self.settings.aliases, stored.known_speakers(self.con))
        turn_speakers = self.speakers.resolve_turns(doc)
        task = Task(seq=self.planned, doc=doc, turn_speakers=turn_speakers,
                    names_known=len(self.speakers.learned), replaces=replaces)
        if replaces:
            task.prior, task.prior_model = stored.document_vectors(self.con, doc.document_id)
        self.planned += 1
        return task

