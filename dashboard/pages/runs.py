"""Runs: the ETL's history, and the inputs it rejected with the reason why."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, ctx

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.state import AppState
from warehouse import queries as q

dash.register_page(__name__, path="/runs", name="Runs", order=8, title="Stance · Runs")

RUN_COLUMNS = [
    c.col("run_id", "Run", maxWidth=80), c.col("started_at", "Started"), c.col("seconds", "Seconds", maxWidth=110),
    c.col("status", "Status"), c.col("inputs", "Inputs"), c.col("added", "Added", maxWidth=100),
    c.col("replaced", "Replaced", maxWidth=110), c.col("skipped", "Skipped", maxWidth=100),
    c.col("rejected", "Rejected", maxWidth=110), c.col("segments", "Segments", maxWidth=120),
    c.col("embedded", "Embedded", maxWidth=120), c.text_col("error", "Error"),
]
REJECT_COLUMNS = [c.col("run_id", "Run", maxWidth=80), c.col("file", "File", minWidth=220),
                  c.col("line", "Line", maxWidth=90), c.col("reason", "Reason", minWidth=240),
                  c.text_col("excerpt", "Excerpt")]


def layout(**_):
    return c.page(
        "Runs", "Every ETL run with what it added, replaced, skipped and rejected. Click a run (bar or row) for its "
                "rejected inputs.",
        c.chart(ids.RU_CHART),
        c.card("Runs", c.grid(ids.RU_RUNS, RUN_COLUMNS, height=300, row_selection="single")),
        c.selection(ids.RU_SELECTION, ids.RU_REJECTS, REJECT_COLUMNS, "Rejected inputs of all runs"),
    )


def runs_view(st: AppState):
    runs = q.etl_runs(st.reader)
    return figures.runs_bars(runs), [{**r, "_row_id": str(r["run_id"]), **_text_dates(r)} for r in runs]


def _text_dates(r: dict) -> dict:
    return {k: v.isoformat()[:19] for k, v in r.items() if hasattr(v, "isoformat")}


def rejects_view(st: AppState, run_id: int | None):
    rows = q.rejects(st.reader, run_id)
    caption = f"Rejected inputs of run {run_id}" if run_id is not None else "Rejected inputs of all runs"
    if not rows:
        caption += ": none"
    return caption, [{**r, "_row_id": f"{r['run_id']}|{r['file']}|{r['line']}|{i}"} for i, r in enumerate(rows)]


@callback(Output(ids.RU_CHART, "figure"), Output(ids.grid(ids.RU_RUNS), "rowData"), Input(ids.FILTERS, "data"))
def update_runs(_filters):
    return runs_view(state.current())


@callback(Output(ids.RU_SELECTION, "children"), Output(ids.grid(ids.RU_REJECTS), "rowData"),
          Input(ids.RU_CHART, "clickData"), Input(ids.grid(ids.RU_RUNS), "selectedRows"))
def update_rejects(click, selected):
    run_id = None
    if ctx.triggered_id == ids.RU_CHART and figures.clicked(click):
        run_id = figures.clicked(click)[0]
    elif selected:
        run_id = selected[0]["run_id"]
    return rejects_view(state.current(), run_id)
