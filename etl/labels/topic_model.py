"""Topic model: one logistic-regression head per trained topic over [embedding, TF-IDF, zero-shot
features], plus a zero-shot head over the zero-shot features alone (description similarity, margin
over the other topics, cue hit) for topics added to the taxonomy after training.

Each head's score is calibrated (Platt scaling on out-of-fold predictions, etl/labels/calibration.py)
and each head carries the cut that maximised F1 out of fold: the topic's default threshold. Where
the training rows include annotated transcript rows (a `document_id`), the cut is tuned on those, so
that it fits the share of topic talk in real transcripts rather than in hand-written examples."""
from __future__ import annotations

import numpy as np

from etl.labels.calibration import Platt, f1_threshold, out_of_fold
from etl.labels.features import stack
from etl.labels.models import DEFAULTS, FORMAT, Linear, Stored, fit_tfidf


def zero_shot_features(texts, langs, vecs, topics, desc, j: int) -> np.ndarray:
    """[cosine to topic j's description, margin over the closest other topic, cue-term hit] per text."""
    pat = [topics[j].cue_pattern(lang) for lang in langs]
    cue = [float(bool(p and p.search(t))) for p, t in zip(pat, texts)]
    cos = vecs @ desc.T
    others = np.delete(cos, j, axis=1)
    margin = cos[:, j] - (others.max(axis=1) if others.shape[1] else 0)
    return np.column_stack([cos[:, j], margin, cue]).astype(np.float32)


class Head:
    """A binary head: the regression, its calibration and its decision cut."""

    def __init__(self, linear: Linear, platt: Platt, cut: float):
        self.linear, self.platt, self.cut = linear, platt, cut

    @classmethod
    def fit(cls, X, y: np.ndarray, C: float, tune: np.ndarray) -> "Head":
        def fit_predict(train, test):
            return Linear.fit(X[train], y[train], C, balanced=False).proba(X[test])[:, 1]

        oof = out_of_fold(fit_predict, y) if y.sum() >= 6 else None
        linear = Linear.fit(X, y, C, balanced=False)
        if oof is None:
            return cls(linear, Platt(), 0.5)
        rows = tune if y[tune].sum() >= 3 else np.ones(len(y), dtype=bool)
        platt = Platt.fit(oof[rows], y[rows])
        return cls(linear, platt, f1_threshold(platt(oof[rows]), y[rows]))

    def score(self, X) -> np.ndarray:
        return self.platt(self.linear.proba(X)[:, 1])


class TopicModel(Stored):
    task = "topic"

    def __init__(self, meta, tfidf, heads: dict[str, Head], zero_shot: Head):
        super().__init__(meta, tfidf)
        self.heads, self.zero_shot = heads, zero_shot

    @classmethod
    def fit(cls, texts, langs, vecs, label_sets, taxonomy, embedder, config=None, tune=None):
        """tune: rows whose F1 picks each head's cut (default: all rows)."""
        config = {**DEFAULTS, **(config or {})}
        tune = np.ones(len(texts), dtype=bool) if tune is None else np.asarray(tune, dtype=bool)
        desc = embedder.encode([t.description for t in taxonomy.topics])
        model = cls({"config": config}, fit_tfidf(texts, config), {}, None)
        base = model._base(texts, vecs)
        zs_X, zs_y, zs_tune = [], [], []
        for j, topic in enumerate(taxonomy.topics):
            y = np.array([topic.name in ls for ls in label_sets], dtype=int)
            if y.sum() == 0:
                continue
            Z = zero_shot_features(texts, langs, vecs, taxonomy.topics, desc, j)
            zs_X.append(Z), zs_y.append(y), zs_tune.append(tune)
            model.heads[topic.name] = Head.fit(stack(base, Z), y, config["C"], tune)
        if not zs_X:
            raise ValueError("no training row is labelled with a topic of the taxonomy")
        model.zero_shot = Head.fit(np.vstack(zs_X), np.concatenate(zs_y), 1.0, np.concatenate(zs_tune))
        model.meta.update(task="topic", labels=sorted(model.heads), format=FORMAT)
        return model

    def _base(self, texts, vecs):
        return stack(self.dense(vecs), self.lexical(texts))

    def threshold(self, topic: str) -> float:
        return (self.heads.get(topic) or self.zero_shot).cut

    def scores(self, texts, langs, vecs, taxonomy, embedder) -> tuple[np.ndarray, list[str]]:
        """Score matrix [text, topic]: calibrated probabilities; and, per topic, how it was made."""
        methods = ["embedding-lr+cue-terms" if t.name in self.heads else "zero-shot:description-embedding+cue-terms"
                   for t in taxonomy.topics]
        out = np.zeros((len(texts), len(taxonomy.topics)), dtype=np.float32)
        if not texts:
            return out, methods
        desc = embedder.encode([t.description for t in taxonomy.topics])
        base = self._base(texts, vecs)
        for j, topic in enumerate(taxonomy.topics):
            Z = zero_shot_features(texts, langs, vecs, taxonomy.topics, desc, j)
            head = self.heads.get(topic.name)
            out[:, j] = head.score(stack(base, Z)) if head else self.zero_shot.score(Z)
        return out, methods

    def save(self, out_dir) -> None:
        heads = {"zero_shot": self.zero_shot, **self.heads}
        self.meta["heads"] = {n: {"platt": h.platt.to_list(), "cut": h.cut} for n, h in heads.items()}
        arrays = {}
        for name, head in heads.items():
            arrays.update(head.linear.arrays(f"head.{name}"))
        super().save(out_dir, arrays)

    @classmethod
    def load(cls, model_dir) -> "TopicModel":
        meta, arrays, tfidf = cls.read(model_dir)

        def head(name):
            h = meta["heads"][name]
            return Head(Linear.from_arrays(arrays, f"head.{name}", ["0", "1"]), Platt(*h["platt"]), h["cut"])

        return cls(meta, tfidf, {n: head(n) for n in meta["labels"]}, head("zero_shot"))
