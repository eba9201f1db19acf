"""Topic model: one logistic-regression head per trained topic over [embedding, TF-IDF, zero-shot
features], plus a zero-shot head over the zero-shot features alone (description similarity, margin
over the other topics, cue hit) for topics added to the taxonomy after training."""
from __future__ import annotations

import numpy as np

from etl.labels.features import stack
from etl.labels.models import DEFAULTS, FORMAT, Linear, Stored, fit_tfidf, tuned_shift


def zero_shot_features(texts, langs, vecs, topics, desc, j: int) -> np.ndarray:
    """[cosine to topic j's description, margin over the closest other topic, cue-term hit] per text."""
    pat = [topics[j].cue_pattern(lang) for lang in langs]
    cue = [float(bool(p and p.search(t))) for p, t in zip(pat, texts)]
    cos = vecs @ desc.T
    others = np.delete(cos, j, axis=1)
    margin = cos[:, j] - (others.max(axis=1) if others.shape[1] else 0)
    return np.column_stack([cos[:, j], margin, cue]).astype(np.float32)


def _prior_shift(train_rate: float, prior: float | None) -> float:
    """Logit correction when topics are rarer in real use (`prior`) than in a curated training set."""
    if not prior:
        return 0.0
    rate = float(np.clip(train_rate, 1e-3, 1 - 1e-3))
    return float(np.log(prior / (1 - prior)) - np.log(rate / (1 - rate)))


class TopicModel(Stored):
    task = "topic"

    def __init__(self, meta, tfidf, heads: dict[str, Linear], zero_shot: Linear):
        super().__init__(meta, tfidf)
        self.heads, self.zero_shot = heads, zero_shot

    @classmethod
    def fit(cls, texts, langs, vecs, label_sets, taxonomy, embedder, config=None):
        config = {**DEFAULTS, **(config or {})}
        desc = embedder.encode([t.description for t in taxonomy.topics])
        model = cls({"config": config}, fit_tfidf(texts, config), {}, None)
        base = model._base(texts, vecs)
        zs_X, zs_y = [], []
        for j, topic in enumerate(taxonomy.topics):
            y = np.array([topic.name in ls for ls in label_sets], dtype=int)
            if y.sum() == 0:
                continue
            Z = zero_shot_features(texts, langs, vecs, taxonomy.topics, desc, j)
            zs_X.append(Z), zs_y.append(y)
            X = stack(base, Z)
            head = Linear.fit(X, y, config["C"], balanced=False)
            head.shift = tuned_shift(X, y, config["C"]) + _prior_shift(y.mean(), config.get("prior"))
            model.heads[topic.name] = head
        if not zs_X:
            raise ValueError("no training row is labelled with a topic of the taxonomy")
        X, y = np.vstack(zs_X), np.concatenate(zs_y)
        model.zero_shot = Linear.fit(X, y, 1.0, balanced=False)
        model.zero_shot.shift = tuned_shift(X, y, 1.0) + _prior_shift(y.mean(), config.get("prior"))
        model.meta.update(task="topic", labels=sorted(model.heads), format=FORMAT)
        return model

    def _base(self, texts, vecs):
        return stack(self.dense(vecs), self.lexical(texts))

    def scores(self, texts, langs, vecs, taxonomy, embedder) -> tuple[np.ndarray, list[str]]:
        """Score matrix [text, topic] in [0, 1] and, per topic, how it was made."""
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
            out[:, j] = head.proba(stack(base, Z))[:, 1] if head else self.zero_shot.proba(Z)[:, 1]
        return out, methods

    def save(self, out_dir) -> None:
        arrays = self.zero_shot.arrays("zero_shot")
        self.meta["shifts"] = {"zero_shot": self.zero_shot.shift, **{n: h.shift for n, h in self.heads.items()}}
        for name, head in self.heads.items():
            arrays.update(head.arrays(f"head.{name}"))
        super().save(out_dir, arrays)

    @classmethod
    def load(cls, model_dir) -> "TopicModel":
        meta, arrays, tfidf = cls.read(model_dir)
        sh = meta["shifts"]
        heads = {n: Linear.from_arrays(arrays, f"head.{n}", ["0", "1"], sh[n]) for n in meta["labels"]}
        return cls(meta, tfidf, heads, Linear.from_arrays(arrays, "zero_shot", ["0", "1"], sh["zero_shot"]))
