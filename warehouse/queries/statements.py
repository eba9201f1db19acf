"""The statements behind a chart mark, a cell or a list of segments."""
from __future__ import annotations

import datetime as dt

from warehouse.queries.facts import _one, _rows, _texts, _top_facts, _with_text, joined
from warehouse.queries.filters import Filters, _where
from warehouse.store import Reader

STATEMENT_COLUMNS = """segment_id, document_id, published, kind, outlet, language, speaker_id, speaker,
       topic, stance, confidence, stance_source"""


def _mark(f: Filters, marks: dict) -> tuple[str, list]:
    """The filters' conditions plus a chart mark's own (column condition -> value; None: none)."""
    where, params = _where(f)
    for sql, value in marks.items():
        if value is not None:
            where += f" AND {sql}"
            params.append(value)
    return where, params


def statements(reader: Reader, f: Filters, *, speaker_id: str | None = None, topic: str | None = None,
               stance: str | None = None, period_start: dt.date | None = None, period_end: dt.date | None = None,
               document_id: str | None = None, cluster: int | None = None, limit: int = 200) -> list[dict]:
    """The statements behind a chart mark (newest first): the filters plus the mark's own
    restrictions; period_end is exclusive."""
    where, params = _mark(f, {"speaker_id = ?": speaker_id, "topic = ?": topic, "stance = ?": stance,
                              "published >= ?": period_start, "published < ?": period_end,
                              "document_id = ?": document_id, "cluster = ?": cluster})
    sql = _top_facts(STATEMENT_COLUMNS, where, "published DESC, segment_id, topic")
    return _with_text(reader, _rows(reader, sql, params + [limit]))


def count_statements(reader: Reader, f: Filters, *, speaker_id: str | None = None, topic: str | None = None,
                     cluster: int | None = None) -> int:
    """How many statements match (e.g. one heatmap cell)."""
    where, params = _mark(f, {"speaker_id = ?": speaker_id, "topic = ?": topic, "cluster = ?": cluster})
    return _one(reader, f"SELECT count(*) AS n FROM {{facts}} WHERE {where}", params)["n"]


def statements_by_id(reader: Reader, segment_ids: list[str]) -> list[dict]:
    """All statements (one per topic) of the given segments."""
    return _with_text(reader, _rows(reader, f"""
        SELECT {STATEMENT_COLUMNS} FROM {{facts}} WHERE list_contains(string_split(?, chr(31)), segment_id)
        ORDER BY published DESC, segment_id, topic""", [joined(segment_ids)]))


def segment_texts(reader: Reader, segment_ids: list[str], chars: int | None = 200) -> dict[str, str]:
    """The first `chars` characters of each segment's text (all of it for None)."""
    return _texts(reader, list(segment_ids), chars)
