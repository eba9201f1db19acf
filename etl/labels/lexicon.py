"""A small multilingual stance cue lexicon, used where the embedder does not cover a language."""
from __future__ import annotations

import re

# Generic markers of supporting / opposing the target a sentence talks about. Crude by design:
# they only label segments the embedding model cannot read.
FAVOR = {
    "en": ["support", "must", "need to", "we should", "in favor", "agree", "good", "secure", "protect", "enforce",
           "strengthen", "right to", "necessary", "welcome", "proud"],
    "ar": ["نؤيد", "أؤيد", "يجب", "ندعم", "أدعم", "تأمين", "حماية", "ضروري", "نرحب", "مع "],
    "fr": ["soutien", "il faut", "nous devons", "pour ", "favorable", "protéger", "renforcer"],
    "es": ["apoyo", "hay que", "debemos", "a favor", "proteger", "reforzar"],
    "de": ["unterstütz", "müssen", "dafür", "schützen", "stärken"],
}
AGAINST = {
    "en": ["oppose", "against", "reject", "never", "wrong", "disaster", "shame", "cruel", "stop", "scrap",
           "repeal", "ban", "failed", "dangerous", "not acceptable"],
    "ar": ["نرفض", "أرفض", "ضد", "خطأ", "كارثة", "وقف", "إلغاء", "فشل", "خطير", "لا نقبل"],
    "fr": ["contre", "refus", "rejet", "jamais", "honte", "désastre", "abroger"],
    "es": ["contra", "rechaz", "nunca", "vergüenza", "desastre", "derogar"],
    "de": ["gegen", "ablehn", "niemals", "schande", "katastrophe", "abschaffen"],
}


def _pattern(terms: dict[str, list[str]], lang: str | None) -> re.Pattern:
    words = terms.get(lang) or [t for ts in terms.values() for t in ts]
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)


def cue_stance(text: str, lang: str | None, topic=None) -> tuple[str, float]:
    """(label, score) from counting favor / against cue terms; 'none' when neither side wins.
    The topic's own stance cues from the taxonomy (e.g. 'close the border') count double."""
    fav = len(_pattern(FAVOR, lang).findall(text)) + 2 * _count(topic, "favor", lang, text)
    ag = len(_pattern(AGAINST, lang).findall(text)) + 2 * _count(topic, "against", lang, text)
    if fav == ag:
        return "none", 0.5
    label = "favor" if fav > ag else "against"
    return label, min(0.9, 0.5 + 0.15 * abs(fav - ag))

def _count(topic, side: str, lang: str | None, text: str) -> int:
    terms = topic.side_cues(side, lang) if topic is not None else ()
    return len(re.findall("|".join(re.escape(t) for t in terms), text, re.I)) if terms else 0


AGREE = {
    "en": ["i agree", "agreed", "exactly", "absolutely", "you're right", "you are right", "well said", "good point",
           "that's true", "that is true", "correct", "yes", "same here", "couldn't agree more"],
    "ar": ["أتفق", "اتفق", "أوافق", "صحيح", "بالضبط", "معك حق", "نعم", "أحسنت"],
    "fr": ["d'accord", "exactement", "tout à fait", "vous avez raison", "oui"],
    "es": ["de acuerdo", "exacto", "tienes razón", "tiene razón", "sí"],
    "de": ["einverstanden", "genau", "stimmt", "recht", "ja"],
}
DISAGREE = {
    "en": ["i disagree", "disagree", "that's not true", "that is not true", "wrong", "no,", "nonsense", "false",
           "not at all", "that's a lie", "ridiculous", "you're mistaken"],
    "ar": ["لا أتفق", "أختلف", "غير صحيح", "خطأ", "كذب", "لا ", "هراء"],
    "fr": ["pas d'accord", "faux", "non", "absurde", "mensonge"],
    "es": ["no estoy de acuerdo", "falso", "mentira", "no,", "absurdo"],
    "de": ["nicht einverstanden", "falsch", "nein", "unsinn", "lüge"],
}


def cue_agreement(text: str, lang: str | None) -> tuple[str, float]:
    """(agree/disagree/neutral, score) from agreement cue terms; disagreement cues win ties
    because they often contain an agreement cue ("I disagree" contains "agree" in some languages)."""
    ag = len(_pattern(AGREE, lang).findall(text))
    dis = len(_pattern(DISAGREE, lang).findall(text))
    if not ag and not dis:
        return "neutral", 0.5
    label = "disagree" if dis >= ag else "agree"
    return label, min(0.9, 0.55 + 0.1 * abs(dis - ag))
