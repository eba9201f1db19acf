"""Overview: who takes which stance on which topic, and how the agenda moves over time."""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.periods import bucket_for, period_end
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/", name="Overview", order=0, title="Stance · Overview")

HINT = "Click a heatmap cell, a bar or a point to list the statements behind it."


def layout(bucket: str | None = None, **_):
    return c.page(
        "Overview",
        "Net stance = (favor − against) / statements, from −1 (all against the topic's stance target) to +1 "
        "(all in favor); hovers give its 95% interval. Numbers in cells are statements; grey cells marked ? are "
        "too few to say anything. Moderators, questioners and press secretaries are left out unless included above.",
        c.quality_note("topic", "stance"),
        html.Div(id=ids.OV_SUMMARY, className="mb-2"),
        dbc.Row([dbc.Col(c.chart(ids.OV_HEATMAP), lg=7), dbc.Col(c.chart(ids.OV_TOP), lg=5)]),
        c.bucket_picker(ids.OV_BUCKET, bucket),
        c.chart(ids.OV_SHARE, caption="Share = statements on the topic / all statements in the period "
                                      "(under the other filters), so topics can add up to more than 100%. A break "
                                      "in a line is a period without statements."),
        c.selection(ids.OV_SELECTION, ids.OV_STATEMENTS, c.STATEMENT_COLUMNS, HINT),
    )


# --- views: state + filters -> what the callbacks return (also run by bench/dashboard_bench.py)
EMPTY_WAREHOUSE = ("This warehouse has no statements yet: load transcripts or articles with "
                   "`stance etl --db FILE INPUT...`, then reload this page.")


def summary_view(st: AppState, f: Filters):
    s = q.summary(st.reader, f)
    if not s["statements"]:
        return c.empty_note(EMPTY_WAREHOUSE if not st.options()["topics"] else figures.NO_ROWS)
    badge = "me-2 p-2"
    return html.Div([
        dbc.Badge(f"{s['statements']:,} statements", color="dark", class_name=badge),
        *[html.Span(f"{s[label]:,} {label}", id=ids.stance_count(label), className=badge + " badge",
                    style={"background": figures.STANCE_COLORS[label]}) for label in q.STANCES],
        dbc.Badge(f"{s['speakers']:,} speakers", color="secondary", class_name=badge),
        dbc.Badge(f"{s['documents']:,} documents", color="secondary", class_name=badge),
    ])


def heatmap_view(st: AppState, f: Filters):
    return figures.speaker_topic_heatmap(q.speaker_topic_matrix(st.reader, f, top_speakers=25))


def bucket_of(st: AppState, f: Filters, choice: str | None) -> str:
    """The chosen bucket, or the one that fits the filtered date range."""
    options = st.options()
    return bucket_for(choice, f.start or options["first"], f.end or options["last"])


def share_view(st: AppState, f: Filters, choice: str | None = None):
    b = bucket_of(st, f, choice)
    return figures.topic_share_lines(q.topic_share(st.reader, f, b), b)


def top_view(st: AppState, f: Filters):
    return figures.top_speakers_bars(q.top_speakers_by_topic(st.reader, f, k=5))


def selection_view(st: AppState, f: Filters, source: str | None, click: dict | None,
                   choice: str | None = None) -> tuple[str, list[dict]]:
    """Caption and grid rows for a click on one of the charts."""
    data = figures.clicked(click)
    if not data or source is None:
        return HINT, []
    if source == ids.OV_SHARE:
        topic, start = data[0], dt.date.fromisoformat(data[1][:10])
        end = period_end(start, bucket_of(st, f, choice))
        rows = q.statements(st.reader, f, topic=topic, period_start=start, period_end=end)
        caption = f"Statements on {topic} from {start} to {end} (newest 200)"
    else:
        speaker_id, topic = data[0], data[1]
        rows = q.statements(st.reader, f, speaker_id=speaker_id, topic=topic)
        total = q.count_statements(st.reader, f, speaker_id=speaker_id, topic=topic)
        name = st.speaker_names().get(speaker_id, speaker_id)
        caption = f"{name} on {topic}: {total:,} statements (newest {min(total, 200)} shown)"
    return caption, c.grid_rows(rows, f)


# --- callbacks -------------------------------------------------------------------------------------
@callback(Output(ids.OV_SUMMARY, "children"), Input(ids.FILTERS, "data"))
@state.cached
def update_summary(filters):
    return summary_view(state.current(), Filters.from_dict(filters))


@callback(Output(ids.OV_HEATMAP, "figure"), Input(ids.FILTERS, "data"))
@state.cached
def update_heatmap(filters):
    return heatmap_view(state.current(), Filters.from_dict(filters))


@callback(Output(ids.OV_SHARE, "figure"), Input(ids.FILTERS, "data"), Input(ids.OV_BUCKET, "value"))
@state.cached
def update_share(filters, choice):
    return share_view(state.current(), Filters.from_dict(filters), choice)


c.keep_bucket_in_url(ids.OV_BUCKET)


@callback(Output(ids.OV_TOP, "figure"), Input(ids.FILTERS, "data"))
@state.cached
def update_top(filters):
    return top_view(state.current(), Filters.from_dict(filters))


@callback(
    Output(ids.OV_SELECTION, "children"), Output(ids.grid(ids.OV_STATEMENTS), "rowData"),
    Input(ids.OV_HEATMAP, "clickData"), Input(ids.OV_SHARE, "clickData"), Input(ids.OV_TOP, "clickData"),
    Input(ids.FILTERS, "data"), State(ids.OV_BUCKET, "value"),
)
def update_selection(heat, share, top, filters, choice):
    source = ctx.triggered_id if ctx.triggered_id != ids.FILTERS else None
    click = {ids.OV_HEATMAP: heat, ids.OV_SHARE: share, ids.OV_TOP: top}.get(source)
    return selection_view(state.current(), Filters.from_dict(filters), source, click, choice)
