"""warehouse/queries.py against direct SQL on the documented views, on a small warehouse
made by bench/make_warehouse.py; and hostile parameters that must stay parameters."""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import make_warehouse  # noqa: E402

from dashboard.embedding_index import EmbeddingIndex  # noqa: E402
from warehouse import queries as q  # noqa: E402
from warehouse.queries import Filters  # noqa: E402
from warehouse.store import Reader, connect  # noqa: E402

EVERYONE = Filters(include_moderators=True)  # moderators too, as the direct SQL below counts them

HOSTILE = [
    "'; COPY (SELECT 1) TO '/tmp/pwn.csv'; --",
    "read_csv('/etc/passwd')",
    "x' OR 1=1 --",
    "%_\\",
    "{facts}",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("queries") / "tiny.lake"
    return make_warehouse.build(path, segments=2000, embedder="random", log=lambda *_: None)


@pytest.fixture(scope="module")
def reader(db) -> Reader:
    return Reader(db)


@pytest.fixture(scope="module")
def sql(db):
    """sql(query, *params) -> rows, on the documented views through a plain read-only connection."""
    con = connect(db, read_only=True)
    yield lambda text, *params: con.execute(text, list(params)).fetchall()
    con.close()


def one(rows):
    return rows[0][0]


def speakers_by_volume(sql) -> list[str]:
    return [r[0] for r in sql("SELECT speaker_id FROM statements WHERE speaker_id IS NOT NULL "
                              "GROUP BY 1 ORDER BY count(*) DESC, 1")]


# --- filters ---------------------------------------------------------------------------------------
def test_every_filter_matches_direct_sql(reader, sql):
    first, last = one(sql("SELECT min(published) FROM documents")), one(sql("SELECT max(published) FROM documents"))
    mid = first + (last - first) / 2
    top = speakers_by_volume(sql)[:2]
    everyone = {"include_moderators": True}  # the default leaves non-participants out: tested last
    cases = [
        (Filters(**everyone), "speaker_id IS NOT NULL", []),
        (Filters(start=mid, **everyone), "speaker_id IS NOT NULL AND published >= ?", [mid]),
        (Filters(end=mid, **everyone), "speaker_id IS NOT NULL AND published <= ?", [mid]),
        (Filters(topics=("immigration", "other"), **everyone),
         "speaker_id IS NOT NULL AND topic IN ('immigration', 'other')", []),
        (Filters(speakers=tuple(top), **everyone), "speaker_id IN (?, ?)", top),
        (Filters(kind="news", **everyone), "speaker_id IS NOT NULL AND kind = 'news'", []),
        (Filters(outlets=("Reuters",), **everyone), "speaker_id IS NOT NULL AND outlet = 'Reuters'", []),
        (Filters(languages=("ar",), **everyone), "speaker_id IS NOT NULL AND language = 'ar'", []),
        (Filters(min_confidence=0.7, **everyone), "speaker_id IS NOT NULL AND stance_score >= 0.7", []),
        (Filters(), "speaker_id IS NOT NULL AND coalesce(speaker_role NOT IN "
                    "('moderator', 'host', 'questioner', 'press secretary', 'narrator'), true)", []),
        (Filters(include_narration=True, **everyone), "TRUE", []),
    ]
    for f, where, params in cases:
        expected = one(sql(f"SELECT count(*) FROM statements WHERE {where}", *params))
        assert q.summary(reader, f)["statements"] == expected, f
        assert expected > 0, f"the generator should produce rows for {f}"


def test_filters_from_junk_are_harmless():
    f = Filters.from_dict({"start": "not a date", "kind": "'; DROP", "min_confidence": "x", "topics": "a",
                           "unknown": 1, "include_moderators": 0})
    assert f == Filters(topics=("a",), include_moderators=False)
    assert Filters.from_dict(Filters(start=dt.date(2024, 1, 2), topics=("x",)).to_dict()).start == dt.date(2024, 1, 2)


# --- overview ----------------------------------------------------------------------------------------
def test_speaker_topic_matrix_counts(reader, sql):
    rows = q.speaker_topic_matrix(reader, EVERYONE, top_speakers=1000)
    assert sum(r["n"] for r in rows) == one(sql("SELECT count(*) FROM statements WHERE speaker_id IS NOT NULL"))
    cell = max(rows, key=lambda r: r["n"])
    favor, against, n = sql("""SELECT count(*) FILTER (WHERE stance = 'favor'), count(*) FILTER (WHERE stance = 'against'),
                                      count(*) FROM statements WHERE speaker_id = ? AND topic = ?""",
                            cell["speaker_id"], cell["topic"])[0]
    assert (cell["favor"], cell["against"], cell["n"]) == (favor, against, n)
    assert cell["net"] == pytest.approx((favor - against) / n)
    top5 = q.speaker_topic_matrix(reader, EVERYONE, top_speakers=5)
    assert [s for s in dict.fromkeys(r["speaker_id"] for r in top5)] == speakers_by_volume(sql)[:5]


def test_topic_share_is_normalised_by_all_statements(reader, sql):
    rows = q.topic_share(reader, EVERYONE, "quarter")
    by_period: dict = {}
    for r in rows:
        by_period[r["period"]] = by_period.get(r["period"], 0) + r["share"]
    assert all(v == pytest.approx(1.0) for v in by_period.values())
    only = q.topic_share(reader, Filters(topics=("elections",), include_moderators=True), "quarter")
    assert {r["topic"] for r in only} == {"elections"}
    r = only[0]
    n, total = sql("""SELECT count(*) FILTER (WHERE topic = 'elections'), count(*) FROM statements
                      WHERE speaker_id IS NOT NULL AND date_trunc('quarter', published) = ?""", r["period"])[0]
    assert (r["n"], r["total"]) == (n, total)
    with pytest.raises(ValueError):
        q.topic_share(reader, EVERYONE, "day; DROP TABLE segments")


def test_top_speakers_and_drilldown(reader, sql):
    rows = q.top_speakers_by_topic(reader, EVERYONE, k=3)
    first = rows[0]
    expected = sql("""SELECT speaker_id FROM statements WHERE speaker_id IS NOT NULL AND topic = ?
                      GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3""", first["topic"])
    assert [r["speaker_id"] for r in rows if r["topic"] == first["topic"]] == [e[0] for e in expected]
    listed = q.statements(reader, EVERYONE, speaker_id=first["speaker_id"], topic=first["topic"], limit=1000)
    assert len(listed) == first["n"] == q.count_statements(reader, EVERYONE, speaker_id=first["speaker_id"],
                                                           topic=first["topic"])
    assert all(r["speaker_id"] == first["speaker_id"] and r["topic"] == first["topic"] and r["text"] for r in listed)
    dates = [r["published"] for r in listed]
    assert dates == sorted(dates, reverse=True)


# --- speaker -------------------------------------------------------------------------------------------
def test_speaker_queries(reader, sql):
    who = speakers_by_volume(sql)[0]
    info = q.speaker_info(reader, who)
    assert info["statements"] == one(sql("SELECT count(*) FROM statements WHERE speaker_id = ?", who))
    over_time = q.speaker_stance_over_time(reader, EVERYONE, who, "quarter")
    assert sum(r["n"] for r in over_time) == info["statements"]
    quotes = q.representative_quotes(reader, EVERYONE, who, per_topic=2)
    assert quotes and all(r["text"] for r in quotes)
    for topic in {r["topic"] for r in quotes}:
        sims = [r["similarity"] for r in quotes if r["topic"] == topic]
        assert len(sims) <= 2 and sims == sorted(sims, reverse=True) and all(-1 <= s <= 1.0001 for s in sims)
    partners = q.speaker_partners(reader, EVERYONE, who)
    p = partners[0]
    assert (p["n"], p["agree"]) == sql("""SELECT count(*), count(*) FILTER (WHERE label = 'agree') FROM agreements
                                          WHERE speaker_id = ? AND target_speaker_id = ?""", who, p["other_id"])[0]


def test_speaker_against_everyone_else_per_topic(reader, sql):
    who = speakers_by_volume(sql)[1]
    f = Filters(include_moderators=True, speakers=(who,))  # the speaker filter does not narrow "everyone else"
    rows = q.speaker_vs_others(reader, f, who)
    expected = sql("""SELECT topic, count(*) FILTER (WHERE speaker_id = $1),
                             count(*) FILTER (WHERE speaker_id = $1 AND stance = 'favor'),
                             count(*) FILTER (WHERE speaker_id <> $1),
                             count(*) FILTER (WHERE speaker_id <> $1 AND stance = 'against')
                      FROM statements WHERE speaker_id IS NOT NULL AND topic <> 'other'
                      GROUP BY topic HAVING count(*) FILTER (WHERE speaker_id = $1) > 0""", who)
    assert sorted((r["topic"], r["n"], r["favor"], r["others_n"], r["others_against"]) for r in rows) == sorted(expected)
    assert [r["n"] for r in rows] == sorted((r["n"] for r in rows), reverse=True)
    assert all(r["others"]["n"] == r["others_n"] and r["net_low"] <= r["net"] <= r["net_high"] for r in rows)


def test_representative_quote_is_nearest_to_centroid(reader, sql):
    """With a sample covering all statements, the top quote maximises cosine to the mean vector."""
    who = speakers_by_volume(sql)[3]
    quotes = q.representative_quotes(reader, EVERYONE, who, per_topic=1, sample=100_000)
    topic = quotes[0]["topic"]
    vectors = sql("""SELECT e.segment_id, e.vector FROM statements s JOIN embeddings e USING (segment_id)
                     WHERE s.speaker_id = ? AND s.topic = ?""", who, topic)
    m = np.array([v for _, v in vectors], dtype=np.float64)
    centroid = m.mean(axis=0)
    cos = m @ centroid / np.linalg.norm(m, axis=1) / np.linalg.norm(centroid)
    assert quotes[0]["segment_id"] == vectors[int(np.argmax(cos))][0]


def test_representative_quotes_from_the_index_match_the_stored_vectors(reader, sql):
    """The dashboard passes the in-memory index's vectors; the quotes are those of the stored ones."""
    index = EmbeddingIndex(reader)
    assert index.vectors([0]) is None  # not loaded yet: the caller reads the warehouse
    index.snapshot()
    for who in speakers_by_volume(sql)[:3]:
        stored = q.representative_quotes(reader, EVERYONE, who, per_topic=3)
        held = q.representative_quotes(reader, EVERYONE, who, per_topic=3, vectors=index.vectors)
        assert [r["segment_id"] for r in held] == [r["segment_id"] for r in stored]
        assert [r["similarity"] for r in held] == pytest.approx([r["similarity"] for r in stored], abs=1e-5)
        assert "emb_row" not in held[0]
    assert index.vectors([10**9]) is None  # a row it does not hold


# --- agreement -------------------------------------------------------------------------------------------
def test_agreement_queries(reader, sql):
    matrix = q.agreement_matrix(reader, EVERYONE, "reply", top_speakers=1000)
    assert sum(r["n"] for r in matrix) == one(sql(
        "SELECT count(*) FROM agreements WHERE kind = 'reply' AND target_speaker_id IS NOT NULL"))
    cell = max(matrix, key=lambda r: r["n"])
    rows = q.agreement_statements(reader, EVERYONE, speaker_id=cell["speaker_id"],
                                  target_speaker_id=cell["target_speaker_id"], kind="reply", limit=1000)
    assert len(rows) == cell["n"] and all(r["text"] and r["target_text"] for r in rows)
    profiles = q.stance_profiles(reader, EVERYONE, top_speakers=20, min_statements=1)
    camps = {p["speaker_id"]: i % 2 for i, p in enumerate(profiles)}
    contested = q.contested_statements(reader, EVERYONE, camps, min_votes=2, limit=5)
    for r in contested:
        votes = one(sql("""SELECT count(*) FROM agreements WHERE kind = 'reply' AND target_segment_id = ?
                           AND list_contains(?, speaker_id)""", r["segment_id"], list(camps)))
        assert r["votes"] == votes and r["camps"] >= 2 and 0 <= r["consensus"] <= r["agree_rate"] <= 1


# --- search -----------------------------------------------------------------------------------------------
def test_keyword_search(reader, sql):
    rows = q.search(reader, Filters(include_narration=True), keyword="BORDER", limit=1000)
    expected = one(sql("SELECT count(DISTINCT segment_id) FROM statements WHERE text ILIKE '%border%'"))
    assert len(rows) == expected > 0
    assert all("border" in r["text"].lower() for r in rows)
    assert q.search(reader, EVERYONE, keyword="100%") == []  # % is literal, not a wildcard


def test_index_search_matches_exact_duckdb_search(reader):
    index = EmbeddingIndex(reader)
    vector = index.snapshot().vector(7)  # a query close to some statements
    for f, keyword in [(EVERYONE, None), (Filters(kind="news"), None), (EVERYONE, "border")]:
        exact = q.search(reader, f, keyword=keyword, vector=vector, limit=20)
        rows, scores = index.top(vector, q.matching_embedding_rows(reader, f, keyword), k=60)
        fast = q.search_results(reader, f, rows.tolist(), scores.tolist())[:20]
        assert [r["segment_id"] for r in fast] == [r["segment_id"] for r in exact]
        assert [r["score"] for r in fast] == pytest.approx([r["score"] for r in exact], abs=1e-3)


def test_search_by_meaning_among_no_matching_words_is_empty(reader):
    from dashboard.search import run_search

    assert run_search(reader, EmbeddingIndex(reader), EVERYONE, "zzqx-no-such-word", "both") == []


def test_segment_texts_few_by_stored_row_and_many_by_id(reader, sql):
    """A few texts are read by their rows' numbers (one of its row groups each), many by id."""
    from warehouse.queries.facts import FEW_TEXTS

    ids = [r[0] for r in sql(f"SELECT segment_id FROM segments ORDER BY hash(segment_id) LIMIT {FEW_TEXTS + 5}")]
    texts = dict(sql("SELECT segment_id, text FROM segments"))
    for some in (ids[:7], ids):
        assert q.segment_texts(reader, some + ["no-such-segment"], chars=None) == {i: texts[i] for i in some}
    assert q.segment_texts(reader, ids[:3], chars=5) == {i: texts[i][:5] for i in ids[:3]}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_stay_parameters(reader, text):
    pwn = Path("/tmp/pwn.csv")
    existed = pwn.exists()
    f = Filters(topics=(text,), speakers=(text,), outlets=(text,), languages=(text,))
    assert isinstance(q.search(reader, EVERYONE, keyword=text), list)
    assert q.summary(reader, f)["statements"] == 0
    assert q.statements(reader, EVERYONE, speaker_id=text, topic=text) == []
    assert q.document(reader, text) is None and q.document_segments(reader, text) == []
    assert isinstance(q.find_documents(reader, text), list)
    assert q.speaker_info(reader, text) is None
    assert q.speaker_stance_over_time(reader, f, text) == []
    assert q.agreement_statements(reader, f, speaker_id=text) == []
    assert q.segment_texts(reader, [text]) == {}  # (few ids travel as literals)
    assert pwn.exists() == existed, "a search string must never reach the SQL text"


def test_reader_cannot_touch_files(reader):
    with pytest.raises(duckdb.Error):
        reader.query("SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(duckdb.Error):
        reader.query("COPY (SELECT 1) TO '/tmp/pwn-reader.csv'")
    assert not Path("/tmp/pwn-reader.csv").exists()


# --- document, map, review, runs ----------------------------------------------------------------------------
def test_document_queries(reader, sql):
    doc = one(sql("SELECT document_id FROM documents WHERE kind = 'conversation' ORDER BY document_id LIMIT 1"))
    segments = q.document_segments(reader, doc)
    assert [s["seq"] for s in segments] == [r[0] for r in sql(
        "SELECT seq FROM segments WHERE document_id = ? ORDER BY seq", doc)]
    replies = [s for s in segments if s["reply_to"]]
    assert replies and all(s["reply_to"].startswith(doc) for s in replies)
    assert q.document(reader, doc)["kind"] == "conversation"
    assert doc in {d["document_id"] for d in q.find_documents(reader, doc)}


def test_map_sample(reader, sql):
    points = q.map_sample(reader, EVERYONE, limit=300)
    assert len(points) == 300 == len({p["segment_id"] for p in points})
    assert points == q.map_sample(reader, EVERYONE, limit=300)  # deterministic
    stored = dict((sid, (x, y)) for sid, x, y in sql("SELECT segment_id, x, y FROM segment_layout"))
    assert all((p["x"], p["y"]) == pytest.approx(stored[p["segment_id"]]) for p in points)
    assert q.cluster_table(reader, EVERYONE) and q.cluster_labels(reader)


def test_review_queue_and_runs(reader, sql):
    queue = q.review_queue(reader, EVERYONE, 50)
    confidences = [r["confidence"] for r in queue]
    assert confidences == sorted(confidences) and len(queue) == 50
    assert all(r["stance_source"] == "model" for r in queue)
    assert len(q.etl_runs(reader)) == one(sql("SELECT count(*) FROM etl_runs"))
    assert len(q.rejects(reader)) == one(sql("SELECT count(*) FROM rejects"))
    assert len(q.rejects(reader, 3)) == one(sql("SELECT count(*) FROM rejects WHERE run_id = 3"))
    assert q.embedding_model(reader) == make_warehouse.MODEL


# --- corrections ---------------------------------------------------------------------------------------------
def test_record_override_wins_and_reader_follows(db, tmp_path):
    copy = tmp_path / "copy.lake"
    shutil.copytree(db, copy)  # a copied warehouse folder is a warehouse of its own
    reader = Reader(copy)
    target = q.review_queue(reader, EVERYONE, 1)[0]
    new = "favor" if target["stance"] != "favor" else "against"
    before = q.summary(reader, EVERYONE)
    last_id = one(connect(copy, read_only=True).execute("SELECT max(override_id) FROM label_overrides").fetchall())
    override_id = q.record_override(copy, "stance", target["segment_id"], target["topic"], new, "tester", "check")
    assert override_id == last_id + 1
    con = connect(copy, read_only=True)
    stance, source = con.execute("SELECT stance, stance_source FROM statements WHERE segment_id = ? AND topic = ?",
                                 [target["segment_id"], target["topic"]]).fetchone()
    old = con.execute("SELECT old_label, author FROM label_overrides WHERE override_id = ?", [override_id]).fetchone()
    con.close()
    assert (stance, source) == (new, "override") and old == (target["stance"], "tester")
    after = q.summary(reader, EVERYONE)
    assert after[new] == before[new] + 1
    with pytest.raises(ValueError):
        q.record_override(copy, "stance", target["segment_id"], target["topic"], "maybe", "tester")
    with pytest.raises(ValueError):
        q.record_override(copy, "stance", "no-such-segment", "immigration", "favor", "tester")
    assert one(connect(db, read_only=True).execute("SELECT max(override_id) FROM label_overrides").fetchall()) == last_id


def _fact_tables(con) -> tuple[list, list]:
    return tuple(sorted(con.execute(f"SELECT * FROM memory.main.{t}").fetchall(), key=repr)
                 for t in ("statement_facts", "agreement_facts"))


def test_fact_tables_patched_after_corrections_equal_a_full_build(db, tmp_path, caplog):
    """After corrections only, the corrected segments' rows are made anew in the fact tables
    being served (a full build costs seconds at a million segments): the result is the full
    build's, row for row; a row whose topic stays keeps its place; any other write makes a
    full build."""
    from warehouse.queries.facts import _corrected_since, _materialise_facts, facts_cursor
    from warehouse.store import connect_read, write_session

    copy = tmp_path / "facts.lake"
    shutil.copytree(db, copy)
    reader = Reader(copy)
    q.warm_up(reader)
    since = reader.snapshot()
    position = "SELECT rowid FROM memory.main.statement_facts WHERE segment_id = ? AND topic = ?"
    queue = q.review_queue(reader, EVERYONE, 50)
    stance = queue[0]
    topics = next(r for r in queue if r["segment_id"] != stance["segment_id"])
    reply = one(connect(copy, read_only=True).execute(
        "SELECT segment_id FROM agreements WHERE kind = 'reply' AND label <> 'disagree' LIMIT 1").fetchall())
    cur = facts_cursor(reader)
    before = cur.execute(position, [stance["segment_id"], stance["topic"]]).fetchall()
    cur.close()
    q.record_override(copy, "stance", stance["segment_id"], stance["topic"],
                      "favor" if stance["stance"] != "favor" else "against", "tester")
    q.record_override(copy, "topic", topics["segment_id"], None, "elections|regulation", "tester")
    q.record_override(copy, "agreement", reply, None, "disagree", "tester")
    with caplog.at_level("INFO", logger="stance.queries"):
        q.warm_up(reader)
    assert "patched for 3 corrected segment(s)" in caplog.text
    assert [o["task"] for o in q.overrides(reader, 3)] == ["agreement", "topic", "stance"]
    cur = facts_cursor(reader)
    patched = _fact_tables(cur)
    moved = cur.execute(position, [stance["segment_id"], stance["topic"]]).fetchall()
    cur.close()
    full = connect_read(copy)
    _materialise_facts(full)
    assert patched == _fact_tables(full) and moved == before
    assert {r[0] for r in full.execute("SELECT topic FROM memory.main.statement_facts WHERE segment_id = ?",
                                       [topics["segment_id"]]).fetchall()} == {"elections", "regulation"}
    assert one(full.execute("SELECT label FROM memory.main.agreement_facts WHERE segment_id = ?",
                            [reply]).fetchall()) == "disagree"
    assert _corrected_since(full, since) == {"facts": sorted([stance["segment_id"], topics["segment_id"]]),
                                             "agreements": [reply]}
    full.close()
    with write_session(copy) as con:
        con.execute("UPDATE speakers SET role = 'moderator' WHERE speaker_id = ?", [stance["speaker_id"]])
    later = connect_read(copy)
    assert _corrected_since(later, since) is None
    later.close()


def test_table_exists_finds_tables_and_views_by_name():
    """Looked up by name (information_schema reads every DuckLake table's statistics: ~13 s
    for each new snapshot's connection on a loaded machine)."""
    from warehouse.queries.facts import _table_exists

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.execute("CREATE VIEW v AS SELECT * FROM t")
    assert _table_exists(con, "memory", "t") and _table_exists(con, "memory", "v")
    assert not _table_exists(con, "memory", "missing")
    con.execute("SELECT count(*) FROM t").fetchone()  # the connection still works
    con.close()
