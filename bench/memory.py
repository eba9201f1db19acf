"""ETL memory: peak RSS of `stance etl` on the benchmark corpus and on ten copies of it.

Each copy is a set of new documents (own source ids, every sentence prefixed with the copy's
number word) loaded into a fresh warehouse, so the run embeds ten times the segments. A
streaming ETL keeps its peak near the single corpus's: rss_growth_x10 = peak(x10) / peak(x1).
"""
from __future__ import annotations

from pathlib import Path

from bench.debate_corpus import copies
from bench.etl_speed import run_etl


def measure(corpus: Path, work: Path, corpus_run: dict | None = None, n_copies: int = 10, log=print) -> dict:
    """`corpus_run`: a first `stance etl` run on `corpus` already made (its peak RSS is reused)."""
    if corpus_run is None:
        log("memory: stance etl on the corpus")
        corpus_run = run_etl(work / "memory-x1.lake", [corpus])
    big = copies(corpus, work / f"corpus-x{n_copies}.jsonl", n_copies)
    log(f"memory: stance etl on the corpus x{n_copies}")
    run = run_etl(work / f"memory-x{n_copies}.lake", [big])
    one, many = corpus_run["peak_rss_mb"], run["peak_rss_mb"]
    return {
        "etl_peak_rss_mb": one,
        f"etl_peak_rss_mb_x{n_copies}": many,
        f"rss_growth_x{n_copies}": round(many / one, 3) if one else None,
        f"etl_per_s_x{n_copies}": round(run["embedded"] / run["seconds"], 2) if run.get("embedded") else None,
        "memory_runs": {f"x{n_copies}": run},
    }
