"""Train the Arabic topic model, pipeline/tag/data/topics/topic_model_ar.npz.

    nice -n 10 .venv/bin/python scripts/train_topics_ar.py --data /tmp/langdata --sib /tmp/topicdata
    nice -n 10 .venv/bin/python scripts/train_topics_ar.py --sib /tmp/topicdata \
        --tune pipeline/tag/data/topics/topic_model_ar.npz

Same model as the English one (``scripts/train_topics.py``, whose functions this imports: hashed
features of ``pipeline/tag/topic_model.py``, one L2 logistic regression per top-level topic with
balanced class weights, a Platt sigmoid per topic fitted on the validation part, float16 weights),
saved in the same format, so ``topic_model.load_model`` reads it as it is. Arabic letters are
folded and tokenized by the same ``topics_text.fold`` / ``tokenize`` the lexicon uses (alef and
hamza seats, yeh/kaf/teh marbuta variants, harakat and tatweel).

DATA (docs/topics-model.md, Arabic section):

* SANAD, AlKhaleej part (Einea, Elnagar and Al Debsi 2019; CC BY 4.0 per its publication on
  Mendeley Data 57zpx667y9, the copy read here states no licence): 45,485 distinct articles of
  alkhaleej.ae in seven sections, as laid out under ``--data/ar/sanad-khaleej`` (SOURCE.txt
  there). Split by ``eval_topics_languages.split_of`` (a hash of the text): 80% training, 10%
  validation (calibration, source weights, combination constants), 10% test (read by
  ``tests/eval/eval_topics_languages.py`` only). Each article twice, as the English articles:
  whole, and its first two sentences (``eval_topics_languages.lead``: the short form a feed gives;
  SANAD has no headlines).
* SIB-200 Arabic (``arb_Arab``, Flores-200 sentences, CC BY-SA 4.0), if ``--sib`` is given: the
  train split trains (``--weight sib200=0`` leaves it out), the dev split validates; the test
  split is for the evaluation only.

Only the validation part is read to choose anything; ``--tune`` prints the combination grid on it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "scripts", ROOT / "tests" / "eval"):
    sys.path.insert(0, str(extra))

from eval_topics_languages import DATASETS, labelled, lead, split_of  # noqa: E402
from topics_datasets import Story, load_devset, load_sib200  # noqa: E402
from train_topics import (  # noqa: E402
    _top_level,
    fit_and_save,
    override_weights,
)

from pipeline.tag.topic_model import MODEL_PATH, load_model  # noqa: E402
from pipeline.tag.topics import TopicTags  # noqa: E402

VERSION = "ar-2026-1"
BITS = 18
OUT = MODEL_PATH.with_name("topic_model_ar.npz")
SANAD = next(d for d in DATASETS if d.name == "sanad-khaleej")

# Weight of one story of each source in training, chosen on the validation part by the mean
# top-topic accuracy of its sources (docs/topics-model.md): SIB-200's 701 Arabic training sentences
# at 1, 10 and 30 left SANAD's validation articles within 0.1 point (0.981 / 0.980 / 0.980 whole,
# 0.974 / 0.973 / 0.973 short) and put 0.582 / 0.681 / 0.703 of the 91 SIB dev sentences right.
# C (inverse L2 strength): 16 against 4, 0.981 / 0.974 against 0.979 / 0.973 (SIB at 1).
SOURCE_WEIGHT = {"sanad-full": 1.0, "sanad-short": 1.0, "sib200": 30.0}


def sanad(data: Path, split: str) -> list[Story]:
    """SANAD stories of ``split``, each article whole and short (first two sentences)."""
    out: list[Story] = []
    for raw in labelled(SANAD, data)[0]:
        if split_of(raw) != split:
            continue
        _, body, label = raw
        gold = frozenset([str(SANAD.labels[label])])
        out.append(Story(None, body, "ar", gold, "sanad-full"))
        out.append(Story(None, lead(body), "ar", gold, "sanad-short"))
    return out


def training_stories(data: Path, sib: Path | None) -> list[Story]:
    stories = sanad(data, "train")
    if sib is not None:
        stories += load_sib200(sib, "arb_Arab", "train")
    return [s for s in stories if SOURCE_WEIGHT[s.source] > 0]


def validation_stories(data: Path, sib: Path | None) -> list[Story]:
    return sanad(data, "val") + (load_sib200(sib, "arb_Arab", "dev") if sib is not None else [])


def _right(s: Story, topics: list[str], lenient: bool) -> bool:
    """Top topic right at top level; ``lenient``: a SANAD politics story tagged conflict counts
    (the desk files wars and attacks, which IPTC puts under conflict, war and peace)."""
    if not topics:
        return False
    top = _top_level(topics[0])
    return top in s.labels or (lenient and top == "conflict-war-peace" and "politics" in s.labels)


def tune(data: Path, sib: Path | None, model_path: Path) -> None:
    """Grid over the combination's constants (``topics.combine``) on the validation stories and
    the dev set's Arabic ``tune`` stories: top-topic accuracy at top level / share without topic,
    per source; SANAD also lenient (politics desk -> conflict accepted). ``outside`` is the rank
    weight of a group the model has no class for (``-``: none, the English rule)."""
    from pipeline.tag.topics import combine, tag_topics_lexicon

    model = load_model(model_path)
    assert model is not None
    # The project dev set's Arabic ``tune`` stories (written for the lexicon, multi-label) too.
    val = validation_stories(data, sib) + [s for s in load_devset("tune") if s.lang == "ar"]
    cached = [
        (s, tag_topics_lexicon(s.title, s.body, s.lang), model.scores(s.title, s.body)) for s in val
    ]
    sources = sorted({s.source for s in val})
    columns = [(src, False) for src in sources] + [
        (src, True) for src in sources if src.startswith("sanad")
    ]
    names = [f"{src}{' lenient' if lenient else ''}" for src, lenient in columns]

    def cells(predict: Callable[[Story, TopicTags, dict[str, float]], list[str]]) -> str:
        out = []
        for src, lenient in columns:
            rows = [(s, predict(s, lex, p)) for s, lex, p in cached if s.source == src]
            right = np.mean([_right(s, t, lenient) for s, t in rows])
            out.append(f"{right:.3f}/{np.mean([not t for _, t in rows]):.3f}")
        return " | ".join(out)

    print("constants | " + " | ".join(names))
    print("lexicon only | " + cells(lambda s, lex, p: lex.topics), flush=True)
    print("model alone | " + cells(lambda s, lex, p: [max(p, key=p.__getitem__)]), flush=True)
    outsides: list[float | None] = [None, 1.1, 1.2, 1.5, 2.0]  # as docs/topics-model.md lists
    print("lexicon_weight fallback join outside")
    for lw, fb, join, outside in [
        (lw, fb, join, out)
        for lw in (0.0, 0.1, 0.25, 0.5)
        for fb in (0.05, 0.1)
        for join in (0.1, 0.2, 0.3, 0.5)
        for out in outsides
    ]:
        kw: dict[str, Any] = {
            "lexicon_weight": lw, "fallback": fb, "join": join, "outside": outside
        }  # fmt: skip

        def combined(s: Story, lex: TopicTags, p: dict[str, float], kw: Any = kw) -> list[str]:
            return combine(lex, p, **kw).topics

        row = cells(combined)
        print(f"{lw:5} {fb:4} {join:4} {outside or '-':4} | " + row, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/langdata"))
    ap.add_argument("--sib", type=Path, help="SIB-200 data (DIR/sib200/arb_Arab)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--c", type=float, default=16.0, help="inverse L2 strength")
    ap.add_argument("--bits", type=int, default=BITS)
    ap.add_argument("--tune", type=Path, help="only grid the combination for these weights")
    ap.add_argument("--weight", action="append", default=[], metavar="SOURCE=W")
    args = ap.parse_args()
    override_weights(SOURCE_WEIGHT, args.weight)
    if args.tune:
        tune(args.data, args.sib, args.tune)
        return

    t0 = time.perf_counter()
    stories = training_stories(args.data, args.sib)
    val = validation_stories(args.data, args.sib)
    print("weights: " + ", ".join(f"{k}={v}" for k, v in SOURCE_WEIGHT.items()), flush=True)
    fit_and_save(
        stories,
        val,
        weight=np.array([SOURCE_WEIGHT[s.source] for s in stories]),
        val_weight=np.ones(len(val)),
        offsets={},
        c=args.c,
        bits=args.bits,
        out=args.out,
        languages=["ar"],
        version=VERSION,
        started=t0,
    )


if __name__ == "__main__":
    main()
