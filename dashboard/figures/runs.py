"""Runs figure: documents added and inputs rejected per ETL run."""
from __future__ import annotations

from dashboard.figures.common import AGAINST, NONE, empty, esc, Figure, _layout, short, trace

RUN_STATUS_COLORS = {"ok": "#009E73", "ok_with_rejects": "#E69F00", "failed": AGAINST, "running": "#56B4E9"}


def runs_bars(runs: list[dict]) -> Figure:
    title = "ETL runs: documents added and inputs rejected"
    if not runs:
        return empty("No ETL runs recorded in this warehouse yet.", title)
    runs = sorted(runs, key=lambda r: r["run_id"])
    x = [f"run {r['run_id']}" for r in runs]
    custom = [[r["run_id"], esc(r["status"]), esc(short(r.get("error") or "", 120))] for r in runs]
    fig = Figure([
        trace("bar", x=x, y=[r["added"] or 0 for r in runs], name="documents added", customdata=custom,
               marker_color=[RUN_STATUS_COLORS.get(r["status"], NONE) for r in runs],
               hovertemplate="%{x} (%{customdata[1]}): %{y} added<br>%{customdata[2]}<extra></extra>"),
        trace("bar", x=x, y=[r["rejected"] or 0 for r in runs], name="inputs rejected", customdata=custom,
               marker_color="#000000", hovertemplate="%{x}: %{y} rejected<extra></extra>"),
    ])
    return _layout(fig, title, "run (bar colour = status: green ok, orange with rejects, vermillion failed)",
                   "count", barmode="group")
