"""The suite's targets, the `met` verdicts and the human-readable summary table."""
from __future__ import annotations

import operator

# figure -> (comparison, threshold); a dict-valued figure meets its target when every value does.
TARGETS: dict[str, tuple[str, float]] = {
    "etl_vs_raw": (">=", 1.3),  # and embed_min_cosine must meet its own target too
    "embed_min_cosine": (">=", 0.98),
    "noop_rerun_vs_full": ("<=", 0.05),
    "rss_growth_x10": ("<=", 1.2),
    "etl_peak_rss_mb": ("<=", 1500),  # the corpus
    "etl_peak_rss_mb_x10": ("<=", 1500),  # ten copies of it
    "callback_p95_ms": ("<=", 300),
    "search_p95_ms": ("<=", 100),
    "search_recall_at_10": (">=", 0.95),
}
_OPS = {">=": operator.ge, "<=": operator.le}


def targets_json() -> dict:
    return {name: {"op": op, "value": value} for name, (op, value) in TARGETS.items()}


def _meets(name: str, value) -> bool | None:
    """True / False, or None when the figure was not measured."""
    op, threshold = TARGETS[name]
    if isinstance(value, dict):
        values = list(value.values())
        if not values or any(v is None for v in values):
            return None
        return all(_OPS[op](v, threshold) for v in values)
    return None if value is None else bool(_OPS[op](value, threshold))


def evaluate(result: dict) -> dict:
    """{figure: True | False | None (not measured)} for every target, plus `all`."""
    met = {name: _meets(name, result.get(name)) for name in TARGETS}
    if met["etl_vs_raw"] is not None:  # a faster ETL only counts with vectors that agree with the model's
        met["etl_vs_raw"] = met["etl_vs_raw"] and bool(met["embed_min_cosine"])
    met["all"] = all(v is True for v in met.values())
    return met


def failing_callbacks(result: dict) -> list[str]:
    _, threshold = TARGETS["callback_p95_ms"]
    return sorted(name for name, v in (result.get("callback_p95_ms") or {}).items() if v is not None and v > threshold)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def table(result: dict) -> str:
    """A short summary for a person: each target figure, its target and whether it is met."""
    met = result.get("met") or evaluate(result)
    rows = [("figure", "value", "target", "met")]
    for name, (op, threshold) in TARGETS.items():
        value = result.get(name)
        if isinstance(value, dict):
            if name == "callback_p95_ms" and value:
                worst = max(value, key=lambda k: value[k] if value[k] is not None else -1)
                shown = f"max {_fmt(value[worst])} ({worst})"
            else:
                shown = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items()) or "-"
        else:
            shown = _fmt(value)
        verdict = {True: "yes", False: "NO", None: "not measured"}[met.get(name)]
        rows.append((name, shown, f"{op} {threshold:g}", verdict))
    extra = [("embed_raw_per_s", result.get("embed_raw_per_s")), ("etl_per_s", result.get("etl_per_s")),
             ("embed_mean_cosine", result.get("embed_mean_cosine")),
             ("bytes_per_segment", result.get("bytes_per_segment")),
             ("bytes_per_segment_etl", result.get("bytes_per_segment_etl"))]
    for name, value in extra:
        shown = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items()) if isinstance(value, dict) else _fmt(value)
        rows.append((name, shown, "", ""))
    for name, value in (result.get("cold_start_s") or {}).items():
        if name != "errors":
            rows.append((f"cold_start_s.{name}", _fmt(value), "", ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    slow = failing_callbacks(result)
    if slow:
        lines.append(f"callbacks over target: {', '.join(slow)}")
    if result.get("errors"):
        lines.append(f"errors in parts: {', '.join(result['errors'])}")
    return "\n".join(lines)
