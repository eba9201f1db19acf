"""Speaker roles: the vocabulary (warehouse/roles.py), roles from aliases, labels and turns
(etl/speaker_roles.py), and what the ETL stores on the real corpora."""
from __future__ import annotations

import json

import pytest
from conftest import shared_file

from etl.model import Document, Reject, Turn
from etl.read import iter_files, read_file
from etl.speaker_roles import document_roles, moderators
from etl.speakers import SpeakerResolver, is_participant
from warehouse.roles import NON_PARTICIPANT_ROLES, normalise_role, role_from_label

MODERATORS = {  # per conversation of ../shared/corpora, as the transcripts' own introductions say
    "kaggle2016-debate-2016-09-26": ["Lester Holt"], "kaggle2016-debate-2016-10-04": ["Elaine Quijano"],
    "kaggle2016-debate-2016-10-09": ["Anderson Cooper", "Martha Raddatz"],
    "kaggle2016-debate-2016-10-19": ["Chris Wallace"],
    "debate-2024-09-10-harris-trump-abc": ["David Muir", "Linsey Davis"],
    "debate-2024-06-27-biden-trump-cnn": ["Dana Bash", "Jake Tapper"],
    "wh-2024-08-12-press-briefing-jean-pierre": [], "wh-2024-06-04-biden-remarks-securing-border": [],
    "wh-2024-10-10-harris-univision-town-hall": ["Enrique Acevedo"],
    "wh-2024-10-23-harris-cnn-town-hall": ["Anderson Cooper"],
}


@pytest.mark.parametrize("text, role", [
    ("CNN MODERATOR", "moderator"), ("Harris campaign spokesperson", "spokesperson"),
    ("press secretary", "press secretary"), ("White House Press Secretary", "press secretary"),
    ("Former President of the United States and Republican candidate", "candidate"),
    ("President of the United States", "official"), ("host of the show", "host"), ("Narrator", "narrator"),
    ("beekeeper", "beekeeper"), (None, None), ("  ", None),
])
def test_free_text_roles_are_normalised(text, role):
    assert normalise_role(text) == role


def test_participants():
    assert all(not is_participant(r) for r in NON_PARTICIPANT_ROLES)
    assert is_participant("candidate") and is_participant(None) and is_participant("beekeeper")
    assert not is_participant("CNN Moderator")
    assert role_from_label("DANA BASH, CNN MODERATOR") == "moderator"
    assert role_from_label("JOE BIDEN, PRESIDENT OF THE UNITED STATES") == "official"
    assert role_from_label("DANA BASH") is None and role_from_label("SMITH, JOHN") is None


def _conversation(turns: list[tuple[str, str]]) -> tuple[Document, list[str]]:
    doc = Document(document_id="d", kind="conversation", source_file="d.jsonl", format="jsonl",
                   turns=[Turn(turn_index=i, speaker=who, text=text) for i, (who, text) in enumerate(turns)])
    return doc, [who for who, _ in turns]


def test_a_host_who_asks_in_short_turns_is_inferred_moderator():
    long = "We will secure the border and cut taxes for working families across the country. " * 3
    doc, names = _conversation([("Ann Host", "Welcome. What is your plan?"), ("Bo Guest", long),
                                ("Ann Host", "And taxes?"), ("Bo Guest", long), ("Ann Host", "Why now?"),
                                ("Cy Guest", long), ("Ann Host", "Your answer?"), ("Cy Guest", long)])
    assert moderators(doc, names) == ["Ann Host"]
    roles = document_roles(doc, names, SpeakerResolver())
    assert roles["Ann Host"] == ("moderator", "inferred") and "Bo Guest" not in roles
    even, names = _conversation([(n, long) for n in ("Bo Guest", "Cy Guest") * 4])
    assert moderators(even, names) == []


@pytest.mark.corpora
def test_moderators_of_the_real_debates_are_inferred_without_the_alias_file():
    """With an alias file that names no roles, the turns alone find every moderator."""
    corpora = shared_file("corpora")
    resolver = SpeakerResolver()
    for person in resolver.book.people.values():
        person.role = None
    found = {}
    for item in iter_files([str(corpora)]):
        for doc in [] if isinstance(item, Reject) else read_file(item):
            if isinstance(doc, Reject) or doc.kind != "conversation":
                continue
            context = resolver.document_context([doc.title or "", *(t.text for t in doc.turns)], doc.published)
            names = [resolver.resolve(t.speaker, context) if t.speaker else None for t in doc.turns]
            roles = document_roles(doc, names, resolver)
            found[doc.document_id] = sorted(n for n, (role, _) in roles.items() if role == "moderator")
            assert all(roles[n] == ("questioner", "aliases") for n in names if n == "Questioner")
    assert found == MODERATORS


def _load(tmp_path, db, source_id: str, turns: list[tuple[str, str]]):
    from etl.pipeline import run_etl

    f = tmp_path / f"{source_id}.jsonl"
    f.write_text("\n".join(json.dumps({"source_id": source_id, "title": "T", "date": "2024-01-01", "url": None,
                                       "speaker": who, "turn_index": i, "text": text})
                           for i, (who, text) in enumerate(turns)), encoding="utf-8")
    summary = run_etl(db, [str(f)])
    assert summary.status == "ok", summary.error
    return summary


WALL = ("We must build the wall and close the southern border now, because illegal immigration is out of "
        "control and our communities pay the price every single day.")
NO_WALL = ("I completely disagree with Bo. Building a wall is cruel and wasteful; we need legal pathways and a "
           "fair asylum system, not more walls and detention.")
DEBATE = [("Ann Host", "Welcome to the debate. Bo, what is your plan for the border?"), ("Bo Guest", WALL),
          ("Ann Host", "Cy, your response?"), ("Cy Guest", NO_WALL),
          ("Ann Host", "Bo, do you want to answer that?"),
          ("Bo Guest", "Cy is wrong. Open borders have failed and a wall works, as every border agent will tell you."),
          ("Ann Host", "Thank you both. Final question: taxes?"), ("Cy Guest", NO_WALL)]


def test_the_etl_stores_roles_by_precedence_and_replies_look_past_the_moderator(tmp_path, embedder, query):
    from etl.pipeline import Settings
    from etl.relabel import relabel_warehouse
    from warehouse.check import check_warehouse

    db = tmp_path / "w.lake"
    _load(tmp_path, db, "debate", DEBATE)
    roles = "SELECT speaker_id, role, source FROM speaker_roles JOIN speakers USING (speaker_id, role)"
    assert query(db, roles) == [("ann-host", "moderator", "inferred")]
    replies = """SELECT a.segment_id, a.target_segment_id, a.speaker_id, a.target_speaker_id, a.label
                 FROM agreement_labels a WHERE kind = 'reply' ORDER BY a.segment_id"""
    etl_replies = query(db, replies)
    # the debaters answer the moderator's questions; some of those answers engage the other debater
    answers = [r for r in etl_replies if r[2] != "ann-host"]
    assert len(answers) == 4 and any(target != "ann-host" for *_, target, _ in answers)
    relabel_warehouse(db, Settings())  # the roles stored agree with the document's: the same labels
    assert query(db, replies) == etl_replies

    _load(tmp_path, db, "interview", [("ANN HOST, CANDIDATE", "I am running for office now. " + WALL),
                                      ("Bo Guest", NO_WALL)])
    assert query(db, roles) == [("ann-host", "candidate", "label")]  # a transcript's label beats an inference
    _load(tmp_path, db, "rematch", [(who, text + " Again.") for who, text in DEBATE])
    assert query(db, roles) == [("ann-host", "candidate", "label")]  # and is not undone by one
    assert check_warehouse(db) == []
