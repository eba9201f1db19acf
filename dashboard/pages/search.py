"""Search: statements by meaning (embeddings), by words, or both, under the global filters."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import components as c
from dashboard import ids, state
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/search", name="Search", order=3, title="Stance · Search")

LIMIT = 50
MODES = [{"label": "By meaning", "value": "meaning"}, {"label": "By words", "value": "words"},
         {"label": "Meaning, among texts containing the words", "value": "both"}]
COLUMNS = [
    c.col("score", "Similarity", valueFormatter=c.NUMBER_2, maxWidth=120), c.col("speaker", "Speaker"),
    c.col("topic", "Topic", maxWidth=130), c.col("stance", "Stance", cellStyle=c.STANCE_STYLE, maxWidth=110),
    c.col("confidence", "Confidence", valueFormatter=c.NUMBER_2, maxWidth=120),
    c.col("published", "Date", maxWidth=120), c.text_col(), c.col("outlet", "Source"), c.col("kind", "Kind"),
    c.open_col(),
]


def layout(**_):
    return c.page(
        "Search", "Search by meaning uses the warehouse's embedding model (the first search loads it, ~10 s); "
                  "search by words matches the text, ignoring case. Both respect the filters above.",
        dbc.Row([
            dbc.Col(dbc.Input(id=ids.SE_TEXT, placeholder="e.g. secure the border", debounce=True, maxLength=500),
                    md=6),
            dbc.Col(dcc.RadioItems(id=ids.SE_MODE, options=MODES, value="meaning", inline=True,
                                   inputClassName="me-1", labelClassName="me-3"), md=5),
            dbc.Col(dbc.Button("Search", id=ids.SE_GO, color="primary"), md=1),
        ], class_name="mb-2 align-items-center"),
        dcc.Loading(html.Div(id=ids.SE_STATUS, className="text-muted mb-2")),
        c.card(None, c.grid(ids.SE_RESULTS, COLUMNS, height=520)),
    )


def run_search(st: AppState, f: Filters, text: str, mode: str, limit: int = LIMIT) -> list[dict]:
    """Rows for a query: by meaning through the in-memory index, by words in DuckDB."""
    text = (text or "").strip()
    if mode == "words":
        return q.search(st.reader, f, keyword=text, limit=limit)
    keyword = text if mode == "both" else None
    vector = st.index.encode(text)
    allowed = q.matching_embedding_rows(st.reader, f, keyword)
    emb_rows, scores = st.index.top(vector, allowed, k=3 * limit)
    return q.search_results(st.reader, f, emb_rows.tolist(), scores.tolist())[:limit]


def results_view(st: AppState, f: Filters, text: str | None, mode: str) -> tuple[str, list[dict]]:
    if not (text or "").strip():
        return "Type a query and press Enter.", []
    if mode != "words" and not q.embedding_model(st.reader):
        return "This warehouse has no embeddings; search by words instead.", []
    rows = run_search(st, f, text, mode)
    if not rows:
        return "Nothing matches. Try other words, search by meaning, or widen the filters.", []
    return f"{len(rows)} best matches" + (" (by meaning)" if mode != "words" else ", newest first"), \
        c.grid_rows(rows, f)


@callback(
    Output(ids.SE_STATUS, "children"), Output(ids.grid(ids.SE_RESULTS), "rowData"),
    Input(ids.SE_GO, "n_clicks"), Input(ids.SE_TEXT, "value"), Input(ids.SE_MODE, "value"),
    Input(ids.FILTERS, "data"),
)
def update_results(_clicks, text, mode, filters):
    return results_view(state.current(), Filters.from_dict(filters), text, mode)
