"""Reading and validating labelled CSV files for training and evaluation."""
from __future__ import annotations

import csv
from pathlib import Path

from etl.taxonomy import OTHER

COLUMNS = {"topic": ("text", "label"), "stance": ("text", "target", "label"),
           "agreement": ("quote", "response", "label")}
STANCE_LABELS = ("favor", "against", "none")
AGREEMENT_LABELS = ("agree", "disagree", "neutral")


class TrainingDataError(ValueError):
    """Rows that cannot be used; `problems` holds one 'file:line: reason' message per row."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__("\n".join(problems[:20]) + more)


def allowed_labels(task: str, taxonomy=None) -> set[str]:
    if task == "topic":
        return set(taxonomy.names) | {OTHER} if taxonomy else set()
    if task in ("stance", "agreement"):
        return set(STANCE_LABELS if task == "stance" else AGREEMENT_LABELS)
    raise ValueError(f"unknown task {task!r}: expected topic, stance or agreement")


def read_rows(task: str, path: str | Path, taxonomy=None) -> list[dict]:
    """Rows as dicts (topic rows get a 'labels' list); raises TrainingDataError naming file and line."""
    allowed, path = allowed_labels(task, taxonomy), Path(path)
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS[task] if c not in (reader.fieldnames or [])]
        if missing:
            found = ",".join(reader.fieldnames or []) or "nothing"
            raise TrainingDataError([f"{path}:1: missing column(s) {', '.join(missing)} for task {task} (found: {found})"])
        rows, problems, line = [], [], 2
        for rec in reader:
            problem = _check(task, rec, allowed)
            if problem:
                problems.append(f"{path}:{line}: {problem}")
            else:
                rows.append(_clean(task, rec))
            line = reader.line_num + 1
    if problems:
        raise TrainingDataError(problems)
    if not rows:
        raise TrainingDataError([f"{path}: no data rows"])
    return rows


def _check(task: str, rec: dict, allowed: set[str]) -> str | None:
    empty = [c for c in COLUMNS[task] if not (rec.get(c) or "").strip()]
    if empty:
        return f"missing value for {', '.join(empty)}"
    labels = [x.strip().lower() for x in rec["label"].split("|")] if task == "topic" else [rec["label"].strip().lower()]
    unknown = [x for x in labels if x not in allowed]
    if unknown:
        return f"unknown label {unknown[0]!r} (expected one of {', '.join(sorted(allowed))})"
    return None


def _clean(task: str, rec: dict) -> dict:
    row = {c: " ".join(rec[c].split()) for c in COLUMNS[task]}
    row["label"] = row["label"].lower()
    if task == "topic":
        row["labels"] = sorted({x.strip() for x in row["label"].split("|")})
    row["language"] = (rec.get("language") or "").strip().lower() or None  # optional columns
    row["context"] = " ".join((rec.get("context") or "").split())
    row["document_id"] = (rec.get("document_id") or "").strip() or None
    return row
