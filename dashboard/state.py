"""What every callback shares: the warehouse reader, the embedding index, filter choices."""
from __future__ import annotations

import functools
import json
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
MEMO_SIZE = 256  # results remembered: views of the most used filters, speakers and pages


@dataclass
class AppState:
    db_path: Location
    reader: Reader
    index: EmbeddingIndex
    _options: tuple | None = None
    _memo: OrderedDict = field(default_factory=OrderedDict)
    _computing: dict = field(default_factory=dict)  # key -> Event, for results being computed
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
        """Filter choices, cached per version of the warehouse the queries answer from."""
        key = q.facts_version(self.reader)
        cached = self._options
        if cached and cached[0] == key:
            return cached[1]
        options = q.filter_options(self.reader)
        with self._lock:
            self._options = (key, options)
        return options

    def memo(self, name: str, key, compute, size: int = MEMO_SIZE):
        """compute(), remembered per warehouse version and key (bounded LRU): the camps that
        two callbacks of one page both need, and a view many analysts look at. Callers asking
        for a result another thread is computing wait for it instead of computing it again
        (after a correction, every analyst's next view would otherwise be computed at once)."""
        full = (name, q.facts_version(self.reader), key)
        with self._lock:
            if full in self._memo:
                self._memo.move_to_end(full)
                return self._memo[full]
            pending = self._computing.get(full)
            if pending is None:
                self._computing[full] = threading.Event()
        if pending is not None:
            pending.wait(timeout=120)
            with self._lock:
                if full in self._memo:
                    return self._memo[full]
            return compute()  # the first caller failed: compute it here
        try:
            value = compute()
            with self._lock:
                self._memo[full] = value
                while len(self._memo) > size:
                    self._memo.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._computing.pop(full).set()

    def speaker_names(self) -> dict[str, str]:
        return {s["speaker_id"]: s["name"] for s in self.options()["speakers"]}


def cached(view):
    """For a Dash callback whose output depends only on its arguments and the warehouse: its
    result is remembered per warehouse version and arguments, so that analysts looking at
    the same view share one computation."""
    @functools.wraps(view)
    def wrapper(*args):
        key = json.dumps(args, sort_keys=True, default=str)
        return current().memo(f"{view.__module__}.{view.__name__}", key, lambda: view(*args))
    return wrapper


def attach(server: flask.Flask, state: AppState) -> None:
    server.extensions[EXTENSION] = state


def current() -> AppState:
    """The state of the app serving this request."""
    return flask.current_app.extensions[EXTENSION]
