"""One ETL run: read -> segment -> embed -> label -> load, incremental by content hash.

Unchanged documents are skipped, changed ones replace their old rows, and segments whose
text did not change keep their stored vectors. The whole run works on a private copy of
the warehouse that is swapped in at the end (warehouse.store.write_session), so a run
killed at any moment leaves the previous state intact and readers are never blocked.

The driver plans the work (etl/plan.py: read, hash, skip, resolve speakers), an engine
computes each new document (etl/compute.py, run by etl/engines/: in this process, or on
a Ray cluster), and this process alone writes the results (`load_results`).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from etl import load
from etl.compute import Result
from etl.engines import EngineOptions, open_engine
from etl.model import Reject
from etl.plan import Planner
from warehouse.store import etl_lock, write_session

log = logging.getLogger("stance.etl")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS, EXIT_RUNNING = 0, 1, 2, 3, 75
# The writer loads this many segments (or documents) per transaction: one statement per table
# for the lot, so many small documents cost it little more than a few large ones (docs/scaling.md).
WRITE_SEGMENTS, WRITE_DOCUMENTS = 2000, 500


def etl_memory_limit(db: str | Path) -> str:
    """DuckDB's memory in a run: 64 MB plus 5% of the warehouse file (its indexes must fit).

    A run appends document by document and rereads little, so DuckDB need not cache what it
    wrote: capped, the ETL's peak memory does not grow with its input. Measured at 1,000,000
    segments (a 2.1 GB file): 32 MB fails, 64 MB loads, replaces and bulk-loads."""
    size = Path(db).stat().st_size if Path(db).exists() else 0
    return f"{64 + size // (20 * 2**20)}MB"


@dataclass
class Settings:
    model: str | None = None  # sentence-transformers name or path; None = bundled all-MiniLM-L6-v2
    taxonomy: str | Path | None = None
    aliases: str | Path | None = None
    label_models: str | Path | None = None  # directory from `stance train`; None = shipped defaults
    embed_backend: str | None = None  # "onnx" or "sentence-transformers"; None = $STANCE_EMBED_BACKEND or onnx


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
    runner = open_engine(engine, settings)
    with etl_lock(db):
        try:
            with write_session(db, memory_limit=etl_memory_limit(db)) as con, runner:
                summary.run_id = _start_run(con, summary)
                load_results(con, runner.results(Planner(con, summary, settings)), summary)
                summary.status = "ok_with_rejects" if summary.rejects else "ok"
                summary.engine = runner.report()
                _finish_run(con, summary)
        except Exception as exc:
            summary.status, summary.error = "failed", _one_line(exc)
            log.error("run failed: %s", summary.error)
            _record_failure(db, summary)
    log.info(summary.line())
    return summary


def load_results(con, results: Iterable[Result], summary: RunSummary) -> None:
    """The single writer: results in input order, a batch of documents per transaction."""
    batch: list[Result] = []
    for result in results:
        if not (batch or summary.added or summary.replaced):  # a different model or dimension starts afresh
            load.ensure_embeddings(con, result.model, result.dim)
        batch.append(result)
        if len(batch) >= WRITE_DOCUMENTS or sum(len(r.rows.segments) for r in batch) >= WRITE_SEGMENTS:
            _write(con, batch, summary)
            batch = []
    _write(con, batch, summary)


def _write(con, batch: list[Result], summary: RunSummary) -> None:
    if not batch:
        return
    load.replace_documents(con, summary.run_id, [r.rows for r in batch], batch[0].model)
    for result in batch:
        doc, n = result.rows.doc, len(result.rows.segments)
        summary.segments += n
        summary.embedded += result.embedded
        summary.replaced += result.replaces
        summary.added += not result.replaces
        log.info("loaded %s (%s, %d segments)", doc.document_id, doc.kind, n)


def _one_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _start_run(con, summary: RunSummary) -> int:
    return con.execute(
        "INSERT INTO etl_runs (started_at, status, inputs) VALUES (?, 'running', ?) RETURNING run_id",
        [dt.datetime.now(), summary.inputs],
    ).fetchone()[0]


def _finish_run(con, summary: RunSummary) -> None:
    load.record_rejects(con, summary.run_id, summary.rejects)
    con.execute(
        """UPDATE etl_runs SET ended_at = ?, status = ?, added = ?, replaced = ?, skipped = ?,
                               rejected = ?, segments = ?, embedded = ?, error = ?
           WHERE run_id = ?""",
        [dt.datetime.now(), summary.status, summary.added, summary.replaced, summary.skipped,
         summary.rejected, summary.segments, summary.embedded, summary.error, summary.run_id],
    )


def _record_failure(db, summary: RunSummary) -> None:
    """A failed run loads nothing, but its row and rejects are kept for the Runs page."""
    try:
        with write_session(db) as con:
            summary.run_id = _start_run(con, summary)
            summary.added = summary.replaced = summary.segments = summary.embedded = 0
            _finish_run(con, summary)
    except Exception as exc:  # the warehouse itself is unusable; the log line is all we can give
        log.error("could not record the failed run: %s", exc)
