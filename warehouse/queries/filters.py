"""The dashboard's global filters, the SQL conditions they make, and the choices they offer."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

from warehouse.queries.facts import _one, _rows
from warehouse.store import Reader

STANCES = ("favor", "against", "none")
AGREEMENT_LABELS = ("agree", "disagree", "neutral")
OVERRIDE_TASKS = ("topic", "stance", "agreement")
KINDS = ("conversation", "news")
BUCKETS = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Filters:
    """The global filters of the dashboard. Empty tuples and None mean 'no restriction'.

    min_confidence applies to the stance label's score (1.0 for human corrections) and,
    on the agreement page, to the agreement label's score.
    """

    start: dt.date | None = None
    end: dt.date | None = None
    topics: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()  # speaker_id values
    kind: str | None = None  # 'conversation' | 'news'
    outlets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    min_confidence: float = 0.0
    include_moderators: bool = False  # and the other non-participant roles (warehouse/roles.py)
    include_narration: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"] = self.start.isoformat() if self.start else None
        d["end"] = self.end.isoformat() if self.end else None
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Filters":
        """Tolerant of missing keys and junk values (the dict may come from a URL)."""
        d = d or {}
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known and v is not None}
        for key in ("start", "end"):
            d[key] = _parse_date(d.get(key))
        for key in ("topics", "speakers", "outlets", "languages"):
            value = d.get(key, ())
            d[key] = tuple(str(x) for x in ([value] if isinstance(value, str) else value) if str(x))
        if d.get("kind") not in KINDS:
            d["kind"] = None
        try:
            d["min_confidence"] = min(1.0, max(0.0, float(d.get("min_confidence", 0.0))))
        except (TypeError, ValueError):
            d["min_confidence"] = 0.0
        for key in ("include_moderators", "include_narration"):
            if key in d:
                d[key] = bool(d[key])
        return cls(**d)


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _where(f: Filters, table: str = "statements", alias: str = "") -> tuple[str, list]:
    """SQL conditions and their parameters for the filters, on statement or agreement facts."""
    a = f"{alias}." if alias else ""
    clauses, params = ["TRUE"], []

    def add(sql: str, *values) -> None:
        clauses.append(sql)
        params.extend(values)

    if f.start:
        add(f"{a}published >= ?", f.start)
    if f.end:
        add(f"{a}published <= ?", f.end)
    if f.kind:
        add(f"{a}kind = ?", f.kind)
    if f.outlets:
        add(f"list_contains(?, {a}outlet)", list(f.outlets))
    if f.languages:
        add(f"list_contains(?, {a}language)", list(f.languages))
    if f.min_confidence > 0:
        add(f"{a}confidence >= ?", f.min_confidence)
    if table == "statements":
        if f.topics:
            add(f"list_contains(?, {a}topic)", list(f.topics))
        if f.speakers:
            add(f"list_contains(?, {a}speaker_id)", list(f.speakers))
        if not f.include_moderators:
            add(f"{a}participant")
        if not f.include_narration:
            add(f"{a}speaker_id IS NOT NULL")
    else:  # agreements: both people are named; filter on either side
        if f.topics:
            add(f"{a}segment_id IN (SELECT segment_id FROM {{facts}} WHERE list_contains(?, topic))", list(f.topics))
        if f.speakers:
            add(f"(list_contains(?, {a}speaker_id) OR list_contains(?, {a}target_speaker_id))",
                list(f.speakers), list(f.speakers))
        if not f.include_moderators:
            add(f"{a}speaker_participant AND {a}target_participant")
    return " AND ".join(clauses), params


def _check_bucket(bucket: str) -> None:
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")


def filter_options(reader: Reader) -> dict:
    """Choices for the filter controls: topics, speakers, outlets, languages, date range."""
    speakers = _rows(reader, """
        SELECT speaker_id, any_value(speaker) AS name, any_value(speaker_role) AS role, count(*) AS n
        FROM {facts} WHERE speaker_id IS NOT NULL GROUP BY speaker_id ORDER BY n DESC, speaker_id""")
    docs = _one(reader, """
        SELECT list(DISTINCT outlet ORDER BY outlet) FILTER (WHERE outlet IS NOT NULL) AS outlets,
               list(DISTINCT language ORDER BY language) FILTER (WHERE language IS NOT NULL) AS languages,
               min(published) AS first, max(published) AS last
        FROM wh.main.documents""")
    topics = _rows(reader, "SELECT DISTINCT topic FROM {facts} ORDER BY topic = 'other', topic")
    languages = _rows(reader, "SELECT DISTINCT language FROM {facts} WHERE language IS NOT NULL")
    return {
        "topics": [t["topic"] for t in topics],
        "speakers": speakers,
        "outlets": docs["outlets"] or [],
        "languages": sorted(set(docs["languages"] or []) | {r["language"] for r in languages}),
        "first": docs["first"],
        "last": docs["last"],
    }
