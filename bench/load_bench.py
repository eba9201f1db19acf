"""Many analysts at once: the real dashboard server, driven over HTTP by simulated analysts.

    python bench/make_warehouse.py --segments 1000000 --out /tmp/w1m.lake
    python bench/load_bench.py --db /tmp/w1m.lake --analysts 20 --minutes 10 --out load.json

The server is `stance dashboard` as users run it (waitress, in its own process) on a copy
of the warehouse (the analysts' corrections are written to the copy). Each analyst is a
thread with its own HTTP session that works through a realistic sequence, pausing 2-8 s
between steps as a person reads: the Overview, a filter change, a heatmap click, a
speaker's page, a comparison of two or three speakers, the Agreement page, a search by
meaning and its second page, the Map and one of its clusters, and once in the run a
correction on the Review page. A step sends the callbacks a browser sends for it, four at
a time (as Dash's renderer does), built from the server's own /_dash-dependencies.

Reported: per callback, calls, errors and p50 / p95 / max latency; the server's resident
memory every 5 s, and its growth over the run (the slope of a straight line through the
samples of the second half, MB per minute, and the last sample against the first of the
second half); the CPU time the server and the simulated analysts used, against what the
machine had (they share it here, as a newsroom's browsers would not). Targets: no errors,
p95 <= 500 ms for every callback, memory flat.
Not a test: it prints numbers and writes them as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dashboard_bench import QUERIES, percentile  # noqa: E402
from warehouse import queries as q  # noqa: E402
from warehouse.queries import Filters  # noqa: E402
from warehouse.store import Reader  # noqa: E402

TARGET_P95_MS = 500
THINK_S = (2.0, 8.0)
PARALLEL = 4  # callbacks of one step in flight at once, as a browser sends them


# --- the server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen:
    """`stance dashboard` on `db`, its stderr written to the file `log`.

    Never a pipe that nobody reads: under load, waitress warns 'Task queue depth is N' for
    each request queued behind its 8 busy threads (~75 bytes each), and once a pipe's 64 KB
    are full the server's next log line blocks its event loop, inside waitress's task queue
    lock: every request then hangs, at zero CPU and constant memory (measured: after ~536 s
    with 20 analysts on 1,000,000 segments)."""
    with open(log, "w") as err:  # the server has its own copy of the file descriptor
        proc = subprocess.Popen([sys.executable, "-m", "stance", "dashboard", "--db", str(db), "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=5).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(1)
    proc.kill()
    raise RuntimeError("the server did not answer within 300 s")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- Dash callbacks over HTTP ----------------------------------------------------------------------
def _id(raw: str):
    return json.loads(raw) if raw.startswith("{") else raw


def _outputs(spec: str) -> list[dict]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    return [{"id": _id(p.rsplit(".", 1)[0]), "property": p.rsplit(".", 1)[1]} for p in parts]


class Callbacks:
    """The app's server-side callbacks by output ('overview-heatmap.figure'), and requests for them."""

    def __init__(self, base: str):
        self.base = base
        deps = requests.get(f"{base}/_dash-dependencies", timeout=30).json()
        self.by_output: dict[str, dict] = {}
        for dep in deps:
            if dep.get("clientside_function"):
                continue
            for out in _outputs(dep["output"]):
                self.by_output.setdefault(_key(out["id"], out["property"]), dep)

    def body(self, output: str, values: dict, changed: list[str]) -> dict:
        dep = self.by_output[output]
        outs = _outputs(dep["output"])

        def filled(items):
            return [{"id": _id(i["id"]), "property": i["property"],
                     "value": values.get(_key(_id(i["id"]), i["property"]))} for i in items]

        return {"output": dep["output"], "outputs": outs if len(outs) > 1 else outs[0],
                "inputs": filled(dep["inputs"]), "state": filled(dep.get("state", [])), "changedPropIds": changed}


def _key(cid, prop: str) -> str:
    return f"{json.dumps(cid, sort_keys=True, separators=(',', ':')) if isinstance(cid, dict) else cid}.{prop}"


def grid(name: str, prop: str) -> str:
    return _key({"type": "grid", "name": name}, prop)


# --- analysts ---------------------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.times.setdefault(name, []).append(ms)
            if error:
                self.errors.setdefault(name, []).append(error)


class Analyst:
    """One simulated analyst: a session, a random generator, and the steps of a visit."""

    def __init__(self, n: int, base: str, cbs: Callbacks, world: dict, rec: Recorder, until: float,
                 corrects: bool = True):
        self.n, self.base, self.cbs, self.world, self.rec, self.until = n, base, cbs, world, rec, until
        self.corrects = corrects
        self.rng = random.Random(n)
        self.session = requests.Session()
        self.pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix=f"analyst-{n}")
        self.corrected = False

    def post(self, output: str, values: dict, changed: list[str] | None = None) -> dict | None:
        body = self.cbs.body(output, values, changed or [])
        start = time.perf_counter()
        error, data = None, None
        try:
            r = self.session.post(f"{self.base}/_dash-update-component", json=body, timeout=120)
            if r.status_code == 200:
                data = r.json()
            elif r.status_code != 204:  # 204: the callback changed nothing (PreventUpdate)
                error = f"HTTP {r.status_code}: {r.text[:200]}"
        except (requests.RequestException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.rec.add(output, (time.perf_counter() - start) * 1000, error)
        return data

    def step(self, outputs: list[str], values: dict, changed: list[str] | None = None) -> list:
        """A browser step: these callbacks, PARALLEL at a time."""
        return list(self.pool.map(lambda o: self.post(o, values, changed), outputs))

    def think(self) -> None:
        time.sleep(self.rng.uniform(*THINK_S))

    def run(self) -> None:
        steps = [self.overview, self.filter_change, self.heatmap_click, self.speaker, self.compare,
                 self.agreement, self.search, self.map, self.correction]
        while time.time() < self.until:
            for step in steps:
                if time.time() >= self.until:
                    break
                step()
                self.think()
        self.pool.shutdown()

    # -- the steps
    def filters(self, f: Filters | None = None) -> dict:
        return {"filters.data": (f or Filters()).to_dict()}

    def overview(self, f: Filters | None = None) -> None:
        self.post("filters.data", {"url.search": ""})
        self.step(["overview-summary.children", "overview-heatmap.figure", "overview-share.figure",
                   "overview-top.figure", "overview-selection.children"],
                  {**self.filters(f), "overview-bucket.value": "auto"})

    def filter_change(self) -> None:
        w = self.world
        f = self.rng.choice([Filters(topics=(self.rng.choice(w["topics"]),)), Filters(start=w["mid"]),
                             Filters(kind="news"), Filters(languages=("en",), min_confidence=0.6)])
        self.overview(f)

    def heatmap_click(self) -> None:
        cell = f"{self.rng.choice(self.world['speakers'])}\x1f{self.rng.choice(self.world['topics'])}"
        self.post("overview-selection.children", {**self.filters(), "overview-heatmap.clickData":
                                                  {"points": [{"customdata": cell}]}}, ["overview-heatmap.clickData"])

    def speaker(self) -> None:
        who = self.rng.choice(self.world["speakers"])
        self.step(["speaker-header.children", grid("speaker-topics", "rowData"), "speaker-stance.figure",
                   "speaker-partners.figure", grid("speaker-quotes", "rowData"), "speaker-selection.children"],
                  {**self.filters(), "speaker-pick.value": who, "speaker-bucket.value": "auto"})

    def compare(self) -> None:
        who = self.rng.sample(self.world["speakers"], self.rng.choice([2, 3]))
        self.step(["compare-verdict.children", "compare-stance.figure", "compare-quotes.children",
                   "compare-replies.figure"],
                  {**self.filters(), "compare-who.value": who, "compare-topic.value": self.rng.choice(
                      [None, *self.world["topics"]])})

    def agreement(self) -> None:
        self.step(["agreement-matrix.figure", "agreement-network.figure", "agreement-alignment.figure",
                   grid("agreement-contested", "rowData"), "agreement-selection.children"],
                  {**self.filters(), "agreement-kind.value": "reply", "agreement-top.value": 20,
                   "agreement-add.value": []})

    def search(self) -> None:
        values = {**self.filters(), "search-text.value": self.rng.choice(QUERIES), "search-mode.value": "meaning",
                  "search-page.active_page": 1}
        self.post("search-status.children", values, ["search-text.value"])
        self.think()
        self.post("search-status.children", {**values, "search-page.active_page": 2}, ["search-page.active_page"])

    def map(self) -> None:
        values = {**self.filters(), "map-color.value": "cluster"}
        _, clusters = self.step(["map-status.children", grid("map-clusters", "rowData")], values)
        rows = (clusters or {}).get("response", {}).get(json.dumps({"name": "map-clusters", "type": "grid"},
                                                                   separators=(",", ":")), {}).get("rowData")
        if rows:
            self.post("map-selection.children", {**values, grid("map-clusters", "selectedRows"): [rows[0]]},
                      [grid("map-clusters", "selectedRows")])

    def correction(self) -> None:
        """Once per analyst, after the first minute: correct the first label of the review queue."""
        if not self.corrects or self.corrected or time.time() < self.world["start"] + 60 + 10 * self.n:
            return
        self.corrected = True
        values = {**self.filters(), "review-saved.data": 0}
        queue = self.post(grid("review-queue", "rowData"), values)
        rows = (queue or {}).get("response", {}).get(json.dumps({"name": "review-queue", "type": "grid"},
                                                                separators=(",", ":")), {}).get("rowData") or []
        if not rows:
            return
        row = rows[self.n % len(rows)]
        label = "favor" if row["stance"] != "favor" else "against"
        self.post("review-status.children", {**values, "review-save.n_clicks": 1,
                                             grid("review-queue", "selectedRows"): [row], "review-label.value": label,
                                             "review-author.value": f"analyst {self.n}", "review-note.value": None,
                                             "review-topics.value": None}, ["review-save.n_clicks"])
        self.step([grid("review-queue", "rowData"), grid("review-done", "rowData")],
                  {**values, "review-saved.data": 1})


def world(db: Path) -> dict:
    reader = Reader(db)
    opts = q.filter_options(reader)
    first, last = opts["first"], opts["last"]
    return {"speakers": [s["speaker_id"] for s in opts["speakers"][:40]],
            "topics": [t for t in opts["topics"] if t != "other"],
            "mid": first + (last - first) / 2 if first and last else None, "start": time.time()}


def copy_warehouse(db: Path, copy: Path) -> None:
    """A copy the analysts may correct: a warehouse folder is copied whole (catalog and data
    files; the copy is independent), a single file as it is."""
    if db.is_dir():
        shutil.copytree(db, copy)
    else:
        shutil.copyfile(db, copy)


# --- the run -----------------------------------------------------------------------------------------
def run(db: Path, analysts: int, seconds: float, corrections: bool = True) -> dict:
    with tempfile.TemporaryDirectory(dir=db.parent) as tmp:
        copy = Path(tmp) / db.name
        copy_warehouse(db, copy)
        port = free_port()
        t0 = time.time()
        log = Path(tmp) / "server.log"
        server = start_server(copy, port, log)
        base = f"http://127.0.0.1:{port}"
        try:
            cbs = Callbacks(base)
            w = world(copy)
            warm = Analyst(-1, base, cbs, w, Recorder(), time.time())  # one pass, not counted: caches, the model
            for step in (warm.overview, warm.speaker, warm.compare, warm.agreement, warm.search, warm.map):
                step()
            ready_s = time.time() - t0
            rec, samples = Recorder(), []
            w["start"] = time.time()
            until = w["start"] + seconds
            crowd = [Analyst(i, base, cbs, w, rec, until, corrections) for i in range(analysts)]
            threads = [threading.Thread(target=a.run, name=f"analyst-{i}") for i, a in enumerate(crowd)]
            cpu = (cpu_s(server.pid), time.process_time())
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                samples.append((round(time.time() - w["start"], 1), round(rss_mb(server.pid), 1)))
                time.sleep(5)
            used = {"server": cpu_s(server.pid) - cpu[0], "analysts (this process)": time.process_time() - cpu[1]}
            return {"corrections": corrections, **report(rec, samples, analysts, seconds, ready_s),
                    "cpu_s": {k: round(v, 1) for k, v in {**used, "available": seconds * os.cpu_count()}.items()},
                    "server_log": server_log(log)}
        finally:
            server.terminate()
            server.wait(timeout=30)


def server_log(log: Path) -> dict:
    """What the server logged: how often a request waited for a thread, and its other last lines."""
    lines = log.read_text(errors="replace").splitlines()
    queued = [line for line in lines if "Task queue depth" in line]
    return {"queue_depth_warnings": len(queued), "other_lines": len(lines) - len(queued),
            "last_other_lines": [line for line in lines if "Task queue depth" not in line][-5:]}


def report(rec: Recorder, samples: list[tuple[float, float]], analysts: int, seconds: float, ready_s: float) -> dict:
    callbacks = {name: {"calls": len(t), "errors": len(rec.errors.get(name, [])),
                        "p50_ms": round(statistics.median(t), 1), "p95_ms": round(percentile(t, 95), 1),
                        "max_ms": round(max(t), 1)} for name, t in sorted(rec.times.items())}
    half = [s for s in samples if s[0] >= seconds / 2] or samples
    slope = _slope(half) * 60
    worst = max(callbacks.items(), key=lambda kv: kv[1]["p95_ms"])
    return {
        "analysts": analysts, "seconds": seconds, "server_ready_s": round(ready_s, 1),
        "requests": sum(c["calls"] for c in callbacks.values()),
        "errors": sum(c["errors"] for c in callbacks.values()),
        "error_examples": {k: v[:3] for k, v in rec.errors.items()},
        "worst_p95": {"callback": worst[0], "p95_ms": worst[1]["p95_ms"]},
        "all_p95_within_target": all(c["p95_ms"] <= TARGET_P95_MS for c in callbacks.values()),
        "memory_mb": {"first": samples[0][1] if samples else None, "second_half_first": half[0][1] if half else None,
                      "last": samples[-1][1] if samples else None, "max": max(s[1] for s in samples) if samples else None,
                      "second_half_slope_mb_per_min": round(slope, 2)},
        "memory_samples": samples,
        "callbacks": callbacks,
    }


def _slope(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="warehouse (a copy is served; it is not changed)")
    ap.add_argument("--analysts", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--no-corrections", action="store_true",
                    help="analysts only read (a correction rewrites the warehouse; this measures the read path)")
    ap.add_argument("--out", type=Path, help="write the JSON result here")
    args = ap.parse_args(argv)
    result = run(args.db, args.analysts, args.minutes * 60, not args.no_corrections)
    text = json.dumps(result, indent=1, default=str)
    if args.out:
        args.out.write_text(text + "\n")
    summary = {k: v for k, v in result.items() if k not in ("memory_samples", "callbacks")}
    print(json.dumps(summary, indent=1, default=str))
    print(f"\n{'callback':52s} {'calls':>6s} {'err':>4s} {'p50':>8s} {'p95':>8s} {'max':>8s}")
    for name, c in result["callbacks"].items():
        print(f"{name[:52]:52s} {c['calls']:6d} {c['errors']:4d} {c['p50_ms']:8.1f} {c['p95_ms']:8.1f} {c['max_ms']:8.1f}")


if __name__ == "__main__":
    main()
