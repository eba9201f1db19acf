"""`stance etl --engine ray` on a real local Ray cluster (two worker processes), against the local engine."""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import jsonl, shared_file
from warehouse.store import connect_read

pytestmark = pytest.mark.ray

DEBATE = "debate-2024-06-27-biden-trump-cnn"  # no other test reads this transcript
COMPARED = {  # every table the ETL writes, less the run's own bookkeeping
    "documents": "SELECT * EXCLUDE (loaded_at, run_id) FROM documents",
    "turns": "SELECT * FROM turns",
    "segments": "SELECT * FROM segments",
    "speakers": "SELECT * FROM speakers",
    "speaker_roles": "SELECT * FROM speaker_roles",
    "topic_labels": "SELECT * FROM topic_labels",
    "stance_labels": "SELECT * FROM stance_labels",
    "agreement_labels": "SELECT * FROM agreement_labels",
    "statements": "SELECT * FROM statements",
    "agreements": "SELECT * FROM agreements",
    "rejects": "SELECT file, line, reason, excerpt FROM rejects",
    "etl_runs": "SELECT status, added, replaced, skipped, rejected, segments, embedded FROM etl_runs",
    "segment_layout": "SELECT segment_id FROM segment_layout",
}


def stance(*args, timeout=600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stance", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kw)


def rows(db: Path, sql: str) -> list[tuple]:
    con = connect_read(db)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def vectors(db: Path) -> dict[str, np.ndarray]:
    return {sid: np.asarray(v, np.float32) for sid, v in rows(db, "SELECT segment_id, vector FROM embeddings")}


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster of 2 CPUs (two worker processes), shared by these tests; drivers join it by address."""
    import ray

    info = ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield info.address_info["gcs_address"]
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    """A debate the project has never seen, then news that quotes its speakers, with one broken record."""
    folder = tmp_path_factory.mktemp("inputs")
    debate = [r for r in jsonl(shared_file("corpora", "transcripts_debates_2024.jsonl")) if r["source_id"] == DEBATE]
    articles = sorted((a for a in jsonl(shared_file("corpora", "news_fulltext.jsonl"))
                       if "Biden" in a["text"] and "Trump" in a["text"]), key=lambda a: len(a["text"]))[:1]
    (folder / "debate.jsonl").write_text("\n".join(json.dumps(r) for r in debate) + "\n", encoding="utf-8")
    (folder / "news.jsonl").write_text("\n".join(json.dumps(a) for a in articles) + "\n{broken\n", encoding="utf-8")
    return [folder / "debate.jsonl", folder / "news.jsonl"]


@pytest.fixture(scope="module")
def local_and_ray(tmp_path_factory, inputs, ray_cluster):
    """The same inputs through `--engine local` and `--engine ray --workers 2` (one document per batch)."""
    folder = tmp_path_factory.mktemp("engines")
    local = stance("etl", "--db", folder / "local.lake", *inputs)
    distributed = stance("-v", "etl", "--engine", "ray", "--ray-address", ray_cluster, "--workers", 2,
                         "--batch-size", 1, "--db", folder / "ray.lake", *inputs)
    return folder / "local.lake", local, folder / "ray.lake", distributed


def test_ray_engine_gives_the_local_engines_warehouse(local_and_ray):
    local_db, local, ray_db, distributed = local_and_ray
    assert local.returncode == 3, local.stderr  # 3: loaded, with the broken record rejected
    assert distributed.returncode == 3, distributed.stderr
    assert "ray: 2 workers, 0 restarted" in distributed.stdout
    rejected = [line for line in distributed.stderr.splitlines() if line.startswith("rejected: ")]
    assert rejected == [line for line in local.stderr.splitlines() if line.startswith("rejected: ")]
    assert len(rejected) == 1 and "news.jsonl:2: malformed JSON" in rejected[0]
    for table, sql in COMPARED.items():
        assert rows(ray_db, sql) == rows(local_db, sql), table
    assert len(rows(local_db, "SELECT * FROM documents")) == 2
    assert len(rows(local_db, "SELECT * FROM agreements")) > 50


def test_ray_vectors_match_the_local_ones(local_and_ray):
    local_db, _, ray_db, _ = local_and_ray
    a, b = vectors(local_db), vectors(ray_db)
    assert a.keys() == b.keys() and len(a) > 300
    cosine = [float(a[k] @ b[k] / (np.linalg.norm(a[k]) * np.linalg.norm(b[k]))) for k in a]
    assert min(cosine) >= 0.999


def test_ray_warehouse_passes_check(local_and_ray):
    _, _, ray_db, _ = local_and_ray
    check = stance("check", "--db", ray_db, timeout=120)
    assert (check.returncode, check.stdout.strip()) == (0, "ok"), check.stderr


def test_rerun_on_unchanged_input_never_starts_ray(local_and_ray, inputs):
    """Nothing listens at this address: the run succeeds only because it never contacts Ray."""
    _, _, ray_db, _ = local_and_ray
    proc = stance("etl", "--engine", "ray", "--ray-address", "127.0.0.1:9", "--db", ray_db, *inputs, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "0 added, 0 replaced, 2 unchanged, 1 rejected" in proc.stdout
    assert "ray: no work, not started" in proc.stdout


def test_the_engine_comes_from_stance_toml(local_and_ray, inputs, tmp_path):
    _, _, ray_db, _ = local_and_ray
    (tmp_path / "stance.toml").write_text(f'db = "{ray_db}"\nengine = "ray"\n\n[ray]\naddress = "127.0.0.1:9"\n'
                                          'workers = 4\nbatch_size = 2\n')
    proc = stance("etl", *inputs, cwd=tmp_path, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "2 unchanged" in proc.stdout and "ray: no work, not started" in proc.stdout
    local = stance("etl", "--engine", "local", *inputs, cwd=tmp_path, timeout=120)  # the command line wins
    assert "2 unchanged" in local.stdout and "ray:" not in local.stdout


def test_a_bad_ray_setting_is_a_one_line_error(tmp_path):
    (tmp_path / "stance.toml").write_text('[ray]\nworkers = "many"\n')
    proc = stance("etl", "x.jsonl", cwd=tmp_path, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: stance.toml: [ray] workers = 'many': expected a number"
    usage = stance("etl", "--engine", "ray", "--workers", "0", "x.jsonl", cwd=tmp_path.parent, timeout=120)
    assert usage.returncode == 2 and "workers = 0: expected a whole number of at least 1" in usage.stderr


def test_changed_document_on_ray_reuses_stored_vectors(local_and_ray, inputs, ray_cluster, tmp_path):
    _, _, ray_db, _ = local_and_ray
    db = tmp_path / "w.lake"
    shutil.copytree(ray_db, db)
    article = json.loads(inputs[1].read_text(encoding="utf-8").splitlines()[0])  # its one good record
    article["text"] += "\n\nThe campaign did not answer a request for comment."
    changed = tmp_path / "news.jsonl"
    changed.write_text(json.dumps(article) + "\n", encoding="utf-8")
    proc = stance("etl", "--engine", "ray", "--ray-address", ray_cluster, "--db", db, changed)
    assert proc.returncode == 0, proc.stderr
    assert "0 added, 1 replaced, 0 unchanged, 0 rejected" in proc.stdout
    assert " 1 embedded; ray: 1 worker, 0 restarted" in proc.stdout  # the new sentence only
    assert stance("check", "--db", db, timeout=120).returncode == 0


def test_sigkill_of_the_driver_mid_run_leaves_the_warehouse_as_it_was(local_and_ray, ray_cluster, tmp_path):
    local_db, _, _, _ = local_and_ray
    db = tmp_path / "w.lake"
    shutil.copytree(local_db, db)
    before = {table: rows(db, sql) for table, sql in COMPARED.items()}
    demo = sorted(str(p) for p in (Path(__file__).parents[1] / "stance" / "demo").glob("*.jsonl"))
    log = tmp_path / "etl.log"
    with open(log, "w") as err:
        driver = subprocess.Popen([sys.executable, "-m", "stance", "-v", "etl", "--engine", "ray", "--ray-address",
                                   ray_cluster, "--batch-size", "1", "--db", str(db), *demo],
                                  stdout=subprocess.DEVNULL, stderr=err)
        try:
            _wait_for(log, "documents computed", driver)  # results are streaming into the run's copy
        finally:
            driver.send_signal(signal.SIGKILL)
            driver.wait(timeout=60)
    assert driver.returncode == -signal.SIGKILL
    check = stance("check", "--db", db, timeout=120)
    assert (check.returncode, check.stdout.strip()) == (0, "ok"), check.stderr
    assert {table: rows(db, sql) for table, sql in COMPARED.items()} == before


def test_a_worker_killed_mid_run_is_restarted_and_reported(ray_cluster, tmp_path):
    demo = sorted(str(p) for p in (Path(__file__).parents[1] / "stance" / "demo").glob("*.jsonl"))
    db, log = tmp_path / "ray.lake", tmp_path / "etl.log"
    with open(log, "w") as err, open(tmp_path / "out.txt", "w") as out:
        driver = subprocess.Popen([sys.executable, "-m", "stance", "-v", "etl", "--engine", "ray", "--ray-address",
                                   ray_cluster, "--workers", "2", "--batch-size", "1", "--db", str(db), *demo],
                                  stdout=out, stderr=err)
        _wait_for(log, "documents computed", driver)
        os.kill(_worker_pids()[0], signal.SIGKILL)
        driver.wait(timeout=600)
    stdout = (tmp_path / "out.txt").read_text()
    assert driver.returncode == 0, log.read_text()[-3000:]
    assert "ray: 2 workers, 1 restarted" in stdout
    assert stance("check", "--db", db, timeout=120).returncode == 0
    # every document whole, exactly once: the killed worker's batch was run again, not lost or doubled
    assert rows(db, "SELECT segment_id FROM segments") == sorted((s,) for s in _segment_ids(demo))


def test_a_worker_that_cannot_load_its_models_fails_the_run_on_one_line(inputs, ray_cluster, tmp_path):
    """The workers load the label models; the driver names their error, with no traceback."""
    (tmp_path / "models").mkdir()
    db = tmp_path / "w.lake"
    proc = stance("etl", "--engine", "ray", "--ray-address", ray_cluster, "--labels", tmp_path / "models",
                  "--db", db, inputs[0])
    assert proc.returncode == 1
    assert (f"stance etl: failed: RayRunError: FileNotFoundError: {tmp_path / 'models'}: not a model directory "
            "(no meta.json)\n") in proc.stderr
    assert "Traceback" not in proc.stderr
    assert rows(db, "SELECT status, added FROM etl_runs") == [("failed", 0)]


def test_a_bad_taxonomy_fails_before_any_ray_work(inputs, tmp_path):
    bad = tmp_path / "topics.yaml"
    bad.write_text("topics:\n  economy:\n    description: Jobs and prices\n")
    proc = stance("etl", "--engine", "ray", "--ray-address", "127.0.0.1:9", "--taxonomy", bad,
                  "--db", tmp_path / "w.lake", inputs[0], timeout=120)
    assert proc.returncode == 1
    assert f"stance etl: failed: TaxonomyError: {bad}: topic 'economy': 'stance_target' must be a non-empty text" in proc.stderr
    assert "ray: " not in proc.stderr  # never started nor joined


def test_engine_ray_without_ray_installed_says_how_to_install(tmp_path):
    """A Python where `import ray` fails, as it does without the extra."""
    (tmp_path / "a.jsonl").write_text(json.dumps({"source_id": "a", "outlet": "O", "date": None, "url": None,
                                                  "language": "en", "title": None, "text": "Text."}))
    code = "import sys; sys.modules['ray'] = None; from stance.cli import main; main()"
    proc = subprocess.run([sys.executable, "-c", code, "etl", "--engine", "ray", "--db", str(tmp_path / "w.lake"),
                           str(tmp_path / "a.jsonl")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "stance etl: --engine ray needs Ray, which is not installed: pip install 'stance[ray]'\n"
    assert not (tmp_path / "w.lake").exists()


def _wait_for(log: Path, text: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"never saw {text!r}; log:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def _segment_ids(files: list[str]) -> list[str]:
    """The segments the ETL cuts from these files (ids do not depend on models or speakers)."""
    from etl.read import read_file
    from etl.segment import segment_document

    docs = [d for f in files for d in read_file(f)]
    return [s.segment_id for d in docs for s in segment_document(d, [t.speaker for t in d.turns])]


def _worker_pids() -> list[int]:
    """The DocumentWorker processes of this test's cluster: children of the raylet this process started."""
    def parent(pid: str) -> int:
        return int((Path("/proc") / pid / "stat").read_text().rsplit(")", 1)[1].split()[1])

    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and b"DocumentWorker" in (proc / "cmdline").read_bytes()
                    and parent(str(parent(proc.name))) == os.getpid()):
                pids.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    assert pids, "no DocumentWorker process of this cluster found"
    return sorted(pids)
