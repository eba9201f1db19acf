"""Label quality: the project's annotated test documents, inter-annotator agreement, Arabic, and the public
datasets in ../shared/datasets (research-only data), written into docs/benchmarks.md's label section.

    .venv/bin/python bench/labels_bench.py [--parts project,arabic,public,replies]

- project: the shipped models' measured quality (etl/labels/default/quality.json, made by
  `python -m etl.labels.build_default`) on held-out annotated documents and the 2024 debates, beside the
  annotators' agreement (the ceiling);
- replies: reply agreement as the ETL links it (the turn a reply engages, etl.labels.Labeller.replies);
- arabic: models trained without a held-out half of the project-written Arabic rows, scored on it, and
  `stance train` on the Arabic rows alone;
- public: each public set's test split scored by the shipped default (never trained on it) and by a
  model trained on its own train split (models go to /tmp, never into the repo).
Embeddings are cached in /tmp/stance-cache/.
"""
from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "datasets"
WORK = Path("/tmp/stance-bench")
CACHE = Path("/tmp/stance-cache")

LIAR_MAP = [  # priority order, as in liar/SOURCE.md
    ("immigration", {"immigration"}),
    ("elections", {"elections", "campaign-finance", "campaign-advertising", "polls"}),
    ("regulation", {"government-regulation", "market-regulation", "financial-regulation"}),
]


def _rows(path: Path, encoding: str = "utf-8") -> list[dict]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def liar(split: str) -> list[dict]:
    out = []
    with open(DATA / "liar" / f"{split}.tsv", encoding="utf-8", newline="") as f:
        for cols in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            subjects = set(cols[3].split(","))
            label = next((t for t, s in LIAR_MAP if subjects & s), "other")
            out.append({"text": cols[2], "label": label})
    return out


def pstance(split: str) -> list[dict]:
    return [{"text": r["Tweet"], "target": r["Target 1"], "label": r["Stance 1"].lower()}
            for r in _rows(DATA / "pstance" / f"pstance_{split}.csv")]


def covid(split: str) -> list[dict]:
    return [{"text": r["Tweet"], "target": r["Target 1"], "label": r["Stance 1"].lower()}
            for r in _rows(DATA / "covid19-stance" / f"covid19_{split}.csv")]


VAST_LABELS = {"0": "against", "1": "favor", "2": "none"}


def vast(split: str, seen: str | None = None) -> list[dict]:
    return [{"text": r["post"], "target": r["new_topic"], "label": VAST_LABELS[r["label"]]}
            for r in _rows(DATA / "vast" / f"vast_{split}.csv")
            if r["post"].strip() and (seen is None or r["seen?"] == seen)]


AGREE_LABELS = {"0": "disagree", "1": "neutral", "2": "agree"}


def mask_agreement() -> list[dict]:
    return [{"quote": r["quote_text"], "response": r["response_text"], "label": AGREE_LABELS[r["relation"]]}
            for r in _rows(DATA / "subreddit-agreement" / "SubReddit-MaskMandate.csv", "cp1252")]


# --------------------------------------------------------------------------- running

def _write(path: Path, rows: list[dict], cols: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


STANCE_COLS, AGREE_COLS = ["text", "target", "label"], ["quote", "response", "label"]


def _train_eval(task, name, train_rows, tests: dict[str, list[dict]], cols, embedder) -> dict:
    """Train on train_rows; evaluate that model and the shipped default on each test set."""
    from etl.labels.training import evaluate, train

    model_dir = WORK / "models" / name
    train(task, _write(WORK / f"{name}_train.csv", train_rows, cols), model_dir, embedder)
    out = {}
    for key, rows in tests.items():
        path = _write(WORK / f"{name}_test_{key}.csv", rows, cols)
        out[key] = (evaluate(task, path, model_dir, embedder), evaluate(task, path, None, embedder))
    return out


def bench_liar(emb):
    r = _train_eval("topic", "liar", liar("train"), {"valid": liar("valid")}, ["text", "label"], emb)
    ours, default = r["valid"]
    return [("topic", "LIAR valid, 4 classes", ours, default, "n/a", "n/a", 0.70)]


def bench_pstance(emb):
    test = pstance("test")
    targets = sorted({r["target"] for r in test})
    r = _train_eval("stance", "pstance", pstance("train"),
                    {t: [x for x in test if x["target"] == t] for t in targets}, STANCE_COLS, emb)
    base = {"Donald Trump": 0.7696, "Joe Biden": 0.7679, "Bernie Sanders": 0.7057}
    return [("stance", f"P-Stance test, {t}", *r[t], base[t], "0.8053 (BERTweet, mean of targets)", 0.80)
            for t in targets]


def bench_covid(emb):
    test = covid("test")
    targets = sorted({r["target"] for r in test})
    tests = {"all": test, **{t: [x for x in test if x["target"] == t] for t in targets}}
    r = _train_eval("stance", "covid", covid("train"), tests, STANCE_COLS, emb)
    base = {"face masks": 0.633, "fauci": 0.718, "school closures": 0.643, "stay at home orders": 0.718}
    rows = [("stance", "COVID-19-Stance test, all targets", *r["all"], "0.678 (mean of per-target)",
             "not in SOURCE.md", 0.75)]
    return rows + [("stance", f"COVID-19-Stance test, {t}", *r[t], base[t], "not in SOURCE.md", None)
                   for t in targets]


def bench_vast(emb):
    r = _train_eval("stance", "vast", vast("train"), {"zero": vast("test", "0"), "few": vast("test", "1")},
                    STANCE_COLS, emb)
    pub = "~0.66 TGA Net; 0.70-0.77 later/LLM (recalled)"
    return [("stance", "VAST test, zero-shot topics", *r["zero"], 0.369, pub, 0.50),
            ("stance", "VAST test, few-shot topics", *r["few"], 0.378, pub, None)]


def bench_agreement(emb, folds: int = 5):
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from etl.labels.training import evaluate

    rows = mask_agreement()
    y = [r["label"] for r in rows]
    scores = []
    for k, (tr, te) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y)):
        r = _train_eval("agreement", f"agree{k}", [rows[i] for i in tr], {"fold": [rows[i] for i in te]}, AGREE_COLS, emb)
        scores.append(r["fold"][0])
    mean = {"macro_f1": float(np.mean([s["macro_f1"] for s in scores])), "n": len(rows)}
    default = evaluate("agreement", _write(WORK / "agree_all.csv", rows, AGREE_COLS), None, emb)
    return [("agreement", f"SubReddit-MaskMandate, {folds}-fold CV", mean, default, "n/a",
             "not in SOURCE.md (few-shot results in paper)", 0.60)]


# --------------------------------------------------------------------------- project data

def project_rows() -> list[str]:
    """The shipped models' measured quality (quality.json) beside the annotators' agreement."""
    import json

    from etl.labels.annotation import agreement
    from etl.labels.annotated import ANNOTATIONS
    from etl.labels.build_default import QUALITY

    q = json.loads(QUALITY.read_text(encoding="utf-8"))
    iaa = agreement(ANNOTATIONS / "pass_a.jsonl", ANNOTATIONS / "pass_b.jsonl")
    ceiling = {"topic": iaa["topic"], "stance": iaa["topic_stance"], "agreement": iaa["reply"]}
    lines = [f"Shipped default models (embedder {q['embedder']}), trained on {q['topic']['n_train']:,} topic, "
             f"{q['stance']['n_train']:,} stance and {q['agreement']['n_train']:,} reply rows; measured "
             f"{q['measured_on']} by models trained without the test documents. Held out: "
             f"{', '.join(q['held_out_documents'])}; the 2024 debates are never trained on.", "",
             "| task | test documents (n) | macro-F1 | per class F1 | calibration error (ECE) | annotators' agreement (kappa) |",
             "|---|---|---|---|---|---|"]
    for task in ("topic", "stance", "agreement"):
        for name, label in (("held_out", "held-out 2016 debate + 2024 town hall"), ("debates_2024", "2024 debates")):
            r = q[task][name]
            per = ", ".join(f"{k} {v:.2f}" for k, v in r["f1"].items())
            lines.append(f"| {task} | {label} ({r['n']}) | {r['macro_f1']:.3f} | {per} | {r['ece']:.3f} | "
                         f"{ceiling[task]['agreement']:.3f} ({ceiling[task]['kappa']:.2f}) |")
    lines += ["", f"Person stance (each segment toward the people it evaluates): annotators agree on "
              f"{iaa['person_stance']['agreement']:.3f} (kappa {iaa['person_stance']['kappa']:.2f}) of "
              f"{iaa['person_stance']['decisions']:,} decisions."]
    return lines


def reply_rows(emb) -> list[str]:
    """Reply agreement as the ETL links it: toward the turn the reply engages, against always the previous turn."""
    import numpy as np

    from etl.labels import Labeller
    from etl.labels.annotated import HELD_OUT, TEST_ONLY, TRAINABLE, agreed
    from etl.labels.annotation import documents, is_participant, units
    from etl.labels.training import metrics
    from etl.model import Segment
    from etl.taxonomy import load_taxonomy

    labeller, (_, gold) = Labeller(load_taxonomy(), emb), agreed()
    corpora = ROOT.parent / "shared" / "corpora"
    docs = [d for d in documents([corpora / f for f in TRAINABLE + TEST_ONLY])
            if d.document_id in HELD_OUT or d.document_id.startswith("debate-2024")]
    linked, previous = ([], []), ([], [])
    for doc in docs:
        segs = [Segment(f"{doc.document_id}:{k}", doc.document_id, k, u.turn_index, u.speaker, u.text, u.char_start,
                        u.char_end) for k, u in enumerate(units(doc))]
        vecs = emb.encode([s.text for s in segs])
        for label in labeller.replies(segs, vecs, is_participant):
            reply, target = (segs[int(x.split(":")[1])] for x in (label.segment_id, label.target_segment_id))
            key = (doc.document_id, reply.turn_index, target.turn_index)
            if key in gold:
                linked[0].append({gold[key]}), linked[1].append({label.label})
        for label in labeller.replies(segs, vecs, lambda speaker: True):  # every speaker a participant: the previous turn
            reply, target = (segs[int(x.split(":")[1])] for x in (label.segment_id, label.target_segment_id))
            key = (doc.document_id, reply.turn_index, target.turn_index)
            if key in gold:
                previous[0].append({gold[key]}), previous[1].append({label.label})
    a, b = metrics("agreement", *linked), metrics("agreement", *previous)
    return ["| replies linked to | n | macro-F1 | accuracy |", "|---|---|---|---|",
            f"| the turn they engage (shipped) | {a['n']} | {a['macro_f1']:.3f} | {a['accuracy']:.3f} |",
            f"| always the previous turn | {b['n']} | {b['macro_f1']:.3f} | {b['accuracy']:.3f} |"]


def arabic_rows(emb) -> list[str]:
    """Held-out project-written Arabic rows: the default recipe trained without them, and `stance train`
    on the Arabic rows alone."""
    import tempfile

    from bench.embedders import _split_arabic
    from etl.labels.annotated import build_rows, write_csvs
    from etl.labels.training import evaluate, train

    lines = ["| task | Arabic test rows (n) | default recipe, trained without them | trained on Arabic rows only |",
             "|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="stance-arabic-") as tmp:
        tmp = Path(tmp)
        annotated = write_csvs(build_rows(ROOT.parent / "shared" / "corpora", "all-train"), tmp, prefix="a-")
        for task in ("topic", "stance", "agreement"):
            written, test = _split_arabic(task, tmp)
            arabic_only = _arabic_only(written, tmp / f"{task}-ar-train.csv")
            train(task, [annotated[task], written], tmp / "all" / task, emb)
            train(task, arabic_only, tmp / "ar" / task, emb)
            a, b = evaluate(task, test, tmp / "all" / task, emb), evaluate(task, test, tmp / "ar" / task, emb)
            lines.append(f"| {task} | {a['n']} | {a['macro_f1']:.3f} | {b['macro_f1']:.3f} |")
    return lines


def _arabic_only(src: Path, out: Path) -> Path:
    with open(src, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows, cols = [r for r in reader if r.get("language") == "ar"], reader.fieldnames
    return _write(out, rows, cols)


# --------------------------------------------------------------------------- report

def _fmt(x) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def public_table(rows: list[tuple]) -> list[str]:
    lines = ["| task | dataset (n) | shipped default | trained on its train split | TF-IDF+LR baseline | best published |",
             "|---|---|---|---|---|---|"]
    for task, dataset, ours, default, base, pub, _target in rows:
        lines.append(f"| {task} | {dataset} ({ours['n']}) | {default['macro_f1']:.3f} | {ours['macro_f1']:.3f} | "
                     f"{_fmt(base)} | {pub} |")
    return lines


SECTION_END = "# The suite: `python -m bench`"


def write_doc(sections: dict[str, list[str]], path: Path = ROOT / "docs" / "benchmarks.md") -> None:
    """Replace the label section (everything before the performance suite) and keep the rest."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    rest = old[old.index(SECTION_END):] if SECTION_END in old else ""
    notes = (ROOT / "bench" / "labels_notes.md").read_text(encoding="utf-8")
    lines = ["# Label model benchmarks", "",
             "Generated by `.venv/bin/python bench/labels_bench.py`; the shipped models by "
             "`.venv/bin/python -m etl.labels.build_default`. Macro-F1 averages the classes present in each test set.", ""]
    for title, body in sections.items():
        lines += [f"## {title}", "", *body, ""]
    path.write_text("\n".join(lines) + "\n" + notes + ("\n" + rest if rest else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="bench/labels_bench.py")
    parser.add_argument("--parts", default="project,replies,arabic,public")
    args = parser.parse_args(argv)
    if not (DATA.is_dir() and (ROOT.parent / "shared" / "corpora").is_dir()):
        print(f"skipped: {DATA.parent} not found (the annotated corpora and public datasets live outside the repo)")
        return 0
    from etl.embed import get_embedder
    from etl.labels.features import CachedEmbedder

    emb, parts, sections = CachedEmbedder(get_embedder(), CACHE), args.parts.split(","), {}
    if "project" in parts:
        sections["The project's annotated debates and briefings"] = project_rows()
    if "replies" in parts:
        sections["Reply agreement as the ETL links replies"] = reply_rows(emb)
    if "arabic" in parts:
        sections["Arabic (project-written rows held out)"] = arabic_rows(emb)
    if "public" in parts:
        rows = []
        for bench in (bench_liar, bench_pstance, bench_covid, bench_vast, bench_agreement):
            t0 = time.time()
            rows += bench(emb)
            print(f"{bench.__name__}: {time.time() - t0:.0f}s", flush=True)
        sections["Public datasets (research use only; never trained on for shipping)"] = public_table(rows)
    for title, body in sections.items():
        print(f"## {title}", *body, sep="\n", flush=True)
    write_doc(sections)
    print(f"wrote {ROOT / 'docs' / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
