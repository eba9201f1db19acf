"""Where a warehouse lives: what `--db` names, parsed once.

    --db news.lake                                   a local warehouse folder: news.lake/catalog.sqlite
                                                     (DuckLake's catalog) and news.lake/data/ (Parquet)
    --db ducklake:sqlite:/srv/stance/catalog.sqlite  any DuckLake location; its data path is given at
    --db 'ducklake:postgres:dbname=stance host=db'   creation (--data-path, e.g. s3://bucket/stance/)
                                                     and kept in the catalog

A warehouse folder is exactly DuckLake with a SQLite catalog and a data folder beside it.
A single DuckDB file from an earlier release is recognised and refused with the command
that moves it (`stance migrate`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from warehouse.extensions import cache_dir

CATALOG_FILE, DATA_DIR = "catalog.sqlite", "data"
REMOTE_SCHEMES = ("s3://", "s3a://", "gs://", "gcs://", "r2://", "http://", "https://")
DUCKDB_MAGIC = b"DUCK"


class SingleFileWarehouse(ValueError):
    """`--db` names a single-file warehouse of an earlier release."""


def sql_string(value) -> str:
    """A SQL string literal (ATTACH takes no parameters in DuckDB 1.5)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_literal(value: str | int | dt.datetime | None) -> str:
    """A SQL literal, for statements that bind no parameters: DuckDB 1.5's first bound
    (non-NULL) parameter in a process imports pandas and numpy, ~0.5 s."""
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP {sql_string(value.isoformat(sep=' '))}"
    if isinstance(value, str):
        return sql_string(value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def is_single_file(path: str | Path) -> bool:
    """A DuckDB database file (its header carries the magic bytes 'DUCK' at offset 8)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(12)[8:12] == DUCKDB_MAGIC
    except (IsADirectoryError, FileNotFoundError, PermissionError):
        return False


@dataclass(frozen=True)
class Location:
    text: str               # as the user gave it
    metadata: str           # DuckLake's metadata spec: 'sqlite:/abs/catalog.sqlite', 'postgres:...', '/abs/x.ducklake'
    data_path: str | None   # where new Parquet files go; None = as stored in the catalog
    folder: Path | None     # the warehouse folder, for the local layout

    @classmethod
    def parse(cls, db: str | Path, data_path: str | None = None) -> Location:
        text = str(db)
        if text.startswith("ducklake:"):
            spec = text.removeprefix("ducklake:")
            kind, _, rest = spec.partition(":") if spec.split(":", 1)[0] in ("sqlite", "duckdb", "postgres") else ("", "", spec)
            if kind in ("sqlite", "duckdb", "") and rest:
                rest = str(Path(rest).expanduser().resolve())
            metadata = f"{kind}:{rest}" if kind in ("sqlite", "postgres") else rest
            return cls(text, metadata, _absolute(data_path), None)
        path = Path(text).expanduser().resolve()
        if is_single_file(path):
            raise SingleFileWarehouse(
                f"{db}: a single-file warehouse from an earlier release; move it into a warehouse folder "
                f"with `stance migrate --from {db} --db {path.with_suffix('.lake')}` (one command, keeps everything)")
        if path.exists() and not path.is_dir():
            raise ValueError(f"{db}: not a warehouse (a warehouse is a folder, or a ducklake: location)")
        return cls(text, f"sqlite:{path / CATALOG_FILE}", _absolute(data_path) or f"{path / DATA_DIR}/", path)

    @property
    def catalog_kind(self) -> str:
        return self.metadata.split(":", 1)[0] if self.metadata.startswith(("sqlite:", "postgres:")) else "duckdb"

    @property
    def catalog_file(self) -> Path | None:
        """The catalog's file, for a catalog kept in a local file (SQLite or DuckDB)."""
        if self.catalog_kind == "postgres":
            return None
        return Path(self.metadata.removeprefix("sqlite:"))

    def exists(self) -> bool:
        """Whether a warehouse has been created here (for a server catalog: assumed)."""
        file = self.catalog_file
        return file.exists() if file is not None else True

    @property
    def extensions(self) -> tuple[str, ...]:
        """The DuckDB extensions this location needs."""
        needed = ["ducklake", {"sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}.get(self.catalog_kind)]
        if self.data_path and self.data_path.startswith(REMOTE_SCHEMES):
            needed.append("httpfs")
        return tuple(n for n in needed if n)

    def attach_sql(self, alias: str, *, read_only: bool = False, snapshot: int | None = None) -> str:
        options = []
        if read_only:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        if self.folder is not None:  # the folder's own data folder, wherever the folder has been moved
            options += [f"DATA_PATH {sql_string(self.data_path)}", "OVERRIDE_DATA_PATH true"]
        elif self.data_path and not read_only:
            options.append(f"DATA_PATH {sql_string(self.data_path)}")
        opts = f" ({', '.join(options)})" if options else ""
        return f"ATTACH {sql_string('ducklake:' + self.metadata)} AS {alias}{opts}"

    def lock_file(self, name: str) -> Path:
        """A lock file beside the catalog; for a server catalog, in this machine's cache."""
        if self.folder is not None:
            return self.folder / name
        file = self.catalog_file
        if file is not None:
            return file.with_name(f"{file.name}.{name}")
        key = hashlib.sha256(self.metadata.encode()).hexdigest()[:16]
        (cache_dir() / "locks").mkdir(parents=True, exist_ok=True)
        return cache_dir() / "locks" / f"{key}.{name}"

    def __str__(self) -> str:
        return self.text


def _absolute(data_path: str | None) -> str | None:
    if not data_path or data_path.startswith(REMOTE_SCHEMES):
        return data_path
    return f"{Path(data_path).expanduser().resolve()}/"
