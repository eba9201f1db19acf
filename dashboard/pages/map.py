"""Map: statements laid out by meaning (a UMAP layout of their embeddings, made by the ETL),
with clusters of similar statements labelled by their most distinctive words."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, ctx, dcc, html

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/map", name="Map", order=6, title="Stance · Map")

SAMPLE = 6_000  # points drawn (a fixed pseudo-random sample of the filtered statements)
HINT = "Click a point or a row of the cluster table to list the statements of its cluster."
COLOR_OPTIONS = [{"label": "Cluster", "value": "cluster"}, {"label": "Topic", "value": "topic"},
                 {"label": "Stance", "value": "stance"}]
CLUSTER_COLUMNS = [
    c.col("label", "Cluster", minWidth=220), c.col("n", "Statements", maxWidth=120, type="rightAligned"),
    c.col("speakers", "Speakers", maxWidth=110), c.col("top_topic", "Main topic", maxWidth=140),
    c.col("net_text", "Net stance (95% interval)", minWidth=170), c.col("keywords", "Keywords", flex=2, minWidth=240),
]


def layout(**_):
    return c.page(
        "Map", f"Up to {SAMPLE:,} statements matching the filters, placed by the meaning of their text: nearby "
               "points say similar things. Clusters are dense areas of the map, labelled with the words that set "
               "them apart (in each cluster's main language). Positions never move when new documents arrive.",
        dbc.Row([dbc.Col(html.Div(id=ids.MAP_STATUS, className="text-muted"), md=8),
                 dbc.Col(dcc.RadioItems(id=ids.MAP_COLOR, options=COLOR_OPTIONS, value="cluster", inline=True,
                                        inputClassName="me-1", labelClassName="me-3"), md=4)],
                class_name="mb-2"),
        c.chart(ids.MAP_GRAPH),
        c.card("Clusters", c.grid(ids.MAP_CLUSTERS, CLUSTER_COLUMNS, height=320, row_selection="single"),
               caption="Statements per cluster under the filters; net stance with its 95% interval."),
        c.selection(ids.MAP_SELECTION, ids.MAP_STATEMENTS, c.STATEMENT_COLUMNS, HINT),
    )


def cluster_names(st: AppState, points: list[dict]) -> dict[int, str]:
    """A label per cluster, in the language most of its drawn points are in."""
    labels = st.memo("cluster-labels", None, lambda: q.cluster_labels(st.reader))
    languages: dict[int, dict[str, int]] = {}
    for p in points:
        if p["cluster"] is not None:
            counts = languages.setdefault(p["cluster"], {})
            lang = (p["language"] or "und").split("-")[0]
            counts[lang] = counts.get(lang, 0) + 1
    return {cluster: _label(labels.get(cluster, {}), counts) for cluster, counts in languages.items()}


def _label(by_language: dict[str, dict], counts: dict[str, int]) -> str:
    for lang in sorted(counts, key=lambda k: -counts[k]):
        if lang in by_language:
            return by_language[lang]["label"]
    if by_language:  # keywords exist only in other languages
        return max(by_language.values(), key=lambda r: r["segments"])["label"]
    return ""


def map_view(st: AppState, f: Filters, color: str = "cluster"):
    """(status line, figure)."""
    if not q.embedding_model(st.reader):
        return "", figures.empty("This warehouse has no embeddings yet.")
    if not q.has_layout(st.reader):
        return "", figures.empty("No map yet: the ETL lays the map out once the warehouse holds 50 embedded "
                                 "segments (or run `stance layout --db FILE`).")
    points = q.map_sample(st.reader, f, SAMPLE)
    texts = q.segment_texts(st.reader, [p["segment_id"] for p in points], chars=140)
    for p in points:
        p["text"] = texts.get(p["segment_id"])
    names = cluster_names(st, points)
    status = f"{len(points):,} statements drawn" + (" (a sample)" if len(points) == SAMPLE else "")
    status += f" · {len(names):,} clusters"
    return status, figures.embedding_map(points, names, color)


def clusters_view(st: AppState, f: Filters) -> list[dict]:
    if not q.has_layout(st.reader):
        return []
    labels = st.memo("cluster-labels", None, lambda: q.cluster_labels(st.reader))
    rows = q.cluster_table(st.reader, f)
    for r in rows:
        by_language = labels.get(r["cluster"], {})
        lang = (r["language"] or "und").split("-")[0]
        best = by_language.get(lang) or (max(by_language.values(), key=lambda x: x["segments"]) if by_language else {})
        r["label"] = best.get("label") or f"cluster {r['cluster']}"
        r["keywords"] = ", ".join(best.get("keywords") or [])
        r["net_text"] = figures.net_text(r)
        r["_row_id"] = str(r["cluster"])
    return rows


def selection_view(st: AppState, f: Filters, source: str | None, click: dict | None, selected: list | None):
    """(caption, rows) for a click on a point or a cluster row."""
    cluster, label = None, None
    if source == ids.MAP_GRAPH and figures.clicked(click):
        data = figures.clicked(click)
        cluster, label = (data[4] if len(data) > 4 else None), data[5] if len(data) > 5 else None
    elif source == ids.grid(ids.MAP_CLUSTERS) and selected:
        cluster, label = selected[0]["cluster"], selected[0]["label"]
    if cluster is None:
        return HINT, []
    rows = q.statements(st.reader, f, cluster=int(cluster), limit=200)
    n = q.count_statements(st.reader, f, cluster=int(cluster))
    return f"Cluster “{label}”: {n:,} statements (newest {min(n, 200)} shown)", c.grid_rows(rows, f)


@callback(Output(ids.MAP_STATUS, "children"), Output(ids.MAP_GRAPH, "figure"),
          Input(ids.FILTERS, "data"), Input(ids.MAP_COLOR, "value"))
@state.cached
def update_map(filters, color):
    return map_view(state.current(), Filters.from_dict(filters), color or "cluster")


@callback(Output(ids.grid(ids.MAP_CLUSTERS), "rowData"), Input(ids.FILTERS, "data"))
@state.cached
def update_clusters(filters):
    return clusters_view(state.current(), Filters.from_dict(filters))


@callback(Output(ids.MAP_SELECTION, "children"), Output(ids.grid(ids.MAP_STATEMENTS), "rowData"),
          Input(ids.MAP_GRAPH, "clickData"), Input(ids.grid(ids.MAP_CLUSTERS), "selectedRows"),
          Input(ids.FILTERS, "data"))
def update_selection(click, selected, filters):
    source = ctx.triggered_id if ctx.triggered_id != ids.FILTERS else None
    return selection_view(state.current(), Filters.from_dict(filters), source, click, selected)
