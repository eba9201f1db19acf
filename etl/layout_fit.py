"""The map's layout, computed: fitting the reducer and the clusters, placing new segments.

etl/layout.py decides what to do and when (its docstring has the method); this module does
the numeric work, in the layout's staged session.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import pickle

import numpy as np
import pyarrow as pa

from etl.cluster_labels import cluster_keywords
from etl.layout import SAMPLE
from etl.load import insert_rows, registered
from etl.stored import setting

log = logging.getLogger("stance.layout")

BATCH = 50_000  # segments placed per transform call
UMAP_PARAMS = {"n_neighbors": 15, "min_dist": 0.05, "metric": "cosine", "random_state": 42, "n_jobs": 1}


def _umap():
    """umap-learn, with numba's compiled code of its functions cached on disk. umap caches
    few of them itself, so every fresh process compiled them again: ~45 s of a first run's
    fit on this machine (up to 150 s when loaded), 2 s once cached."""
    import umap  # numba compiles on first use: imported only when a layout is made
    import umap.layouts
    import umap.umap_
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    for module in (umap.umap_, umap.layouts):
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher) and isinstance(obj._cache, NullCache):
                obj.enable_caching()
    return umap


def fit(con, n: int) -> dict:
    """Fit the reducer and the clusters on a sample; store them and the sample's coordinates."""
    umap = _umap()

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
def place_new(con, current: dict) -> int:
    """Coordinates and clusters for embedded segments that have none; returns how many.
    After a fit in this session, the warehouse's old coordinates do not count (they go)."""
    placed = "SELECT segment_id FROM memory.main.segment_layout"
    if "state" not in current:
        placed += " UNION ALL SELECT segment_id FROM wh.main.segment_layout"
    todo = con.execute(f"""SELECT segment_id FROM wh.main.embeddings WHERE segment_id NOT IN ({placed})
                           ORDER BY segment_id""").to_arrow_table().column("segment_id")
    if not len(todo):
        return 0
    _umap()  # before the reducer is unpickled, so that its transform uses the cached code
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
