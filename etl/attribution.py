"""News quote attribution and reported agreement, for English and Arabic articles.

Decisions:

* A sentence is attributed only to a person the text names as its source: the subject of a
  speech cue ("Trump said", "said Trump", "according to Trump", "قال ماسك", "وفق ما قال ماسك"),
  or a pronoun, role phrase or Arabic implicit subject referring back to someone already named
  ("he said", "the Prime Minister said", "الملياردير", "وكرر", "مضيفاً"), or, for a sentence that
  is only a quotation, the speaker of the sentence before.
* The first cue outside quotations decides. When its subject is an unnamed source ("experts",
  "one of X's advisers", "متخصصون", "أحد مستشاري"), the author or a group ("we", "they"), or an
  organisation or outlet ("the Harris campaign", "India Today"), the sentence gets None.
  Organisations are not speakers: a campaign statement goes to its spokesperson only when the
  text names one (list an organisation as a person in aliases.yaml to make it a speaker).
* Languages other than English and Arabic get None throughout.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from etl.model import Attribution
from etl.speakers import TITLE_WORDS, Mention, SpeakerResolver, name_key, normalise_with_map


@dataclass
class ReportedAgreement:
    span_index: int
    speaker: str
    target_speaker: str
    label: str  # 'agree' | 'disagree'
    score: float
    evidence: str


def _phrases(text: str) -> list[str]:
    return [name_key(p) for p in text.split(",") if p.strip()]


def _feminine(verbs: list[str]) -> list[str]:
    """Arabic past-tense verbs with the feminine ending: قال -> قالت, دعا -> دعت."""
    return [v[:-1] + "ت" if v[-1] in "اي" else v + "ت" for v in verbs]


_AR_SPEECH = _phrases(
    "قال, أضاف, أعرب, كرر, انتقد, سخر, وصف, أشار, أكد, ذكر, اعتبر, أوضح, صرح, زعم, حذر, هاجم, دعا, "
    "طالب, رأى, شدد, لفت, نفى, اتهم, أخبر, أيد, رفض, وعد, تعهد, تابع, استطرد, اعترف, أعلن, كتب, غرد, "
    "تساءل, أبدى, ندد, أدان, اقترح, توقع, أقر, علق, أجاب, نوه, أفاد"
)
_AR_DISAGREE = _phrases("انتقد, سخر, هاجم, رفض, اتهم, ندد, أدان, عارض, استهزأ, تهكم")
_AR_AGREE = _phrases("وافق, اتفق, أيد, أشاد, دعم, امتدح")
_AR_FEMININE = set(_feminine(_AR_SPEECH + _AR_AGREE + _AR_DISAGREE))
_AR_FEMININE |= set(_phrases("تقول, ترى, تؤكد, تعتبر, تعتقد, تزعم"))
_AR_PARTICIPLES = _phrases(
    "مضيفا, واصفا, معتبرا, مشيرا, مؤكدا, قائلا, معتذرا, متابعا, مشددا, لافتا, محذرا, منتقدا, موضحا, داعيا, "
    "متهما, مستدركا"
)

# Per-language cue tables. Phrases are matched on normalised text (see speakers.normalise_with_map).
TABLES = {
    "en": {
        "speech": _phrases(
            "said, says, saying, told, tells, telling, added, adds, argued, argues, arguing, claimed, claiming, "
            "criticized, criticised, criticizes, criticises, criticizing, criticising, mocked, mocks, mocking, "
            "praised, praising, repeated, repeats, reiterated, reiterates, warned, warns, warning, insisted, insists, "
            "insisting, stated, wrote, writes, writing, tweeted, noted, noting, pointed out, points out, pointing out, "
            "explained, explains, accused, accuses, attacked, blamed, described, describes, denied, denies, urged, "
            "urges, vowed, vows, promised, suggested, suggests, alleged, alleges, declared, declares, announced, "
            "announces, acknowledged, admitted, admits, agreed, agrees, disagreed, disagrees, complained, complains, "
            "slammed, slams, blasted, dismissed, questioned, echoed, emphasized, emphasised, stressed, stresses, "
            "advised, predicted, predicts, proposed, proposes, endorsed, endorses, rejected, rejects, asked, asks, "
            "called for, calling for, called on, calling on, called upon, calling upon, contended, contends, asserted, "
            "asserts, quipped, joked, boasted, lamented, bemoaned, bemoaning, condemned, condemns, denounced, "
            "ridiculed, derided, lambasted, conceded, concedes, countered, replied, responded, confirmed, revealed, "
            "believes, believed, thinks, expressed, voiced, defended, defends, pledged, touted, reaffirmed, reaffirms, "
            "quoted as saying"
        ),
        "according": _phrases("according to"),
        "participles": [],
        "agree": _phrases(
            "agreed, agrees, agreeing, in agreement with, echoed, echoing, endorsed, endorses, endorsing, praised, "
            "praises, praising, backed, backs, backing, supported, supports, supporting, sided with, defended, "
            "defends, applauded, lauded, thanked, support for, praise for"
        ),
        "disagree": _phrases(
            "criticized, criticised, criticizes, criticises, criticizing, criticising, criticism of, mocked, mocks, "
            "mocking, attacked, attacking, slammed, slams, blasted, blasts, disagreed, disagrees, rejected, rejects, "
            "dismissed, dismisses, accused, accuses, condemned, condemns, denounced, denounces, ridiculed, derided, "
            "lambasted, opposed, opposes, opposing, questioned, called out, took aim at, hit out at"
        ),
        "groups": _phrases("the pair, the pair's, the duo, the duo's, both men, the two men, both of them"),
        "blockers": set(_phrases(
            "experts, expert, specialists, specialist, analysts, analyst, critics, critic, officials, official, "
            "sources, source, people, aides, aide, advisers, adviser, advisors, advisor, spokesman, spokeswoman, "
            "spokesperson, representatives, observers, residents, voters, supporters, opponents, lawmakers, "
            "legislators, members, researchers, scientists, economists, insiders, diplomats, authorities, police, "
            "government, administration, campaign, company, firm, report, poll, polls, survey, study, paper, "
            "newspaper, statement, media, outlet, agency, ministry, department, commission, committee, court, "
            "council, union, party, group, website, platform, organisers, organizers, someone, others, many, some, "
            "several, most, both, all, we, i, they, you, it, this, that, workers, employees, users, listeners, "
            "republicans, democrats, americans, students, parents, anchors, journalists, reporters, commentators, "
            "leaders, executives, investors, who, which"
        )),
        "pronouns": {"he": "m", "she": "f"},
        "roles": _phrases(
            "president, vice president, candidate, nominee, billionaire, minister, governor, senator, secretary, "
            "mogul, tycoon, entrepreneur, ceo, chief, host, moderator, chancellor, mayor, leader, businessman, "
            "businesswoman, owner, spokesman, spokeswoman, spokesperson, professor, lawyer, congressman, "
            "congresswoman, judge, economist, founder, executive, republican, democrat, commissioner, official"
        ),
    },
    "ar": {
        "speech": _AR_SPEECH + _feminine(_AR_SPEECH)
        + _phrases("يقول, تقول, يرى, ترى, يؤكد, تؤكد, يعتبر, تعتبر, يعتقد, تعتقد, يزعم, تزعم"),
        "according": _phrases("بحسب, حسب, وفقا, وفق, نقلا عن, على حد قول"),
        "participles": _AR_PARTICIPLES + [p[:-1] + "ه" for p in _AR_PARTICIPLES],
        "agree": _AR_AGREE + _feminine(_AR_AGREE)
        + _phrases("موافقته, موافقتها, يؤيد, تؤيد, يدعم, يدعموا, يدعمون, الثناء, تأييده, تأييدها"),
        "disagree": _AR_DISAGREE + _feminine(_AR_DISAGREE)
        + _phrases("ينتقد, تنتقد, انتقاداته, انتقاداتها, يهاجم, تهاجم"),
        "groups": _phrases("الثنائي, الرجلين, الرجلان, كليهما, كلاهما, الطرفين"),
        "blockers": set(_phrases(
            "متخصصون, متخصصين, المتخصصون, خبراء, الخبراء, خبير, مصادر, مصدر, مسؤول, مسؤولون, مسؤولين, مسؤولو, "
            "محللون, محللين, المحللون, منتقدون, المنتقدون, مراقبون, مستشار, مستشارو, مستشاري, مستشارين, أحد, بعض, "
            "التقرير, تقرير, الصحيفة, صحيفة, الوكالة, وكالة, البيان, بيان, الحملة, حملة, الشرطة, الحكومة, الوزارة, "
            "المتحدث, متحدث, البيت, ناشطون, الموقع, موقع, المنصة, منصة, الشركة, شركة, الإدارة, إدارة, آخرون, البعض"
        )),
        "pronouns": {},
        "roles": [],  # Arabic role phrases come from the alias file's descriptors
    },
}

_QUOTE = re.compile(r"«[^«»]*»|“[^“”]*”|\"[^\"]*\"|^[^“«]*[”»]|[“«][^”»]*$")
_OPENING = re.compile(r"^[\s\-–—]*[“«\"]")
# What may stand between an English subject and its verb: an appositive, then auxiliaries/adverbs.
_AUX = (r"(?:\s+(?:has|have|had|also|then|later|reportedly|repeatedly|recently|previously|again|once|publicly|"
        r"himself|herself|further|often|frequently|even|just|already|never|not|only|long|would|will|did|does|do|"
        r"is|was|were|are|[a-z]+ly))*\s*")
_GAP = re.compile(
    r"(?:\s*,(?=[^,]*[^\W\d_])[^,;:“”\"«»()]{1,150},|\s+(?:a|an|the|who)\s[^,;:“”\"«»()]{1,150},"
    r"|\s*\([^()]{1,80}\))?" + _AUX, re.I)
_COMMA_GAP = re.compile(r"\s*," + _AUX, re.I)  # ', Sanjay Kumar Verma, told': the name is the appositive
_PASSIVE = re.compile(r"\b(?:is|was|were|are|been|being)\b", re.I)


@dataclass
class _Cue:
    start: int  # offsets into the article text
    end: int
    kind: str  # 'speech' | 'according' | 'participle' | 'agree' | 'disagree'
    phrase: str  # normalised

    @property
    def feminine(self) -> bool:
        return self.phrase in _AR_FEMININE


@dataclass
class _Found:
    name: str | None  # None: an unnamed source / organisation (the sentence gets None)
    how: str  # 'explicit' | 'coreference' | 'continuation'
    start: int  # evidence span
    end: int
    evidence: str | None = None  # when the evidence is not one contiguous span


_BLOCK = _Found(None, "explicit", 0, 0)


def _compile(phrases: list[str], arabic: bool) -> re.Pattern | None:
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))
    prefix = "[وف]?" if arabic else ""
    return re.compile(rf"(?<!\w){prefix}(?P<cue>{alternatives})(?!\w)")


class _Article:
    """Walks an article's sentences in order, remembering who spoke and who was named."""

    def __init__(self, text: str, spans: list[tuple[int, int]], language: str, resolver: SpeakerResolver):
        self.text, self.spans, self.resolver = text, spans, resolver
        self.arabic = language == "ar"
        self.table = TABLES[language]
        self.patterns = {kind: _compile(self.table[kind], self.arabic)
                         for kind in ("speech", "according", "participles", "agree", "disagree", "groups")}
        roles = [k for k in resolver.descriptor_keys if ("\u0600" <= k[:1] <= "\u06ff") == self.arabic]
        self.role_pattern = self._role_pattern(roles)
        self.context = resolver.document_context([text])
        self.mentions = resolver.find_mentions(text, self.context)
        counts = Counter(m.name for m in self.mentions)
        self.salient = [name for name, _ in counts.most_common()]
        self.confirmed = {m.name for m in self.mentions if m.title or len(m.name.split()) > len(self._words(m))}
        self.confirmed |= {m.name for m in self.mentions if resolver.knows(m.name)}
        self.results: list[Attribution | None] = []

    # -- sentence by sentence

    def attribute(self) -> list[Attribution | None]:
        for i in range(len(self.spans)):
            found = self._sentence(i)
            self.results.append(self._attribution(i, found) if found and found.name else None)
            if found and found.name:
                self.confirmed.add(found.name)
        return self.results

    def _sentence(self, i: int) -> _Found | None:
        a, b = self.spans[i]
        quotes = self._quotes(a, b)
        for cue in self.cues(a, b, ("according", "speech", "participles")):
            if self._in_quote(cue.start, quotes):
                continue
            found = self._source(i, cue, quotes)
            if found:
                return found
        prev = self.results[-1] if i and self.results else None
        if prev and (_OPENING.match(self.text[a:b]) or self._quoted_share(a, b, quotes) > 0.6):
            return _Found(prev.speaker, "continuation", a, a)
        return None

    def _source(self, i: int, cue: _Cue, quotes) -> _Found | None:
        if cue.kind == "according":
            return self._after(cue, quotes, strict=False)
        if self.arabic:
            return self._arabic_subject(i, cue, quotes)
        return self._english_subject(i, cue, quotes)

    def _english_subject(self, i: int, cue: _Cue, quotes) -> _Found | None:
        before = self.text[self.spans[i][0]: cue.start].rstrip()
        if before.endswith((",", "”", '"', "’")):  # '..." said Trump' / ', said the minister'
            found = self._after(cue, quotes, strict=True)
            if found:
                return found
        for cand in self._candidates_before(i, cue.start, quotes):
            gap = self.text[cand.end: cue.start]
            if _GAP.fullmatch(gap) or _COMMA_GAP.fullmatch(gap) and self._after_comma(i, cand.start):
                if _PASSIVE.search(gap) and not cue.phrase.endswith(("ing", "saying")):
                    return None  # 'he was told', 'Trump was criticized'
                return self._with_cue(cand, cue)
        return self._blocked_before(i, cue)

    def _arabic_subject(self, i: int, cue: _Cue, quotes) -> _Found | None:
        if cue.kind != "participles":
            found = self._after(cue, quotes, strict=True)
            if found:
                return found
        gender = "f" if cue.feminine else "m"
        return self._antecedent(i, cue, gender, "continuation" if cue.kind == "participles" else "coreference", quotes)

    # -- subjects

    def _after(self, cue: _Cue, quotes, strict: bool) -> _Found | None:
        """The person, role or unnamed source written right after the cue ('said Trump', 'قال ماسك')."""
        rest = self.text[cue.end: cue.end + 60]
        skip = len(rest) - len(rest.lstrip(" «\"“:"))
        pos = cue.end + skip
        for m in self.mentions:
            if self._starts_at(pos, m) and not m.possessive:
                return _Found(m.name, "explicit", min(cue.start, m.start), max(cue.end, m.end))
        role = self._role_at(pos)
        if role:
            return role
        word = name_key(rest[skip:].split(maxsplit=1)[0]) if rest[skip:].split() else ""
        if word in self.table["blockers"] or any(s in self.table["blockers"] for s in self._stems(word)):
            return _BLOCK
        if not self.arabic and word[:1].isalpha() and rest[skip:skip + 1].isupper() and not strict:
            return _BLOCK  # 'according to Britannica': an outlet or organisation
        return None

    def _starts_at(self, pos: int, m: Mention) -> bool:
        """Whether mention m is the next thing after `pos` (a clitic or written title may come between)."""
        if m.start < pos or m.start - pos > 40:
            return False
        between = name_key(self.text[pos: m.start])
        return m.start - pos <= 3 if self.arabic else all(w in TITLE_WORDS for w in between.split())

    def _candidates_before(self, i: int, pos: int, quotes) -> list[_Found]:
        """Possible subjects ending before `pos` in sentence i, nearest first."""
        a = self.spans[i][0]
        out = [_Found(m.name, "explicit", m.start, m.end) for m in self.mentions
               if a <= m.start and m.end <= pos and not m.possessive and not self._in_quote(m.start, quotes)]
        for m in re.finditer(r"\b(?:he|she)\b", self.text[a:pos], re.I):
            start, end = a + m.start(), a + m.end()
            if not self._in_quote(start, quotes):
                name = self._antecedent_name(i, start, self.table["pronouns"][m.group().lower()], quotes)
                out.append(_Found(name, "coreference", start, end))  # name None: nobody to refer to
        for role in self._roles_in(a, pos):
            out.append(role)
        return sorted(out, key=lambda f: f.end, reverse=True)

    def _with_cue(self, found: _Found, cue: _Cue) -> _Found:
        """Evidence 'Trump said', or 'Jatin Shory … told' across an appositive."""
        if cue.start - found.end > 12:
            evidence = f"{self.text[found.start:found.end]} … {self.text[cue.start:cue.end]}"
            return _Found(found.name, found.how, found.start, cue.end, evidence)
        return _Found(found.name, found.how, found.start, cue.end)

    def _after_comma(self, i: int, pos: int) -> bool:
        words = self.text[self.spans[i][0]: pos].split()
        while words and name_key(words[-1]) in TITLE_WORDS:
            words.pop()
        return bool(words) and words[-1].endswith(",")

    def _blocked_before(self, i: int, cue: _Cue) -> _Found | None:
        """An unnamed or organisational subject right before the verb ('Critics said', 'India Today said')."""
        before = self.text[self.spans[i][0]: cue.start]
        gap = re.search(r"(?:\s+(?:has|have|had|also|then|reportedly|is|was|were|are|[a-z]+ly))*\s*$", before, re.I)
        words = before[: gap.start()].split()
        if not words:
            return None
        word = words[-1].strip("“”\"'’(),")
        if name_key(word) in self.table["blockers"]:
            return _BLOCK
        if word[:1].isupper() and not word.endswith(("’s", "'s", "’")):
            return _BLOCK
        return None

    def _antecedent(self, i: int, cue: _Cue, gender: str, how: str, quotes) -> _Found | None:
        """Arabic verb without a written subject: the person it continues."""
        a = self.spans[i][0]
        for m in reversed(self._mentions_between(a, cue.start, quotes)):
            if self._fits(m.name, gender) and m.name in self.confirmed:
                return self._with_cue(_Found(m.name, "coreference", m.start, m.end), cue)
        name = self._antecedent_name(i, cue.start, gender, quotes, in_sentence=False)
        return _Found(name, how, cue.start, cue.end) if name else None

    def _antecedent_name(self, i: int, pos: int, gender: str | None, quotes, in_sentence: bool = True) -> str | None:
        """Who a pronoun or an implicit subject at `pos` refers to: a confirmed person named earlier
        in the sentence, else, looking back sentence by sentence, its speaker or the first person it named."""
        if in_sentence:
            for m in reversed(self._mentions_between(self.spans[i][0], pos, quotes)):
                if not m.possessive and m.name in self.confirmed and self._fits(m.name, gender):
                    return m.name
        for k in range(i - 1, max(-1, i - 4), -1):  # the three sentences before, nearest first
            if self.results[k] and self._fits(self.results[k].speaker, gender):
                return self.results[k].speaker
            pa, pb = self.spans[k]
            for m in self.mentions:
                if pa <= m.start < pb and not m.possessive and self._fits(m.name, gender):
                    # someone the text never confirms as a person makes the reference unsure
                    return m.name if m.name in self.confirmed else None
        return None

    def _fits(self, name: str, gender: str | None) -> bool:
        return gender is None or self.resolver.gender(name) in (None, gender)

    # -- role phrases ('the former president', 'الملياردير')

    def _role_pattern(self, arabic_roles: list[str]) -> re.Pattern | None:
        if self.arabic:
            if not arabic_roles:
                return None
            alts = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(arabic_roles, key=len, reverse=True))
            return re.compile(rf"(?<!\w)[وف]?(?:[بكل]|لل)?(?P<role>{alts})(?!\w)")
        alts = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(self.table["roles"], key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?P<role>the\s+(?:[a-z]+\s+){{0,3}}?(?:{alts}))(?!\w)")

    def _roles_in(self, a: int, b: int) -> list[_Found]:
        if not self.role_pattern:
            return []
        norm, origin = normalise_with_map(self.text[a:b])
        out = []
        for m in self.role_pattern.finditer(norm):
            start, end = a + origin[m.start("role")], a + origin[m.end("role") - 1] + 1
            out.append(self._resolve_role(m.group("role"), start, end))
        return out

    def _role_at(self, pos: int) -> _Found | None:
        roles = self._roles_in(pos, min(len(self.text), pos + 60))
        return roles[0] if roles and roles[0].start - pos <= 3 else None

    def _resolve_role(self, phrase: str, start: int, end: int) -> _Found:
        words = phrase.split()
        if words[0] == "the":
            words = words[1:]
        recent = [m.name for m in reversed(self.mentions) if m.end <= start]
        recent = list(dict.fromkeys(recent))
        for k in range(len(words)):  # 'canadian prime minister' -> 'prime minister' -> 'minister'
            suffix = " ".join(words[k:])
            titled = self.context.titles.get(suffix)
            name = ((titled if titled in recent else None) or self.resolver.describe("the " + suffix, recent)
                    or self.resolver.describe(suffix, recent))
            if name:
                return _Found(name, "coreference", start, end)
        return _Found(None, "", start, end)  # an unnamed spokesman, minister...

    # -- cues, quotes, helpers

    def cues(self, a: int, b: int, kinds: tuple[str, ...]) -> list[_Cue]:
        norm, origin = normalise_with_map(self.text[a:b])
        out = []
        for kind in kinds:
            pattern = self.patterns[kind]
            for m in pattern.finditer(norm) if pattern else ():
                out.append(_Cue(a + origin[m.start("cue")], a + origin[m.end("cue") - 1] + 1, kind,
                                " ".join(m.group("cue").split())))
        return sorted(out, key=lambda c: c.start)

    def _quotes(self, a: int, b: int) -> list[tuple[int, int]]:
        """Quotations of two words or more (single quoted words are names or scare quotes)."""
        return [(a + m.start(), a + m.end()) for m in _QUOTE.finditer(self.text[a:b]) if len(m.group().split()) >= 2]

    def _quoted_share(self, a: int, b: int, quotes) -> float:
        return sum(qb - qa for qa, qb in quotes) / max(1, b - a)

    @staticmethod
    def _in_quote(pos: int, quotes) -> bool:
        return any(qa <= pos < qb for qa, qb in quotes)

    def _mentions_between(self, a: int, b: int, quotes) -> list[Mention]:
        return [m for m in self.mentions if a <= m.start and m.end <= b and not self._in_quote(m.start, quotes)]

    def _words(self, m: Mention) -> list[str]:
        return self.text[m.start: m.end].split()

    def _stems(self, word: str) -> list[str]:
        return [word[len(p):] for p in ("و", "ف", "ل", "ب") if self.arabic and word.startswith(p)]

    def _attribution(self, i: int, found: _Found) -> Attribution:
        a, b = self.spans[i]
        quoted = any(len(self.text[qa:qb].split()) >= 3 for qa, qb in self._quotes(a, b))
        if found.how == "explicit":
            method, confidence = ("direct-quote", 0.9) if quoted else ("reported-speech", 0.85)
        elif found.how == "coreference":
            method, confidence = "coreference", 0.7
        else:
            method, confidence = "continuation", 0.6
        if found.evidence:
            evidence = found.evidence
        elif found.how == "continuation" and found.start == found.end:
            evidence = self.results[i - 1].evidence
        else:
            evidence = self.text[found.start: found.end]
        return Attribution(found.name, method, confidence, evidence)


def attribute(text: str, spans: list[tuple[int, int]], language: str | None,
              resolver: SpeakerResolver) -> list[Attribution | None]:
    """For each sentence span of an article: whose words or position it reports, or None."""
    if language not in TABLES:
        return [None] * len(spans)
    return _Article(text, spans, language, resolver).attribute()


def reported_agreements(text: str, spans: list[tuple[int, int]], attributions: list[Attribution | None],
                        language: str | None, resolver: SpeakerResolver) -> list[ReportedAgreement]:
    """Agreement or disagreement that attributed sentences report between two people."""
    if language not in TABLES:
        return []
    article = _Article(text, spans, language, resolver)
    article.results = list(attributions)
    out: dict[tuple, ReportedAgreement] = {}
    for i, attribution in enumerate(attributions):
        if attribution is None:
            continue
        a, b = spans[i]
        quotes = article._quotes(a, b)
        cues = [c for c in article.cues(a, b, ("agree", "disagree", "speech"))
                if not article._in_quote(c.start, quotes)]
        for n, cue in enumerate(cues):
            if cue.kind == "speech":
                continue
            limit = next((c.start for c in cues[n + 1:] if c.start > cue.end), b)
            for target, weight, end in _targets(article, i, cue, attribution.speaker, limit):
                label = "agree" if cue.kind == "agree" else "disagree"
                key = (i, attribution.speaker, target, label)
                score = round(attribution.confidence * weight, 3)
                if key not in out or out[key].score < score:
                    out[key] = ReportedAgreement(i, attribution.speaker, target, label, score,
                                                 text[cue.start: max(end, cue.end)])
    return list(out.values())


def _targets(article: _Article, i: int, cue: _Cue, speaker: str, limit: int):
    """(target, weight, evidence end) for one agreement cue: the person or pair it is aimed at."""
    start = _skip_appositive(article, cue, speaker)
    window = article.text[start:limit]
    group = article.patterns["groups"]
    norm, origin = normalise_with_map(window)
    g = group.search(norm) if group else None
    for m in article.mentions:
        if start <= m.start < limit and m.name != speaker and (not g or m.start < start + origin[g.start()]):
            return [(m.name, 0.9, m.end)]
    if g:
        others = [name for name in article.salient if name != speaker][:2]
        return [(name, 0.8, start + origin[g.end("cue") - 1] + 1) for name in others]
    if cue.kind == "agree":
        recent = article.results[max(0, i - 2): i]
        previous = next((r.speaker for r in reversed(recent) if r and r.speaker != speaker), None)
        if previous:
            return [(previous, 0.6, cue.end)]
    return []


def _skip_appositive(article: _Article, cue: _Cue, speaker: str) -> int:
    """After 'سخر جوزيف كوستيلو، المتحدث باسم حملة هاريس،' the object starts after the appositive."""
    for m in article.mentions:
        if m.name == speaker and cue.end <= m.start <= cue.end + 3:
            rest = article.text[m.end: m.end + 80]
            if rest[:1] in ",،":
                close = re.search(r"[,،]", rest[1:])
                return m.end + 2 + close.start() if close else m.end
            return m.end
    return cue.end
