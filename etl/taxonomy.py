"""The user-editable topic taxonomy: topics, descriptions, stance targets, multilingual cues."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

DEFAULT_PATH = Path(str(resources.files("etl") / "taxonomy.yaml"))
OTHER = "other"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    stance_target: str
    threshold: float | None = None  # None: the label model's own cut, tuned for F1 when it was trained
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # side ('favor'/'against' the stance target) -> language -> phrases that take that side
    stance_cues: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def side_cues(self, side: str, language: str | None) -> tuple[str, ...]:
        """Phrases taking `side` on this topic's target, in `language` (all languages when unknown)."""
        by_lang = self.stance_cues.get(side, {})
        if language in by_lang:
            return by_lang[language]
        return tuple(t for ts in by_lang.values() for t in ts)

    def cue_pattern(self, language: str | None) -> re.Pattern | None:
        """Regex matching this topic's cue terms in `language` (all languages when unknown)."""
        terms = self.cues.get(language) if language in self.cues else None
        if terms is None:
            terms = tuple(t for ts in self.cues.values() for t in ts)
        if not terms:
            return None
        alternatives = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
        # Arabic attaches prefixes (و، ف، ب، ل، ال) to words, so only Latin-script cues need a word start.
        return re.compile(rf"(?:(?<![^\W\d_])(?:{alternatives}))|(?:[\u0600-\u06FF]*(?:{alternatives}))", re.I)


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    path: Path

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.topics]

    def __getitem__(self, name: str) -> Topic:
        for t in self.topics:
            if t.name == name:
                return t
        raise KeyError(name)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    path = Path(path) if path else DEFAULT_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaxonomyError(f"{path}: taxonomy file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"{path}:{line + 1}" if line is not None else str(path)
        raise TaxonomyError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("topics"), dict) or not raw["topics"]:
        raise TaxonomyError(f"{path}: expected a mapping with a non-empty 'topics' mapping")
    return Taxonomy(tuple(_topic(path, n, spec) for n, spec in raw["topics"].items()), path)


def _topic(path: Path, name, spec) -> Topic:
    where = f"{path}: topic {name!r}"
    if not isinstance(name, str) or not _NAME.match(name) or name == OTHER:
        raise TaxonomyError(f"{where}: names are lower-case words (a-z, 0-9, _) and not '{OTHER}'")
    if not isinstance(spec, dict):
        raise TaxonomyError(f"{where}: expected a mapping with description, stance_target, cues")
    unknown = set(spec) - {"description", "stance_target", "threshold", "cues", "stance_cues"}
    if unknown:
        raise TaxonomyError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    for key in ("description", "stance_target"):
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            raise TaxonomyError(f"{where}: '{key}' must be a non-empty text")
    threshold = spec.get("threshold")
    if threshold is not None and (not isinstance(threshold, (int, float)) or isinstance(threshold, bool)
                                  or not 0 < threshold < 1):
        raise TaxonomyError(f"{where}: 'threshold' must be a number between 0 and 1")
    cues = _terms(where, "cues", spec.get("cues"))
    stance_cues = spec.get("stance_cues") or {}
    if not isinstance(stance_cues, dict) or set(stance_cues) - {"favor", "against"}:
        raise TaxonomyError(f"{where}: 'stance_cues' must have 'favor' and/or 'against' mappings")
    return Topic(
        name=name,
        description=" ".join(spec["description"].split()),
        stance_target=spec["stance_target"].strip(),
        threshold=None if threshold is None else float(threshold),
        cues=cues,
        stance_cues={side: _terms(where, f"stance_cues.{side}", v) for side, v in stance_cues.items()},
    )


def _terms(where: str, key: str, value) -> dict[str, tuple[str, ...]]:
    value = value or {}
    if not isinstance(value, dict) or not all(
        isinstance(lang, str) and isinstance(terms, list) and all(isinstance(t, str) and t.strip() for t in terms)
        for lang, terms in value.items()
    ):
        raise TaxonomyError(f"{where}: '{key}' must map language codes to lists of terms")
    return {lang: tuple(t.strip().lower() for t in terms) for lang, terms in value.items()}
