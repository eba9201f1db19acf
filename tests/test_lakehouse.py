"""Every command against a DuckLake location (a local SQLite catalog and a separate data folder),
`stance sql`, `stance compact`, and `stance migrate` from a single-file warehouse."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl.pipeline import run_etl
from stance.demo_corpus import demo_files
from warehouse.store import connect

ROOT = Path(__file__).resolve().parents[1]
VIEWS_COUNT = "SELECT (SELECT count(*) FROM statements), (SELECT count(*) FROM agreements)"


def stance(*args, timeout=600):
    proc = subprocess.run([sys.executable, "-m", "stance", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)
    return proc


def rows(db, sql):
    con = connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def lake(tmp_path_factory, embedder):
    """The demo corpus loaded by `stance etl` into ducklake:sqlite:<catalog> with its own data folder."""
    root = tmp_path_factory.mktemp("lake")
    db = f"ducklake:sqlite:{root / 'catalog' / 'stance.sqlite'}"
    proc = stance("etl", "--db", db, "--data-path", str(root / "parquet"), *demo_files())
    assert proc.returncode == 0, proc.stderr
    return db, root


def test_etl_writes_parquet_to_the_data_path_and_check_passes(lake):
    db, root = lake
    assert list((root / "parquet").rglob("*.parquet"))
    assert not list((root / "catalog").rglob("*.parquet"))
    check = stance("check", "--db", db)
    assert check.returncode == 0 and check.stdout.strip() == "ok", check.stderr
    again = stance("etl", "--db", db, *demo_files())
    assert again.returncode == 0 and "0 added" in again.stdout


def test_sql_runs_the_readme_views_read_only(lake):
    db, _ = lake
    proc = stance("sql", "--db", db, "--format", "csv", "-c",
                  "SELECT count(*) > 0 AS ok FROM statements WHERE speaker IS NOT NULL")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "true"]
    write = stance("sql", "--db", db, "-c", "DELETE FROM documents")
    assert write.returncode != 0 and "read-only" in (write.stdout + write.stderr).lower()
    assert rows(db, "SELECT count(*) FROM documents")[0][0] > 0


def test_corrections_relabel_and_export_work_against_the_location(lake):
    from warehouse.queries import record_override

    db, _ = lake
    seg, topic = rows(db, "SELECT segment_id, topic FROM statements WHERE topic <> 'other' LIMIT 1")[0]
    record_override(db, "stance", seg, topic, "favor", author="desk")
    relabel = stance("relabel", "--db", db)
    assert relabel.returncode == 0, relabel.stderr
    assert json.loads(relabel.stdout)["segments"] == rows(db, "SELECT count(*) FROM segments")[0][0]
    assert rows(db, f"SELECT stance, stance_source FROM statements WHERE segment_id = '{seg}' AND topic = '{topic}'") == [
        ("favor", "override")]
    export = stance("export-corrections", "--db", db, "stance")
    assert export.returncode == 0 and export.stdout.splitlines()[0] == "text,target,label"
    assert len(export.stdout.splitlines()) == 2


def test_dashboard_serves_a_ducklake_location(lake):
    from dashboard.app import create_app

    db, _ = lake
    app = create_app(db)
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    from dashboard import state
    with app.server.app_context():
        from warehouse import queries as q
        assert q.summary(state.current().reader, q.Filters())["statements"] > 0


def test_compact_keeps_every_row_and_check_still_passes(lake):
    db, _ = lake
    before = rows(db, VIEWS_COUNT)
    proc = stance("compact", "--db", db, "--keep-hours", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("compacted:")
    assert rows(db, VIEWS_COUNT) == before
    assert stance("check", "--db", db).returncode == 0


def test_a_single_file_warehouse_moves_with_one_command(lake, tmp_path):
    db, _ = lake
    old = tmp_path / "old.duckdb"
    make_single_file(db, old)
    refused = stance("check", "--db", str(old))
    assert refused.returncode == 2 and "stance migrate --from" in refused.stderr
    assert refused.stderr.count("\n") == 1
    new = tmp_path / "new.lake"
    proc = stance("migrate", "--from", str(old), "--db", str(new))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["embeddings"] == rows(db, "SELECT count(*) FROM embeddings")[0][0]
    assert rows(new, VIEWS_COUNT) == rows(db, VIEWS_COUNT)
    assert rows(new, "SELECT typeof(vector) FROM embeddings LIMIT 1") == rows(db, "SELECT typeof(vector) FROM embeddings LIMIT 1")
    assert stance("check", "--db", str(new)).returncode == 0
    run = run_etl(new, demo_files())  # the moved warehouse carries on: nothing to load again
    assert run.status == "ok" and run.added == 0 and run.run_id == rows(db, "SELECT max(run_id) FROM etl_runs")[0][0] + 1


def make_single_file(lake_db: str, path: Path) -> None:
    """A warehouse as releases before DuckLake wrote it: one DuckDB file, FLOAT[n] vectors, sequences."""
    con = duckdb.connect(str(path))
    con.execute((Path(__file__).parent / "single_file_v1.sql").read_text())
    dim = rows(lake_db, "SELECT any_value(dim) FROM embeddings")[0][0]
    con.execute(f"CREATE TABLE embeddings (segment_id VARCHAR PRIMARY KEY, model VARCHAR NOT NULL, "
                f"dim INTEGER NOT NULL, vector FLOAT[{dim}] NOT NULL)")
    con.close()
    src = connect(lake_db, read_only=True)
    src.execute(f"ATTACH '{path}' AS old")
    for table in ("settings", "documents", "speakers", "turns", "segments", "topic_labels", "stance_labels",
                  "agreement_labels", "label_overrides", "etl_runs", "rejects", "embeddings"):
        where = "WHERE key <> 'views_sha256'" if table == "settings" else ""
        columns = "segment_id, model, dim, vector" if table == "embeddings" else "*"
        src.execute(f"INSERT INTO old.main.{table} SELECT {columns} FROM wh.main.{table} {where}")
    src.close()
