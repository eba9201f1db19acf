"""The dashboard in headless Chromium (Playwright), on a small generated warehouse with a
hostile document added: pages load cleanly, filters drive the charts and the URL, a heatmap
click lists its statements, markup in the data stays text, a correction changes the
Overview. Plus the authentication rules, without a browser."""
from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

import flask
import pytest
from browser import EVE, IMG, PAGES, SCRIPT, browser_only, grid_rows, open_page, start_server, wait_idle

from dashboard import app as dashboard_app
from dashboard.filters import from_query, to_query
from warehouse import queries as q
from warehouse.queries import Filters
from warehouse.store import Reader, write_session


# --- fixtures (the warehouse, the server and the browser are in conftest.py) ----------------------------------
@pytest.fixture(scope="session")
def reader(dashboard_db) -> Reader:
    return Reader(dashboard_db)


def badge_count(page, label: str) -> int:
    return int(re.sub(r"\D", "", page.locator(f"#overview-{label}").inner_text()))


# --- browser tests ---------------------------------------------------------------------------------------------
@pytest.mark.browser
@browser_only
@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_console_errors(browser, base_url, path):
    page, errors, dialogs = open_page(browser, base_url + path)
    assert page.locator(".dash-fe-error__title").count() == 0
    assert page.locator("h2").first.inner_text()  # the page rendered its title
    assert errors == [] and dialogs == []
    page.close()


@pytest.mark.browser
@browser_only
def test_filter_change_updates_charts_and_url(browser, base_url, reader):
    page, errors, _ = open_page(browser, base_url + "/")
    heatmap = "document.querySelector('#overview-heatmap .js-plotly-plot').data[0]"
    before_z = page.evaluate(f"JSON.stringify({heatmap}.z)")
    page.locator("#filter-kind input[value='news']").check()
    wait_idle(page)
    assert "kind=news" in page.url
    expected = q.summary(reader, Filters(kind="news"))
    assert page.locator("#overview-summary").inner_text().startswith(f"{expected['statements']:,} statements")
    assert page.evaluate(f"JSON.stringify({heatmap}.z)") != before_z
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_url_restores_filters(browser, base_url, reader):
    page, errors, _ = open_page(browser, base_url + "/?kind=conversation&topic=immigration&conf=0.5")
    assert page.locator("#filter-kind input[value='conversation']").is_checked()
    expected = q.summary(reader, Filters(kind="conversation", topics=("immigration",), min_confidence=0.5))
    assert page.locator("#overview-summary").inner_text().startswith(f"{expected['statements']:,} statements")
    nav = page.locator("a.nav-link", has_text="Speaker").get_attribute("href")
    assert nav.startswith("/speaker?") and "topic=immigration" in nav  # links keep the filters
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_heatmap_click_lists_its_statements(browser, base_url, reader):
    page, errors, _ = open_page(browser, base_url + "/")
    rows, cols, key = page.evaluate(
        "(() => { const d = document.querySelector('#overview-heatmap .js-plotly-plot').data[0];"
        " return [d.y.length, d.x.length, d.customdata[0][0]]; })()")
    speaker_id, topic = key.split("\x1f")
    box = page.locator("#overview-heatmap .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / (2 * cols), box["y"] + box["height"] / (2 * rows))
    wait_idle(page)
    n = q.count_statements(reader, Filters(), speaker_id=speaker_id, topic=topic)
    caption = page.locator("#overview-selection").inner_text()
    assert f"on {topic}: {n:,} statements" in caption
    assert grid_rows(page, "overview-statements") > 0
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_transcript_markup_is_shown_as_text(browser, base_url):
    page, errors, dialogs = open_page(browser, base_url + "/document?doc=hostile-doc&seg=hostile-doc-001")
    body = page.locator("#document-body").inner_text()
    assert SCRIPT in body and IMG in body and "<i>asylum</i>" in body
    assert IMG in page.locator("#document-header").inner_text()
    assert page.locator("#document-body img, #document-header img, #document-body script").count() == 0
    assert page.locator("#document-header a[href^='javascript']").count() == 0
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator("#seg-hostile-doc-001").get_attribute("dir") == "auto"
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_plotly_labels_and_hover_escape_markup(browser, base_url):
    page, errors, dialogs = open_page(browser, base_url + "/?speaker=eve-bold")
    ticks = page.locator("#overview-heatmap .ytick text").evaluate_all("els => els.map(e => e.textContent)")
    assert EVE in ticks  # shown literally, not as bold markup
    box = page.locator("#overview-heatmap .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#overview-heatmap .hovertext")
    hover = page.locator("#overview-heatmap .hovertext").first
    assert EVE in hover.text_content()
    bold = hover.evaluate("e => [...e.querySelectorAll('tspan')].filter(t => /bold/.test(t.getAttribute('style')))"
                          ".map(t => t.textContent)")
    assert bold == [EVE]  # only our own emphasis; the name's <b> stayed text
    assert errors == [] and dialogs == []
    page.close()


@pytest.mark.browser
@browser_only
def test_arabic_document_is_right_to_left(browser, base_url, reader):
    doc = next(d["document_id"] for d in q.find_documents(reader, "Al Jazeera Arabic", limit=50)
               if d["kind"] == "news")
    page, errors, _ = open_page(browser, f"{base_url}/document?doc={doc}")
    assert page.locator("#document-body p[dir='rtl']").count() > 0
    assert page.locator("#document-body span[dir='rtl']").count() > 0
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_search_by_meaning_and_by_hostile_words(browser, base_url):
    pwn = Path("/tmp/pwn.csv")
    existed = pwn.exists()
    page, errors, dialogs = open_page(browser, base_url + "/search")
    page.fill("#search-text", "secure the border")
    page.press("#search-text", "Enter")
    wait_idle(page, timeout=120_000)  # the first search loads the embedding model
    assert "best matches" in page.locator("#search-status").inner_text()
    assert grid_rows(page, "search-results") > 0
    page.locator("#search-mode input[value='words']").check()
    page.fill("#search-text", "'; COPY (SELECT 1) TO '/tmp/pwn.csv'; --")
    page.press("#search-text", "Enter")
    wait_idle(page)
    assert "Nothing matches" in page.locator("#search-status").inner_text()
    page.fill("#search-text", "<script>")
    page.press("#search-text", "Enter")
    wait_idle(page)
    assert grid_rows(page, "search-results") > 0  # the hostile transcript, listed as text
    assert pwn.exists() == existed and dialogs == [] and errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_tables_export_csv(browser, base_url):
    page, errors, _ = open_page(browser, base_url + "/runs")
    with page.expect_download() as download:
        page.locator("button[id*='\"name\":\"runs-runs\"']").click()
    assert download.value.suggested_filename == "runs-runs.csv"
    assert "Run" in Path(download.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_correction_in_review_changes_overview_count(browser, base_url, reader):
    """Writes a label override to the test warehouse, so it comes after the tests that read it."""
    first = q.review_queue(reader, Filters(), 1)[0]
    label = "favor" if first["stance"] != "favor" else "against"
    page, errors, _ = open_page(browser, base_url + "/")
    before = badge_count(page, label)
    page.goto(base_url + "/review")
    wait_idle(page)
    page.locator("div[id*='\"name\":\"review-queue\"'] .ag-center-cols-container .ag-row").first.click()
    page.locator(f"#review-label input[value='{label}']").check()
    page.fill("#review-author", "browser test")
    page.click("#review-save")
    page.wait_for_selector("text=Saved correction", timeout=60_000)
    page.goto(base_url + "/")
    wait_idle(page)
    assert badge_count(page, label) == before + 1
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_empty_warehouse_says_so(browser, tmp_path):
    db = tmp_path / "empty.lake"
    with write_session(db):
        pass
    base, _app, stop = start_server(db)
    try:
        for path in PAGES:
            page, errors, _ = open_page(browser, base + path)
            if path == "/":
                assert "no statements yet" in page.locator("#overview-summary").inner_text()
            assert errors == [] and page.locator(".dash-fe-error__title").count() == 0, path
            page.close()
    finally:
        stop()


# --- without a browser -------------------------------------------------------------------------------------------
def test_filters_round_trip_through_the_url():
    f = Filters(start=dt.date(2024, 1, 1), topics=("immigration", "a&b"), speakers=("x y",), kind="news",
                min_confidence=0.65, include_moderators=False, include_narration=True)
    assert from_query(to_query(f)) == f
    assert to_query(Filters()) == ""
    assert from_query("?kind=bogus&conf=nan'&from=2024-13-45&topic=") == Filters()


def test_authentication_when_configured(monkeypatch):
    server = flask.Flask("t")
    server.add_url_rule("/", "index", lambda: "ok")
    monkeypatch.setenv("STANCE_DASHBOARD_TOKEN", "s3cret")
    dashboard_app.install_auth(server)
    client = server.test_client()
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    basic = base64.b64encode("ana:s3cret".encode()).decode()
    assert client.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Basic ???"}).status_code == 401
    monkeypatch.delenv("STANCE_DASHBOARD_TOKEN")
    monkeypatch.setenv("STANCE_DASHBOARD_USER", "ana")
    monkeypatch.setenv("STANCE_DASHBOARD_PASSWORD", "pässword")
    assert dashboard_app.authorised_user(
        "Basic " + base64.b64encode("ana:pässword".encode()).decode(), dashboard_app.auth_settings()) == "ana"
    assert dashboard_app.authorised_user(
        "Basic " + base64.b64encode("ana:nope".encode()).decode(), dashboard_app.auth_settings()) is None


def test_public_host_needs_authentication(monkeypatch, tmp_path):
    for name in ("STANCE_DASHBOARD_TOKEN", "STANCE_DASHBOARD_USER", "STANCE_DASHBOARD_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit, match="Refusing"):
        dashboard_app.serve(tmp_path / "w.duckdb", host="0.0.0.0")
    assert dashboard_app.is_loopback("127.0.0.1") and dashboard_app.is_loopback("::1")
    assert not dashboard_app.is_loopback("192.168.1.5")
