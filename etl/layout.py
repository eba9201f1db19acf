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
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import pickle
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from etl.cluster_labels import cluster_keywords
from etl.load import insert_rows, registered, setting
from warehouse import staging

log = logging.getLogger("stance.layout")

SAMPLE = 10_000  # segments the reducer is fitted on
MIN_FIT = 50  # fewer embedded segments than this: no layout yet
GROWTH = 2  # a layout fitted on fewer than SAMPLE segments is refitted when the warehouse has doubled
BATCH = 50_000  # segments placed per transform call
UMAP_PARAMS = {"n_neighbors": 15, "min_dist": 0.05, "metric": "cosine", "random_state": 42, "n_jobs": 1}


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
        current = _fit(con, n)
        summary.fitted = current["fit_size"]
    if current is None:
        return summary
    summary.placed = _place_new(con, current)
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


# --- fit -------------------------------------------------------------------------------------------
def _fit(con, n: int) -> dict:
    """Fit the reducer and the clusters on a sample; store them and the sample's coordinates."""
    import umap  # numba compiles on first use: imported only when a layout is made

    ids, vectors = _sample(con)
    log.info("layout: fitting UMAP on %d of %d segments", len(ids), n)
    reducer = umap.UMAP(**UMAP_PARAMS)
    xy = reducer.fit_transform(vectors).astype(np.float32)
    clusters = _clusters(xy)
    layout_id = con.execute("SELECT coalesce(max(layout_id), 0) + 1 FROM wh.main.layouts").fetchone()[0]
    state = {"reducer": reducer, "xy": xy, "clusters": clusters}
    current = {"layout_id": layout_id, "model": setting(con, "embedding_model"),
               "dim": int(setting(con, "embedding_dim") or vectors.shape[1]), "fit_size": len(ids), "state": state}
    params = {**UMAP_PARAMS, "min_cluster_size": _min_cluster_size(len(ids)), "cluster_selection": "leaf"}
    con.execute("INSERT INTO memory.main.layouts VALUES (?, ?, ?, 'umap', ?, ?, ?, ?)",
                [layout_id, current["model"], current["dim"], json.dumps(params), len(ids), dt.datetime.now(),
                 pickle.dumps(state)])
    _insert_coordinates(con, layout_id, ids, xy, clusters, fitted=True)
    insert_rows(con, "layout_clusters", [{"layout_id": layout_id, **row} for row in
                                          cluster_keywords(_texts(con, ids), clusters)])
    return current


def _drop(con) -> None:
    """The warehouse's layout goes when the session merges (a new one may be staged meanwhile)."""
    for table in staging.LAYOUT_TABLES:
        staging.clear(con, table)


def _sample(con) -> tuple[list[str], np.ndarray]:
    """A fixed sample of up to SAMPLE embedded segments (by a hash of the id) and their vectors."""
    got = con.execute("""SELECT segment_id, vector FROM wh.main.embeddings
                         ORDER BY hash(segment_id), segment_id LIMIT ?""", [SAMPLE]).to_arrow_table()
    return got.column("segment_id").to_pylist(), _matrix(got.column("vector"))


def _matrix(column) -> np.ndarray:
    vectors = column.combine_chunks()
    return vectors.flatten().to_numpy().reshape(len(vectors), -1).astype(np.float32, copy=False)


def _min_cluster_size(n: int) -> int:
    return max(8, n // 150)


def _clusters(xy: np.ndarray) -> np.ndarray:
    """Cluster per point (-1: none), dense areas of the map found by HDBSCAN. Its 'leaf'
    selection keeps the fine, homogeneous clusters: the default ('eom') merged a small
    English corpus into one cluster holding 95% of it."""
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=_min_cluster_size(len(xy)), min_samples=5, cluster_selection_method="leaf",
                   copy=True).fit_predict(xy).astype(np.int32)


def _texts(con, ids: list[str]) -> list[tuple[str, str | None]]:
    """(text, language) of the given segments, in that order."""
    with registered(con, "wanted_ids", {"segment_id": ids, "i": np.arange(len(ids))}):
        return con.execute("""SELECT s.text, coalesce(s.language, d.language) FROM wanted_ids w
                              JOIN wh.main.segments s USING (segment_id) JOIN wh.main.documents d USING (document_id)
                              ORDER BY w.i""").fetchall()


# --- place -----------------------------------------------------------------------------------------
def _place_new(con, current: dict) -> int:
    """Coordinates and clusters for embedded segments that have none; returns how many.
    After a fit in this session, the warehouse's old coordinates do not count (they go)."""
    placed = "SELECT segment_id FROM memory.main.segment_layout"
    if "state" not in current:
        placed += " UNION ALL SELECT segment_id FROM wh.main.segment_layout"
    todo = con.execute(f"""SELECT segment_id FROM wh.main.embeddings WHERE segment_id NOT IN ({placed})
                           ORDER BY segment_id""").to_arrow_table().column("segment_id")
    if not len(todo):
        return 0
    state = current.get("state") or pickle.loads(con.execute(
        "SELECT reducer FROM wh.main.layouts WHERE layout_id = ?", [current["layout_id"]]).fetchone()[0])
    from sklearn.neighbors import KDTree

    tree = KDTree(state["xy"])
    for lo in range(0, len(todo), BATCH):
        ids, vectors = _vectors(con, todo.slice(lo, BATCH))
        xy = state["reducer"].transform(vectors).astype(np.float32)
        nearest = tree.query(xy, k=1, return_distance=False)[:, 0]
        _insert_coordinates(con, current["layout_id"], ids, xy, state["clusters"][nearest], fitted=False)
        log.info("layout: placed %d of %d new segments", min(lo + BATCH, len(todo)), len(todo))
    return len(todo)


def _vectors(con, ids) -> tuple[list[str], np.ndarray]:
    """The vectors of these segment ids (an Arrow column), and the ids in the same order."""
    with registered(con, "wanted_ids", pa.table({"segment_id": ids})):
        got = con.execute("""SELECT e.segment_id, e.vector FROM wh.main.embeddings e
                             JOIN wanted_ids USING (segment_id)""").to_arrow_table()
    return got.column("segment_id").to_pylist(), _matrix(got.column("vector"))


def _insert_coordinates(con, layout_id: int, ids: list[str], xy: np.ndarray, clusters: np.ndarray,
                        fitted: bool) -> None:
    table = pa.table({
        "segment_id": ids, "layout_id": pa.array(np.full(len(ids), layout_id, np.int32)),
        "x": xy[:, 0], "y": xy[:, 1],
        "cluster": pa.array(clusters, mask=clusters < 0, type=pa.int32()),
        "fitted": pa.array(np.full(len(ids), fitted)),
    })
    with registered(con, "new_layout", table):
        con.execute("INSERT INTO memory.main.segment_layout SELECT * FROM new_layout")
