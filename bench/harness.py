"""Shared helpers of the benchmark suite: timed child processes with their own peak RSS, the machine."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
if str(ROOT) not in sys.path:  # `python bench/xyz.py` puts bench/, not the repository, on the path
    sys.path.insert(0, str(ROOT))


@dataclass
class ProcResult:
    exit: int
    seconds: float  # wall time from spawn to exit, including interpreter and model start-up
    peak_rss_mb: float  # the child's own peak resident set (and that of children it waited for)
    stdout: str
    stderr: str


def stance_cmd(*args: str) -> list[str]:
    """`stance ARGS` as the user runs it, with this interpreter (the venv's)."""
    return [sys.executable, "-m", "stance", *args]


def run_process(cmd: list[str], cwd: Path = ROOT, timeout: float | None = None, env: dict | None = None) -> ProcResult:
    """Run `cmd`, measuring wall time and the peak RSS of exactly this child (os.wait4's rusage).

    RUSAGE_CHILDREN would give the maximum over every child this process ever had, which is
    useless for the second of several measurements.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer:
                timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
        out.seek(0)
        err.seek(0)
        return ProcResult(proc.returncode, seconds, usage.ru_maxrss / 1024,
                          out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "ram_gb": round(mem_kb / 1024**2, 1),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(),
            "platform": platform.platform()}


def code_version() -> dict:
    """The commit measured and whether the working tree differs from it (read-only git calls)."""
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit or None, "uncommitted_changes": bool(changed) if changed is not None else None,
            "STANCE_EMBED_BACKEND": os.environ.get("STANCE_EMBED_BACKEND")}


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def file_bytes(db: Path) -> int:
    """The warehouse file plus a DuckDB write-ahead log beside it, if any."""
    db = Path(db)
    return sum(p.stat().st_size for p in (db, Path(f"{db}.wal")) if p.exists())
