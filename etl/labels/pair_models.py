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

from etl.labels.calibration import FOLDS, Platt, out_of_fold
from etl.labels.features import pair_features, stack
from etl.labels.models import DEFAULTS, FORMAT, Linear, Stored, fit_tfidf


def norm_target(target: str) -> str:
    return " ".join(target.lower().split())


class PairModel(Stored):
    """A multinomial logistic regression over features of (first, second) text pairs."""

    def __init__(self, meta, tfidf, clf: Linear | None = None):
        super().__init__(meta, tfidf)
        self.clf = clf

    def features(self, first, second, first_vecs, second_vecs, context_vecs=None):
        raise NotImplementedError

    def predict(self, first, second, first_vecs, second_vecs, context_vecs=None) -> np.ndarray:
        """Class probabilities, columns in the order of self.clf.classes."""
        return self.clf.proba(self.features(first, second, first_vecs, second_vecs, context_vecs))

    def confidence(self, p: np.ndarray) -> np.ndarray:
        """The calibrated probability that the most likely class is right, from its raw probability."""
        return Platt(*self.meta.get("platt", (1.0, 0.0)))(p)

    def fit_classifier(self, X, labels, config: dict, weights: np.ndarray | None = None, tune=None) -> None:
        """The regression, and the calibration of its confidence from out-of-fold predictions (on the
        `tune` rows where given: annotated transcripts, which written examples are easier than)."""
        y = np.array(labels)
        self.clf = Linear.fit(X, y, config["C"], config["balanced"], weights)
        if min(Counter(labels).values()) < FOLDS:
            return
        index = {c: i for i, c in enumerate(self.clf.classes)}

        def top(train, test):  # (probability of the most likely class, its index) per row
            clf = Linear.fit(X[train], y[train], config["C"], config["balanced"],
                             None if weights is None else weights[train])
            p = clf.proba(X[test])
            return np.column_stack([p.max(axis=1), [index[clf.classes[k]] for k in p.argmax(axis=1)]])

        oof = out_of_fold(top, y)
        right = oof[:, 1].astype(int) == np.array([index[v] for v in y])
        rows = np.asarray(tune, dtype=bool) if tune is not None and np.sum(tune) >= 50 else np.ones(len(y), dtype=bool)
        self.meta["platt"] = Platt.fit(oof[rows, 0], right[rows]).to_list()

    def save(self, out_dir) -> None:
        super().save(out_dir, self.clf.arrays("clf"))

    @classmethod
    def load(cls, model_dir):
        meta, arrays, tfidf = cls.read(model_dir)
        return cls(meta, tfidf, Linear.from_arrays(arrays, "clf", meta["labels"]))


class StanceModel(PairModel):
    task = "stance"

    @classmethod
    def fit(cls, texts, targets, text_vecs, target_vecs, labels, config=None, context_vecs=None, tune=None):
        """context_vecs: the vector of what each text follows (zeros where unknown); tune: the rows
        whose out-of-fold predictions calibrate the confidence (default: all)."""
        config = {**DEFAULTS, **(config or {})}
        counts = Counter(norm_target(t) for t in targets)
        common = counts.most_common(config["max_seen_targets"])
        seen = sorted(k for k, n in common if n >= config["min_target_rows"])
        keys = [norm_target(t) for t in targets]
        seen_texts = [t for t, k in zip(texts, keys) if k in seen]
        model = cls({"config": config, "seen_targets": seen}, fit_tfidf(seen_texts, config) if seen else None)
        X = model.features(texts, targets, text_vecs, target_vecs, context_vecs)
        model.fit_classifier(X, labels, config, _per_target_weights(keys, labels), tune)
        model.meta.update(task="stance", labels=model.clf.classes, format=FORMAT)
        return model

    def features(self, texts, targets, text_vecs, target_vecs, context_vecs=None):
        """Shared block [text, target, interactions, context, context*target] for every target; for each
        seen target, a copy of [text vector, TF-IDF] that is non-zero only on rows with that target (word
        polarity is target-specific)."""
        context = np.zeros_like(text_vecs) if context_vecs is None else context_vecs
        blocks = [self.dense(np.hstack([text_vecs, target_vecs, pair_features(text_vecs, target_vecs),
                                        context, context * target_vecs]))]
        keys = np.array([norm_target(t) for t in targets])
        if self.meta["seen_targets"]:
            own = stack(self.dense(text_vecs), self.lexical(texts))
            for s in self.meta["seen_targets"]:
                blocks.append(sparse.diags((keys == s).astype(np.float32)) @ own)
        return stack(*blocks)


def _per_target_weights(keys: list[str], labels: list[str]) -> np.ndarray:
    """Each target's labels weigh the same in total: how often a target was favoured in the training
    texts (Trump attacked in debates, Biden praised at briefings) says nothing about new texts."""
    pairs, per_target = Counter(zip(keys, labels)), Counter(keys)
    kinds = {k: sum(1 for (t, _) in pairs if t == k) for k in per_target}
    w = np.array([per_target[k] / (kinds[k] * pairs[(k, lab)]) for k, lab in zip(keys, labels)])
    return w * len(w) / w.sum()


class AgreementModel(PairModel):
    task = "agreement"

    @classmethod
    def fit(cls, quotes, replies, quote_vecs, reply_vecs, labels, config=None, tune=None):
        config = {**DEFAULTS, **(config or {})}
        model = cls({"config": config}, fit_tfidf(replies, config))
        model.fit_classifier(model.features(quotes, replies, quote_vecs, reply_vecs), labels, config, tune=tune)
        model.meta.update(task="agreement", labels=model.clf.classes, format=FORMAT)
        return model

    def features(self, quotes, replies, quote_vecs, reply_vecs, context_vecs=None):
        """[reply, interactions, quote, reply TF-IDF]: the quote's own vector tells a moderator's question
        (answered, not argued with) from an opponent's claim (debated)."""
        return stack(self.dense(np.hstack([reply_vecs, pair_features(quote_vecs, reply_vecs), quote_vecs])),
                     self.lexical(replies))
