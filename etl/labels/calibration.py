"""Scores that mean what they say: Platt scaling fitted on out-of-fold predictions, and its measure.

A label's score is the calibrated probability that the label is right, so the dashboard's minimum
confidence of 0.8 keeps labels that are right about 80% of the time. Logistic regressions trained
with balanced class weights are not calibrated on their own (they over-predict rare classes), so each
model is refitted on k-1 folds to predict the k-th, and a one-variable logistic map from the raw
score's logit to "was it right" is fitted on those out-of-fold predictions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

FOLDS = 3


def out_of_fold(fit_predict, y: np.ndarray, folds: int = FOLDS) -> np.ndarray:
    """fit_predict(train_rows, test_rows) for each of `folds` stratified splits, stitched together."""
    out = None
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        pred = np.asarray(fit_predict(train, test))
        if out is None:
            out = np.zeros((len(y), *pred.shape[1:]), dtype=np.float64)
        out[test] = pred
    return out


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass
class Platt:
    """p' = sigmoid(a * logit(p) + b)."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, p) -> np.ndarray:
        return 1 / (1 + np.exp(-(self.a * logit(p) + self.b)))

    @classmethod
    def fit(cls, p: np.ndarray, correct: np.ndarray) -> "Platt":
        from sklearn.linear_model import LogisticRegression

        correct = np.asarray(correct, dtype=int)
        if correct.min() == correct.max():  # all right or all wrong: nothing to learn the slope from
            return cls()
        lr = LogisticRegression(C=100.0, max_iter=1000).fit(logit(p).reshape(-1, 1), correct)
        return cls(float(lr.coef_[0, 0]), float(lr.intercept_[0]))

    def to_list(self) -> list[float]:
        return [self.a, self.b]


def expected_calibration_error(confidence, correct, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by the bin's share."""
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    if not len(confidence):
        return float("nan")
    edges = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(abs(correct[edges == b].mean() - confidence[edges == b].mean()) * np.mean(edges == b)
                     for b in range(bins) if np.any(edges == b)))


def f1_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The cut on `scores` that maximises F1 for the positive class y == 1."""
    if y.sum() == 0:
        return 0.5
    best, best_f1 = 0.5, -1.0
    for cut in np.unique(np.quantile(scores, np.linspace(0.5, 0.999, 200))):
        pred = scores >= cut
        f1 = 2 * (pred & (y == 1)).sum() / max(1, pred.sum() + y.sum())
        if f1 > best_f1:
            best, best_f1 = float(cut), f1
    return best
