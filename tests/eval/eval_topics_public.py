"""Topic tagging on public labelled news the model was not trained or tuned on.

    .venv/bin/python tests/eval/eval_topics_public.py --data /tmp/topicdata

For each test set: top-topic accuracy at IPTC top level (the top-level ancestor of the first topic
the tagger emits, against the story's gold top level; a story without any topic counts as wrong)
and the share of stories without any topic, for the lexicon alone, the model alone and the two
combined (what ``tag_topics`` ships). Also the model's time per story. Where the data come from and
their licences: scripts/topics_datasets.py and docs/topics-model.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from topics_datasets import (  # noqa: E402
    DEFAULT_DATA,
    SIB_LANGS,
    Story,
    load_current_events,
    load_devset,
    load_huffpost,
    load_huffpost_headlines,
    load_masakhanews,
    load_sib200,
    load_uci_news,
)

from pipeline.tag.topic_model import MODEL_PATH, load_model  # noqa: E402
from pipeline.tag.topics import combine, tag_topics_lexicon, topic_data  # noqa: E402


def test_sets(data: Path) -> dict[str, list[Story]]:
    sets = {
        "masakhanews-eng-test short (held-out split; dev split trained)": load_masakhanews(
            data, "eng", "test", short=True
        ),
        "masakhanews-eng-test full (held-out split; dev split trained)": load_masakhanews(
            data, "eng", "test", short=False
        ),
        "masakhanews-fra dev+test short (independent)": load_masakhanews(
            data, "fra", "dev", short=True
        )
        + load_masakhanews(data, "fra", "test", short=True),
        "masakhanews-fra dev+test full (independent)": load_masakhanews(
            data, "fra", "dev", short=False
        )
        + load_masakhanews(data, "fra", "test", short=False),
        "masakhanews-pcm-test full (held-out split; train+dev trained)": load_masakhanews(
            data, "pcm", "test", short=False
        ),
        "huffpost headlines test (held-out 15%; 70% trained)": load_huffpost_headlines(
            data, "test"
        ),
        "uci news aggregator headlines (independent)": load_uci_news(data),
        "wikipedia current events 2026-06.. (later period; earlier trained)": load_current_events(
            data, "test"
        ),
        "huffpost politics/sports descriptions (same dataset as training)": load_huffpost(data),
        "devset heldout (project's own)": load_devset("heldout"),
    }
    for lang, code in SIB_LANGS.items():
        sets[f"sib200-test {code} sentences (held-out split)"] = load_sib200(data, lang, "test")
    return sets


def top_level(slug: str) -> str:
    chain = topic_data().ancestors(slug)
    return chain[-1] if chain else slug


def evaluate(stories: list[Story], predict: Callable[[Story], list[str]]) -> tuple[float, float]:
    right = empty = 0
    for s in stories:
        topics = predict(s)
        if not topics:
            empty += 1
        elif top_level(topics[0]) in s.labels:
            right += 1
    n = len(stories)
    return right / n, empty / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", type=Path, default=MODEL_PATH, help="weights to evaluate")
    ap.add_argument("--only", default="", help="evaluate the sets whose name contains this")
    args = ap.parse_args()
    model = load_model(args.model)
    assert model is not None, "no model file"

    def lexicon(s: Story) -> list[str]:
        return tag_topics_lexicon(s.title, s.body, s.lang).topics

    def model_only(s: Story) -> list[str]:
        probs = model.scores(s.title, s.body)
        return [max(probs, key=probs.__getitem__)]

    def combined(s: Story) -> list[str]:
        lex = tag_topics_lexicon(s.title, s.body, s.lang)
        return combine(lex, model.scores(s.title, s.body)).topics

    print(f"{'test set':64} {'n':>5}  lexicon acc/none   model acc   combined acc/none")
    for name, stories in test_sets(args.data).items():
        if args.only not in name:
            continue
        lex_acc, lex_none = evaluate(stories, lexicon)
        mod_acc, _ = evaluate(stories, model_only)
        com_acc, com_none = evaluate(stories, combined)
        print(
            f"{name:64} {len(stories):5}  {lex_acc:.3f} / {lex_none:.3f}      {mod_acc:.3f}"
            f"       {com_acc:.3f} / {com_none:.3f}"
        )

    sample = test_sets(args.data)["masakhanews-eng-test full (held-out split; dev split trained)"]
    for label, items in (
        ("short", [(s.title, s.body[:300]) for s in sample[:300]]),
        ("full", [(s.title, s.body) for s in sample[:300]]),
    ):
        t0 = time.perf_counter()
        for title, body in items:
            model.scores(title, body)
        ms = (time.perf_counter() - t0) / len(items) * 1000
        print(f"model time per story ({label}): {ms:.2f} ms")


if __name__ == "__main__":
    main()
