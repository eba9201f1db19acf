"""Feature builders shared by training and labelling, and an on-disk embedding cache."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


def pair_features(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Interaction features of two unit-vector batches: a*b, |a-b|, cosine."""
    cos = np.sum(a * b, axis=1, keepdims=True)
    return np.hstack([a * b, np.abs(a - b), cos]).astype(np.float32)


# Arabic spelling variation that carries no meaning for a bag of words: short vowels and other
# diacritics, tatweel, the alef forms, alef maqsura and taa marbuta (the usual light normalisation).
_ARABIC_FOLD = str.maketrans({**{chr(c): None for c in range(0x064B, 0x0653)}, "\u0670": None, "\u0640": None,
                              "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
NORMALISE = "arabic-fold-v1"


def fold_arabic(text: str) -> str:
    return text.translate(_ARABIC_FOLD)


class Lexical:
    """Word 1-2-gram and character 2-5-gram TF-IDF, saved as json vocabularies + npz idf (no pickle).
    Texts are folded (fold_arabic) first, so Arabic spelling variants share their n-grams."""

    KINDS = ("word", "char")

    def __init__(self, vecs: dict[str, TfidfVectorizer] | None = None, max_features: int = 100000,
                 normalise: str | None = NORMALISE):
        self.normalise = normalise
        self.vecs = vecs or {
            "word": TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=max_features, sublinear_tf=True,
                                    token_pattern=r"(?u)[#@]?\b\w[\w']*\b|[!?]"),
            "char": TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=max_features,
                                    sublinear_tf=True),
        }

    def _prepare(self, texts: list[str]) -> list[str]:
        return [fold_arabic(t) for t in texts] if self.normalise == NORMALISE else list(texts)

    def fit(self, texts: list[str]) -> "Lexical":
        texts = self._prepare(texts)
        for v in self.vecs.values():
            v.fit(texts)
        return self

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        texts = self._prepare(texts)
        return sparse.hstack([self.vecs[k].transform(texts) for k in self.KINDS], format="csr")

    def state(self) -> tuple[dict, dict]:
        """(json-safe params + vocabularies, idf arrays)."""
        keep = ("analyzer", "ngram_range", "sublinear_tf", "token_pattern", "lowercase")
        js = {k: {"params": {p: v.get_params()[p] for p in keep},
                  "vocabulary": {t: int(i) for t, i in v.vocabulary_.items()}} for k, v in self.vecs.items()}
        js["normalise"] = self.normalise
        return js, {f"tfidf.{k}.idf": v.idf_.astype(np.float64) for k, v in self.vecs.items()}

    @classmethod
    def from_state(cls, js: dict, arrays: dict) -> "Lexical":
        vecs = {}
        for k in cls.KINDS:
            st = js[k]
            params = dict(st["params"], ngram_range=tuple(st["params"]["ngram_range"]))
            vecs[k] = TfidfVectorizer(**params, vocabulary=st["vocabulary"])
            vecs[k].idf_ = arrays[f"tfidf.{k}.idf"]
        return cls(vecs, normalise=js.get("normalise"))  # models saved before folding have none


def stack(*blocks) -> sparse.csr_matrix:
    return sparse.hstack([sparse.csr_matrix(b) for b in blocks], format="csr")


class CachedEmbedder:
    """Wraps an Embedder; vectors are kept in cache_dir (npy shards keyed by text hash)."""

    def __init__(self, embedder, cache_dir: str | Path):
        self.inner, self.name, self.dim = embedder, embedder.name, embedder.dim
        key = f"{embedder.name}|{getattr(embedder, 'backend', '')}"  # backends agree to cosine 0.98, not exactly
        self.dir = Path(cache_dir) / hashlib.sha1(key.encode()).hexdigest()[:12]
        self.dir.mkdir(parents=True, exist_ok=True)
        self._rows: dict[str, np.ndarray] = {}
        for keys in self.dir.glob("*.json"):
            vecs = np.load(keys.with_suffix(".npy"))
            self._rows.update(zip(json.loads(keys.read_text()), vecs))

    def covers(self, language):
        return self.inner.covers(language)

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._rows}.items())
        if missing:
            vecs = self.inner.encode([t for _, t in missing])
            shard = hashlib.sha1("".join(k for k, _ in missing).encode()).hexdigest()[:16]
            np.save(self.dir / f"{shard}.npy", vecs)
            (self.dir / f"{shard}.json").write_text(json.dumps([k for k, _ in missing]))
            self._rows.update(zip((k for k, _ in missing), vecs))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._rows[k] for k in keys]).astype(np.float32)
