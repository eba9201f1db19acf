"""Speaker identity (etl/speakers.py, etl/aliases.yaml)."""
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import shared_file

from etl.speakers import GENERIC_ROLE, AliasError, SpeakerResolver, load_aliases, speaker_id, DEFAULT_ALIASES

def shared(relative: str) -> Path:
    return shared_file(*relative.split("/"))


def transcripts(name: str) -> dict[str, list[dict]]:
    docs: dict[str, list[dict]] = defaultdict(list)
    for line in shared(f"corpora/{name}").open(encoding="utf-8"):
        turn = json.loads(line)
        docs[turn["source_id"]].append(turn)
    return docs


@pytest.fixture(scope="module")
def resolver():
    return SpeakerResolver()


# ---------------------------------------------------------------- the shipped alias file


def test_default_alias_file_is_valid():
    book = load_aliases(DEFAULT_ALIASES)
    assert "Donald Trump" in book.people and book.people["Lester Holt"].role == "moderator"


@pytest.mark.parametrize("label", [
    "Trump", "TRUMP", "President Trump", "Former President Donald Trump", "Mr. Trump", "MR. TRUMP",
    "FORMER PRESIDENT DONALD TRUMP", "Donald J. Trump", "ترامب", "دونالد ترامب", "وترامب", "لترامب",
    "تـرامب", "دونالد تَرامب", "DONALD TRUMP, FORMER PRESIDENT OF THE UNITED STATES AND REPUBLICAN CANDIDATE",
])
def test_aliases_merge_one_person(resolver, label):
    assert resolver.resolve(label) == "Donald Trump"


@pytest.mark.parametrize("label, name", [
    ("ماسك", "Elon Musk"), ("إيلون ماسك", "Elon Musk"), ("Musk", "Elon Musk"),
    ("هاريس", "Kamala Harris"), ("كامالا هاريس", "Kamala Harris"), ("VICE PRESIDENT KAMALA HARRIS", "Kamala Harris"),
    ("بايدن", "Joe Biden"), ("JOE BIDEN, PRESIDENT OF THE UNITED STATES", "Joe Biden"),
    ("كوستيلو", "Joseph Costello"), ("جوزيف كوستيلو", "Joseph Costello"),
    ("JAKE TAPPER, CNN MODERATOR", "Jake Tapper"), ("DANA BASH, CNN MODERATOR", "Dana Bash"),
    ("LINDSEY DAVIS", "Linsey Davis"), ("MS. JEAN-PIERRE", "Karine Jean-Pierre"), ("MR. ACEVEDO", "Enrique Acevedo"),
    ("MR. COOPER", "Anderson Cooper"), ("Holt", "Lester Holt"), ("Quijano", "Elaine Quijano"),
])
def test_aliases_across_scripts_titles_and_roles(resolver, label, name):
    assert resolver.resolve(label) == name


@pytest.mark.parametrize("label", ["", "  ", None, "Audience", "AUDIENCE", "CANDIDATES", "(CROSSTALK)",
                                   "[APPLAUSE]", "(BEGIN VIDEO CLIP)", "--", "UNIDENTIFIED MALE"])
def test_not_speakers(resolver, label):
    assert resolver.resolve(label) is None


def test_questioners_are_one_generic_speaker(resolver):
    assert resolver.resolve("Q") == resolver.resolve("QUESTION") == "Questioner"
    assert resolver.role("Questioner") == GENERIC_ROLE


def test_roles(resolver):
    assert resolver.role("David Muir") == "moderator"
    assert resolver.role("Joseph Costello") == "spokesperson"  # "Harris campaign spokesperson", normalised
    assert resolver.role("Donald Trump") == "candidate"
    assert resolver.role("Somebody Unknown") is None


def test_new_people_keep_their_name(resolver):
    assert resolver.resolve("NELSON WISEMAN") == "Nelson Wiseman"
    assert resolver.resolve("Mr. Nelson Wiseman:") == "Nelson Wiseman"
    assert resolver.resolve("O'CONNOR") == "O'Connor"


def test_speaker_id_is_a_stable_slug():
    assert speaker_id("Donald Trump") == "donald-trump"
    assert speaker_id("Karine Jean-Pierre") == "karine-jean-pierre"
    assert speaker_id("José Díaz") == "jose-diaz"
    assert speaker_id("كوستيلو") == speaker_id("كوستيلو") and speaker_id("كوستيلو").startswith("speaker-")


# ---------------------------------------------------------------- linking inside one document


def test_initials_and_surnames_link_to_the_introduced_full_name(resolver):
    ctx = resolver.document_context(["Good evening, I'm Maya Rahman, and with me is Governor Jonah Tate."])
    assert resolver.resolve("MR:", ctx) == "Maya Rahman"
    assert resolver.resolve("JT", ctx) == "Jonah Tate"
    assert resolver.resolve("TATE", ctx) == "Jonah Tate"
    assert resolver.resolve("Ms. Rahman", ctx) == "Maya Rahman"
    assert resolver.resolve("THE GOVERNOR", ctx) == "Jonah Tate"
    assert resolver.resolve("MR") is None  # no context, no link


def test_surname_after_full_name_in_news(resolver):
    ctx = resolver.document_context(["Nelson Wiseman, a professor, spoke. Wiseman added more."])
    assert resolver.resolve("Wiseman", ctx) == "Nelson Wiseman"
    assert resolver.resolve("Wiseman") == "Wiseman"  # not known outside that document


def test_role_labels_depend_on_the_document(resolver):
    ctx = resolver.document_context(["Remarks by Vice President Harris in a Town Hall"])
    assert resolver.resolve("THE VICE PRESIDENT", ctx) == "Kamala Harris"
    assert resolver.resolve("THE PRESIDENT", resolver.document_context([], date=dt.date(2024, 6, 4))) == "Joe Biden"
    assert resolver.resolve("THE PRESIDENT", resolver.document_context([], date=dt.date(2018, 6, 4))) == "Donald Trump"
    assert resolver.resolve("THE PRESIDENT") is None  # unknown document: no guess


# ---------------------------------------------------------------- linking across documents


def test_bare_surname_links_to_a_unique_known_name():
    r = SpeakerResolver(known=["Nelson Wiseman", "Anna Smith", "John Smith"])
    assert r.resolve("WISEMAN") == "Nelson Wiseman"
    assert r.resolve("Professor Wiseman") == "Nelson Wiseman"
    assert r.resolve("Smith") == "Smith"  # two known Smiths: no link


@pytest.mark.corpora
def test_one_person_one_name_across_2016_and_2024_debates(resolver):
    names: dict[str, set[str]] = defaultdict(set)  # canonical name -> labels
    for file in ("transcripts_debates_2016_kaggle_cc0.jsonl", "transcripts_debates_2024.jsonl"):
        for turns in transcripts(file).values():
            ctx = resolver.document_context([turns[0]["title"]] + [t["text"] for t in turns])
            for turn in turns:
                names[resolver.resolve(turn["speaker"], ctx)].add(turn["speaker"])
    assert names.pop(None) == {"Audience", "CANDIDATES"}
    assert names["Donald Trump"] == {"Trump", "Donald Trump"}
    assert names["Questioner"] == {"QUESTION"}
    assert set(names) == {
        "Donald Trump", "Hillary Clinton", "Mike Pence", "Tim Kaine", "Joe Biden", "Kamala Harris", "Questioner",
        "Lester Holt", "Elaine Quijano", "Anderson Cooper", "Martha Raddatz", "Chris Wallace",
        "David Muir", "Linsey Davis", "Jake Tapper", "Dana Bash",
    }


@pytest.mark.corpora
def test_surnames_link_across_documents_without_an_alias_file():
    known = {t["speaker"] for turns in transcripts("transcripts_debates_2024.jsonl").values() for t in turns}
    r = SpeakerResolver(known=known, include_default=False)
    labels = {t["speaker"] for turns in transcripts("transcripts_debates_2016_kaggle_cc0.jsonl").values() for t in turns}
    assert "Trump" in labels
    assert r.resolve("Trump") == "Donald Trump"
    assert r.resolve("Clinton") == "Clinton"  # no Clinton in 2024: stays as written


@pytest.mark.corpora
def test_source_labels_of_the_2024_transcripts(resolver):
    # Raw labels as listed in SOURCES.md; role labels use the document's own title.
    titles = {sid: turns[0]["title"] for sid, turns in transcripts("transcripts_whitehouse_2024_public_domain.jsonl").items()}
    for sid, label, name in [
        ("wh-2024-10-10-harris-univision-town-hall", "THE VICE PRESIDENT", "Kamala Harris"),
        ("wh-2024-10-23-harris-cnn-town-hall", "THE VICE PRESIDENT", "Kamala Harris"),
        ("wh-2024-06-04-biden-remarks-securing-border", "THE PRESIDENT", "Joe Biden"),
        ("wh-2024-08-12-press-briefing-jean-pierre", "MS. JEAN-PIERRE", "Karine Jean-Pierre"),
        ("wh-2024-10-10-harris-univision-town-hall", "MR. ACEVEDO", "Enrique Acevedo"),
        ("wh-2024-10-23-harris-cnn-town-hall", "MR. COOPER", "Anderson Cooper"),
    ]:
        assert resolver.resolve(label, resolver.document_context([titles[sid]])) == name, (sid, label)


# ---------------------------------------------------------------- user files


def test_user_file_is_merged_on_top(tmp_path):
    user = tmp_path / "aliases.yaml"
    user.write_text("people:\n  Donald Trump:\n    aliases: [The Donald]\n"
                    "  Maya Rahman:\n    aliases: [Rahman, مايا رحمن]\n    role: moderator\n", encoding="utf-8")
    r = SpeakerResolver(user)
    assert r.resolve("THE DONALD") == r.resolve("ترامب") == "Donald Trump"
    assert r.resolve("مايا رحمن") == r.resolve("RAHMAN") == "Maya Rahman"
    assert r.role("Maya Rahman") == "moderator" and r.role("Lester Holt") == "moderator"


@pytest.mark.parametrize("content, problem, line", [
    ("people: [unclosed", "not valid YAML", None),
    ("people:\n  A Person: [Ann]\n  B Person: [Ann]\n", "'Ann' is claimed by both 'A Person' and 'B Person'", 3),
    ("people:\n  Jane Doe:\n    aliases: [Doe]\n    colour: red\n", "unknown key 'colour'", 3),
    ("people:\n  Jane Doe:\n    gender: x\n", "gender must be m or f", 3),
    ("people:\n  Jane Doe: [Doe, 12: 3]\n", "every entry must be a non-empty name", 2),
    ("speakers: {}\n", "unknown section 'speakers'", 1),
    ("- just\n- a list\n", "must be a mapping", 1),
    ("", "is empty", None),
    ("offices:\n  President:\n    - {name: X Y, from: yesterday}\n", "must be a date", 3),
    ("people:\n  Donald Trump: [Trump]\n  Other Person: [TRUMP]\n", "claimed by both 'Donald Trump'", 3),
])
def test_bad_alias_file_gives_one_line_error(tmp_path, content, problem, line):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AliasError) as error:
        SpeakerResolver(path, include_default=False)
    message = str(error.value)
    assert "\n" not in message and str(path) in message and problem in message, message
    if line:
        assert message.startswith(f"{path}:{line}:"), message


def test_user_alias_clashing_with_the_default_file(tmp_path):
    path = tmp_path / "user.yaml"
    path.write_text("people:\n  Bill Clinton:\n    aliases: [Clinton]\n", encoding="utf-8")
    with pytest.raises(AliasError, match=r"user\.yaml:3: alias 'Clinton' is claimed by both 'Hillary Clinton'"):
        SpeakerResolver(path)


def test_missing_alias_file(tmp_path):
    with pytest.raises(AliasError, match="alias file not found"):
        SpeakerResolver(tmp_path / "nope.yaml")
