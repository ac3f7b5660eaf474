"""Topic tagging on openly licensed, section-labelled news in the product's other languages.

    .venv/bin/python tests/eval/eval_topics_languages.py --data /tmp/langdata
    .venv/bin/python tests/eval/eval_topics_languages.py --model \
        pipeline/tag/data/topics/topic_model_ar.npz --sib /tmp/topicdata   # the Arabic model

**Test split only.** Each dataset's stories are split by a hash of the text (``split_of``:
the first 32 bits of ``hash_key``'s SHA-1 as a fraction, below 0.1 test, below 0.2 validation,
the rest training; SANAD's Arabic model, ``scripts/train_topics_ar.py``, is trained on the
training part and tuned on the validation part). Only the test part is read here; the sample of
``--limit`` stories is the lowest hashes, so the 1,000 SANAD stories are the same 1,000 as
before the split (the lowest 2% of the hash order, all in the test tenth).

The product tags Persian, Arabic, Urdu and Russian news with the lexicon alone (the learned model
is English only, docs/topics-model.md). This measures it on news in those languages: for each
dataset under ``--data/<lang>/<dataset>/`` (see DATASETS for where each comes from and its
licence), up to ``--limit`` stories in a fixed hash order, short (headline + first two sentences;
first two sentences where the dataset has no headline) and full. Figures, as in
eval_topics_public.py: top-topic accuracy at IPTC top level (top-level ancestor of the first topic
emitted; a story without topic counts as wrong) and the share of stories without topic, for

* ``shipped``: ``tag_topics(title, body, lang)``, what the product does for the language;
* ``model``: the English model's best class alone, whatever the language;
* ``en-forced``: the lexicon combined with the English model (``combine``), as if the model were
  enabled for the language (the bracketed figures of docs/topics-model.md).

``--model`` replaces the English weights in the last two columns (e.g. the Arabic model,
``topic_model_ar.npz``, loaded by the same ``load_model``), and ``--join``, ``--fallback``,
``--lexicon-weight`` the combination's constants in the last. ``--sib DATA`` also scores the
SIB-200 test sentences of each dataset's language (``DATA/sib200``). ``--timing`` prints the
model's milliseconds per story, short and full.

A dataset whose directory is missing is reported as such and skipped. Labels of a dataset with no
sensible IPTC top level are dropped (``None`` in its map); labels the map does not know are
dropped and listed, so a new label is seen rather than silently counted.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_topics_public import evaluate, top_level  # noqa: E402
from topics_datasets import SIB_LANGS, Story, load_sib200  # noqa: E402
from topics_datasets import lead as datasets_lead  # noqa: E402

from pipeline.tag.topic_model import MODEL_PATH, TopicModel, load_model  # noqa: E402
from pipeline.tag.topics import (  # noqa: E402
    LEXICON_WEIGHT,
    MODEL_FALLBACK,
    MODEL_JOIN,
    combine,
    tag_topics,
    tag_topics_lexicon,
)

DEFAULT_DATA = Path("/tmp/langdata")

# A raw story of a dataset: headline (None where the dataset has none), text, the dataset's label.
Raw = tuple[str | None, str, str]


@dataclass(frozen=True)
class Dataset:
    lang: str
    name: str  # directory under --data/<lang>/
    source: str  # where the files come from (repository @ commit, paths)
    licence: str  # and where it is stated
    labels: dict[str, str | None]  # dataset label -> top-level taxonomy slug (None: dropped)
    read: Callable[[Path], Iterator[Raw]]


def read_category_folders(root: Path) -> Iterator[Raw]:
    """One article per file, ``<root>/<label>/*.txt`` (SANAD's layout); no headline."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                yield None, text, folder.name


# SANAD's AlKhaleej part (Einea, Elnagar and Al Debsi 2019, Data in Brief 25:104076): the section
# each article was filed under on alkhaleej.ae. The articles are body text only (no headline).
SANAD_LABELS: dict[str, str | None] = {
    # The culture desk: books, film, music, heritage, exhibitions (IPTC "arts, culture,
    # entertainment and media").
    "Culture": "arts-culture-entertainment",
    # Markets, companies, oil prices, the Gulf economies.
    "Finance": "economy-business-finance",
    # Health news: diseases, hospitals, medical research, public health.
    "Medical": "health",
    # The politics desk; it also files wars and attacks (IPTC would put those under conflict),
    # so part of the misses here are conflict stories tagged as conflict.
    "Politics": "politics",
    # Islamic affairs, sermons, religious rulings.
    "Religion": "religion",
    "Sports": "sport",
    # Technology news: IPTC files technology under "science and technology".
    "Tech": "science-technology",
}

DATASETS = [
    Dataset(
        lang="ar",
        name="sanad-khaleej",
        source=(
            "SANAD AlKhaleej (45,500 articles, 6,500 per section) as committed to "
            "github.com/sara-salah1/Enhancing-Question-Answering-with-RAG-Powered-AI-Assistant "
            "@97e1acfd data/<Section>/NNNN.txt"
        ),
        licence=(
            "CC BY 4.0 (the dataset's publication: Mendeley Data 57zpx667y9, per the Masader "
            "catalogue and the dataset card; the copying repository states none)"
        ),
        labels=SANAD_LABELS,
        read=lambda root: read_category_folders(root / "data"),
    ),
]

# Sentence ends of the scripts concerned: Latin/Cyrillic and Arabic punctuation, the Arabic
# question mark and the Urdu full stop. A stop glued to the next word (".واعتبر", frequent in
# scraped Arabic) ends a sentence too; one before a digit (3.5) does not.
_SENTENCE_END = re.compile(r"(?<=[.!?\u061f\u06d4])(?:\s+|(?=[^\W\d_]))")


def lead(text: str, sentences: int = 2) -> str:
    """The first sentences of a body, splitting on the sentence ends of fa/ar/ur/ru too."""
    return datasets_lead(text, sentences, _SENTENCE_END)


def hash_key(raw: Raw) -> str:
    title, body, label = raw
    return hashlib.sha1(f"{label}\t{title or ''}\t{body}".encode()).hexdigest()


def split_of(raw: Raw, val: int = 10, test: int = 10) -> str:
    """``train`` / ``val`` / ``test`` of a story, from a hash of its text (``hash_key``): test is
    the lowest ``test`` percent of the hash order, so a sample of the lowest hashes is test."""
    bucket = int(hash_key(raw)[:8], 16) * 100 >> 32
    return "test" if bucket < test else "val" if bucket < test + val else "train"


def labelled(dataset: Dataset, data: Path) -> tuple[list[Raw], Counter[str]]:
    """Every story of a dataset with a mapped label, a text seen twice kept once (its first
    label, in reading order), and the counts of labels the map does not know."""
    root = data / dataset.lang / dataset.name
    seen: set[str] = set()
    kept: list[Raw] = []
    unknown: Counter[str] = Counter()
    for raw in dataset.read(root):
        title, body, label = raw
        if label not in dataset.labels:
            unknown[label] += 1
            continue
        if dataset.labels[label] is None:
            continue
        text_key = f"{title or ''}\t{body}"
        if text_key in seen:  # the same text twice counts once
            continue
        seen.add(text_key)
        kept.append(raw)
    return kept, unknown


def load(
    dataset: Dataset, data: Path, limit: int, split: str = "test"
) -> tuple[list[Story], list[Story], Counter[str], Counter[str], int]:
    """Short and full stories of a dataset's ``split`` (the same ``limit`` stories, in hash
    order), the mapped labels' counts, the unknown labels' counts and the number of labelled
    stories in the split."""
    kept, unknown = labelled(dataset, data)
    kept = sorted((raw for raw in kept if split_of(raw) == split), key=hash_key)
    sample = kept[:limit]
    counts: Counter[str] = Counter(raw[2] for raw in sample)
    short, full = [], []
    for title, body, label in sample:
        gold = frozenset([str(dataset.labels[label])])
        short.append(Story(title, lead(body), dataset.lang, gold, dataset.name))
        full.append(Story(title, body, dataset.lang, gold, dataset.name))
    return short, full, counts, unknown, len(kept)


def per_label(
    stories: list[Story], predict: Callable[[Story], list[str]]
) -> dict[str, tuple[int, int, Counter[str]]]:
    """Gold top level -> (n, right, what the misses were tagged with; "-" for no topic)."""
    out: dict[str, tuple[int, int, Counter[str]]] = {}
    for s in stories:
        gold = next(iter(s.labels))
        n, right, misses = out.get(gold, (0, 0, Counter()))
        topics = predict(s)
        got = top_level(topics[0]) if topics else "-"
        if got == gold:
            right += 1
        else:
            misses[got] += 1
        out[gold] = (n + 1, right, misses)
    return out


def _timing(stories: list[Story], model: TopicModel) -> float:
    """Milliseconds per story of the model's scores (features included), best of three."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for s in stories:
            model.scores(s.title, s.body)
        best = min(best, (time.perf_counter() - t0) * 1000 / max(1, len(stories)))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", type=Path, default=MODEL_PATH, help="weights of the model columns")
    ap.add_argument("--limit", type=int, default=1000, help="stories per dataset")
    ap.add_argument("--per-label", action="store_true", help="accuracy per gold top level")
    ap.add_argument("--sib", type=Path, help="also SIB-200 test sentences (DATA/sib200)")
    ap.add_argument("--timing", action="store_true", help="model ms per story, short and full")
    ap.add_argument("--join", type=float, default=MODEL_JOIN)
    ap.add_argument("--fallback", type=float, default=MODEL_FALLBACK)
    ap.add_argument("--lexicon-weight", type=float, default=LEXICON_WEIGHT)
    args = ap.parse_args()
    model = load_model(args.model)
    assert model is not None, "no model file"
    constants = {
        "join": args.join,
        "fallback": args.fallback,
        "lexicon_weight": args.lexicon_weight,
    }
    print(f"model {args.model.name} {model.version}; combination {constants}")

    def shipped(s: Story) -> list[str]:
        return tag_topics(s.title, s.body, s.lang).topics

    def model_only(s: Story) -> list[str]:
        probs = model.scores(s.title, s.body)
        return [max(probs, key=probs.__getitem__)]

    def en_forced(s: Story) -> list[str]:
        lex = tag_topics_lexicon(s.title, s.body, s.lang)
        return combine(lex, model.scores(s.title, s.body), **constants).topics

    def report(name: str, variant: str, stories: list[Story]) -> None:
        acc, none = evaluate(stories, shipped)
        mod, _ = evaluate(stories, model_only)
        forced, forced_none = evaluate(stories, en_forced)
        print(
            f"{name:21} {variant:5} {len(stories):5}  {acc:.3f} / {none:.3f}"
            f"      {mod:.3f}       {forced:.3f} / {forced_none:.3f}"
        )
        if args.per_label:
            for label, predict in (("shipped", shipped), ("forced", en_forced)):
                for gold, (n, right, misses) in sorted(per_label(stories, predict).items()):
                    top = ", ".join(f"{k} {v}" for k, v in misses.most_common(3))
                    print(f"       {label:9} {gold:28} {n:4} {right / n:.3f}  misses: {top}")

    print(
        f"{'lang dataset':21} {'text':5} {'n':>5}  shipped acc/none   model acc   forced acc/none"
    )
    for ds in DATASETS:
        root = args.data / ds.lang / ds.name
        if not root.is_dir():
            print(f"{ds.lang:4} {ds.name:16} missing: {root} (source: {ds.source})")
            continue
        short, full, counts, unknown, total = load(ds, args.data, args.limit)
        for variant, stories in (("short", short), ("full", full)):
            if stories:
                report(f"{ds.lang:4} {ds.name}", variant, stories)
                if args.timing:
                    print(f"       model {_timing(stories, model):.2f} ms per story ({variant})")
        labels = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"       {total} labelled test stories, sample by label: {labels}")
        if unknown:
            print(f"       unknown labels (dropped): {dict(unknown)}")
        if args.sib:
            code = {v: k for k, v in SIB_LANGS.items()}[ds.lang]
            report(f"{ds.lang:4} sib200-test", "sent", load_sib200(args.sib, code, "test"))


if __name__ == "__main__":
    main()
