"""The map: segments placed by meaning, coloured by cluster, topic or stance, clusters labelled."""
from __future__ import annotations

import numpy as np

from dashboard.figures.common import OKABE_ITO, STANCE_COLORS, empty, esc, Figure, _layout, short, topic_colors

CLUSTER_PALETTE = OKABE_ITO[:7] + ["#882255", "#44AA99", "#AA4499", "#117733", "#332288", "#DDCC77", "#88CCEE"]
MIN_LABELLED = 0.01  # clusters holding at least this share of the drawn points get a label on the map
MAX_LABELS = 25
LABEL_BOX = (0.16, 0.045)  # a label's room, as shares of the view's width and height
VIEW = (0.02, 0.98)  # the view spans these quantiles of the points (pan for the rest)


def embedding_map(points: list[dict], cluster_names: dict[int, str], color: str = "cluster") -> dict:
    """Segments on the map (UMAP layout), coloured by cluster, topic or stance; each large
    enough cluster labelled at its centre. customdata: [segment, speaker, text, stance,
    cluster, cluster label].

    Returned as a plain figure dict: Plotly's validation of ~10,000 points costs seconds."""
    title = f"Map of {len(points):,} statements by meaning"
    if not points:
        return empty("No statements on the map match these filters.", "Map of statements by meaning")
    groups = _map_groups(points, cluster_names, color)
    speakers = {s: esc(s or "narration") for s in {p["speaker"] for p in points}}
    clusters = {k: esc(cluster_names.get(k, "no cluster")) for k in {p["cluster"] for p in points}}
    traces = [{
        "type": "scattergl", "mode": "markers", "name": name, "x": [p["x"] for p in pts], "y": [p["y"] for p in pts],
        "marker": {"color": col, "size": 5, "opacity": 0.75},
        "customdata": [[p["segment_id"], speakers[p["speaker"]], esc(short(p.get("text"), 140)),
                        p["stance"], p["cluster"], clusters[p["cluster"]]] for p in pts],
        "hovertemplate": "<b>%{customdata[1]}</b> · %{customdata[3]}<br>%{customdata[2]}"
                         "<br><i>cluster: %{customdata[5]}</i><extra></extra>",
    } for name, col, pts in groups]
    frame = _layout(Figure(), title, None, None, height=680, legend_title_text=color,
                    showlegend=color != "cluster", dragmode="pan")
    layout = frame.to_plotly_json()["layout"]
    layout["annotations"] = _cluster_annotations(points, cluster_names)
    layout["xaxis"] = {**layout.get("xaxis", {}), "visible": False, "range": _view([p["x"] for p in points])}
    layout["yaxis"] = {**layout.get("yaxis", {}), "visible": False, "range": _view([p["y"] for p in points])}
    return {"data": traces, "layout": layout}


def _view(values: list[float]) -> list[float]:
    """An axis range around the central 96% of the points, so that a few far outliers (pan to
    them) do not shrink the map to a dot."""
    low, high = np.quantile(values, VIEW)
    pad = 0.05 * (high - low or 1.0)
    return [float(low - pad), float(high + pad)]


def _map_groups(points: list[dict], cluster_names: dict[int, str], color: str) -> list[tuple[str, str, list]]:
    """(legend name, colour, points) per trace."""
    by = {"stance": "stance", "topic": "topic"}.get(color, "cluster")
    members: dict = {}
    for p in points:
        members.setdefault(p[by], []).append(p)
    if color == "stance":
        return [(label, STANCE_COLORS[label], members.get(label, [])) for label in STANCE_COLORS]
    if color == "topic":
        colors = topic_colors(members)
        return [(esc(t), colors[t], members[t]) for t in sorted(colors, key=lambda t: (t == "other", t))
                if t in members]
    groups = [(esc(cluster_names[k] or f"cluster {k}"), CLUSTER_PALETTE[i % len(CLUSTER_PALETTE)], members.get(k, []))
              for i, k in enumerate(sorted(cluster_names))]
    return [("no cluster", "#CCCCCC", members.get(None, []))] + groups


def _cluster_annotations(points: list[dict], cluster_names: dict[int, str]) -> list[dict]:
    """Labels at the centres of the largest clusters on view, biggest first, leaving out one
    that would overlap a label already placed (its cluster is in the table and the hovers)."""
    if not points:
        return []
    xr, yr = _view([p["x"] for p in points]), _view([p["y"] for p in points])
    width, height = xr[1] - xr[0] or 1.0, yr[1] - yr[0] or 1.0
    by_cluster: dict[int, list[dict]] = {}
    for p in points:
        if p["cluster"] is not None and cluster_names.get(p["cluster"]):
            by_cluster.setdefault(p["cluster"], []).append(p)
    notes: list[dict] = []
    for k, pts in sorted(by_cluster.items(), key=lambda kv: -len(kv[1])):
        if len(pts) < max(3, MIN_LABELLED * len(points)) or len(notes) >= MAX_LABELS:
            continue
        x, y = float(np.median([p["x"] for p in pts])), float(np.median([p["y"] for p in pts]))
        if not (xr[0] <= x <= xr[1] and yr[0] <= y <= yr[1]):
            continue
        if any(abs(x - n["x"]) < LABEL_BOX[0] * width and abs(y - n["y"]) < LABEL_BOX[1] * height for n in notes):
            continue
        notes.append({"x": x, "y": y, "text": esc(cluster_names[k]), "showarrow": False,
                      "font": {"size": 11, "color": "#222"}, "bgcolor": "rgba(255,255,255,0.8)", "borderpad": 2,
                      "name": f"cluster-{k}"})
    return notes
