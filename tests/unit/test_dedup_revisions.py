"""Issue 13, finding 2: a shared title is evidence, not a verdict; a changed text at the
same URL is a revision of the story, not a duplicate of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.dedup import DEFAULT_CONFIG, Deduplicator, fingerprint, merge
from pipeline.dedup.measure import merge_probability
from pipeline.dedup.state import decode_version
from tests.unit.test_dedup_corpus import EVENTS, STRIKE
from tests.unit.test_dedup_threshold import earnings_reports
from wire.models import Article, SourceRef, article_id

T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
BRIEFING = "Markets wrap: stocks close the week higher"


def _article(url: str, body: str, title: str, when: datetime, source: str = "paper") -> Article:
    ref = SourceRef(id=source, name=source, connector="rss")
    return Article(
        id=article_id(url), url=url, urls=[url], source=ref, title=title, body=body,
        published_at=when, processed_at=when,
    )  # fmt: skip


def test_same_title_same_source_other_text_is_two_stories() -> None:
    """Two days' market reports under one title (a template, other figures): two stories."""
    dedup = Deduplicator({})
    first, second = earnings_reports(2, seed=11)
    one = dedup.check_article(_article("https://p.example/a", first, BRIEFING, T0), T0)
    later = T0 + timedelta(days=1)
    two = dedup.check_article(_article("https://p.example/b", second, BRIEFING, later), later)
    assert one[1] is not None and two[1] is not None, "the second report was merged away"
    assert two[0].decision.method != "title"
    assert two[1].body == second


def test_same_title_on_one_subject_is_kept_and_at_most_clustered() -> None:
    """The story grew to twice its length under a new URL (exact Jaccard 0.51): kept; it
    joins the first one's cluster only if the ``minhash`` rule says so."""
    dedup = Deduplicator({})
    short, grown = "\n\n".join(STRIKE[:3]), "\n\n".join(STRIKE)
    title = "Dockworkers strike shuts Port Halden"
    first = dedup.check_article(_article("https://p.example/1", short, title, T0), T0)[1]
    outcome, second = dedup.check_article(_article("https://p.example/2", grown, title, T0), T0)
    assert first is not None and second is not None
    assert outcome.decision.method in ("minhash", "new") and second.body == grown


def test_same_title_different_stories_of_one_event_are_not_merged() -> None:
    """Every pair of different stories on one event, published under one title: none merged."""
    for event in EVENTS.values():
        stories = event["original"] + event["others"]
        dedup = Deduplicator({})
        for number, story in enumerate(stories):
            url = f"https://p.example/{number}"
            outcome, _ = dedup.check_article(_article(url, story.body, "Daily briefing", T0), T0)
            assert outcome.indexed, (story.key, outcome.decision)


def test_near_identical_repost_under_the_same_title_is_merged() -> None:
    body = "\n\n".join(STRIKE)
    title = "Dockworkers strike shuts Port Halden"
    dedup = Deduplicator({})
    dedup.check_article(_article("https://p.example/1", body, title, T0), T0)
    repost = body.replace("strike", "walkout", 1)
    outcome, indexed = dedup.check_article(_article("https://p.example/2", repost, title, T0), T0)
    assert indexed is None and outcome.decision.method == "title"
    assert outcome.merge_into == article_id("https://p.example/1")


def test_merge_test_error_is_quantified() -> None:
    """The title rule's sketch test: different texts (J <= 0.7) practically never merge,
    near-identical ones (J >= 0.97) practically always do (exact binomial tails)."""
    threshold = DEFAULT_CONFIG.title_merge_similarity
    assert merge_probability(0.7, threshold) < 1e-6
    assert merge_probability(0.8, threshold) < 0.005
    assert merge_probability(0.97, threshold) > 0.999
    assert merge_probability(1.0, threshold) == pytest.approx(1.0)


URL = "https://paper.example/2025/03/10/port-halden"


def test_changed_text_at_the_same_url_is_a_revision() -> None:
    dedup = Deduplicator({})
    title = "Dockworkers strike shuts Port Halden"
    first_text, corrected = "\n\n".join(STRIKE[:3]), "\n\n".join(STRIKE)
    _, first = dedup.route(_article(URL, first_text, title, T0), T0)
    assert first is not None and first.revisions == 1 and first.updated_at is None

    later = T0 + timedelta(hours=3)
    outcome, second = dedup.route(_article(URL, corrected, title, T0), later)
    assert outcome.decision.method == "revision" and second is not None
    assert second.id == first.id and second.body == corrected
    assert second.revisions == 2 and second.updated_at == later
    assert second.cluster_id == first.cluster_id

    # the same text again (a re-poll, a replay): the same document, the same count
    outcome, again = dedup.route(_article(URL, corrected, title, T0), later + timedelta(hours=1))
    assert outcome.decision.method == "url" and again is not None
    assert again.revisions == 2 and again.updated_at == later

    # the first text redelivered after the correction: nothing emitted, no revision counted
    outcome, stale = dedup.route(_article(URL, first_text, title, T0), later + timedelta(hours=2))
    assert outcome.action == "skip" and stale is None

    third = corrected + "\n\nCorrection: an earlier version misstated the port's name."
    outcome, last = dedup.route(_article(URL, third, title, T0), later + timedelta(hours=3))
    assert last is not None and last.revisions == 3


def test_state_before_versions_reads_as_the_first_text() -> None:
    """A URL entry written before versions existed (three values): no revision invented."""
    dedup = Deduplicator({})
    fp = fingerprint(article_id(URL), URL, "paper", "t", "\n\n".join(STRIKE), T0)
    dedup.state[fp.url_key] = [fp.id, fp.timestamp, int(T0.timestamp())]
    outcome = dedup.check(fp, T0)
    assert outcome.decision.method == "url" and outcome.revision == 1
    assert decode_version(dedup.state[fp.url_key]) is not None


def test_versions_join_in_either_order() -> None:
    """Redelivered or reordered writes of one URL entry end with the latest version."""
    seen = int(T0.timestamp())
    a = ["s", 1, seen, None, None, 1, 0, ["d1"]]
    b = ["s", 1, seen + 1, None, None, 2, 9, ["d1", "d2"]]
    key = "url:x"
    one = merge(key, merge(key, None, a, T0, DEFAULT_CONFIG), b, T0, DEFAULT_CONFIG)
    two = merge(key, merge(key, None, b, T0, DEFAULT_CONFIG), a, T0, DEFAULT_CONFIG)
    assert one == two and decode_version(one) is not None
    assert decode_version(one).revision == 2  # type: ignore[union-attr]
