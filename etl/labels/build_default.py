"""Rebuild the default models shipped in etl/labels/default/ from the project's own training CSVs.

    python -m etl.labels.build_default
"""
from __future__ import annotations

import json
import shutil

from etl.embed import get_embedder
from etl.labels.training import DATA_DIR, DEFAULT_CONFIG, DEFAULT_DIR, DEFAULT_EMBEDDER, MODELS, train


def main() -> None:
    embedder = get_embedder(DEFAULT_EMBEDDER)
    for task in MODELS:
        out = DEFAULT_DIR / task
        shutil.rmtree(out, ignore_errors=True)
        summary = train(task, DATA_DIR / f"{task}.csv", out, embedder, config=DEFAULT_CONFIG[task])
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
