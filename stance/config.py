"""Settings from stance.toml, the environment and the command line (later ones win).

    # stance.toml (found via --config, $STANCE_CONFIG, or ./stance.toml)
    db = "stance.lake"                 # a warehouse folder, or a DuckLake location (ducklake:...)
    data_path = "s3://bucket/stance/"  # only for a new DuckLake location: where its Parquet files go
    model = "all-MiniLM-L6-v2"       # or a path to any sentence-transformers model
    taxonomy = "my-topics.yaml"      # default: the bundled etl/taxonomy.yaml
    aliases = "my-aliases.yaml"      # merged on top of the bundled etl/aliases.yaml
    label_models = "models/"         # from `stance train`; default: the shipped models
    embed_backend = "onnx"           # or "sentence-transformers" (the plain, slower path)
    engine = "local"                 # or "ray": embed and label on a Ray cluster

    [ray]                            # used with engine = "ray"
    address = "ray://head:10001"     # default: $RAY_ADDRESS, else a local Ray instance
    workers = 8                      # default: as many as the cluster's CPUs (GPUs) allow
    batch_size = 8                   # documents per batch
    cpus_per_worker = 1
    gpus_per_worker = 1              # default: 1 where the cluster has GPUs

    [dashboard]
    host = "127.0.0.1"
    port = 8050

Environment: STANCE_DB, STANCE_DATA_PATH, STANCE_MODEL, STANCE_TAXONOMY, STANCE_ALIASES, STANCE_LABEL_MODELS,
STANCE_EMBED_BACKEND, STANCE_ENGINE (and Ray's own RAY_ADDRESS).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from etl.engines import BACKENDS, ENGINES


PATH_KEYS = {"db", "data_path", "taxonomy", "aliases", "label_models"}  # `model` is a path only where one exists
RAY_KEYS = {"address": str, "workers": int, "batch_size": int, "cpus_per_worker": (int, float),
            "gpus_per_worker": (int, float)}
TABLES = ("dashboard", "ray")


class ConfigError(ValueError):
    pass


@dataclass
class Config:
    db: str = "stance.lake"
    data_path: str | None = None
    model: str | None = None
    taxonomy: str | None = None
    aliases: str | None = None
    label_models: str | None = None
    embed_backend: str | None = None
    engine: str = "local"
    ray: dict = field(default_factory=dict)  # [ray] address, workers, batch_size, cpus_per_worker, gpus_per_worker
    dashboard: dict = field(default_factory=lambda: {"host": "127.0.0.1", "port": 8050})


def load_config(path: str | Path | None = None) -> Config:
    path = path or os.environ.get("STANCE_CONFIG") or ("stance.toml" if Path("stance.toml").exists() else None)
    cfg = Config()
    if path:
        _apply_file(cfg, Path(path))
    for f in fields(cfg):
        value = os.environ.get(f"STANCE_{f.name.upper()}")
        if value and f.name not in TABLES:
            setattr(cfg, f.name, value)
    if cfg.embed_backend not in (None, *BACKENDS):
        raise ConfigError(f"embed_backend = {cfg.embed_backend!r}: expected 'onnx' or 'sentence-transformers'")
    if cfg.engine not in ENGINES:
        raise ConfigError(f"engine = {cfg.engine!r}: expected {' or '.join(map(repr, ENGINES))}")
    return cfg


def _apply_file(cfg: Config, path: Path) -> None:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    known = {f.name for f in fields(cfg)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    for key, value in raw.items():
        if key in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{key}] must be a table")
            if key == "ray":
                _check_ray(path, value)
            getattr(cfg, key).update(value)
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: '{key}' must be a string")
        else:
            # relative paths in the file are relative to the file
            resolved = path.parent / value
            is_path = (key in PATH_KEYS and "://" not in value and not value.startswith("ducklake:")) or (
                key == "model" and resolved.exists())
            setattr(cfg, key, str(resolved) if is_path and not Path(value).is_absolute() else value)


def _check_ray(path: Path, table: dict) -> None:
    for key, value in table.items():
        if key not in RAY_KEYS:
            raise ConfigError(f"{path}: [ray] unknown setting {key!r}; known: {', '.join(RAY_KEYS)}")
        if not isinstance(value, RAY_KEYS[key]) or isinstance(value, bool):
            raise ConfigError(f"{path}: [ray] {key} = {value!r}: expected a {'string' if key == 'address' else 'number'}")
