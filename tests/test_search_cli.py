"""`stance search` on the real corpora and the founding Arabic article: one vector space for both languages."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import shared_file
from etl.pipeline import run_etl

SEED = ("seeds", "alkhaleej_trump_musk_x_spaces_2024.txt")


@pytest.fixture(scope="module")
def with_seed(corpora_warehouse, tmp_path_factory):
    """The corpora's warehouse (copied: a warehouse folder is a warehouse of its own) plus the seed article."""
    db, _ = corpora_warehouse
    folder = tmp_path_factory.mktemp("search")
    copy = folder / "w.lake"
    shutil.copytree(db, copy)
    record = {"source_id": "alkhaleej-2024-08-13-trump-musk", "outlet": "Al Khaleej", "date": "2024-08-13",
              "url": None, "language": "ar", "title": None, "text": shared_file(*SEED).read_text(encoding="utf-8")}
    (folder / "seed.jsonl").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    summary = run_etl(copy, [str(folder / "seed.jsonl")])
    assert summary.status == "ok" and summary.added == 1, summary.error
    return copy


def search(db, query: str, k: int) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "stance", "search", "--db", str(db), query, "--k", str(k), "--json"],
                         capture_output=True, text=True, timeout=300, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_an_english_query_finds_the_arabic_sentence_that_says_it(with_seed):
    hits = search(with_seed, "Trump repeated the claim that the 2020 election was rigged", 3)
    assert len(hits) == 3 and set(hits[0]) >= {"speaker", "text", "language", "topic", "stance", "score", "document"}
    arabic = [h for h in hits if h["language"] == "ar" and "تزويرها" in h["text"]]
    assert arabic and arabic[0]["document"] == "alkhaleej-2024-08-13-trump-musk"
    assert arabic[0]["speaker"] == "Donald Trump"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_an_arabic_query_finds_english_statements_that_say_it(with_seed):
    # "Trump promises to deport millions of illegal immigrants": the debates ask and answer exactly that
    hits = search(with_seed, "ترامب يعد بترحيل ملايين المهاجرين غير الشرعيين", 5)
    english = [h["text"].lower() for h in hits if h["language"] == "en"]
    assert any("undocumented" in t or "deport" in t for t in english), hits


def test_words_mode_matches_the_words(with_seed):
    hits = search(with_seed, "Citizens United", 5)
    assert hits and all(h["language"] == "en" for h in hits)
    words = subprocess.run([sys.executable, "-m", "stance", "search", "--db", str(with_seed), "Citizens United",
                            "--mode", "words", "--json"], capture_output=True, text=True, timeout=300, check=True)
    rows = [json.loads(line) for line in words.stdout.splitlines()]
    assert rows and all("citizens united" in r["text"].lower() for r in rows)
