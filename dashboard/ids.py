"""Component ids, in one place so pages, callbacks and tests agree."""

# Shell: location, stores, navigation, global filters.
URL = "url"
FILTERS = "filters"  # Store: Filters.to_dict()
QUERY = "filters-query"  # Store: the filters as a URL query string
URL_WRITER = "url-writer"  # Store written by the client-side URL updater (no data)
NAV = "nav"
F_DATES = "filter-dates"
F_TOPICS = "filter-topics"
F_SPEAKERS = "filter-speakers"
F_KIND = "filter-kind"
F_OUTLETS = "filter-outlets"
F_LANGUAGES = "filter-languages"
F_CONFIDENCE = "filter-confidence"
F_INCLUDE = "filter-include"
F_RESET = "filter-reset"


def nav_link(page: str) -> dict:
    return {"type": "nav-link", "page": page}


def grid(name: str) -> dict:
    """An AG Grid; every grid has a CSV export button with the same name."""
    return {"type": "grid", "name": name}


def csv_button(name: str) -> dict:
    return {"type": "csv-button", "name": name}


# Overview
OV_SUMMARY = "overview-summary"


def stance_count(label: str) -> str:
    """The Overview badge counting statements with this stance (e.g. overview-favor)."""
    return f"overview-{label}"


OV_HEATMAP = "overview-heatmap"
OV_SHARE = "overview-share"
OV_BUCKET = "overview-bucket"
OV_TOP = "overview-top"
OV_SELECTION = "overview-selection"
OV_STATEMENTS = "overview-statements"  # grid name

# Speaker
SP_PICK = "speaker-pick"
SP_HEADER = "speaker-header"
SP_STANCE = "speaker-stance"
SP_BUCKET = "speaker-bucket"
SP_TOPICS = "speaker-topics"  # grid name
SP_PARTNERS = "speaker-partners"
SP_SELECTION = "speaker-selection"
SP_QUOTES = "speaker-quotes"  # grid name
SP_STATEMENTS = "speaker-statements"  # grid name

# Compare
CMP_WHO = "compare-who"
CMP_TOPIC = "compare-topic"
CMP_VERDICT = "compare-verdict"
CMP_STANCE = "compare-stance"
CMP_ATTENTION = "compare-attention"
CMP_QUOTES = "compare-quotes"
CMP_REPLIES = "compare-replies"
CMP_REPLY_ROWS = "compare-reply-rows"  # grid name

# Agreement
AG_KIND = "agreement-kind"
AG_TOP = "agreement-top"  # how many of the most active speakers
AG_ADD = "agreement-add"  # speakers added whatever their activity
AG_MATRIX = "agreement-matrix"
AG_NETWORK = "agreement-network"
AG_ALIGNMENT = "agreement-alignment"
AG_SELECTION = "agreement-selection"
AG_STATEMENTS = "agreement-statements"  # grid name
AG_CAMPS = "agreement-camps"  # grid name
AG_CONTESTED = "agreement-contested"  # grid name

# Search
SE_TEXT = "search-text"
SE_MODE = "search-mode"
SE_GO = "search-go"
SE_STATUS = "search-status"
SE_PAGE = "search-page"  # pagination of the results
SE_RESULTS = "search-results"  # grid name

# Document
DOC_PICK = "document-pick"
DOC_HEADER = "document-header"
DOC_BODY = "document-body"
DOC_PART = "document-part"  # pagination of long documents
DOC_TARGET = "document-target"  # Store: segment to scroll to
DOC_SCROLLED = "document-scrolled"

# Map
MAP_GRAPH = "map-graph"
MAP_STATUS = "map-status"
MAP_COLOR = "map-color"
MAP_CLUSTERS = "map-clusters"  # grid name
MAP_SELECTION = "map-selection"
MAP_STATEMENTS = "map-statements"  # grid name

# Review
RV_QUEUE = "review-queue"  # grid name
RV_LABEL = "review-label"
RV_TOPICS = "review-topics"
RV_AUTHOR = "review-author"
RV_NOTE = "review-note"
RV_SAVE = "review-save"
RV_STATUS = "review-status"
RV_DONE = "review-done"  # grid name: recent corrections
RV_SAVED = "review-saved"  # Store: bumps after each correction

# Runs
RU_CHART = "runs-chart"
RU_RUNS = "runs-runs"  # grid name
RU_REJECTS = "runs-rejects"  # grid name
RU_SELECTION = "runs-selection"
