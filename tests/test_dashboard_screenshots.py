"""A screenshot of every page, from a real browser, into docs/screenshots/<page>.png.

The warehouse shown is the demo's, built by the real ETL from the bundled fictional corpus
(what `make demo` shows); point STANCE_SCREENSHOT_DB at another warehouse file to shoot
that instead. Each page must also load without console errors."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import CHROMIUM, browser_only, open_page, shared_browser, start_server, wait_idle

from stance.demo_corpus import build_demo
from warehouse import queries as q
from warehouse.store import Reader

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def screenshot_db(tmp_path_factory) -> Path:
    if os.environ.get("STANCE_SCREENSHOT_DB"):
        return Path(os.environ["STANCE_SCREENSHOT_DB"])
    db = tmp_path_factory.mktemp("screenshots") / "demo.duckdb"
    summary = build_demo(db)
    assert summary.status == "ok", summary.error
    return db


@pytest.fixture(scope="module")
def shoot(screenshot_db):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's /usr/bin/chromium")
    base, _app, stop = start_server(screenshot_db)
    browser = shared_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)

    def run(name: str, path: str, act=None, full_page: bool = True):
        page, errors, dialogs = open_page(browser, base + path)
        if act:
            act(page)
            wait_idle(page, timeout=120_000)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
        page.close()
        assert errors == [] and dialogs == []

    yield run
    stop()


def click_first_cell(page):
    box = page.locator("#overview-heatmap .nsewdrag").first.bounding_box()
    rows = page.evaluate("document.querySelector('#overview-heatmap .js-plotly-plot').data[0].y.length")
    cols = page.evaluate("document.querySelector('#overview-heatmap .js-plotly-plot').data[0].x.length")
    page.mouse.click(box["x"] + box["width"] / (2 * cols), box["y"] + box["height"] / (2 * rows))


def search_for(page):
    page.fill("#search-text", "secure the border")
    page.press("#search-text", "Enter")


def a_conversation(db: Path) -> str:
    docs = q.find_documents(Reader(db), "", limit=200)
    return next((d["document_id"] for d in docs if d["kind"] == "conversation"), docs[0]["document_id"])


@pytest.mark.browser
@browser_only
@pytest.mark.parametrize("name, path, act", [
    ("overview", "/", click_first_cell),
    ("speaker", "/speaker", None),
    ("compare", "/compare", None),
    ("agreement", "/agreement", None),
    ("search", "/search", search_for),
    ("map", "/map", None),
    ("review", "/review", None),
    ("runs", "/runs", None),
])
def test_screenshot(shoot, name, path, act):
    shoot(name, path, act)


@pytest.mark.browser
@browser_only
def test_screenshot_document(shoot, screenshot_db):
    shoot("document", f"/document?doc={a_conversation(screenshot_db)}", full_page=False)
