"""Keyword labels for the map's clusters: class-based TF-IDF, per language.

c-TF-IDF (as in BERTopic) treats all segments of a cluster as one document and scores a
term by its frequency in the cluster times log(1 + average words per cluster / its
frequency over all clusters): words that every cluster uses score low, so a label says what
sets a cluster apart. It is computed separately for each language, on that language's
segments only, with its stop words (stopwords-iso), so an Arabic cluster gets Arabic words.
"""
from __future__ import annotations

import re
import warnings
from collections import defaultdict

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

TOP = 3  # keywords in a label
KEEP = 10  # keywords stored
MIN_SEGMENTS = 3  # a cluster needs this many segments in a language to get keywords in it
# Words of two or more letters (Indic vowel signs, which \w lacks, included) and years;
# other numbers say little ("[+2422 chars]"). Chinese and Japanese, written without spaces,
# are cut into character pairs instead.
INDIC = "\u0900-\u0DFF"
TOKEN = rf"(?u)\b[^\W\d_][\w{INDIC}'’-]*[\w{INDIC}]|\b(?:19|20)\d\d\b"
NO_SPACES = {"zh", "ja"}


def cluster_keywords(texts: list[tuple[str, str | None]], clusters: np.ndarray) -> list[dict]:
    """Rows (cluster, language, label, keywords, segments) for (text, language) pairs and
    their clusters (-1: none)."""
    by_language: dict[str, list[int]] = defaultdict(list)
    for i, (_, language) in enumerate(texts):
        if clusters[i] >= 0:
            by_language[base_language(language)].append(i)
    rows = []
    for language, members in sorted(by_language.items()):
        rows += _language_keywords(language, [texts[i][0] for i in members], clusters[members])
    return rows


def base_language(code: str | None) -> str:
    """'en-US' -> 'en'; unknown -> 'und'."""
    return (code or "und").split("-")[0].split("_")[0].lower() or "und"


def _language_keywords(language: str, texts: list[str], clusters: np.ndarray) -> list[dict]:
    ids, sizes = np.unique(clusters, return_counts=True)
    ids, sizes = ids[sizes >= MIN_SEGMENTS], sizes[sizes >= MIN_SEGMENTS]
    if not len(ids):
        return []
    docs = [" ".join(t for t, c in zip(texts, clusters) if c == cid) for cid in ids]
    if language in NO_SPACES:
        vectorizer = CountVectorizer(analyzer=_character_pairs)
    else:
        vectorizer = CountVectorizer(stop_words=stop_words(language) or None, ngram_range=(1, 2),
                                     token_pattern=TOKEN, lowercase=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # stop words vs. tokenizer: harmless here
        try:
            counts = vectorizer.fit_transform(docs)
        except ValueError:  # nothing but stop words
            return []
    terms = vectorizer.get_feature_names_out()
    scores = c_tf_idf(counts)
    rows = []
    for row, (cid, size) in enumerate(zip(ids, sizes)):
        best = [i for i in np.argsort(-scores[row])[: 4 * KEEP] if scores[row, i] > 0]
        keywords = _distinct(terms[best], by_character=language in NO_SPACES)
        if keywords:
            rows.append({"cluster": int(cid), "language": language, "label": " · ".join(keywords[:TOP]),
                         "keywords": keywords[:KEEP], "segments": int(size)})
    return rows


def _character_pairs(text: str) -> list[str]:
    """The pairs of adjacent characters within each run of Chinese / Japanese script."""
    return [run[i:i + 2] for run in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", text) for i in range(len(run) - 1)]


def c_tf_idf(counts) -> np.ndarray:
    """Clusters x terms scores from clusters x terms counts."""
    tf = normalize(counts, norm="l1", axis=1)
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = counts.sum() / counts.shape[0]
    return np.asarray(tf.multiply(np.log1p(average / np.maximum(frequency, 1))).todense())


def _distinct(terms, by_character: bool = False) -> list[str]:
    """Best terms first, leaving out any term that shares a word (for Chinese and Japanese,
    a character) with an earlier one ('border' after 'secure border')."""
    chosen: list[str] = []
    seen: set[str] = set()
    for term in terms:
        words = set(term) if by_character else set(term.split())
        if words & seen:
            continue
        chosen.append(term)
        seen |= words
    return chosen


def stop_words(language: str) -> list[str]:
    import stopwordsiso

    return sorted(stopwordsiso.stopwords(language)) if stopwordsiso.has_lang(language) else []
