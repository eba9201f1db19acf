"""The fictional demo corpus shipped in stance/demo/, and building a warehouse from it."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

CORPUS = resources.files("stance") / "demo"
ALIASES = CORPUS / "aliases.yaml"  # how the news spells the fictional cast, in English and Arabic


def demo_files() -> list[str]:
    return sorted(str(p) for p in CORPUS.iterdir() if p.name.endswith((".jsonl", ".txt", ".vtt")))


def build_demo(db: str | Path, settings=None):
    """Run the real ETL over the demo corpus into `db`; returns the run summary."""
    from etl.pipeline import Settings, run_etl

    settings = settings or Settings()
    settings.aliases = settings.aliases or str(ALIASES)
    return run_etl(db, demo_files(), settings)
