"""Speaker figures: net stance per topic over time, and whom they agree with."""
from __future__ import annotations

import math


from dashboard.figures.common import (AGREEMENT_COLORS, empty, esc, Figure, _iso, _layout, net_text,
                                      period_series, topic_colors, trace, unique_labels)

def speaker_stance_lines(rows: list[dict], name: str, bucket: str) -> Figure:
    """Net stance per topic and period with 95% error bars; hollow markers are too sparse
    to say anything; a break in a line is a period without statements on the topic."""
    title = f"Net stance of {esc(name)} per topic and {bucket}"
    if not rows:
        return empty("No statements by this speaker under these filters.", title)
    colors = topic_colors(r["topic"] for r in rows)
    fig = Figure()
    for topic in sorted({r["topic"] for r in rows}, key=lambda t: (t == "other", t)):
        pts = period_series([r for r in rows if r["topic"] == topic], bucket)
        fig.add_trace(trace("scatter",
            x=[p for p, _ in pts], y=[r["net"] if r else None for _, r in pts], name=esc(topic),
            mode="lines+markers", line={"color": colors[topic]}, connectgaps=False,
            error_y={"type": "data", "symmetric": False, "thickness": 1, "width": 3,
                     "array": [r["net_high"] - r["net"] if r else None for _, r in pts],
                     "arrayminus": [r["net"] - r["net_low"] if r else None for _, r in pts]},
            marker={"size": [min(22, 5 + 2 * math.sqrt(r["n"])) if r else 0 for _, r in pts], "color": colors[topic],
                    "symbol": ["circle-open" if r and r["sparse"] else "circle" for _, r in pts]},
            customdata=[[topic, _iso(p), r["n"], r["favor"], r["against"], net_text(r)] if r else
                        [topic, _iso(p), 0, 0, 0, ""] for p, r in pts],
            hovertemplate=f"<b>{esc(topic)}</b> %{{x|%Y-%m-%d}}<br>net stance %{{customdata[5]}} from "
                          "%{customdata[2]} statements (%{customdata[3]} favor, %{customdata[4]} against)"
                          "<extra></extra>",
        ))
    fig.update_yaxes(range=[-1.05, 1.05], zeroline=True, zerolinecolor="#888")
    return _layout(fig, title, f"{bucket} (gaps: no statements)", "net stance (−1 against … +1 favor)",
                   legend_title_text="topic")


def partners_bars(rows: list[dict], name: str) -> Figure:
    title = f"Whom {esc(name)} agrees and disagrees with"
    if not rows:
        return empty("No labelled replies or reported agreement for this speaker.", title)
    labels = unique_labels([r["other"] or "" for r in rows], [r["other_id"] for r in rows])
    fig = Figure()
    for label, sign in (("agree", 1), ("neutral", 1), ("disagree", -1)):
        fig.add_trace(trace("bar",
            y=labels, x=[sign * r[label] for r in rows], name=label, orientation="h",
            marker_color=AGREEMENT_COLORS[label],
            customdata=[[r["other_id"], label, r[label]] for r in rows],
            hovertemplate=f"%{{y}}: %{{customdata[2]}} {label}<extra></extra>",
        ))
    fig.update_layout(barmode="relative")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "replies and reported agreement (disagree ← → agree)", None,
                   height=max(320, 22 * len(rows) + 120), legend_title_text="label")
