"""Agreement figures: the matrix, the network and the stance alignment."""
from __future__ import annotations

import numpy as np

from dashboard.figures.common import (AGAINST, FAVOR, KEY_SEP, NET_SCALE, OKABE_ITO, SIMILARITY_SCALE, empty, esc,
                                      Figure, _layout, net_text, sparse_overlay, trace, unique_labels)


def agreement_heatmap(rows: list[dict], kind: str, order: list[str] | None = None) -> Figure:
    """Net agreement from each speaker (row) toward each target (column), in `order` (default:
    most labelled first); cells too sparse to say anything are washed grey."""
    title = f"{'Reply' if kind == 'reply' else 'Reported'} agreement: speaker (row) toward target (column)"
    if not rows:
        return empty("No agreement labels match these filters.", title)
    people = {r["speaker_id"]: r["speaker"] for r in rows} | {r["target_speaker_id"]: r["target"] for r in rows}
    activity: dict[str, int] = {}
    for r in rows:
        for k in (r["speaker_id"], r["target_speaker_id"]):
            activity[k] = activity.get(k, 0) + r["n"]
    order = [k for k in (order or []) if k in people] or sorted(people, key=lambda k: (-activity[k], k))
    labels = dict(zip(order, unique_labels([people[k] or "" for k in order], order)))
    cell = {(r["speaker_id"], r["target_speaker_id"]): r for r in rows}
    grid = [[cell.get((a, b)) for b in order] for a in order]
    x = [labels[k] for k in order]
    hover = [[f"<b>{labels[a]}</b> → <b>{labels[b]}</b><br>" + (
        f"{r['n']} labelled: {r['agree']} agree, {r['disagree']} disagree<br>net {net_text(r)}, 95% interval"
        + ("<br>? too few to say anything" if r["sparse"] else "") if r else "no labels")
        for b, r in zip(order, line)] for a, line in zip(order, grid)]
    fig = Figure(trace("heatmap",
        z=[[r["net"] if r else None for r in line] for line in grid], x=x, y=x,
        text=[[("" if not r else f"{r['n']}?" if r["sparse"] else str(r["n"])) for r in line] for line in grid],
        texttemplate="%{text}", customdata=[[f"{a}{KEY_SEP}{b}" for b in order] for a in order], hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>", colorscale=NET_SCALE, zmin=-1, zmax=1, xgap=1, ygap=1,
        hoverongaps=False, colorbar={"title": {"text": "net agreement"}, "tickvals": [-1, 0, 1],
                                     "ticktext": ["−1 disagree", "0", "+1 agree"]},
    ))
    fig.add_trace(sparse_overlay(grid, x, x))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-45)
    return _layout(fig, title, "target", "speaker (most labelled first)", height=max(380, 22 * len(order) + 200))


def agreement_network(nodes: list[dict], edges: list[dict], camp_names: dict[int, str]) -> Figure:
    """Speakers placed by stance alignment (similar profiles close), coloured by camp;
    edges = reply agreement, blue agree / vermillion disagree, width = number of replies."""
    title = "Agreement network (position: stance alignment; colour: camp)"
    if not nodes:
        return empty("Not enough speakers with statements on several topics.", title)
    pos = {n["speaker_id"]: (n["x"], n["y"]) for n in nodes}
    fig = Figure()
    top = max((e["n"] for e in edges), default=1)
    for label, color in (("agree", FAVOR), ("disagree", AGAINST)):
        for width in range(1, 6):  # one trace per line width keeps the figure small
            part = [e for e in edges if (e["net"] >= 0) == (label == "agree") and 1 + int(4 * e["n"] / top) == width]
            xs = [v for e in part for v in (pos[e["speaker_id"]][0], pos[e["target_speaker_id"]][0], None)]
            ys = [v for e in part for v in (pos[e["speaker_id"]][1], pos[e["target_speaker_id"]][1], None)]
            fig.add_trace(trace("scatter", x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                     line={"color": color, "width": width}, opacity=0.45))
        mids = [e for e in edges if (e["net"] >= 0) == (label == "agree")]
        fig.add_trace(trace("scatter",   # clickable midpoints of the edges
            x=[(pos[e["speaker_id"]][0] + pos[e["target_speaker_id"]][0]) / 2 for e in mids],
            y=[(pos[e["speaker_id"]][1] + pos[e["target_speaker_id"]][1]) / 2 for e in mids],
            mode="markers", name=f"{label} (edge)", marker={"color": color, "size": 7, "symbol": "diamond"},
            customdata=[["edge", e["speaker_id"], e["target_speaker_id"], esc(e["speaker"]), esc(e["target"]),
                         e["n"], e["net"]] for e in mids],
            hovertemplate="%{customdata[3]} → %{customdata[4]}<br>%{customdata[5]} replies, net "
                          "%{customdata[6]:.2f}<extra></extra>",
        ))
    for camp in sorted({n["camp"] for n in nodes}):
        members = [n for n in nodes if n["camp"] == camp]
        fig.add_trace(trace("scatter",
            x=[n["x"] for n in members], y=[n["y"] for n in members], mode="markers+text",
            name=esc(camp_names.get(camp, f"camp {camp + 1}")), text=[esc(n["name"]) for n in members],
            textposition="top center", textfont={"size": 10},
            marker={"size": 14, "color": OKABE_ITO[camp % len(OKABE_ITO)], "line": {"width": 1, "color": "#333"}},
            customdata=[["node", n["speaker_id"], esc(n["name"])] for n in members],
            hovertemplate="<b>%{customdata[2]}</b><extra></extra>",
        ))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return _layout(fig, title, height=560, legend={"orientation": "h", "y": -0.02, "yanchor": "top"})


def alignment_heatmap(speaker_ids: list[str], names: list[str], sim: np.ndarray, camps: np.ndarray) -> Figure:
    title = "Stance alignment (cosine similarity of per-topic net stance), grouped by camp"
    if not len(speaker_ids):
        return empty("Not enough speakers with statements on several topics.", title)
    order = np.argsort(camps, kind="stable")
    labels = unique_labels([names[i] for i in order], [speaker_ids[i] for i in order])
    fig = Figure(trace("heatmap",
        z=sim[np.ix_(order, order)], x=labels, y=labels, colorscale=SIMILARITY_SCALE, zmin=-1, zmax=1,
        customdata=[[f"{speaker_ids[i]}{KEY_SEP}{speaker_ids[j]}" for j in order] for i in order],
        colorbar={"title": {"text": "alignment"}, "tickvals": [-1, 0, 1], "ticktext": ["−1 opposed", "0", "+1 aligned"]},
        hovertemplate="%{y} ↔ %{x}<br>alignment %{z:.2f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "speaker", "speaker", height=max(380, 20 * len(order) + 160))
