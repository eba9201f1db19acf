"""Language detection and sentence splitting for transcripts and news (any script, RTL included).

`split_sentences` is a rule-based splitter rather than pysbd: measured on the Arabic seed
article pysbd ('ar') cuts at every Arabic comma (99 pieces for ~30 sentences), and its
English rules split inside short quotes. Spans are logical-order character offsets.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

MIN_LETTERS = 8  # below this, only a decisive script answers
MIN_PROBABILITY = 0.5  # py3langid normalised probability needed to answer
MAX_PROTECTED_QUOTE = 300  # a quote up to this many characters is never split
LONG_SENTENCE = 300  # past this length an Arabic semicolon (؛) also ends a sentence

# Scripts written by (practically) one language: answered without the statistical model.
_SINGLE_SCRIPT = {"hangul": "ko", "kana": "ja", "hebrew": "he", "greek": "el", "thai": "th",
                  "tamil": "ta", "georgian": "ka", "armenian": "hy", "han": "zh"}
# Scripts shared by several languages: the model chooses, restricted to these candidates.
_SHARED_SCRIPT = {"arabic": ("ar", "fa", "ur", "ps", "ku", "ug"),
                  "cyrillic": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg", "tt"),
                  "devanagari": ("hi", "mr", "ne", "sa")}
_SCRIPT_RANGES = (
    ("arabic", 0x0600, 0x06FF), ("arabic", 0x0750, 0x077F), ("arabic", 0x08A0, 0x08FF),
    ("arabic", 0xFB50, 0xFDFF), ("arabic", 0xFE70, 0xFEFF), ("hebrew", 0x0590, 0x05FF),
    ("greek", 0x0370, 0x03FF), ("cyrillic", 0x0400, 0x04FF), ("devanagari", 0x0900, 0x097F),
    ("tamil", 0x0B80, 0x0BFF), ("thai", 0x0E00, 0x0E7F), ("georgian", 0x10A0, 0x10FF),
    ("armenian", 0x0530, 0x058F), ("hangul", 0x1100, 0x11FF), ("hangul", 0xAC00, 0xD7AF),
    ("kana", 0x3040, 0x30FF), ("han", 0x4E00, 0x9FFF), ("han", 0x3400, 0x4DBF),
)
# Letters that Persian, Urdu, Pashto... use and Arabic does not.
_NON_ARABIC_LETTERS = set("پچژگکیٹڈڑںےۀۓڤ")


def _script(ch: str) -> str:
    cp = ord(ch)
    for name, lo, hi in _SCRIPT_RANGES:
        if lo <= cp <= hi:
            return name
    return "latin" if ch.isascii() or "LATIN" in unicodedata.name(ch, "") else "other"


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _model_guess(text: str, candidates: tuple[str, ...] | None = None) -> tuple[str, float]:
    ranked = _identifier().rank(text)
    if candidates:
        ranked = [(lang, p) for lang, p in ranked if lang in candidates]
        total = sum(p for _, p in ranked) or 1.0
        ranked = [(lang, p / total) for lang, p in ranked]
    return ranked[0]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None when it is too short or the guess is unsure."""
    letters = [c for c in text or "" if c.isalpha()]
    if len(letters) < 2:
        return None
    counts: dict[str, int] = {}
    for c, k in Counter(letters).items():  # per distinct letter: a segment has a few dozen
        s = _script(c)
        counts[s] = counts.get(s, 0) + k
    script, n = max(counts.items(), key=lambda kv: kv[1])
    if script == "han" and counts.get("kana"):
        script = "kana"  # Japanese mixes kanji with kana
    if n / len(letters) >= 0.6:
        if script == "arabic" and not _NON_ARABIC_LETTERS.intersection(letters):
            return "ar"
        if script in _SINGLE_SCRIPT:
            return _SINGLE_SCRIPT[script]
        if script in _SHARED_SCRIPT:
            lang, _ = _model_guess(text, _SHARED_SCRIPT[script])
            return lang
    if len(letters) < MIN_LETTERS:
        return None
    lang, p = _model_guess(text)
    return lang if p >= MIN_PROBABILITY and len(lang) == 2 else None


# ---------------------------------------------------------------- sentences

_TERMINAL = ".!?؟…۔"
_CJK_TERMINAL = "。！？"
_CLOSERS = "\"'”’»)]}"
_PARAGRAPH = re.compile(r"\n[ \t\u00a0]*\n\s*")
_CLOSE = f"[{re.escape(_CLOSERS)}]*"
_BREAK = re.compile(rf"[{re.escape(_TERMINAL)}]+{_CLOSE}(?=\s|$)|[{_CJK_TERMINAL}]+{_CLOSE}|\n")
_SOFT_BREAK = re.compile(r"؛")
_QUOTES = re.compile(r"«[^«»]*»|“[^“”]*”|\"[^\"\n]*\"|\([^()]*\)")  # and parentheses
_BIDI_MARKS = frozenset("\u200e\u200f\ufeff" + "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])))

# Words ending in '.' that never end a sentence (titles, name parts, 'Roe v. Wade'),
# and those that do not when a number follows ('No. 5', 'Aug. 13').
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st gen gov sen rep reps rev hon lt col capt sgt maj adm cmdr pres supt "
    "messrs mme mlle m v vs cf approx".split()
)
NUMBER_ABBREVIATIONS = frozenset("no nos vol fig p pp jan feb mar apr jun jul aug sep sept oct nov dec".split())
# Capitalised words that may start a sentence right after an initialism such as "U.S.".
_STARTERS = frozenset(
    "the a an he she it they we i you but and or so yet in on at for this that these those there "
    "his her their its our my mr ms mrs dr when while if as after before however meanwhile".split()
)
_WORD_BEFORE = re.compile(r"([^\W\d_]+(?:\.[^\W\d_]+)*)\.+$")
_INITIALISM = re.compile(r"(?:\b[A-Za-z]\.){2,}$")
_ENUMERATOR = re.compile(r"\s*\(?(?:\d{1,3}|[A-Za-z])\.")  # "1." or "a." opening a list item


def split_sentences(text: str, language: str | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) into `text`, trimmed, never crossing a blank-line paragraph break.

    The rules key on punctuation and script, so they serve every language; `language` is accepted
    for callers that know it and is not needed today."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for gap in [*_PARAGRAPH.finditer(text), None]:
        end = gap.start() if gap else len(text)
        spans.extend(_split_paragraph(text, pos, end))
        pos = gap.end() if gap else end
    return spans


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    para = text[start:end]
    protected = [m.span() for m in _QUOTES.finditer(para) if m.end() - m.start() <= MAX_PROTECTED_QUOTE]
    cuts = [m.end() for m in _BREAK.finditer(para) if _is_break(para, m, protected)]
    pieces, prev = [], 0
    for cut in [*cuts, len(para)]:
        pieces.extend(_soften(para, prev, cut, protected))
        prev = cut
    return [s for a, b in pieces if (s := _trim(text, start + a, start + b))]


def _inside(pos: int, protected: list[tuple[int, int]]) -> bool:
    return any(a < pos < b for a, b in protected)


def _is_break(para: str, m: re.Match, protected: list[tuple[int, int]]) -> bool:
    if _inside(m.end(), protected):
        return False
    nxt = para[m.end(): m.end() + 80].lstrip()
    if not nxt:
        return True
    if m.group() == "\n":  # a single line break, unless hard-wrapped prose continues on the next line
        return not nxt[0].islower()
    if nxt[0].islower() or nxt[0] in ",;:،":
        return False
    if m.group()[0] != ".":
        return True
    line = para[para.rfind("\n", 0, m.start()) + 1: m.start() + 1]
    if _ENUMERATOR.fullmatch(line):
        return False
    head = line[-60:]
    if _INITIALISM.search(head):  # "U.S." ends a sentence only before a typical sentence opener
        return nxt.split(maxsplit=1)[0].strip("\"“«'").lower() in _STARTERS
    word = (w := _WORD_BEFORE.search(head)) and w.group(1)
    if not word:
        return True
    if word.lower() in ABBREVIATIONS or len(word) == 1 and word.isupper():
        return False
    return not (word.lower() in NUMBER_ABBREVIATIONS and nxt[0].isdigit())


def _soften(para: str, a: int, b: int, protected: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cut a very long sentence at its Arabic semicolons."""
    if b - a <= LONG_SENTENCE:
        return [(a, b)]
    out, prev = [], a
    for m in _SOFT_BREAK.finditer(para, a, b):
        if not _inside(m.end(), protected):
            out.append((prev, m.end()))
            prev = m.end()
    return [*out, (prev, b)]


def _trim(text: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and (text[a].isspace() or text[a] in _BIDI_MARKS):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in _BIDI_MARKS):
        b -= 1
    return (a, b) if b > a else None
