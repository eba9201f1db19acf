"""Topic, stance and agreement labels for segments.

Segments in languages the embedder covers are labelled by trained logistic-regression models over
their embeddings (and TF-IDF / interaction features); other languages fall back to the taxonomy's
cue terms and a small multilingual cue lexicon. Every label records its model and method.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from etl.labels.lexicon import cue_stance
from etl.labels.predict import CUE_STANCE, pair_labels, topic_assigned, topic_scores
from etl.labels.training import DEFAULT_EMBEDDER, MODELS, VERSION, load_model

__all__ = ["TopicLabel", "StanceLabel", "AgreementLabel", "Labeller", "VERSION"]


@dataclass
class TopicLabel:
    segment_id: str
    topic: str
    score: float
    assigned: bool
    model: str
    method: str


@dataclass
class StanceLabel:
    segment_id: str
    topic: str
    target: str
    label: str  # favor / against / none
    score: float
    model: str
    method: str


@dataclass
class AgreementLabel:
    segment_id: str
    target_segment_id: str
    label: str  # agree / disagree / neutral
    score: float
    model: str
    method: str


class Labeller:
    def __init__(self, taxonomy, embedder, model_dir: str | Path | None = None):
        """model_dir: a dir from `train` (one task; the others stay default) or one with topic/,
        stance/, agreement/ subdirs; None = the default models shipped in the package."""
        self.taxonomy, self.embedder = taxonomy, embedder
        dirs = {task: _task_dir(model_dir, task) for task in MODELS}
        self.models = {task: load_model(task, d, embedder) for task, d in dirs.items()}
        self.name = _name(self.models, dirs, embedder)
        self._target_vecs: dict[str, np.ndarray] = {}

    def topics(self, segments, vectors: np.ndarray) -> list[TopicLabel]:
        """One row per (segment, topic); assigned = score >= the topic's threshold."""
        texts, langs = [s.text for s in segments], [s.language for s in segments]
        scores, methods = topic_scores(self.models["topic"], texts, langs, vectors, self.taxonomy, self.embedder)
        assigned = topic_assigned(self.models["topic"], self.taxonomy, scores, methods)
        return [TopicLabel(seg.segment_id, t.name, float(scores[i, j]), bool(assigned[i, j]), self.name, methods[i][j])
                for i, seg in enumerate(segments) for j, t in enumerate(self.taxonomy.topics)]

    def stances(self, segments, vectors: np.ndarray, topic_labels: list[TopicLabel]) -> list[StanceLabel]:
        """One row per assigned (segment, topic), toward that topic's stance target. A segment is read
        after the one before it (the question a short answer takes its side from)."""
        index = {s.segment_id: i for i, s in enumerate(segments)}
        chosen = [tl for tl in topic_labels if tl.assigned and tl.segment_id in index]
        rows = [index[tl.segment_id] for tl in chosen]
        targets = [self.taxonomy[tl.topic].stance_target for tl in chosen]
        labels, scores, methods = pair_labels(
            self.models["stance"], self.embedder, [segments[i].text for i in rows], targets,
            [segments[i].language for i in rows], vectors[rows], self._targets(targets),
            preceding_vectors(segments, vectors)[rows])
        for k, (i, tl) in enumerate(zip(rows, chosen)):  # cue-labelled rows: use the topic's own cues too
            if methods[k] == CUE_STANCE:
                labels[k], scores[k] = cue_stance(segments[i].text, segments[i].language, self.taxonomy[tl.topic])
        return [StanceLabel(tl.segment_id, tl.topic, tgt, lab, float(sc), self.name, m)
                for tl, tgt, lab, sc, m in zip(chosen, targets, labels, scores, methods)]

    def agreements(self, replies, targets, reply_vecs, target_vecs) -> list[AgreementLabel]:
        """replies[i] answers targets[i]."""
        labels, scores, methods = pair_labels(
            self.models["agreement"], self.embedder, [t.text for t in targets], [r.text for r in replies],
            [r.language for r in replies], np.asarray(target_vecs), np.asarray(reply_vecs))
        return [AgreementLabel(r.segment_id, t.segment_id, lab, float(sc), self.name, m)
                for r, t, lab, sc, m in zip(replies, targets, labels, scores, methods)]

    def replies(self, segments, vectors: np.ndarray, is_participant=lambda speaker: True) -> list[AgreementLabel]:
        """One label per replying turn: its first segment toward the earlier turn it engages.

        The candidates are the previous turn of another speaker and, where that speaker does not take
        part (a moderator's question: is_participant(speaker) is False), the latest turn of another
        participant within REPLY_WINDOW turns: a candidate rebutting the opponent in answer to the
        moderator's question engages the opponent. The candidate toward whom the reply takes a side
        (agree or disagree) most surely is chosen; where it takes none, the previous turn (neutral)."""
        pairs = reply_candidates(segments, is_participant)
        if not pairs:
            return []
        flat = [(i, j) for i, targets in pairs for j in targets]
        labels = self.agreements([segments[i] for i, _ in flat], [segments[j] for _, j in flat],
                                 vectors[[i for i, _ in flat]], vectors[[j for _, j in flat]])
        chosen: dict[int, AgreementLabel] = {}
        for (i, _), label in zip(flat, labels):
            best = chosen.get(i)
            if best is None or (label.label != "neutral" and (best.label == "neutral" or label.score > best.score)):
                chosen[i] = label
        return [chosen[i] for i, _ in pairs]

    def _targets(self, targets: list[str]) -> np.ndarray:
        # One phrase per encode call: an int8 model quantises each batch on its own range, so a
        # phrase batched with others would score a document differently by what came before it.
        for target in sorted(set(targets) - set(self._target_vecs)):
            self._target_vecs[target] = self.embedder.encode([target])[0]
        return np.stack([self._target_vecs[t] for t in targets]) if targets else np.zeros((0, self.embedder.dim))


REPLY_WINDOW = 4  # turns back a reply may reach for the participant it engages


def reply_candidates(segments, is_participant) -> list[tuple[int, list[int]]]:
    """(first segment of a replying turn, [last segments of the turns it may engage]) in order."""
    turns: list[tuple[str, int, int]] = []  # (speaker, first segment, last segment) per speaking turn
    for i, seg in enumerate(segments):
        if seg.turn_index is None or not seg.speaker:
            continue
        if turns and segments[turns[-1][1]].turn_index == seg.turn_index:
            turns[-1] = (turns[-1][0], turns[-1][1], i)
        else:
            turns.append((seg.speaker, i, i))
    out = []
    for k, (speaker, first, _) in enumerate(turns):
        earlier = [t for t in reversed(turns[max(0, k - REPLY_WINDOW):k]) if t[0] != speaker]
        if not earlier:
            continue
        targets = [earlier[0]]
        if not is_participant(earlier[0][0]):
            targets += [t for t in earlier[1:] if is_participant(t[0])][:1]
        out.append((first, [t[2] for t in targets]))
    return out


def preceding_vectors(segments, vectors: np.ndarray) -> np.ndarray:
    """Per segment, the vector of the closest earlier segment of the same document that has a speaker
    (or any, in news); zeros for the first. It is the `context` column of the training CSVs."""
    out = np.zeros_like(vectors)
    last: dict[str, int] = {}
    for i, seg in enumerate(segments):
        if seg.document_id in last:
            out[i] = vectors[last[seg.document_id]]
        if seg.speaker or seg.turn_index is None:
            last[seg.document_id] = i
    return out


def _task_dir(model_dir, task: str) -> Path | None:
    if model_dir is None:
        return None
    d = Path(model_dir)
    if (d / task / "meta.json").exists():
        return d / task
    meta = d / "meta.json"
    if not meta.exists():
        if not any((d / t / "meta.json").exists() for t in MODELS):
            raise FileNotFoundError(f"{model_dir}: not a model directory (no meta.json)")
        return None
    return d if json.loads(meta.read_text(encoding="utf-8")).get("task") == task else None


def _name(models: dict, dirs: dict, embedder) -> str:
    custom = [Path(models[t].meta["dir"]) / "meta.json" for t, d in dirs.items() if d is not None]
    if not custom:
        suffix = "" if embedder.name == DEFAULT_EMBEDDER else f"+{Path(embedder.name).name}"
        return f"stance-default-{VERSION}{suffix}"
    digest = hashlib.sha1(b"".join(p.read_bytes() for p in custom)).hexdigest()[:8]
    return f"stance-custom-{VERSION}-{digest}"
