"""Segment embeddings held in memory for semantic search and the map.

Measured at a million 384-dim segments on two shared cores: DuckDB's
array_cosine_similarity over the table takes ~0.7 s per query and a float32 matrix
product ~0.15-0.25 s. So the index scores every segment in a 128-dim PCA space
(float32, ~60 ms) and re-ranks the best 5,000 exactly against the full vectors (kept
as float16 to halve memory: 0.77 GB + 0.5 GB at a million). Search results match the
exact DuckDB ranking (checked in tests/test_queries.py).

It is loaded in the background at start-up (~15 s at a million segments) and reloaded
only when the embeddings change (an ETL run), not on label corrections. Rows are keyed
by the embeddings table's rowid, which the statement facts carry as emb_row. The query
embedder (the model named in the warehouse) is loaded on first use (~10 s).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dashboard.runtime import freeze_long_lived_objects
from warehouse import queries as q
from warehouse.store import Reader

REDUCED_DIM = 128
RERANK = 5000
PCA_SAMPLE = 5000


@dataclass
class Snapshot:
    version: tuple | None
    rowids: np.ndarray  # embeddings rowid of each row, ascending
    full: np.ndarray  # float16 unit vectors, one per row
    position: np.ndarray  # rowid -> row (-1 where none)
    mean: np.ndarray
    axes: np.ndarray  # principal axes (REDUCED_DIM x dim), the first two draw the map
    reduced: np.ndarray  # float32 (full - mean) @ axes.T

    @property
    def size(self) -> int:
        return len(self.rowids)

    def rows_of(self, emb_rows) -> np.ndarray:
        """Rows of the given embedding rowids (those this snapshot holds)."""
        ids = np.asarray(emb_rows, dtype=np.int64)
        ok = (ids >= 0) & (ids < len(self.position))
        rows = self.position[ids[ok]]
        return rows[rows >= 0]


def pca_axes(sample: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and the first k principal axes (k x dim) of a sample of vectors."""
    dim = sample.shape[1]
    if len(sample) < 3:
        return np.zeros(dim, np.float32), np.eye(min(k, dim), dim, dtype=np.float32)
    mean = sample.mean(axis=0)
    centred = (sample - mean).astype(np.float64)
    values, vectors = np.linalg.eigh(centred.T @ centred)  # dim x dim: cheaper than an SVD of the sample
    order = np.argsort(values)[::-1][:k]
    return mean.astype(np.float32), vectors[:, order].T.astype(np.float32)


def load_snapshot(reader: Reader, batch: int = 100_000) -> Snapshot:
    """Read all embeddings in batches into preallocated arrays, then fit the PCA."""
    version = q.embeddings_version(reader)
    if version is None:
        return Snapshot(None, *_empty(1))
    batches = q.embedding_batches(reader, batch)
    n = next(batches)
    rowids = np.zeros(n, np.int64)
    full = None
    at = 0
    for ids, vectors in batches:
        if full is None:
            full = np.zeros((n, vectors.shape[1]), np.float16)
        rowids[at:at + len(ids)], full[at:at + len(ids)] = ids, vectors
        at += len(ids)
    if full is None or at == 0:
        return Snapshot(version, *_empty(1))
    rowids, full = rowids[:at], full[:at]
    position = np.full(rowids.max() + 1, -1, dtype=np.int64)
    position[rowids] = np.arange(at)
    sample = full[np.linspace(0, at - 1, min(at, PCA_SAMPLE)).astype(int)].astype(np.float32)
    mean, axes = pca_axes(sample, REDUCED_DIM)
    reduced = np.empty((at, len(axes)), np.float32)
    for lo in range(0, at, batch):
        reduced[lo:lo + batch] = (full[lo:lo + batch].astype(np.float32) - mean) @ axes.T
    return Snapshot(version, rowids, full, position, mean, axes, reduced)


def _empty(dim: int) -> tuple:
    return (np.zeros(0, np.int64), np.zeros((0, dim), np.float16), np.zeros(0, np.int64),
            np.zeros(dim, np.float32), np.zeros((2, dim), np.float32), np.zeros((0, 2), np.float32))


class EmbeddingIndex:
    """The current snapshot of a warehouse's embeddings; thread-safe, loads once per version."""

    def __init__(self, reader: Reader):
        self.reader = reader
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        """The snapshot for the warehouse as it is now (waits while one is loading)."""
        version = q.embeddings_version(self.reader)
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = None  # let the old arrays go before loading new ones
                self._snapshot = load_snapshot(self.reader)
            return self._snapshot

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def load_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.snapshot, name="embedding-index", daemon=True)
        thread.start()
        return thread

    def top(self, vector: np.ndarray, allowed, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k embedding rowids most similar (cosine) to `vector` among `allowed` rowids
        (None = all), best first, with their scores."""
        snap = self.snapshot()
        rows = np.arange(snap.size) if allowed is None else snap.rows_of(allowed)  # may repeat
        if not len(rows) or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        vector = np.asarray(vector, dtype=np.float32)
        coarse = self._coarse_scores(snap, vector, rows)
        keep = min(len(rows), max(RERANK, k))
        candidates = np.unique(rows[np.argpartition(-coarse, keep - 1)[:keep]])
        vectors = snap.full[candidates].astype(np.float32)
        exact = (vectors @ vector) / np.maximum(np.linalg.norm(vectors, axis=1), 1e-12)
        best = np.argsort(-exact, kind="stable")[: min(k, len(candidates))]
        return snap.rowids[candidates[best]], exact[best]

    @staticmethod
    def _coarse_scores(snap: Snapshot, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Similarity in the reduced space (ranking only; the constant vector·mean is dropped)."""
        query = snap.axes @ vector
        if len(rows) > snap.size // 4:  # multiplying everything beats copying most rows
            return (snap.reduced @ query)[rows]
        return snap.reduced[rows] @ query

    def coordinates(self, emb_rows) -> np.ndarray:
        """Map coordinates (n x 2: the first two principal components); NaN where unknown."""
        snap = self.snapshot()
        ids = np.asarray(emb_rows, dtype=np.int64)
        out = np.full((len(ids), 2), np.nan, dtype=np.float32)
        if not snap.size:
            return out
        ok = (ids >= 0) & (ids < len(snap.position))
        rows = np.where(ok, snap.position[np.where(ok, ids, 0)], -1)
        have = rows >= 0
        out[have] = snap.reduced[rows[have], :2]
        return out

    def encode(self, text: str) -> np.ndarray:
        """The query's embedding with the warehouse's model (loaded on first use)."""
        return _encode(q.embedding_model(self.reader), text)


@lru_cache(maxsize=512)
def _encode(model: str | None, text: str) -> np.ndarray:
    return _embedder(model).encode([text])[0]


@lru_cache(maxsize=4)
def _embedder(model: str | None):
    import torch

    from etl.embed import get_embedder

    # One short query: a single thread takes ~10 ms, where torch's thread pool competing
    # with numpy's and DuckDB's for two cores took ~500 ms.
    torch.set_num_threads(1)
    embedder = get_embedder(model)
    freeze_long_lived_objects()  # the model's ~350,000 objects
    return embedder
