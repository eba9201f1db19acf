"""Cold start: wall time of fresh `stance` processes doing the least work a user asks of them.

  * eval_topic: `stance eval topic tiny.csv` (a four-row topic CSV);
  * etl_tiny: `stance etl` of one three-turn transcript into a new warehouse;
  * dashboard_root / dashboard_layout: `stance dashboard --db X --port P` started, until GET /
    answers 200 and then until the first page's layout (GET /_dash-layout) answers 200, both
    counted from the spawn. Measured on the tiny warehouse and, when given, on the synthetic one.
"""
from __future__ import annotations

import csv
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.harness import ROOT, run_process, stance_cmd

TINY_TOPIC_CSV = [
    ("We must secure the border and fix the asylum backlog.", "immigration"),
    ("Every legal vote should be counted and the result certified.", "elections"),
    ("Small businesses drown in paperwork from federal agencies.", "regulation"),
    ("The weather was lovely at the county fair.", "other"),
]
TINY_TRANSCRIPT = [
    ("Moderator", "Welcome to tonight's town hall. Let's start with the border."),
    ("Jonah Tate", "We will secure the border and hire more immigration judges."),
    ("Elena Reyes", "I disagree. Deporting families is not a plan, and it costs billions."),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_tiny_inputs(work: Path) -> tuple[Path, Path]:
    csv_path = work / "tiny-topic.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(TINY_TOPIC_CSV)
    transcript = work / "tiny-transcript.jsonl"
    transcript.write_text("".join(
        json.dumps({"source_id": "bench-tiny-town-hall", "title": "Town hall", "date": "2024-06-12", "url": None,
                    "speaker": speaker, "turn_index": i, "text": text}) + "\n"
        for i, (speaker, text) in enumerate(TINY_TRANSCRIPT)), encoding="utf-8")
    return csv_path, transcript


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def dashboard_first_page(db: Path, timeout: float = 300.0) -> dict:
    """Seconds from spawning `stance dashboard` until / and then /_dash-layout answer 200."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(stance_cmd("dashboard", "--db", str(db), "--port", str(port)), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=err)
    result: dict = {}
    try:
        for key, path in (("dashboard_root", "/"), ("dashboard_layout", "/_dash-layout")):
            while True:
                if proc.poll() is not None:
                    err.seek(0)
                    result["error"] = f"dashboard exited {proc.returncode}: {err.read().decode('utf-8', 'replace')[-1000:]}"
                    return result
                if time.perf_counter() - start > timeout:
                    result["error"] = f"no 200 from {path} within {timeout:.0f}s"
                    return result
                if _status(base + path) == 200:
                    result[key] = round(time.perf_counter() - start, 3)
                    break
                time.sleep(0.05)
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err.close()


def measure(work: Path, synthetic_db: Path | None = None, log=print) -> dict:
    csv_path, transcript = write_tiny_inputs(work)
    out: dict = {}
    log("cold_start: stance eval topic tiny.csv")
    ev = run_process(stance_cmd("eval", "topic", str(csv_path)), timeout=600)
    out["eval_topic"] = round(ev.seconds, 3) if ev.exit == 0 else None
    log("cold_start: stance etl (one short transcript)")
    db = work / "cold.lake"
    etl = run_process(stance_cmd("etl", "--db", str(db), str(transcript)), timeout=600)
    out["etl_tiny"] = round(etl.seconds, 3) if etl.exit == 0 else None
    errors = {}
    if ev.exit != 0:
        errors["eval_topic"] = f"exit {ev.exit}: {ev.stderr[-500:]}"
    if etl.exit != 0:
        errors["etl_tiny"] = f"exit {etl.exit}: {etl.stderr[-500:]}"
    targets = [("", db)] + ([("_synthetic", synthetic_db)] if synthetic_db else [])
    for suffix, warehouse in targets:
        if not Path(warehouse).exists():
            continue
        log(f"cold_start: stance dashboard on {warehouse.name}")
        page = dashboard_first_page(warehouse)
        if "error" in page:
            errors["dashboard" + suffix] = page.pop("error")
        out.update({k + suffix: v for k, v in page.items()})
    if errors:
        out["errors"] = errors
    return out
