"""The `stance` command as a scheduler or a user runs it."""
from __future__ import annotations

import json
import subprocess
import sys

from warehouse.store import etl_lock


def stance(*args, cwd=None, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "stance", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def news(source_id, text):
    return json.dumps({"source_id": source_id, "outlet": "The Fictional Post", "date": "2024-04-01", "url": None,
                       "language": "en", "title": "T", "text": text})


def test_second_run_while_one_is_active_exits_75_and_touches_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    (tmp_path / "a.jsonl").write_text(news("a", "Senator Ana Lee said the border must be secured."))
    with etl_lock(db):
        proc = stance("etl", "--db", str(db), str(tmp_path / "a.jsonl"), timeout=60)
    assert proc.returncode == 75
    assert proc.stderr.strip().count("\n") == 0 and "already" in proc.stderr
    assert not (db / "catalog.sqlite").exists()


def test_usage_errors_exit_2(tmp_path):
    assert stance("etl", "--db", str(tmp_path / "w.duckdb"), timeout=60).returncode == 2
    assert stance("frobnicate", timeout=60).returncode == 2


def test_bad_config_is_a_one_line_error(tmp_path):
    (tmp_path / "stance.toml").write_text("db = 'x.duckdb'\nmodle = 'typo'\n")
    proc = stance("check", cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: stance.toml: unknown setting(s) modle; known: aliases, dashboard, data_path, db, embed_backend, engine, label_models, model, ray, taxonomy"


def test_bad_taxonomy_is_a_one_line_error_not_a_traceback(tmp_path):
    bad = tmp_path / "topics.yaml"
    bad.write_text("topics:\n  economy:\n    description: Jobs and prices\n")
    (tmp_path / "a.jsonl").write_text(news("a", "Prices are rising."))
    proc = stance("etl", "--db", str(tmp_path / "w.duckdb"), "--taxonomy", str(bad), str(tmp_path / "a.jsonl"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"{bad}: topic 'economy': 'stance_target' must be a non-empty text" in proc.stderr


def test_inbox_moves_files_to_done_and_failed(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.jsonl").write_text(news("g", "Mayor Bo Chen said regulation of ride-hailing apps is overdue."))
    (inbox / "bad.jsonl").write_text(news("b", "Fine article.") + "\n{oops\n")
    db = tmp_path / "w.duckdb"
    proc = stance("etl", "--db", str(db), "--inbox", str(inbox))
    assert proc.returncode == 3, proc.stderr
    assert f"rejected: {inbox / 'bad.jsonl'}:2: malformed JSON" in proc.stderr
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["good.jsonl"]
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["bad.jsonl"]
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    again = stance("etl", "--db", str(db), "--inbox", str(inbox))  # nothing new: a usage error, not a crash
    assert again.returncode == 2


# What an unchanged re-run must not import: each costs a scheduled job's run 0.1-3 s before it finds nothing to do.
HEAVY = ("numpy", "pandas", "pyarrow", "scipy", "sklearn", "torch", "onnxruntime", "tokenizers", "umap", "dash", "ray",
         "etl.compute", "etl.embed", "etl.labels", "etl.layout_fit", "etl.load")


def test_an_unchanged_rerun_imports_neither_numpy_nor_the_models(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(news("a", "Senator Ana Lee said the border must be secured."))
    db = tmp_path / "w.lake"
    assert stance("etl", "--db", str(db), str(path)).returncode == 0
    probe = (f"import atexit, sys\nheavy = {HEAVY!r}\n"
             "atexit.register(lambda: print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') "
             "for h in heavy))))\nfrom stance.cli import main\nmain()\n")
    proc = subprocess.run([sys.executable, "-c", probe, "etl", "--db", str(db), str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "1 unchanged" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "[]"
