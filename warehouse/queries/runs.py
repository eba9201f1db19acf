"""Runs: the ETL's history and what it rejected."""
from __future__ import annotations

from warehouse.store import Reader

from warehouse.queries.facts import _rows

def etl_runs(reader: Reader, limit: int = 200) -> list[dict]:
    """ETL runs, latest first."""
    return _rows(reader, """
        SELECT run_id, started_at, ended_at, status, array_to_string(inputs, ', ') AS inputs, added, replaced,
               skipped, rejected, segments, embedded, error,
               date_diff('second', started_at, ended_at) AS seconds
        FROM wh.main.etl_runs ORDER BY run_id DESC LIMIT ?""", [limit])


def rejects(reader: Reader, run_id: int | None = None, limit: int = 2000) -> list[dict]:
    """Rejected inputs with reasons, of one run or all."""
    return _rows(reader, """
        SELECT run_id, file, line, reason, excerpt FROM wh.main.rejects
        WHERE ?::INTEGER IS NULL OR run_id = ? ORDER BY run_id DESC, file, line LIMIT ?""", [run_id, run_id, limit])
