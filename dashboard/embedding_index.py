"""Segment embeddings held in memory for semantic search.

Below IVF_MIN rows the index is an exact float32 flat index (faiss), so small warehouses
rank exactly as DuckDB does (checked in tests/test_queries.py). From IVF_MIN rows it is a
faiss inverted file: ~sqrt(n)/2 k-means cells over the unit vectors, stored as float16,
and a search scores the rows of the quarter of the cells nearest the query.

Measured by bench/search.py at a million 384-dim segments of bench/make_warehouse.py on
two shared cores (200 held-out queries, recall@10 against exact float32 search): p50 12-14
ms, p95 14-19 ms, recall 1.00; with the Search page's filter rows (900,000 of them) p95
26-28 ms; built in 15-28 s (5 of them reading DuckDB), holding 0.77 GB. For comparison:
exact search ~440 ms in DuckDB, ~140 ms in numpy; the previous index (PCA-128 scores of
every row, exact re-rank of the best 5,000) 80 / 100 ms at recall 0.97, holding 1.28 GB.
The synthetic vectors are tight clusters, which suit cells: on 40,000 real sentence
embeddings (tweets, claims, debate lines) a quarter of 500 cells gave recall 0.97-0.985,
a sixth 0.945-0.97 (1,000 cells: 0.98-0.99, but twice the build time).

A filter (`allowed` rowids) becomes a bitmap the index skips rows by; the fewer rows it
allows, the more cells are scanned, up to all of them (exact over the allowed rows).

It is loaded in the background at start-up and reloaded only when the embeddings change
(an ETL run), not on label corrections. Rows are keyed by the embeddings table's rowid,
which the statement facts carry as emb_row. The query embedder (the model named in the
warehouse) is loaded on first use (~0.5 s with the ONNX backend).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import faiss
import numpy as np

from dashboard.runtime import freeze_long_lived_objects
from warehouse import queries as q
from warehouse.store import Reader

IVF_MIN = 100_000  # rows from which the index is approximate (an inverted file)
PER_CELL = 64  # training vectors per k-means cell
PROBE_SHARE = 4  # an unfiltered search scans 1/PROBE_SHARE of the cells


@dataclass
class Snapshot:
    version: tuple | None
    rowids: np.ndarray  # embeddings rowid of each row (a row is the faiss id), ascending
    position: np.ndarray  # rowid -> row (-1 where none)
    index: faiss.Index  # inner product over unit vectors: IndexFlatIP, or IndexIVFScalarQuantizer
    nprobe: int  # cells an unfiltered search scans (0: flat index)

    @property
    def size(self) -> int:
        return len(self.rowids)

    @property
    def nbytes(self) -> int:
        """Memory held, approximately (arrays and the index's codes, ids and centroids)."""
        index = self.index
        extra = index.ntotal * 16 + index.nlist * index.d * 4 if self.nprobe else 0  # ids, direct map, centroids
        return index.ntotal * index.code_size + extra + self.rowids.nbytes + self.position.nbytes

    def rows_of(self, emb_rows) -> np.ndarray:
        """Rows of the given embedding rowids (those this snapshot holds)."""
        ids = np.asarray(emb_rows, dtype=np.int64)
        ok = (ids >= 0) & (ids < len(self.position))
        rows = self.position[ids[ok]]
        return rows[rows >= 0]

    def vector(self, row: int) -> np.ndarray:
        """The stored (unit) vector of a row."""
        return self.index.reconstruct(int(row))

    def top(self, vector: np.ndarray, allowed, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k embedding rowids most similar (cosine) to `vector` among `allowed` rowids
        (None = all; repeats and unknown rowids are ignored), best first, with their scores."""
        bitmap = None if allowed is None else self.bitmap(allowed)
        if not self.size or k <= 0 or (bitmap is not None and not bitmap.any()):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        query = _unit(np.asarray(vector, dtype=np.float32).reshape(1, -1))
        packed = None if bitmap is None or bitmap.all() else np.packbits(bitmap, bitorder="little")
        selector = None if packed is None else faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed))
        params = self.search_params(selector, 1.0 if packed is None else bitmap.mean())
        scores, rows = self.index.search(query, min(k, self.size), params=params)  # packed, selector alive here
        found = rows[0] >= 0
        return self.rowids[rows[0][found]], scores[0][found]

    def bitmap(self, allowed) -> np.ndarray:
        """One flag per row: is its rowid among `allowed`."""
        bitmap = np.zeros(self.size, bool)
        bitmap[self.rows_of(allowed)] = True
        return bitmap

    def search_params(self, selector, share: float):
        """faiss search parameters: the allowed rows (a selector, or None for all), and for
        an inverted file the cells to scan, more the smaller the `share` of rows allowed, so
        that about as many allowed rows are scored (all cells: exact over the allowed rows)."""
        if not self.nprobe:
            return None if selector is None else faiss.SearchParameters(sel=selector)
        nprobe = min(self.index.nlist, math.ceil(self.nprobe / max(share, 1e-9)))
        if selector is None:
            return faiss.SearchParametersIVF(nprobe=nprobe)
        return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)


def load_snapshot(reader: Reader, batch: int = 100_000) -> Snapshot:
    """Read all embeddings (again if a writer swapped in a new file meanwhile: the batches
    are read by separate connections), then build the index over them."""
    for _attempt in range(3):
        before = reader.snapshot()
        version = q.embeddings_version(reader)
        if version is None:
            return build_snapshot(None, np.zeros(0, np.int64), np.zeros((0, 1), np.float32))
        rowids, vectors = read_embeddings(reader, batch)
        if reader.snapshot() == before:
            break
    return build_snapshot(version, rowids, vectors, batch=batch)


def read_embeddings(reader: Reader, batch: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """All rowids and vectors in rowid order, into preallocated arrays (float16 when there
    are enough rows for the approximate index, which stores float16 anyway)."""
    batches = q.embedding_batches(reader, batch)
    n = next(batches)
    rowids, vectors, at = np.zeros(n, np.int64), None, 0
    for ids, chunk in batches:
        if vectors is None:
            vectors = np.zeros((n, chunk.shape[1]), np.float16 if n >= IVF_MIN else np.float32)
        rowids[at:at + len(ids)], vectors[at:at + len(ids)] = ids, chunk
        at += len(ids)
    return rowids[:at], (vectors if vectors is not None else np.zeros((0, 1), np.float32))[:at]


def build_snapshot(version, rowids: np.ndarray, vectors: np.ndarray, batch: int = 100_000) -> Snapshot:
    """Index `vectors` (one per rowid, rowids ascending): for an inverted file, train the
    k-means cells on a sample; then place the rows batch by batch."""
    n, dim = vectors.shape
    position = np.full(int(rowids.max(initial=-1)) + 1, -1, dtype=np.int64)
    position[rowids] = np.arange(n)
    sample = _unit(vectors[np.random.default_rng(0).permutation(n)[:PER_CELL * _cells(n)]])
    index, nprobe = _new_index(dim, n, sample)
    cells = np.empty(n if nprobe else 0, np.int64)
    for lo in range(0, n, batch):
        chunk = _unit(vectors[lo:lo + batch])
        if nprobe:
            cells[lo:lo + len(chunk)] = index.quantizer.assign(chunk, 1).ravel()
        else:
            index.add(chunk)
    if nprobe:
        _fill_cells(index, vectors, cells)
    return Snapshot(version, rowids, position, index, nprobe)


def _fill_cells(index: faiss.IndexIVFScalarQuantizer, vectors: np.ndarray, cells: np.ndarray) -> None:
    """Add each cell's rows in one go, so that its list is allocated once at its size
    (index.add grows the lists row by row, by doubling: up to twice the memory). A QT_fp16
    code is the IEEE half-precision vector, which numpy makes ~5x faster than sq.compute_codes."""
    order = np.argsort(cells, kind="stable")
    bounds = np.searchsorted(cells[order], np.arange(index.nlist + 1))
    for cell in range(index.nlist):
        rows = order[bounds[cell]:bounds[cell + 1]]
        if len(rows):
            codes = _unit(vectors[rows]).astype(np.float16).view(np.uint8)
            index.invlists.add_entries(cell, len(rows), faiss.swig_ptr(rows), faiss.swig_ptr(codes))
    index.ntotal = len(vectors)
    index.make_direct_map()  # for vector(row)


def _cells(n: int) -> int:
    return max(1, round(math.sqrt(n) / 2))


def _new_index(dim: int, n: int, sample: np.ndarray) -> tuple[faiss.Index, int]:
    """An exact flat index, or a trained inverted file and its unfiltered nprobe."""
    if n < IVF_MIN:
        return faiss.IndexFlatIP(dim), 0
    cells = _cells(n)
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, cells, faiss.ScalarQuantizer.QT_fp16,
                                          faiss.METRIC_INNER_PRODUCT)
    index.by_residual = False  # float16 codes of the vectors themselves
    index.cp.max_points_per_centroid = PER_CELL
    index.train(sample)
    return index, min(cells, max(16, cells // PROBE_SHARE))


def _unit(vectors: np.ndarray) -> np.ndarray:
    out = np.array(vectors, dtype=np.float32, order="C")  # a copy: normalize_L2 works in place
    faiss.normalize_L2(out)
    return out


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
                self._snapshot = None  # let the old index go before loading the new one
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
        (None = all; repeats and unknown rowids are ignored), best first, with their scores."""
        return self.snapshot().top(vector, allowed, k)

    def vectors(self, emb_rows) -> np.ndarray | None:
        """The vectors of these embedding rowids as the index holds them (unit length; float16
        precision from IVF_MIN rows), or None while the index for the warehouse as it is now is
        not loaded, or when it lacks one of them: callers then read them from the warehouse.
        Never waits for a load."""
        snap = self._snapshot
        if snap is None or snap.version != q.embeddings_version(self.reader):
            return None
        ids = np.asarray(emb_rows, dtype=np.int64)
        if not len(ids) or ids.min() < 0 or ids.max() >= len(snap.position):
            return None
        rows = snap.position[ids]
        return None if (rows < 0).any() else snap.index.reconstruct_batch(rows)

    def encode(self, text: str) -> np.ndarray:
        """The query's embedding with the warehouse's model (loaded on first use)."""
        return _encode(q.embedding_model(self.reader), text)


@lru_cache(maxsize=512)
def _encode(model: str | None, text: str) -> np.ndarray:
    return _embedder(model).encode([text])[0]


@lru_cache(maxsize=4)
def _embedder(model: str | None):
    from etl.embed import get_embedder

    # One short query: a single thread takes ~10 ms, where a thread pool competing with
    # numpy's and DuckDB's for two cores took ~500 ms.
    embedder = get_embedder(model, threads=1)
    if embedder.backend == "sentence-transformers":
        import torch

        torch.set_num_threads(1)
    freeze_long_lived_objects()  # the model's objects (~350,000 with torch)
    return embedder
