"""Compare: two to six speakers side by side. Stance per topic with intervals, how much of
their talk each topic takes, their statements on one topic juxtaposed, and how they
replied to each other. The URL keeps the speakers and the topic:
/compare?who=kamala-harris,donald-trump&on=immigration"""
from __future__ import annotations

from dataclasses import replace

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.state import AppState
from warehouse import intervals
from warehouse import queries as q
from warehouse.queries import Filters
from warehouse.roles import is_participant

dash.register_page(__name__, path="/compare", name="Compare", order=2, title="Stance · Compare")

MAX_SPEAKERS = 6
QUOTES = 4  # per speaker, on the chosen topic
REPLY_COLUMNS = [
    c.col("published", "Date", maxWidth=120), c.col("speaker", "Speaker"),
    c.col("label", "Label", cellStyle=c.STANCE_STYLE, maxWidth=110), c.col("target_speaker", "Toward"),
    c.text_col(), c.text_col("target_text", "Replying to"), c.open_col(),
]


def layout(who: str | None = None, on: str | None = None, **_):
    st = state.current()
    speakers = st.options()["speakers"]
    known = {s["speaker_id"] for s in speakers}
    chosen = [s for s in (who or "").split(",") if s in known][:MAX_SPEAKERS] or default_speakers(speakers)
    topics = [t for t in st.options()["topics"] if t != "other"]
    return c.page(
        "Compare", "Two to six people side by side: net stance per topic with its 95% interval, how much of their "
                   "talk each topic takes, what each said on one topic, and how they replied to each other. "
                   "The address bar keeps the comparison, so it can be shared as a link.",
        dbc.Row([
            dbc.Col([dbc.Label("Speakers (2–6)", class_name="small text-muted mb-0"),
                     dcc.Dropdown(id=ids.CMP_WHO, options=c.speaker_options(speakers), value=chosen, multi=True,
                                  placeholder="Pick two to six speakers")], md=8),
            dbc.Col([dbc.Label("Topic", class_name="small text-muted mb-0"),
                     dcc.Dropdown(id=ids.CMP_TOPIC, options=topics, value=on if on in topics else None,
                                  placeholder="the topic they share most")], md=4),
        ], class_name="mb-3"),
        dcc.Loading(html.Div(id=ids.CMP_VERDICT)),
        c.quality_note("stance"),
        dbc.Row([dbc.Col(c.chart(ids.CMP_STANCE), lg=7), dbc.Col(c.chart(ids.CMP_ATTENTION), lg=5)]),
        c.card("On the topic, in their words", dcc.Loading(html.Div(id=ids.CMP_QUOTES)),
               caption="Each speaker's statements nearest the centre of what they said on the topic."),
        dbc.Row([dbc.Col(c.chart(ids.CMP_REPLIES), lg=5),
                 dbc.Col(c.card("Their replies to each other", c.grid(ids.CMP_REPLY_ROWS, REPLY_COLUMNS)), lg=7)]),
    )


def default_speakers(speakers: list[dict]) -> list[str]:
    """The two participants with most statements."""
    return [s["speaker_id"] for s in speakers if is_participant(s.get("role"))][:2]


# --- views ----------------------------------------------------------------------------------------
def chosen_topic(rows: list[dict], speaker_ids: list[str], topic: str | None) -> str | None:
    """The topic asked for, else the one all of them spoke on most (fewest statements of any of them)."""
    if topic:
        return topic
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["topic"] != "other":
            counts.setdefault(r["topic"], {})[r["speaker_id"]] = r["n"]
    shared = {t: min(by.get(s, 0) for s in speaker_ids) for t, by in counts.items()}
    return max(shared, key=lambda t: (shared[t], sum(counts[t].values())), default=None)


def verdict_view(st: AppState, f: Filters, speaker_ids: list[str], topic: str | None):
    """One line per speaker on the topic, and which of them differ beyond noise."""
    if len(speaker_ids) < 2:
        return c.empty_note("Pick at least two speakers to compare.")
    rows = q.topics_by_speaker(st.reader, f, speaker_ids)
    topic = chosen_topic(rows, speaker_ids, topic)
    names = st.speaker_names()
    cell = {r["speaker_id"]: r for r in rows if r["topic"] == topic}
    lines = [html.Li([html.B(names.get(s, s)), ": ", _net_phrase(cell.get(s))]) for s in speaker_ids]
    target = q.stance_target(st.reader, topic) if topic else None
    toward = f" (net stance toward “{target}”)" if target else ""
    return c.card(f"On {topic or 'their topics'}{toward}", html.Ul(lines, className="mb-1"),
                  html.P(differences(cell, speaker_ids, names), className="mb-0 fw-semibold"))


def _net_phrase(r: dict | None) -> str:
    if not r:
        return "no statements under these filters"
    return f"net stance {figures.net_text(r)}, from {r['n']:,} statements ({r['favor']} favor, {r['against']} against)"


def differences(cell: dict[str, dict], speaker_ids: list[str], names: dict[str, str]) -> str:
    """Which pairs differ beyond noise, and which do not."""
    differ, same = [], []
    for i, a in enumerate(speaker_ids):
        for b in speaker_ids[i + 1:]:
            if a in cell and b in cell:
                pair = f"{names.get(a, a)} and {names.get(b, b)}"
                (differ if intervals.nets_differ(cell[a], cell[b]) else same).append(pair)
    if not differ and not same:
        return "Not enough statements on this topic to compare."
    parts = []
    if differ:
        parts.append("Differ beyond noise: " + "; ".join(differ) + ".")
    if same:
        parts.append("Do not differ beyond noise: " + "; ".join(same) + ".")
    return " ".join(parts)


def charts_view(st: AppState, f: Filters, speaker_ids: list[str]):
    if len(speaker_ids) < 2:
        blank = figures.empty("Pick at least two speakers to compare.")
        return blank, blank
    rows = _topics(st, f, speaker_ids)
    names = st.speaker_names()
    return figures.compare_stance(rows, speaker_ids, names), figures.compare_attention(rows, speaker_ids, names)


def _topics(st: AppState, f: Filters, speaker_ids: list[str]) -> list[dict]:
    """Stance and attention per speaker and topic: the charts and the quotes' topic both need them."""
    return st.memo("compare-topics", (f, tuple(speaker_ids)), lambda: q.topics_by_speaker(st.reader, f, speaker_ids))


def quotes_view(st: AppState, f: Filters, speaker_ids: list[str], topic: str | None):
    if len(speaker_ids) < 2:
        return None
    topic = chosen_topic(_topics(st, f, speaker_ids), speaker_ids, topic)
    if not topic:
        return c.empty_note("They share no topic under these filters.")
    names = st.speaker_names()
    on_topic = replace(f, topics=(topic,), speakers=(), include_moderators=True)
    columns = []
    quotes_of = q.quotes_by_speaker(st.reader, on_topic, speaker_ids, per_topic=QUOTES, vectors=st.index.vectors)
    for s in speaker_ids:
        body = [c.quote_card(r, on_topic) for r in quotes_of[s]] or [c.empty_note("Nothing on this topic.")]
        columns.append(dbc.Col([html.H4(names.get(s, s), className="h6"), *body], md=12 // min(len(speaker_ids), 4)))
    return [html.P(f"Topic: {topic}", className="text-muted small mb-2"), dbc.Row(columns)]


def replies_view(st: AppState, f: Filters, speaker_ids: list[str]):
    if len(speaker_ids) < 2:
        return figures.empty("Pick at least two speakers to compare."), []
    pairs = q.reply_pairs(st.reader, f, speaker_ids)
    rows = q.replies_among(st.reader, f, speaker_ids)
    return figures.reply_matrix(pairs, speaker_ids, st.speaker_names()), c.grid_rows(rows, f)


# --- callbacks ------------------------------------------------------------------------------------
clientside_callback(
    ClientsideFunction(namespace="stance", function_name="setCompare"),  # ?who=a,b&on=topic
    Output(ids.CMP_WHO, "title"), Input(ids.CMP_WHO, "value"), Input(ids.CMP_TOPIC, "value"),
)


def _ids(value) -> list[str]:
    return [v for v in (value or []) if v][:MAX_SPEAKERS]


@callback(Output(ids.CMP_VERDICT, "children"), Input(ids.FILTERS, "data"), Input(ids.CMP_WHO, "value"),
          Input(ids.CMP_TOPIC, "value"))
@state.cached
def update_verdict(filters, who, topic):
    return verdict_view(state.current(), Filters.from_dict(filters), _ids(who), topic)


@callback(Output(ids.CMP_STANCE, "figure"), Output(ids.CMP_ATTENTION, "figure"),
          Input(ids.FILTERS, "data"), Input(ids.CMP_WHO, "value"))
@state.cached
def update_charts(filters, who):
    return charts_view(state.current(), Filters.from_dict(filters), _ids(who))


@callback(Output(ids.CMP_QUOTES, "children"), Input(ids.FILTERS, "data"), Input(ids.CMP_WHO, "value"),
          Input(ids.CMP_TOPIC, "value"))
@state.cached
def update_quotes(filters, who, topic):
    return quotes_view(state.current(), Filters.from_dict(filters), _ids(who), topic)


@callback(Output(ids.CMP_REPLIES, "figure"), Output(ids.grid(ids.CMP_REPLY_ROWS), "rowData"),
          Input(ids.FILTERS, "data"), Input(ids.CMP_WHO, "value"))
@state.cached
def update_replies(filters, who):
    return replies_view(state.current(), Filters.from_dict(filters), _ids(who))
