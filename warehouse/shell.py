"""`stance sql`: DuckDB's own shell (the duckdb-cli package) with the warehouse attached read-only.

    stance sql --db news.lake                       # interactive; `statements`, `agreements`, ... in scope
    stance sql --db news.lake -c "SELECT ..."       # run one query, print, exit

The shell loads the same offline extensions as the app, attaches the warehouse READ_ONLY as
`wh` and makes it the default catalog. An open shell never blocks the ETL (WAL catalog).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from warehouse import extensions
from warehouse.location import Location, sql_string
from warehouse.store import ALIAS, location

def duckdb_cli() -> Path:
    spec = importlib.util.find_spec("duckdb_cli")
    binary = Path(next(iter(spec.submodule_search_locations))) / "duckdb" if spec else None
    if binary is None or not binary.exists():
        raise FileNotFoundError("the DuckDB shell is not installed: pip install duckdb-cli")
    return binary


def init_sql(loc: Location) -> str:
    """What the shell runs first: the extensions, the warehouse attached read-only and in use."""
    loads = "".join(f"LOAD {name}; " for name in loc.extensions)
    return (f"SET extension_directory = {sql_string(extensions.extension_dir())}; "
            f"SET autoinstall_known_extensions = false; {loads}"
            f"{loc.attach_sql(ALIAS, read_only=True)}; USE {ALIAS};")


def shell_argv(db: str | Path | Location, query: str | None = None, fmt: str | None = None) -> list[str]:
    """The command line that opens the shell on `db` (runs `query` and exits, if given)."""
    loc = location(db)
    if not loc.exists():
        raise FileNotFoundError(f"{loc}: no such warehouse (run `stance etl --db {loc} INPUT...` first)")
    extensions.connect(needed=loc.extensions).close()  # links the extensions; checks their signatures once
    argv = [str(duckdb_cli()), "-unsigned", "-no-init", "-cmd", init_sql(loc)]
    if fmt and fmt != "duckbox":
        argv.append(f"-{fmt}")
    if query is not None:
        argv += ["-c", query]
    return argv
