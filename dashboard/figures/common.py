"""What every figure shares: colours, escaping, click data, the common frame, empty charts.

Figures are plain Plotly JSON (`Figure` below builds it): Plotly's own graph objects
validate every property path on every update, which cost 100-200 ms per chart, more
than the queries behind it; the browser's Plotly.js checks the JSON anyway.

Colours are colour-blind safe (Okabe-Ito) and mean the same everywhere: favor / agree
blue, against / disagree vermillion, none / neutral grey. Plotly renders a few HTML
tags in labels and hover text, so every string from the data goes through `esc`;
marks carry ids in customdata for click-through.
"""
from __future__ import annotations

import datetime as dt
import html

from dashboard.periods import period_end

FAVOR, AGAINST, NONE = "#0072B2", "#D55E00", "#999999"
STANCE_COLORS = {"favor": FAVOR, "against": AGAINST, "none": NONE}
AGREEMENT_COLORS = {"agree": FAVOR, "disagree": AGAINST, "neutral": NONE}
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
NET_SCALE = [[0.0, AGAINST], [0.5, "#F7F7F7"], [1.0, FAVOR]]
SIMILARITY_SCALE = [[0.0, AGAINST], [0.5, "#F7F7F7"], [1.0, "#009E73"]]


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


class Figure:
    """The part of plotly.graph_objects.Figure the dashboard uses, on plain dicts: traces
    made by `trace`, layout updates merged in (nested dicts merge, other values replace)."""

    def __init__(self, data: list[dict] | dict | None = None):
        self.data: list[dict] = [data] if isinstance(data, dict) else list(data or [])
        self.layout: dict = {}

    def add_trace(self, t: dict) -> "Figure":
        self.data.append(t)
        return self

    def update_layout(self, **kw) -> "Figure":
        _merge(self.layout, _expand(kw))
        return self

    def update_xaxes(self, **kw) -> "Figure":
        return self.update_layout(xaxis=kw)

    def update_yaxes(self, **kw) -> "Figure":
        return self.update_layout(yaxis=kw)

    def add_annotation(self, **kw) -> "Figure":
        self.layout.setdefault("annotations", []).append(kw)
        return self

    def to_plotly_json(self) -> dict:
        return {"data": self.data, "layout": self.layout}


def trace(kind: str, **kw) -> dict:
    """A trace of the given Plotly type ('heatmap', 'scatter', 'bar', 'scattergl')."""
    return {"type": kind, **_expand(kw)}


MAGIC = {"title_text": ("title", "text"), "legend_title_text": ("legend", "title", "text"),
         "marker_color": ("marker", "color")}


def _expand(kw: dict) -> dict:
    """Plotly's shorthand keys ('title_text') as nested dicts."""
    out: dict = {}
    for key, value in kw.items():
        path = MAGIC.get(key, (key,))
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        if isinstance(value, dict) and isinstance(node.get(path[-1]), dict):
            _merge(node[path[-1]], value)
        else:
            node[path[-1]] = value
    return out


def _merge(into: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


# The look of Plotly's "plotly_white" template, set directly: applying the template itself
# costs ~100 ms per figure, more than building most of them.
AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "automargin": True}
STYLE = {"paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": OKABE_ITO, "font": {"size": 12},
         "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "hoverlabel": {"align": "left", "bgcolor": "white"},
         "clickmode": "event"}


def _layout(fig: Figure, title: str, x: str | None = None, y: str | None = None, height: int = 420,
            **kw) -> Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"}, height=height, **{**STYLE, **kw})
    fig.update_xaxes(**AXIS, **({"title_text": x} if x is not None else {}))
    fig.update_yaxes(**AXIS, **({"title_text": y} if y is not None else {}))
    return fig


def empty(message: str, title: str = "") -> Figure:
    """A blank chart that says why it is blank and what to try."""
    fig = Figure()
    fig.add_annotation(text=esc(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#555"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=260)


NO_ROWS = "No statements match these filters. Widen the date range or clear some filters."


def _iso(value) -> str | None:
    return value.isoformat()[:10] if isinstance(value, (dt.date, dt.datetime)) else value


def net_text(r: dict) -> str:
    """'+0.42 (+0.21 to +0.60)', or a word that the cell is too small to say anything."""
    if r.get("sparse"):
        return f"{r['net']:+.2f} (too few: {r['net_low']:+.2f} to {r['net_high']:+.2f})"
    return f"{r['net']:+.2f} ({r['net_low']:+.2f} to {r['net_high']:+.2f})"


def period_series(rows: list[dict], bucket: str) -> list[tuple]:
    """(period start, row or None) for every period from the first row's to the last's, so
    that a line breaks over periods without data instead of bridging them."""
    by_period = {_iso(r["period"]): r for r in rows}
    if not by_period:
        return []
    out, period, last = [], min(by_period), max(by_period)
    while period <= last:
        out.append((period, by_period.get(period)))
        period = period_end(period, bucket).isoformat()
    return out


def sparse_overlay(grid: list[list[dict | None]], x: list, y: list) -> dict:
    """A grey wash over the cells whose figure is too sparse to say anything (row['sparse'])."""
    return trace("heatmap", z=[[1 if r and r.get("sparse") else None for r in line] for line in grid], x=x, y=y,
                      colorscale=[[0, "rgba(200,200,200,0.7)"], [1, "rgba(200,200,200,0.7)"]], showscale=False,
                      hoverinfo="skip", xgap=1, ygap=1, hoverongaps=False)
