"""Shared fixtures: real model, real DuckDB files, real corpora from ../shared when present."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"


def shared_file(*parts: str) -> Path:
    """A file from ../shared, or skip the test with a clear message where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test reads the shared corpora at run time (../shared beside the repo)")
    return path


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def embedder():
    from etl.embed import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def corpora_warehouse(tmp_path_factory, embedder):
    """One warehouse built from every file in ../shared/corpora (shared by the tests that read it)."""
    from etl.pipeline import run_etl

    corpora = shared_file("corpora")
    db = tmp_path_factory.mktemp("corpora") / "corpora.duckdb"
    summary = run_etl(db, [str(corpora)])
    assert summary.status in ("ok", "ok_with_rejects"), summary.error
    return db, summary


@pytest.fixture
def query():
    """query(db, sql, *params) -> list of rows, through a fresh read-only connection."""
    from warehouse.store import connect_read

    def run(db, sql, *params):
        con = connect_read(db)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    return run


# --- the dashboard: a generated warehouse with a hostile document, served by the real app ------------------
@pytest.fixture(scope="session")
def dashboard_db(tmp_path_factory) -> Path:
    import sys

    from browser import add_hostile_document

    sys.path.insert(0, str(ROOT / "bench"))
    import make_warehouse

    db = tmp_path_factory.mktemp("dashboard") / "dashboard.duckdb"
    make_warehouse.build(db, segments=2000, embedder="random", log=lambda *_: None)
    add_hostile_document(db)
    return db


@pytest.fixture(scope="session")
def base_url(dashboard_db):
    from browser import start_server

    base, _app, stop = start_server(dashboard_db)
    yield base
    stop()


@pytest.fixture(scope="session")
def browser():
    from browser import CHROMIUM, shared_browser

    if not CHROMIUM.exists():
        pytest.skip("needs Debian's /usr/bin/chromium")
    return shared_browser()
