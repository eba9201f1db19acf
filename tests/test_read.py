"""Reading inputs: formats detected from content, bad records rejected one by one."""
from __future__ import annotations

import json

from etl.model import CONVERSATION, NEWS, Document, Reject
from etl.read import iter_files, read_file


def records(path):
    out = list(read_file(path))
    return [r for r in out if isinstance(r, Document)], [r for r in out if isinstance(r, Reject)]


def turn(source_id, i, speaker, text, **extra):
    return json.dumps({"source_id": source_id, "title": "A debate", "date": "2024-05-01", "url": None,
                       "speaker": speaker, "turn_index": i, "text": text, **extra})


def test_transcript_jsonl_groups_turns_by_source(tmp_path):
    f = tmp_path / "talk.data"  # the extension does not matter
    f.write_text("\n".join([turn("a", 1, "Bo Chen", "Second."), turn("a", 0, "Ana Lee", "First."),
                            turn("a", 2, None, "(APPLAUSE)"), turn("b", 0, "Ana Lee", "Other talk.")]))
    docs, rejects = records(f)
    assert not rejects
    assert [d.document_id for d in docs] == ["a", "b"]
    assert docs[0].kind == CONVERSATION and docs[0].format == "transcript-jsonl"
    assert [(t.turn_index, t.speaker) for t in docs[0].turns] == [(0, "Ana Lee"), (1, "Bo Chen"), (2, None)]
    assert str(docs[0].published) == "2024-05-01"


def test_news_jsonl_allows_null_metadata(tmp_path):
    f = tmp_path / "news.jsonl"
    f.write_text(json.dumps({"source_id": "n1", "outlet": "The Fictional Post", "date": None, "url": None,
                             "language": None, "title": None, "text": "Para one.\n\nPara two."}) + "\n")
    (doc,), rejects = records(f)
    assert not rejects and doc.kind == NEWS and doc.published is None and doc.turns[0].text.endswith("two.")


def test_bad_lines_are_rejected_with_line_and_reason_and_good_lines_load(tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text("\n".join([
        turn("a", 0, "Ana Lee", "Fine."),
        "{not json",
        turn("a", 1, "Bo Chen", "Bad index").replace('"turn_index": 1', '"turn_index": "x"'),
        turn("a", 2, "Bo Chen", "Bad date", date="May 1st"),
        turn("a", 0, "Bo Chen", "Same index again"),
        "[1, 2]",
        turn("a", 3, "Bo Chen", "Also fine."),
    ]))
    docs, rejects = records(f)
    assert [t.text for t in docs[0].turns] == ["Fine.", "Also fine."]
    assert [r.line for r in rejects] == [2, 3, 4, 5, 6]
    reasons = " | ".join(r.reason for r in rejects)
    for word in ("malformed JSON", "turn_index", "date", "duplicate turn_index 0", "JSON object"):
        assert word in reasons
    assert all(str(r).startswith(f"{f}:") and "\n" not in str(r) for r in rejects)


def test_plain_text_with_initials_and_continuation_lines(tmp_path):
    f = tmp_path / "interview-2024-05-02.txt"
    f.write_text("# SOURCE: https://example.org/interview\nMR: Welcome, Governor.\nJT: Thank you.\n"
                 "We will secure the border.\nMR: Next question.\n")
    (doc,), rejects = records(f)
    assert not rejects and doc.format == "text" and doc.url == "https://example.org/interview"
    assert str(doc.published) == "2024-05-02"
    assert [(t.speaker, t.text) for t in doc.turns] == [
        ("MR", "Welcome, Governor."), ("JT", "Thank you.\nWe will secure the border."), ("MR", "Next question.")]


def test_webvtt_voice_tags_keep_cue_times(tmp_path):
    f = tmp_path / "clip.vtt"
    f.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Ana Lee>Rules <i>kill</i> innovation.\n\n"
                 "00:00:04.500 --> 00:00:06.000\nThey really do.\n\n"
                 "00:01:06.500 --> 00:01:08.250\n<v.loud Bo Chen>I disagree.</v>\n")
    (doc,), rejects = records(f)
    assert not rejects and doc.format == "vtt"
    a, b = doc.turns
    assert (a.speaker, a.text, a.start_s, a.end_s) == ("Ana Lee", "Rules kill innovation. They really do.", 1.0, 6.0)
    assert a.cues == [(0, 1.0, 4.0), (23, 4.5, 6.0)]
    assert (b.speaker, b.start_s, b.end_s) == ("Bo Chen", 66.5, 68.25)


def test_srt(tmp_path):
    f = tmp_path / "clip.srt"
    f.write_text("1\n00:00:01,000 --> 00:00:02,000\n<v Ana Lee>Hello.\n\n2\n00:00:02,500 --> 00:00:03,000\nBO CHEN: Hi.\n")
    (doc,), _ = records(f)
    assert doc.format == "srt" and [t.speaker for t in doc.turns] == ["Ana Lee", "BO CHEN"]


def test_unknown_empty_binary_and_missing_files_are_one_line_rejects(tmp_path):
    (tmp_path / "notes.md").write_text("# Notes\nJust some prose without speakers.\n")
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    good = tmp_path / "sub" / "good.jsonl"
    good.parent.mkdir()
    good.write_text(turn("a", 0, "Ana Lee", "Fine.") + "\n")
    found = [x for f in iter_files([tmp_path, tmp_path / "missing.jsonl"])
             for x in ([f] if isinstance(f, Reject) else read_file(f))]
    rejects = {r.file.rsplit("/", 1)[-1]: r.reason for r in found if isinstance(r, Reject)}
    assert rejects["missing.jsonl"] == "no such file or directory"
    assert rejects["empty.jsonl"] == "empty file"
    assert "binary" in rejects["blob.bin"] and "unrecognised format" in rejects["notes.md"]
    assert [d.document_id for d in found if isinstance(d, Document)] == ["a"]


def test_cp1252_file_is_decoded(tmp_path):
    f = tmp_path / "legacy.txt"
    f.write_bytes("ANA: Caf\u00e9 owners \u201cwelcome\u201d the rules.\nBO: Na\u00efve.\n".encode("cp1252"))
    (doc,), rejects = records(f)
    assert not rejects and doc.turns[0].text == "Caf\u00e9 owners \u201cwelcome\u201d the rules."


def test_directory_symlink_loop_is_visited_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "t.jsonl").write_text(turn("a", 0, "Ana Lee", "Fine.") + "\n")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    assert [p.name for p in iter_files([tmp_path])] == ["t.jsonl"]
