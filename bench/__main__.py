"""The benchmark suite: ETL speed against raw sentence-transformers, ETL memory, dashboard callbacks,
semantic search, warehouse size and cold start, in one JSON object (and a table on stderr).

    .venv/bin/python -m bench --quick --out bench-quick.json   # minutes: 100,000 synthetic, memory on ~600 x10
    .venv/bin/python -m bench --out bench.json                 # 1,000,000 synthetic, memory on every segment x10

Both measure ETL speed on every debate segment (~2,700): a smaller input would mostly time
the fixed start-up of a process, not the ETL.

Every generated file lives in a temporary folder, removed at the end unless --keep.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import cold_start, etl_speed, memory
from bench.debate_corpus import select
from bench.harness import CORPORA, code_version, file_bytes, machine, query
from bench.targets import evaluate, table, targets_json

PARTS = ("etl", "memory", "dashboard", "search", "cold_start")
QUICK = {"etl_segments": None, "memory_segments": 600, "synthetic_segments": 100_000, "repeat": 20, "queries": 100}
FULL = {"etl_segments": None, "memory_segments": None, "synthetic_segments": 1_000_000, "repeat": 30, "queries": 200}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: the whole suite in minutes")
    ap.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")
    ap.add_argument("--parts", default=",".join(PARTS),
                    help=f"comma-separated subset of {','.join(PARTS)} (default: all)")
    ap.add_argument("--etl-segments", type=int, help="benchmark texts: about this many debate segments "
                    "(default: all of both debate files)")
    ap.add_argument("--memory-segments", type=int, help="corpus of the memory runs, before x10 "
                    "(default: quick 600, full the benchmark texts)")
    ap.add_argument("--copies", type=int, default=10, help="copies of the corpus for the memory growth run")
    ap.add_argument("--segments", type=int, help="synthetic warehouse size (default: quick 100,000, full 1,000,000)")
    ap.add_argument("--warehouse", type=Path, help="use this synthetic warehouse (from bench/make_warehouse.py) "
                    "instead of building one")
    ap.add_argument("--repeat", type=int, help="calls per dashboard callback (default: quick 20, full 30)")
    ap.add_argument("--queries", type=int, help="semantic search queries (default: quick 100, full 200)")
    ap.add_argument("--corpora", type=Path, default=CORPORA, help="folder with the debate transcripts")
    ap.add_argument("--workdir", type=Path, help="where to put generated files (default: a new temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    args.etl_segments = args.etl_segments or sizes["etl_segments"]
    args.memory_segments = args.memory_segments or sizes["memory_segments"]
    args.segments = args.segments or sizes["synthetic_segments"]
    args.repeat = args.repeat or sizes["repeat"]
    args.queries = args.queries or sizes["queries"]
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    return args


def synthetic_warehouse(args, work: Path) -> Path:
    if args.warehouse:
        return args.warehouse
    from bench.make_warehouse import build

    log(f"synthetic warehouse: {args.segments:,} segments (bench/make_warehouse.py)")
    return build(work / f"synthetic-{args.segments}.lake", args.segments, log=lambda m: log(f"  {m}"))


def measure_search(db: Path, n_queries: int) -> dict:
    from bench.search import measure_search as measure

    return measure(db, n_queries=n_queries, k=10)


class Suite:
    """Runs the parts in order; one part failing costs only its own figures."""

    def __init__(self, args):
        self.args = args
        self.t0 = time.perf_counter()
        self.result: dict = {
            "quick": args.quick,
            "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": machine(),
            "code": code_version(),
            "parts": args.parts,
            "segments": {},
            "targets": targets_json(),
        }
        self.errors: dict[str, str] = {}

    def part(self, name: str, fn):
        log(f"== {name}")
        start = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:  # a benchmark harness reports; it does not stop at the first failure
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            log(f"{name} failed: {self.errors[name]}\n{traceback.format_exc()}")
            value = None
        self.result.setdefault("part_seconds", {})[name] = round(time.perf_counter() - start, 1)
        self.save()
        return value

    def save(self, final: bool = False) -> None:
        res = self.result
        now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        if final:
            res.pop("updated_at", None)
            res["finished_at"] = now
        else:
            res["updated_at"] = now
        res["wall_s"] = round(time.perf_counter() - self.t0, 1)
        res["errors"] = self.errors
        res["met"] = evaluate(res)
        if self.args.out:
            tmp = self.args.out.with_name(self.args.out.name + ".tmp")
            tmp.write_text(json.dumps(res, indent=2, default=str) + "\n")
            tmp.replace(self.args.out)

    def run(self, work: Path) -> dict:
        args, res = self.args, self.result
        bench = None
        first_run = None
        if {"etl", "memory"} & set(args.parts):
            bench = self.part("corpus", lambda: select(work / "debates.jsonl", args.etl_segments, args.corpora))
            if bench:
                res["segments"].update(benchmark=len(bench.texts), benchmark_documents=len(bench.documents))
                log(f"benchmark texts: {len(bench.texts)} segments of {len(bench.documents)} debates")
        if "etl" in args.parts and bench:
            speed = self.part("etl", lambda: etl_speed.measure(bench, work, log=log))
            if speed:
                runs = speed.pop("etl_runs")
                first_run = runs["first"]
                res["bytes_per_segment_etl"] = speed.pop("etl_bytes_per_segment")
                res.update(speed)
                res.setdefault("details", {})["etl_runs"] = runs
        if "memory" in args.parts and bench and args.memory_segments != args.etl_segments:
            bench = self.part("memory corpus", lambda: select(work / "memory.jsonl", args.memory_segments, args.corpora))
            res["segments"]["memory_corpus"] = len(bench.texts) if bench else None
            first_run = None  # the memory runs' own corpus: measured afresh
        if "memory" in args.parts and bench:
            mem = self.part("memory", lambda: memory.measure(bench.path, work, first_run, args.copies, log=log))
            if mem:
                runs = mem.pop("memory_runs")
                res.update(mem)
                res["segments"][f"x{args.copies}"] = runs[f"x{args.copies}"].get("embedded")
                res.setdefault("details", {})["memory_runs"] = runs
        synthetic = None
        if {"dashboard", "search", "cold_start"} & set(args.parts):
            synthetic = self.part("synthetic_warehouse", lambda: synthetic_warehouse(args, work))
            if synthetic:
                n = query(synthetic, "SELECT count(*) FROM segments")[0][0]
                res["segments"]["synthetic"] = n
                res["bytes_per_segment"] = round(file_bytes(synthetic) / n, 1)
        if "dashboard" in args.parts and synthetic:
            from bench import dashboard_bench

            dash = self.part("dashboard", lambda: dashboard_bench.measure(synthetic, args.repeat))
            if dash:
                res["callback_p95_ms"] = {name: r["p95"] for name, r in dash["callbacks"].items()}
                res["callbacks_ms"] = dash["callbacks"]
                res["dashboard_startup_ms"] = dash["startup_ms"]
        if "search" in args.parts and synthetic:
            found = self.part("search", lambda: measure_search(synthetic, args.queries))
            if found:
                res["search_p95_ms"] = found.get("search_p95_ms")
                res["search_recall_at_10"] = found.get("search_recall_at_10")
                res["search"] = found
        if "cold_start" in args.parts:
            cold = self.part("cold_start", lambda: cold_start.measure(work, synthetic, log=log))
            if cold:
                if cold.get("errors"):
                    self.errors.update({f"cold_start.{k}": v for k, v in cold["errors"].items()})
                res["cold_start_s"] = cold
        self.save(final=True)
        return res


def main(argv=None) -> int:
    args = parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="stance-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log(f"{'quick' if args.quick else 'full'} run; generated files in {work}")
    suite = Suite(args)
    try:
        result = suite.run(work)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("\n" + table(result), file=sys.stderr)
    log(f"done in {result['wall_s']:.0f}s" + (f"; JSON in {args.out}" if args.out else ""))
    if not args.out:
        print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
