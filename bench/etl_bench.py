"""ETL speed: a first load versus an unchanged re-run, as real `stance etl` processes.

    .venv/bin/python bench/etl_bench.py [INPUT ...]     (default: ../shared/corpora, else the demo corpus)

Prints one table: wall time, peak memory, segments and vectors embedded per run, and the
ratio of first to second run. Each run is a fresh process, so both pay the model's start-up.
The whole suite (raw encode versus ETL, memory, dashboard, search, cold start) is `python -m bench`.
"""
from __future__ import annotations

import json
import sys
import tempfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.etl_speed import run_etl  # noqa: E402


def main() -> None:
    inputs = sys.argv[1:]
    if not inputs:
        shared = ROOT.parent / "shared" / "corpora"
        inputs = [str(shared)] if shared.exists() else [
            str(p) for p in (resources.files("stance") / "demo").iterdir() if p.suffix in (".jsonl", ".txt", ".vtt")]
    db = Path(tempfile.mkdtemp(prefix="stance-bench-")) / "bench.lake"
    first, second = run_etl(db, inputs), run_etl(db, inputs)
    print(f"inputs: {' '.join(inputs)}")
    print("| run | exit | seconds | peak MB | documents added | unchanged | segments | embedded |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in (("first", first), ("second (unchanged)", second)):
        print(f"| {name} | {r['exit']} | {r['seconds']:.1f} | {r['peak_rss_mb'] or 0:.0f} | {r.get('added')} | {r.get('skipped')} "
              f"| {r.get('segments')} | {r.get('embedded')} |")
    print(f"\nfirst / second wall time: {first['seconds'] / second['seconds']:.1f}x; "
          f"embedding rate in the first run: {(first.get('embedded') or 0) / first['seconds']:.0f} segments/s (incl. start-up)")
    print(json.dumps({"first": first, "second": second}))


if __name__ == "__main__":
    main()
