"""The local engine (the default): each task is computed in the ETL's own process as it is read.

One document at a time goes read -> compute -> load, so memory does not grow with the input.
The models, and the compute's code (numpy and up), load at the first task: a run with nothing
new never pays for them.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from etl.compute import Models, Result


class LocalEngine:
    name = "local"

    def __init__(self, settings):
        self.settings = settings
        self._models: Models | None = None

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def results(self, planner) -> Iterator[Result]:
        for task in planner.tasks():
            from etl.compute import compute_document

            # The planner is a lazy generator, so its resolver stands exactly where this
            # task was read: the state a Ray worker replays from `names_known`.
            speakers = planner.speakers
            assert len(speakers.learned) == task.names_known
            yield compute_document(self.models, speakers.resolver, task)

    @property
    def models(self) -> Models:
        if self._models is None:
            from etl.compute import Models

            self._models = Models.load(self.settings)
        return self._models

    def report(self) -> str:
        return ""
