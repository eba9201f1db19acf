"""End to end: real files -> real model -> real DuckDB warehouse, asserted through the views."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import jsonl, shared_file
from etl.pipeline import run_etl

TOPICS = {"immigration", "elections", "regulation"}
# The ABC debate hardly touches regulation (its best-scoring candidate is a "rule of law"
# line, correctly below the threshold); regulation is checked over all corpora below.
DEBATE_TOPICS = {"immigration", "elections"}


@pytest.fixture(scope="module")
def debate(tmp_path_factory, embedder):
    """The 2024 ABC debate, loaded twice into a fresh warehouse."""
    rows = [r for r in jsonl(shared_file("corpora", "transcripts_debates_2024.jsonl"))
            if r["source_id"] == "debate-2024-09-10-harris-trump-abc"]
    folder = tmp_path_factory.mktemp("debate")
    (folder / "debate.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    db = folder / "w.duckdb"
    first = run_etl(db, [str(folder / "debate.jsonl")])
    second = run_etl(db, [str(folder / "debate.jsonl")])
    return rows, db, first, second


def test_debate_speakers_turns_and_segments(debate, query):
    rows, db, first, _ = debate
    assert first.status == "ok" and first.added == 1
    expected_speakers = {r["speaker"] for r in rows if r["speaker"]}
    got = {name for (name,) in query(db, "SELECT DISTINCT sp.name FROM turns t JOIN speakers sp USING (speaker_id)")}
    assert got == expected_speakers
    assert query(db, "SELECT count(*) FROM turns")[0][0] == len(rows)
    # every segment has a vector of the model's dimension, and slices back out of its turn
    assert query(db, """SELECT count(*), min(e.dim), max(len(e.vector)) FROM segments s
                        JOIN embeddings e USING (segment_id)""")[0] == (first.segments, 384, 384)
    assert query(db, """SELECT count(*) FROM segments s JOIN turns t USING (document_id, turn_index)
                        WHERE substr(t.text, s.char_start + 1, s.char_end - s.char_start) <> s.text""")[0][0] == 0
    # long answers are split into bounded segments
    assert query(db, "SELECT max(length(text)) FROM segments")[0][0] <= 700
    assert query(db, "SELECT count(*) FROM segments")[0][0] > len(rows)


def test_debate_statements_cover_the_three_topics_and_agreements_exist(debate, query):
    _, db, _, _ = debate
    topics = {t for (t,) in query(db, "SELECT DISTINCT topic FROM statements WHERE speaker IS NOT NULL")}
    assert DEBATE_TOPICS <= topics
    stances = {s for (s,) in query(db, "SELECT DISTINCT stance FROM statements WHERE topic <> 'other'")}
    assert {"favor", "against"} <= stances
    n, speakers = query(db, "SELECT count(*), count(DISTINCT speaker) FROM agreements")[0]
    assert n > 50 and speakers >= 3
    assert query(db, "SELECT count(*) FROM agreements WHERE speaker = target_speaker")[0][0] == 0


def test_replies_point_to_the_last_segment_of_the_previous_other_speaker(debate, query):
    _, db, _, _ = debate
    bad = query(db, """
        WITH turn_last AS (
            SELECT document_id, turn_index, speaker_id, arg_max(segment_id, seq) AS last_segment
            FROM segments GROUP BY ALL)
        SELECT count(*) FROM segments s
        WHERE s.reply_to IS NOT NULL AND s.reply_to <> (
            SELECT arg_max(last_segment, turn_index) FROM turn_last p
            WHERE p.document_id = s.document_id AND p.turn_index < s.turn_index
              AND p.speaker_id IS NOT NULL AND p.speaker_id <> s.speaker_id)""")
    assert bad[0][0] == 0
    assert query(db, "SELECT count(*) FROM segments WHERE reply_to IS NOT NULL")[0][0] > 100


def test_second_run_changes_nothing_and_embeds_nothing(debate, query):
    _, db, first, second = debate
    assert (second.added, second.replaced, second.skipped, second.embedded) == (0, 0, 1, 0)
    assert query(db, "SELECT count(*) FROM segments")[0][0] == first.segments
    assert query(db, "SELECT count(*) FROM etl_runs WHERE status = 'ok'")[0][0] == 2


def test_changed_document_replaces_its_segments_and_reuses_unchanged_vectors(tmp_path, embedder, query):
    def write(texts):
        f = tmp_path / "t.jsonl"
        f.write_text("\n".join(json.dumps({"source_id": "d", "title": "T", "date": "2024-01-01", "url": None,
                                           "speaker": s, "turn_index": i, "text": t})
                               for i, (s, t) in enumerate(texts)))
        return str(f)

    db = tmp_path / "w.duckdb"
    turns = [("Ana Lee", "We must secure the border now."), ("Bo Chen", "I disagree, asylum is a right.")]
    run_etl(db, [write(turns)])
    summary = run_etl(db, [write(turns[:1] + [("Bo Chen", "Fine, I agree with you on the border.")])])
    assert (summary.replaced, summary.embedded) == (1, 1)
    texts = [t for (t,) in query(db, "SELECT text FROM segments ORDER BY seq")]
    assert texts == ["We must secure the border now.", "Fine, I agree with you on the border."]
    assert query(db, "SELECT count(*) FROM embeddings")[0][0] == 2


def test_plain_text_with_initials_resolves_the_real_speakers(tmp_path, embedder, query):
    """The debate as a 'XY: text' file with initials as labels, never seen before."""
    rows = [r for r in jsonl(shared_file("corpora", "transcripts_debates_2024.jsonl"))
            if r["source_id"] == "debate-2024-09-10-harris-trump-abc"]
    initials = {r["speaker"]: "".join(w[0] for w in r["speaker"].split()).upper() for r in rows if r["speaker"]}
    lines = [f"# SOURCE: {rows[0]['url']}", "# DATE: 2024-09-10"]
    lines += [f"{initials[r['speaker']]}: {r['text']}" for r in rows if r["speaker"]]
    f = tmp_path / "abc-debate.txt"
    f.write_text("\n".join(lines), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    summary = run_etl(db, [str(f)])
    assert summary.status == "ok"
    got = {n for (n,) in query(db, "SELECT DISTINCT speaker FROM statements WHERE speaker IS NOT NULL")}
    assert got == set(initials)
    assert DEBATE_TOPICS <= {t for (t,) in query(db, "SELECT DISTINCT topic FROM statements")}


def test_all_shared_corpora_load_and_views_answer(corpora_warehouse, query):
    db, summary = corpora_warehouse
    expected = {"conversation": set(), "news": set()}
    for f in sorted(shared_file("corpora").glob("*.jsonl")):
        for r in jsonl(f):
            expected["news" if "outlet" in r else "conversation"].add(r["source_id"])
    assert summary.added == sum(map(len, expected.values()))
    kinds = dict(query(db, "SELECT kind, count(DISTINCT document_id) FROM statements GROUP BY kind"))
    assert kinds == {k: len(v) for k, v in expected.items()}
    by_topic = dict(query(db, """SELECT topic, count(*) FROM statements
                                 WHERE speaker IS NOT NULL GROUP BY topic"""))
    assert all(by_topic.get(t, 0) > 20 for t in TOPICS)
    assert query(db, "SELECT count(*) FROM agreements")[0][0] > 500
    # stage directions and unlabelled lines never count as a speaker
    assert query(db, "SELECT count(*) FROM statements WHERE speaker IS NULL AND kind = 'conversation'")[0][0] > 0


def test_cli_etl_reports_unknown_file_and_loads_the_rest(tmp_path):
    good = tmp_path / "in" / "talk.jsonl"
    good.parent.mkdir()
    good.write_text(json.dumps({"source_id": "t", "title": "T", "date": "2024-02-02", "url": None,
                                "speaker": "Ana Lee", "turn_index": 0,
                                "text": "We need fewer regulations on small business."}) + "\n")
    (tmp_path / "in" / "notes.pdf").write_bytes(b"%PDF-1.4\x00\x00binary")
    db = tmp_path / "w.duckdb"
    proc = subprocess.run([sys.executable, "-m", "stance", "etl", "--db", str(db), str(tmp_path / "in")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert "notes.pdf: binary file" in proc.stderr
    assert "1 added" in proc.stdout
    check = subprocess.run([sys.executable, "-m", "stance", "check", "--db", str(db)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and check.stdout.strip() == "ok", check.stderr
