"""Review: the correction queue, past corrections, and recording a correction."""
from __future__ import annotations

from warehouse.queries.facts import _rows, _top_facts, _with_text
from warehouse.queries.filters import OVERRIDE_TASKS, STANCES, AGREEMENT_LABELS, Filters, _where
from warehouse.queries.statements import STATEMENT_COLUMNS
from warehouse.store import Reader, retry_conflicts, transaction


def review_queue(reader: Reader, f: Filters, limit: int = 100) -> list[dict]:
    """Model stance labels not yet corrected, least confident first."""
    where, params = _where(f)
    sql = _top_facts(STATEMENT_COLUMNS, f"{where} AND stance_source = 'model' AND topic <> 'other'",
                     "confidence, segment_id, topic")
    return _with_text(reader, _rows(reader, sql, params + [limit]))


def overrides(reader: Reader, limit: int = 200) -> list[dict]:
    """Corrections, latest first (from the latest snapshot: the fact tables' connection may
    be older by the corrections patched into them)."""
    cols, rows = reader.query("""
        SELECT override_id, task, segment_id, topic, old_label, new_label, author, created_at, note
        FROM wh.main.label_overrides ORDER BY override_id DESC LIMIT ?""", [limit])
    return [dict(zip(cols, row)) for row in rows]


def current_label(con, task: str, segment_id: str, topic: str | None) -> str | None:
    """The label the documented views show now (what a correction replaces)."""
    if task == "stance":  # as the statements view computes it, from the tables (the view joins everything)
        row = con.execute("""SELECT coalesce(
            (SELECT arg_max(new_label, override_id) FROM label_overrides
             WHERE task = 'stance' AND segment_id = $1 AND topic = $2),
            (SELECT label FROM stance_labels WHERE segment_id = $1 AND topic = $2), 'none')""",
                          [segment_id, topic]).fetchone()
    elif task == "topic":
        row = con.execute("SELECT string_agg(topic, '|' ORDER BY topic) FROM segment_topics WHERE segment_id = ?",
                          [segment_id]).fetchone()
    else:
        row = con.execute("""SELECT label FROM agreements WHERE segment_id = ? AND
                             coalesce(CASE WHEN kind = 'reported' THEN target_speaker_id END, '') = coalesce(?, '')""",
                          [segment_id, topic]).fetchone()
    return row[0] if row else None


def record_override(db_path, task: str, segment_id: str, topic: str | None, new_label: str,
                    author: str, note: str | None = None) -> int:
    """Store a human correction in one short transaction on the process's kept connection
    (retried if it races an ETL run's commit); returns its override_id.

    task 'stance': topic = the topic, new_label in favor / against / none.
    task 'topic': topic = None, new_label = 'a|b' (the corrected set of topics).
    task 'agreement': topic = the target speaker for reported agreement, else None.
    """
    _check_override(task, new_label, author)

    def attempt() -> int:
        with transaction(db_path) as con:
            known, override_id = con.execute(
                """SELECT (SELECT count(*) FROM segments WHERE segment_id = ?),
                          (SELECT coalesce(max(override_id), 0) + 1 FROM label_overrides)""", [segment_id]).fetchone()
            if not known:
                raise ValueError(f"unknown segment {segment_id!r}")
            old = current_label(con, task, segment_id, topic)
            con.execute(
                """INSERT INTO label_overrides (override_id, task, segment_id, topic, old_label, new_label, author, note)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [override_id, task, segment_id, topic, old, new_label, author.strip(), note],
            )
        return override_id

    return retry_conflicts(attempt)


def _check_override(task: str, new_label: str, author: str) -> None:
    if task not in OVERRIDE_TASKS:
        raise ValueError(f"task must be one of {OVERRIDE_TASKS}")
    if task == "stance" and new_label not in STANCES:
        raise ValueError(f"stance label must be one of {STANCES}")
    if task == "agreement" and new_label not in AGREEMENT_LABELS:
        raise ValueError(f"agreement label must be one of {AGREEMENT_LABELS}")
    if task == "topic" and not all(t.strip() for t in new_label.split("|")):
        raise ValueError("topic label must be topic names separated by '|'")
    if not (author or "").strip():
        raise ValueError("a correction needs an author")
