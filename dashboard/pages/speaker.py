"""Speaker: one person's stances over time, their most representative quotes, and whom
they agree or disagree with."""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, ctx, dcc, html

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.analysis import period_end
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/speaker", name="Speaker", order=1, title="Stance · Speaker")

BUCKET = "quarter"
HINT = "Click a point or a bar to list the statements behind it."
QUOTE_COLUMNS = [
    c.col("topic", "Topic", maxWidth=130), c.col("stance", "Stance", cellStyle=c.STANCE_STYLE, maxWidth=110),
    c.col("similarity", "Similarity to centroid", valueFormatter=c.NUMBER_2, maxWidth=170),
    c.text_col(), c.col("published", "Date", maxWidth=120), c.open_col(),
]


def layout(who: str | None = None, **_):
    speakers = state.current().options()["speakers"]
    who = who if any(s["speaker_id"] == who for s in speakers) else (speakers[0]["speaker_id"] if speakers else None)
    options = [{"label": s["name"] + (f" ({s['role']})" if s.get("role") else ""), "value": s["speaker_id"]}
               for s in speakers]
    return c.page(
        "Speaker", "One person's stance per topic over time, the statements most typical of them on each "
                   "topic, and whom they agree or disagree with.",
        dbc.Row([dbc.Col(dcc.Dropdown(id=ids.SP_PICK, options=options, value=who, clearable=False), md=4),
                 dbc.Col(html.Div(id=ids.SP_HEADER), md=8)], class_name="mb-3"),
        dbc.Row([dbc.Col(c.chart(ids.SP_STANCE), lg=7), dbc.Col(c.chart(ids.SP_PARTNERS), lg=5)]),
        c.card("Most representative quotes per topic", c.grid(ids.SP_QUOTES, QUOTE_COLUMNS, height=420),
               caption="Nearest (cosine) to the centroid of the speaker's statement embeddings on the topic."),
        c.selection(ids.SP_SELECTION, ids.SP_STATEMENTS, c.STATEMENT_COLUMNS, HINT),
    )


# --- views -------------------------------------------------------------------------------------------
def header_view(st: AppState, speaker_id: str | None):
    info = q.speaker_info(st.reader, speaker_id) if speaker_id else None
    if not info:
        return c.empty_note("Pick a speaker.")
    span = f"{info['first']} – {info['last']}" if info["first"] else "no dated statements"
    return html.Div([html.Span(info["name"], className="h5 me-2"),
                     dbc.Badge(info["role"] or "role unknown", color="secondary", class_name="me-2"),
                     html.Span(f"{info['statements']:,} statements, {span}", className="text-muted")])


def stance_view(st: AppState, f: Filters, speaker_id: str | None):
    if not speaker_id:
        return figures.empty("Pick a speaker.")
    name = st.speaker_names().get(speaker_id, speaker_id)
    return figures.speaker_stance_lines(q.speaker_stance_over_time(st.reader, f, speaker_id, BUCKET), name, BUCKET)


def partners_view(st: AppState, f: Filters, speaker_id: str | None):
    if not speaker_id:
        return figures.empty("Pick a speaker.")
    name = st.speaker_names().get(speaker_id, speaker_id)
    return figures.partners_bars(q.speaker_partners(st.reader, f, speaker_id), name)


def quotes_view(st: AppState, f: Filters, speaker_id: str | None) -> list[dict]:
    return c.grid_rows(q.representative_quotes(st.reader, f, speaker_id), f) if speaker_id else []


def selection_view(st: AppState, f: Filters, speaker_id: str, source: str | None, click: dict | None):
    """(caption, column defs, rows) for a click on the stance or the partners chart."""
    data = figures.clicked(click)
    if not data or not speaker_id or source is None:
        return HINT, c.STATEMENT_COLUMNS, []
    name = st.speaker_names().get(speaker_id, speaker_id)
    if source == ids.SP_STANCE:
        topic, start = data[0], dt.date.fromisoformat(data[1][:10])
        end = period_end(start, BUCKET)
        rows = q.statements(st.reader, f, speaker_id=speaker_id, topic=topic, period_start=start, period_end=end)
        return f"{name} on {topic}, {start} to {end}", c.STATEMENT_COLUMNS, c.grid_rows(rows, f)
    other, label = data[0], data[1]
    rows = q.agreement_statements(st.reader, f, speaker_id=speaker_id, target_speaker_id=other, label=label)
    other_name = st.speaker_names().get(other, other)
    return f"{name} → {other_name}: {label}", c.AGREEMENT_COLUMNS, c.grid_rows(rows, f)


# --- callbacks -----------------------------------------------------------------------------------------
clientside_callback(
    ClientsideFunction(namespace="stance", function_name="setWho"),  # keep ?who= in the address bar
    Output(ids.SP_PICK, "title"), Input(ids.SP_PICK, "value"),
)


@callback(Output(ids.SP_HEADER, "children"), Input(ids.SP_PICK, "value"))
def update_header(speaker_id):
    return header_view(state.current(), speaker_id)


@callback(Output(ids.SP_STANCE, "figure"), Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"))
def update_stance(filters, speaker_id):
    return stance_view(state.current(), Filters.from_dict(filters), speaker_id)


@callback(Output(ids.SP_PARTNERS, "figure"), Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"))
def update_partners(filters, speaker_id):
    return partners_view(state.current(), Filters.from_dict(filters), speaker_id)


@callback(Output(ids.grid(ids.SP_QUOTES), "rowData"), Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"))
def update_quotes(filters, speaker_id):
    return quotes_view(state.current(), Filters.from_dict(filters), speaker_id)


@callback(
    Output(ids.SP_SELECTION, "children"), Output(ids.grid(ids.SP_STATEMENTS), "columnDefs"),
    Output(ids.grid(ids.SP_STATEMENTS), "rowData"),
    Input(ids.SP_STANCE, "clickData"), Input(ids.SP_PARTNERS, "clickData"),
    Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"),
)
def update_selection(stance_click, partner_click, filters, speaker_id):
    source = ctx.triggered_id if ctx.triggered_id in (ids.SP_STANCE, ids.SP_PARTNERS) else None
    click = stance_click if source == ids.SP_STANCE else partner_click
    return selection_view(state.current(), Filters.from_dict(filters), speaker_id, source, click)
