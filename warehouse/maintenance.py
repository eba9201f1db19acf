"""`stance compact`: keep a warehouse written by many small runs as fast as one written once.

Every write adds files: small inserts are kept in the catalog itself (DuckLake's data
inlining), larger ones become Parquet files, deletes become delete files, and every commit
is a snapshot that keeps old files alive for time travel. Compaction, with DuckLake's own
functions: inlined rows are written out to Parquet, small adjacent files are merged, files
with many deleted rows are rewritten, snapshots older than `keep` are expired, and files no
snapshot needs any more (and files left by killed writers) are deleted.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from warehouse.location import Location
from warehouse.store import ALIAS, connect, etl_lock, location, retry_conflicts

DELETE_THRESHOLD = 0.1  # rewrite a data file once a tenth of its rows are deleted


@dataclass
class Compaction:
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    snapshots_expired: int

    def line(self) -> str:
        return (f"compacted: {self.files_before} -> {self.files_after} data files, "
                f"{self.bytes_before / 1e6:.1f} -> {self.bytes_after / 1e6:.1f} MB, "
                f"{self.snapshots_expired} snapshots expired")


def compact(db: str | Path | Location, keep: dt.timedelta = dt.timedelta(hours=1)) -> Compaction:
    """Compact the warehouse; snapshots (time travel) younger than `keep` are kept, so a
    reader still on one of them is not disturbed. Holds the ETL lock: never beside a run."""
    loc = location(db)
    if not loc.exists():
        raise FileNotFoundError(f"{loc}: no such warehouse")
    with etl_lock(loc):
        con = connect(loc)
        try:
            before = _files(con)
            cutoff = "now() - to_seconds(?::DOUBLE)"
            keep_s = [keep.total_seconds()]
            for call in (f"ducklake_flush_inlined_data('{ALIAS}')",
                         f"ducklake_merge_adjacent_files('{ALIAS}')",
                         f"ducklake_rewrite_data_files('{ALIAS}', delete_threshold => {DELETE_THRESHOLD})",
                         f"ducklake_merge_adjacent_files('{ALIAS}')"):
                retry_conflicts(lambda call=call: con.execute(f"CALL {call}").fetchall())
            expired = _expire_snapshots(con, cutoff, keep_s)
            con.execute(f"SELECT count(*) FROM ducklake_cleanup_old_files('{ALIAS}', cleanup_all => true)").fetchall()
            con.execute(f"SELECT count(*) FROM ducklake_delete_orphaned_files('{ALIAS}', older_than => {cutoff})",
                        keep_s).fetchall()
        finally:
            con.close()
        con = connect(loc, read_only=True)  # a new connection: this one's catalog cache predates the changes
        try:
            after = _files(con)
        finally:
            con.close()
    return Compaction(before[0], after[0], before[1], after[1], expired)


def _expire_snapshots(con, cutoff: str, params: list) -> int:
    """Expire the snapshots older than the cutoff, but never the latest. The versions are
    chosen here: DuckLake 1.5.5's own `older_than` compares a SQLite catalog's timestamps as
    text and expires a whole day's snapshots."""
    versions = [v for (v,) in con.execute(
        f"""SELECT snapshot_id FROM {ALIAS}.snapshots() WHERE snapshot_time < {cutoff}
            AND snapshot_id < (SELECT max(snapshot_id) FROM {ALIAS}.snapshots())""", params).fetchall()]
    if versions:
        con.execute(f"SELECT count(*) FROM ducklake_expire_snapshots('{ALIAS}', versions => ?::UBIGINT[])",
                    [versions]).fetchall()
    return len(versions)


def _files(con) -> tuple[int, int]:
    """(number, bytes) of the data and delete files the current snapshot reads."""
    tables = [t for (t,) in con.execute(
        f"SELECT table_name FROM information_schema.tables WHERE table_catalog = '{ALIAS}' AND table_type = 'BASE TABLE'"
    ).fetchall()]
    n = size = 0
    for table in tables:
        for data, data_size, delete, delete_size in con.execute(
                f"SELECT data_file, data_file_size_bytes, delete_file, delete_file_size_bytes "
                f"FROM ducklake_list_files('{ALIAS}', ?)", [table]).fetchall():
            n += 1 + (delete is not None)
            size += (data_size or 0) + (delete_size or 0)
    return n, size


def disk_usage(db: str | Path | Location) -> int:
    """Bytes on disk of a warehouse folder (catalog and all data files, live or not)."""
    loc = location(db)
    root = loc.folder if loc.folder is not None else loc.catalog_file.parent
    return sum(_size(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:  # a SQLite -wal or -shm file removed as a connection closed
        return 0
