"""Time every dashboard callback on a warehouse and print p50 / p95 per callback.

    python bench/make_warehouse.py --segments 1000000 --out bench/bench.lake
    python bench/dashboard_bench.py --db bench/bench.lake --repeat 20

Each callback runs its page's view function (the same code the Dash callback runs: the
queries, the logic and the figure) and the JSON encoding Dash does on its output. Calls
cycle through several filter settings and speakers; the per-filter memo shared by the
Agreement callbacks is cleared before every call, so each number is a cold call. Start-up
costs (fact tables, embedding index, query model) are reported once, separately.
Not a test: it prints numbers.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import plotly.utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.app import create_app  # noqa: E402
from dashboard.runtime import freeze_long_lived_objects  # noqa: E402
from dashboard.embedding_index import _encode  # noqa: E402
from dashboard.state import AppState  # noqa: E402
from warehouse import queries as q  # noqa: E402
from warehouse.queries import Filters  # noqa: E402
from warehouse.maintenance import disk_usage as file_bytes  # noqa: E402

QUERIES = ["secure the border", "the election was rigged", "clean energy jobs", "cut taxes and spending",
           "refugees deserve a fair hearing"]


def filter_variants(st: AppState) -> list[Filters]:
    opts = st.options()
    first, last = opts["first"], opts["last"]
    mid = first + (last - first) / 2 if first and last else None
    people = tuple(s["speaker_id"] for s in opts["speakers"][:3])
    return [
        Filters(),
        Filters(start=mid, end=last),
        Filters(topics=tuple(opts["topics"][:2])),
        Filters(kind="news", include_narration=True),
        Filters(languages=("en",), min_confidence=0.6),
        Filters(speakers=people, include_moderators=False),
        Filters(start=first, end=mid, kind="conversation", outlets=tuple(opts["outlets"][:2])),
    ]


def click(customdata) -> dict:
    """Dash's clickData for a mark carrying `customdata` (heatmap cells carry 'a<US>b')."""
    return {"points": [{"customdata": customdata}]}


def page(name: str):
    """A page module as the app loaded it (pages can only be imported once an app exists)."""
    return importlib.import_module(f"dashboard.pages.{name}")


def callbacks(st: AppState) -> dict:
    """name -> function(i, filters) running that callback's work."""
    overview, speaker, agreement, search = page("overview"), page("speaker"), page("agreement"), page("search")
    compare = page("compare")
    document, map_page, review, runs = page("document"), page("map"), page("review"), page("runs")
    speakers = [s["speaker_id"] for s in st.options()["speakers"][:10]]
    topics = [t for t in st.options()["topics"] if t != "other"]
    _, largest = st.reader.query("SELECT document_id FROM segments GROUP BY 1 ORDER BY count(*) DESC LIMIT 10")
    big_docs = [d for (d,) in largest]  # the longest documents: the worst case
    period = (st.options()["first"] or dt.date(2024, 1, 1)).replace(day=1).isoformat()
    sp = lambda i: speakers[i % len(speakers)]  # noqa: E731
    return {
        "overview.summary": lambda i, f: overview.summary_view(st, f),
        "overview.heatmap": lambda i, f: overview.heatmap_view(st, f),
        "overview.share": lambda i, f: overview.share_view(st, f),
        "overview.top": lambda i, f: overview.top_view(st, f),
        "overview.selection (cell)": lambda i, f: overview.selection_view(
            st, f, "overview-heatmap", click(f"{sp(i)}\x1f{topics[i % len(topics)]}")),
        "overview.selection (period)": lambda i, f: overview.selection_view(
            st, f, "overview-share", click([topics[i % len(topics)], period])),
        "speaker.header": lambda i, f: speaker.header_view(st, sp(i)),
        "speaker.stance": lambda i, f: speaker.stance_view(st, f, sp(i)),
        "speaker.partners": lambda i, f: speaker.partners_view(st, f, sp(i)),
        "speaker.quotes": lambda i, f: speaker.quotes_view(st, f, sp(i)),
        "speaker.selection": lambda i, f: speaker.selection_view(
            st, f, sp(i), "speaker-partners", click([sp(i + 1), "agree"])),
        "speaker.topics": lambda i, f: speaker.topics_view(st, f, sp(i)),
        "compare.verdict": lambda i, f: compare.verdict_view(st, f, [sp(i), sp(i + 1)], None),
        "compare.charts": lambda i, f: compare.charts_view(st, f, [sp(i), sp(i + 1), sp(i + 2)]),
        "compare.quotes": lambda i, f: compare.quotes_view(st, f, [sp(i), sp(i + 1)], topics[i % len(topics)]),
        "compare.replies": lambda i, f: compare.replies_view(st, f, [sp(i), sp(i + 1)]),
        "agreement.matrix": lambda i, f: agreement.matrix_view(st, f, "reply" if i % 2 else "reported"),
        "agreement.network": lambda i, f: agreement.network_view(st, f),
        "agreement.alignment+camps": lambda i, f: (agreement.alignment_view(st, f), agreement.camps_view(st, f)),
        "agreement.contested": lambda i, f: agreement.contested_view(st, f),
        "agreement.selection": lambda i, f: agreement.selection_view(
            st, f, "reply", "agreement-matrix", click(f"{sp(i)}\x1f{sp(i + 1)}")),
        "search (meaning)": lambda i, f: search.results_view(st, f, QUERIES[i % len(QUERIES)], "meaning"),
        "search (page 2)": lambda i, f: search.results_view(st, f, QUERIES[i % len(QUERIES)], "meaning", 2),
        "search (words)": lambda i, f: search.results_view(st, f, QUERIES[i % len(QUERIES)].split()[-1], "words"),
        "search (both)": lambda i, f: search.results_view(st, f, QUERIES[i % len(QUERIES)].split()[-1], "both"),
        "document.view": lambda i, f: document.document_view(st, f, big_docs[i % len(big_docs)] if big_docs else None),
        "document.options": lambda i, f: document.document_options(st, ["", "news", "Reuters"][i % 3]),
        "map.view": lambda i, f: map_page.map_view(st, f),
        "map.clusters": lambda i, f: map_page.clusters_view(st, f),
        "review.queue": lambda i, f: review.queue_view(st, f),
        "review.done": lambda i, f: review.done_view(st),
        "runs.view": lambda i, f: runs.runs_view(st),
        "runs.rejects": lambda i, f: runs.rejects_view(st, i % 12 + 1),
    }


def encode(output) -> str:
    """What Dash does with a callback's return value."""
    return json.dumps(output, cls=plotly.utils.PlotlyJSONEncoder)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def startup(st: AppState) -> list[tuple[str, float]]:
    return [("fact tables", timed(lambda: q.warm_up(st.reader))),
            ("embedding index", timed(st.index.snapshot)),
            ("query model (first search)", timed(lambda: st.index.encode("warm up")))]


def run(st: AppState, repeat: int, only: str | None) -> list[tuple[str, list[float]]]:
    variants = filter_variants(st)
    results = []
    for name, fn in callbacks(st).items():
        if only and only not in name:
            continue
        fn(0, variants[0])  # first call pays one-off costs (page cache), not counted
        times = []
        for i in range(repeat):
            st._memo.clear()
            _encode.cache_clear()
            f = variants[i % len(variants)]
            times.append(timed(lambda: encode(fn(i, f))))
        results.append((name, times))
        print(f"  {name:32s} p50 {statistics.median(times):7.1f} ms", file=sys.stderr)
    return results


def write_costs(db: Path) -> list[tuple[str, float]]:
    """A correction on a copy of the warehouse, and the first query after it."""
    with tempfile.TemporaryDirectory(dir=db.parent) as tmp:
        copy = Path(tmp) / db.name
        shutil.copytree(db, copy)  # a copied warehouse folder is independent
        st = AppState.open(copy)
        q.warm_up(st.reader)
        row = q.review_queue(st.reader, Filters(), 1)[0]
        write = timed(lambda: q.record_override(copy, "stance", row["segment_id"], row["topic"], "favor", "bench"))
        rebuild = timed(lambda: q.summary(st.reader, Filters()))
        return [("correction (record_override)", write), ("first query after it (facts patched)", rebuild)]


def measure(db: Path, repeat: int = 20, only: str | None = None) -> dict:
    """Start-up costs (ms, once) and p50 / p95 / max (ms) of every callback, on the warehouse `db`.

    Builds the app in this process (a process can hold only one)."""
    app = create_app(db, warm_up=False)
    freeze_long_lived_objects()  # as serve() does
    st = app.server.extensions["stance"]
    start = startup(st)
    results = run(st, repeat, only)
    return {
        "startup_ms": {name: round(ms, 1) for name, ms in start},
        "callbacks": {name: {"p50": round(statistics.median(t), 1), "p95": round(percentile(t, 95), 1),
                             "max": round(max(t), 1)} for name, t in results},
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("bench/bench.lake"))
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--only", help="only callbacks whose name contains this")
    ap.add_argument("--write", action="store_true", help="also time a correction (copies the warehouse)")
    args = ap.parse_args(argv)

    print(f"warehouse {args.db} ({file_bytes(args.db) / 1e9:.2f} GB), {args.repeat} calls per callback\n")
    result = measure(args.db, args.repeat, args.only)
    print("start-up (once)")
    for name, ms in result["startup_ms"].items():
        print(f"  {name:40s} {ms:9.0f} ms")
    print(f"\n{'callback':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}")
    for name, r in result["callbacks"].items():
        print(f"{name:34s} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f}")
    if args.write:
        print()
        for name, ms in write_costs(args.db):
            print(f"  {name:40s} {ms:9.0f} ms")


if __name__ == "__main__":
    main()
