"""Compare figures: speakers side by side, per topic, with 95% intervals."""
from __future__ import annotations

from dashboard.figures.common import (KEY_SEP, NET_SCALE, empty, esc, Figure, _layout, net_text, trace,
                                      unique_labels)

SPEAKER_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
OFFSET = 0.12  # vertical offset between speakers' marks on one topic row


def _topics(rows: list[dict]) -> list[str]:
    """Topics by how much the speakers said on them, 'other' last."""
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["topic"]] = totals.get(r["topic"], 0) + r["n"]
    return sorted(totals, key=lambda t: (t == "other", -totals[t], t))


def compare_stance(rows: list[dict], speaker_ids: list[str], names: dict[str, str]) -> Figure:
    """Net stance per topic, one mark per speaker with its 95% interval; hollow marks are too
    sparse to say anything."""
    title = "Net stance per topic (95% intervals)"
    rows = [r for r in rows if r["topic"] != "other"]
    if not rows:
        return empty("No statements by these speakers under these filters.", title)
    topics = _topics(rows)
    fig = Figure()
    labels = unique_labels([names.get(s, s) for s in speaker_ids], speaker_ids)
    for i, (s, label) in enumerate(zip(speaker_ids, labels)):
        mine = [r for r in rows if r["speaker_id"] == s]
        shift = (i - (len(speaker_ids) - 1) / 2) * OFFSET
        fig.add_trace(trace("scatter",
            x=[r["net"] for r in mine], y=[topics.index(r["topic"]) + shift for r in mine], mode="markers",
            name=label, marker={"color": SPEAKER_COLORS[i % len(SPEAKER_COLORS)], "size": 10,
                                "symbol": ["circle-open" if r["sparse"] else "circle" for r in mine]},
            error_x={"type": "data", "symmetric": False, "thickness": 1.5, "width": 0,
                     "array": [r["net_high"] - r["net"] for r in mine],
                     "arrayminus": [r["net"] - r["net_low"] for r in mine]},
            customdata=[[s, r["topic"], r["n"], r["favor"], r["against"], net_text(r)] for r in mine],
            hovertemplate=f"<b>{label}</b> on %{{customdata[1]}}<br>net stance %{{customdata[5]}}<br>"
                          "%{customdata[2]} statements: %{customdata[3]} favor, %{customdata[4]} against"
                          "<extra></extra>",
        ))
    fig.update_yaxes(tickvals=list(range(len(topics))), ticktext=[esc(t) for t in topics], autorange="reversed")
    fig.update_xaxes(range=[-1.05, 1.05], zeroline=True, zerolinecolor="#888")
    return _layout(fig, title, "net stance (−1 against … +1 favor); hollow: too few to say", None,
                   height=max(320, 48 * len(topics) + 140), legend={"orientation": "h", "y": -0.15})


def compare_attention(rows: list[dict], speaker_ids: list[str], names: dict[str, str]) -> Figure:
    """Each topic's share of each speaker's statements, with Wilson intervals."""
    title = "Attention: share of their statements per topic"
    if not rows:
        return empty("No statements by these speakers under these filters.", title)
    topics = _topics(rows)
    fig = Figure()
    labels = unique_labels([names.get(s, s) for s in speaker_ids], speaker_ids)
    for i, (s, label) in enumerate(zip(speaker_ids, labels)):
        cell = {r["topic"]: r for r in rows if r["speaker_id"] == s}
        mine = [cell.get(t) for t in topics]
        fig.add_trace(trace("bar",
            y=[esc(t) for t in topics], x=[100 * r["share"] if r else 0 for r in mine], orientation="h", name=label,
            marker_color=SPEAKER_COLORS[i % len(SPEAKER_COLORS)],
            error_x={"type": "data", "symmetric": False, "thickness": 1,
                     "array": [100 * (r["share_high"] - r["share"]) if r else 0 for r in mine],
                     "arrayminus": [100 * (r["share"] - r["share_low"]) if r else 0 for r in mine]},
            customdata=[[s, t, r["n"] if r else 0, r["total"] if r else 0] for t, r in zip(topics, mine)],
            hovertemplate=f"<b>{label}</b>: %{{x:.1f}}% of their statements on %{{customdata[1]}} "
                          "(%{customdata[2]} of %{customdata[3]})<extra></extra>",
        ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(ticksuffix="%", rangemode="tozero")
    return _layout(fig, title, "share of the speaker's statements", None, barmode="group",
                   height=max(320, 22 * len(topics) * max(1, len(speaker_ids) // 2) + 140),
                   legend={"orientation": "h", "y": -0.15})


def reply_matrix(pairs: list[dict], speaker_ids: list[str], names: dict[str, str]) -> Figure:
    """How each replied to the others: net agreement from row to column, replies counted."""
    title = "How each replied to the others"
    if not pairs:
        return empty("No labelled replies or reported agreement between these speakers.", title)
    labels = unique_labels([names.get(s, s) for s in speaker_ids], speaker_ids)
    cell = {(r["speaker_id"], r["target_speaker_id"]): r for r in pairs}
    grid = [[cell.get((a, b)) for b in speaker_ids] for a in speaker_ids]
    fig = Figure(trace("heatmap",
        z=[[r["net"] if r else None for r in line] for line in grid], x=labels, y=labels,
        text=[[str(r["n"]) if r else "" for r in line] for line in grid], texttemplate="%{text}",
        customdata=[[f"{a}{KEY_SEP}{b}" for b in speaker_ids] for a in speaker_ids],
        hovertext=[[f"<b>{la}</b> → <b>{lb}</b><br>" + (f"{r['n']} labelled: {r['agree']} agree, {r['disagree']} "
                                                        f"disagree<br>net {net_text(r)}" if r else "none")
                    for lb, r in zip(labels, line)] for la, line in zip(labels, grid)],
        hovertemplate="%{hovertext}<extra></extra>", colorscale=NET_SCALE, zmin=-1, zmax=1, xgap=2, ygap=2,
        hoverongaps=False, colorbar={"title": {"text": "net agreement"}, "tickvals": [-1, 0, 1]},
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "toward", "speaker", height=max(300, 60 * len(speaker_ids) + 160))

