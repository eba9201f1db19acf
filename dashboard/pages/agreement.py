"""Agreement: who agrees with whom (in replies and as reported by the news), which camps
the speakers' stance profiles fall into, and which statements unite or divide them."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, ctx, dcc, html

from dashboard import analysis, figures, ids, state
from dashboard import components as c
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/agreement", name="Agreement", order=3, title="Stance · Agreement")

HINT = "Click a matrix cell, a network node or edge, or an alignment cell to list the statements behind it."
TOP_CHOICES = (10, 20, 30, 50)
DEFAULT_TOP = 20
MIN_EDGE = 3  # replies between two people before the network draws an edge
MAX_EDGES = 150  # the strongest edges only, so the network stays readable
CONTESTED_COLUMNS = [
    c.col("kind", "Kind", maxWidth=120), c.col("speaker", "Said by"), c.text_col(),
    c.col("votes", "Replies", maxWidth=100), c.col("agree_rate", "Agree share", valueFormatter=c.NUMBER_2),
    c.col("consensus", "Lowest camp agree share", valueFormatter=c.NUMBER_2),
    c.col("divisiveness", "Spread between camps", valueFormatter=c.NUMBER_2),
    c.col("by_camp", "Agree share by camp", minWidth=220), c.open_col(),
]


def layout(n: str | None = None, add: str | None = None, **_):
    speakers = state.current().options()["speakers"]
    known = {s["speaker_id"] for s in speakers}
    top = int(n) if str(n).isdigit() and int(n) in TOP_CHOICES else DEFAULT_TOP
    return c.page(
        "Agreement", "Agreement labels come from replies in conversations and from agreement reported in the news. "
                     "Camps group speakers whose per-topic net stances point the same way (cosine similarity). "
                     "Moderators, questioners and press secretaries are left out unless included in the filters "
                     "above; the views show the most active speakers, and any speaker you add.",
        c.quality_note("agreement"),
        dbc.Row([
            dbc.Col(dcc.RadioItems(id=ids.AG_KIND, value="reply", inline=True, inputClassName="me-1",
                                   labelClassName="me-3", options=[{"label": "Reply agreement", "value": "reply"},
                                                                   {"label": "Reported agreement", "value": "reported"}]),
                    md=4),
            dbc.Col([html.Span("Most active: ", className="small text-muted me-2"),
                     dcc.RadioItems(id=ids.AG_TOP, value=top, inline=True, inputClassName="me-1",
                                    labelClassName="me-3", options=[{"label": str(k), "value": k} for k in TOP_CHOICES])],
                    md=3, class_name="d-flex align-items-center"),
            dbc.Col(dcc.Dropdown(id=ids.AG_ADD, options=c.speaker_options(speakers), multi=True,
                                 value=[s for s in (add or "").split(",") if s in known],
                                 placeholder="Add any speaker (type to search)"), md=5),
        ], class_name="mb-2 align-items-center"),
        dbc.Row([dbc.Col(c.chart(ids.AG_MATRIX), lg=6), dbc.Col(c.chart(ids.AG_NETWORK), lg=6)]),
        dbc.Row([dbc.Col(c.chart(ids.AG_ALIGNMENT), lg=6),
                 dbc.Col(c.card("Camps", c.grid(ids.AG_CAMPS, [], height=300),
                                caption="Mean net stance per topic of each camp's members."), lg=6)]),
        c.card("Consensus and divisive statements", c.grid(ids.AG_CONTESTED, CONTESTED_COLUMNS),
               caption="Statements replied to by people from at least two camps (3+ replies). Consensus: every "
                       "camp mostly agrees. Divisive: camps' agree shares differ most."),
        c.selection(ids.AG_SELECTION, ids.AG_STATEMENTS, c.AGREEMENT_COLUMNS, HINT),
    )


# --- logic ----------------------------------------------------------------------------------------
def structure(st: AppState, f: Filters, top: int = DEFAULT_TOP, add: tuple[str, ...] = ()) -> dict:
    """Stance profiles, alignment, camps and positions for the `top` most active speakers and
    those added (memoised)."""
    def compute():
        p = analysis.profiles(q.stance_profiles(st.reader, f, top_speakers=top, min_statements=20, include=add))
        sim = analysis.alignment(p.net)
        labels = analysis.camps(p.net)
        described = analysis.describe_camps(p, labels) if len(p) else []
        return {"profiles": p, "sim": sim, "camps": labels, "described": described,
                "positions": analysis.layout_2d(sim)}
    return st.memo("agreement-structure", (f, top, add), compute)


# --- views ----------------------------------------------------------------------------------------
def matrix_view(st: AppState, f: Filters, kind: str, top: int = DEFAULT_TOP, add: tuple[str, ...] = ()):
    return figures.agreement_heatmap(q.agreement_matrix(st.reader, f, kind, top_speakers=top, include=add), kind)


def network_view(st: AppState, f: Filters, top: int = DEFAULT_TOP, add: tuple[str, ...] = ()):
    s = structure(st, f, top, add)
    p = s["profiles"]
    nodes = [{"speaker_id": sid, "name": name, "camp": int(camp), "x": float(x), "y": float(y)}
             for sid, name, camp, (x, y) in zip(p.speaker_ids, p.names, s["camps"], s["positions"])]
    edges = q.agreement_pairs(st.reader, f, p.speaker_ids, "reply", min_n=MIN_EDGE)[:MAX_EDGES]
    return figures.agreement_network(nodes, edges, analysis.camp_names(s["described"]))


def alignment_view(st: AppState, f: Filters, top: int = DEFAULT_TOP, add: tuple[str, ...] = ()):
    s = structure(st, f, top, add)
    return figures.alignment_heatmap(s["profiles"].speaker_ids, s["profiles"].names, s["sim"], s["camps"])


def camps_view(st: AppState, f: Filters, top: int = DEFAULT_TOP,
               add: tuple[str, ...] = ()) -> tuple[list[dict], list[dict]]:
    """(column defs, rows) of the camps table (one column per topic)."""
    rows = structure(st, f, top, add)["described"]
    if not rows:
        return [], []
    columns = [c.col("camp", "Camp", maxWidth=90), c.col("size", "Size", maxWidth=90),
               c.col("leaning", "Leaning", minWidth=200),
               c.col("members", "Members", flex=3, minWidth=300, tooltipField="members")]
    columns += [c.col(k, k.replace("net ", "Net "), maxWidth=140) for k in rows[0] if k.startswith("net ")]
    return columns, [{**r, "_row_id": str(r["camp"])} for r in rows]


def contested_view(st: AppState, f: Filters, top: int = DEFAULT_TOP, add: tuple[str, ...] = ()) -> list[dict]:
    s = structure(st, f, top, add)
    camps = {sid: int(camp) + 1 for sid, camp in zip(s["profiles"].speaker_ids, s["camps"])}
    if len(set(camps.values())) < 2:
        return []
    return c.grid_rows(q.contested_statements(st.reader, f, camps, min_votes=3, limit=15), f)


def selection_view(st: AppState, f: Filters, kind: str, source: str | None, click: dict | None):
    """(caption, column defs, rows) for a click on the matrix, network or alignment chart."""
    data = figures.clicked(click)
    if not data or source is None:
        return HINT, c.AGREEMENT_COLUMNS, []
    names = st.speaker_names()
    if source == ids.AG_ALIGNMENT:
        a, b = data[0], data[1]
        rows = q.statements(st.reader, f, speaker_id=a, limit=100)
        rows += q.statements(st.reader, f, speaker_id=b, limit=100) if b != a else []
        return f"Statements by {names.get(a, a)} and {names.get(b, b)}", c.STATEMENT_COLUMNS, c.grid_rows(rows, f)
    if source == ids.AG_NETWORK and data[0] == "node":
        rows = q.agreement_statements(st.reader, f, speaker_id=data[1], kind="reply")
        return f"Replies by {names.get(data[1], data[1])}", c.AGREEMENT_COLUMNS, c.grid_rows(rows, f)
    a, b = (data[1], data[2]) if source == ids.AG_NETWORK else (data[0], data[1])
    kind = "reply" if source == ids.AG_NETWORK else kind
    rows = q.agreement_statements(st.reader, f, speaker_id=a, target_speaker_id=b, kind=kind)
    return f"{names.get(a, a)} → {names.get(b, b)} ({kind})", c.AGREEMENT_COLUMNS, c.grid_rows(rows, f)


# --- callbacks ---------------------------------------------------------------------------------------
clientside_callback(
    ClientsideFunction(namespace="stance", function_name="setAgreement"),  # ?n=30&add=a,b
    Output(ids.AG_ADD, "title"), Input(ids.AG_TOP, "value"), Input(ids.AG_ADD, "value"),
)


def _size(top, add) -> tuple[int, tuple[str, ...]]:
    return (top if top in TOP_CHOICES else DEFAULT_TOP), tuple(sorted(set(add or [])))


@callback(Output(ids.AG_MATRIX, "figure"), Input(ids.FILTERS, "data"), Input(ids.AG_KIND, "value"),
          Input(ids.AG_TOP, "value"), Input(ids.AG_ADD, "value"))
@state.cached
def update_matrix(filters, kind, top, add):
    return matrix_view(state.current(), Filters.from_dict(filters), kind, *_size(top, add))


@callback(Output(ids.AG_NETWORK, "figure"), Input(ids.FILTERS, "data"), Input(ids.AG_TOP, "value"),
          Input(ids.AG_ADD, "value"))
@state.cached
def update_network(filters, top, add):
    return network_view(state.current(), Filters.from_dict(filters), *_size(top, add))


@callback(Output(ids.AG_ALIGNMENT, "figure"), Output(ids.grid(ids.AG_CAMPS), "columnDefs"),
          Output(ids.grid(ids.AG_CAMPS), "rowData"), Input(ids.FILTERS, "data"), Input(ids.AG_TOP, "value"),
          Input(ids.AG_ADD, "value"))
@state.cached
def update_alignment(filters, top, add):
    st, f = state.current(), Filters.from_dict(filters)
    return alignment_view(st, f, *_size(top, add)), *camps_view(st, f, *_size(top, add))


@callback(Output(ids.grid(ids.AG_CONTESTED), "rowData"), Input(ids.FILTERS, "data"), Input(ids.AG_TOP, "value"),
          Input(ids.AG_ADD, "value"))
@state.cached
def update_contested(filters, top, add):
    return contested_view(state.current(), Filters.from_dict(filters), *_size(top, add))


@callback(
    Output(ids.AG_SELECTION, "children"), Output(ids.grid(ids.AG_STATEMENTS), "columnDefs"),
    Output(ids.grid(ids.AG_STATEMENTS), "rowData"),
    Input(ids.AG_MATRIX, "clickData"), Input(ids.AG_NETWORK, "clickData"), Input(ids.AG_ALIGNMENT, "clickData"),
    Input(ids.FILTERS, "data"), Input(ids.AG_KIND, "value"),
)
def update_selection(matrix, network, alignment, filters, kind):
    source = ctx.triggered_id if ctx.triggered_id in (ids.AG_MATRIX, ids.AG_NETWORK, ids.AG_ALIGNMENT) else None
    click = {ids.AG_MATRIX: matrix, ids.AG_NETWORK: network, ids.AG_ALIGNMENT: alignment}.get(source)
    return selection_view(state.current(), Filters.from_dict(filters), kind, source, click)
