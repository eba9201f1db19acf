"""Plotly figures built from query results (lists of dicts). No data access here.

Colours are colour-blind safe (Okabe-Ito) and mean the same everywhere: favor / agree
blue, against / disagree vermillion, none / neutral grey. Plotly renders a few HTML
tags in labels and hover text, so every string from the data goes through `esc`;
marks carry ids in customdata for click-through.
"""
from __future__ import annotations

import datetime as dt
import html
import math

import numpy as np
import plotly.graph_objects as go

FAVOR, AGAINST, NONE = "#0072B2", "#D55E00", "#999999"
STANCE_COLORS = {"favor": FAVOR, "against": AGAINST, "none": NONE}
AGREEMENT_COLORS = {"agree": FAVOR, "disagree": AGAINST, "neutral": NONE}
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
NET_SCALE = [[0.0, AGAINST], [0.5, "#F7F7F7"], [1.0, FAVOR]]
SIMILARITY_SCALE = [[0.0, AGAINST], [0.5, "#F7F7F7"], [1.0, "#009E73"]]
SYMBOLS = ["circle", "square", "diamond", "cross", "x", "triangle-up", "triangle-down", "star"]
SPARSE = 5  # cells with fewer statements are marked


KEY_SEP = "\u001f"  # joins ids in a heatmap cell's customdata (heatmaps take one value per cell)


def clicked(click: dict | None) -> list | None:
    """The ids a click carries (customdata), as a list; None when it carries none."""
    try:
        data = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    return data.split(KEY_SEP) if isinstance(data, str) else data


def esc(value) -> str:
    """Text from the data, safe for Plotly labels and hover text."""
    return html.escape("" if value is None else str(value), quote=False)


def short(text: str | None, n: int = 160) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def topic_colors(topics) -> dict[str, str]:
    """A fixed colour per topic (alphabetical order), grey for 'other'."""
    names = sorted(t for t in set(topics) if t != "other")
    colors = {t: OKABE_ITO[i % len(OKABE_ITO)] for i, t in enumerate(names)}
    colors["other"] = "#BBBBBB"
    return colors


def unique_labels(names: list[str], keys: list[str]) -> list[str]:
    """Escaped display names, with the key added where two people share a name."""
    keys_of: dict[str, set] = {}
    for n, k in zip(names, keys):
        keys_of.setdefault(n, set()).add(k)
    return [esc(n if len(keys_of[n]) == 1 else f"{n} ({k})") for n, k in zip(names, keys)]


def _layout(fig: go.Figure, title: str, x: str | None = None, y: str | None = None, height: int = 420,
            **kw) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"}, template="plotly_white", height=height,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, font={"size": 12},
                      hoverlabel={"align": "left", "bgcolor": "white"}, clickmode="event", **kw)
    if x is not None:
        fig.update_xaxes(title_text=x, automargin=True)
    if y is not None:
        fig.update_yaxes(title_text=y, automargin=True)
    return fig


def empty(message: str, title: str = "") -> go.Figure:
    """A blank chart that says why it is blank and what to try."""
    fig = go.Figure()
    fig.add_annotation(text=esc(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#555"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=260)


NO_ROWS = "No statements match these filters. Widen the date range or clear some filters."


# --- overview ----------------------------------------------------------------------------------
def speaker_topic_heatmap(rows: list[dict]) -> go.Figure:
    """Speakers x topics; colour = net stance, text = number of statements (* = sparse)."""
    title = "Net stance by speaker and topic"
    if not rows:
        return empty(NO_ROWS, title)
    speakers = list(dict.fromkeys(r["speaker_id"] for r in rows))
    names = {r["speaker_id"]: r["speaker"] or r["speaker_id"] for r in rows}
    topics = sorted({r["topic"] for r in rows}, key=lambda t: (t == "other", t))
    cell = {(r["speaker_id"], r["topic"]): r for r in rows}
    z = [[cell[(s, t)]["net"] if (s, t) in cell else None for t in topics] for s in speakers]
    text = [[_cell_text(cell.get((s, t))) for t in topics] for s in speakers]
    hover = [[_cell_hover(cell.get((s, t)), names[s], t) for t in topics] for s in speakers]
    keys = [[f"{s}{KEY_SEP}{t}" for t in topics] for s in speakers]
    labels = unique_labels([names[s] for s in speakers], speakers)
    fig = go.Figure(go.Heatmap(
        z=z, x=[esc(t) for t in topics], y=labels, text=text, texttemplate="%{text}", customdata=keys,
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        colorscale=NET_SCALE, zmin=-1, zmax=1, xgap=1, ygap=1, hoverongaps=False,
        colorbar={"title": {"text": "net stance"}, "tickvals": [-1, 0, 1], "ticktext": ["−1 against", "0", "+1 favor"]},
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "topic", "speaker (most statements first)", height=max(360, 26 * len(speakers) + 120))


def _cell_text(r: dict | None) -> str:
    if not r:
        return ""
    return f"{r['n']}*" if r["n"] < SPARSE else str(r["n"])


def _cell_hover(r: dict | None, name: str, topic: str) -> str:
    if not r:
        return f"<b>{esc(name)}</b> on {esc(topic)}: no statements"
    sparse = f"<br>* sparse: fewer than {SPARSE} statements" if r["n"] < SPARSE else ""
    return (f"<b>{esc(name)}</b> on {esc(topic)}<br>{r['n']} statements: {r['favor']} favor, {r['against']} against"
            f"<br>net stance {r['net']:+.2f}{sparse}")


def topic_share_lines(rows: list[dict], bucket: str) -> go.Figure:
    """Share of all statements per period that are on each topic."""
    title = f"Topic share of all statements per {bucket}"
    if not rows:
        return empty(NO_ROWS, title)
    colors = topic_colors(r["topic"] for r in rows)
    fig = go.Figure()
    for topic in sorted({r["topic"] for r in rows}, key=lambda t: (t == "other", t)):
        pts = [r for r in rows if r["topic"] == topic]
        fig.add_trace(go.Scatter(
            x=[r["period"] for r in pts], y=[100 * r["share"] for r in pts], name=esc(topic), mode="lines+markers",
            line={"color": colors[topic], "width": 2}, marker={"size": 6},
            customdata=[[topic, _iso(r["period"]), r["n"], r["total"]] for r in pts],
            hovertemplate=f"<b>{esc(topic)}</b> %{{x|%Y-%m-%d}}<br>%{{y:.1f}}% of statements "
                          "(%{customdata[2]} of %{customdata[3]})<extra></extra>",
        ))
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    return _layout(fig, title, "period", "share of statements", legend_title_text="topic")


def top_speakers_bars(rows: list[dict]) -> go.Figure:
    """The most active speakers per topic; colour = their net stance on it."""
    title = "Top speakers per topic"
    if not rows:
        return empty(NO_ROWS, title)
    rows = sorted(rows, key=lambda r: ((r["topic"] == "other"), r["topic"], -r["n"]))
    fig = go.Figure(go.Bar(
        y=[[esc(r["topic"]) for r in rows], unique_labels([r["speaker"] or "" for r in rows],
                                                          [r["speaker_id"] for r in rows])],
        x=[r["n"] for r in rows], orientation="h",
        marker={"color": [r["net"] for r in rows], "colorscale": NET_SCALE, "cmin": -1, "cmax": 1,
                "colorbar": {"title": {"text": "net stance"}, "tickvals": [-1, 0, 1]}},
        customdata=[[r["speaker_id"], r["topic"], esc(r["speaker"]), r["net"]] for r in rows],
        hovertemplate="<b>%{customdata[2]}</b> on %{customdata[1]}<br>%{x} statements, net stance "
                      "%{customdata[3]:.2f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "statements", None, height=max(360, 20 * len(rows) + 100))


def _iso(value) -> str | None:
    return value.isoformat()[:10] if isinstance(value, (dt.date, dt.datetime)) else value


# --- speaker -------------------------------------------------------------------------------------
def speaker_stance_lines(rows: list[dict], name: str, bucket: str) -> go.Figure:
    title = f"Net stance of {esc(name)} per topic and {bucket}"
    if not rows:
        return empty("No statements by this speaker under these filters.", title)
    colors = topic_colors(r["topic"] for r in rows)
    fig = go.Figure()
    for topic in sorted({r["topic"] for r in rows}, key=lambda t: (t == "other", t)):
        pts = [r for r in rows if r["topic"] == topic]
        fig.add_trace(go.Scatter(
            x=[r["period"] for r in pts], y=[r["net"] for r in pts], name=esc(topic), mode="lines+markers",
            line={"color": colors[topic]},
            marker={"size": [min(22, 5 + 2 * math.sqrt(r["n"])) for r in pts], "color": colors[topic]},
            customdata=[[topic, _iso(r["period"]), r["n"], r["favor"], r["against"]] for r in pts],
            hovertemplate=f"<b>{esc(topic)}</b> %{{x|%Y-%m-%d}}<br>net stance %{{y:.2f}} from %{{customdata[2]}} "
                          "statements (%{customdata[3]} favor, %{customdata[4]} against)<extra></extra>",
        ))
    fig.update_yaxes(range=[-1.05, 1.05], zeroline=True, zerolinecolor="#888")
    return _layout(fig, title, "period", "net stance (−1 against … +1 favor)", legend_title_text="topic")


def partners_bars(rows: list[dict], name: str) -> go.Figure:
    title = f"Whom {esc(name)} agrees and disagrees with"
    if not rows:
        return empty("No labelled replies or reported agreement for this speaker.", title)
    labels = unique_labels([r["other"] or "" for r in rows], [r["other_id"] for r in rows])
    fig = go.Figure()
    for label, sign in (("agree", 1), ("neutral", 1), ("disagree", -1)):
        fig.add_trace(go.Bar(
            y=labels, x=[sign * r[label] for r in rows], name=label, orientation="h",
            marker_color=AGREEMENT_COLORS[label],
            customdata=[[r["other_id"], label, r[label]] for r in rows],
            hovertemplate=f"%{{y}}: %{{customdata[2]}} {label}<extra></extra>",
        ))
    fig.update_layout(barmode="relative")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "replies and reported agreement (disagree ← → agree)", None,
                   height=max(320, 22 * len(rows) + 120), legend_title_text="label")


# --- agreement -----------------------------------------------------------------------------------
def agreement_heatmap(rows: list[dict], kind: str) -> go.Figure:
    title = f"{'Reply' if kind == 'reply' else 'Reported'} agreement: speaker (row) toward target (column)"
    if not rows:
        return empty("No agreement labels match these filters.", title)
    people = {r["speaker_id"]: r["speaker"] for r in rows} | {r["target_speaker_id"]: r["target"] for r in rows}
    order = sorted(people, key=lambda k: (people[k] or "", k))
    labels = dict(zip(order, unique_labels([people[k] or "" for k in order], order)))
    cell = {(r["speaker_id"], r["target_speaker_id"]): r for r in rows}
    z = [[cell[(a, b)]["net"] if (a, b) in cell else None for b in order] for a in order]
    text = [[str(cell[(a, b)]["n"]) if (a, b) in cell else "" for b in order] for a in order]
    hover = [[f"<b>{labels[a]}</b> → <b>{labels[b]}</b><br>" + (
        f"{cell[(a, b)]['n']} labelled: {cell[(a, b)]['agree']} agree, {cell[(a, b)]['disagree']} disagree"
        if (a, b) in cell else "no labels") for b in order] for a in order]
    fig = go.Figure(go.Heatmap(
        z=z, x=[labels[k] for k in order], y=[labels[k] for k in order], text=text, texttemplate="%{text}",
        customdata=[[f"{a}{KEY_SEP}{b}" for b in order] for a in order], hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>", colorscale=NET_SCALE, zmin=-1, zmax=1, xgap=1, ygap=1,
        hoverongaps=False, colorbar={"title": {"text": "net agreement"}, "tickvals": [-1, 0, 1],
                                     "ticktext": ["−1 disagree", "0", "+1 agree"]},
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "target", "speaker", height=max(380, 22 * len(order) + 160))


def agreement_network(nodes: list[dict], edges: list[dict], camp_names: dict[int, str]) -> go.Figure:
    """Speakers placed by stance alignment (similar profiles close), coloured by camp;
    edges = reply agreement, blue agree / vermillion disagree, width = number of replies."""
    title = "Agreement network (position: stance alignment; colour: camp)"
    if not nodes:
        return empty("Not enough speakers with statements on several topics.", title)
    pos = {n["speaker_id"]: (n["x"], n["y"]) for n in nodes}
    fig = go.Figure()
    top = max((e["n"] for e in edges), default=1)
    for label, color in (("agree", FAVOR), ("disagree", AGAINST)):
        for width in range(1, 6):  # one trace per line width keeps the figure small
            part = [e for e in edges if (e["net"] >= 0) == (label == "agree") and 1 + int(4 * e["n"] / top) == width]
            xs = [v for e in part for v in (pos[e["speaker_id"]][0], pos[e["target_speaker_id"]][0], None)]
            ys = [v for e in part for v in (pos[e["speaker_id"]][1], pos[e["target_speaker_id"]][1], None)]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                     line={"color": color, "width": width}, opacity=0.45))
        mids = [e for e in edges if (e["net"] >= 0) == (label == "agree")]
        fig.add_trace(go.Scatter(  # clickable midpoints of the edges
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
        fig.add_trace(go.Scatter(
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


def alignment_heatmap(speaker_ids: list[str], names: list[str], sim: np.ndarray, camps: np.ndarray) -> go.Figure:
    title = "Stance alignment (cosine similarity of per-topic net stance), grouped by camp"
    if not len(speaker_ids):
        return empty("Not enough speakers with statements on several topics.", title)
    order = np.argsort(camps, kind="stable")
    labels = unique_labels([names[i] for i in order], [speaker_ids[i] for i in order])
    fig = go.Figure(go.Heatmap(
        z=sim[np.ix_(order, order)], x=labels, y=labels, colorscale=SIMILARITY_SCALE, zmin=-1, zmax=1,
        customdata=[[f"{speaker_ids[i]}{KEY_SEP}{speaker_ids[j]}" for j in order] for i in order],
        colorbar={"title": {"text": "alignment"}, "tickvals": [-1, 0, 1], "ticktext": ["−1 opposed", "0", "+1 aligned"]},
        hovertemplate="%{y} ↔ %{x}<br>alignment %{z:.2f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "speaker", "speaker", height=max(380, 20 * len(order) + 160))


# --- map ------------------------------------------------------------------------------------------
def embedding_map(points: list[dict], top_speakers: list[str], names: dict[str, str]) -> dict:
    """Segments by the first two principal components of their embeddings.

    Returned as a plain figure dict: Plotly's validation of ~10,000 points costs seconds."""
    title = f"Map of {len(points):,} statements by meaning (PCA of embeddings)"
    if not points:
        return empty("No embedded statements match these filters.", "Map of statements by meaning")
    colors = topic_colors(p["topic"] for p in points)
    symbol_of = {s: SYMBOLS[i + 1] for i, s in enumerate(top_speakers[: len(SYMBOLS) - 1])}
    traces = []
    for topic in sorted({p["topic"] for p in points}, key=lambda t: (t == "other", t)):
        pts = [p for p in points if p["topic"] == topic]
        traces.append({
            "type": "scattergl", "mode": "markers", "name": esc(topic),
            "x": [p["x"] for p in pts], "y": [p["y"] for p in pts],
            "marker": {"color": colors[topic], "size": 6, "opacity": 0.7,
                       "symbol": [symbol_of.get(p["speaker_id"], SYMBOLS[0]) for p in pts]},
            "customdata": [[p["segment_id"], esc(p["speaker"] or "narration"), esc(short(p.get("text"), 140)),
                            p["stance"]] for p in pts],
            "hovertemplate": f"<b>%{{customdata[1]}}</b> · {esc(topic)} · %{{customdata[3]}}<br>"
                             "%{customdata[2]}<extra></extra>",
        })
    for s, symbol in symbol_of.items():  # legend entries for the speaker symbols
        traces.append({"type": "scattergl", "x": [None], "y": [None], "mode": "markers",
                       "name": esc(names.get(s, s)), "marker": {"symbol": symbol, "color": "#444", "size": 8},
                       "legendgroup": "speakers", "legendgrouptitle": {"text": "speaker (symbol)"}})
    frame = _layout(go.Figure(), title, "component 1", "component 2", height=620, legend_title_text="topic (colour)")
    return {"data": traces, "layout": frame.to_plotly_json()["layout"]}


# --- runs ----------------------------------------------------------------------------------------
RUN_STATUS_COLORS = {"ok": "#009E73", "ok_with_rejects": "#E69F00", "failed": AGAINST, "running": "#56B4E9"}


def runs_bars(runs: list[dict]) -> go.Figure:
    title = "ETL runs: documents added and inputs rejected"
    if not runs:
        return empty("No ETL runs recorded in this warehouse yet.", title)
    runs = sorted(runs, key=lambda r: r["run_id"])
    x = [f"run {r['run_id']}" for r in runs]
    custom = [[r["run_id"], esc(r["status"]), esc(short(r.get("error") or "", 120))] for r in runs]
    fig = go.Figure([
        go.Bar(x=x, y=[r["added"] or 0 for r in runs], name="documents added", customdata=custom,
               marker_color=[RUN_STATUS_COLORS.get(r["status"], NONE) for r in runs],
               hovertemplate="%{x} (%{customdata[1]}): %{y} added<br>%{customdata[2]}<extra></extra>"),
        go.Bar(x=x, y=[r["rejected"] or 0 for r in runs], name="inputs rejected", customdata=custom,
               marker_color="#000000", hovertemplate="%{x}: %{y} rejected<extra></extra>"),
    ])
    return _layout(fig, title, "run (bar colour = status: green ok, orange with rejects, vermillion failed)",
                   "count", barmode="group")
