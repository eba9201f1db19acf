"""Train and evaluate label models from CSV files (the library behind `stance train/evaluate`)."""
from __future__ import annotations

import hashlib
import os
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from etl.embed import DEFAULT_MODEL
from etl.labels.calibration import expected_calibration_error
from etl.labels.data import COLUMNS, TrainingDataError, read_rows
from etl.labels.pair_models import AgreementModel, StanceModel
from etl.labels.predict import pair_labels, topic_assigned, topic_scores
from etl.labels.topic_model import TopicModel
from etl.taxonomy import OTHER, load_taxonomy

VERSION = "0.3"
PACKAGE = Path(__file__).resolve().parent
DEFAULT_DIR = PACKAGE / "default"
DATA_DIR = PACKAGE / "training_data"
DEFAULT_EMBEDDER = DEFAULT_MODEL
MODELS = {"topic": TopicModel, "stance": StanceModel, "agreement": AgreementModel}
DEFAULT_CONFIG = {"topic": {"C": 4.0}, "stance": None, "agreement": None}


def encode_unique(embedder, texts: list[str]) -> np.ndarray:
    """Embed each distinct text once (targets and quotes repeat a lot)."""
    uniq = list(dict.fromkeys(texts))
    vecs = embedder.encode(uniq)
    pos = {t: i for i, t in enumerate(uniq)}
    return vecs[[pos[t] for t in texts]] if texts else vecs


def project_csvs(task: str) -> list[Path]:
    """The project's own written training data for a task (etl/labels/training_data/<task>/*.csv)."""
    return sorted((DATA_DIR / task).glob("*.csv"))


def train(task: str, csv_path, out_dir, embedder, taxonomy=None, config: dict | None = None) -> dict:
    """Fit a model on a labelled CSV (or a list of them) and save it to out_dir; returns a summary.
    Raises TrainingDataError (one 'file:line: reason' per bad row) before training anything."""
    taxonomy = taxonomy or load_taxonomy()
    paths = csv_path if isinstance(csv_path, (list, tuple)) else [csv_path]
    rows = [r for p in paths for r in read_rows(task, p, taxonomy)]
    used = [r for r in rows if embedder.covers(r["language"])]  # other languages are left to cue terms
    counts = Counter(lab for r in used for lab in (r["labels"] if task == "topic" else [r["label"]]))
    if len(counts) < 2:
        raise TrainingDataError([f"{paths[0]}: needs at least two different labels, found {sorted(counts)}"])
    model = _fit(task, used, embedder, taxonomy, config)
    model.meta.update(embedder=embedder.name, embedder_dim=embedder.dim, version=VERSION, n_train=len(used),
                      label_counts=dict(sorted(counts.items())), source=[Path(p).name for p in paths])
    model.save(out_dir)
    return {"task": task, "out_dir": str(out_dir), "n_train": len(used), "labels": model.meta["labels"],
            "label_counts": model.meta["label_counts"], "skipped_uncovered_language": len(rows) - len(used)}


def _fit(task, rows, embedder, taxonomy, config):
    a, b = (COLUMNS[task][0], COLUMNS[task][1])
    transcript = [r["document_id"] is not None for r in rows]  # annotated transcript rows calibrate
    tune = transcript if any(transcript) else None
    if task == "topic":
        texts = [r["text"] for r in rows]
        return TopicModel.fit(texts, [r["language"] for r in rows], encode_unique(embedder, texts),
                              [r["labels"] for r in rows], taxonomy, embedder, config, tune=tune)
    xa, xb = [r[a] for r in rows], [r[b] for r in rows]
    va, vb = encode_unique(embedder, xa), encode_unique(embedder, xb)
    if task == "stance":
        return StanceModel.fit(xa, xb, va, vb, [r["label"] for r in rows], config, context_vectors(embedder, rows),
                               tune=tune)
    return AgreementModel.fit(xa, xb, va, vb, [r["label"] for r in rows], config, tune=tune)


def context_vectors(embedder, rows: list[dict]) -> np.ndarray:
    """Vectors of the rows' optional `context` text (what the text follows); zeros where there is none."""
    vecs = np.zeros((len(rows), embedder.dim), dtype=np.float32)
    have = [i for i, r in enumerate(rows) if r.get("context")]
    if have:
        vecs[have] = encode_unique(embedder, [rows[i]["context"] for i in have])
    return vecs


def load_model(task: str, model_dir, embedder):
    """A model dir may hold one task's model (meta.json) or one subdir per task; None = shipped default."""
    if model_dir is None:
        return load_model(task, default_model_dir(task, embedder), embedder)
    d = Path(model_dir)
    d = d / task if not (d / "meta.json").exists() and (d / task / "meta.json").exists() else d
    if not (d / "meta.json").exists():
        raise FileNotFoundError(f"{model_dir}: no {task} model (meta.json) found")
    model = MODELS[task].load(d)
    if model.meta.get("task") != task:
        raise ValueError(f"{d}: holds a {model.meta.get('task')} model, not {task}")
    if model.meta["embedder_dim"] != embedder.dim:
        raise ValueError(f"{d}: trained on {model.meta['embedder']} ({model.meta['embedder_dim']}-d vectors), "
                         f"but the configured embedder {embedder.name} gives {embedder.dim}-d vectors; retrain it")
    if model.meta["embedder"] != embedder.name:
        warnings.warn(f"{d}: trained with embedder {model.meta['embedder']}, used with {embedder.name}")
    model.meta["dir"] = str(d)
    return model


def default_model_dir(task: str, embedder) -> Path:
    """The shipped model; for another embedder, the default training data is refitted once and cached."""
    if embedder.name == DEFAULT_EMBEDDER and (DEFAULT_DIR / task / "meta.json").exists():
        return DEFAULT_DIR / task
    key = hashlib.sha1(f"{embedder.name}|{VERSION}".encode()).hexdigest()[:12]
    cache = Path(os.environ.get("STANCE_CACHE", Path.home() / ".cache" / "stance")) / "labels" / key / task
    if not (cache / "meta.json").exists():
        train(task, project_csvs(task), cache, embedder, config=DEFAULT_CONFIG[task])
    return cache


def evaluate(task: str, csv_path, model_dir, embedder, taxonomy=None) -> dict:
    """{"task", "n", "macro_f1", "accuracy", "per_class", "ece"}: macro-F1 averages the classes present in
    the file; ece is the expected calibration error of the scores (topic: each topic's probability;
    stance and agreement: the confidence in the chosen label)."""
    taxonomy = taxonomy or load_taxonomy()
    rows = read_rows(task, csv_path, taxonomy)
    model = load_model(task, model_dir, embedder)
    if task == "topic":
        gold = [set(r["labels"]) for r in rows]
        pred, scores = predict_topic_sets(model, rows, embedder, taxonomy)
        truth = np.array([[t.name in g for t in taxonomy.topics] for g in gold])
        ece = expected_calibration_error(scores.ravel(), truth.ravel())
    else:
        a, b = COLUMNS[task][0], COLUMNS[task][1]
        xa, xb = [r[a] for r in rows], [r[b] for r in rows]
        langs = [r["language"] for r in rows]
        context = context_vectors(embedder, rows) if task == "stance" else None
        labels, confidence, _ = pair_labels(model, embedder, xa, xb, langs, encode_unique(embedder, xa),
                                            encode_unique(embedder, xb), context)
        gold, pred = [{r["label"]} for r in rows], [{lab} for lab in labels]
        ece = expected_calibration_error(confidence, [g == p for g, p in zip(gold, pred)])
    return {**metrics(task, gold, pred), "ece": ece}


def predict_topic_sets(model, rows, embedder, taxonomy) -> tuple[list[set[str]], np.ndarray]:
    """Each row's assigned topics ({"other"} when none), and the score matrix [row, topic]."""
    texts = [r["text"] for r in rows]
    scores, methods = topic_scores(model, texts, [r["language"] for r in rows], encode_unique(embedder, texts),
                                   taxonomy, embedder)
    assigned = topic_assigned(model, taxonomy, scores, methods)
    return [{t.name for t, a in zip(taxonomy.topics, row) if a} or {OTHER} for row in assigned], scores


def metrics(task: str, gold: list[set], pred: list[set]) -> dict:
    labels = sorted(set().union(*gold, *pred))
    per_class = {}
    for lab in labels:
        y = np.array([lab in g for g in gold])
        p = np.array([lab in s for s in pred])
        pr, rc, f1, _ = precision_recall_fscore_support(y, p, average="binary", zero_division=0)
        per_class[lab] = {"precision": float(pr), "recall": float(rc), "f1": float(f1), "support": int(y.sum())}
    present = [v["f1"] for v in per_class.values() if v["support"] > 0]
    return {"task": task, "n": len(gold), "macro_f1": float(np.mean(present)) if present else 0.0,
            "accuracy": float(np.mean([g == s for g, s in zip(gold, pred)])), "per_class": per_class}
