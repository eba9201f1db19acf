"""Map: statements laid out by meaning (the first two principal components of their
embeddings), coloured by topic, shaped by speaker, under the global filters."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, html

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/map", name="Map", order=5, title="Stance · Map")

SAMPLE = 6_000  # points drawn (a fixed pseudo-random sample of the filtered statements)
HINT = "Click a point to show its statement."


def layout(**_):
    return c.page(
        "Map", f"Up to {SAMPLE:,} statements matching the filters, placed by the meaning of their text: nearby "
               "points say similar things. Axes are the two main directions of variation of all embeddings, so "
               "positions stay put when the filters change.",
        html.Div(id=ids.MAP_STATUS, className="text-muted mb-2"),
        c.chart(ids.MAP_GRAPH),
        c.selection(ids.MAP_SELECTION, ids.MAP_STATEMENTS, c.STATEMENT_COLUMNS, HINT),
    )


def map_view(st: AppState, f: Filters):
    """(status line, figure)."""
    if not q.embedding_model(st.reader):
        return "", figures.empty("This warehouse has no embeddings yet.")
    points = q.map_sample(st.reader, f, SAMPLE)
    xy = st.index.coordinates([p["emb_row"] for p in points])
    texts = q.segment_texts(st.reader, [p["segment_id"] for p in points], chars=140)
    for p, (x, y) in zip(points, xy):
        p.update(x=float(x), y=float(y), text=texts.get(p["segment_id"]))
    points = [p for p in points if p["x"] == p["x"]]  # drop any not in the index (NaN)
    counts: dict[str, int] = {}
    for p in points:
        if p["speaker_id"]:
            counts[p["speaker_id"]] = counts.get(p["speaker_id"], 0) + 1
    top = sorted(counts, key=lambda s: (-counts[s], s))[:7]
    status = f"{len(points):,} statements drawn" + (" (a sample)" if len(points) == SAMPLE else "")
    return status, figures.embedding_map(points, top, st.speaker_names())


def selection_view(st: AppState, click: dict | None, filters: Filters):
    data = figures.clicked(click)
    if not data:
        return HINT, []
    segment_id = data[0]
    rows = q.statements_by_id(st.reader, [segment_id])
    return "The statement you clicked (one row per topic)", c.grid_rows(rows, filters)


@callback(Output(ids.MAP_STATUS, "children"), Output(ids.MAP_GRAPH, "figure"), Input(ids.FILTERS, "data"))
def update_map(filters):
    return map_view(state.current(), Filters.from_dict(filters))


@callback(Output(ids.MAP_SELECTION, "children"), Output(ids.grid(ids.MAP_STATEMENTS), "rowData"),
          Input(ids.MAP_GRAPH, "clickData"), Input(ids.FILTERS, "data"))
def update_selection(click, filters):
    return selection_view(state.current(), click, Filters.from_dict(filters))
