"""Single-process convenience: read, decide and merge against one mapping.

This is what ``newswire process`` and tests use, and what one faust worker uses when the
processor runs with a single partition. With N workers the same three steps run with
each key at its owner (see the package docstring); nothing else changes.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from pipeline.dedup.fingerprint import (
    DEFAULT_CONFIG,
    URLS_PREFIX,
    DedupConfig,
    Fingerprint,
    fingerprint,
)
from pipeline.dedup.rules import DedupOutcome, decide, read
from pipeline.dedup.state import apply_writes, encode_urls, live_urls, merge_urls, sweep
from wire.models import Article, MergeTarget


def fingerprint_article(article: Article, config: DedupConfig = DEFAULT_CONFIG) -> Fingerprint:
    """The fingerprint of a processed article; undated stories use their fetch time. The
    fetch time rides along: it orders the versions of one URL (``rules``)."""
    when = article.published_at or article.fetched_at or article.processed_at
    return fingerprint(
        article.id,
        article.url,
        article.source.id,
        article.title,
        article.body,
        when,
        config,
        fetched_at=article.fetched_at,
    )


def annotate(article: Article, outcome: DedupOutcome) -> Article | None:
    """The article as it should be indexed, or None when it was merged into another story
    (or is an older text of a revised one); a revision carries its count and time."""
    if not outcome.indexed:
        return None
    updated = outcome.updated_at
    return article.model_copy(
        update={
            "cluster_id": outcome.cluster_id,
            "duplicate_of": outcome.duplicate_of,
            "dedup": outcome.decision,
            "revisions": outcome.revision,
            "updated_at": datetime.fromtimestamp(updated, UTC) if updated else None,
        }
    )


class Deduplicator:
    """Dedup against a ``MutableMapping[str, Any]`` of JSON values (dict, faust Table);
    :mod:`.state` says what the values hold.

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
        lookups = read(fp, self.state.get, now)
        outcome, writes = decide(fp, lookups, now)
        apply_writes(self.state, writes, now, self.config)
        return outcome

    def check_article(
        self, article: Article, now: datetime | None = None
    ) -> tuple[DedupOutcome, Article | None]:
        """Check a processed article; returns the outcome and the article to index, if any."""
        outcome = self.check(fingerprint_article(article, self.config), now)
        return outcome, annotate(article, outcome)

    def route(
        self, article: Article, now: datetime | None = None
    ) -> tuple[DedupOutcome, Article | None]:
        """Like ``check_article``, for a stream whose consumer keeps ``urls`` current.

        An indexed story goes out with every URL it is known under. An exact duplicate
        goes out as a *merged sighting*: itself, ``merged_into`` its story and carrying
        that story's full URL list, for the indexer to put on the story (nothing new is
        indexed). A copy seen again goes out again, although its URL is already recorded:
        the state may hold what the first sighting's delivery never did (a crash after the
        state write and before Kafka acknowledged the sighting; found by the chaos suite),
        and the indexer's URL update is idempotent.
        """
        now = now or datetime.now(UTC)
        outcome, indexed = self.check_article(article, now)
        if indexed is not None:
            indexed.urls = self._add_urls(indexed.id, indexed.urls, now)
            return outcome, indexed
        if outcome.merge_into is None or outcome.merge_into_time is None:
            return outcome, None
        urls = self._add_urls(outcome.merge_into, [article.url, *article.urls], now)
        sighting = article.model_copy(
            update={
                "urls": urls,
                "cluster_id": outcome.cluster_id,
                "duplicate_of": outcome.merge_into,
                "dedup": outcome.decision,
                "merged_into": MergeTarget(
                    id=outcome.merge_into,
                    story_time=datetime.fromtimestamp(outcome.merge_into_time, UTC),
                ),
            }
        )
        return outcome, sighting

    def _add_urls(self, story_id: str, urls: list[str], now: datetime) -> list[str]:
        """Every URL ``story_id`` is known under after adding ``urls``."""
        key = f"{URLS_PREFIX}:{story_id}"
        current = live_urls(key, self.state.get(key), now, self.config)
        value = merge_urls(current, story_id, urls, now)
        self.state[key] = encode_urls(value)
        return list(value.urls)

    def sweep(self, now: datetime | None = None) -> int:
        """Delete expired entries; returns how many keys went."""
        return sweep(self.state, now or datetime.now(UTC), self.config)
