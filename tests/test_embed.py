"""The ONNX embedding backend gives the plain sentence-transformers vectors, without torch."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from etl.embed import SHORT_TOKENS, get_embedder
from etl.read import read_file
from etl.segment import segment_document
from stance.demo_corpus import demo_files


@pytest.fixture(scope="module")
def demo_texts() -> list[str]:
    texts = []
    for path in demo_files():
        for doc in read_file(path):
            texts += [s.text for s in segment_document(doc, [t.speaker for t in doc.turns])]
    return texts


@pytest.fixture(scope="module")
def plain():
    return get_embedder(backend="sentence-transformers")


def test_onnx_vectors_match_sentence_transformers_on_every_demo_segment(embedder, plain, demo_texts):
    assert embedder.backend == "onnx" and embedder.int8 is not embedder.fp32
    assert (embedder.name, embedder.dim) == (plain.name, plain.dim) == ("all-MiniLM-L6-v2", 384)
    ours, reference = embedder.encode(demo_texts), plain.encode(demo_texts)
    cosine = np.sum(ours * reference, axis=1)
    assert len(demo_texts) > 100 and cosine.min() >= 0.98, demo_texts[int(np.argmin(cosine))]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_short_texts_take_the_fp32_model(embedder, plain):
    texts = ["Thank you.", "No.", "That is not true, Senator."]
    assert all(len(e.ids) < SHORT_TOKENS for e in embedder.tokens.encode(texts))
    cosine = np.sum(embedder.encode(texts) * plain.encode(texts), axis=1)
    assert cosine.min() > 0.9999


def test_a_text_s_vector_barely_depends_on_its_batch(embedder, demo_texts):
    # int8 activations are scaled per batch, so neighbours move a vector a little (measured >= 0.99)
    alone = np.stack([embedder.encode([t])[0] for t in demo_texts[:12]])
    together = embedder.encode(demo_texts[:12] + ["Thank you."] * 40)[:12]
    assert np.min(np.sum(alone * together, axis=1)) > 0.98


def test_the_onnx_path_never_imports_torch(embedder):
    code = ("import sys; from etl.embed import get_embedder; get_embedder().encode(['The border is closed.']); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unfaithful_int8_export_is_refused(tmp_path, monkeypatch, plain):
    from etl import onnx_export
    from etl.embed import OnnxEmbedder

    monkeypatch.setenv("STANCE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(onnx_export, "MIN_COSINE", 1.01)  # no int8 model can pass: fp32 only
    fp32_only = OnnxEmbedder()
    assert fp32_only.int8 is fp32_only.fp32
    text = ["We will secure the border on day one and finish the wall, and the people of this state know it."]
    assert float(fp32_only.encode(text)[0] @ plain.encode(text)[0]) > 0.9999


def test_unknown_backend_is_a_clear_error(monkeypatch):
    from stance.config import ConfigError, load_config

    monkeypatch.setenv("STANCE_EMBED_BACKEND", "tensorflow")
    with pytest.raises(ConfigError, match="embed_backend = 'tensorflow'"):
        load_config()
