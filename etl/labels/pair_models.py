"""Stance (text, target) and agreement (quote, reply) models: multinomial logistic regression over
the text embedding, text-target interaction features and TF-IDF of the text.

Stance is target-conditioned two ways: the target vector and interaction features (text*target,
|text-target|, cosine) carry over to targets never seen in training; targets with enough training
rows also get their own copy of the text features incl. TF-IDF (feature augmentation), used only for
rows with that target."""
from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from etl.labels.features import pair_features, stack
from etl.labels.models import DEFAULTS, FORMAT, Linear, Stored, fit_tfidf


def norm_target(target: str) -> str:
    return " ".join(target.lower().split())


class PairModel(Stored):
    """A multinomial logistic regression over features of (first, second) text pairs."""

    def __init__(self, meta, tfidf, clf: Linear | None = None):
        super().__init__(meta, tfidf)
        self.clf = clf

    def features(self, first, second, first_vecs, second_vecs):
        raise NotImplementedError

    def predict(self, first, second, first_vecs, second_vecs) -> np.ndarray:
        """Class probabilities, columns in the order of self.clf.classes."""
        return self.clf.proba(self.features(first, second, first_vecs, second_vecs))

    def save(self, out_dir) -> None:
        super().save(out_dir, self.clf.arrays("clf"))

    @classmethod
    def load(cls, model_dir):
        meta, arrays, tfidf = cls.read(model_dir)
        return cls(meta, tfidf, Linear.from_arrays(arrays, "clf", meta["labels"]))


class StanceModel(PairModel):
    task = "stance"

    @classmethod
    def fit(cls, texts, targets, text_vecs, target_vecs, labels, config=None):
        config = {**DEFAULTS, **(config or {})}
        counts = Counter(norm_target(t) for t in targets)
        common = counts.most_common(config["max_seen_targets"])
        seen = sorted(k for k, n in common if n >= config["min_target_rows"])
        keys = [norm_target(t) for t in targets]
        seen_texts = [t for t, k in zip(texts, keys) if k in seen]
        model = cls({"config": config, "seen_targets": seen}, fit_tfidf(seen_texts, config) if seen else None)
        X = model.features(texts, targets, text_vecs, target_vecs)
        model.clf = Linear.fit(X, np.array(labels), config["C"], config["balanced"])
        model.meta.update(task="stance", labels=model.clf.classes, format=FORMAT)
        return model

    def features(self, texts, targets, text_vecs, target_vecs):
        """Shared block [text, target, interactions] for every target; for each seen target, a copy of
        [text vector, TF-IDF] that is non-zero only on rows with that target (word polarity is target-specific)."""
        blocks = [self.dense(np.hstack([text_vecs, target_vecs, pair_features(text_vecs, target_vecs)]))]
        keys = np.array([norm_target(t) for t in targets])
        if self.meta["seen_targets"]:
            own = stack(self.dense(text_vecs), self.lexical(texts))
            for s in self.meta["seen_targets"]:
                blocks.append(sparse.diags((keys == s).astype(np.float32)) @ own)
        return stack(*blocks)


class AgreementModel(PairModel):
    task = "agreement"

    @classmethod
    def fit(cls, quotes, replies, quote_vecs, reply_vecs, labels, config=None):
        config = {**DEFAULTS, **(config or {})}
        model = cls({"config": config}, fit_tfidf(replies, config))
        X = model.features(quotes, replies, quote_vecs, reply_vecs)
        model.clf = Linear.fit(X, np.array(labels), config["C"], config["balanced"])
        model.meta.update(task="agreement", labels=model.clf.classes, format=FORMAT)
        return model

    def features(self, quotes, replies, quote_vecs, reply_vecs):
        return stack(self.dense(reply_vecs), self.dense(pair_features(quote_vecs, reply_vecs)), self.lexical(replies))
