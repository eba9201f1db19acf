"""Opening the warehouse file safely for one writer and many readers.

DuckDB lets one process write a file or many processes read it, and an open reader
blocks a writer. So writers never touch the live file: a write session copies it to
a temporary file beside it, writes there, checkpoints, and atomically renames it over
the live file. Readers (the dashboard, analysts' shells) keep the snapshot they
opened; new readers see the new one. A writer killed at any moment leaves the live
file as it was. Write sessions are serialised by a short lock on `<db>.lock`; one ETL
run at a time is enforced by `<db>.etl.lock`.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from importlib import resources
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

MIGRATIONS = resources.files("warehouse") / "migrations"
VIEWS = resources.files("warehouse") / "views.sql"
SCHEMA_VERSION = max(int(p.name.split("_")[0]) for p in MIGRATIONS.iterdir() if p.name.endswith(".sql"))


class AlreadyRunning(RuntimeError):
    """Another ETL run holds this warehouse."""


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring a fresh or old warehouse to the current schema; recreate the views. Returns the version."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)")
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for path in sorted(MIGRATIONS.iterdir(), key=lambda p: p.name):
        m = re.match(r"^(\d+)_.*\.sql$", path.name)
        if not m or int(m.group(1)) in done:
            continue
        con.execute("BEGIN")
        con.execute(path.read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [int(m.group(1)), path.name])
        con.execute("COMMIT")
    con.execute(VIEWS.read_text(encoding="utf-8"))
    return SCHEMA_VERSION


def _tmp_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.tmp-{os.getpid()}-{threading.get_ident()}")


def _remove_stale_tmp(db: Path) -> None:
    """Temporary files left by a killed writer (their pid is gone)."""
    for p in db.parent.glob(f"{db.name}.tmp-*"):
        pid = p.name.split("-")[1] if p.name.count("-") >= 2 else ""
        if pid.isdigit() and not _pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                p.unlink()
                Path(f"{p}.wal").unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def write_session(db: str | Path, *, lock_timeout: float = 30.0, merge_overrides: bool = True,
                  memory_limit: str | None = None):
    """A read-write connection on a private copy of the warehouse, swapped in on success.

    The copy is taken without holding the lock (the live file only ever changes by an
    atomic rename); the swap holds `<db>.lock`. If someone else swapped in a new version
    meanwhile (a correction made in the dashboard), its label overrides are carried over.
    `memory_limit` caps DuckDB's buffer memory (e.g. "64MB"; it spills to disk beyond it).
    """
    db = Path(db).resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(db)
    tmp = _tmp_path(db)
    base_id = file_version(db)
    if base_id:
        shutil.copyfile(db, tmp)
    con = duckdb.connect(str(tmp), config={"memory_limit": memory_limit} if memory_limit else {})
    try:
        migrate(con)
        yield con
        with FileLock(f"{db}.lock", timeout=lock_timeout):
            if merge_overrides and base_id and file_version(db) != base_id:
                _carry_over_overrides(con, db)
            con.execute("CHECKPOINT")
            con.close()
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, db)
            _fsync_dir(db.parent)
    finally:
        with contextlib.suppress(Exception):
            con.close()
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)


def sql_string(value) -> str:
    """A SQL string literal (ATTACH takes no parameters in DuckDB 1.5)."""
    return "'" + str(value).replace("'", "''") + "'"


def file_version(path: str | Path) -> tuple[int, int, int] | None:
    """Changes whenever a writer swaps in a new version of the file; None if it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _carry_over_overrides(con: duckdb.DuckDBPyConnection, live: Path) -> None:
    con.execute(f"ATTACH {sql_string(live)} AS live (READ_ONLY)")
    try:
        con.execute(
            """INSERT INTO label_overrides
               SELECT * FROM live.label_overrides
               WHERE override_id NOT IN (SELECT override_id FROM label_overrides)"""
        )
    finally:
        con.execute("DETACH live")


@contextlib.contextmanager
def etl_lock(db: str | Path):
    """Held for a whole ETL run; a second run fails at once with AlreadyRunning."""
    lock = FileLock(f"{Path(db).resolve()}.etl.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(f"{db}: another ETL run is already working on this warehouse") from None
    try:
        yield
    finally:
        lock.release()


def connect_read(db: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection that cannot touch any other file (no COPY, no read_csv, no ATTACH)."""
    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(f"{db}: no such warehouse (run `stance etl --db {db} INPUT...` first)")
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH {sql_string(db)} AS wh (READ_ONLY)")
    con.execute("USE wh")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


class Reader:
    """Thread-safe read access for a long-running process such as the dashboard.

    Holds one read-only snapshot and moves to the new file when a writer swaps it in;
    it never blocks a writer, because writers never open the live file.
    """

    def __init__(self, db: str | Path):
        self.db = Path(db)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._id = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        current = file_version(self.db)
        with self._lock:
            if self._con is None or current != self._id:
                self._con, self._id = connect_read(self.db), current
            cur = self._con.cursor()
        cur.execute("USE wh")
        return cur

    def query(self, sql: str, params: list | dict | None = None):
        """Run one parameterised query; returns (column names, rows)."""
        cur = self.cursor()
        try:
            rel = cur.execute(sql, params or [])
            cols = [d[0] for d in rel.description]
            return cols, rel.fetchall()
        finally:
            cur.close()
