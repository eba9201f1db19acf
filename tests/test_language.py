"""Language detection and sentence splitting (etl/language.py)."""
import json
from pathlib import Path

import pytest
from conftest import shared_file

from etl.language import detect_language, split_sentences

def shared(relative: str) -> Path:
    return shared_file(*relative.split("/"))


def sentences(text: str, language: str | None) -> list[str]:
    spans = split_sentences(text, language)
    for a, b in spans:  # spans are trimmed and slice back into the text
        assert text[a:b] == text[a:b].strip() and text[a:b]
    return [text[a:b] for a, b in spans]


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize("text, expected", [
    ("The senator said she would vote against the border bill next week.", "en"),
    ("Le président a déclaré qu'il fermerait la frontière avec le Mexique.", "fr"),
    ("Der Präsident sagte, er werde die Grenze zu Mexiko schließen.", "de"),
    ("قال المرشح إن الحدود يجب أن تغلق", "ar"),
    ("ترامب", "ar"),  # Arabic script decides even for one word
    ("ماسك", "ar"),
    ("این یک متن فارسی درباره انتخابات آمریکا است که نوشته شده", "fa"),  # Persian letters: not Arabic
    ("美国总统选举将于十一月举行", "zh"),
    ("アメリカの大統領選挙は十一月に行われます", "ja"),
    ("Οι εργαζόμενοι μηνύουν τον πρώην πρόεδρο", "el"),
])
def test_detect_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "OK", "Hello", "Trump", "12:30 -- !!", "Thank you."])
def test_detect_language_unsure_or_too_short(text):
    assert detect_language(text) is None


def test_detect_language_long_texts():
    english = " ".join(["Voters in several states said immigration and the economy decide their vote."] * 20)
    assert detect_language(english) == "en"
    arabic = " ".join(["أعرب المرشح عن قلقه من ارتفاع الأسعار وقال إن الحكومة فشلت في معالجة الأزمة."] * 20)
    assert detect_language(arabic) == "ar"


# ---------------------------------------------------------------- splitting: English


def test_english_abbreviations_decimals_initials():
    text = ("Mr. Smith met Dr. Jones in Washington, D.C. on Monday. Inflation fell to 3.5 percent in the U.S. "
            "last year. The U.S. economy grew. Sen. Warren and Gov. Walz spoke in the case Roe v. Wade too.")
    assert sentences(text, "en") == [
        "Mr. Smith met Dr. Jones in Washington, D.C. on Monday.",
        "Inflation fell to 3.5 percent in the U.S. last year.",
        "The U.S. economy grew.",
        "Sen. Warren and Gov. Walz spoke in the case Roe v. Wade too.",
    ]


def test_english_quotes_are_not_split():
    text = "“Stop it. Now.” he said. She replied: \"No. Never.\" Then they left (it was late. Very late.) quietly."
    assert sentences(text, "en") == [
        "“Stop it. Now.” he said.",
        "She replied: \"No. Never.\"",
        "Then they left (it was late. Very late.) quietly.",
    ]


def test_english_question_before_attribution_and_ellipsis():
    text = "“Is this the end?” he asked. Nobody knew ... the crowd waited. It was over!"
    assert sentences(text, "en") == ["“Is this the end?” he asked.", "Nobody knew ... the crowd waited.", "It was over!"]


def test_paragraph_breaks_are_never_crossed():
    text = "First paragraph without a full stop\n\nSecond paragraph. It has two sentences.\n \nThird"
    assert sentences(text, "en") == ["First paragraph without a full stop", "Second paragraph.",
                                     "It has two sentences.", "Third"]


def test_numbered_list_items_and_headings():
    text = "Key offences\n1. Insider trading is banned.\n2. Market manipulation is banned."
    assert sentences(text, "en") == ["Key offences", "1. Insider trading is banned.", "2. Market manipulation is banned."]


def test_short_answers_in_transcripts():
    text = "No. I do not think so.\nYes. We will. It is No. 1 on the list."
    assert sentences(text, "en") == ["No.", "I do not think so.", "Yes.", "We will.", "It is No. 1 on the list."]


def test_hard_wrapped_line_continues():
    assert sentences("The committee met\non Tuesday and voted.", "en") == ["The committee met\non Tuesday and voted."]


# ---------------------------------------------------------------- splitting: Arabic (RTL, logical order)


def test_arabic_comma_is_not_a_sentence_end():
    text = "قال المرشح، في مؤتمر صحفي، إن الحدود مفتوحة. وأضاف أن الحكومة فشلت؟ نعم!"
    assert sentences(text, "ar") == ["قال المرشح، في مؤتمر صحفي، إن الحدود مفتوحة.", "وأضاف أن الحكومة فشلت؟", "نعم!"]


def test_arabic_guillemets_keep_a_short_quote_whole():
    text = "وقال الوزير: «لن نتراجع.. هذا غير ممكن. أبداً». ثم غادر القاعة."
    assert sentences(text, "ar") == ["وقال الوزير: «لن نتراجع.. هذا غير ممكن. أبداً».", "ثم غادر القاعة."]


def test_arabic_semicolon_is_a_soft_break_only_in_long_sentences():
    short = "كانت العلاقة جليدية؛ إذ كان ينتقده لسنوات."
    assert sentences(short, "ar") == [short]
    long = "كانت العلاقة بين الرجلين جليدية ومتوترة طوال سنوات عديدة " * 4 + "؛ " + "ثم تغير كل شيء بعد ذلك " * 6 + "."
    parts = sentences(long, "ar")
    assert len(parts) == 2 and parts[0].endswith("؛")


def test_arabic_heading_lines_and_rtl_marks():
    text = "\u200fحملة الانتخابات\nقال المتحدث إن الحملة مستمرة.\u200f"
    assert sentences(text, "ar") == ["حملة الانتخابات", "قال المتحدث إن الحملة مستمرة."]


# ---------------------------------------------------------------- real text


@pytest.mark.corpora
def test_seed_article_sentences():
    text = shared("seeds/alkhaleej_trump_musk_x_spaces_2024.txt").read_text(encoding="utf-8")
    parts = sentences(text, "ar")
    assert 30 <= len(parts) <= 40
    assert all("\n" not in p for p in parts)  # every line ends a sentence or is a heading
    assert not any(p.endswith("،") for p in parts)
    # Musk's quoted remark about Biden and Harris (with '..' and '.' inside «») stays one sentence
    quote = [p for p in parts if "كامالا." in p]
    assert len(quote) == 1 and quote[0].endswith("».")
    assert detect_language(text) == "ar"


@pytest.mark.corpora
def test_real_english_article_sentences():
    articles = [json.loads(line) for line in shared("corpora/news_fulltext.jsonl").open(encoding="utf-8")]
    article = next(a for a in articles if a["source_id"] == "news-dailymirror-2024-10-28-1db2a9d5")
    parts = sentences(article["text"], "en")
    assert detect_language(article["text"]) == "en"
    # Trudeau's two-sentence quote followed by its attribution is one sentence
    assert any(p.startswith("“") and "corporations" in p and ". " in p and p.endswith("out.") for p in parts)
    for a in articles:
        for p in sentences(a["text"], a["language"]):
            assert "\n\n" not in p
