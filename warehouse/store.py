"""Opening the warehouse: one writer at a time, readers that never block it.

The warehouse is a DuckLake: a catalog (SQLite in a warehouse folder, or Postgres) and
Parquet data files. A write is one DuckLake transaction: it adds the Parquet files of what
changed and commits a new snapshot, so its cost follows the change, not the warehouse.
Readers work on the snapshot they opened and never see a half-written transaction; the
SQLite catalog runs in WAL mode, so a reader (even an idle shell holding a transaction)
never blocks a writer's commit. A writer killed at any moment leaves at most unreferenced
Parquet files, which `stance compact` removes. One ETL run at a time: `etl_lock`.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from warehouse import extensions
from warehouse.location import Location, sql_string  # noqa: F401 (sql_string is part of this module's API)
from warehouse.schema import SCHEMA_VERSION, migrate  # noqa: F401

log = logging.getLogger("stance.warehouse")
ALIAS = "wh"
COMMIT_ATTEMPTS = 8


class AlreadyRunning(RuntimeError):
    """Another ETL run holds this warehouse."""


def location(db: str | Path | Location, data_path: str | None = None) -> Location:
    return db if isinstance(db, Location) else Location.parse(db, data_path)


def connect(db: str | Path | Location, *, read_only: bool = False, snapshot: int | None = None,
            memory_limit: str | None = None, data_path: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the warehouse attached as `wh` and in use (created if new, unless read-only)."""
    loc = location(db, data_path)
    if read_only and not loc.exists():
        raise FileNotFoundError(f"{loc}: no such warehouse (run `stance etl --db {loc} INPUT...` first)")
    if not loc.exists():
        _create_catalog(loc)
    con = extensions.connect(needed=loc.extensions, config={"memory_limit": memory_limit} if memory_limit else None)
    try:
        con.execute(loc.attach_sql(ALIAS, read_only=read_only, snapshot=snapshot))
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def _create_catalog(loc: Location) -> None:
    """A new SQLite catalog starts in WAL mode (kept by the file): readers never block the writer."""
    if loc.folder is not None:
        loc.folder.mkdir(parents=True, exist_ok=True)
    if loc.catalog_kind == "sqlite":
        loc.catalog_file.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(loc.catalog_file)) as con:
            con.execute("PRAGMA journal_mode=WAL")


def is_conflict(exc: BaseException) -> bool:
    """A commit that lost a race with another writer's commit (retrying it is safe)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(
        s in text for s in ("database is locked", "conflict", "could not serialize", "busy"))


def retry_conflicts(fn, attempts: int = COMMIT_ATTEMPTS):
    """fn(), again while it loses commit races (short waits, growing)."""
    for attempt in range(attempts):
        try:
            return fn()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == attempts - 1:
                raise
            log.info("commit raced another writer (%s); retrying", str(exc).splitlines()[0][:120])
            time.sleep(0.05 * 2 ** attempt)


@contextlib.contextmanager
def write_session(db: str | Path | Location, *, memory_limit: str | None = None, data_path: str | None = None):
    """A read-write connection in one transaction, committed on success (a new snapshot).

    The schema is brought up to date first. A body that may race other writers (a
    correction beside an ETL run) is wrapped in `retry_conflicts`."""
    con = connect(db, memory_limit=memory_limit, data_path=data_path)
    try:
        retry_conflicts(lambda: migrate(con))
        with in_transaction(con):
            yield con
    finally:
        con.close()


@contextlib.contextmanager
def in_transaction(con: duckdb.DuckDBPyConnection):
    """BEGIN; COMMIT when the body returns, ROLLBACK (and re-raise) when it fails."""
    con.execute("BEGIN")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


_writers: dict[str, duckdb.DuckDBPyConnection] = {}
_writers_lock = threading.Lock()


@contextlib.contextmanager
def transaction(db: str | Path | Location):
    """One short write transaction on this process's kept connection to `db` (for small
    writes such as corrections: attaching costs ~0.2 s, more than the write itself). The
    schema is migrated when the connection is first made. Each transaction reads the latest
    snapshot; wrap the body in `retry_conflicts` where it may race another writer."""
    loc = location(db)
    with _writers_lock:
        base = _writers.get(loc.text)
        if base is None:
            base = connect(loc)
            retry_conflicts(lambda: migrate(base))
            _writers[loc.text] = base
        cur = base.cursor()  # a connection of its own on the same attached warehouse: thread-safe
    try:
        cur.execute(f"USE {ALIAS}")
        with in_transaction(cur):
            yield cur
    finally:
        cur.close()


@contextlib.contextmanager
def etl_lock(db: str | Path | Location):
    """Held for a whole ETL run; a second run fails at once with AlreadyRunning."""
    loc = location(db)
    path = loc.lock_file("etl.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(f"{db}: another ETL run is already working on this warehouse") from None
    try:
        yield
    finally:
        lock.release()


def version(db: str | Path | Location) -> int | None:
    """The warehouse's latest snapshot: changes with every committed write; None if there is none."""
    loc = location(db)
    if not loc.exists():
        return None
    con = connect(loc, read_only=True)
    try:
        return latest_snapshot(con, loc)
    finally:
        con.close()


def latest_snapshot(con: duckdb.DuckDBPyConnection, loc: Location) -> int | None:
    """The latest committed snapshot, on a connection from `connect(loc, read_only=True)`.

    A SQLite catalog is read through DuckDB's own SQLite library (~3 ms): Python's sqlite3
    module on a file that DuckDB's SQLite also holds would be two SQLite libraries in one
    process, whose POSIX locks undo each other (measured: a SIGBUS in the dashboard)."""
    if loc.catalog_kind == "sqlite":
        return con.execute("SELECT max(snapshot_id) FROM sqlite_scan(?, 'ducklake_snapshot')",
                           [str(loc.catalog_file)]).fetchone()[0]
    return con.execute(f"SELECT max(snapshot_id) FROM {ALIAS}.snapshots()").fetchone()[0]


def connect_read(db: str | Path | Location, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection (at `snapshot`, else the latest) that cannot touch any file
    but the warehouse's own (no COPY, no read_csv, no ATTACH)."""
    loc = location(db)
    con = connect(loc, read_only=True, snapshot=snapshot)
    data_path = loc.data_path if loc.folder is not None else con.execute(
        f"SELECT value FROM {ALIAS}.options() WHERE option_name = 'data_path'").fetchone()[0]
    con.execute(f"SET allowed_directories = [{sql_string(data_path)}]")  # the warehouse's own Parquet files
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


class Reader:
    """Thread-safe read access for a long-running process such as the dashboard.

    Holds one read-only connection pinned to a snapshot, and opens a new one when a writer
    has committed a newer snapshot: every query sees one consistent version, and readers
    never block writers. The latest snapshot is read at most every 50 ms on a SQLite
    catalog (~3 ms a read), every second on a server catalog.
    """

    def __init__(self, db: str | Path | Location):
        self.location = location(db)
        self.db = self.location
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._snapshot: int | None = None
        self._probe: duckdb.DuckDBPyConnection | None = None
        self._probed = (float("-inf"), None)
        self.probe_every = 0.05 if self.location.catalog_kind == "sqlite" else 1.0

    def snapshot(self, fresh: bool = False) -> int | None:
        """The latest snapshot (the one the next cursor will read); `fresh` reads it now,
        even within `probe_every` of the last read."""
        at, value = self._probed
        if fresh or time.monotonic() - at > self.probe_every:
            with self._lock:
                if self._probe is None:
                    self._probe = connect(self.location, read_only=True)
                probe = self._probe.cursor()
            try:
                value = latest_snapshot(probe, self.location)
            finally:
                probe.close()
            self._probed = (time.monotonic(), value)
        return value

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new locked-down connection on the snapshot this reader is on."""
        self.cursor().close()
        return connect_read(self.location, self._snapshot)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        current = self.snapshot()
        with self._lock:
            if self._con is None or current != self._snapshot:
                # the old connection closes when the cursors still reading it are done
                self._con, self._snapshot = connect_read(self.location, current), current
            cur = self._con.cursor()
        cur.execute(f"USE {ALIAS}")
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
