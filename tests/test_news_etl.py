"""News through the whole ETL: the founding Arabic article and one-person-one-speaker across corpora."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from conftest import jsonl, shared_file
from etl.pipeline import run_etl

SEED = ("seeds", "alkhaleej_trump_musk_x_spaces_2024.txt")


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory, embedder):
    text = shared_file(*SEED).read_text(encoding="utf-8")
    folder = tmp_path_factory.mktemp("seed")
    record = {"source_id": "alkhaleej-2024-08-13-trump-musk", "outlet": "Al Khaleej", "date": "2024-08-13",
              "url": None, "language": "ar", "title": None, "text": text}
    (folder / "seed.jsonl").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    db = folder / "w.duckdb"
    summary = run_etl(db, [str(folder / "seed.jsonl")])
    assert summary.status == "ok", summary.error
    return db


def topics_by_speaker(query, db):
    found = defaultdict(set)
    for speaker, topic in query(db, "SELECT speaker, topic FROM statements WHERE speaker IS NOT NULL"):
        found[speaker].add(topic)
    return found


def test_seed_article_statements(seed_db, query):
    found = topics_by_speaker(query, seed_db)
    assert {"immigration", "elections"} <= found["Donald Trump"]
    assert "regulation" in found["Elon Musk"]
    assert "Joseph Costello" in found
    # nobody the article does not name as a source
    assert set(found) <= {"Donald Trump", "Elon Musk", "Joseph Costello"}
    methods = {m for (m,) in query(seed_db, "SELECT DISTINCT topic_method FROM statements WHERE topic <> 'other'")}
    assert methods and all(m.startswith("embedding-lr") for m in methods)  # the multilingual model reads Arabic
    langs = {lang for (lang,) in query(seed_db, "SELECT DISTINCT language FROM statements")}
    assert langs == {"ar"}


def test_trump_s_rigged_claim_is_against_trust_in_the_count(seed_db, query):
    rows = query(seed_db, """SELECT stance, stance_target FROM statements
                             WHERE speaker = 'Donald Trump' AND topic = 'elections' AND text LIKE '%تزويرها%'""")
    assert rows == [("against", "trust that elections are free, fair and accurately counted")]


def test_seed_article_costello_criticises_and_musk_agrees(seed_db, query):
    rows = set(query(seed_db, "SELECT speaker, target_speaker, label, kind FROM agreements"))
    assert ("Elon Musk", "Donald Trump", "agree", "reported") in rows
    assert ("Joseph Costello", "Donald Trump", "disagree", "reported") in rows
    costello = query(seed_db, "SELECT DISTINCT stance FROM statements WHERE speaker = 'Joseph Costello'")
    assert costello


def test_one_person_is_one_speaker_across_debates_and_news(corpora_warehouse, query):
    db, _ = corpora_warehouse
    names = [n for (n,) in query(db, "SELECT name FROM speakers")]
    for person in ("Donald Trump", "Hillary Clinton", "Kamala Harris", "Joe Biden", "Mike Pence", "Tim Kaine",
                   "Elon Musk"):
        surname = person.split()[-1]
        same = [n for n in names if surname.lower() in n.lower().split()]
        assert same == [person], same
    # the 2016 surname-only labels and the 2024 full names meet in one speaker
    labelled = {r["source_id"] for f in ("transcripts_debates_2016_kaggle_cc0.jsonl", "transcripts_debates_2024.jsonl")
                for r in jsonl(shared_file("corpora", f)) if r["speaker"] in ("Trump", "Donald Trump")}
    docs = {d for (d,) in query(db, """SELECT DISTINCT document_id FROM statements
                                       WHERE speaker = 'Donald Trump' AND kind = 'conversation'""")}
    assert docs == labelled and len(docs) == 5
