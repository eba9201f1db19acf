"""Speaker: one person's stances over time, their most representative quotes, and whom
they agree or disagree with."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.periods import bucket_for, period_end
from dashboard.state import AppState
from warehouse import intervals
from warehouse import queries as q
from warehouse.queries import Filters
from warehouse.roles import is_participant

dash.register_page(__name__, path="/speaker", name="Speaker", order=1, title="Stance · Speaker")

HINT = "Click a point or a bar to list the statements behind it."
QUOTE_COLUMNS = [
    c.col("topic", "Topic", maxWidth=130), c.col("stance", "Stance", cellStyle=c.STANCE_STYLE, maxWidth=110),
    c.col("similarity", "Similarity to centroid", valueFormatter=c.NUMBER_2, maxWidth=170),
    c.text_col(), c.col("published", "Date", maxWidth=120), c.open_col(),
]


TOPIC_COLUMNS = [
    c.col("topic", "Topic", maxWidth=140), c.col("n", "Statements", maxWidth=120, type="rightAligned"),
    c.col("net_text", "Net stance (95% interval)", minWidth=200),
    c.col("others_text", "Everyone else (95% interval)", minWidth=200),
    c.col("versus", "Against everyone else", minWidth=190), c.col("trend", "Over time", minWidth=260),
]


def layout(who: str | None = None, bucket: str | None = None, **_):
    speakers = state.current().options()["speakers"]
    who = who if any(s["speaker_id"] == who for s in speakers) else (speakers[0]["speaker_id"] if speakers else None)
    return c.page(
        "Speaker", "One person's stance per topic over time (with 95% intervals), how it compares with everyone "
                   "else's, the statements most typical of them on each topic, and whom they agree or disagree "
                   "with.",
        c.quality_note("stance", "agreement"),
        dbc.Row([dbc.Col(dcc.Dropdown(id=ids.SP_PICK, options=c.speaker_options(speakers), value=who,
                                      clearable=False), md=4),
                 dbc.Col(html.Div(id=ids.SP_HEADER), md=8)], class_name="mb-3"),
        c.card("Stance per topic", c.grid(ids.SP_TOPICS, TOPIC_COLUMNS, height=260),
               caption="“Differs” only where the gap is beyond noise (95%); “over time” compares the first and the "
                       "last period with enough statements."),
        c.bucket_picker(ids.SP_BUCKET, bucket),
        dbc.Row([dbc.Col(c.chart(ids.SP_STANCE), lg=7), dbc.Col(c.chart(ids.SP_PARTNERS), lg=5)]),
        c.card("Most representative quotes per topic", c.grid(ids.SP_QUOTES, QUOTE_COLUMNS, height=420),
               caption="Nearest (cosine) to the centroid of the speaker's statement embeddings on the topic."),
        c.selection(ids.SP_SELECTION, ids.SP_STATEMENTS, c.STATEMENT_COLUMNS, HINT),
    )


# --- views -------------------------------------------------------------------------------------------
def own_filters(st: AppState, f: Filters, speaker_id: str | None) -> Filters:
    """The filters for one person's page: a moderator's (or other non-participant's) page
    shows their statements even while the filters leave non-participants out."""
    role = next((s.get("role") for s in st.options()["speakers"] if s["speaker_id"] == speaker_id), None)
    return f if is_participant(role) else replace(f, include_moderators=True)


def _info(st: AppState, speaker_id: str | None) -> dict | None:
    """speaker_info, which the header and both time views need."""
    return st.memo("speaker-info", speaker_id, lambda: q.speaker_info(st.reader, speaker_id)) if speaker_id else None


def _series(st: AppState, f: Filters, speaker_id: str, bucket: str) -> list[dict]:
    """Stance over time, which the chart and the topic table both need."""
    return st.memo("speaker-series", (f, speaker_id, bucket),
                   lambda: q.speaker_stance_over_time(st.reader, f, speaker_id, bucket))


def header_view(st: AppState, speaker_id: str | None):
    info = _info(st, speaker_id)
    if not info:
        return c.empty_note("Pick a speaker.")
    span = f"{info['first']} – {info['last']}" if info["first"] else "no dated statements"
    return html.Div([html.Span(info["name"], className="h5 me-2"),
                     dbc.Badge(info["role"] or "role unknown", color="secondary", class_name="me-2"),
                     html.Span(f"{info['statements']:,} statements, {span}", className="text-muted")])


def bucket_of(st: AppState, f: Filters, speaker_id: str | None, choice: str | None) -> str:
    """The chosen bucket, or the one that fits the speaker's dated statements under the filters."""
    info = _info(st, speaker_id)
    first, last = (info["first"], info["last"]) if info else (None, None)
    return bucket_for(choice, max(filter(None, [f.start, first]), default=None),
                      min(filter(None, [f.end, last]), default=None))


def stance_view(st: AppState, f: Filters, speaker_id: str | None, choice: str | None = None):
    if not speaker_id:
        return figures.empty("Pick a speaker.")
    name = st.speaker_names().get(speaker_id, speaker_id)
    b = bucket_of(st, f, speaker_id, choice)
    return figures.speaker_stance_lines(_series(st, f, speaker_id, b), name, b)


def topics_view(st: AppState, f: Filters, speaker_id: str | None) -> list[dict]:
    """Per topic: the speaker's net stance against everyone else's, and its change over time,
    each said to differ only where it does beyond noise."""
    if not speaker_id:
        return []
    b = bucket_of(st, f, speaker_id, None)
    series = _series(st, f, speaker_id, b)
    everyone = replace(f, speakers=())  # the same totals for every speaker's page
    totals = st.memo("topic-totals", everyone, lambda: q.topic_totals(st.reader, everyone))
    rows = []
    for r in q.speaker_vs_others(st.reader, f, speaker_id, totals):
        others = r["others"]
        versus = "no one else spoke on it" if not others else (
            ("more in favor" if r["net"] > others["net"] else "more against") + ": differs"
            if intervals.nets_differ(r, others) else "no difference beyond noise")
        rows.append({**r, "net_text": figures.net_text(r), "others_text": figures.net_text(others) if others else "",
                     "versus": versus, "trend": trend([x for x in series if x["topic"] == r["topic"]]),
                     "_row_id": r["topic"], "others": None})
    return rows


def trend(periods: list[dict]) -> str:
    """The first and last period with enough statements, and whether they differ beyond noise."""
    solid = [p for p in periods if not p["sparse"]]
    if len(solid) < 2:
        return "too few statements over time to tell"
    a, b = solid[0], solid[-1]
    span = f"{str(a['period'])[:10]} {a['net']:+.2f} → {str(b['period'])[:10]} {b['net']:+.2f}"
    if not intervals.nets_differ(a, b):
        return f"no change beyond noise ({span})"
    return f"{'rose' if b['net'] > a['net'] else 'fell'} ({span})"


def partners_view(st: AppState, f: Filters, speaker_id: str | None):
    if not speaker_id:
        return figures.empty("Pick a speaker.")
    name = st.speaker_names().get(speaker_id, speaker_id)
    return figures.partners_bars(q.speaker_partners(st.reader, f, speaker_id), name)


def quotes_view(st: AppState, f: Filters, speaker_id: str | None) -> list[dict]:
    if not speaker_id:
        return []
    return c.grid_rows(q.representative_quotes(st.reader, f, speaker_id, vectors=st.index.vectors), f)


def selection_view(st: AppState, f: Filters, speaker_id: str, source: str | None, click: dict | None,
                   choice: str | None = None):
    """(caption, column defs, rows) for a click on the stance or the partners chart."""
    data = figures.clicked(click)
    if not data or not speaker_id or source is None:
        return HINT, c.STATEMENT_COLUMNS, []
    name = st.speaker_names().get(speaker_id, speaker_id)
    if source == ids.SP_STANCE:
        topic, start = data[0], dt.date.fromisoformat(data[1][:10])
        end = period_end(start, bucket_of(st, f, speaker_id, choice))
        rows = q.statements(st.reader, f, speaker_id=speaker_id, topic=topic, period_start=start, period_end=end)
        return f"{name} on {topic}, {start} to {end}", c.STATEMENT_COLUMNS, c.grid_rows(rows, f)
    other, label = data[0], data[1]
    rows = q.agreement_statements(st.reader, f, speaker_id=speaker_id, target_speaker_id=other, label=label)
    other_name = st.speaker_names().get(other, other)
    return f"{name} → {other_name}: {label}", c.AGREEMENT_COLUMNS, c.grid_rows(rows, f)


# --- callbacks -----------------------------------------------------------------------------------------
def _filters(filters: dict | None, speaker_id: str | None) -> Filters:
    return own_filters(state.current(), Filters.from_dict(filters), speaker_id)


clientside_callback(
    ClientsideFunction(namespace="stance", function_name="setWho"),  # keep ?who= in the address bar
    Output(ids.SP_PICK, "title"), Input(ids.SP_PICK, "value"),
)


@callback(Output(ids.SP_HEADER, "children"), Input(ids.SP_PICK, "value"))
@state.cached
def update_header(speaker_id):
    return header_view(state.current(), speaker_id)


@callback(Output(ids.SP_STANCE, "figure"), Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"),
          Input(ids.SP_BUCKET, "value"))
@state.cached
def update_stance(filters, speaker_id, choice):
    return stance_view(state.current(), _filters(filters, speaker_id), speaker_id, choice)


c.keep_bucket_in_url(ids.SP_BUCKET)


@callback(Output(ids.grid(ids.SP_TOPICS), "rowData"), Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"))
@state.cached
def update_topics(filters, speaker_id):
    return topics_view(state.current(), _filters(filters, speaker_id), speaker_id)


@callback(Output(ids.SP_PARTNERS, "figure"), Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"))
@state.cached
def update_partners(filters, speaker_id):
    return partners_view(state.current(), _filters(filters, speaker_id), speaker_id)


@callback(Output(ids.grid(ids.SP_QUOTES), "rowData"), Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"))
@state.cached
def update_quotes(filters, speaker_id):
    return quotes_view(state.current(), _filters(filters, speaker_id), speaker_id)


@callback(
    Output(ids.SP_SELECTION, "children"), Output(ids.grid(ids.SP_STATEMENTS), "columnDefs"),
    Output(ids.grid(ids.SP_STATEMENTS), "rowData"),
    Input(ids.SP_STANCE, "clickData"), Input(ids.SP_PARTNERS, "clickData"),
    Input(ids.FILTERS, "data"), Input(ids.SP_PICK, "value"), State(ids.SP_BUCKET, "value"),
)
def update_selection(stance_click, partner_click, filters, speaker_id, choice):
    source = ctx.triggered_id if ctx.triggered_id in (ids.SP_STANCE, ids.SP_PARTNERS) else None
    click = stance_click if source == ids.SP_STANCE else partner_click
    return selection_view(state.current(), _filters(filters, speaker_id), speaker_id, source, click, choice)
