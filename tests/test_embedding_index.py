"""dashboard/embedding_index.py: the exact flat index, the inverted file used from IVF_MIN
rows (recall against brute force, filters); and bench/search.py."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import make_warehouse  # noqa: E402
import search as search_bench  # noqa: E402

from dashboard import embedding_index as ei  # noqa: E402


def clustered(n: int, dim: int = 48, clusters: int = 60, seed: int = 0) -> np.ndarray:
    """Unit vectors in clusters of near-duplicates, like the synthetic warehouses."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    v = centres[rng.integers(0, clusters, n)] + rng.standard_normal((n, dim)).astype(np.float32) * 0.7 / dim ** 0.5
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact(vectors: np.ndarray, rowids: np.ndarray, query: np.ndarray, k: int, allowed=None) -> list[int]:
    scores = vectors @ (query / np.linalg.norm(query))
    if allowed is not None:
        scores = np.where(np.isin(rowids, allowed), scores, -np.inf)
    order = np.argsort(-scores, kind="stable")[:k]
    return rowids[order[np.isfinite(scores[order])]].tolist()


def held_out(vectors: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = vectors[rng.integers(0, len(vectors), n)]
    return base + rng.standard_normal(base.shape).astype(np.float32) * 0.5 / base.shape[1] ** 0.5


@pytest.fixture(scope="module")
def ivf():
    """An inverted-file snapshot over 30,000 vectors whose rowids have gaps."""
    vectors = clustered(30_000)
    rowids = np.arange(30_000, dtype=np.int64) * 2 + 5
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ei, "IVF_MIN", 10_000)
        snap = ei.build_snapshot(("v",), rowids, vectors.astype(np.float16), batch=7_000)
    assert snap.nprobe and snap.index.ntotal == 30_000
    stored = vectors.astype(np.float16).astype(np.float32)  # what the inverted file holds
    return snap, stored / np.linalg.norm(stored, axis=1, keepdims=True), rowids


def test_flat_index_ranks_exactly(monkeypatch):
    vectors = clustered(3_000)
    rowids = np.arange(3_000, dtype=np.int64) * 3
    snap = ei.build_snapshot(("v",), rowids, vectors)
    assert snap.nprobe == 0
    for query in held_out(vectors, 20):
        found, scores = snap.top(query, None, 25)
        assert found.tolist() == exact(vectors, rowids, query, 25)
        assert np.all(np.diff(scores) <= 0) and scores[0] <= 1.0 + 1e-5


def test_inverted_file_holds_every_row_once_as_float16(ivf):
    snap, vectors, rowids = ivf
    assert snap.index.invlists.compute_ntotal() == snap.index.ntotal == len(rowids)
    for row in (0, 1, 12_345, len(rowids) - 1):
        assert np.array_equal(snap.vector(row), vectors[row].astype(np.float16).astype(np.float32))


def test_inverted_file_recall_against_brute_force(ivf):
    snap, vectors, rowids = ivf
    queries = held_out(vectors, 100)
    hits = [len(set(snap.top(qv, None, 10)[0].tolist()) & set(exact(vectors, rowids, qv, 10))) for qv in queries]
    assert np.mean(hits) / 10 >= 0.95


def test_filters_small_subsets_exactly_and_ignores_junk(ivf):
    snap, vectors, rowids = ivf
    rng = np.random.default_rng(3)
    allowed = rng.choice(rowids, 400, replace=False)
    junk = np.concatenate([allowed, allowed[:50], [-7, 4, 10 ** 9]])  # repeats, a gap, out of range
    for query in held_out(vectors, 10):
        found, scores = snap.top(query, junk, 30)
        assert found.tolist() == exact(vectors, rowids, query, 30, allowed)
        assert np.allclose(scores, vectors[np.searchsorted(rowids, found)] @ (query / np.linalg.norm(query)),
                           atol=1e-3)


def test_large_filters_keep_recall(ivf):
    snap, vectors, rowids = ivf
    allowed = rowids[np.random.default_rng(4).random(len(rowids)) < 0.6]
    queries = held_out(vectors, 50, seed=5)
    hits = [len(set(snap.top(qv, allowed, 10)[0].tolist()) & set(exact(vectors, rowids, qv, 10, allowed)))
            for qv in queries]
    assert np.mean(hits) / 10 >= 0.95
    assert set(snap.top(queries[0], allowed, 10)[0].tolist()) <= set(allowed.tolist())


def test_edge_cases(ivf):
    snap, vectors, rowids = ivf
    query = vectors[0]
    assert len(snap.top(query, [], 10)[0]) == 0 and len(snap.top(query, [-1, 10 ** 9], 10)[0]) == 0
    assert len(snap.top(query, None, 0)[0]) == 0
    found, _ = snap.top(query, rowids[:3], 10)  # fewer allowed than asked for
    assert sorted(found.tolist()) == rowids[:3].tolist()
    assert np.allclose(snap.vector(0), vectors[0], atol=1e-3)
    empty = ei.build_snapshot(None, np.zeros(0, np.int64), np.zeros((0, 1), np.float32))
    assert len(empty.top(np.ones(1, np.float32), None, 5)[0]) == 0



def test_search_bench_on_a_small_warehouse(tmp_path, monkeypatch):
    db = make_warehouse.build(tmp_path / "w.duckdb", segments=3000, embedder="random", log=lambda *_: None)
    monkeypatch.setattr(search_bench, "phrase_vectors", lambda reader, n: np.zeros((0, 0), np.float32))
    monkeypatch.setattr(ei, "IVF_MIN", 1000)  # the inverted file, on a warehouse
    out = search_bench.measure_search(db, n_queries=30, k=10)
    for key in ("search_p95_ms", "search_p50_ms", "search_recall_at_10", "n", "index_build_s", "index_memory_mb"):
        assert out[key] is not None
    assert out["n"] == 3000 and out["queries"] == 30 and out["phrase_queries"] == 0
    assert out["search_recall_at_10"] >= 0.95 and out["filtered_speaker_recall_at_10"] >= 0.95
