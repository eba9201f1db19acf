"""The ETL, an analyst's open read-only session and a reading service coexist (real processes)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from etl.pipeline import run_etl

READ_LOOP = textwrap.dedent("""
    import os, sys, time
    from warehouse.store import Reader, connect
    db, mode, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    errors, reads, counts = 0, 0, set()
    if mode == "analyst":          # one connection held open the whole time, in a transaction left open
        con = connect(db, read_only=True)
        con.execute("BEGIN")
        query = lambda: con.execute("SELECT count(*) FROM statements").fetchone()[0]
    else:                          # the dashboard's way: moves to each new snapshot
        reader = Reader(db)
        query = lambda: reader.query("SELECT count(*) FROM statements")[1][0][0]
    print("ready", flush=True)
    end = time.time() + 180
    while time.time() < end and not (os.path.exists(stop) and reads > 10):
        try:
            counts.add(query()); reads += 1
        except Exception as exc:
            errors += 1; print("error:", exc, file=sys.stderr)
        time.sleep(0.02)
    print(errors, reads, sorted(counts), flush=True)
""")


def turns(source_id, texts):
    return "\n".join(json.dumps({"source_id": source_id, "title": "T", "date": "2024-03-01", "url": None,
                                 "speaker": ["Ana Lee", "Bo Chen"][i % 2], "turn_index": i, "text": t})
                     for i, t in enumerate(texts))


def test_etl_runs_while_an_analyst_session_and_a_reader_service_are_open(tmp_path, embedder):
    db = tmp_path / "w.duckdb"
    first = tmp_path / "first.jsonl"
    first.write_text(turns("one", ["We must secure the border.", "No, asylum is a right."]))
    run_etl(db, [str(first)])
    readers = [subprocess.Popen([sys.executable, "-c", READ_LOOP, str(db), mode, str(tmp_path / "stop")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for mode in ("analyst", "service")]
    for r in readers:
        assert r.stdout.readline().strip() == "ready"
    second = tmp_path / "second.jsonl"
    second.write_text(turns("two", ["Regulators are strangling innovation.", "I agree, cut the red tape.",
                                    "The election was fair and secure."]))
    started = time.time()
    etl = subprocess.run([sys.executable, "-m", "stance", "etl", "--db", str(db), str(second)],
                         capture_output=True, text=True, timeout=120)
    assert etl.returncode == 0, etl.stderr
    assert "1 added" in etl.stdout
    assert time.time() - started < 110  # it did not wait for the readers to go away
    time.sleep(0.5)  # a few reads of the new version
    (tmp_path / "stop").touch()
    results = []
    for r in readers:
        out, err = r.communicate(timeout=60)
        errors, reads, counts = out.strip().splitlines()[-1].split(" ", 2)
        results.append((int(errors), int(reads), json.loads(counts)))
    (a_err, a_reads, a_counts), (s_err, s_reads, s_counts) = results
    assert a_err == 0 and s_err == 0 and a_reads > 10 and s_reads > 10
    assert len(a_counts) == 1                     # the open session keeps its snapshot
    assert len(s_counts) == 2 and s_counts[0] < s_counts[1]  # the service moved to the new version
