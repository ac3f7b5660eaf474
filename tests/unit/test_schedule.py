"""Adaptive scheduling: intervals from config, feed hints and observed rates; backoff."""

from __future__ import annotations

import random
from itertools import pairwise

import feedparser
import pytest

from connectors.sdk.schedule import (
    SchedulePolicy,
    failure_delay,
    feed_interval_hint,
    is_failing,
    next_interval,
    observe,
)

EXACT = SchedulePolicy(jitter=0.0)


def _feed(channel_extra: str) -> object:
    return feedparser.parse(
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>'
        f"{channel_extra}<item><title>a</title><link>https://x.example/a</link></item>"
        "</channel></rss>"
    )


def test_without_observations_the_configured_interval_or_the_feed_hint_rules() -> None:
    assert next_interval(900) == 900
    assert next_interval(900, hint=1800) == 1800
    assert next_interval(900, hint=60) == 225  # never more often than a quarter
    assert next_interval(900, hint=86400) == 3600  # never less often than four times


def test_busy_feeds_are_polled_more_often_and_quiet_feeds_less() -> None:
    busy = next_interval(900, rate=1 / 60)  # a new item every minute
    steady = next_interval(900, rate=1 / 600)
    quiet = next_interval(900, rate=1 / 86400)
    assert busy == 225 and steady == 600 and quiet == 3600
    assert next_interval(900, rate=0.0) == 3600
    # The observed rate outweighs the feed's own guess.
    assert next_interval(900, hint=3600, rate=1 / 300) == 300


def test_bounds_are_configurable() -> None:
    tight = SchedulePolicy(min_factor=0.5, max_factor=2.0, target_items=2.0)
    assert next_interval(100, rate=1.0, policy=tight) == 50
    assert next_interval(100, rate=1 / 70, policy=tight) == pytest.approx(140)
    assert next_interval(100, rate=0.0, policy=tight) == 200


def test_the_rate_is_an_ewma_that_follows_the_feed() -> None:
    policy = SchedulePolicy(alpha=0.5)
    rate = observe(None, 10, 100.0, policy)
    assert rate == pytest.approx(0.1)
    rate = observe(rate, 0, 100.0, policy)
    assert rate == pytest.approx(0.05)
    for _ in range(40):  # the feed went quiet: the rate decays towards zero
        rate = observe(rate, 0, 100.0, policy)
    assert rate < 1e-9
    assert observe(None, 3, 0.0, policy) > 0  # no division by zero


def test_backoff_doubles_up_to_its_cap() -> None:
    delays = [failure_delay("retriable", n, policy=EXACT) for n in range(1, 14)]
    assert delays[:4] == [5, 10, 20, 40]
    assert all(b >= a for a, b in pairwise(delays))
    assert delays[-1] == EXACT.max_backoff
    assert failure_delay("retriable", 10_000, policy=EXACT) == EXACT.max_backoff


def test_backoff_is_jittered_within_bounds() -> None:
    rng = random.Random(3)
    delays = {round(failure_delay("retriable", 3, rng=rng), 6) for _ in range(50)}
    assert len(delays) > 40  # spread, so sources that failed together retry apart
    assert all(20 * 0.8 <= d <= 20 * 1.2 for d in delays)


def test_retry_after_is_honoured_and_bounded() -> None:
    rng = random.Random(1)
    for _ in range(50):
        assert 120 <= failure_delay("retry_after", 1, retry_after=120, rng=rng) <= 144
    assert failure_delay("retry_after", 1, retry_after=0, policy=EXACT) == 1.0
    year = failure_delay("retry_after", 1, retry_after=365 * 86400.0, policy=EXACT)
    assert year == EXACT.max_retry_after


def test_fatal_sources_are_retried_rarely() -> None:
    assert failure_delay("fatal", 1, policy=EXACT) == EXACT.fatal_delay
    assert failure_delay("fatal", 1, policy=EXACT) > failure_delay("retriable", 30, policy=EXACT)


def test_failing_after_n_in_a_row_or_at_once_when_fatal() -> None:
    policy = SchedulePolicy(failing_after=3)
    assert [is_failing(n, False, policy) for n in range(5)] == [False, False, False, True, True]
    assert is_failing(1, True, policy)


def test_feed_hint_from_ttl_and_syndication_module() -> None:
    assert feed_interval_hint(_feed("<ttl>30</ttl>")) == 1800
    hourly_twice = (
        "<sy:updatePeriod> hourly </sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
    )
    assert feed_interval_hint(_feed(hourly_twice)) == 1800
    assert feed_interval_hint(_feed("<sy:updatePeriod>weekly</sy:updatePeriod>")) == 7 * 86400
    assert feed_interval_hint(_feed("<sy:updateFrequency>4</sy:updateFrequency>")) == 21600
    # <ttl> wins over the syndication module.
    assert feed_interval_hint(_feed(f"<ttl>5</ttl>{hourly_twice}")) == 300


@pytest.mark.parametrize(
    "extra",
    [
        "",
        "<ttl>soon</ttl>",
        "<ttl>-5</ttl>",
        "<ttl>0</ttl>",
        "<sy:updatePeriod>fortnightly</sy:updatePeriod>",
        "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>",
        "<sy:updateFrequency>nan</sy:updateFrequency>",
    ],
)
def test_nonsense_hints_are_ignored(extra: str) -> None:
    assert feed_interval_hint(_feed(extra)) is None


def test_hint_of_something_that_is_not_a_feed() -> None:
    assert feed_interval_hint(None) is None
    assert feed_interval_hint(feedparser.parse(b"not xml at all")) is None
