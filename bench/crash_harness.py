"""Kill real ETL runs with SIGKILL at random moments and verify nothing is lost or duplicated.

    .venv/bin/python bench/crash_harness.py [--kills 20] [--seed 1] [--inputs DIR ...]

Each round starts `stance etl` on the inputs, kills it at a random moment within the
measured length of a full run, then checks that the warehouse (if a run ever committed)
opens, passes `stance check`, and holds every document either completely (all its input
turns) or not at all. A final uninterrupted run must finish the work: every document
loaded exactly once, and records in = turns loaded + records rejected.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.model import Document, Reject  # noqa: E402
from etl.read import iter_files, read_file  # noqa: E402
from stance.demo_corpus import demo_files  # noqa: E402
from warehouse.check import check_warehouse  # noqa: E402
from warehouse.store import connect_read  # noqa: E402


def hostile_file(folder: Path) -> str:
    """A scraper's worst day: good turns mixed with broken JSON, wrong types, bad bytes, HTML, a huge line."""
    good = lambda i, text: json.dumps({"source_id": "hostile", "title": "Mixed", "date": "2024-07-01", "url": None,
                                       "speaker": ["Ana Lee", "Bo Chen"][i % 2], "turn_index": i, "text": text})
    lines = [good(0, "The border is a mess and we must fix it."), b"{broken".decode(),
             good(1, "<script>alert('x')</script> Regulation is not the enemy."),
             json.dumps({"source_id": "hostile", "speaker": "A", "turn_index": "one", "text": "t"}),
             good(2, "Count every ballot, every vote matters."), "[1, 2, 3]",
             json.dumps({"source_id": "hostile", "speaker": "A", "turn_index": 9, "text": "x" * (11 * 2**20)}),
             good(3, "I agree with you on ballots.")]
    path = folder / "hostile.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n" + b'{"source_id": "h2", "text": "caf\xe9"}\n')
    return str(path)


def churn_file(folder: Path, round_no: int) -> str:
    """Documents whose content changes every round, so every run has replacing to do when killed."""
    rows = [json.dumps({"source_id": f"churn-{d}", "title": "Churn", "date": "2024-08-0%d" % (d + 1), "url": None,
                        "speaker": ["Ana Lee", "Bo Chen"][t % 2], "turn_index": t,
                        "text": f"Round {round_no}: point {t} on the border, the ballots and the regulators."})
            for d in range(3) for t in range(6)]
    path = folder / "churn.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def expected(inputs: list[str]) -> tuple[dict[str, int], int]:
    """Turns per document and number of rejected records, straight from the reader."""
    docs, rejects = {}, 0
    for f in iter_files(inputs):
        for r in [f] if isinstance(f, Reject) else read_file(f):
            if isinstance(r, Document):
                docs.setdefault(r.document_id, len(r.turns))
            else:
                rejects += 1
    return docs, rejects


def etl(db: Path, inputs: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stance", "etl", "--db", str(db), *inputs],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def verify(db: Path, docs: dict[str, int]) -> list[str]:
    if not (db / "catalog.sqlite").exists():
        return []
    problems = check_warehouse(db)
    con = connect_read(db)
    try:
        rows = con.execute("SELECT document_id, count(*) FROM turns GROUP BY document_id").fetchall()
        seg_less = con.execute("SELECT count(*) FROM documents d ANTI JOIN segments s USING (document_id)").fetchone()[0]
    finally:
        con.close()
    problems += [f"{d}: {n} of {docs.get(d)} turns" for d, n in rows if docs.get(d) != n]
    if seg_less:
        problems.append(f"{seg_less} documents without segments")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--inputs", nargs="*", default=None)
    args = ap.parse_args()
    inputs = args.inputs or demo_files()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="stance-crash-"))
    inputs = [*inputs, hostile_file(work), churn_file(work, 0), str(work / "no-such-file.jsonl")]
    docs, n_rejects = expected(inputs)

    durations = []
    for _ in range(2):  # a first load, then a run that only replaces the churned documents
        churn_file(work, len(durations) + 100)
        t0 = time.perf_counter()
        etl(work / "timing.lake", inputs).wait()
        durations.append(time.perf_counter() - t0)
    print(f"a first load takes {durations[0]:.1f} s, an incremental run {durations[1]:.1f} s; "
          f"killing {args.kills} runs at random moments within them")

    db = work / "w.lake"
    failures = 0
    for i in range(args.kills):
        churn_file(work, i + 1)
        if i % 4 == 3 and db.exists():  # now and then, kill a first load into an empty warehouse
            shutil.rmtree(db)
        duration = durations[1] if db.exists() else durations[0]
        proc = etl(db, inputs)
        delay = rng.uniform(0.2, duration)
        time.sleep(delay)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if finished:
            last = (proc.stderr.read().decode(errors="replace").strip().splitlines() or [""])[-1]
            print(f"    (it had already exited {proc.returncode}: {last[-150:]})")
        problems = verify(db, docs)
        failures += bool(problems)
        print(f"kill {i + 1:2d} at {delay:5.1f} s ({'after finish' if finished else 'mid-run'}): "
              f"{'OK' if not problems else 'FAIL ' + '; '.join(problems[:3])}")

    final = etl(db, inputs)
    final.wait()
    problems = verify(db, docs)
    con = connect_read(db)
    loaded = dict(con.execute("SELECT document_id, count(*) FROM turns GROUP BY document_id").fetchall())
    dupes = con.execute("SELECT count(*) - count(DISTINCT document_id) FROM documents").fetchone()[0]
    rejected = con.execute("SELECT rejected FROM etl_runs ORDER BY run_id DESC LIMIT 1").fetchone()[0]
    con.close()
    records_in = sum(docs.values()) + n_rejects
    accounted = sum(loaded.values()) + rejected
    ok = not problems and not dupes and loaded == docs and records_in == accounted and failures == 0
    print(f"final run exit {final.returncode}: {len(loaded)}/{len(docs)} documents, {dupes} duplicates, "
          f"records in {records_in} = loaded {sum(loaded.values())} + rejected {rejected}: "
          f"{'yes' if records_in == accounted else 'NO'}")
    print(f"{'PASS' if ok else 'FAIL'}: {args.kills - failures}/{args.kills} killed runs left a sound warehouse")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
