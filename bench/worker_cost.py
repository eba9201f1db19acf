"""One worker's cost per segment, on a CPU or a GPU: what a Ray worker does with its batches.

    .venv/bin/python bench/worker_cost.py [--device cpu|cuda] [--threads 1] [--out cost.json] [INPUT ...]

The tasks are made as the driver makes them (speakers resolved in input order; no
warehouse is needed), the models load as in a worker (`etl.compute.Models.load`), and then:

  * `load_s`: loading the models, once per worker;
  * `compute`: `etl.compute.compute_document` over every task, as a worker runs it
    (segment, attribute, embed, label): seconds per segment and segments per second;
  * `embed`: the embedder alone on the same texts, so the rest (segmenting, labelling, on
    the CPU even on a GPU worker) is `compute` less `embed`.

Default input: the benchmark debates (bench/debate_corpus.py). docs/scaling.md turns the
figures into cluster projections; run it on a GPU machine with `--device cuda`.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import CORPORA, code_version, machine  # noqa: E402


def tasks_of(inputs: list[str]) -> tuple[list, object]:
    from etl.compute import Task
    from etl.model import Document
    from etl.read import iter_files, read_file
    from etl.run_speakers import RunSpeakers

    speakers, tasks = RunSpeakers(None, []), []
    for path in iter_files(inputs):
        for doc in read_file(path) if isinstance(path, Path) else []:
            if isinstance(doc, Document):
                turns = speakers.resolve_turns(doc)
                tasks.append(Task(len(tasks), doc, turns, len(speakers.learned), replaces=False))
    return tasks, speakers


def measure(inputs: list[str], device: str, threads: int | None) -> dict:
    from etl.compute import Models, compute_document
    from etl.pipeline import Settings
    from etl.run_speakers import ResolverReplay

    tasks, speakers = tasks_of(inputs)
    start = time.perf_counter()
    models = Models.load(Settings(), threads=threads, device=None if device == "cpu" else device)
    models.labeller  # noqa: B018 -- waits for the label models too
    load_s = time.perf_counter() - start
    replay = ResolverReplay(None, [], speakers.learned)
    compute_document(models, replay.at(tasks[0].names_known), tasks[0])  # warm-up (first-call costs)
    start = time.perf_counter()
    results = [compute_document(models, replay.at(t.names_known), t) for t in tasks]
    compute_s = time.perf_counter() - start
    texts = [s.text for r in results for s in r.rows.segments]
    start = time.perf_counter()
    models.embedder.encode(texts)
    embed_s = time.perf_counter() - start
    n = len(texts)
    return {"device": device, "threads": threads, "embedder": type(models.embedder).__name__,
            "documents": len(tasks), "segments": n, "load_s": round(load_s, 2),
            "compute_s": round(compute_s, 2), "compute_ms_per_segment": round(1000 * compute_s / n, 3),
            "compute_segments_per_s": round(n / compute_s, 1),
            "embed_s": round(embed_s, 2), "embed_ms_per_segment": round(1000 * embed_s / n, 3),
            "embed_segments_per_s": round(n / embed_s, 1),
            "rest_ms_per_segment": round(1000 * (compute_s - embed_s) / n, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", help="files or folders (default: the benchmark debates)")
    ap.add_argument("--device", default="cpu", help="cpu (the ONNX embedder) or a torch device such as cuda")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads of the embedder, as --cpus-per-worker (default 1)")
    ap.add_argument("--corpora", type=Path, default=CORPORA)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    inputs = args.inputs
    if not inputs:
        from bench.debate_corpus import select

        inputs = [str(select(Path(tempfile.mkdtemp(prefix="stance-cost-")) / "debates.jsonl", None, args.corpora).path)]
    result = {"machine": machine(), "code": code_version(), **measure(inputs, args.device, args.threads)}
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
