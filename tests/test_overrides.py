"""Human corrections win over model labels, survive re-runs and relabels, and export for training."""
from __future__ import annotations

import io
import json

import pytest

from etl.labels.data import read_rows
from etl.pipeline import Settings, run_etl
from etl.relabel import relabel_warehouse
from etl.taxonomy import load_taxonomy
from warehouse.corrections import export_training_csv
from warehouse.queries import record_override


def transcript(path, turns):
    path.write_text("\n".join(json.dumps({"source_id": path.stem, "title": "T", "date": "2024-05-05", "url": None,
                                          "speaker": s, "turn_index": i, "text": t})
                              for i, (s, t) in enumerate(turns)), encoding="utf-8")
    return str(path)


@pytest.fixture
def db(tmp_path, embedder):
    db = tmp_path / "w.duckdb"
    run_etl(db, [transcript(tmp_path / "one.jsonl", [
        ("Ana Lee", "We must secure the border and deport people who entered illegally."),
        ("Bo Chen", "I completely disagree with that, deportations tear families apart."),
    ])])
    return db


def stance_of(query, db, segment_id, topic):
    return query(db, "SELECT stance, stance_source FROM statements WHERE segment_id = ? AND topic = ?",
                 segment_id, topic)[0]


def test_correction_wins_and_survives_reruns_and_relabels(db, tmp_path, query):
    seg, topic, model_label = query(db, """SELECT segment_id, topic, stance FROM statements
                                           WHERE speaker = 'Ana Lee' AND topic = 'immigration'""")[0]
    new = "against" if model_label != "against" else "favor"
    record_override(db, "stance", seg, topic, new, author="analyst@desk")
    assert stance_of(query, db, seg, topic) == (new, "override")
    old, author = query(db, "SELECT old_label, author FROM label_overrides")[0]
    assert (old, author) == (model_label, "analyst@desk")

    run_etl(db, [transcript(tmp_path / "one.jsonl", [  # same document again, plus a new one
        ("Ana Lee", "We must secure the border and deport people who entered illegally."),
        ("Bo Chen", "I completely disagree with that, deportations tear families apart."),
    ]), transcript(tmp_path / "two.jsonl", [("Cy Diaz", "The election was free and fair.")])])
    assert stance_of(query, db, seg, topic) == (new, "override")

    counts = "SELECT (SELECT count(*) FROM topic_labels), (SELECT count(*) FROM agreement_labels)"
    before = query(db, counts)
    relabel_warehouse(db, Settings())
    assert query(db, counts) == before  # relabelled in place, nothing duplicated or lost
    assert stance_of(query, db, seg, topic) == (new, "override")
    assert query(db, "SELECT count(*) FROM stance_labels WHERE segment_id = ? AND topic = ?", seg, topic)[0][0] == 1


def test_topic_and_agreement_corrections_show_in_the_views(db, query):
    seg = query(db, "SELECT segment_id FROM statements WHERE speaker = 'Bo Chen' LIMIT 1")[0][0]
    record_override(db, "topic", seg, None, "immigration|elections", author="me")
    assert sorted(t for (t,) in query(db, "SELECT topic FROM statements WHERE segment_id = ?", seg)) == [
        "elections", "immigration"]
    record_override(db, "agreement", seg, None, "agree", author="me")
    assert query(db, "SELECT label, label_source FROM agreements WHERE segment_id = ?", seg) == [("agree", "override")]


def test_corrections_export_as_training_csv(db, tmp_path, query):
    seg, topic = query(db, "SELECT segment_id, topic FROM statements WHERE speaker = 'Ana Lee' LIMIT 1")[0]
    record_override(db, "stance", seg, topic, "favor", author="me")
    buf = io.StringIO()
    assert export_training_csv(db, "stance", buf) == 1
    out = tmp_path / "corrections.csv"
    out.write_text(buf.getvalue(), encoding="utf-8")
    assert buf.getvalue().splitlines()[0] == "text,target,label"
    rows = read_rows("stance", out, load_taxonomy())  # what `stance train` reads
    assert [(r["target"], r["label"]) for r in rows] == [(load_taxonomy()[topic].stance_target, "favor")]


def test_bad_corrections_are_refused(db, query):
    seg = query(db, "SELECT segment_id FROM segments LIMIT 1")[0][0]
    with pytest.raises(ValueError, match="stance label"):
        record_override(db, "stance", seg, "immigration", "maybe", author="me")
    with pytest.raises(ValueError, match="unknown segment"):
        record_override(db, "stance", "nope", "immigration", "favor", author="me")
    with pytest.raises(ValueError, match="author"):
        record_override(db, "stance", seg, "immigration", "favor", author=" ")
