"""One ETL run: read -> segment -> embed -> label -> load, incremental by content hash.

Unchanged documents are skipped, changed ones replace their old rows, and segments whose
text did not change keep their stored vectors. The whole run is staged privately and merged
into the warehouse in one short transaction at the end (warehouse.staging), so a run killed
at any moment leaves the previous state intact and readers never see half a run.

The driver plans the work (etl/plan.py: read, hash, skip, resolve speakers), an engine
computes each new document (etl/compute.py, run by etl/engines/: in this process, or on
a Ray cluster), and this process alone writes the results (`load_results`). Once the run
has merged, the map's layout places its new segments (etl/layout.py, a short merge of its own).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from etl import layout, stored
from etl.engines import EngineOptions, open_engine
from etl.model import Reject
from etl.plan import Planner
from warehouse.location import sql_literal
from warehouse.staging import staged_session
from warehouse.store import etl_lock, location

if TYPE_CHECKING:
    from etl.compute import Result

log = logging.getLogger("stance.etl")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS, EXIT_RUNNING = 0, 1, 2, 3, 75
# The writer stages this many segments (or documents) at a time: one statement per table for
# the lot, so many small documents cost it little more than a few large ones (docs/scaling.md).
WRITE_SEGMENTS, WRITE_DOCUMENTS = 2000, 500

ETL_MEMORY_LIMIT = "1GB"
"""DuckDB's memory in a run (its writes, and the map's placement after it). The run's staging
tables spill to a temporary folder beyond it, so the ETL's peak memory does not grow with its
input; the warehouse has no indexes that must fit in memory, so it does not grow with the
warehouse either. It must hold one Parquet column chunk of stored vectors, which reading even
one vector decodes (~190 MB for a row group of 122,880 384-d vectors): at 256 MB, replacing a
document or placing new segments on the map failed at a million segments."""


@dataclass
class Settings:
    model: str | None = None  # sentence-transformers name or path; None = packaged multilingual-e5-small
    taxonomy: str | Path | None = None
    aliases: str | Path | None = None
    label_models: str | Path | None = None  # directory from `stance train`; None = shipped defaults
    embed_backend: str | None = None  # "onnx" or "sentence-transformers"; None = $STANCE_EMBED_BACKEND or onnx
    data_path: str | None = None  # where a new DuckLake location keeps its Parquet files (e.g. s3://...)


@dataclass
class RunSummary:
    inputs: list[str]
    run_id: int | None = None
    status: str = "running"
    added: int = 0
    replaced: int = 0
    skipped: int = 0
    segments: int = 0
    embedded: int = 0
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None
    engine: str = ""  # the Ray engine's report: workers, restarts
    started_at: dt.datetime = field(default_factory=dt.datetime.now)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def exit_code(self) -> int:
        return {"ok": EXIT_OK, "ok_with_rejects": EXIT_REJECTS}.get(self.status, EXIT_FAILED)

    def line(self) -> str:
        return (f"run {self.run_id}: {self.status}: {self.added} added, {self.replaced} replaced, "
                f"{self.skipped} unchanged, {self.rejected} rejected; {self.segments} segments, "
                f"{self.embedded} embedded" + (f"; {self.engine}" if self.engine else ""))


def run_etl(db: str | Path, inputs: list[str], settings: Settings | None = None,
            engine: EngineOptions | None = None) -> RunSummary:
    """Load `inputs` into the warehouse at `db`. Raises AlreadyRunning if another run holds it,
    EngineUnavailable if the engine cannot run here."""
    settings = settings or Settings()
    summary = RunSummary(inputs=[str(i) for i in inputs])
    db = location(db, settings.data_path)  # a bad --db fails here, before anything runs
    runner = open_engine(engine, settings)
    with etl_lock(db):
        try:
            with staged_session(db, memory_limit=ETL_MEMORY_LIMIT, data_path=settings.data_path) as con, runner:
                summary.run_id = stored.next_run_id(con)
                behind = layout.behind(con)  # e.g. a run killed between its merge and the layout's
                load_results(con, runner.results(Planner(con, summary, settings)), summary)
                summary.status = "ok_with_rejects" if summary.rejects else "ok"
                summary.engine = runner.report()
                _finish_run(con, summary)
        except Exception as exc:
            summary.status, summary.error = "failed", _one_line(exc)
            log.error("run failed: %s", summary.error)
            _record_failure(db, summary, settings.data_path)
        else:
            if summary.added or summary.replaced or behind:
                _update_layout(db)
    log.info(summary.line())
    return summary


def load_results(con, results: Iterable[Result], summary: RunSummary) -> None:
    """The single writer: results in input order, staged a batch of documents at a time."""
    batch: list[Result] = []
    for result in results:
        batch.append(result)
        if len(batch) >= WRITE_DOCUMENTS or sum(len(r.rows.segments) for r in batch) >= WRITE_SEGMENTS:
            _write(con, batch, summary)
            batch = []
    _write(con, batch, summary)


def _write(con, batch: list[Result], summary: RunSummary) -> None:
    if not batch:
        return
    from etl import load  # numpy and Arrow: a run with nothing to write never imports them

    if not (summary.added or summary.replaced):  # the run's first write: a different model or dimension starts afresh
        load.ensure_embeddings(con, batch[0].model, batch[0].dim)
    load.replace_documents(con, summary.run_id, [r.rows for r in batch], batch[0].model)
    for result in batch:
        doc, n = result.rows.doc, len(result.rows.segments)
        summary.segments += n
        summary.embedded += result.embedded
        summary.replaced += result.replaces
        summary.added += not result.replaces
        log.info("loaded %s (%s, %d segments)", doc.document_id, doc.kind, n)


def _update_layout(db) -> None:
    """The map's layout after the run has merged. Its failure does not undo the run: the
    next run (or `stance layout`) places what this one could not."""
    try:
        log.info(layout.update_warehouse(db, memory_limit=ETL_MEMORY_LIMIT).line())
    except Exception as exc:
        log.error("layout not updated: %s", _one_line(exc))


def _one_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _finish_run(con, summary: RunSummary) -> None:
    """The run's row (merged with everything else it loaded: no run is ever seen half-done)."""
    if summary.rejects:
        from etl import load

        load.record_rejects(con, summary.run_id, summary.rejects)
    # literals, neither Arrow nor parameters: DuckDB's first Arrow scan in a process costs ~0.5 s, its first
    # bound parameter imports pandas (~0.5 s): either would be most of an unchanged re-run. The inputs go as
    # one joined string (an inbox has many)
    head = [summary.run_id, summary.started_at, dt.datetime.now(), summary.status]
    inputs = f"string_split({sql_literal(chr(31).join(summary.inputs))}, chr(31))"
    tail = [summary.added, summary.replaced, summary.skipped, summary.rejected, summary.segments, summary.embedded,
            summary.error]
    con.execute(f"""INSERT INTO memory.main.etl_runs (run_id, started_at, ended_at, status, inputs, added, replaced,
                                                      skipped, rejected, segments, embedded, error)
                    VALUES ({", ".join([*map(sql_literal, head), inputs, *map(sql_literal, tail)])})""")


def _record_failure(db, summary: RunSummary, data_path: str | None) -> None:
    """A failed run loads nothing, but its row and rejects are kept for the Runs page."""
    try:
        with staged_session(db, data_path=data_path) as con:
            summary.run_id = stored.next_run_id(con)
            summary.added = summary.replaced = summary.segments = summary.embedded = 0
            _finish_run(con, summary)
    except Exception as exc:  # the warehouse itself is unusable; the log line is all we can give
        log.error("could not record the failed run: %s", exc)
