"""Writes cost what changed: the same writes on an empty and a large warehouse, side by side in one run.

    .venv/bin/python bench/storage.py --large /tmp/w1m.lake [--repeat 5] [--small-runs 200]

`--large` is a warehouse from bench/make_warehouse.py (it gains a few two-turn transcripts);
the empty one is made here. For each, as a scheduled job runs them (`stance etl` processes):
  * add:     a new two-turn transcript;
  * rerun:   the same input again (nothing to load);
and in-process, as the dashboard makes them:
  * correct: a Review-page correction (record_override);
  * disk:    the warehouse folder's peak growth while a run adds a transcript, against what it
             finally added.
Then compaction: a warehouse written by `--small-runs` runs of one transcript each, against the
same documents loaded by one run: data files, and the time of the dashboard's fact-table
query, before and after `stance compact`.
Prints one JSON object; medians over `--repeat`.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import run_process, stance_cmd  # noqa: E402
from warehouse import queries as q  # noqa: E402
from warehouse.maintenance import _files, compact, disk_usage  # noqa: E402
from warehouse.store import Reader, connect, write_session  # noqa: E402

TURNS = ["We must secure the border before anything else, round {i}.",
         "I disagree: asylum is a right and the courts must hear every case, round {i}."]


def transcript(folder: Path, name: str, i: int) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("\n".join(json.dumps({"source_id": name, "title": "Bench", "date": "2024-06-01", "url": None,
                                          "speaker": ["Ana Lee", "Bo Chen"][t], "turn_index": t,
                                          "text": text.format(i=i)}) for t, text in enumerate(TURNS)) + "\n")
    return path


def etl_seconds(db, path: Path) -> float:
    proc = run_process(stance_cmd("etl", "--db", str(db), str(path)))
    if proc.exit != 0:
        raise RuntimeError(f"stance etl exited {proc.exit}: {proc.stderr[-500:]}")
    return proc.seconds


def writes(db, work: Path, tag: str, repeat: int) -> dict:
    add, rerun, disk = [], [], []
    for i in range(repeat):
        path = transcript(work, f"bench-{tag}-{time.time_ns()}", i)
        before, peak = disk_usage(db), _peak_during(db, lambda: add.append(etl_seconds(db, path)))
        after = disk_usage(db)
        disk.append({"peak_growth_bytes": peak - before, "added_bytes": after - before})
        rerun.append(etl_seconds(db, path))
    return {"add_s": _median(add), "rerun_s": _median(rerun), "correct_ms": _correction_ms(db, repeat),
            "disk": disk[len(disk) // 2]}


def _peak_during(db, fn) -> int:
    peak, done = [disk_usage(db)], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], disk_usage(db))
            time.sleep(0.02)

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        fn()
    finally:
        done.set()
        thread.join()
    return max(peak[0], disk_usage(db))


def _correction_ms(db, repeat: int) -> float:
    reader = Reader(db)
    seg, topic = reader.query("SELECT segment_id, topic FROM stance_labels LIMIT 1")[1][0]
    q.record_override(db, "stance", seg, topic, "none", "bench")  # the process's first write loads its code
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        q.record_override(db, "stance", seg, topic, ["favor", "against"][i % 2], "bench")
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def compaction(work: Path, runs: int) -> dict:
    """Many small runs against one run of the same documents; the facts query before and after compacting."""
    from etl.pipeline import run_etl

    inputs = [transcript(work, f"small-{i}", i) for i in range(runs)]
    many, once = work / "many.lake", work / "once.lake"
    for path in inputs:
        run_etl(many, [str(path)])
    run_etl(once, [str(p) for p in inputs])
    out = {"runs": runs, "once": _shape(once)}
    out["many_before"] = _shape(many)
    result = compact(many)
    out["many_after"] = _shape(many)
    out["compact"] = result.line()
    return out


def _shape(db) -> dict:
    con = connect(db, read_only=True)
    try:
        files = _files(con)[0]
    finally:
        con.close()
    times = []
    for _ in range(5):
        reader = Reader(db)
        t0 = time.perf_counter()
        q.warm_up(reader)  # the dashboard's fact tables: every view, read whole
        times.append((time.perf_counter() - t0) * 1000)
    return {"data_files": files, "facts_ms": round(statistics.median(times), 1)}


def _median(xs: list[float]) -> float:
    return round(statistics.median(xs), 3)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", type=Path, required=True, help="a large warehouse (bench/make_warehouse.py)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--small-runs", type=int, default=200, help="0: skip the compaction measurement")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="stance-storage-"))
    empty = work / "empty.lake"
    with write_session(empty):
        pass
    etl_seconds(empty, transcript(work, "warm-up", 0))  # the one-time ONNX export, outside the timings
    segments = Reader(args.large).query("SELECT count(*) FROM segments")[1][0][0]
    result = {"large_segments": segments, "large_bytes": disk_usage(args.large)}
    result["empty"] = writes(empty, work, "empty", args.repeat)
    result["large"] = writes(args.large, work, "large", args.repeat)
    result["add_ratio"] = round(result["large"]["add_s"] / result["empty"]["add_s"], 2)
    print(json.dumps(result, indent=2), flush=True)  # before the long part
    if args.small_runs > 0:
        print(json.dumps({"compaction": compaction(work, args.small_runs)}, indent=2))


if __name__ == "__main__":
    main()
