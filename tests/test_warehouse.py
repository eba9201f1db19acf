"""The warehouse: migrations, views, one writer beside many readers, locked-down readers, compaction."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from warehouse import staging
from warehouse.location import Location, SingleFileWarehouse
from warehouse.maintenance import compact
from warehouse.queries import record_override
from warehouse.store import (SCHEMA_VERSION, AlreadyRunning, Reader, connect, connect_read, etl_lock, version,
                             write_session)

STATEMENT_COLUMNS = {"segment_id", "document_id", "kind", "title", "outlet", "published", "speaker", "turn_index",
                     "text", "language", "topic", "topic_score", "stance", "stance_score"}
AGREEMENT_COLUMNS = {"segment_id", "document_id", "published", "speaker", "target_speaker", "label", "score"}


def columns(con, view):
    return {r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()}


def setting(db, key):
    return Reader(db).query("SELECT value FROM settings WHERE key = ?", [key])[1]


def test_fresh_warehouse_is_a_folder_with_schema_and_documented_views(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db):
        pass
    assert (db / "catalog.sqlite").exists()
    con = connect_read(db)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    assert STATEMENT_COLUMNS <= columns(con, "statements")
    assert AGREEMENT_COLUMNS <= columns(con, "agreements")


def test_views_are_restored_and_an_idle_session_adds_no_snapshot(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db) as con:
        con.execute("INSERT INTO settings VALUES ('marker', 'kept')")
    with write_session(db) as con:
        con.execute("DROP VIEW agreements")  # as if written by an older release
        con.execute("DELETE FROM settings WHERE key = 'views_sha256'")
    with write_session(db):
        pass
    con = connect_read(db)
    assert AGREEMENT_COLUMNS <= columns(con, "agreements")
    assert setting(db, "marker") == [("kept",)]
    before = version(db)
    with write_session(db):
        pass
    assert version(db) == before


def test_vectors_are_float_n_to_readers(tmp_path):
    db = tmp_path / "w.lake"
    with staging.staged_session(db) as con:
        from etl import load

        load.ensure_embeddings(con, "m", 3)
        con.execute("INSERT INTO embedding_vectors VALUES ('s1', 'm', 3, [1, 0, 0]), ('s2', 'm', 3, [0, 1, 0])")
    con = connect_read(db)
    assert con.execute("SELECT typeof(vector) FROM embeddings LIMIT 1").fetchone()[0] == "FLOAT[3]"
    top = con.execute("""SELECT segment_id FROM embeddings
                         ORDER BY array_cosine_similarity(vector, [1, 0.1, 0]::FLOAT[3]) DESC LIMIT 1""").fetchone()
    assert top == ("s1",)
    assert sorted(r for (r,) in con.execute("SELECT rowid FROM embeddings").fetchall()) == [0, 1]


ANALYST = textwrap.dedent("""
    import subprocess, sys
    from warehouse.shell import shell_argv
    shell = subprocess.Popen(shell_argv(sys.argv[1]) + ["-interactive", "-csv", "-noheader"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    def ask(sql):  # one value, marked 'v:' to tell it from the shell's banner
        shell.stdin.write(sql + "\\n"); shell.stdin.flush()
        while "v:" not in (line := shell.stdout.readline()):
            pass
        return line.strip().split("v:")[1]
    shell.stdin.write("BEGIN;\\n")  # the worst case: a transaction left open
    print(ask("SELECT 'v:' || value FROM settings WHERE key = 'version';"), flush=True)
    sys.stdin.readline()
    print(ask("SELECT 'v:' || value FROM settings WHERE key = 'version';"), flush=True)
    shell.stdin.close(); shell.wait()
""")


def test_writer_is_not_blocked_by_an_open_analyst_shell_which_keeps_its_snapshot(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db) as con:
        con.execute("INSERT INTO settings VALUES ('version', 'one')")
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(db)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert analyst.stdout.readline().strip() == "one"
    with write_session(db) as con:
        con.execute("UPDATE settings SET value = 'two' WHERE key = 'version'")
    analyst.stdin.write("\n")
    analyst.stdin.flush()
    assert analyst.stdout.readline().strip() == "one"  # its snapshot, no error
    analyst.wait(timeout=60)
    assert setting(db, "version") == [("two",)]


def test_reader_follows_commits_and_keeps_one_snapshot_per_connection(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db) as con:
        con.execute("INSERT INTO settings VALUES ('n', '1')")
    reader = Reader(db)
    cur = reader.cursor()
    assert reader.query("SELECT value FROM settings WHERE key='n'")[1] == [("1",)]
    with write_session(db) as con:
        con.execute("UPDATE settings SET value = '2' WHERE key = 'n'")
    assert cur.execute("SELECT value FROM settings WHERE key='n'").fetchall() == [("1",)]  # pinned
    assert reader.query("SELECT value FROM settings WHERE key='n'")[1] == [("2",)]


def test_killed_writer_leaves_the_warehouse_intact(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db) as con:
        con.execute("INSERT INTO settings VALUES ('n', 'before')")
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from warehouse.store import write_session
        with write_session({str(db)!r}) as con:
            con.execute("UPDATE settings SET value = 'during' WHERE key = 'n'")
            con.execute("INSERT INTO rejects SELECT 1, 'f', 1, 'r', 'e' FROM range(5000)")
            print("writing", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    assert setting(db, "n") == [("before",)]
    assert Reader(db).query("SELECT count(*) FROM rejects")[1] == [(0,)]
    with write_session(db) as con:  # the next writer works
        con.execute("UPDATE settings SET value = 'after' WHERE key = 'n'")
    assert setting(db, "n") == [("after",)]


def test_a_first_run_killed_between_migrations_leaves_a_warehouse_that_passes_check(tmp_path):
    """Each migration commits on its own: a first run killed after the first one leaves an older
    schema (no tables of the later ones, no views). Nothing is lost, `stance check` finds it
    sound (it crashed on the missing tables), and the next run brings it up to date."""
    from warehouse.check import check_warehouse
    from warehouse.schema import MIGRATIONS

    db = tmp_path / "w.lake"
    con = connect(db)
    con.execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL, name VARCHAR, applied_at TIMESTAMP)")
    con.execute(sorted(MIGRATIONS.glob("0*.sql"))[0].read_text(encoding="utf-8"))
    con.execute("INSERT INTO schema_migrations VALUES (1, 'initial', NULL)")
    con.close()
    assert check_warehouse(db) == []
    with write_session(db) as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    assert check_warehouse(db) == []
    bare = tmp_path / "bare.lake"
    connect(bare).close()  # killed before its first migration committed
    assert check_warehouse(bare) == []


def test_a_correction_committed_while_a_run_is_staged_survives_its_merge(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db) as con:
        con.execute("INSERT INTO segments (segment_id, document_id, seq, text, char_start, char_end) "
                     "VALUES ('s1', 'd1', 0, 'x', 0, 1)")
    with staging.staged_session(db) as con:
        con.execute("SELECT count(*) FROM wh.main.documents").fetchall()  # the run has read the warehouse
        con.execute("INSERT INTO rejects VALUES (1, 'f', 1, 'r', 'e')")
        record_override(db, "topic", "s1", None, "immigration", author="me")  # meanwhile, in the dashboard
    con = connect_read(db)
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 1
    assert con.execute("SELECT new_label FROM label_overrides").fetchall() == [("immigration",)]


def test_one_etl_run_at_a_time(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db):
        pass
    with etl_lock(db):
        with pytest.raises(AlreadyRunning, match="already"):
            with etl_lock(db):
                pass
        with pytest.raises(AlreadyRunning):
            compact(db)
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
    db = tmp_path / "w.lake"
    with write_session(db):
        pass
    out = tmp_path / "pwned.csv"
    with pytest.raises(duckdb.Error):
        connect_read(db).execute(sql.format(out=out))
    assert not out.exists()


def test_compaction_merges_small_files_and_keeps_every_row(tmp_path):
    db = tmp_path / "w.lake"
    for i in range(12):
        with write_session(db) as con:
            con.execute("INSERT INTO rejects SELECT ?, 'f', range, 'r', 'e' FROM range(50)", [i])
        if i % 3 == 0:
            with write_session(db) as con:
                con.execute("DELETE FROM rejects WHERE run_id = ? AND line < 10", [i])
    result = compact(db, keep=dt.timedelta(0))
    assert result.files_after < result.files_before / 3
    assert Reader(db).query("SELECT count(*) FROM rejects")[1] == [(12 * 50 - 4 * 10,)]
    assert len(list((db / "data").rglob("*.parquet"))) == result.files_after  # old files deleted
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM wh.snapshots()").fetchone()[0] == 1


def test_a_ducklake_location_with_its_own_data_path(tmp_path):
    db = f"ducklake:sqlite:{tmp_path / 'meta' / 'catalog.sqlite'}"
    with write_session(db, data_path=str(tmp_path / "parquet")) as con:
        con.execute("INSERT INTO rejects SELECT 1, 'f', range, 'r', 'e' FROM range(100)")
    assert list((tmp_path / "parquet").rglob("*.parquet"))
    assert Reader(db).query("SELECT count(*) FROM rejects")[1] == [(100,)]
    assert Location.parse(db).lock_file("etl.lock").parent == tmp_path / "meta"


def test_a_single_file_warehouse_is_refused_with_the_command_that_moves_it(tmp_path):
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()
    with pytest.raises(SingleFileWarehouse, match="stance migrate --from"):
        connect_read(old)


def test_a_run_killed_during_its_merge_leaves_all_or_nothing(tmp_path):
    db = tmp_path / "w.lake"
    with write_session(db):
        pass
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from warehouse import staging
        with staging.staged_session({str(db)!r}) as con:
            con.execute("INSERT INTO rejects SELECT 1, 'file-' || range, range, repeat('reason ', 20), NULL FROM range(3000000)")
            print("merging", flush=True)
    """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "merging", proc.stderr.read()
    time.sleep(0.5)  # into the merge, which writes ~3,000,000 rows
    proc.kill()
    proc.wait()
    assert Reader(db).query("SELECT count(*) FROM rejects")[1][0][0] in (0, 3_000_000)
    left = {p.name for p in (db / "data").rglob("*.parquet")} - live_files(db)  # written, never committed
    with write_session(db) as con:  # the next writer works; compaction deletes what the killed one left
        con.execute("INSERT INTO rejects VALUES (2, 'f', 1, 'r', 'e')")
    compact(db, keep=dt.timedelta(0))
    assert not left & {p.name for p in (db / "data").rglob("*.parquet")}
    assert {p.name for p in (db / "data").rglob("*.parquet")} == live_files(db)


def live_files(db) -> set[str]:
    con = connect(db, read_only=True)
    tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_catalog = 'wh' AND table_type = 'BASE TABLE'").fetchall()]
    return {f.rsplit("/", 1)[-1] for t in tables
            for (f,) in con.execute(f"SELECT data_file FROM ducklake_list_files('wh', '{t}')").fetchall()}


def test_the_layouts_reducer_is_not_kept_whole_in_the_catalogs_statistics(tmp_path):
    """DuckLake keeps an inlined BLOB whole as its column's min/max statistics, which every
    connection loads at its first query (a 38 MB reducer made them 220 MB); `layouts` writes
    Parquet instead, whose statistics are cut short."""
    import sqlite3

    db = tmp_path / "w.lake"
    with write_session(db) as con:
        con.execute("INSERT INTO layouts VALUES (1, 'm', 3, 'umap', '{}', 10, TIMESTAMP '2026-01-01', ?)", [b"x" * 100_000])
    with write_session(db):  # migrated already: nothing to redo
        pass
    catalog = sqlite3.connect(db / "catalog.sqlite")
    longest = catalog.execute("SELECT max(length(min_value)) FROM ducklake_table_column_stats").fetchone()[0]
    assert longest < 10_000
    con = connect_read(db)
    assert con.execute("SELECT layout_id, octet_length(reducer) FROM layouts").fetchall() == [(1, 100_000)]
