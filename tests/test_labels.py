"""Labelling with the real embedding model and the shipped default models (no mocks)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from etl.embed import get_embedder
from etl.labels import Labeller
from etl.labels.data import TrainingDataError
from etl.labels.training import evaluate, train
from etl.model import Segment
from etl.taxonomy import DEFAULT_PATH, load_taxonomy


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture(scope="module")
def labeller(embedder):
    return Labeller(load_taxonomy(), embedder)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def segments(*texts_langs) -> list[Segment]:
    return [Segment(f"s{i}", "doc", i, 0, None, t, 0, len(t), language=lang) for i, (t, lang) in enumerate(texts_langs)]


def test_unknown_label_names_file_and_line(tmp_path, embedder):
    path = write_csv(tmp_path / "stance.csv", ["text", "target", "label"],
                     [["I back the plan.", "the plan", "favor"], ["Scrap it.", "the plan", "hostile"]])
    with pytest.raises(TrainingDataError) as err:
        train("stance", path, tmp_path / "m", embedder)
    assert f"{path}:3:" in str(err.value) and "unknown label 'hostile'" in str(err.value)


def test_missing_column_and_value_are_reported(tmp_path, embedder):
    path = write_csv(tmp_path / "stance.csv", ["text", "label"], [["I back the plan.", "favor"]])
    with pytest.raises(TrainingDataError, match=rf"{path}:1: missing column\(s\) target"):
        train("stance", path, tmp_path / "m", embedder)
    path = write_csv(tmp_path / "agree.csv", ["quote", "response", "label"], [["Taxes are too high.", "", "agree"]])
    with pytest.raises(TrainingDataError, match=rf"{path}:2: missing value for response"):
        evaluate("agreement", path, None, embedder)


FAVOR = ["{t} is exactly what this country needs.", "I strongly support {t}.", "We should expand {t} right away.",
         "{t} has been a great success for families.", "Thank goodness for {t}; it works."]
AGAINST = ["{t} is a disaster and must be scrapped.", "I strongly oppose {t}.", "We should end {t} immediately.",
           "{t} has been a failure for families.", "Nobody wants {t}; it doesn't work."]
NONE = ["The committee will discuss {t} on Tuesday.", "A report on {t} was published this morning.",
        "How many people does {t} affect?", "The debate about {t} continues next week.", "Here is the schedule for {t}."]


def stance_rows(targets: list[str]) -> list[list[str]]:
    return [[tpl.format(t=t), t, label] for t in targets
            for label, tpls in (("favor", FAVOR), ("against", AGAINST), ("none", NONE)) for tpl in tpls]


def test_train_then_evaluate_beats_chance(tmp_path, embedder):
    train_csv = write_csv(tmp_path / "train.csv", ["text", "target", "label"],
                          stance_rows(["the carbon tax", "school vouchers", "the toll road", "rent control"]))
    test_csv = write_csv(tmp_path / "test.csv", ["text", "target", "label"],
                         stance_rows(["the new stadium", "free school meals"]))
    summary = train("stance", train_csv, tmp_path / "model", embedder)
    assert summary["n_train"] == 60 and summary["labels"] == ["against", "favor", "none"]
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert {meta["task"], meta["embedder"], meta["n_train"]} == {"stance", embedder.name, 60} and meta["version"]
    assert not list((tmp_path / "model").glob("*.pkl"))

    result = evaluate("stance", test_csv, tmp_path / "model", embedder)
    assert set(result) == {"task", "n", "macro_f1", "accuracy", "per_class", "ece"} and 0 <= result["ece"] <= 1
    assert result["n"] == 30 and result["macro_f1"] > 0.5  # chance is 1/3 on unseen targets
    assert set(result["per_class"]["favor"]) == {"precision", "recall", "f1", "support"}
    assert Labeller(load_taxonomy(), embedder, tmp_path / "model").name.startswith("stance-custom-")


def test_default_labeller_english_immigration_favor(labeller, embedder):
    segs = segments(("We must secure the border and deport illegal immigrants", "en"),
                    ("Anyone who sneaks across should be caught and sent straight back.", "en"))
    vecs = embedder.encode([s.text for s in segs])
    topics = labeller.topics(segs, vecs)
    assert len(topics) == 2 * len(labeller.taxonomy.topics)
    assigned = {(t.segment_id, t.topic) for t in topics if t.assigned}
    assert assigned == {("s0", "immigration"), ("s1", "immigration")}
    stances = labeller.stances(segs, vecs, topics)
    assert [(s.label, s.target) for s in stances] == [("favor", "stricter immigration enforcement")] * 2
    assert all(0 <= t.score <= 1 and t.model == labeller.name for t in topics)


def test_a_documents_labels_do_not_depend_on_what_was_labelled_before(embedder):
    """A Ray worker labels documents in whatever order it is handed them; the local ETL in input order."""
    immigration = segments(("We must secure the border and deport illegal immigrants", "en"))
    mixed = segments(("Mail-in ballots were counted fairly and the result was certified.", "en"),
                     ("The border is wide open and we need to close it now.", "en"),
                     ("Red tape on small businesses and the energy industry must be cut.", "en"))

    def scores(labeller, segs):
        vecs = embedder.encode([s.text for s in segs])
        return [(s.topic, s.label, s.score) for s in labeller.stances(segs, vecs, labeller.topics(segs, vecs))]

    first = Labeller(load_taxonomy(), embedder)
    after = Labeller(load_taxonomy(), embedder)
    assert len({t for t, _, _ in scores(after, mixed)}) >= 2  # several targets embedded before the document
    assert scores(after, immigration) == scores(first, immigration)


def test_default_labeller_reads_arabic_with_the_model(labeller, embedder):
    segs = segments(("يجب إغلاق الحدود أمام الهجرة غير الشرعية وترحيل المخالفين", "ar"))
    vecs = embedder.encode([segs[0].text])
    topics = labeller.topics(segs, vecs)
    immigration = next(t for t in topics if t.topic == "immigration")
    assert immigration.assigned and immigration.method.startswith("embedding-lr")
    assert not any(t.assigned for t in topics if t.topic != "immigration")
    [stance] = labeller.stances(segs, vecs, topics)
    assert (stance.label, stance.method) == ("favor", "embedding-lr")


@pytest.fixture(scope="module")
def english_only(tmp_path_factory):
    """A labeller over the English-only MiniLM, with small models trained here: Arabic falls to cue terms."""
    minilm = get_embedder("all-MiniLM-L6-v2")
    out = tmp_path_factory.mktemp("minilm-models")
    rows = {"topic": (["text", "label"], [["Secure the border now.", "immigration"], ["Close the border.", "immigration"],
                                          ["Count every ballot.", "elections"], ["The vote was rigged.", "elections"],
                                          ["Cut the red tape.", "regulation"], ["Regulate the banks.", "regulation"],
                                          ["I like pancakes.", "other"], ["Nice weather today.", "other"]]),
            "stance": (["text", "target", "label"], stance_rows(["the toll road", "rent control"])),
            "agreement": (["quote", "response", "label"], [["Taxes are too high.", r, lab] for r, lab in (
                ("Exactly right.", "agree"), ("Yes, I agree.", "agree"), ("No, they are not.", "disagree"),
                ("That is false.", "disagree"), ("What time is it?", "neutral"), ("Next question.", "neutral"))])}
    for task, (header, data) in rows.items():
        train(task, write_csv(out / f"{task}.csv", header, data), out / task, minilm)
    return Labeller(load_taxonomy(), minilm, out), minilm


def test_languages_the_model_does_not_read_fall_back_to_cue_terms(english_only):
    labeller, minilm = english_only
    segs = segments(("يجب إغلاق الحدود أمام الهجرة غير الشرعية وترحيل المخالفين", "ar"))
    topics = labeller.topics(segs, minilm.encode([segs[0].text]))
    immigration = next(t for t in topics if t.topic == "immigration")
    assert not minilm.covers("ar") and immigration.assigned and immigration.method == "cue-terms"
    assert not any(t.assigned for t in topics if t.topic != "immigration")


def test_agreement_labels(labeller, embedder):
    quote, reply, aside = segments(("Mail-in voting is safe and secure.", "en"),
                                   ("That's a lie; it is the easiest way to cheat and you know it.", "en"),
                                   ("Thank you. Let's take a short break.", "en"))
    vec = embedder.encode([quote.text, reply.text, aside.text])
    out = labeller.agreements([reply, aside], [quote, quote], vec[[1, 2]], vec[[0, 0]])
    assert [(a.segment_id, a.target_segment_id, a.label) for a in out] == [("s1", "s0", "disagree"), ("s2", "s0", "neutral")]


def test_user_added_topic_works_zero_shot(tmp_path, embedder):
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["topics"]["economy"] = {
        "description": "The economy: inflation, prices, jobs, wages, unemployment, interest rates, growth and recession.",
        "stance_target": "the government's economic policy",
        "cues": {"en": ["inflation", "economy", "unemploy", "wage", "recession"], "ar": ["التضخم", "الاقتصاد"]},
    }
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    labeller = Labeller(load_taxonomy(path), embedder)
    segs = segments(("Inflation keeps rising and families can barely afford groceries and rent.", "en"),
                    ("We must secure the border and deport illegal immigrants", "en"),
                    ("ارتفع التضخم هذا العام", "ar"))
    topics = labeller.topics(segs, embedder.encode([s.text for s in segs]))
    economy = {t.segment_id: t for t in topics if t.topic == "economy"}
    assert economy["s0"].assigned and economy["s0"].method.startswith("zero-shot")
    assert not economy["s1"].assigned
    assert economy["s2"].assigned and economy["s2"].method.startswith("zero-shot")  # Arabic, read by the model
    stances = labeller.stances(segs, embedder.encode([s.text for s in segs]), topics)
    assert {s.target for s in stances if s.topic == "economy"} == {"the government's economic policy"}


def test_arabic_stance_uses_the_topics_own_cues_where_the_model_cannot_read_it(english_only):
    """Where the model does not cover the language, the taxonomy's stance cues decide the side."""
    labeller, minilm = english_only
    texts = {"border": "كرر الحاكم تعهده بإغلاق الحدود في اليوم الأول وترحيل المجرمين.",
             "rigged": "وكرر ادعاءه بأن الانتخابات السابقة زورت.",
             "innovation": "وقال إن التنظيم الحكومي يعيق الابتكار."}
    segs = [Segment(k, "d", i, 0, None, t, 0, len(t), language="ar") for i, (k, t) in enumerate(texts.items())]
    vecs = minilm.encode([s.text for s in segs])
    stances = {(s.segment_id, s.topic): s for s in labeller.stances(segs, vecs, labeller.topics(segs, vecs))}
    assert stances["border", "immigration"].label == "favor"
    assert stances["rigged", "elections"].label == "against"
    assert stances["innovation", "regulation"].label == "against"
    assert all(s.method == "cue-lexicon" for s in stances.values())


def test_a_reply_is_labelled_toward_the_participant_it_engages(labeller, embedder):
    turns = [("Moderator", "Let's turn to the border. Senator, what would you do about crossings?"),
             ("Senator Ruiz", "The border is more secure than it has been in a decade; crossings are down by half."),
             ("Moderator", "Governor, your response?"),
             ("Governor Hale", "That is simply false. Crossings hit a record last year, and the senator knows it."),
             ("Moderator", "Thank you both. We'll move on to the economy.")]
    segs = [Segment(f"s{i}", "debate", i, i, speaker, text, 0, len(text), language="en")
            for i, (speaker, text) in enumerate(turns)]
    labels = labeller.replies(segs, embedder.encode([s.text for s in segs]), lambda speaker: speaker != "Moderator")
    by_reply = {a.segment_id: (a.target_segment_id, a.label) for a in labels}
    assert by_reply["s3"] == ("s1", "disagree")  # the governor rebuts the senator, not the moderator's prompt
    assert by_reply["s1"][0] == "s0"  # the senator answers the moderator's question: no other participant yet
    assert set(by_reply) == {"s1", "s2", "s3", "s4"}


def test_calibration_maps_confidence_to_how_often_labels_are_right():
    import numpy as np

    from etl.labels.calibration import Platt, expected_calibration_error

    rng = np.random.default_rng(0)
    raw = rng.uniform(0.34, 1.0, 4000)
    right = rng.uniform(size=4000) < raw ** 3  # overconfident raw scores
    platt = Platt.fit(raw, right)
    assert expected_calibration_error(platt(raw), right) < 0.03 < expected_calibration_error(raw, right)
    assert np.all(np.diff(platt(np.linspace(0.34, 1, 50))) > 0)  # the order of confidences is kept
