"""Speaker identity: one canonical name per real person across documents, spellings, titles and scripts.

`SpeakerResolver.resolve(label, context)` decides, in this order:

1. Stage directions ("(CROSSTALK)", "[APPLAUSE]") and crowd labels (`not_speakers` in
   aliases.yaml: Audience, CANDIDATES) -> None.
2. Generic labels (`generic`: Q, QUESTION) -> one generic speaker, "Questioner", whose role
   is "questioner": it stands for many unnamed people, so per-person views can leave it out.
3. The alias file (user-curated, so it wins), ignoring case, dots, diacritics, Arabic letter
   variants and prefixes, leading titles and a trailing ", ROLE".
4. The document context: full names introduced in the same document link their surname and
   initials ("I'm Maya Rahman" -> "MR"), titles link role labels ("Vice President Harris" ->
   "THE VICE PRESIDENT").
5. A role-only label the document does not settle: the `offices` table at the document date,
   else None (a guess would merge different people).
6. Cross-document: a bare surname, or first + last name, matching exactly one known full name.
7. Anything else is a new person named as written (titles stripped, ALL CAPS title-cased).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable

import yaml

from warehouse.roles import is_participant, normalise_role  # noqa: F401  (is_participant: public here too)

DEFAULT_ALIASES = Path(str(resources.files("etl") / "aliases.yaml"))
GENERIC_ROLE = "questioner"

_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_STAGE = re.compile(r"^\s*[(\[{<].*[)\]}>]\s*$|^[^\w]*$", re.S)
_SECTIONS = ("people", "generic", "not_speakers", "offices")
_PERSON_KEYS = ("aliases", "role", "gender", "descriptors")


class AliasError(ValueError):
    """An alias file that cannot be used; the one-line message names the file (and line)."""


# ---------------------------------------------------------------- normalisation


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Lower-case matching form of `text` plus, per output character, its offset in `text`.

    Drops diacritics (Arabic harakat included), tatweel, dots and apostrophes; folds Arabic
    alef/hamza forms, ة->ه, ى->ي; turns other punctuation into spaces.
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in ".'’‘`ʼ\u0640":
            continue
        for c in unicodedata.normalize("NFKD", ch):
            if unicodedata.category(c) == "Mn":
                continue
            c = {"ٱ": "ا", "ة": "ه", "ى": "ي"}.get(c, c).lower()
            for piece in c:
                out.append(piece if piece.isalnum() else " ")
                origin.append(i)
    return "".join(out), origin


def name_key(text: str) -> str:
    """Matching key: 'President  TRUMP.' -> 'president trump', 'دونالد تَرامب' -> 'دونالد ترامب'."""
    return " ".join(normalise_with_map(text)[0].split())


# Normalised (lower-case, dotless, Arabic-folded) words that may precede a name.
TITLE_WORDS = frozenset(name_key(w) for w in (
    "the mr mrs ms miss mx dr prof professor president vice former senator sen governor gov "
    "representative rep congressman congresswoman secretary prime minister chancellor mayor "
    "judge justice ambassador general gen sir dame madam madame chairman chairwoman commissioner "
    "deputy king queen prince princess sheikh emir rev reverend lt col capt sgt maj adm elect speaker "
    "السيد السيده الرئيس رئيس نائب نائبه السابق السابقه المرشح المرشحه الجمهوري الديمقراطي "
    "الديمقراطيه السيناتور الحاكم الدكتور الوزير وزير وزيره الوزراء الامير الملك الشيخ").split())
_ROLE_FILLER = frozenset({"the", "mr", "mrs", "ms", "madam", "madame", "السيد", "السيده"})


def strip_titles(key: str) -> str:
    """'former president donald trump' -> 'donald trump'; a key made only of titles -> ''."""
    words = key.split()
    while words and words[0] in TITLE_WORDS:
        words.pop(0)
    return " ".join(words)


def _is_arabic(s: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in s)


def _arabic_stems(word: str) -> list[str]:
    """The word without the clitics و ف ب ك ل ال that Arabic writes onto names."""
    stems = []
    for conj in ("", "و", "ف"):
        for prep in ("", "ب", "ك", "ل", "لل"):
            for art in ("", "ال"):
                prefix = conj + prep + art
                if prefix and word.startswith(prefix) and len(word) - len(prefix) >= 3:
                    stems.append(word[len(prefix):])
    return stems


def speaker_id(name: str) -> str:
    """Stable slug: 'Donald Trump' -> 'donald-trump'; names without Latin letters get a hash."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or "speaker-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


def display_name(label: str) -> str:
    """A label as a person's name: titles dropped, ALL CAPS / all lower title-cased."""
    words = label.split()
    while len(words) > 1 and set(name_key(words[0]).split()) <= TITLE_WORDS:
        words.pop(0)
    name = " ".join(words)
    return name.title() if name.isupper() or name.islower() else name


# ---------------------------------------------------------------- the alias file


@dataclass
class Person:
    name: str
    where: str = ""  # file:line that defines the person
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (alias, where it was given)
    role: str | None = None
    gender: str | None = None
    descriptors: list[str] = field(default_factory=list)


@dataclass
class AliasBook:
    people: dict[str, Person] = field(default_factory=dict)
    generic: dict[str, list[str]] = field(default_factory=dict)
    not_speakers: set[str] = field(default_factory=set)
    offices: dict[str, list[tuple[str, dt.date, dt.date | None]]] = field(default_factory=dict)

    def merge(self, other: AliasBook) -> None:
        for name, p in other.people.items():
            mine = self.people.setdefault(name, Person(name))
            mine.aliases += p.aliases
            mine.role = p.role or mine.role
            mine.gender = p.gender or mine.gender
            mine.descriptors = p.descriptors or mine.descriptors
        for name, labels in other.generic.items():
            self.generic.setdefault(name, []).extend(labels)
        self.not_speakers |= other.not_speakers
        self.offices.update(other.offices)


def load_aliases(path: str | Path) -> AliasBook:
    """Parse and validate one alias file; any problem raises AliasError('file:line: problem')."""
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AliasError(f"{path}: alias file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise AliasError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    reader = _Reader(path)
    book = AliasBook()
    for key, value in reader.mapping(root, "the file", required=True):
        if key.value not in _SECTIONS:
            reader.fail(key, f"unknown section {key.value!r} (expected {', '.join(_SECTIONS)})")
        getattr(reader, "read_" + key.value)(value, book)
    return book


class _Reader:
    """Walks the YAML node tree so every error can name its line."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, node, problem: str):
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        raise AliasError(f"{self.path}{line}: {' '.join(problem.split())}")

    def mapping(self, node, what: str, required: bool = False) -> list[tuple[yaml.Node, yaml.Node]]:
        """(key node, value node) pairs; key nodes carry the stripped name as .value."""
        if node is None or _empty(node):
            if required:
                self.fail(node, f"{what} is empty")
            return []
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping")
        seen = set()
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode) or not k.value.strip():
                self.fail(k, f"{what}: keys must be non-empty names")
            if k.value in seen:
                self.fail(k, f"{k.value!r} is listed twice")
            seen.add(k.value)
            k.value = k.value.strip()
        return list(node.value)

    def strings(self, node, what: str) -> list[tuple[str, int]]:
        if isinstance(node, yaml.ScalarNode) and node.value.strip():
            node = yaml.SequenceNode("tag:yaml.org,2002:seq", [node], node.start_mark, node.end_mark)
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what} must be a list of names")
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or not item.value.strip():
                self.fail(item, f"{what}: every entry must be a non-empty name")
        return [(item.value.strip(), item.start_mark.line + 1) for item in node.value]

    def text(self, node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.fail(node, f"{what} must be a non-empty text")
        return node.value.strip()

    def read_people(self, node, book: AliasBook) -> None:
        for key, value in self.mapping(node, "'people'"):
            name = key.value
            person = Person(name, f"{self.path}:{key.start_mark.line + 1}")
            if isinstance(value, yaml.MappingNode):
                fields = {k.value: v for k, v in self.mapping(value, f"{name!r}")}
                for k in set(fields) - set(_PERSON_KEYS):
                    self.fail(value, f"{name!r}: unknown key {k!r} (expected {', '.join(_PERSON_KEYS)})")
                aliases = self.strings(fields["aliases"], f"{name!r} aliases") if "aliases" in fields else []
                if "role" in fields:
                    person.role = self.text(fields["role"], f"{name!r} role")
                if "gender" in fields:
                    person.gender = self.text(fields["gender"], f"{name!r} gender").lower()
                    if person.gender not in ("m", "f"):
                        self.fail(fields["gender"], f"{name!r}: gender must be m or f")
                if "descriptors" in fields:
                    person.descriptors = [d for d, _ in self.strings(fields["descriptors"], f"{name!r} descriptors")]
            else:
                aliases = self.strings(value, f"{name!r}") if not _empty(value) else []
            person.aliases = [(a, f"{self.path}:{line}") for a, line in aliases]
            book.people[name] = person

    def read_generic(self, node, book: AliasBook) -> None:
        for key, value in self.mapping(node, "'generic'"):
            book.generic[key.value] = [label for label, _ in self.strings(value, f"generic {key.value!r}")]

    def read_not_speakers(self, node, book: AliasBook) -> None:
        book.not_speakers |= {label for label, _ in self.strings(node, "'not_speakers'")}

    def read_offices(self, node, book: AliasBook) -> None:
        for key, value in self.mapping(node, "'offices'"):
            title = key.value
            if not isinstance(value, yaml.SequenceNode):
                self.fail(value, f"office {title!r} must be a list of {{name, from, to}} entries")
            book.offices[name_key(title)] = [self._term(title, item) for item in value.value]

    def _term(self, title: str, node) -> tuple[str, dt.date, dt.date | None]:
        fields = {k.value: v for k, v in self.mapping(node, f"office {title!r} entry")}
        if set(fields) - {"name", "from", "to"} or "name" not in fields or "from" not in fields:
            self.fail(node, f"office {title!r}: each entry needs name and from (and optionally to)")
        dates = []
        for k in ("from", "to"):
            try:
                dates.append(dt.date.fromisoformat(fields[k].value) if k in fields else None)
            except (ValueError, AttributeError, TypeError):
                self.fail(fields[k], f"office {title!r}: {k!r} must be a date like 2021-01-20")
        return self.text(fields["name"], f"office {title!r} name"), dates[0], dates[1]


def _empty(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value.strip() in ("", "~", "null")


# ---------------------------------------------------------------- mentions in text


@dataclass(frozen=True)
class Mention:
    start: int  # span of the name in the text (titles excluded)
    end: int
    name: str  # canonical name
    title: str = ""  # normalised title written before the name ('vice president', 'الرئيس')
    possessive: bool = False  # "Trump's"


# Capitalised words (O'Neil, Jean-Pierre, McCain, J., J.D.) joined by spaces or name particles.
_CAP = r"(?:[A-Z][a-z]*[A-Z]?[a-z]+(?:[-'’][A-Z]?[a-z]{2,})*|[A-Z]\.(?:[A-Z]\.)*)"
_PARTICLE = r"(?:de|da|del|di|du|van|von|der|bin|ibn|al|la|le)[ \t]"
_NAME_RUN = re.compile(rf"(?<![\w.’'-]){_CAP}(?:[ \t]{{1,2}}(?:{_PARTICLE})?{_CAP})*")
# First words that make a capitalised run something other than a name ("The Senate", "New York").
_NOT_FIRST = frozenset(
    "the a an in on at for of to by from with not but and or as if when while since after before this "
    "that these those his her their our my its some many most all every each other such what why how who "
    "where last next new first according because although however meanwhile yet so then there here even only "
    "also just now today yesterday recently still both neither either perhaps maybe dear hey hi hello thanks "
    "like unlike said says".split()
)
# Words that mark a capitalised run as an organisation, outlet or place rather than a person.
NON_PERSON_WORDS = frozenset(
    "university college school department ministry house senate congress court party campaign committee "
    "commission council association union institute foundation center centre office agency bureau bank "
    "fund group company corp corporation inc ltd llc news times post journal today press review magazine "
    "tribune herald daily mirror guardian telegraph examiner network media capital markets street avenue "
    "city port harbor harbour river lake mount valley county state states kingdom republic island islands america africa asia europe european nations "
    "forum policy administration government airlines motors technologies platform spaces social twitter "
    "tesla google microsoft apple amazon meta openai reuters encyclopedia britannica east west north south "
    "army navy police federal national international economist intelligence unit debrief algorithm "
    "markup verge wired act day analysis team club valley tech border patrol security world organization "
    "organisation tower trust americans africans asians europeans muslims christians hindus jews republicans "
    "democrats conservatives liberals blacks whites latinos hispanics indians canadians mexicans immigrants "
    "journalists workers voters students lanka kong york arabia korea zealand salvador francisco angeles diego "
    "vegas jersey carolina dakota hampshire mexico rica leone lucia".split()
)


_ORGANISATION = "organisation"


def _title_before(text: str, pos: int) -> str:
    """Normalised title written right before a name: 'Vice President', 'نائبة الرئيس' (Latin ones capitalised)."""
    title: list[str] = []
    for word in reversed(text[max(0, pos - 60): pos].split()):
        key = name_key(word)
        if key not in TITLE_WORDS or key in _ROLE_FILLER or not (_is_arabic(key) or word[0].isupper()):
            break
        title.insert(0, key)
    return " ".join(title)


def _is_possessive(text: str, end: int) -> bool:
    after = text[end: end + 2]
    return after in ("'s", "’s") or (text[end - 1] == "s" and after[:1] in ("'", "’") and not after[1:].isalpha())


# ---------------------------------------------------------------- the resolver


@dataclass
class DocumentContext:
    """What one document says about who is who: built by `SpeakerResolver.document_context`."""

    names: dict[str, str] = field(default_factory=dict)  # key (full name, unique surname, initials) -> name
    titles: dict[str, str] = field(default_factory=dict)  # 'vice president' -> 'Kamala Harris'
    people: list[str] = field(default_factory=list)  # canonical names, in order of first mention
    date: dt.date | None = None
    _pattern: re.Pattern | None = None


class SpeakerResolver:
    def __init__(self, alias_path: str | Path | None = None, known: Iterable[str] = (),
                 *, include_default: bool = True):
        self.book = load_aliases(DEFAULT_ALIASES) if include_default else AliasBook()
        if alias_path:
            self.book.merge(load_aliases(alias_path))
        self._index: dict[str, str] = {}
        self._descriptors: dict[str, list[str]] = {}
        self._build_index()
        self._add_known(known)
        self._generic = {name_key(label): name for name, labels in self.book.generic.items() for label in labels}
        self._not_speakers = {name_key(label) for label in self.book.not_speakers}
        self._refresh()

    def _add_known(self, names: Iterable[str]) -> bool:
        added = False
        for name in names:
            if name and name.strip() and name_key(name) not in self._index:
                self._index[name_key(name)] = name.strip()
                added = True
        return added

    def _refresh(self) -> None:
        self._names = set(self._index.values())
        self._surnames = self._surname_index()
        self._pattern = _mention_pattern(self._index)

    def learn(self, names: Iterable[str]) -> None:
        """Add canonical names met while loading (e.g. transcript speakers) for cross-document linking."""
        if self._add_known(names):
            self._refresh()

    def _build_index(self) -> None:
        for person in self.book.people.values():
            for alias, where in [(person.name, person.where), *person.aliases]:
                for key in {name_key(alias), strip_titles(name_key(alias))} - {""}:
                    other = self._index.setdefault(key, person.name)
                    if other != person.name:
                        raise AliasError(f"{where}: alias {alias!r} is claimed by both {other!r} and {person.name!r}")
            for d in person.descriptors:
                self._descriptors.setdefault(name_key(d), []).append(person.name)

    def _surname_index(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for name in set(self._index.values()):
            words = [w for w in name_key(name).split() if w not in _NAME_SUFFIXES]
            if len(words) >= 2:
                index.setdefault(words[-1], set()).add(name)
                index.setdefault(words[0] + " " + words[-1], set()).add(name)
        return index

    # -- public API

    def role(self, name: str) -> str | None:
        """The alias file's role, normalised to the vocabulary of warehouse/roles.py."""
        if name in self.book.generic:
            return GENERIC_ROLE
        person = self.book.people.get(name)
        return normalise_role(person.role) if person else None

    def knows(self, name: str) -> bool:
        """Whether `name` is a canonical name of the alias file or of the known names."""
        return name in self._names

    def gender(self, name: str) -> str | None:
        person = self.book.people.get(name)
        return person.gender if person else None

    def resolve(self, label: str | None, context: DocumentContext | None = None) -> str | None:
        if not label or _STAGE.match(label):
            return None
        head = re.split(r"[,،(]", label.strip().rstrip(":"), maxsplit=1)[0].strip()
        key = name_key(head)
        if not key or key in self._not_speakers:
            return None
        if key in self._generic:
            return self._generic[key]
        bare = strip_titles(key)
        found = self._lookup(key) or self._lookup(bare)
        if not found and context:
            found = context.names.get(key) or context.names.get(bare)
        if found:
            return found
        if not bare:  # a role only: "THE PRESIDENT"
            return self._office_holder(key, context)
        return self._cross_document(bare) or display_name(head)

    def describe(self, phrase: str, candidates: Iterable[str]) -> str | None:
        """The person among `candidates` (most recent first) that a role phrase such as
        'the billionaire' or 'الرئيس السابق' refers to, by the alias file's descriptors."""
        key = name_key(phrase)
        fits = set(self._descriptors.get(key, ())) | set(self._descriptors.get(strip_titles(key), ()))
        return next((c for c in candidates if c in fits), None)

    @property
    def descriptor_keys(self) -> list[str]:
        return list(self._descriptors)

    def document_context(self, texts: Iterable[str], date: dt.date | None = None) -> DocumentContext:
        """Names, surnames, initials and titles that a document's own text introduces.
        Pass the title first: for titles such as 'President', the first mention wins."""
        ctx = DocumentContext(date=date)
        for text in texts:
            for m in self.find_mentions(text or ""):
                if m.name not in ctx.people:
                    ctx.people.append(m.name)
                if m.title:
                    ctx.titles.setdefault(m.title, m.name)
        full = {name_key(p): p for p in ctx.people}
        by_surname: dict[str, set[str]] = {}
        by_initials: dict[str, set[str]] = {}
        for key, name in full.items():
            words = [w for w in key.split() if w not in _NAME_SUFFIXES]
            if len(words) >= 2:
                by_surname.setdefault(words[-1], set()).add(name)
                by_initials.setdefault(words[0][0] + words[-1][0], set()).add(name)
                by_initials.setdefault("".join(w[0] for w in words), set()).add(name)
        ctx.names = {**{k: next(iter(v)) for k, v in {**by_initials, **by_surname}.items() if len(v) == 1}, **full}
        ctx._pattern = _mention_pattern({k: v for k, v in ctx.names.items() if k not in by_initials or k in full})
        return ctx

    def find_mentions(self, text: str, context: DocumentContext | None = None) -> list[Mention]:
        """People named in `text`: alias-file and known names (any script, Arabic clitics
        allowed), names introduced in the document, and capitalised full names ('Nelson Wiseman')."""
        norm, origin = normalise_with_map(text)
        found: list[Mention] = []
        for pattern, table in ((self._pattern, self._index), (context and context._pattern, context and context.names)):
            if pattern is None:
                continue
            for m in pattern.finditer(norm):
                group = m.lastgroup
                start, end = origin[m.start(group)], origin[m.end(group) - 1] + 1
                if group == "latin" and not text[start].isupper():
                    continue  # 'trump' the verb, not Trump
                name = table[" ".join(m.group(group).split())]
                found.append(Mention(start, end, name, _title_before(text, start), _is_possessive(text, end)))
        organisations = []  # 'India Today', 'Biden-Harris Administration': no person mentioned inside
        for m in _NAME_RUN.finditer(text):
            mention = self._name_run(text, m, context)
            if isinstance(mention, Mention):
                found.append(mention)
            elif mention == _ORGANISATION:
                organisations.append(m.span())
        found = [f for f in found if not any(a <= f.start and f.end <= b for a, b in organisations)]
        return _without_overlaps(found)

    # -- helpers

    def _lookup(self, key: str) -> str | None:
        if not key:
            return None
        if key in self._index:
            return self._index[key]
        words = key.split()
        if len(words) > 2:  # 'donald j trump', 'joseph r biden jr'
            trimmed = " ".join(w for w in words[1:-1] if len(w) > 1 and w not in _NAME_SUFFIXES)
            core = " ".join(filter(None, [words[0], trimmed, words[-1]]))
            if core in self._index:
                return self._index[core]
        if _is_arabic(key):
            for stem in _arabic_stems(words[0]):
                candidate = " ".join([stem, *words[1:]])
                if candidate in self._index:
                    return self._index[candidate]
        return None

    def _office_holder(self, key: str, context: DocumentContext | None) -> str | None:
        title = " ".join(w for w in key.split() if w not in _ROLE_FILLER)
        if context and title in context.titles:
            return context.titles[title]
        if context and context.date:
            for name, start, end in self.book.offices.get(title, ()):
                if start <= context.date and (end is None or context.date < end):
                    return name
        return None

    def _cross_document(self, bare: str) -> str | None:
        words = [w for w in bare.split() if w not in _NAME_SUFFIXES]
        if not words:
            return None
        key = words[-1] if len(words) == 1 else words[0] + " " + words[-1]
        names = self._surnames.get(key, set())
        return next(iter(names)) if len(names) == 1 else None

    def _name_run(self, text: str, m: re.Match, context: DocumentContext | None) -> Mention | str | None:
        """A capitalised run as a person mention, _ORGANISATION, or None when it names nobody."""
        words = list(re.finditer(r"\S+", m.group()))
        keys = [name_key(w.group()) for w in words]
        if keys[0] in _NOT_FIRST or keys[0].endswith("ing"):
            words, keys = words[1:], keys[1:]
        cut = max((i + 1 for i, k in enumerate(keys) if set(k.split()) <= TITLE_WORDS), default=0)
        titled = cut > 0
        words, keys = words[cut:], keys[cut:]
        known = next((n for n in range(len(keys), 0, -1) if self._lookup(" ".join(keys[:n]))), 0)
        if known:  # 'President Biden Announces New Actions': the name is the known part
            words, keys = words[:known], keys[:known]
        else:  # 'Billionaire Marcus Okafor said': a known name at the end of the run
            lead = next((i for i in range(1, len(keys)) if self._lookup(" ".join(keys[i:]))), 0)
            words, keys = words[lead:], keys[lead:]
        words_in = {w for k in keys for w in k.split()}
        if words_in & NON_PERSON_WORDS or any(w.group().isupper() and "." not in w.group() for w in words):
            return _ORGANISATION  # 'Supreme Court', 'BMO Capital Markets'
        if not words or len(words) > 4 or words_in & _NOT_FIRST:
            return None
        start, end = m.start() + words[0].start(), m.start() + words[-1].end()
        key = name_key(text[start:end])
        name = self._lookup(key) or (context.names.get(key) if context else None)
        if not name:
            if len(words) < 2 and not titled:
                return None
            name = self._cross_document(key) if len(words) >= 2 else None
            name = name or display_name(text[start:end])
        return Mention(start, end, name, _title_before(text, start), _is_possessive(text, end))


def _mention_pattern(index: dict[str, str]) -> re.Pattern | None:
    """One regex over normalised text for every key; Arabic keys may carry clitic prefixes."""
    keys = sorted((k for k in index if len(k) > 1 and k == strip_titles(k)), key=len, reverse=True)
    if not keys:
        return None

    def alternatives(ks: list[str]) -> str:
        return "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in ks) or "(?!)"

    arabic = alternatives([k for k in keys if _is_arabic(k)])
    latin = alternatives([k for k in keys if not _is_arabic(k)])
    return re.compile(rf"(?<!\w)(?:[وف]?(?:[بكل]|لل)?(?P<arabic>{arabic})|(?P<latin>{latin}))(?!\w)")


def _without_overlaps(mentions: list[Mention]) -> list[Mention]:
    kept: list[Mention] = []
    for m in sorted(mentions, key=lambda m: (m.start, -(m.end - m.start))):
        if kept and m.start < kept[-1].end:
            continue
        kept.append(m)
    return kept
