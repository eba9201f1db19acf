"""Trained label models: logistic regressions over sentence embeddings, target/quote interaction
features and TF-IDF n-grams. Weights are stored as npz + json (no pickle)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from etl.labels.features import Lexical

FORMAT = 1
# C: inverse L2 strength; emb_weight: scale of dense blocks vs TF-IDF; prior (topic only): expected
# share of segments on a topic in real use, when the training CSV over-represents topics.
DEFAULTS = {"C": 1.0, "emb_weight": 1.0, "tfidf": True, "min_target_rows": 30, "max_seen_targets": 25,
            "balanced": True, "prior": None}


@dataclass
class Linear:
    """A fitted logistic regression, kept as plain arrays."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: list[str]
    shift: float = 0.0  # binary only: added to the logit so that 0.5 is the tuned decision point

    @classmethod
    def fit(cls, X, y, C: float, balanced: bool) -> "Linear":
        lr = LogisticRegression(C=C, max_iter=3000, class_weight="balanced" if balanced else None)
        lr.fit(X, y)
        return cls(lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32), [str(c) for c in lr.classes_])

    def proba(self, X) -> np.ndarray:
        z = np.asarray(X @ self.coef.T) + self.intercept
        if len(self.classes) == 2:
            p = expit(z[:, 0] + self.shift)
            return np.column_stack([1 - p, p])
        return softmax(z, axis=1)

    def arrays(self, prefix: str) -> dict:
        return {f"{prefix}.coef": self.coef, f"{prefix}.intercept": self.intercept}

    @classmethod
    def from_arrays(cls, arrays, prefix: str, classes, shift: float = 0.0) -> "Linear":
        return cls(arrays[f"{prefix}.coef"], arrays[f"{prefix}.intercept"], list(classes), shift)


def tuned_shift(X, y: np.ndarray, C: float, folds: int = 3) -> float:
    """Logit shift that puts the F1-optimal cut (found by cross-validation) at probability 0.5."""
    if y.sum() < folds * 2:
        return 0.0
    z = np.zeros(len(y))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        m = Linear.fit(X[tr], y[tr], C, balanced=False)
        z[te] = np.asarray(X[te] @ m.coef.T).ravel() + m.intercept[0]
    best, best_f1 = 0.0, -1.0
    for cut in np.quantile(z, np.linspace(0.01, 0.995, 150)):
        pred = z >= cut
        f1 = 2 * (pred & (y == 1)).sum() / max(1, pred.sum() + y.sum())
        if f1 > best_f1:
            best, best_f1 = cut, f1
    return float(np.clip(-best, -6, 6))


class Stored:
    """Shared save/load of meta.json + weights.npz + tfidf.json."""

    task = ""

    def __init__(self, meta: dict, tfidf=None):
        self.meta, self.tfidf = meta, tfidf

    def dense(self, v: np.ndarray) -> np.ndarray:
        return v * self.meta["config"]["emb_weight"]

    def lexical(self, texts: list[str]):
        return self.tfidf.transform(texts) if self.tfidf is not None else sparse.csr_matrix((len(texts), 0))

    def save(self, out_dir: str | Path, arrays: dict) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "tfidf.json").unlink(missing_ok=True)
        if self.tfidf is not None:
            state, idf = self.tfidf.state()
            arrays.update(idf)
            (out / "tfidf.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        np.savez_compressed(out / "weights.npz", **arrays)
        (out / "meta.json").write_text(json.dumps(self.meta, indent=2, ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def read(model_dir: str | Path) -> tuple[dict, dict, object]:
        d = Path(model_dir)
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        with np.load(d / "weights.npz", allow_pickle=False) as npz:
            arrays = dict(npz)
        tfidf = None
        if (d / "tfidf.json").exists():
            tfidf = Lexical.from_state(json.loads((d / "tfidf.json").read_text(encoding="utf-8")), arrays)
        return meta, arrays, tfidf


def fit_tfidf(texts: list[str], config: dict):
    return Lexical().fit(texts) if config["tfidf"] else None
