"""The measurement that chose the near-duplicate threshold and shingle size.

Labelled pairs from the hand-written fixtures (``test_dedup_corpus``) plus machine-written
earnings briefs (one template, other facts: the classic false positive of shingling).
Run ``.venv/bin/python -m tests.unit.test_dedup_threshold`` for the table; the tests
keep the margins the defaults rely on.
"""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from pipeline.dedup import DEFAULT_CONFIG
from pipeline.dedup.measure import PairSet, report, similarities
from tests.unit.test_dedup_corpus import EVENTS


def copy_pairs() -> list[tuple[str, str]]:
    """Original vs each of its copies: must cluster."""
    return [
        (event["original"][0].body, copy.body)
        for event in EVENTS.values()
        for copy in event["copies"]
    ]


def copy_copy_pairs() -> list[tuple[str, str]]:
    """Two copies of one original, each edited its own way: what a cluster sees when the
    original itself never arrives."""
    return [(e["copies"][0].body, e["copies"][1].body) for e in EVENTS.values()]


def same_event_pairs() -> list[tuple[str, str]]:
    """Pairs of different stories on one event (originals and copies vs others): must not."""
    pairs = []
    for event in EVENTS.values():
        same_story = event["original"] + event["copies"]
        others = event["others"]
        pairs += [(a.body, b.body) for a in same_story for b in others]
        pairs += [(a.body, b.body) for a, b in combinations(others, 2)]
    return pairs


EARNINGS = (
    "{company} reported quarterly earnings of {eps} dollars per share on {day}, {verb} "
    "analysts' estimates of {estimate} dollars per share, according to data compiled by the "
    "financial data firm. Revenue for the quarter came in at {revenue} billion dollars, "
    "compared with {before} billion dollars a year earlier. Shares of {company} {move} "
    "{change} percent in after-hours trading. The company said it expected full-year revenue "
    "of between {low} and {high} billion dollars. {company} is scheduled to hold a conference "
    "call with analysts at {hour} p.m. Eastern time."
)


def earnings_reports(count: int, seed: int = 3) -> list[str]:
    """Machine-written earnings briefs: one template, different companies and figures."""
    rng = random.Random(seed)
    companies = ["Acme Corp", "Globex", "Initech", "Umbrella Holdings", "Hooli", "Vandelay"]
    return [
        EARNINGS.format(
            company=rng.choice(companies),
            eps=rng.randint(10, 300) / 100,
            day=rng.choice(["Tuesday", "Wednesday", "Thursday"]),
            verb=rng.choice(["beating", "missing"]),
            estimate=rng.randint(10, 300) / 100,
            revenue=rng.randint(1, 90) / 10,
            before=rng.randint(1, 90) / 10,
            move=rng.choice(["rose", "fell"]),
            change=rng.randint(1, 15),
            low=rng.randint(10, 40),
            high=rng.randint(41, 80),
            hour=rng.randint(1, 6),
        )
        for _ in range(count)
    ]


def pair_sets() -> list[PairSet]:
    return [
        PairSet("original vs syndicated copy (fixtures)", copy_pairs(), duplicate=True),
        PairSet("copy vs copy, original unseen (fixtures)", copy_copy_pairs(), duplicate=True),
        PairSet("same event, other story (fixtures)", same_event_pairs(), duplicate=False),
        PairSet(
            "templated earnings briefs, other facts",
            list(combinations(earnings_reports(20), 2)),
            duplicate=False,
        ),
    ]


@pytest.mark.parametrize("shingle_size", [3, 4, 5])
def test_threshold_separates_copies_from_same_event_stories(shingle_size: int) -> None:
    """The margin the default threshold relies on, with exact Jaccard (no sampling noise)."""
    copies = similarities(copy_pairs(), shingle_size)
    others = similarities(same_event_pairs(), shingle_size)
    assert min(copies) > DEFAULT_CONFIG.threshold
    assert max(others) < DEFAULT_CONFIG.threshold - 0.3


if __name__ == "__main__":
    print(report(pair_sets(), DEFAULT_CONFIG))
