"""Document: a transcript or article in full, each segment tinted by topic and underlined
by stance, attributed quotes highlighted, replies linked to what they answer.

All text is rendered as text (React text nodes); right-to-left languages get dir="rtl",
everything else dir="auto" so mixed passages still display correctly.
"""
from __future__ import annotations

from itertools import groupby

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, ctx, dcc, html

from dashboard import components as c
from dashboard import figures, ids, state
from dashboard.filters import href
from dashboard.state import AppState
from warehouse import queries as q
from warehouse.queries import Filters

dash.register_page(__name__, path="/document", name="Document", order=5, title="Stance · Document")

RTL = {"ar", "he", "fa", "ur", "ps", "yi", "dv", "ku"}
PART = 200  # segments per page of a long document (rendering 500 took ~0.2 s of a call)


def layout(doc: str | None = None, seg: str | None = None, **_):
    st = state.current()
    position = q.segment_position(st.reader, doc, seg) if doc and seg else None
    return c.page(
        "Document", "A transcript or article in full. Background = topic, underline = stance (blue favor, "
                    "vermillion against, grey none); dashed boxes are quotes attributed to a speaker; ↩ links to "
                    "the statement a reply answers.",
        dbc.Row(dbc.Col(dcc.Dropdown(id=ids.DOC_PICK, value=doc, options=document_options(st, None, doc),
                                     placeholder="Find a document by title, id or outlet", searchable=True),
                        md=6), class_name="mb-3"),
        dcc.Store(id=ids.DOC_TARGET, data=c.anchor(seg) if seg else None),
        dcc.Store(id=ids.DOC_SCROLLED),
        html.Div(id=ids.DOC_HEADER),
        dbc.Pagination(id=ids.DOC_PART, max_value=1, active_page=1 + (position or 0) // PART,
                       fully_expanded=False, first_last=True, previous_next=True, size="sm"),
        dcc.Loading(html.Div(id=ids.DOC_BODY)),
    )


def document_options(st: AppState, text: str | None, keep: str | None = None) -> list[dict]:
    rows = q.find_documents(st.reader, text)
    if keep and all(r["document_id"] != keep for r in rows):
        rows = [d for d in [q.document(st.reader, keep)] if d] + rows
    return [{"label": f"{r['published'] or ''} · {r['outlet'] or ''} · {r['title'] or r['document_id']}",
             "value": r["document_id"]} for r in rows]


# --- views --------------------------------------------------------------------------------------------
def document_view(st: AppState, f: Filters, document_id: str | None, part: int = 1):
    """(header, body, number of parts) of one part of a document."""
    if not document_id:
        return c.empty_note("Pick a document above, or open one from a table's “open” link."), None, 1
    doc = q.document(st.reader, document_id)
    if not doc:
        return c.empty_note("No such document in this warehouse."), None, 1
    parts = max(1, -(-doc["segments"] // PART))
    part = min(max(1, part or 1), parts)
    segments = q.document_segments(st.reader, document_id, offset=(part - 1) * PART, limit=PART)
    colors = figures.topic_colors(st.options()["topics"])
    body = [legend(colors)] + [turn_view(list(seg), f, colors) for _, seg in
                               groupby(segments, key=lambda s: s["turn_index"])]
    if parts > 1:
        first = (part - 1) * PART + 1
        body.insert(0, c.empty_note(f"Segments {first:,}–{first + len(segments) - 1:,} of {doc['segments']:,}; "
                                    "use the pages above for the rest."))
    return header_view(doc), html.Div(body), parts


def header_view(doc: dict):
    url = doc.get("url") or ""
    source = html.A(url, href=url, target="_blank", rel="noopener noreferrer") \
        if url.startswith(("http://", "https://")) else url
    facts = [doc["kind"], doc.get("outlet"), str(doc.get("published") or ""), doc.get("language")]
    return c.card(None, html.H3(doc.get("title") or doc["document_id"], className="h5",
                                dir="rtl" if doc.get("language") in RTL else "auto"),
                  html.Div(" · ".join(x for x in facts if x), className="text-muted"),
                  html.Div(["Source: ", source, f" ({doc.get('source_file')})"], className="small text-muted"))


def legend(colors: dict[str, str]):
    items = []
    for topic, color in colors.items():
        items += [html.Span(className="legend-swatch", style={"background": color + "40"}), topic]
    items += [html.Span(" · underline: ", className="ms-3"),
              html.Span("favor", className="segment stance-favor me-2"),
              html.Span("against", className="segment stance-against me-2"),
              html.Span("none", className="segment stance-none me-2"),
              html.Span("attributed quote", className="segment segment-quote")]
    return html.Div(items, className="small mb-3")


def turn_view(segments: list[dict], f: Filters, colors: dict[str, str]):
    first = segments[0]
    who = first.get("speaker_label") or first.get("speaker")
    if first.get("speaker_id") and not _is_news_body(segments):
        who = dcc.Link(first.get("speaker") or who, href=href("/speaker", f, who=first["speaker_id"]))
    header = [who or html.Em("narration")]
    if first.get("start_s") is not None:
        header.append(html.Span(f"  {int(first['start_s'] // 60)}:{int(first['start_s'] % 60):02d}",
                                className="segment-meta"))
    spans = []
    for s in segments:
        spans += [segment_view(s, f, colors), " "]
    return html.Div([html.Div(header, className="turn-speaker"),
                     html.P(spans, className="mb-1", dir=direction(first.get("language")),
                            lang=first.get("language") or None)], className="turn")


def _is_news_body(segments: list[dict]) -> bool:
    return any(s.get("attribution_method") not in (None, "speaker-label") for s in segments)


def direction(language: str | None) -> str:
    return "rtl" if (language or "").split("-")[0] in RTL else "auto"


def segment_view(s: dict, f: Filters, colors: dict[str, str]):
    children = []
    if s.get("reply_to"):
        children.append(html.A("↩ ", href=f"#{c.anchor(s['reply_to'])}",
                               title=f"replies to {s.get('reply_to_speaker') or 'an earlier statement'}"))
    children.append(s["text"])
    quote = s.get("speaker_id") and s.get("attribution_method") not in (None, "speaker-label")
    if quote:
        conf = s.get("attribution_confidence")
        children.append(html.Span(
            [" — ", dcc.Link(s.get("speaker") or s["speaker_id"], href=href("/speaker", f, who=s["speaker_id"])),
             f" ({s['attribution_method']}{f', {conf:.2f}' if conf is not None else ''})"],
            className="segment-meta"))
    topic, stance = s.get("topic") or "other", s.get("stance") or "none"
    confidence = f" {s['confidence']:.2f}" if s.get("confidence") is not None else ""
    return html.Span(
        children, id=c.anchor(s["segment_id"]), dir=direction(s.get("language")),
        className=f"segment stance-{stance if stance in figures.STANCE_COLORS else 'none'}"
                  + (" segment-quote" if quote else ""),
        style={"backgroundColor": colors.get(topic, "#BBBBBB") + "33"},
        title=f"{', '.join(s.get('topics') or [topic])} · {stance}{confidence}",
    )


# --- callbacks --------------------------------------------------------------------------------------------
@callback(Output(ids.DOC_PICK, "options"), Input(ids.DOC_PICK, "search_value"), Input(ids.DOC_PICK, "value"))
def update_options(text, value):
    return document_options(state.current(), text, value)


@callback(Output(ids.DOC_HEADER, "children"), Output(ids.DOC_BODY, "children"), Output(ids.DOC_PART, "max_value"),
          Output(ids.DOC_PART, "active_page"), Output(ids.DOC_PART, "style"),
          Input(ids.DOC_PICK, "value"), Input(ids.DOC_PART, "active_page"), Input(ids.FILTERS, "data"))
def update_document(document_id, part, filters):
    part = 1 if ctx.triggered_id == ids.DOC_PICK else part
    header, body, parts = document_view(state.current(), Filters.from_dict(filters), document_id, part)
    return header, body, parts, min(part or 1, parts), None if parts > 1 else {"display": "none"}


clientside_callback(
    ClientsideFunction(namespace="stance", function_name="setDoc"),  # keep ?doc= in the address bar
    Output(ids.DOC_PICK, "title"), Input(ids.DOC_PICK, "value"),
)
clientside_callback(
    ClientsideFunction(namespace="stance", function_name="scrollTo"),
    Output(ids.DOC_SCROLLED, "data"), Input(ids.DOC_TARGET, "data"), Input(ids.DOC_BODY, "children"),
)
