"""The warehouse file: migrations, views, one writer beside many readers, locked-down readers."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from warehouse.store import SCHEMA_VERSION, AlreadyRunning, Reader, connect_read, etl_lock, migrate, write_session

STATEMENT_COLUMNS = {"segment_id", "document_id", "kind", "title", "outlet", "published", "speaker", "turn_index",
                     "text", "language", "topic", "topic_score", "stance", "stance_score"}
AGREEMENT_COLUMNS = {"segment_id", "document_id", "published", "speaker", "target_speaker", "label", "score"}


def columns(con, view):
    return {r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()}


def test_fresh_file_gets_schema_and_documented_views(tmp_path):
    with write_session(tmp_path / "w.duckdb"):
        pass
    con = connect_read(tmp_path / "w.duckdb")
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    assert STATEMENT_COLUMNS <= columns(con, "statements")
    assert AGREEMENT_COLUMNS <= columns(con, "agreements")


def test_old_file_is_migrated_and_keeps_its_data(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrate(con)
    con.execute("INSERT INTO settings VALUES ('marker', 'kept')")
    con.execute("DROP VIEW agreements")  # as if written by an older release
    con.execute("DELETE FROM schema_migrations WHERE version > 1")
    con.close()
    with write_session(db):
        pass
    con = connect_read(db)
    assert con.execute("SELECT value FROM settings WHERE key = 'marker'").fetchone() == ("kept",)
    assert AGREEMENT_COLUMNS <= columns(con, "agreements")


def test_writer_is_not_blocked_by_an_open_reader_process_and_readers_keep_their_snapshot(tmp_path):
    db = tmp_path / "w.duckdb"
    with write_session(db) as con:
        con.execute("INSERT INTO settings VALUES ('version', 'one')")
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r}, read_only=True)   # an analyst's open session
        print(con.execute("SELECT value FROM settings WHERE key='version'").fetchone()[0], flush=True)
        sys.stdin.readline()
        print(con.execute("SELECT value FROM settings WHERE key='version'").fetchone()[0], flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "one"
    with write_session(db) as con:
        con.execute("UPDATE settings SET value = 'two' WHERE key = 'version'")
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "one"  # its snapshot, no error
    reader.wait(timeout=30)
    assert Reader(db).query("SELECT value FROM settings WHERE key='version'")[1] == [("two",)]


def test_reader_follows_swaps(tmp_path):
    db = tmp_path / "w.duckdb"
    with write_session(db) as con:
        con.execute("INSERT INTO settings VALUES ('n', '1')")
    reader = Reader(db)
    assert reader.query("SELECT value FROM settings WHERE key='n'")[1] == [("1",)]
    with write_session(db) as con:
        con.execute("UPDATE settings SET value = '2' WHERE key = 'n'")
    assert reader.query("SELECT value FROM settings WHERE key='n'")[1] == [("2",)]


def test_killed_writer_leaves_live_file_intact(tmp_path):
    db = tmp_path / "w.duckdb"
    with write_session(db) as con:
        con.execute("INSERT INTO settings VALUES ('n', 'before')")
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from warehouse.store import write_session
        with write_session({str(db)!r}) as con:
            con.execute("UPDATE settings SET value = 'during' WHERE key = 'n'")
            print("writing", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    assert Reader(db).query("SELECT value FROM settings WHERE key='n'")[1] == [("before",)]
    with write_session(db) as con:  # the next writer cleans up and works
        con.execute("UPDATE settings SET value = 'after' WHERE key = 'n'")
    assert not list(tmp_path.glob("w.duckdb.tmp-*"))


def test_one_etl_run_at_a_time(tmp_path):
    db = tmp_path / "w.duckdb"
    with etl_lock(db):
        with pytest.raises(AlreadyRunning, match="already"):
            with etl_lock(db):
                pass
    with etl_lock(db):  # released
        pass


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "COPY (SELECT 1) TO '{out}'",
    "ATTACH '{out}' AS other",
    "SET enable_external_access = true",
])
def test_readers_cannot_touch_other_files(tmp_path, sql):
    db = tmp_path / "w.duckdb"
    with write_session(db):
        pass
    out = tmp_path / "pwned.csv"
    with pytest.raises(duckdb.Error):
        connect_read(db).execute(sql.format(out=out))
    assert not out.exists()
