"""A sentence-transformers model as ONNX files for onnxruntime: fp32, and int8 where it stays faithful.

Exported once per model from the local weights with torch.onnx (no download), quantised
with onnxruntime's dynamic int8 quantisation, checked, and cached under
$STANCE_CACHE_DIR (default ~/.cache/stance/onnx/<key>/). The key changes when the weights
file or this recipe change, so a stale export is never used.

The int8 recipe (measured on debate segments against the plain sentence-transformers
vectors, see docs/architecture.md): weights per output channel, only the MatMuls with a
weight operand (quantising attention's activation x activation products cost up to 0.2
cosine) and the embedding tables (Gather; e5's 250k-piece table shrinks from 384 to 96 MB),
and the first layer's feed-forward output kept in fp32. The export is refused (fp32 only)
when a long calibration text falls below MIN_COSINE. Short texts lose the most (few tokens
to average the error over): where they fall below it, the embedder sends them to the fp32
model (MiniLM), and where they do not, the fp32 model is never loaded (e5).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock

log = logging.getLogger("stance.embed")

RECIPE = "int8-dyn-pc-wmm-gather-x0ffn2-v2"  # change to invalidate every cached export
MIN_COSINE = 0.98
KEEP_FP32 = re.compile(r"layer\.0/output/dense/")
_CALIBRATION = [  # long enough to take the int8 path (the fidelity check is about those)
    "We will secure the border on day one, finish the wall, and end catch and release, because a country "
    "that cannot control who comes in is not a country at all, and the people of this state know it.",
    "The election was run by the same county officials who have run it for thirty years; every ballot was "
    "counted twice, the audits matched, and the courts threw out every case brought against the result.",
    "Regulators in Brussels and Washington want to license every new model before it ships, and I think that "
    "would freeze the industry in place and hand the future to whoever already has the lawyers.",
    "Thank you all for coming tonight. Before we begin, a reminder that the candidates have agreed to the "
    "rules: ninety seconds for answers, thirty for rebuttals, and no notes brought onto the stage.",
    "وكرر ترامب مزاعمه بأن انتخابات 2020 تم تزويرها، وأن قادة دول أخرى يرسلون المجرمين عمداً عبر الحدود، "
    "فيما انتقد ماسك التنظيم الحكومي الذي قال إنه يعيق الابتكار في شركات التكنولوجيا.",
]
_SHORT = ["Thank you.", "No.", "That is not true, Senator.", "Wrong.", "شكرا جزيلا.", "Let's move on."]


@dataclass(frozen=True)
class OnnxExport:
    fp32: Path
    int8: Path | None  # None: quantisation was not faithful enough for this model
    inputs: tuple[str, ...]
    int8_short: bool = False  # int8 is faithful on short texts too


def cache_root() -> Path:
    base = os.environ.get("STANCE_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stance"
    return Path(base) / "onnx"


def export_key(model_dir: Path) -> str:
    """Identifies the weights (path, size, mtime) and the recipe, without hashing 90 MB per run."""
    weights = sorted(p for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin"))
    parts = [RECIPE, str(model_dir)] + [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in weights]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def onnx_export(model_dir: str | Path) -> OnnxExport:
    """The cached export of the model in `model_dir`, made first if missing (~15 s)."""
    model_dir = Path(model_dir)
    target = cache_root() / export_key(model_dir)
    if not (target / "export.json").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(target) + ".lock"):
            if not (target / "export.json").exists():
                _build(model_dir, target)
    meta = json.loads((target / "export.json").read_text())
    return OnnxExport(target / "model.onnx", target / "model_int8.onnx" if meta["int8"] else None,
                      tuple(meta["inputs"]), bool(meta["int8"] and meta.get("int8_short")))


def _build(model_dir: Path, target: Path) -> None:
    log.info("exporting %s to ONNX (once per model) in %s", model_dir, target)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        inputs = _export_fp32(model_dir, work / "model.onnx")
        _quantise(work / "model.onnx", work / "model_int8.onnx")
        faithful = _faithful(model_dir, work, inputs, _CALIBRATION)
        if not faithful:
            (work / "model_int8.onnx").unlink()
        short = faithful and _faithful(model_dir, work, inputs, _SHORT, quiet=True)
        (work / "export.json").write_text(json.dumps({"recipe": RECIPE, "model": str(model_dir), "inputs": inputs,
                                                      "int8": faithful, "int8_short": short}))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _export_fp32(model_dir: Path, out: Path) -> list[str]:
    import inspect

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids")
             if n in inspect.signature(model.forward).parameters]

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(**dict(zip(names, tensors))).last_hidden_state

    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    with warnings.catch_warnings():  # tracer warnings about shape-dependent branches: fixed by dynamic_axes
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHiddenState(), example, str(out), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
    return names


def _quantise(fp32: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    weights = {i.name for i in graph.initializer}
    nodes = [n.name for n in graph.node
             if n.op_type in ("MatMul", "Gather") and any(i in weights for i in n.input) and not KEEP_FP32.search(n.name)]
    logging.disable(logging.WARNING)  # the quantiser logs a line per tensor, and advice, on the root logger
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=nodes,
                         op_types_to_quantize=["MatMul", "Gather"])
    finally:
        logging.disable(logging.NOTSET)


def _faithful(model_dir: Path, work: Path, inputs: list[str], texts: list[str], quiet: bool = False) -> bool:
    from etl.embed import OnnxSession, Tokens, model_prompt

    prompt = model_prompt(model_dir)
    batch = Tokens(model_dir).encode([prompt + t for t in texts])
    a = OnnxSession(work / "model.onnx", inputs).embed(batch)
    b = OnnxSession(work / "model_int8.onnx", inputs).embed(batch)
    worst = float(np.min(np.sum(a * b, axis=1)))
    if worst < MIN_COSINE and not quiet:
        log.warning("int8 export of %s is not faithful (min cosine %.3f < %.2f): using fp32", model_dir, worst, MIN_COSINE)
    return worst >= MIN_COSINE
