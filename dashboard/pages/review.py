"""Review: the model's least confident stance labels first; a correction is stored as a
label override (copy-on-write) and wins over the model everywhere at once."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import components as c
from dashboard import ids, state
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/review", name="Review", order=7, title="Stance · Review")

QUEUE_SIZE = 100
DONE_COLUMNS = [
    c.col("override_id", "#", maxWidth=80), c.col("created_at", "When"), c.col("author", "Author"),
    c.col("task", "Task", maxWidth=100), c.col("segment_id", "Segment"), c.col("topic", "Topic"),
    c.col("old_label", "Was", cellStyle=c.STANCE_STYLE), c.col("new_label", "Now", cellStyle=c.STANCE_STYLE),
    c.text_col("note", "Note"),
]


def layout(**_):
    user = flask.g.get("user") if flask.has_app_context() else None
    return c.page(
        "Review", f"The {QUEUE_SIZE} uncorrected stance labels with the lowest confidence under the filters. Select "
                  "a row, pick the right stance and/or the right topics and save: the correction is recorded with "
                  "your name and replaces the model's label in every chart.",
        dcc.Store(id=ids.RV_SAVED, data=0),
        c.card("Queue", c.grid(ids.RV_QUEUE, c.STATEMENT_COLUMNS, height=420, row_selection="single")),
        c.card("Correction", dbc.Row([
            dbc.Col([dbc.Label("Correct stance", class_name="small text-muted mb-0"),
                     dcc.RadioItems(id=ids.RV_LABEL, options=list(q.STANCES), value=None, inline=True,
                                    inputClassName="me-1", labelClassName="me-3")], md=3),
            dbc.Col([dbc.Label("Correct topics (optional)", class_name="small text-muted mb-0"),
                     dcc.Dropdown(id=ids.RV_TOPICS, multi=True, placeholder="keep the model's topics",
                                  options=[t for t in state.current().options()["topics"] if t != "other"]
                                  + ["other"])], md=3),
            dbc.Col([dbc.Label("Your name", class_name="small text-muted mb-0"),
                     dbc.Input(id=ids.RV_AUTHOR, value=user if user not in (None, "token") else None,
                               maxLength=80)], md=2),
            dbc.Col([dbc.Label("Note (optional)", class_name="small text-muted mb-0"),
                     dbc.Input(id=ids.RV_NOTE, maxLength=500)], md=2),
            dbc.Col(dbc.Button("Save correction", id=ids.RV_SAVE, color="primary"), md=2,
                    class_name="d-flex align-items-end"),
        ]), dcc.Loading(html.Div(id=ids.RV_STATUS, className="mt-2"))),
        c.card("Recent corrections", c.grid(ids.RV_DONE, DONE_COLUMNS, height=300)),
    )


def queue_view(st: AppState, f: Filters) -> list[dict]:
    return c.grid_rows(q.review_queue(st.reader, f, QUEUE_SIZE), f)


def done_view(st: AppState) -> list[dict]:
    return [{**r, "_row_id": str(r["override_id"])} for r in c.grid_rows(q.overrides(st.reader), Filters())]


def save(st: AppState, selected: list[dict] | None, label: str | None, author: str | None,
         note: str | None, topics: list[str] | None = None) -> tuple[object, bool]:
    """Record a stance and/or topic correction; returns (message, saved?)."""
    if not selected:
        return dbc.Alert("Select a statement in the queue first.", color="warning"), False
    if label not in q.STANCES and not topics:
        return dbc.Alert("Pick the correct stance or topics.", color="warning"), False
    if not (author or "").strip():
        return dbc.Alert("Enter your name: corrections are signed.", color="warning"), False
    row, note = selected[0], (note or "").strip() or None
    saved = []
    if label in q.STANCES:
        q.record_override(st.db_path, "stance", row["segment_id"], row["topic"], label, author.strip(), note)
        saved.append(f"{row['topic']} stance is now {label}")
    if topics:
        q.record_override(st.db_path, "topic", row["segment_id"], None, "|".join(sorted(topics)), author.strip(), note)
        saved.append(f"topics are now {', '.join(sorted(topics))}")
    q.warm_up(st.reader)  # its author's next view shows it (others', within seconds)
    return dbc.Alert(f"Saved correction: {row['segment_id']}: {'; '.join(saved)}.", color="success"), True


@callback(Output(ids.grid(ids.RV_QUEUE), "rowData"), Input(ids.FILTERS, "data"), Input(ids.RV_SAVED, "data"))
def update_queue(filters, _saved):
    return queue_view(state.current(), Filters.from_dict(filters))


@callback(Output(ids.grid(ids.RV_DONE), "rowData"), Input(ids.RV_SAVED, "data"))
def update_done(_saved):
    return done_view(state.current())


@callback(
    Output(ids.RV_STATUS, "children"), Output(ids.RV_SAVED, "data"),
    Input(ids.RV_SAVE, "n_clicks"),
    State(ids.grid(ids.RV_QUEUE), "selectedRows"), State(ids.RV_LABEL, "value"), State(ids.RV_AUTHOR, "value"),
    State(ids.RV_NOTE, "value"), State(ids.RV_TOPICS, "value"), State(ids.RV_SAVED, "data"),
    prevent_initial_call=True,
)
def save_correction(_clicks, selected, label, author, note, topics, saved):
    message, ok = save(state.current(), selected, label, author, note, topics)
    return message, (saved or 0) + 1 if ok else no_update
