"""Logic between the queries and the charts: stance profiles, alignment, camps, layout.

Camps are found pol.is-style: each speaker is a vector of net stances per topic; similar
vectors (cosine) are grouped by agglomerative clustering, with the number of camps (2-4)
chosen by silhouette score.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import silhouette_score


@dataclass
class Profiles:
    speaker_ids: list[str]
    names: list[str]
    topics: list[str]
    net: np.ndarray  # speakers x topics, net stance in [-1, 1] (0 where silent)
    n: np.ndarray  # speakers x topics, number of statements

    def __len__(self) -> int:
        return len(self.speaker_ids)


def profiles(rows: list[dict]) -> Profiles:
    """Pivot (speaker_id, speaker, topic, n, net) rows into a speakers x topics matrix."""
    speaker_ids = list(dict.fromkeys(r["speaker_id"] for r in rows))
    names = {r["speaker_id"]: r["speaker"] or r["speaker_id"] for r in rows}
    topics = sorted({r["topic"] for r in rows})
    net = np.zeros((len(speaker_ids), len(topics)))
    n = np.zeros((len(speaker_ids), len(topics)), dtype=int)
    si = {s: i for i, s in enumerate(speaker_ids)}
    ti = {t: i for i, t in enumerate(topics)}
    for r in rows:
        net[si[r["speaker_id"]], ti[r["topic"]]] = r["net"]
        n[si[r["speaker_id"]], ti[r["topic"]]] = r["n"]
    return Profiles(speaker_ids, [names[s] for s in speaker_ids], topics, net, n)


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m, dtype=float), where=norms > 1e-12)


def alignment(net: np.ndarray) -> np.ndarray:
    """Cosine similarity between speakers' stance profiles (0 for a speaker with no stance)."""
    u = _unit(net)
    return np.clip(u @ u.T, -1.0, 1.0)


def camps(net: np.ndarray, max_k: int = 4) -> np.ndarray:
    """Camp number per speaker (0 = largest camp)."""
    if len(net) < 4:
        return np.zeros(len(net), dtype=int)
    u = _unit(net)
    best, best_score = np.zeros(len(net), dtype=int), -1.0
    for k in range(2, min(max_k, len(net) - 1) + 1):
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(u)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(u, labels)
        if score > best_score:
            best, best_score = labels, score
    sizes = np.bincount(best)
    rank = {old: new for new, old in enumerate(np.argsort(-sizes, kind="stable"))}
    return np.array([rank[x] for x in best], dtype=int)


def describe_camps(p: Profiles, labels: np.ndarray) -> list[dict]:
    """One row per camp: its size, members, and the stances that define it."""
    rows = []
    for camp in sorted(set(labels.tolist())):
        members = labels == camp
        mean = p.net[members].mean(axis=0)
        strongest = sorted(zip(mean, p.topics), key=lambda x: -abs(x[0]))
        leaning = [f"{'favor' if v > 0 else 'against'} {t}" for v, t in strongest if abs(v) >= 0.15]
        rows.append({
            "camp": camp + 1,
            "size": int(members.sum()),
            "leaning": ", ".join(leaning[:3]) or "no clear stance",
            "members": ", ".join(n for n, m in zip(p.names, members) if m),
            **{f"net {t}": round(float(v), 2) for t, v in zip(p.topics, mean)},
        })
    return rows


def camp_names(descriptions: list[dict]) -> dict[int, str]:
    return {d["camp"] - 1: f"camp {d['camp']}: {d['leaning']}" for d in descriptions}


def layout_2d(sim: np.ndarray) -> np.ndarray:
    """Positions (n x 2) where aligned speakers sit close: classical MDS on 1 - similarity."""
    n = len(sim)
    if n == 0:
        return np.zeros((0, 2))
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    d2 = (1.0 - sim) ** 2
    centre = np.eye(n) - np.ones((n, n)) / n
    b = -0.5 * centre @ d2 @ centre
    values, vectors = np.linalg.eigh(b)
    top = np.argsort(values)[::-1][:2]
    coords = vectors[:, top] * np.sqrt(np.maximum(values[top], 1e-9))
    jitter = np.random.default_rng(0).normal(0, 0.01, coords.shape)  # separate identical profiles
    return coords + jitter
