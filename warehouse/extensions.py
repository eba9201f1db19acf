"""DuckDB extensions from their PyPI wheels (duckdb-extension-*), loaded offline.

`INSTALL` from DuckDB's extension host is never used. Each wheel carries the signed
extension file for this DuckDB release; it is linked into a private extension directory
under the user's cache, named as DuckDB looks it up. DuckDB checks an extension's
signature on every LOAD, which takes ~0.5 s per extension; so the first connection after
an install loads them with the check, and records the files it checked (path, size,
mtime). Later connections load the same, unchanged files without repeating the check:
~20 ms instead of ~1.1 s per process. A changed or new file is checked again.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
from pathlib import Path

import duckdb

# extension name -> the wheel's package (the sqlite extension's file must be named sqlite_scanner)
WHEELS = {"ducklake": "ducklake", "sqlite_scanner": "sqlite", "postgres_scanner": "postgres",
          "httpfs": "httpfs", "fts": "fts"}
PLATFORM = "linux_amd64"


def cache_dir() -> Path:
    return Path(os.environ.get("STANCE_CACHE_DIR") or Path.home() / ".cache" / "stance")


def extension_dir() -> Path:
    return cache_dir() / "duckdb-extensions"


def _wheel_file(package: str) -> Path | None:
    spec = importlib.util.find_spec(f"duckdb_extension_{package}")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions" / duckdb.__version__
    if not folder.exists():
        folder = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}"
    return next(iter(sorted(folder.glob("*.duckdb_extension"))), None)


def available() -> dict[str, Path]:
    """Extension name -> its file, for the extension wheels that are installed."""
    found = {name: _wheel_file(pkg) for name, pkg in WHEELS.items()}
    return {name: path for name, path in found.items() if path is not None}


def _link_all(files: dict[str, Path]) -> Path:
    target = extension_dir() / f"v{duckdb.__version__}" / PLATFORM
    target.mkdir(parents=True, exist_ok=True)
    for name, src in files.items():
        link = target / f"{name}.duckdb_extension"
        if not (link.is_symlink() and Path(os.readlink(link)) == src):
            tmp = target / f".{name}.{os.getpid()}"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(src)
            os.replace(tmp, link)
    return extension_dir()


def _fingerprint(files: dict[str, Path]) -> dict[str, list]:
    return {name: [str(p), p.stat().st_size, p.stat().st_mtime_ns] for name, p in sorted(files.items())}


def connect(database: str = ":memory:", needed: tuple[str, ...] = ("ducklake", "sqlite_scanner"),
            config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the `needed` extensions loaded from their wheels."""
    files = available()
    missing = [n for n in needed if n not in files]
    if missing:
        pkgs = " ".join(f"duckdb-extension-{WHEELS[n]}=={duckdb.__version__}" for n in missing)
        raise RuntimeError(f"DuckDB extension(s) {', '.join(missing)} not installed: pip install {pkgs}")
    ext_dir = _link_all(files)
    stamp = ext_dir / f"checked-v{duckdb.__version__}.json"
    wanted = _fingerprint({n: files[n] for n in needed})
    checked = _read_stamp(stamp)
    trusted = all(checked.get(n) == v for n, v in wanted.items())
    con = duckdb.connect(database, config={
        "extension_directory": str(ext_dir), "autoinstall_known_extensions": False,
        "allow_unsigned_extensions": trusted, **(config or {})})
    con.execute("SET enable_progress_bar = false")  # a long merge must not draw on a job's stdout
    for name in needed:
        con.execute(f"LOAD {name}")
    if not trusted:  # loaded with DuckDB's signature check: remember these files as checked
        _write_stamp(stamp, {**checked, **wanted})
    return con


def _read_stamp(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_stamp(path: Path, value: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(OSError):
        tmp.write_text(json.dumps(value))
        os.replace(tmp, path)
