"""Benchmark the labelling models on the public datasets in ../shared/datasets (research-only data).

    .venv/bin/python bench/labels_bench.py

Trains a model per benchmark on the dataset's train split (models go to /tmp, never into the repo),
evaluates on its test split, evaluates the shipped default models on the same test sets without
training on them, and writes docs/benchmarks.md. Embeddings are cached in /tmp/stance-cache/.
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
    return [("topic", "LIAR valid, 4 classes", ours, default, "n/a", "n/a", 0.70),
            ("topic (shipped default)", "LIAR valid, 4 classes", default, default, "n/a", "n/a", 0.55)]


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


# --------------------------------------------------------------------------- report

NOTES = """
## How these figures were made

- Each "ours" model is trained with `etl.labels.training.train` on the dataset's train split and scored
  with `etl.labels.training.evaluate` on its test split (LIAR: valid; the MaskMandate agreement file has no
  split, so 5-fold stratified CV). "Shipped default" is the model in `etl/labels/default/`, trained only on
  the project's own hand-written CSVs (`etl/labels/training_data/`), applied to the same test rows without
  seeing the dataset. Macro-F1 averages the classes present in the test file (P-Stance: FAVOR/AGAINST,
  i.e. the literature's F_avg; the 3-class default model may still predict `none` there, which costs recall).
- Features: frozen all-MiniLM-L6-v2 sentence embeddings (384-d) plus word 1-2-gram and char 2-5-gram TF-IDF.
  Topic: one logistic regression per topic over [embedding, TF-IDF, description cosine, cue hit], decision
  point tuned by 3-fold CV on the training data; unseen topics use a logistic regression over
  [description cosine, cue hit]. Stance: multinomial LR over [text, target, text*target, |text-target|,
  cosine]; targets with >= 30 training rows also get their own [embedding, TF-IDF] block (feature
  augmentation), so TF-IDF never pretends to know the polarity of words toward an unseen target.
  Agreement: multinomial LR over [reply, quote*reply, |quote-reply|, cosine, reply TF-IDF].

## What was tried (macro-F1 during development)

- LIAR topics: embedding-only LR 0.64; + word TF-IDF 0.66; + char n-grams 0.68 (chosen); linear SVM and
  class-balanced LR 0.65-0.69 (within noise: regulation has 44 valid rows). Best F1 reachable with oracle
  thresholds was ~0.69, so thresholds are not the bottleneck: LIAR's subject tags are noisy (e.g. health-care
  and gun statements tagged government-regulation; generic political claims tagged elections).
- P-Stance: per-target word TF-IDF LR ~0.70-0.77; + embeddings and char n-grams 0.72-0.79; one model over
  all targets with per-target blocks is on par. Doubling the embedding weight or C in 0.25-16 did not help.
  The 0.80 target (the fine-tuned BERTweet figure) needs a fine-tuned encoder; frozen MiniLM misses it,
  most on Bernie Sanders.
- COVID-19-Stance: 0.73 with TF-IDF also in the shared block, 0.72 with the final design (TF-IDF only in
  per-target blocks), which was chosen because shared TF-IDF cost 4 points zero-shot on VAST.
- VAST zero-shot: shared TF-IDF 0.36 (= the bag-of-words baseline); embeddings + interactions 0.39-0.41;
  an MLP over the same features 0.35 (it drops the neutral class); attention over sentence embeddings
  weighted by similarity to the topic 0.42. A frozen sentence encoder does not see how the text relates to
  the topic; reaching 0.50+ would need a cross-encoder / NLI model, which is not available offline here.
- Agreement: reply+interactions 0.53; + reply TF-IDF 0.55 (chosen); quote TF-IDF, the reply's first sentence,
  low-rank bilinear (PCA outer-product) features and an MLP all 0.52-0.56. Many "neutral" rows are partial
  agreement, which the features do not separate.
- Shipped default topic model: the hand-written topic CSV is ~75% on-topic, while in transcripts (and LIAR)
  roughly one segment in ten or fewer touches a given topic, so the defaults shift each topic's logit to a
  prior of 0.1 (`DEFAULT_CONFIG` in `etl/labels/training.py`). On LIAR: no correction 0.49, prior 0.1 0.57 (0.585 with the final features),
  prior 0.05 0.58 (0.1 kept as the round, less tuned value). The zero-shot head for user-added topics gets
  the same correction, which keeps it from tagging a quarter of all segments with a new topic.
- Shipped default stance/agreement models are trained on ~340 / ~260 hand-written debate- and interview-style
  rows. They transfer poorly to tweets and Reddit (sarcasm and insults, hashtags): on P-Stance they mostly
  miss AGAINST. For such sources, train a model on in-domain labels (`train(...)`, `stance relabel --model`).
"""


def _fmt(x) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def write_doc(rows: list[tuple], path: Path = ROOT / "docs" / "benchmarks.md") -> None:
    lines = ["# Label model benchmarks", "",
             "Generated by `.venv/bin/python bench/labels_bench.py` (datasets: `../shared/datasets`, research use only;",
             "no model trained on them is shipped). Macro-F1; baselines and published figures from each `SOURCE.md`.", "",
             "| task | dataset (n) | ours | TF-IDF+LR baseline | best published | target | met | shipped default |",
             "|---|---|---|---|---|---|---|---|"]
    for task, dataset, ours, default, base, pub, target in rows:
        f1 = ours["macro_f1"]
        met = "-" if target is None else ("yes" if f1 >= target else "**no**")
        lines.append(f"| {task} | {dataset} ({ours['n']}) | {f1:.3f} | {_fmt(base)} | {pub} | "
                     f"{'-' if target is None else f'>= {target:.2f}'} | {met} | {default['macro_f1']:.3f} |")
    path.write_text("\n".join(lines) + "\n" + NOTES, encoding="utf-8")


def main() -> int:
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (the public datasets live outside the repo)")
        return 0
    from etl.embed import get_embedder
    from etl.labels.features import CachedEmbedder

    emb = CachedEmbedder(get_embedder(), CACHE)
    rows = []
    for bench in (bench_liar, bench_pstance, bench_covid, bench_vast, bench_agreement):
        t0 = time.time()
        rows += bench(emb)
        print(f"{bench.__name__}: {time.time() - t0:.0f}s", flush=True)
        for r in rows[-1:]:
            print(f"  {r[1]}: {r[2]['macro_f1']:.3f} (default {r[3]['macro_f1']:.3f})", flush=True)
    write_doc(rows)
    print(f"wrote {ROOT / 'docs' / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
