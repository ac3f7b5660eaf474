"""Train the topic model shipped as pipeline/tag/data/topics/topic_model.npz.

    .venv/bin/pip install -e '.[dev]'     # scikit-learn (training only)
    .venv/bin/python scripts/train_topics.py --data /tmp/topicdata

SOURCES / LICENCES of the training data (details, commits and how to fetch them again:
scripts/topics_datasets.py and docs/topics-model.md):

* SIB-200 train split (Flores-200 sentences, CC BY-SA 4.0; repository code Apache-2.0):
  English, French, Persian, Arabic, Urdu, Russian.
* MasakhaNEWS English dev split (BBC News 2022 articles, AFL-3.0), each article twice: the whole
  article and its headline + first two sentences (the short form newswire sees in feeds).
* The project's own dev set, ``tune`` split (tests/eval/topics_devset.jsonl).

Not used for training or tuning (kept for evaluation, tests/eval/eval_topics_public.py): the
MasakhaNEWS English test split, MasakhaNEWS French, the HuffPost subset, the SIB-200 test splits,
the dev set's ``heldout`` split. Reserved sets named in issue 17 are never read.

Model: hashed features (pipeline/tag/topic_model.py ``features``), one L2 logistic regression per
top-level topic with balanced class weights; Platt calibration fitted on 5-fold out-of-fold
scores; the final weights are refitted on all the training data and stored as float16.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from topics_datasets import (  # noqa: E402
    DEFAULT_DATA,
    SIB_LANGS,
    Story,
    load_devset,
    load_masakhanews,
    load_sib200,
)

from pipeline.tag.topic_model import MODEL_PATH, features  # noqa: E402

VERSION = "2026-1"
BITS = 18
MODEL_LANGUAGES = ("en",)  # where the combined tagger uses the model: see docs/topics-model.md


def training_stories(data: Path) -> list[Story]:
    stories: list[Story] = []
    for lang in SIB_LANGS:
        stories += load_sib200(data, lang, "train")
    stories += load_masakhanews(data, "eng", "dev", short=False)
    stories += load_masakhanews(data, "eng", "dev", short=True)
    stories += load_devset("tune")
    return stories


def matrix(stories: list[Story], bits: int) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i, s in enumerate(stories):
        idx, val = features(s.title, s.body, bits)
        rows.append(np.full(len(idx), i))
        cols.append(idx)
        vals.append(val)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(stories), 1 << bits),
        dtype=np.float32,
    )


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    weights = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    bias = np.zeros(y.shape[1], dtype=np.float32)
    for k in range(y.shape[1]):
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear")
        clf.fit(x, y[:, k])
        weights[:, k] = clf.coef_[0]
        bias[k] = clf.intercept_[0]
    return weights, bias


def platt(raw: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros(raw.shape[1], dtype=np.float32)
    b = np.zeros(raw.shape[1], dtype=np.float32)
    for k in range(raw.shape[1]):
        lr = LogisticRegression(C=1e4, max_iter=1000)
        lr.fit(raw[:, [k]], y[:, k])
        a[k], b[k] = lr.coef_[0, 0], lr.intercept_[0]
    return a, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--c", type=float, default=4.0, help="inverse L2 strength")
    ap.add_argument("--bits", type=int, default=BITS)
    args = ap.parse_args()

    t0 = time.perf_counter()
    stories = training_stories(args.data)
    classes = sorted({lab for s in stories for lab in s.labels})
    y = np.array([[c in s.labels for c in classes] for s in stories], dtype=np.int8)
    x = matrix(stories, args.bits)
    print(f"{len(stories)} training stories, {len(classes)} classes, {x.nnz} non-zeros")

    oof = np.zeros(y.shape, dtype=np.float32)
    for tr, te in KFold(5, shuffle=True, random_state=17).split(x):
        w, b = fit(x[tr], y[tr], args.c)
        oof[te] = x[te] @ w + b
    a, b_ = platt(oof, y)
    cal = 1 / (1 + np.exp(-(a * oof + b_)))
    top_ok = np.mean([y[i, int(np.argmax(cal[i]))] == 1 for i in range(len(y))])
    print(f"out-of-fold top-topic accuracy (dev): {top_ok:.3f}")

    weights, bias = fit(x, y, args.c)
    np.savez_compressed(
        args.out,
        classes=np.array(classes),
        weights=weights.astype(np.float16),
        bias=bias,
        platt_a=a,
        platt_b=b_,
        bits=np.array(args.bits),
        languages=np.array(MODEL_LANGUAGES),
        version=np.array(VERSION),
    )
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB) in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
