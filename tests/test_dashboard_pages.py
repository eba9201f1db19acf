"""The dashboard's newer behaviours in headless Chromium, on the generated warehouse of
conftest.py: labelled clusters on the map, a shareable Compare view, shareable search,
participants by default with moderators one toggle away, readable agreement views with
added speakers, and time series that break over periods without data."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from browser import browser_only, grid_rows, open_page, wait_idle

from dashboard import figures
from dashboard.periods import auto_bucket
from warehouse import queries as q
from warehouse.queries import Filters
from warehouse.store import Reader

PLOT = "document.querySelector('#{} .js-plotly-plot')"


def plot(page, graph_id: str, expression: str):
    """Evaluate `expression` on a graph's Plotly element (`p`) once Plotly has drawn it."""
    element = PLOT.format(graph_id)
    page.wait_for_function(f"() => {element} && {element}.data && {element}.layout", timeout=60_000)
    return page.evaluate(f"(() => {{ const p = {element}; return {expression}; }})()")


@pytest.fixture(scope="module")
def reader(dashboard_db) -> Reader:
    return Reader(dashboard_db)


def moderators(reader) -> list[str]:
    return [s["name"] for s in q.filter_options(reader)["speakers"] if s["role"] == "moderator"]


def participants(reader) -> list[dict]:
    return [s for s in q.filter_options(reader)["speakers"] if s["role"] != "moderator"]


@pytest.mark.browser
@browser_only
def test_map_clusters_have_labels_and_list_their_statements(browser, base_url, reader):
    page, errors, _ = open_page(browser, base_url + "/map")
    notes = plot(page, "map-graph", "p.layout.annotations.map(a => a.text)")
    labels = {r["label"] for by_lang in q.cluster_labels(reader).values() for r in by_lang.values()}
    assert len(notes) >= 3 and set(notes) <= labels and all(n.strip() for n in notes)
    assert "clusters" in page.locator("#map-status").inner_text()
    assert grid_rows(page, "map-clusters") > 0
    page.locator("div[id*='\"name\":\"map-clusters\"'] .ag-center-cols-container .ag-row").first.click()
    wait_idle(page)
    assert page.locator("#map-selection").inner_text().startswith("Cluster “")
    assert grid_rows(page, "map-statements") > 0
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_compare_url_reproduces_its_view(browser, base_url, reader):
    a, b = (s["speaker_id"] for s in participants(reader)[:2])
    url = f"{base_url}/compare?who={a},{b}&on=immigration"
    page, errors, _ = open_page(browser, url)
    verdict = page.locator("#compare-verdict").inner_text()
    names = q.filter_options(reader)["speakers"]
    name = {s["speaker_id"]: s["name"] for s in names}
    assert verdict.startswith("On immigration") and name[a] in verdict and name[b] in verdict
    assert "beyond noise" in verdict
    traces = plot(page, "compare-stance", "p.data.map(t => t.name)")
    assert traces == [name[a], name[b]]
    assert page.locator("#compare-quotes .quote-card").count() > 0
    again, errors2, _ = open_page(browser, page.url)  # the address bar holds the whole view
    assert again.locator("#compare-verdict").inner_text() == verdict
    again.close()
    page.locator("#compare-topic").click()  # Dash 4's dropdown: a button, then its options
    page.locator(".dash-dropdown-option", has_text="elections").first.click()
    wait_idle(page)
    assert "on=elections" in page.url and page.locator("#compare-verdict").inner_text().startswith("On elections")
    assert errors == [] and errors2 == []
    page.close()


@pytest.mark.browser
@browser_only
def test_search_query_mode_and_page_live_in_the_url(browser, base_url):
    page, errors, _ = open_page(browser, base_url + "/search?q=border&mode=words")
    assert page.locator("#search-mode input[value='words']").is_checked()
    assert "best matches" in page.locator("#search-status").inner_text()
    assert grid_rows(page, "search-results") > 0
    page.locator("#search-page a.page-link", has_text="2").first.click()
    wait_idle(page)
    assert "page=2" in page.url and "q=border" in page.url and "mode=words" in page.url
    status = page.locator("#search-status").inner_text()
    assert "26–50 shown" in status
    shared, errors2, _ = open_page(browser, page.url)
    assert shared.locator("#search-status").inner_text() == status
    assert shared.locator("#search-text").input_value() == "border"
    shared.close()
    assert errors == [] and errors2 == []
    page.close()


@pytest.mark.browser
@browser_only
def test_moderators_are_left_out_of_camps_unless_included(browser, base_url, reader):
    mods = moderators(reader)
    assert mods
    page, errors, _ = open_page(browser, base_url + "/agreement")
    members = plot(page, "agreement-alignment", "p.data[0].y")  # the speakers of the camps, grouped
    assert members and not set(mods) & set(members)
    assert not set(mods) & set(page.locator("div[id*='\"name\":\"agreement-camps\"']").inner_text().split(", "))
    page.locator("#filter-include input[value='moderators']").check()
    wait_idle(page)
    assert "moderators=1" in page.url
    assert set(mods) & set(plot(page, "agreement-alignment", "p.data[0].y"))
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_agreement_matrix_shows_the_most_active_and_added_speakers(browser, base_url, reader):
    everyone = Filters(include_moderators=True)
    full = q.agreement_matrix(reader, everyone, "reply", top_speakers=1000)
    activity: dict[str, int] = {}
    for r in full:
        for k in (r["speaker_id"], r["target_speaker_id"]):
            activity[k] = activity.get(k, 0) + r["n"]
    rare = sorted(activity, key=lambda k: (activity[k], k))[0]
    page, errors, _ = open_page(browser, f"{base_url}/agreement?moderators=1&n=10&add={quote(rare)}")
    rows = plot(page, "agreement-matrix", "p.data[0].y.length")
    shown = q.agreement_matrix(reader, everyone, "reply", 10, include=(rare,))
    people = {r["speaker_id"] for r in shown} | {r["target_speaker_id"] for r in shown}
    assert rare in people and rows == len(people) <= 11
    name = next(s["name"] for s in q.filter_options(reader)["speakers"] if s["speaker_id"] == rare)
    assert name in plot(page, "agreement-matrix", "p.data[0].y")
    assert errors == []
    page.close()


@pytest.mark.browser
@browser_only
def test_time_bucket_is_chosen_and_kept_in_the_url(browser, base_url, reader):
    options = q.filter_options(reader)
    dates = options["first"], options["last"]
    page, errors, _ = open_page(browser, base_url + "/?bucket=year")
    assert page.locator("#overview-bucket input[value='year']").is_checked()
    assert "per year" in plot(page, "overview-share", "p.layout.title.text")
    page.locator("#overview-bucket input[value='auto']").check()
    wait_idle(page)
    assert "bucket=" not in page.url
    assert f"per {auto_bucket(*dates)}" in plot(page, "overview-share", "p.layout.title.text")
    assert errors == []
    page.close()


# --- without a browser ---------------------------------------------------------------------------------------
def test_periods_without_data_are_gaps_not_lines():
    rows = [{"period": dt.date(2024, m, 1), "topic": "economy", "n": 5, "total": 10, "share": 0.5,
             "share_low": 0.2, "share_high": 0.8} for m in (1, 4)]
    trace = figures.topic_share_lines(rows, "month").data[0]
    assert trace["y"] == [50.0, None, None, 50.0] and trace["connectgaps"] is False
    assert auto_bucket(dt.date(2024, 1, 1), dt.date(2024, 3, 1)) == "week"
    assert auto_bucket(dt.date(2016, 9, 1), dt.date(2024, 11, 1)) == "quarter"
    assert auto_bucket(dt.date(1990, 1, 1), dt.date(2024, 1, 1)) == "year"


def test_topic_share_has_zero_for_silent_topics_and_no_row_for_empty_periods(reader):
    rows = q.topic_share(reader, Filters(include_moderators=True), "month")
    periods = {r["period"] for r in rows}
    topics = {r["topic"] for r in rows}
    assert len(rows) == len(periods) * len(topics)  # every period with data has every topic, zeros included
    assert all(r["share_low"] <= r["share"] <= r["share_high"] for r in rows)


def test_a_view_asked_for_by_many_at_once_is_computed_once(dashboard_db):
    import threading
    import time

    from dashboard.state import AppState

    st = AppState.open(dashboard_db)
    calls: list[int] = []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return len(calls)

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(st.memo("view", "same", compute))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1] * 6 and len(calls) == 1
