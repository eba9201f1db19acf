"""What every callback shares: the warehouse reader, the embedding index, filter choices."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import flask

from dashboard.embedding_index import EmbeddingIndex
from warehouse import queries as q
from warehouse.location import Location
from warehouse.store import Reader

EXTENSION = "stance"


@dataclass
class AppState:
    db_path: Location
    reader: Reader
    index: EmbeddingIndex
    _options: tuple | None = None
    _memo: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, db_path: str | Path) -> "AppState":
        reader = Reader(db_path)
        return cls(reader.location, reader, EmbeddingIndex(reader))

    def warm_up(self) -> None:
        """Build the fact tables and start loading the embedding index (background)."""
        q.warm_up(self.reader)
        self.index.load_in_background()

    def options(self) -> dict:
        """Filter choices, cached until the warehouse changes."""
        key = self.reader.snapshot()
        cached = self._options
        if cached and cached[0] == key:
            return cached[1]
        options = q.filter_options(self.reader)
        with self._lock:
            self._options = (key, options)
        return options

    def memo(self, name: str, key, compute, size: int = 32):
        """compute(), remembered per warehouse version and key (small LRU), e.g. the camps
        that two callbacks of one page both need."""
        full = (name, self.reader.snapshot(), key)
        with self._lock:
            if full in self._memo:
                self._memo.move_to_end(full)
                return self._memo[full]
        value = compute()
        with self._lock:
            self._memo[full] = value
            while len(self._memo) > size:
                self._memo.popitem(last=False)
        return value

    def speaker_names(self) -> dict[str, str]:
        return {s["speaker_id"]: s["name"] for s in self.options()["speakers"]}


def attach(server: flask.Flask, state: AppState) -> None:
    server.extensions[EXTENSION] = state


def current() -> AppState:
    """The state of the app serving this request."""
    return flask.current_app.extensions[EXTENSION]
