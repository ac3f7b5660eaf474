"""Measure the near-duplicate rule: similarity of copies vs other stories, state size.

Why it exists: the threshold, shingle size and banding in ``DedupConfig`` were chosen by
numbers, and this makes them reproducible. Two sources of labelled pairs:

* hand-written fixtures (``tests/unit/test_dedup_threshold.py``, run as a module): wire
  stories, their syndicated copies, and *different* stories on the same event quoting
  the same people, the pairs a threshold must keep apart;
* the shared development corpus (``main`` here): 181 real article bodies from the
  fundus set, each turned into synthetic syndicated copies (wire dateline and copyright
  line, trimmed ending, dropped paragraph, light word edits, half-length cut), and all
  pairs of different articles as the "unrelated" baseline::

    .venv/bin/python -m pipeline.dedup.measure [FUNDUS_DIR]

Nothing here runs in the pipeline.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from pipeline.dedup import text
from pipeline.dedup.deduplicator import Deduplicator
from pipeline.dedup.fingerprint import DEFAULT_CONFIG, DedupConfig, Fingerprint, fingerprint
from pipeline.dedup.minhash import SKETCH_BITS, candidate_probability, sketch_similarity
from pipeline.dedup.state import json_size

DEFAULT_FUNDUS = Path(__file__).resolve().parents[2].parent / "shared/corpus/html/fundus"
WHEN = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PairSet:
    """Labelled text pairs: ``duplicate`` says whether they should share a cluster."""

    name: str
    pairs: list[tuple[str, str]]
    duplicate: bool


def similarities(pairs: Sequence[tuple[str, str]], shingle_size: int) -> list[float]:
    """Exact Jaccard of each pair's shingle sets (the quantity MinHash estimates)."""
    sets: dict[str, set[bytes]] = {}
    for body in {body for pair in pairs for body in pair}:
        sets[body] = set(text.shingles(text.tokens(body), shingle_size))
    return [len(sets[a] & sets[b]) / (len(sets[a] | sets[b]) or 1) for a, b in pairs]


def _decisions(pairs: Sequence[tuple[str, str]], config: DedupConfig) -> tuple[list[float], int]:
    """Sketch estimates, and how many pairs the full rule (LSH + verify) would cluster."""
    cache: dict[str, Fingerprint] = {}

    def fp(body: str) -> Fingerprint:
        if body not in cache:
            cache[body] = fingerprint("a", "https://a.invalid/", "a", None, body, WHEN, config)
        return cache[body]

    estimates, clustered = [], 0
    for a, b in pairs:
        first, second = fp(a), fp(b)
        if first.sketch is None or second.sketch is None:
            continue
        estimate = sketch_similarity(first.sketch, second.sketch)
        estimates.append(estimate)
        shares_band = bool(set(first.band_keys) & set(second.band_keys))
        clustered += shares_band and estimate >= config.threshold
    return estimates, clustered


def merge_probability(
    jaccard: float, threshold: float, config: DedupConfig = DEFAULT_CONFIG
) -> float:
    """P(sketch estimate >= threshold) for a pair of true Jaccard ``jaccard``: exact.

    The sketch keeps ``SKETCH_BITS`` bits of each of ``num_perm`` MinHash values; each
    position agrees independently with probability ``p = J + (1 - J) / 2**bits``, so the
    number of agreements is Binomial(num_perm, p) and the rule's decision is a tail of it.
    This is the error of the title rule's merge test (``title_merge_similarity``): the
    chance that two different texts merge, or that a real copy does not.
    """
    k, chance = config.num_perm, 1.0 / (1 << SKETCH_BITS)
    p = jaccard + (1.0 - jaccard) * chance
    needed = next(
        (m for m in range(k + 1) if round((m / k - chance) / (1 - chance), 4) >= threshold), k + 1
    )
    return sum(math.comb(k, m) * p**m * (1 - p) ** (k - m) for m in range(needed, k + 1))


def merge_error_table(config: DedupConfig = DEFAULT_CONFIG) -> str:
    """The title rule's merge probability by true Jaccard (``python -m ...measure``)."""
    threshold = config.title_merge_similarity
    rows = [
        f"title rule: P(merge) at threshold {threshold} ({config.num_perm} x {SKETCH_BITS} bits)"
    ]
    for jaccard in (0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 1.0):
        rows.append(f"  J={jaccard:.2f}: {merge_probability(jaccard, threshold, config):.2e}")
    return "\n".join(rows)


def candidate_table(config: DedupConfig = DEFAULT_CONFIG) -> str:
    """P(a pair becomes an LSH candidate) by Jaccard, this banding and format 2's."""
    bandings = [(config.bands, config.rows)]
    if config.legacy_lsh is not None:
        bandings.append(config.legacy_lsh[1:])
    points = (0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
    rows = ["P(candidate) at J " + " / ".join(f"{j}" for j in points)]
    for bands, rows_per_band in bandings:
        values = " / ".join(f"{candidate_probability(j, bands, rows_per_band):.5f}" for j in points)
        rows.append(f"  {bands} bands x {rows_per_band} rows: {values}")
    return "\n".join(rows)


def _summary(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    return f"min {min(values):.2f}  median {statistics.median(values):.2f}  max {max(values):.2f}"


def report(sets: Sequence[PairSet], config: DedupConfig = DEFAULT_CONFIG) -> str:
    """A plain-text table: Jaccard per shingle size, estimate error, decisions."""
    lines = [
        f"threshold {config.threshold}, shingles of {config.shingle_size} tokens, "
        f"{config.num_perm} permutations, LSH {config.bands} bands x {config.rows} rows",
        candidate_table(config),
    ]
    for pair_set in sets:
        lines.append(f"\n{pair_set.name}: {len(pair_set.pairs)} pairs")
        for size in (3, 4, 5):
            lines.append(
                f"  exact Jaccard, {size}-shingles: {_summary(similarities(pair_set.pairs, size))}"
            )
        exact = similarities(pair_set.pairs, config.shingle_size)
        estimates, clustered = _decisions(pair_set.pairs, config)
        if estimates and len(estimates) == len(exact):
            errors = [abs(e - x) for e, x in zip(estimates, exact, strict=True)]
            lines.append(f"  sketch estimate: {_summary(estimates)}; |error| max {max(errors):.3f}")
        wrong = len(estimates) - clustered if pair_set.duplicate else clustered
        verb = "clustered" if pair_set.duplicate else "wrongly clustered"
        lines.append(f"  {verb} by the rule: {clustered}/{len(estimates)} (errors: {wrong})")
    return "\n".join(lines)


def state_bytes_per_story(bodies: Sequence[str], config: DedupConfig = DEFAULT_CONFIG) -> str:
    """JSON bytes (keys + values) written for one new story, alone in an empty state; and
    what a syndicated copy of it (wire dateline and copyright line, another source and
    title) adds to that state when it is stored as a near-duplicate in its cluster."""
    sizes, copies = [], []
    for number, body in enumerate(bodies):
        state: dict[str, object] = {}
        story = fingerprint(
            f"{number:032x}",
            f"https://news.example/{number}",
            "source-id",
            f"A headline of typical length for story number {number}",
            body,
            WHEN,
            config,
            fetched_at=WHEN,  # every article from a connector has one: its URL entry keeps it
        )
        dedup = Deduplicator(state, config)
        dedup.check(story, WHEN)
        sizes.append(sum(json_size(key, value) for key, value in state.items()))
        copy = fingerprint(
            f"{number:016x}{'c' * 16}",
            f"https://copy.example/{number}",
            "copy-source",
            f"Another headline of typical length for story {number}",
            f"CITY (Wire) — {body}\n\nCopyright 2025 Wire. All rights reserved.",
            WHEN,
            config,
            fetched_at=WHEN,
        )
        if dedup.check(copy, WHEN).decision.method == "minhash":
            copies.append(sum(json_size(key, value) for key, value in state.items()) - sizes[-1])
    return (
        f"state bytes per new story: {_summary([float(s) for s in sizes])} ({len(sizes)} stories); "
        f"a near-duplicate copy adds {_summary([float(s) for s in copies])} ({len(copies)} copies)"
    )


def _fundus_bodies(root: Path) -> list[list[str]]:
    """Expected body paragraphs of the fundus pages (the labelled clean text)."""
    bodies = []
    for item in json.loads((root / "index.json").read_text()):
        expected = json.loads((root / item["expected_json"]).read_text())[item["expected_key"]]
        paragraphs = [p for s in expected["body"]["sections"] for p in s["paragraphs"]]
        if len(" ".join(paragraphs).split()) >= 150:
            bodies.append(paragraphs)
    return bodies


def _edit_words(paragraphs: list[str], rng: random.Random, rate: float) -> list[str]:
    """Light copy-editing: replace or delete a few words, as a subeditor would."""
    edited = []
    for paragraph in paragraphs:
        words = paragraph.split()
        for i in range(len(words)):
            if rng.random() < rate:
                words[i] = rng.choice(["", "the", "said", "also", words[i].upper()])
        edited.append(" ".join(w for w in words if w))
    return edited


Transform = Callable[[list[str], random.Random], list[str]]

TRANSFORMS: dict[str, Transform] = {
    "wire furniture, last paragraph cut": lambda p, rng: [
        "CITY (Wire) — " + p[0],
        *p[1:-1],
        "Copyright 2025 Wire. All rights reserved. Sign up for our newsletter.",
    ],
    "one paragraph dropped, 3% words edited": lambda p, rng: _edit_words(
        [x for i, x in enumerate(p) if i != len(p) // 2], rng, 0.03
    ),
    "first 75% of paragraphs": lambda p, rng: p[: max(1, round(len(p) * 0.75))],
    "first half of paragraphs": lambda p, rng: p[: max(1, len(p) // 2)],
}


def corpus_sets(root: Path, seed: int = 7) -> tuple[list[PairSet], list[str]]:
    rng = random.Random(seed)
    bodies = _fundus_bodies(root)
    sets = [
        PairSet(
            f"corpus copies: {name}",
            [("\n\n".join(p), "\n\n".join(transform(p, rng))) for p in bodies],
            duplicate=True,
        )
        for name, transform in TRANSFORMS.items()
    ]
    unrelated = [("\n\n".join(a), "\n\n".join(b)) for a, b in combinations(bodies, 2)]
    sets.append(PairSet("corpus: different articles", unrelated, duplicate=False))
    return sets, ["\n\n".join(p) for p in bodies]


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else DEFAULT_FUNDUS
    if not (root / "index.json").is_file():
        print(f"no fundus corpus at {root}", file=sys.stderr)
        return 2
    sets, bodies = corpus_sets(root)
    print(report(sets))
    print(state_bytes_per_story(bodies))
    print(merge_error_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
