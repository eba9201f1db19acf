"""The README's example SQL runs, as written, on the demo warehouse."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from stance.demo_corpus import build_demo

README = Path(__file__).resolve().parents[1] / "README.md"
QUERIES = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, embedder):
    db = tmp_path_factory.mktemp("readme") / "stance-demo.duckdb"
    assert build_demo(db).status == "ok"
    return db


def test_readme_has_example_queries():
    assert len(QUERIES) >= 3


@pytest.mark.parametrize("sql", QUERIES, ids=[f"query{i}" for i in range(len(QUERIES))])
def test_readme_query_answers_on_the_demo(demo_db, query, sql):
    assert query(demo_db, sql), "the example returns rows on the demo warehouse"
