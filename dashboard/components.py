"""Layout pieces every page uses: page frame, chart cards, data grids with CSV export.

Grids show every value as plain text (AG Grid's default); the only rendered cell is
the "open" link, whose markdown we build from URL-quoted ids.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import MATCH, ClientsideFunction, Input, Output, clientside_callback, dcc, html

from dashboard import ids, label_quality
from dashboard.figures import AGAINST, FAVOR, NONE
from dashboard.periods import BUCKETS
from dashboard.filters import href
from warehouse.queries import Filters

GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2}}


def page(title: str, intro: str, *children) -> html.Div:
    return html.Div([html.H2(title, className="h4 mt-2"), html.P(intro, className="page-intro text-muted"),
                     *children])


def card(title: str | None, *children, caption: str | None = None) -> dbc.Card:
    body = ([html.H3(title, className="h6")] if title else []) + list(children)
    if caption:
        body.append(html.P(caption, className="chart-caption mb-0 mt-1"))
    return dbc.Card(dbc.CardBody(body), class_name="mb-3 shadow-sm")


def chart(graph_id: str, caption: str | None = None, title: str | None = None) -> dbc.Card:
    """A chart in a card; the figure itself carries the title and axis labels."""
    return card(title, dcc.Loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG)), caption=caption)


def selection(selection_id: str, grid_name: str, columns: list[dict], hint: str) -> dbc.Card:
    """The table under a chart that lists the statements behind the clicked mark."""
    return card(None, html.Div(hint, id=selection_id, className="fw-semibold mb-2"), grid(grid_name, columns))


def grid(name: str, columns: list[dict], height: int = 380, row_selection: str | None = None) -> html.Div:
    """An AG Grid with sorting, filtering and an 'Export CSV' button."""
    options = {"tooltipShowDelay": 300,
               "enableCellTextSelection": True, "ensureDomOrder": True}
    if row_selection:
        options["rowSelection"] = {"mode": "singleRow" if row_selection == "single" else "multiRow",
                                   "checkboxes": True, "enableClickSelection": True}
    return html.Div([
        html.Div(dbc.Button("Export CSV", id=ids.csv_button(name), size="sm", color="secondary", outline=True),
                 className="d-flex justify-content-end mb-1"),
        dag.AgGrid(
            id=ids.grid(name), columnDefs=columns, rowData=[],
            defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 90},
            dashGridOptions=options, csvExportParams={"fileName": f"{name}.csv"},
            getRowId="params.data._row_id", style={"height": f"{height}px"},
        ),
    ])


def register(app) -> None:
    app.clientside_callback(
        ClientsideFunction(namespace="stance", function_name="exportCsv"),
        Output(ids.grid(MATCH), "exportDataAsCsv"), Input(ids.csv_button(MATCH), "n_clicks"),
        prevent_initial_call=True,
    )


def empty_note(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="light", class_name="mb-2")


BUCKET_OPTIONS = [{"label": "Auto", "value": "auto"}] + [{"label": b.capitalize(), "value": b} for b in BUCKETS]


def bucket_picker(picker_id: str, value: str | None) -> html.Div:
    """Periods of the time charts: auto (fits the date range), week, month, quarter or year."""
    return html.Div([html.Span("Periods: ", className="small text-muted me-2"),
                     dcc.RadioItems(id=picker_id, options=BUCKET_OPTIONS,
                                    value=value if value in BUCKETS else "auto", inline=True,
                                    inputClassName="me-1", labelClassName="me-3 small")],
                    id=f"{picker_id}-box", className="d-flex align-items-center mb-1")


def keep_bucket_in_url(picker_id: str) -> None:
    """Keep the picker's bucket in the address bar (?bucket=quarter; absent for auto)."""
    clientside_callback(ClientsideFunction(namespace="stance", function_name="setBucket"),
                        Output(f"{picker_id}-box", "title"), Input(picker_id, "value"))


def speaker_options(speakers: list[dict]) -> list[dict]:
    """Dropdown options for speakers: 'Name (role)'."""
    return [{"label": s["name"] + (f" ({s['role']})" if s.get("role") else ""), "value": s["speaker_id"]}
            for s in speakers]


def quality_note(*tasks: str):
    """One line with the measured quality of these label tasks (etl/labels/default/quality.json),
    or nothing where it is not known."""
    text = label_quality.note(tasks)
    return html.P(text, className="quality-note small text-muted mb-2") if text else None


def quote_card(r: dict, f: Filters) -> dbc.Card:
    """One statement as a quote: its text, stance and date, and a link to it in context."""
    return dbc.Card(dbc.CardBody([
        html.P(r.get("text") or "", className="mb-1", dir="auto"),
        html.Div([html.Span(r["stance"], className=f"segment stance-{r['stance']} me-2"),
                  html.Span(str(r.get("published") or ""), className="text-muted me-2"),
                  dcc.Link("open in context", href=document_href(f, r["document_id"], r["segment_id"]))],
                 className="small"),
    ], class_name="p-2"), class_name="mb-2 quote-card")


# --- columns ----------------------------------------------------------------------------------
STANCE_STYLE = {"styleConditions": [
    {"condition": f"params.value === '{label}'", "style": {"color": color, "fontWeight": 600}}
    for label, color in (("favor", FAVOR), ("against", AGAINST), ("none", NONE),
                         ("agree", FAVOR), ("disagree", AGAINST), ("neutral", NONE))
]}
NUMBER_2 = {"function": "params.value == null ? '' : d3.format('.2f')(params.value)"}


def col(field: str, header: str | None = None, **kw) -> dict:
    return {"field": field, "headerName": header or field.replace("_", " ").capitalize(), **kw}


def text_col(field: str = "text", header: str = "Text") -> dict:
    return col(field, header, flex=3, minWidth=300, wrapText=True, autoHeight=True, tooltipField=field)


def open_col() -> dict:
    return col("open", "Open", cellRenderer="markdown", sortable=False, filter=False,
               maxWidth=110, minWidth=80)


STATEMENT_COLUMNS = [
    col("published", "Date", maxWidth=120), col("speaker", "Speaker"), col("topic", "Topic", maxWidth=130),
    col("stance", "Stance", cellStyle=STANCE_STYLE, maxWidth=110),
    col("confidence", "Confidence", valueFormatter=NUMBER_2, maxWidth=120, type="rightAligned"),
    text_col(), col("outlet", "Source"), open_col(),
]


AGREEMENT_COLUMNS = [
    col("published", "Date", maxWidth=120), col("agreement_kind", "Kind", maxWidth=110),
    col("speaker", "Speaker"), col("label", "Label", cellStyle=STANCE_STYLE, maxWidth=110),
    col("target_speaker", "Toward"), col("confidence", "Confidence", valueFormatter=NUMBER_2, maxWidth=120),
    text_col(), text_col("target_text", "Replying to"), open_col(),
]


def anchor(segment_id: str) -> str:
    """The HTML id of a segment in the Document page (any id made safe for HTML and URLs)."""
    return "seg-" + re.sub(r"[^A-Za-z0-9_-]", lambda m: f"_{ord(m.group()):x}_", segment_id)


def document_href(f: Filters, document_id: str, segment_id: str | None = None) -> str:
    return href("/document", f, doc=document_id, seg=segment_id) + (f"#{anchor(segment_id)}" if segment_id else "")


def document_link(f: Filters, document_id: str, segment_id: str | None = None) -> str:
    """Markdown link to a segment in its document (URL-quoted, so the text is inert)."""
    return f"[open]({quote(document_href(f, document_id, segment_id), safe='/?&=#%')})"


def grid_rows(rows: list[dict], f: Filters, key: str = "segment_id") -> list[dict]:
    """Rows ready for a grid: a unique row id, an 'open in context' link, dates as text."""
    out = []
    for i, r in enumerate(rows):
        row = {k: (v.isoformat()[:19] if hasattr(v, "isoformat") else v) for k, v in r.items()}
        row["_row_id"] = f"{r.get(key)}|{r.get('topic', '')}|{i}"
        if r.get("document_id"):
            row["open"] = document_link(f, r["document_id"], r.get(key))
        out.append(row)
    return out
