"""Semantic search index: latency and recall@10 of EmbeddingIndex.top against exact search.

    python bench/make_warehouse.py --segments 1000000 --out /tmp/w1m.lake
    python bench/search.py --db /tmp/w1m.lake

Queries are held out (none of them is a stored vector):
  * phrases: the warehouse model's sentence embeddings of up to 40 things people type in
    the search box (on and off the warehouse's topics, a few in other languages); skipped
    when the model cannot be loaded;
  * perturbed segments: the rest, stored vectors of random segments plus Gaussian noise of
    norm 0.5, renormalised (cosine ~0.89 to their source): a new statement close to
    existing ones.
Truth is exact cosine top-k over the full float32 vectors, streamed from the warehouse.
Latency is `index.top(vector, allowed, k)` alone: the query vector is given, and neither
the embedding of the text nor the SQL that fetches the result rows is counted. The main
figures use no filter (allowed=None); the `filtered_*` keys pass the rows that
matching_embedding_rows gives for dashboard filters, as the Search page does (it passes
them even without filters: `filtered_all`). index_memory_mb is what the index holds
(Snapshot.nbytes); index_rss_growth_mb adds what the allocators kept from building it, and
process_peak_rss_mb is the process's peak by the end of the build.
Not a test: it prints numbers.
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.embedding_index import EmbeddingIndex  # noqa: E402
from warehouse import queries as q  # noqa: E402
from warehouse.queries import Filters  # noqa: E402
from warehouse.store import Reader  # noqa: E402

PHRASES = [
    "secure the border", "the election was rigged", "clean energy jobs", "cut taxes and spending",
    "refugees deserve a fair hearing", "deport criminals first", "family separation at the border",
    "asylum backlog in the courts", "voter fraud", "mail-in ballots were counted twice", "certify the results",
    "turnout in the primaries", "big tech antitrust", "too much red tape for small business", "AI regulation",
    "data privacy rules", "inflation is hurting families", "government spending creates jobs",
    "balance the budget", "the deficit is out of control", "wildfires and floods", "net zero is too expensive",
    "drill for more oil", "carbon emissions must fall", "thank you for having me", "let me finish",
    "welcome to the debate", "applause", "la politique migratoire", "el cambio climático", "die Wahl war fair",
    "الهجرة غير الشرعية", "minimum wage increase", "healthcare costs", "police reform", "gun control",
    "foreign policy in the Middle East", "housing is unaffordable", "student debt relief", "trade tariffs on China",
]
NOISE = 0.5  # norm of the noise added to a stored vector to make a held-out query


def filter_variants(reader: Reader) -> dict[str, Filters]:
    """Dashboard filters, from everything down to one speaker's statements."""
    speakers = q.filter_options(reader)["speakers"]
    one = (speakers[len(speakers) // 2]["speaker_id"],) if speakers else ("nobody",)
    return {"all": Filters(), "news": Filters(kind="news"), "speaker": Filters(speakers=one)}


def stored_vectors(reader: Reader, rowids: np.ndarray) -> np.ndarray:
    cur = reader.cursor()
    try:
        got = cur.execute("SELECT rowid AS r, vector FROM wh.main.embeddings WHERE list_contains(?, rowid) "
                          "ORDER BY rowid", [rowids.tolist()]).fetchnumpy()
        return np.stack(got["vector"]).astype(np.float32)
    finally:
        cur.close()


def phrase_vectors(reader: Reader, n: int) -> np.ndarray:
    try:
        from etl.embed import get_embedder

        return get_embedder(q.embedding_model(reader)).encode(PHRASES[:n])
    except Exception as exc:  # model not installed: perturbed segments only
        print(f"query model unavailable ({exc}); perturbed segments only", file=sys.stderr)
        return np.zeros((0, 0), np.float32)


def make_queries(reader: Reader, n: int, seed: int) -> tuple[np.ndarray, int]:
    """n unit query vectors: phrase embeddings first, then perturbed segments; and how many phrases."""
    rng = np.random.default_rng(seed)
    phrases = phrase_vectors(reader, min(len(PHRASES), n // 2))
    count, top = reader.query("SELECT count(*), max(rowid) FROM wh.main.embeddings")[1][0]
    m = n - len(phrases)
    rowids = np.sort(rng.choice(top + 1, min(m, count), replace=False))
    base = stored_vectors(reader, rowids)
    base = base[rng.integers(0, len(base), m)] if len(base) else np.zeros((0, phrases.shape[1]), np.float32)
    noisy = base + rng.standard_normal(base.shape).astype(np.float32) * (NOISE / base.shape[1] ** 0.5)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    both = np.vstack([phrases, noisy]) if len(phrases) else noisy
    return both.astype(np.float32), len(phrases)


def exact_top(reader: Reader, queries: np.ndarray, masks: dict, k: int) -> dict[str, np.ndarray]:
    """Exact cosine top-k rowids per query for each row mask (None = all rows), in one pass;
    -1 pads where fewer than k rows are allowed."""
    best = {name: (np.full((len(queries), 0), -np.inf, np.float32), np.zeros((len(queries), 0), np.int64))
            for name in masks}
    batches = q.embedding_batches(reader)
    next(batches)
    for ids, vectors in batches:
        scores = queries @ (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).T
        for name, rows in masks.items():
            s = scores if rows is None else np.where(rows[ids], scores, -np.inf)
            best[name] = _merge(best[name], s, np.broadcast_to(ids, s.shape), k)
    return {name: np.where(np.isfinite(s), i, -1) for name, (s, i) in best.items()}


def _merge(best: tuple, scores: np.ndarray, ids: np.ndarray, k: int) -> tuple:
    s, i = np.hstack([best[0], scores]), np.hstack([best[1], ids])
    if s.shape[1] > k:
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        s, i = np.take_along_axis(s, part, 1), np.take_along_axis(i, part, 1)
    order = np.argsort(-s, axis=1, kind="stable")
    return np.take_along_axis(s, order, 1), np.take_along_axis(i, order, 1)


def mask(rowids: np.ndarray, size: int) -> np.ndarray:
    """Boolean array over rowids 0..size-1 marking `rowids`."""
    out = np.zeros(size, bool)
    out[rowids] = True
    return out


def recall(found: list[np.ndarray], truth: np.ndarray) -> float | None:
    """Mean share of each query's true top-k (present rows only) that the index returned;
    None without queries."""
    shares = [len(set(f.tolist()) & set(t[t >= 0].tolist())) / max(1, (t >= 0).sum()) for f, t in zip(found, truth)]
    return round(float(np.mean(shares)), 4) if shares else None


def timed_search(index: EmbeddingIndex, queries: np.ndarray, allowed, k: int) -> tuple[list, list[float]]:
    for v in queries[:5]:
        index.top(v, allowed, k)  # warm-up
    found, times = [], []
    for v in queries:
        start = time.perf_counter()
        rows, _ = index.top(v, allowed, k)
        times.append((time.perf_counter() - start) * 1000)
        found.append(rows)
    return found, times


def percentiles(prefix: str, times: list[float]) -> dict:
    return {f"{prefix}_p{p}_ms": round(float(np.percentile(times, p)), 1) for p in (50, 95)}


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2 ** 20


def build_index(reader: Reader) -> tuple[EmbeddingIndex, dict]:
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    index = EmbeddingIndex(reader)
    snap = index.snapshot()
    seconds = time.perf_counter() - start
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return index, {"n": snap.size, "index_build_s": round(seconds, 2),
                   "index_memory_mb": round(snap.nbytes / 2 ** 20, 1),
                   "index_rss_growth_mb": round(rss_mb() - before, 1), "process_peak_rss_mb": round(peak, 1)}


def measure_search(db_path, n_queries: int = 200, k: int = 10, seed: int = 0, filtered: bool = True) -> dict:
    """Latency (ms) and recall@k of the warehouse's embedding index; see the module docstring."""
    reader = Reader(db_path)
    index, out = build_index(reader)
    queries, n_phrases = make_queries(reader, n_queries, seed)
    allowed = {name: q.matching_embedding_rows(reader, f) for name, f in filter_variants(reader).items()} \
        if filtered else {}
    size = reader.query("SELECT max(rowid) + 1 FROM wh.main.embeddings")[1][0][0]
    truth = exact_top(reader, queries, {None: None, **{name: mask(rows, size) for name, rows in allowed.items()}}, k)
    found, times = timed_search(index, queries, None, k)
    out.update({"queries": len(queries), "phrase_queries": n_phrases, "k": k,
                **percentiles("search", times),
                f"search_recall_at_{k}": recall(found, truth[None]),
                "search_recall_phrases": recall(found[:n_phrases], truth[None][:n_phrases]),
                "search_recall_perturbed": recall(found[n_phrases:], truth[None][n_phrases:])})
    for name, rows in allowed.items():
        found, times = timed_search(index, queries, rows, k)
        out.update({f"filtered_{name}_rows": int(len(np.unique(rows))),
                    **percentiles(f"filtered_{name}", times),
                    f"filtered_{name}_recall_at_{k}": recall(found, truth[name])})
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("bench/bench.lake"))
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-filters", action="store_true", help="skip the filtered variants")
    args = ap.parse_args(argv)
    result = measure_search(args.db, args.queries, args.k, args.seed, filtered=not args.no_filters)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
