"""Benchmarks (scripts, not tests).

    .venv/bin/python -m bench --quick --out bench-quick.json    # a few minutes: the whole suite at small sizes
    .venv/bin/python -m bench --out bench.json                  # the full suite: 1,000,000 synthetic segments

The parts, each usable on its own: `etl_speed` (raw sentence-transformers versus `stance etl`,
vector agreement, no-op re-run), `memory` (peak RSS of the ETL on a corpus and on ten copies of
it), `cold_start` (process start-up of `stance eval`, `stance etl`, `stance dashboard`),
`dashboard_bench` (p50/p95 of every dashboard callback), `search` (semantic search latency and
recall), `make_warehouse` (the synthetic warehouse). The older scripts (`python bench/xyz.py`)
keep working.
"""
