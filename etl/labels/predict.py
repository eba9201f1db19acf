"""Apply models to texts: the embedding models where the embedder covers the language, cue terms elsewhere."""
from __future__ import annotations

import numpy as np

from etl.labels.lexicon import cue_agreement, cue_stance

CUE_TOPIC = "cue-terms"
CUE_STANCE = "cue-lexicon"


def covered_mask(embedder, langs) -> np.ndarray:
    return np.array([embedder.covers(lang) for lang in langs], dtype=bool)


def topic_scores(model, texts, langs, vecs, taxonomy, embedder) -> tuple[np.ndarray, list[list[str]]]:
    """Scores [text, topic] in [0, 1] and the method behind each score."""
    ok = covered_mask(embedder, langs)
    scores = np.zeros((len(texts), len(taxonomy.topics)), dtype=np.float32)
    methods = [[CUE_TOPIC] * len(taxonomy.topics) for _ in texts]
    idx = np.flatnonzero(ok)
    if len(idx):
        s, m = model.scores([texts[i] for i in idx], [langs[i] for i in idx], vecs[idx], taxonomy, embedder)
        scores[idx] = s
        for i in idx:
            methods[i] = list(m)
    for i in np.flatnonzero(~ok):
        scores[i] = [_cue_topic_score(t, texts[i], langs[i]) for t in taxonomy.topics]
    return scores, methods


def topic_assigned(model, taxonomy, scores: np.ndarray, methods: list[list[str]]) -> np.ndarray:
    """Which topics each text is about: score >= the taxonomy's threshold, else the model's tuned cut
    (0.5 for cue-term scores)."""
    cut = np.array([[t.threshold if t.threshold is not None else 0.5 if m == CUE_TOPIC else model.threshold(t.name)
                     for t, m in zip(taxonomy.topics, row)] for row in methods]).reshape(scores.shape)
    return scores >= cut


def _cue_topic_score(topic, text: str, lang) -> float:
    pat = topic.cue_pattern(lang)
    hits = len(pat.findall(text)) if pat else 0
    return 0.05 if hits == 0 else min(0.95, 0.7 + 0.1 * hits)


def pair_labels(model, embedder, first, second, langs, first_vecs, second_vecs, context_vecs=None):
    """(labels, scores, methods) for stance (text, target) or agreement (quote, reply) pairs:
    the model where the embedder covers the language, the cue lexicon elsewhere. Scores are the
    calibrated confidence in the label; context_vecs: what each stance text follows (optional)."""
    if model.task == "stance":
        cues = [cue_stance(t, lang) for t, lang in zip(first, langs)]
    else:
        cues = [cue_agreement(t, lang) for t, lang in zip(second, langs)]
    labels = [label for label, _ in cues]
    scores = np.array([score for _, score in cues], dtype=np.float32)
    methods = [CUE_STANCE] * len(first)
    idx = np.flatnonzero(covered_mask(embedder, langs))
    if len(idx):
        context = None if context_vecs is None else context_vecs[idx]
        p = model.predict([first[i] for i in idx], [second[i] for i in idx], first_vecs[idx], second_vecs[idx], context)
        confidence = model.confidence(p.max(axis=1))
        for row, i in enumerate(idx):
            labels[i], scores[i], methods[i] = model.clf.classes[int(p[row].argmax())], confidence[row], "embedding-lr"
    return labels, scores, methods
