"""Search: statements by meaning (embeddings), by words, or both, under the global filters.
The query, its mode and the page of results live in the URL (/search?q=border&mode=words&page=2),
so a search can be shared as a link."""
from __future__ import annotations

import math

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, ctx, dcc, html

from dashboard import components as c
from dashboard import ids, state
from dashboard.search import MODES, run_search
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/search", name="Search", order=4, title="Stance · Search")

PAGE_SIZE = 25
MAX_RESULTS = 200  # the best 200 matches, in pages of PAGE_SIZE
MODE_OPTIONS = [{"label": "By meaning", "value": "meaning"}, {"label": "By words", "value": "words"},
                {"label": "Meaning, among texts containing the words", "value": "both"}]
COLUMNS = [
    c.col("rank", "#", maxWidth=70), c.col("score", "Similarity", valueFormatter=c.NUMBER_2, maxWidth=120),
    c.col("speaker", "Speaker"), c.col("topic", "Topic", maxWidth=130),
    c.col("stance", "Stance", cellStyle=c.STANCE_STYLE, maxWidth=110),
    c.col("confidence", "Confidence", valueFormatter=c.NUMBER_2, maxWidth=120),
    c.col("published", "Date", maxWidth=120), c.text_col(), c.col("outlet", "Source"), c.col("kind", "Kind"),
    c.open_col(),
]


def layout(q: str | None = None, mode: str | None = None, page: str | None = None, **_):  # noqa: A002
    mode = mode if mode in MODES else "meaning"
    return c.page(
        "Search", "Search by meaning uses the warehouse's embedding model; search by words matches the text, "
                  "ignoring case. Both respect the filters above. The address bar keeps the query, so a search "
                  "can be shared as a link.",
        dbc.Row([
            dbc.Col(dbc.Input(id=ids.SE_TEXT, value=(q or "")[:500], placeholder="e.g. secure the border",
                              debounce=True, maxLength=500), md=6),
            dbc.Col(dcc.RadioItems(id=ids.SE_MODE, options=MODE_OPTIONS, value=mode, inline=True,
                                   inputClassName="me-1", labelClassName="me-3"), md=5),
            dbc.Col(dbc.Button("Search", id=ids.SE_GO, color="primary"), md=1),
        ], class_name="mb-2 align-items-center"),
        dcc.Loading(html.Div(id=ids.SE_STATUS, className="text-muted mb-2")),
        dbc.Pagination(id=ids.SE_PAGE, max_value=1, active_page=_page(page), fully_expanded=False,
                       previous_next=True, size="sm", class_name="mb-2"),
        c.card(None, c.grid(ids.SE_RESULTS, COLUMNS, height=640)),
    )


def _page(value) -> int:
    try:
        return max(1, min(MAX_RESULTS // PAGE_SIZE, int(value)))
    except (TypeError, ValueError):
        return 1


def results_view(st: AppState, f: Filters, text: str | None, mode: str, page: int = 1) -> tuple[str, list, int]:
    """(status line, grid rows of the page, number of pages)."""
    if not (text or "").strip():
        return "Type a query and press Enter.", [], 1
    if mode != "words" and not q.embedding_model(st.reader):
        return "This warehouse has no embeddings; search by words instead.", [], 1
    rows = st.memo("search", (f, text.strip(), mode),
                   lambda: run_search(st.reader, st.index, f, text, mode, MAX_RESULTS))
    if not rows:
        return "Nothing matches. Try other words, search by meaning, or widen the filters.", [], 1
    pages = math.ceil(len(rows) / PAGE_SIZE)
    page = min(max(1, page), pages)
    first = (page - 1) * PAGE_SIZE
    shown = [{**r, "rank": first + i + 1} for i, r in enumerate(rows[first:first + PAGE_SIZE])]
    how = " (by meaning)" if mode != "words" else ", newest first"
    return (f"{len(rows)} best matches{how}; {first + 1}–{first + len(shown)} shown", c.grid_rows(shown, f),
            pages)


clientside_callback(
    ClientsideFunction(namespace="stance", function_name="setSearch"),  # ?q=...&mode=...&page=...
    Output(ids.SE_GO, "title"), Input(ids.SE_TEXT, "value"), Input(ids.SE_MODE, "value"),
    Input(ids.SE_PAGE, "active_page"),
)


@callback(
    Output(ids.SE_STATUS, "children"), Output(ids.grid(ids.SE_RESULTS), "rowData"),
    Output(ids.SE_PAGE, "max_value"), Output(ids.SE_PAGE, "active_page"),
    Input(ids.SE_GO, "n_clicks"), Input(ids.SE_TEXT, "value"), Input(ids.SE_MODE, "value"),
    Input(ids.SE_PAGE, "active_page"), Input(ids.FILTERS, "data"),
)
def update_results(_clicks, text, mode, page, filters):
    if ctx.triggered_id in (ids.SE_TEXT, ids.SE_MODE, ids.SE_GO):  # a new query starts at its first page
        page = 1
    status, rows, pages = results_view(state.current(), Filters.from_dict(filters), text, mode, page or 1)
    return status, rows, pages, min(page or 1, pages)

