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

from etl.labels.features import Lexical

FORMAT = 1
# C: inverse L2 strength; emb_weight: scale of dense blocks vs TF-IDF.
DEFAULTS = {"C": 1.0, "emb_weight": 1.0, "tfidf": True, "min_target_rows": 30, "max_seen_targets": 25,
            "balanced": True}


@dataclass
class Linear:
    """A fitted logistic regression, kept as plain arrays."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: list[str]

    @classmethod
    def fit(cls, X, y, C: float, balanced: bool, weights: np.ndarray | None = None) -> "Linear":
        lr = LogisticRegression(C=C, max_iter=3000, class_weight="balanced" if balanced and weights is None else None)
        lr.fit(X, y, sample_weight=weights)
        return cls(lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32), [str(c) for c in lr.classes_])

    def proba(self, X) -> np.ndarray:
        z = np.asarray(X @ self.coef.T) + self.intercept
        if len(self.classes) == 2:
            p = expit(z[:, 0])
            return np.column_stack([1 - p, p])
        return softmax(z, axis=1)

    def arrays(self, prefix: str) -> dict:
        return {f"{prefix}.coef": self.coef, f"{prefix}.intercept": self.intercept}

    @classmethod
    def from_arrays(cls, arrays, prefix: str, classes) -> "Linear":
        return cls(arrays[f"{prefix}.coef"], arrays[f"{prefix}.intercept"], list(classes))


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
