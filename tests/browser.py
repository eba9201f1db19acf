"""Helpers for the browser tests: serve the real app in a thread, drive headless Chromium
(Debian's, through Playwright), wait for Dash's callbacks, and a hostile document to load."""
from __future__ import annotations

import atexit
import threading
import urllib.request
from pathlib import Path

import pytest

from dashboard import app as dashboard_app
from warehouse.store import write_session

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ["/", "/speaker", "/compare", "/agreement", "/search", "/document?doc=hostile-doc", "/map", "/review",
         "/runs"]
SCRIPT = "<script>window.__xss = 1; alert(1)</script>"
IMG = "<img src=x onerror=\"window.__xss = 2; alert(2)\">"
EVE = "Eve <b>Bold</b> & Co"
browser_only = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium")


def start_server(db: Path):
    """Serve create_app(db) on a free port in a thread; returns (base url, app, stop)."""
    from werkzeug.serving import make_server

    app = dashboard_app.create_app(db)
    app.server.extensions["stance"].index.snapshot()  # the embedding index, loaded before any test
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    urllib.request.urlopen(base + "/", timeout=60).read()  # the first request sets the app's callbacks up
    return base, app, server.shutdown


_BROWSER: list = []


def shared_browser():
    """One headless Chromium for the whole test run (Playwright's sync API allows one per thread)."""
    if not _BROWSER:
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        _BROWSER.append(pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS))
        atexit.register(lambda: (_BROWSER[0].close(), pw.stop()))
    return _BROWSER[0]


_PENDING: dict = {}  # page -> Dash callback requests in flight


def track_callbacks(page) -> None:
    _PENDING[page] = 0

    def change(request, delta):
        if "_dash-update-component" in request.url:
            _PENDING[page] += delta

    page.on("request", lambda r: change(r, 1))
    page.on("requestfinished", lambda r: change(r, -1))
    page.on("requestfailed", lambda r: change(r, -1))


def wait_idle(page, timeout: int = 60_000) -> None:
    """Until no Dash callback has been in flight for half a second."""
    quiet, waited = 0, 0
    while quiet < 500:
        page.wait_for_timeout(100)
        waited += 100
        quiet = quiet + 100 if _PENDING.get(page, 0) == 0 else 0
        if waited > timeout:
            raise TimeoutError(f"Dash callbacks still running after {timeout} ms")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=timeout)
    # Graphs draw after their callbacks answer (Plotly loads lazily): until then they are pending.
    page.wait_for_function("() => !document.querySelector('.dash-graph--pending')", timeout=timeout)


def open_page(browser, url: str, width: int = 1400, height: int = 900):
    """A new page at url; returns (page, console errors list, dialogs list)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors, dialogs = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    track_callbacks(page)
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_selector("._dash-loading", state="detached", timeout=60_000)  # the layout has arrived
    wait_idle(page)
    return page, errors, dialogs


def grid_rows(page, grid_name: str) -> int:
    return page.locator(f"div[id*='\"name\":\"{grid_name}\"'] .ag-center-cols-container .ag-row").count()


def add_hostile_document(db: Path) -> None:
    """A conversation whose speaker name, title and texts carry markup and script."""
    texts = [SCRIPT, IMG, "Plain words about the border & <i>asylum</i>."]
    with write_session(db) as con:
        con.execute("INSERT INTO speakers VALUES ('eve-bold', ?, NULL)", [EVE])
        con.execute("""INSERT INTO documents VALUES ('hostile-doc', 'conversation', ?, 'C-SPAN', 'javascript:alert(3)',
                       DATE '2024-05-01', 'en', 'hostile.jsonl', 'jsonl', 'x', TIMESTAMP '2025-07-01', 1)""",
                    [f"{IMG} title"])
        con.execute("""INSERT INTO turns SELECT 'hostile-doc', i, 'EVE', 'eve-bold', ?[1 + i % 3], NULL, NULL
                       FROM range(80) t(i)""", [texts])
        con.execute("""INSERT INTO segments SELECT 'hostile-doc-' || lpad(i::VARCHAR, 3, '0'), 'hostile-doc', i, i,
                       'eve-bold', ?[1 + i % 3], 0, length(?[1 + i % 3]), 'en', NULL, NULL, NULL, 'speaker-label', 1.0,
                       NULL FROM range(80) t(i)""", [texts, texts])
        con.execute("""INSERT INTO topic_labels SELECT segment_id, 'immigration', 0.9, true, 'm', 'test'
                       FROM segments WHERE document_id = 'hostile-doc'""")
        con.execute("""INSERT INTO stance_labels SELECT segment_id, 'immigration', 'x',
                       CASE WHEN seq % 2 = 0 THEN 'favor' ELSE 'against' END, 0.8, 'm', 'test'
                       FROM segments WHERE document_id = 'hostile-doc'""")

