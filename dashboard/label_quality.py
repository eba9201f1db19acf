"""The measured quality of the shipped label models, for a one-line note beside labels.

Read from etl/labels/default/quality.json when it exists, e.g.
{"stance": {"macro_f1": 0.62, "measured_on": "P-Stance test set"}, "topic": {...}};
without the file (or the task in it) pages say nothing. Figures: docs/benchmarks.md.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

QUALITY_FILE = Path(str(resources.files("etl") / "labels" / "default" / "quality.json"))
NAMES = {"topic": "Topic", "stance": "Stance", "agreement": "Agreement"}


@lru_cache(maxsize=1)
def _load(path: Path = QUALITY_FILE) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def note(tasks, path: Path = QUALITY_FILE) -> str | None:
    """'Measured label quality (docs/benchmarks.md): stance macro-F1 0.62 on P-Stance.', or None."""
    quality = _load(path)
    parts = []
    for task in tasks:
        entry = quality.get(task)
        if not isinstance(entry, dict) or not isinstance(entry.get("macro_f1"), (int, float)):
            continue
        where = f" on {entry['measured_on']}" if entry.get("measured_on") else ""
        parts.append(f"{NAMES.get(task, task)} labels: macro-F1 {entry['macro_f1']:.2f}{where}")
    if not parts:
        return None
    return "Measured label quality (docs/benchmarks.md): " + "; ".join(parts) + "."
