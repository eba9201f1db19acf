"""Rebuild the default label models shipped in etl/labels/default/, and measure them.

    python -m etl.labels.build_default [--corpora ../shared/corpora] [--cache /tmp/stance-cache]

Training data: the project's written CSVs (etl/labels/training_data/<task>/) and the annotated
transcripts (etl/labels/annotations/, with the text read from the corpora): the shipped models learn
from every trainable document. To measure them honestly, a second set of models is trained without
the held-out documents and scored on those and on the 2024 debates (never trained on); the figures go
to etl/labels/default/quality.json, which the dashboard and docs/benchmarks.md show.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from etl.embed import get_embedder
from etl.labels.annotated import HELD_OUT, build_rows, write_csvs
from etl.labels.features import CachedEmbedder
from etl.labels.training import DEFAULT_CONFIG, DEFAULT_DIR, DEFAULT_EMBEDDER, MODELS, evaluate, project_csvs, train

QUALITY = DEFAULT_DIR / "quality.json"
UNSEEN = "two 2024 presidential debates, never trained on"
SHARED_CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


def build(corpora: Path, out_dir: Path = DEFAULT_DIR, cache: Path | None = None) -> dict:
    """Train the shipped models into out_dir and return their measured quality. With `cache`, each
    text's vector is kept there and reused by the next build (and by bench/labels_bench.py)."""
    embedder = get_embedder(DEFAULT_EMBEDDER)
    if cache is not None:
        embedder = CachedEmbedder(embedder, cache)
    with tempfile.TemporaryDirectory(prefix="stance-build-") as tmp:
        tmp = Path(tmp)
        csvs = {split: write_csvs(build_rows(corpora, split), tmp, prefix=f"{split}-")
                for split in ("all-train", "train", "held-out", "test-2024")}
        quality = {"measured_on": dt.date.today().isoformat(), "embedder": embedder.name,
                   "held_out_documents": list(HELD_OUT)}
        for task in MODELS:
            measured = tmp / "measured" / task
            train(task, [csvs["train"][task], *project_csvs(task)], measured, embedder, config=DEFAULT_CONFIG[task])
            quality[task] = {name: _figures(evaluate(task, csvs[split][task], measured, embedder))
                             for name, split in (("held_out", "held-out"), ("debates_2024", "test-2024"))}
            # the figure the dashboard shows beside the labels: unseen debates, the most demanding test
            quality[task].update(macro_f1=quality[task]["debates_2024"]["macro_f1"], measured_on=UNSEEN)
            shutil.rmtree(out_dir / task, ignore_errors=True)
            summary = train(task, [csvs["all-train"][task], *project_csvs(task)], out_dir / task, embedder,
                            config=DEFAULT_CONFIG[task])
            quality[task]["n_train"] = summary["n_train"]
            print(json.dumps(summary))
    (out_dir / QUALITY.name).write_text(json.dumps(quality, indent=2) + "\n", encoding="utf-8")
    return quality


def _figures(result: dict) -> dict:
    keep = {k: result[k] for k in ("n", "macro_f1", "accuracy", "ece") if k in result}
    keep["f1"] = {label: round(v["f1"], 3) for label, v in result["per_class"].items()}
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in keep.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m etl.labels.build_default")
    parser.add_argument("--corpora", type=Path, default=SHARED_CORPORA,
                        help="the folder with the annotated transcripts (default: ../shared/corpora)")
    parser.add_argument("--cache", type=Path, help="keep the texts' vectors here, for the next build")
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        raise SystemExit(f"{args.corpora}: no such folder; the annotated transcripts are read from it")
    print(json.dumps(build(args.corpora, cache=args.cache), indent=2))


if __name__ == "__main__":
    main()
