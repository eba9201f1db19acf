"""The map's layout: 2-D coordinates of the segment embeddings, and labelled clusters.

`update_warehouse(db)` runs after every ETL run that changed the embeddings (and as
`stance layout`). It reads the latest snapshot and stages what changes, merged in one
short transaction (warehouse/staging.py): the map never shows half an update, and a
correction made meanwhile is never lost. The run's own merge already drops the
coordinates of segments it replaced, and a new embedding model drops the whole layout.

* **Fit.** UMAP (cosine, 15 neighbours) is fitted on a fixed sample of up to SAMPLE
  segments (chosen by a hash of their ids, so the same warehouse gives the same sample).
  Clusters are found on the sample's 2-D coordinates (HDBSCAN), and each cluster is
  labelled per language with its most distinctive words (c-TF-IDF).
* **Place.** Every other segment is placed by the fitted reducer's `transform` and joins
  the cluster of its nearest fitted neighbour on the map. New segments are placed the
  same way on later runs: old ones never move.
* **Refit** only when the layout no longer fits the embeddings: a different embedding
  model or dimension, `stance layout --refit`, or while the warehouse is small (fewer
  than SAMPLE segments were fitted) each time it has doubled, since a layout fitted on a
  few hundred segments says little about a hundred thousand.

The fitted reducer is stored in `layouts.reducer` (a pickle): only the ETL reads it
back, from the warehouse it writes; the dashboard reads coordinates and labels only.
The fit and the placing (numpy, UMAP, scikit-learn) are in etl/layout_fit.py, imported
only when there is something to lay out.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from etl.stored import setting
from warehouse import staging

log = logging.getLogger("stance.layout")

SAMPLE = 10_000  # segments the reducer is fitted on
MIN_FIT = 50  # fewer embedded segments than this: no layout yet
GROWTH = 2  # a layout fitted on fewer than SAMPLE segments is refitted when the warehouse has doubled


@dataclass
class LayoutSummary:
    fitted: int = 0  # segments in a new fit (0: the existing layout was kept)
    placed: int = 0  # segments placed by transform
    removed: int = 0  # coordinates of segments that are gone

    def line(self) -> str:
        fit = f"fitted on {self.fitted:,} segments, " if self.fitted else ""
        return f"layout: {fit}{self.placed:,} placed, {self.removed:,} removed"


def update_warehouse(db, refit: bool = False, *, memory_limit: str | None = None,
                     data_path: str | None = None) -> LayoutSummary:
    """Bring the warehouse's layout up to date: computed from the latest snapshot, then merged
    in one short transaction (warehouse.staging). The caller holds the ETL lock."""
    with staging.staged_session(db, memory_limit=memory_limit, data_path=data_path) as con:
        return update(con, refit)


def update(con, refit: bool = False) -> LayoutSummary:
    """Bring the layout up to date with the embeddings (see the module docstring). `con` is a
    staged session: the warehouse is read as `wh`, the new layout rows are staged."""
    from etl import layout_fit  # numpy, UMAP and scikit-learn: only when the layout may change

    summary = LayoutSummary()
    if setting(con, "embedding_dim") is None:  # no embeddings view yet
        return summary
    summary.removed = _remove_gone(con)
    n = con.execute("SELECT count(*) FROM wh.main.embeddings").fetchone()[0]
    current = _current(con)
    if refit or _stale(con, current, n):
        if current is not None:
            _drop(con)
        if n < MIN_FIT:  # too few for a layout: a stale one (another model's) is dropped
            return summary
        current = layout_fit.fit(con, n)
        summary.fitted = current["fit_size"]
    if current is None:
        return summary
    summary.placed = layout_fit.place_new(con, current)
    return summary


def behind(con) -> bool:
    """Whether the warehouse's layout lags its embeddings (segments without coordinates, or
    enough embeddings for a first layout); cheap enough to ask at every run."""
    if setting(con, "embedding_dim") is None:
        return False
    n, placed = con.execute("""SELECT (SELECT count(*) FROM wh.main.embedding_vectors),
                                      (SELECT count(*) FROM wh.main.segment_layout)""").fetchone()
    return n != placed if _current(con) else n >= MIN_FIT


def _remove_gone(con) -> int:
    """Stage the removal of coordinates whose segment has no vector any more; returns how many."""
    gone = "segment_id NOT IN (SELECT segment_id FROM wh.main.embedding_vectors)"
    n = con.execute(f"SELECT count(*) FROM wh.main.segment_layout WHERE {gone}").fetchone()[0]
    if n:
        staging.clear(con, "segment_layout", gone)
    return n


def _current(con) -> dict | None:
    row = con.execute("""SELECT layout_id, model, dim, fit_size FROM wh.main.layouts
                         ORDER BY layout_id DESC LIMIT 1""").fetchone()
    return dict(zip(("layout_id", "model", "dim", "fit_size"), row)) if row else None


def _stale(con, current: dict | None, n: int) -> bool:
    if current is None:
        return True
    if current["model"] != setting(con, "embedding_model") or str(current["dim"]) != setting(con, "embedding_dim"):
        return True
    return current["fit_size"] < SAMPLE and n >= GROWTH * current["fit_size"]


def _drop(con) -> None:
    """The warehouse's layout goes when the session merges (a new one may be staged meanwhile)."""
    for table in staging.LAYOUT_TABLES:
        staging.clear(con, table)
