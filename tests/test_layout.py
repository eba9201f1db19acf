"""The map's layout (etl/layout.py) and cluster labels (etl/cluster_labels.py): new segments
never move old ones, a new embedding model refits, labels come in each segment's language,
and on the real corpora the clusters are the debates' topics."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from etl import layout
from etl.cluster_labels import cluster_keywords
from warehouse import staging
from warehouse.check import check_warehouse
from warehouse.store import connect_read, write_session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import make_warehouse  # noqa: E402


def coordinates(db) -> dict[str, tuple]:
    con = connect_read(db)
    try:
        return {sid: (x, y, c) for sid, x, y, c in con.execute("SELECT segment_id, x, y, cluster FROM segment_layout")
                .fetchall()}
    finally:
        con.close()


def test_keywords_come_per_language_and_say_what_sets_a_cluster_apart():
    texts = [("We must secure the border now", "en"), ("The border wall and illegal crossings", "en"),
             ("Secure the border and stop the crossings", "en"), ("Cut taxes for working families", "en"),
             ("Taxes are too high for families", "en"), ("Lower taxes now", "en"),
             ("يجب تأمين الحدود الآن", "ar"), ("الحدود والهجرة غير الشرعية", "ar"), ("تأمين الحدود ووقف الهجرة", "ar")]
    rows = cluster_keywords(texts, np.array([0, 0, 0, 1, 1, 1, 0, 0, 0]))
    label = {(r["cluster"], r["language"]): r["keywords"] for r in rows}
    assert label[(0, "en")][0] == "border" and "taxes" not in label[(0, "en")]
    assert label[(1, "en")][0] == "taxes" and "border" not in label[(1, "en")]
    assert label[(0, "ar")][0] == "الحدود"  # Arabic segments get Arabic words
    assert (1, "ar") not in label and all("the" not in words for words in label.values())


def test_new_segments_are_placed_without_moving_old_ones(tmp_path):
    db = tmp_path / "w.lake"
    make_warehouse.build(db, segments=400, embedder="random", log=lambda *_: None)
    before = coordinates(db)
    assert len(before) == 400 and sum(c is not None for *_, c in before.values()) > 200
    with write_session(db) as con:  # 40 new segments, 10 gone
        con.execute("""INSERT INTO segments SELECT segment_id || '-new', document_id, seq + 10000, turn_index, speaker_id,
                       text, char_start, char_end, language, start_s, end_s, NULL, attribution_method,
                       attribution_confidence, attribution_evidence FROM segments ORDER BY segment_id LIMIT 40""")
        con.execute("""INSERT INTO embedding_vectors SELECT segment_id || '-new', model, dim, vector FROM embedding_vectors
                       ORDER BY segment_id LIMIT 40""")
        gone = [r[0] for r in con.execute("SELECT segment_id FROM embedding_vectors ORDER BY segment_id DESC LIMIT 10").fetchall()]
        con.execute("DELETE FROM embedding_vectors WHERE list_contains(?, segment_id)", [gone])
    with staging.staged_session(db) as con:
        assert layout.behind(con)
    summary = layout.update_warehouse(db)
    assert (summary.fitted, summary.placed, summary.removed) == (0, 40, 10)
    after = coordinates(db)
    assert all(after[sid] == before[sid] for sid in before if sid not in gone)
    twin = next(sid for sid in after if sid.endswith("-new"))
    assert np.hypot(*np.subtract(after[twin][:2], after[twin.removesuffix("-new")][:2])) < 1.0  # same vector, same place
    with staging.staged_session(db) as con:
        assert not layout.behind(con)

    with write_session(db) as con:  # another embedding model: the layout no longer fits
        con.execute("UPDATE settings SET value = 'another-model' WHERE key = 'embedding_model'")
    summary = layout.update_warehouse(db)
    assert summary.fitted == 430 and summary.placed == 0
    assert len(coordinates(db)) == 430
    assert [p for p in check_warehouse(db) if "map" in p or "layout" in p] == []  # (the edits above broke the rest)


def test_a_replaced_document_keeps_the_places_of_its_unchanged_segments(tmp_path):
    """The run's merge drops the coordinates of the segments it replaced, and only those."""
    db = tmp_path / "w.lake"
    make_warehouse.build(db, segments=400, embedder="random", log=lambda *_: None)
    before = coordinates(db)
    con = connect_read(db)
    doc, dropped = con.execute("""SELECT document_id, arg_max(segment_id, seq) FROM segments
                                  GROUP BY document_id ORDER BY document_id LIMIT 1""").fetchone()
    con.close()
    with staging.staged_session(db) as con:  # the document again, less its last segment
        staging.replace(con, [doc])
        for table in ("documents", "turns"):
            con.execute(f"INSERT INTO memory.main.{table} SELECT * FROM wh.main.{table} WHERE document_id = ?", [doc])
        con.execute("""INSERT INTO memory.main.segments SELECT * FROM wh.main.segments
                       WHERE document_id = ? AND segment_id <> ?""", [doc, dropped])
    after = coordinates(db)
    assert dropped in before and dropped not in after
    assert after == {sid: xy for sid, xy in before.items() if sid != dropped}
    with staging.staged_session(db) as con:
        assert not layout.behind(con)


@pytest.mark.corpora
def test_the_real_debates_make_recognisable_clusters(corpora_warehouse, query):
    db, _ = corpora_warehouse
    labels = [words for (words,) in query(db, "SELECT keywords FROM layout_clusters WHERE language = 'en'")]
    found = {topic: any(set(words[:3]) & set(cues) for words in labels) for topic, cues in {
        "border": ["border", "immigration", "wall", "migrants", "asylum"], "abortion": ["abortion", "roe"],
        "economy": ["economy", "jobs", "taxes", "inflation"], "health care": ["health", "care", "insurance"],
    }.items()}
    assert all(found.values()), found
    placed, embedded = query(db, "SELECT (SELECT count(*) FROM segment_layout), (SELECT count(*) FROM embeddings)")[0]
    assert placed == embedded
