"""When to poll a source next: pure functions, no clocks read, no I/O.

The runner asks two questions after every poll and this module answers both:

- after a success, ``next_interval``: the configured interval is the centre; the
  feed's own hint (RSS ``<ttl>``, ``sy:updatePeriod``/``sy:updateFrequency``) replaces
  it as a first guess; once polls have been observed, the rate of new items decides
  (busy feeds are polled more often, quiet feeds less), always within
  ``[interval * min_factor, interval * max_factor]`` so one odd feed cannot run away,
  and the runner spreads it by the policy's ``poll_jitter`` (``spread``);
- after a failure, ``failure_delay``: jittered exponential backoff for passing
  failures, the server's ``Retry-After`` when it gave one, a long wait for fatal ones.

The observed rate is an exponentially weighted moving average (EWMA) of new items per
second, updated by ``observe``; the runner keeps it in the source's saved stats so it
survives a restart.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FailureKind = Literal["retry_after", "retriable", "fatal"]

_PERIODS = {
    "hourly": 3600.0,
    "daily": 86400.0,
    "weekly": 7 * 86400.0,
    "monthly": 30 * 86400.0,
    "yearly": 365 * 86400.0,
}


@dataclass(frozen=True)
class SchedulePolicy:
    """The knobs of adaptive scheduling; the defaults suit news feeds."""

    min_factor: float = 0.25
    """A source is never polled more often than ``interval * min_factor``..."""
    max_factor: float = 4.0
    """...nor less often than ``interval * max_factor`` (while it works)."""
    target_items: float = 1.0
    """New items a poll should find on average: the rate-based interval is
    ``target_items / rate``."""
    alpha: float = 0.3
    """EWMA weight of the newest observation."""
    backoff_base: float = 5.0
    """First retry after a passing failure, in seconds (doubled per failure)."""
    max_backoff: float = 3600.0
    """Longest wait after passing failures, and the cap on a server's Retry-After
    beyond ``max_retry_after``."""
    max_retry_after: float = 86400.0
    """A Retry-After longer than this is taken as this (a typo must not silence a
    source for a year)."""
    fatal_delay: float = 6 * 3600.0
    """A source that cannot work as configured is retried this rarely."""
    jitter: float = 0.2
    """Delays after a failure are spread by +-jitter so sources that failed together do
    not retry together."""
    poll_jitter: float = 0.5
    """Intervals between polls that worked are spread by +-poll_jitter (their mean stays
    the interval): sources started together fall out of step within a poll or two."""
    failing_after: int = 5
    """Consecutive failures after which a source is reported as failing."""


DEFAULT_POLICY = SchedulePolicy()


def observe(rate: float | None, new_items: int, elapsed: float, policy: SchedulePolicy) -> float:
    """The EWMA of new items per second after a poll that found ``new_items`` in the
    ``elapsed`` seconds since the previous successful poll."""
    sample = new_items / max(elapsed, 1e-3)
    if rate is None:
        return sample
    return policy.alpha * sample + (1 - policy.alpha) * rate


def next_interval(
    configured: float,
    *,
    hint: float | None = None,
    rate: float | None = None,
    policy: SchedulePolicy = DEFAULT_POLICY,
) -> float:
    """Seconds until the next poll of a source that just worked.

    ``rate`` is None until at least two polls were seen (the first poll of a feed
    returns its whole backlog, which says nothing about how often it publishes).
    """
    low, high = configured * policy.min_factor, configured * policy.max_factor
    if rate is not None:
        wanted = policy.target_items / rate if rate > 0 else high
    elif hint is not None and hint > 0:
        wanted = hint
    else:
        wanted = configured
    return min(max(wanted, low), high)


def spread(delay: float, jitter: float, rng: random.Random | None = None) -> float:
    """``delay`` spread by +-``jitter`` (a fraction). Without it, sources started together
    with the same interval and rate would poll together for ever, and what they bring
    would reach the processor in bursts instead of a stream."""
    return delay * (rng or random).uniform(1 - jitter, 1 + jitter)


def failure_delay(
    kind: FailureKind,
    consecutive_failures: int,
    *,
    retry_after: float | None = None,
    policy: SchedulePolicy = DEFAULT_POLICY,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next try of a source whose last ``consecutive_failures``
    polls failed (counting the one that just failed, so at least 1)."""
    if kind == "retry_after" and retry_after is not None:
        # The server said when; no jitter below its word, a little above it.
        wait = min(max(retry_after, 1.0), policy.max_retry_after)
        return max(wait, spread(wait, policy.jitter, rng))
    if kind == "fatal":
        return spread(policy.fatal_delay, policy.jitter, rng)
    exponent = min(max(consecutive_failures, 1) - 1, 30)
    return spread(min(policy.max_backoff, policy.backoff_base * 2.0**exponent), policy.jitter, rng)


def is_failing(consecutive_failures: int, fatal: bool, policy: SchedulePolicy) -> bool:
    """A source is reported as failing when it cannot work as configured, or when it
    failed ``failing_after`` times in a row."""
    return fatal or consecutive_failures >= policy.failing_after


def feed_interval_hint(parsed: Any) -> float | None:
    """Seconds between polls a feed suggests, from a feedparser result (or any object
    whose ``feed`` is a mapping of its channel elements).

    ``<ttl>`` (minutes the feed may be cached) wins; otherwise ``sy:updatePeriod``
    divided by ``sy:updateFrequency`` (RSS 1.0 syndication module; the period defaults
    to daily and the frequency to 1 when only one of them is given). Values that make
    no sense give None rather than an error: a hint is never worth failing a poll.
    """
    feed = getattr(parsed, "feed", None)
    if not isinstance(feed, Mapping):
        return None
    ttl = _positive_number(feed.get("ttl"))
    if ttl is not None:
        return ttl * 60.0
    period_name = feed.get("sy_updateperiod")
    frequency_text = feed.get("sy_updatefrequency")
    if period_name is None and frequency_text is None:
        return None
    period = _PERIODS.get(str(period_name or "daily").strip().lower())
    frequency = _positive_number(frequency_text) if frequency_text is not None else 1.0
    if period is None or frequency is None:
        return None
    return period / frequency


def _positive_number(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    if number != number or number <= 0 or number == float("inf"):  # NaN, <= 0, inf
        return None
    return number
