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
    peak_rss_mb: float | None  # the child's own peak resident set (VmHWM); None when it was killed
    stdout: str
    stderr: str


def stance_cmd(*args: str) -> list[str]:
    """`stance ARGS` as the user runs it, with this interpreter (the venv's)."""
    return [sys.executable, "-m", "stance", *args]


# `python -m MODULE ARGS` run so that the process writes its own peak RSS at exit. Neither
# RUSAGE_CHILDREN nor os.wait4's rusage can tell it: Linux carries ru_maxrss across fork and
# exec, so a child of this (large) process starts with this process's peak. VmHWM belongs to
# the address space exec made, so it is the child's own.
_PEAK_WRAPPER = (
    "import atexit, os, re, runpy, sys\n"
    "def _peak():\n"
    "    hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)\n"
    "    open(os.environ['STANCE_BENCH_PEAK_FILE'], 'w').write(hwm)\n"
    "atexit.register(_peak)\n"
    "del sys.argv[0]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)


def run_process(cmd: list[str], cwd: Path = ROOT, timeout: float | None = None, env: dict | None = None) -> ProcResult:
    """Run `cmd` (`python -m MODULE ...`), measuring wall time and the child's own peak RSS."""
    if cmd[1:2] != ["-m"]:
        raise ValueError(f"expected a `python -m MODULE ...` command, got {cmd[:3]}")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(prefix="peak-") as peak:
        env = {**(env or os.environ), "STANCE_BENCH_PEAK_FILE": peak.name}
        start = time.perf_counter()
        proc = subprocess.Popen([cmd[0], "-c", _PEAK_WRAPPER, *cmd[2:]], cwd=cwd, stdout=out, stderr=err, env=env)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        try:
            proc.wait()
        finally:
            if timer:
                timer.cancel()
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        hwm = Path(peak.name).read_text().strip()
        return ProcResult(proc.returncode, seconds, int(hwm) / 1024 if hwm else None,
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


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query, through a read-only connection closed after it."""
    from warehouse.store import connect_read

    con = connect_read(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def file_bytes(db: Path) -> int:
    """Bytes on disk of a warehouse folder: its catalog and Parquet files."""
    from warehouse.maintenance import disk_usage

    return disk_usage(db)
