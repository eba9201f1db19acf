"""Speaker resolution across a run, made independent of where each document is computed.

Speaker resolution is the one part of the ETL whose answers depend on document order: the
resolver learns each transcript's speakers, and later documents link surnames and news
quotes to them. So the driver resolves every document's turns in input order
(`RunSpeakers`), and each task records how many run names were known when it was read. A
worker anywhere replays exactly that state (`ResolverReplay`), so a document gets the same
answers on either engine and on any worker.
"""
from __future__ import annotations

from pathlib import Path

from etl.model import Document
from etl.speakers import SpeakerResolver


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
