"""Pairwise and B-cubed precision/recall of the same-event rule (pipeline.events).

Data: the UCI "News Aggregator" data set (Gasparetti, 2017; UCI Machine Learning
Repository, CC BY 4.0): headlines with publisher, time and the Google News *story* they
were clustered into (the STORY column), March 2014. Only samples of it are in public
GitHub repositories small enough to fetch here: the first 999 rows (18 stories) as
``uci-news-aggregator.csv`` in github.com/ankurbag/my-refugee-app (commit 96a133c; its
TIMESTAMP column is rounded to 1.39E+12) and the first 499 rows with exact timestamps in
github.com/Badal-Singh-DB/Text-Summarization (commit 0ad83fc). Not in this repository:

    python tests/eval/eval_events.py /path/to/uci-news-aggregator.csv [--thresholds 0.4,0.5]

The file holds headlines only (no lead, no countries, no places): the rule runs on what a
story with a bare title would give it, so the figures are a lower bound on recall. All rows
are from a few hours of one day: the 48 h window is not exercised by this set.

Streaming as the indexer runs it: rows in file order (crawl order), each new report
compared with every earlier report (the indexer sees the top candidates Elasticsearch
returns; here it sees all, an upper bound on what retrieval can offer).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipeline.events import THRESHOLD, assign, report


def load(path: Path) -> tuple[list[dict[str, object]], dict[str, str]]:
    rows = list(csv.DictReader(path.open(encoding="utf-8", errors="replace")))
    first = None
    docs, gold = [], {}
    for row in rows:
        try:
            ms = int(row["TIMESTAMP"])
        except ValueError:  # the rounded sample: every row is within hours of the first
            ms = int(float(row["TIMESTAMP"]))
        when = datetime.fromtimestamp(ms / 1000, UTC)
        first = first or when
        if abs((when - first).days) > 2:
            when = first
        doc_id = f"uci-{row['ID']}"
        docs.append({"id": doc_id, "title": row["TITLE"], "published_at": when})
        gold[doc_id] = row["STORY"]
    return docs, gold


def pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for doc, label in labels.items():
        groups[label].append(doc)
    return {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}  # type: ignore[misc]


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float]:
    pc, gc = Counter(pred.values()), Counter(gold.values())
    both = Counter((pred[d], gold[d]) for d in gold)
    p = sum(both[(pred[d], gold[d])] / pc[pred[d]] for d in gold) / len(gold)
    r = sum(both[(pred[d], gold[d])] / gc[gold[d]] for d in gold) / len(gold)
    return p, r


def evaluate(
    docs: list[dict[str, object]], gold: dict[str, str], threshold: float
) -> dict[str, float]:
    reports = [report(d) for d in docs]
    pred = assign(reports, threshold=threshold)
    gp, pp = pairs(gold), pairs(pred)
    tp = len(gp & pp)
    precision = tp / len(pp) if pp else 1.0
    recall = tp / len(gp) if gp else 1.0
    bp, br = bcubed(pred, gold)
    return {
        "threshold": threshold, "pair_p": precision, "pair_r": recall, "pred_pairs": len(pp),
        "gold_pairs": len(gp), "bcubed_p": bp, "bcubed_r": br, "stories": len(set(pred.values())),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--thresholds", default=f"0.4,0.5,{THRESHOLD},0.7,0.8")
    args = ap.parse_args()
    docs, gold = load(args.csv)
    print(f"{len(docs)} headlines, {len(set(gold.values()))} gold stories")
    print("threshold  pair_P  pair_R  B3_P   B3_R   predicted_pairs  stories")
    for t in (float(x) for x in args.thresholds.split(",")):
        m = evaluate(docs, gold, t)
        print(f"{t:9.2f}  {m['pair_p']:.3f}   {m['pair_r']:.3f}   {m['bcubed_p']:.3f}  "
              f"{m['bcubed_r']:.3f}  {m['pred_pairs']:15d}  {m['stories']:7d}")  # fmt: skip


if __name__ == "__main__":
    main()
