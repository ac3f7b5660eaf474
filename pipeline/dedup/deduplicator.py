"""Single-process convenience: read, decide and merge against one mapping.

This is what ``newswire process`` and tests use, and what one faust worker uses when the
processor runs with a single partition. With N workers the same three steps run with
each key at its owner (see the package docstring); nothing else changes.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from newswire.models import Article
from pipeline.dedup.fingerprint import DEFAULT_CONFIG, DedupConfig, Fingerprint, fingerprint
from pipeline.dedup.rules import DedupOutcome, decide, keys_for
from pipeline.dedup.state import apply_writes, sweep


def fingerprint_article(article: Article, config: DedupConfig = DEFAULT_CONFIG) -> Fingerprint:
    """The fingerprint of a processed article; undated stories use their fetch time."""
    when = article.published_at or article.fetched_at or article.processed_at
    return fingerprint(
        article.id, article.url, article.source.id, article.title, article.body, when, config
    )


def annotate(article: Article, outcome: DedupOutcome) -> Article | None:
    """The article as it should be indexed, or None when it was merged into another story."""
    if not outcome.indexed:
        return None
    return article.model_copy(
        update={
            "cluster_id": outcome.cluster_id,
            "duplicate_of": outcome.duplicate_of,
            "dedup": outcome.decision,
        }
    )


class Deduplicator:
    """Dedup against a ``MutableMapping[str, Any]`` of JSON values (dict, faust Table).

    >>> from datetime import UTC, datetime
    >>> dedup = Deduplicator({})
    >>> when = datetime(2025, 3, 1, tzinfo=UTC)
    >>> body = "the council approved the new budget after a long debate " * 3
    >>> first = fingerprint("a", "https://a.example/x", "a", "Budget", body, when)
    >>> copy = fingerprint("b", "https://b.example/y", "b", "Budget", body, when)
    >>> dedup.check(first, when).decision.method, dedup.check(copy, when).merge_into
    ('new', 'a')
    """

    def __init__(
        self, state: MutableMapping[str, Any], config: DedupConfig = DEFAULT_CONFIG
    ) -> None:
        self.state = state
        self.config = config

    def check(self, fp: Fingerprint, now: datetime | None = None) -> DedupOutcome:
        """Decide on ``fp`` and record it. ``now`` is processing time (expiry clock)."""
        if fp.config != self.config:
            raise ValueError("fingerprint computed with another DedupConfig than this state")
        now = now or datetime.now(UTC)
        lookups = {key: self.state.get(key) for key in keys_for(fp)}
        outcome, writes = decide(fp, lookups, now)
        conflicts = apply_writes(self.state, writes, now, self.config)
        return replace(outcome, conflicts=tuple(conflicts)) if conflicts else outcome

    def check_article(
        self, article: Article, now: datetime | None = None
    ) -> tuple[DedupOutcome, Article | None]:
        """Check a processed article; returns the outcome and the article to index, if any."""
        outcome = self.check(fingerprint_article(article, self.config), now)
        return outcome, annotate(article, outcome)

    def sweep(self, now: datetime | None = None) -> int:
        """Delete expired entries; returns how many keys went."""
        return sweep(self.state, now or datetime.now(UTC), self.config)
