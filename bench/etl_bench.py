"""ETL speed: a first load versus an unchanged re-run, as real `stance etl` processes.

    .venv/bin/python bench/etl_bench.py [INPUT ...]     (default: ../shared/corpora, else the demo corpus)

Prints one table: wall time, peak memory, segments and vectors embedded per run, and the
ratio of first to second run. Each run is a fresh process, so both pay the model's start-up.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(db: Path, inputs: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "stance", "etl", "--db", str(db), *inputs],
                          cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    from warehouse.store import connect_read

    con = connect_read(db)
    row = con.execute("SELECT segments, embedded, added, skipped, rejected FROM etl_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    con.close()
    return {"exit": proc.returncode, "seconds": seconds, "peak_mb": max(peak, before) / 1024,
            **dict(zip(["segments", "embedded", "added", "skipped", "rejected"], row))}


def main() -> None:
    inputs = sys.argv[1:]
    if not inputs:
        shared = ROOT.parent / "shared" / "corpora"
        inputs = [str(shared)] if shared.exists() else [
            str(p) for p in (resources.files("stance") / "demo").iterdir() if p.suffix in (".jsonl", ".txt", ".vtt")]
    db = Path(tempfile.mkdtemp(prefix="stance-bench-")) / "bench.duckdb"
    first, second = run(db, inputs), run(db, inputs)
    print(f"inputs: {' '.join(inputs)}")
    print("| run | exit | seconds | peak MB | documents added | unchanged | segments | embedded |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in (("first", first), ("second (unchanged)", second)):
        print(f"| {name} | {r['exit']} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {r['added']} | {r['skipped']} "
              f"| {r['segments']} | {r['embedded']} |")
    print(f"\nfirst / second wall time: {first['seconds'] / second['seconds']:.1f}x; "
          f"embedding rate in the first run: {first['embedded'] / first['seconds']:.0f} segments/s (incl. start-up)")
    print(json.dumps({"first": first, "second": second}))


if __name__ == "__main__":
    main()
