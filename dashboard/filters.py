"""The global filters: their controls, and their place in the URL query string.

The filters live in three places kept in step by `register(app)`:
  * the controls in the filter bar (what the user edits),
  * the `FILTERS` store (what page callbacks listen to; Filters.to_dict()),
  * the address bar (`?from=2024-01-01&topic=elections&...`), so a view can be shared
    by link. On page load the URL sets the controls; after that the controls rewrite
    the URL in place (history.replaceState, no reload).
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, no_update

from dashboard import ids
from warehouse.queries import Filters

# Filters field -> URL key
URL_KEYS = {
    "start": "from", "end": "to", "topics": "topic", "speakers": "speaker", "kind": "kind",
    "outlets": "outlet", "languages": "lang", "min_confidence": "conf",
    "include_moderators": "moderators", "include_narration": "narration",
}
LISTS = ("topics", "speakers", "outlets", "languages")
FLAGS = ("include_moderators", "include_narration")
DEFAULTS = Filters()


def to_query(f: Filters, **page_params) -> str:
    """'?key=value&...' for the filters that differ from the defaults, plus page parameters."""
    pairs: list[tuple[str, str]] = []
    for name, key in URL_KEYS.items():
        value = getattr(f, name)
        if value == getattr(DEFAULTS, name):
            continue
        if name in LISTS:
            pairs += [(key, v) for v in value]
        elif name in FLAGS:
            pairs.append((key, "1" if value else "0"))
        else:
            pairs.append((key, str(value)))
    pairs += [(k, str(v)) for k, v in page_params.items() if v is not None]
    return "?" + urlencode(pairs) if pairs else ""


def from_query(search: str | None) -> Filters:
    """Filters from a query string; unknown keys and bad values are ignored."""
    params = parse_qs((search or "").lstrip("?"))
    d = {}
    for name, key in URL_KEYS.items():
        values = params.get(key)
        if not values:
            continue
        if name in LISTS:
            d[name] = values
        elif name in FLAGS:
            d[name] = values[-1] not in ("0", "false", "no")
        else:
            d[name] = values[-1]
    return Filters.from_dict(d)


def page_param(search: str | None, key: str) -> str | None:
    values = parse_qs((search or "").lstrip("?")).get(key)
    return values[-1] if values else None


def href(path: str, f: Filters, **page_params) -> str:
    """A link to a page that keeps the current filters."""
    return path + to_query(f, **page_params)


# --- controls -------------------------------------------------------------------------------
KIND_OPTIONS = [{"label": "All", "value": "all"}, {"label": "Conversations", "value": "conversation"},
                {"label": "News", "value": "news"}]
INCLUDE_OPTIONS = [{"label": "Moderators, questioners, press secretaries", "value": "moderators"},
                   {"label": "Unattributed narration", "value": "narration"}]
CONTROLS = [  # (component id, property), in the order of control_values()
    (ids.F_DATES, "start_date"), (ids.F_DATES, "end_date"), (ids.F_TOPICS, "value"), (ids.F_SPEAKERS, "value"),
    (ids.F_KIND, "value"), (ids.F_OUTLETS, "value"), (ids.F_LANGUAGES, "value"), (ids.F_CONFIDENCE, "value"),
    (ids.F_INCLUDE, "value"),
]


def control_values(f: Filters) -> list:
    include = (["moderators"] if f.include_moderators else []) + (["narration"] if f.include_narration else [])
    return [
        f.start.isoformat() if f.start else None, f.end.isoformat() if f.end else None, list(f.topics),
        list(f.speakers), f.kind or "all", list(f.outlets), list(f.languages), f.min_confidence, include,
    ]


def from_controls(start, end, topics, speakers, kind, outlets, languages, confidence, include) -> Filters:
    include = include or []
    return Filters.from_dict({
        "start": start, "end": end, "topics": topics or [], "speakers": speakers or [],
        "kind": None if kind == "all" else kind, "outlets": outlets or [], "languages": languages or [],
        "min_confidence": confidence or 0.0, "include_moderators": "moderators" in include,
        "include_narration": "narration" in include,
    })


def _labelled(control, label: str, width: int | dict = 3) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id, class_name="small text-muted mb-0"), control],
                   width=12, md=width, class_name="mb-2")


def filter_bar(options: dict) -> dbc.Card:
    """The filter controls, with choices from the warehouse."""
    speakers = [{"label": s["name"] + (f" ({s['role']})" if s.get("role") else ""), "value": s["speaker_id"]}
                for s in options["speakers"]]
    first, last = options.get("first"), options.get("last")
    row1 = [
        _labelled(dcc.DatePickerRange(id=ids.F_DATES, min_date_allowed=first, max_date_allowed=last,
                                      initial_visible_month=last, clearable=True, display_format="YYYY-MM-DD",
                                      start_date_placeholder_text="From", end_date_placeholder_text="To"),
                  "Date range", 3),
        _labelled(dcc.Dropdown(id=ids.F_TOPICS, options=options["topics"], multi=True, placeholder="All topics"),
                  "Topics", 3),
        _labelled(dcc.Dropdown(id=ids.F_SPEAKERS, options=speakers, multi=True, placeholder="All speakers"),
                  "Speakers", 3),
        _labelled(dcc.RadioItems(id=ids.F_KIND, options=KIND_OPTIONS, value="all", inline=True,
                                 inputClassName="me-1", labelClassName="me-3"), "Kind", 3),
    ]
    row2 = [
        _labelled(dcc.Dropdown(id=ids.F_OUTLETS, options=options["outlets"], multi=True, placeholder="All outlets"),
                  "Outlets", 3),
        _labelled(dcc.Dropdown(id=ids.F_LANGUAGES, options=options["languages"], multi=True,
                               placeholder="All languages"), "Languages", 2),
        _labelled(dcc.Slider(id=ids.F_CONFIDENCE, min=0, max=1, step=0.05, value=0,
                             marks={0: "0", 0.5: "0.5", 0.8: "0.8", 1: "1"},
                             tooltip={"placement": "bottom"}), "Minimum stance confidence", 3),
        _labelled(dcc.Checklist(id=ids.F_INCLUDE, options=INCLUDE_OPTIONS, value=[],
                                inputClassName="me-1", labelClassName="me-3"), "Include", 3),
        dbc.Col(dbc.Button("Reset", id=ids.F_RESET, color="secondary", outline=True, size="sm"),
                width=12, md=1, class_name="mb-2 d-flex align-items-end"),
    ]
    return dbc.Card(dbc.CardBody([dbc.Row(row1), dbc.Row(row2)], class_name="py-2"), class_name="mb-3 shadow-sm")


# --- callbacks ---------------------------------------------------------------------------------
def register(app) -> None:
    control_outputs = [Output(cid, prop) for cid, prop in CONTROLS]
    control_inputs = [Input(cid, prop) for cid, prop in CONTROLS]

    @app.callback(
        Output(ids.FILTERS, "data"), Output(ids.QUERY, "data"), *control_outputs,
        Input(ids.URL, "search"), Input(ids.F_RESET, "n_clicks"), *control_inputs,
        State(ids.FILTERS, "data"),
    )
    def sync_filters(search, _reset, *values_and_state):
        """URL -> controls on page load / navigation; controls -> store on every edit."""
        *values, previous = values_and_state
        trigger = ctx.triggered_id
        if trigger == ids.F_RESET:
            f = Filters()
        elif trigger in (None, ids.URL):
            f = from_query(search)
        else:
            f = from_controls(*values)
        data = f.to_dict()
        stored = no_update if data == previous else data
        query = no_update if data == previous else to_query(f)
        if trigger in (None, ids.URL, ids.F_RESET):
            return stored, query, *control_values(f)
        return stored, query, *([no_update] * len(CONTROLS))

    app.clientside_callback(
        ClientsideFunction(namespace="stance", function_name="writeQuery"),
        Output(ids.URL_WRITER, "data"), Input(ids.QUERY, "data"),
    )

    @app.callback(
        Output(ids.nav_link(ALL), "href"), Output(ids.nav_link(ALL), "active"),
        Input(ids.QUERY, "data"), Input(ids.URL, "pathname"),
    )
    def nav_links(query, pathname):
        paths = [o["id"]["page"] for o in ctx.outputs_list[0]]
        return [p + (query or "") for p in paths], [p == pathname for p in paths]
