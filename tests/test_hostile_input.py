"""Hostile input: generated records, every line accounted for as loaded or rejected."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.model import Document, Reject
from etl.read import MAX_LINE_BYTES, read_file

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80).filter(str.strip)
html = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>bold</b> & co"])


@st.composite
def good_turn(draw, index):
    return json.dumps({"source_id": draw(st.sampled_from(["a", "b", "c"])) + str(index), "title": draw(st.none() | text),
                       "date": draw(st.none() | st.dates().map(str)), "url": None,
                       "speaker": draw(st.none() | text), "turn_index": draw(st.integers(0, 10**6)),
                       "text": draw(text | html)}, ensure_ascii=draw(st.booleans())).encode()


bad_line = st.one_of(
    st.just(b"{broken json"),
    st.just(b'["a list"]'),
    st.just(b'"just a string"'),
    st.builds(lambda v: json.dumps({"source_id": "x", "speaker": "A", "turn_index": v, "text": "t"}).encode(),
              st.one_of(st.text(max_size=5), st.floats(allow_nan=False), st.just(-1), st.booleans())),
    st.builds(lambda v: json.dumps({"source_id": v, "speaker": "A", "turn_index": 0, "text": "t"}).encode(),
              st.one_of(st.none(), st.just(""), st.integers(), st.lists(st.integers(), max_size=2))),
    st.just(json.dumps({"source_id": "x", "speaker": "A", "turn_index": 0, "text": None}).encode()),
    st.just(json.dumps({"source_id": "x", "speaker": "A", "turn_index": 0, "text": "t", "date": "13/13/13"}).encode()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_line_is_loaded_or_rejected(tmp_path, data):
    n = data.draw(st.integers(1, 25))
    lines, good = [], 0
    for i in range(n):
        if data.draw(st.booleans()):
            lines.append(data.draw(good_turn(i)))  # unique source_id per good line: no duplicates
            good += 1
        else:
            lines.append(data.draw(bad_line))
    f = tmp_path / "hostile.jsonl"
    f.write_bytes(b"\n".join(lines) + b"\n")
    out = list(read_file(f))
    docs = [r for r in out if isinstance(r, Document)]
    rejects = [r for r in out if isinstance(r, Reject)]
    if not any(line.startswith(b"{") for line in lines):  # nothing looks like JSONL: one file-level reject
        assert len(rejects) == 1 and rejects[0].line is None and not docs
        return
    assert sum(len(d.turns) for d in docs) == good
    assert len(rejects) == n - good
    assert all(r.line and 1 <= r.line <= n and "\n" not in r.reason and len(r.excerpt) <= 200 for r in rejects)


def test_html_is_kept_as_text(tmp_path):
    f = tmp_path / "t.jsonl"
    f.write_text(json.dumps({"source_id": "x", "title": None, "date": None, "url": None, "speaker": "A",
                             "turn_index": 0, "text": "<script>alert(1)</script> hi"}))
    (doc,) = read_file(f)
    assert doc.turns[0].text == "<script>alert(1)</script> hi"


def test_line_over_10_mb_is_rejected_and_neighbours_load(tmp_path):
    ok = json.dumps({"source_id": "x", "title": None, "date": None, "url": None, "speaker": "A",
                     "turn_index": 0, "text": "fine"})
    huge = json.dumps({"source_id": "y", "title": None, "date": None, "url": None, "speaker": "A",
                       "turn_index": 0, "text": "x" * (MAX_LINE_BYTES + 10)})
    f = tmp_path / "big.jsonl"
    f.write_text("\n".join([ok, huge, ok.replace('"x"', '"z"')]))
    out = list(read_file(f))
    rejects = [r for r in out if isinstance(r, Reject)]
    assert [(r.line, r.reason) for r in rejects] == [(2, "line longer than 10 MB")]
    assert sorted(d.document_id for d in out if isinstance(d, Document)) == ["x", "z"]


def test_duplicate_news_source_id_with_different_content_is_rejected(tmp_path):
    art = {"source_id": "n", "outlet": "O", "date": None, "url": None, "language": "en", "title": "T", "text": "One."}
    f = tmp_path / "n.jsonl"
    f.write_text("\n".join(json.dumps(a) for a in [art, {**art, "text": "Two."}, art]))
    out = list(read_file(f))
    rejects = [r for r in out if isinstance(r, Reject)]
    assert [(r.line, r.reason) for r in rejects] == [
        (2, "duplicate source_id 'n' with different content"), (3, "duplicate source_id 'n'")]
    assert [d.turns[0].text for d in out if isinstance(d, Document)] == ["One."]


def test_invalid_utf8_line_in_a_utf8_file_is_rejected(tmp_path):
    good = [json.dumps({"source_id": f"s{i}", "title": None, "date": None, "url": None, "speaker": "Ana",
                        "turn_index": 0, "text": "café – naïve ترامب"}, ensure_ascii=False).encode() for i in range(3)]
    bad = b'{"source_id": "bad", "speaker": "A", "turn_index": 0, "text": "caf\xe9 \xff"}'
    f = tmp_path / "u.jsonl"
    f.write_bytes(b"\n".join([good[0], bad, good[1], good[2]]))
    out = list(read_file(f))
    assert [(r.line, r.reason.split(" at ")[0]) for r in out if isinstance(r, Reject)] == [(2, "invalid utf-8")]
    assert sorted(d.document_id for d in out if isinstance(d, Document)) == ["s0", "s1", "s2"]
