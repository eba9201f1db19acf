"""Overview figures: speaker x topic heatmap, topic share over time, top speakers per topic."""
from __future__ import annotations

from dashboard.figures.common import (KEY_SEP, NET_SCALE, NO_ROWS, empty, esc, Figure, _iso, _layout, net_text,
                                      period_series, sparse_overlay, topic_colors, trace, unique_labels)


def speaker_topic_heatmap(rows: list[dict]) -> Figure:
    """Speakers x topics; colour = net stance, text = number of statements; cells too sparse
    to say anything are washed grey and marked '?'."""
    title = "Net stance by speaker and topic"
    if not rows:
        return empty(NO_ROWS, title)
    speakers = list(dict.fromkeys(r["speaker_id"] for r in rows))
    names = {r["speaker_id"]: r["speaker"] or r["speaker_id"] for r in rows}
    topics = sorted({r["topic"] for r in rows}, key=lambda t: (t == "other", t))
    cell = {(r["speaker_id"], r["topic"]): r for r in rows}
    grid = [[cell.get((s, t)) for t in topics] for s in speakers]
    labels = unique_labels([names[s] for s in speakers], speakers)
    x = [esc(t) for t in topics]
    fig = Figure(trace("heatmap",
        z=[[r["net"] if r else None for r in line] for line in grid], x=x, y=labels,
        text=[[_cell_text(r) for r in line] for line in grid], texttemplate="%{text}",
        customdata=[[f"{s}{KEY_SEP}{t}" for t in topics] for s in speakers],
        hovertext=[[_cell_hover(r, names[s], t) for r, t in zip(line, topics)] for line, s in zip(grid, speakers)],
        hovertemplate="%{hovertext}<extra></extra>",
        colorscale=NET_SCALE, zmin=-1, zmax=1, xgap=1, ygap=1, hoverongaps=False,
        colorbar={"title": {"text": "net stance"}, "tickvals": [-1, 0, 1], "ticktext": ["−1 against", "0", "+1 favor"]},
    ))
    fig.add_trace(sparse_overlay(grid, x, labels))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "topic", "speaker (most statements first)", height=max(360, 26 * len(speakers) + 120))


def _cell_text(r: dict | None) -> str:
    if not r:
        return ""
    return f"{r['n']}?" if r["sparse"] else str(r["n"])


def _cell_hover(r: dict | None, name: str, topic: str) -> str:
    if not r:
        return f"<b>{esc(name)}</b> on {esc(topic)}: no statements"
    sparse = "<br>? too few statements to say anything" if r["sparse"] else ""
    return (f"<b>{esc(name)}</b> on {esc(topic)}<br>{r['n']} statements: {r['favor']} favor, {r['against']} against"
            f"<br>net stance {net_text(r)}, 95% interval{sparse}")


def topic_share_lines(rows: list[dict], bucket: str) -> Figure:
    """Share of all statements per period that are on each topic; a break in a line is a
    period without any statements."""
    title = f"Topic share of all statements per {bucket}"
    if not rows:
        return empty(NO_ROWS, title)
    colors = topic_colors(r["topic"] for r in rows)
    fig = Figure()
    for topic in sorted({r["topic"] for r in rows}, key=lambda t: (t == "other", t)):
        pts = period_series([r for r in rows if r["topic"] == topic], bucket)
        fig.add_trace(trace("scatter",
            x=[p for p, _ in pts], y=[100 * r["share"] if r else None for _, r in pts], name=esc(topic),
            mode="lines+markers", line={"color": colors[topic], "width": 2}, marker={"size": 6}, connectgaps=False,
            customdata=[[topic, _iso(p), r["n"], r["total"], 100 * r["share_low"], 100 * r["share_high"]]
                        if r else [topic, _iso(p), 0, 0, 0, 0] for p, r in pts],
            hovertemplate=f"<b>{esc(topic)}</b> %{{x|%Y-%m-%d}}<br>%{{y:.1f}}% of statements "
                          "(%{customdata[2]} of %{customdata[3]}); 95% interval %{customdata[4]:.1f}–"
                          "%{customdata[5]:.1f}%<extra></extra>",
        ))
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    return _layout(fig, title, f"{bucket} (gaps: no statements)", "share of statements", legend_title_text="topic")


def top_speakers_bars(rows: list[dict]) -> Figure:
    """The most active speakers per topic; colour = their net stance on it."""
    title = "Top speakers per topic"
    if not rows:
        return empty(NO_ROWS, title)
    rows = sorted(rows, key=lambda r: ((r["topic"] == "other"), r["topic"], -r["n"]))
    fig = Figure(trace("bar",
        y=[[esc(r["topic"]) for r in rows], unique_labels([r["speaker"] or "" for r in rows],
                                                          [r["speaker_id"] for r in rows])],
        x=[r["n"] for r in rows], orientation="h",
        marker={"color": [r["net"] for r in rows], "colorscale": NET_SCALE, "cmin": -1, "cmax": 1,
                "colorbar": {"title": {"text": "net stance"}, "tickvals": [-1, 0, 1]}},
        customdata=[[r["speaker_id"], r["topic"], esc(r["speaker"]), net_text(r)] for r in rows],
        hovertemplate="<b>%{customdata[2]}</b> on %{customdata[1]}<br>%{x} statements, net stance "
                      "%{customdata[3]}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "statements", None, height=max(360, 20 * len(rows) + 100))
