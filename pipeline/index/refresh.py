"""When the indexer refreshes the indices it wrote: soon for a fresh story, less often in a backlog.

A refresh makes an index's new documents searchable; each one that finds new documents
flushes a Lucene segment, 5-15 ms of Elasticsearch's CPU whatever it holds (issue 16,
``bench/bench_es.py --threads``). With Elasticsearch's own 1 s interval every index written
refreshes each second: a backfill (or the benchmark's 20-year corpus) writes to ~20 yearly
indices and pays ~20 refreshes a second, about half of Elasticsearch's CPU per story, even
while the stories it makes searchable have waited in Kafka for many seconds.

So the indexer decides (the template sets only a backstop interval, ``BACKSTOP``, for
documents an indexer acknowledged and then died before refreshing):

- an index written after a quiet spell (not written since its last refresh, which is at
  least ``MIN_INTERVAL_S`` old, or ``FRESH_INTERVAL_S`` for a story fetched less than
  ``FRESH_AGE_S`` ago) is refreshed at once: a story at light load, the first of a start,
  is searchable as soon as its bulk is acknowledged and that refresh returns;
- otherwise no index is refreshed more than once a ``MIN_INTERVAL_S`` (twice for fresh
  stories: at a steady rate a story is then searchable within about a second of its fetch,
  p99 0.8-0.9 s on ``bench_e2e.py --steady`` against 1.3 s with the 1 s interval), and a
  refresh may wait ``AGE_SHARE`` of the age of the youngest story waiting for it (from
  ``fetched_at``), at most ``MAX_DELAY_S``: in a burst, stories that waited 8 s in Kafka
  wait 2 s more at most, and a busy index refreshes every ~2 s rather than every second;
- but once the indexer has written nothing for ``QUIET_S``, nothing is arriving for a
  waiting refresh to share: every index waiting is refreshed (each within its spacing).
  The wait is there to batch a backlog's writes, and the end of a backlog is when its
  last stories would otherwise wait the longest for nothing (``bench_e2e.py``: the last
  story of a 560-page burst searchable 3.7 s after it was indexed, a sixth of the round).

Pure bookkeeping on a monotonic clock; the indexer issues the refreshes
(``pipeline.index.indexer``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

MIN_INTERVAL_S = 1.0
"""An index is refreshed at most once in this many seconds (Elasticsearch's default interval)..."""
FRESH_INTERVAL_S = 0.5
"""...or in this many when a story younger than ``FRESH_AGE_S`` waits for it: at a steady
rate a story is then searchable within about a second of its fetch, refresh included."""
FRESH_AGE_S = 2.0
AGE_SHARE = 0.25
"""A refresh adds at most this share of a story's age (fetched to acknowledged)..."""
MAX_DELAY_S = 5.0
"""...and at most this many seconds..."""
QUIET_S = 0.5
"""...unless the indexer wrote nothing for this many seconds (to any index). In a burst the
indexer settles a bulk every 0.05-0.3 s, so a pause this long is the end of the stories
coming, or a lull upstream."""
BACKSTOP = "30s"
"""The template's ``refresh_interval``: what refreshes an index when no indexer does."""


class RefreshPlan:
    """Which indices are due for a refresh, from the bulks acknowledged and refreshes sent."""

    def __init__(
        self,
        min_interval: float = MIN_INTERVAL_S,
        share: float = AGE_SHARE,
        max_delay: float = MAX_DELAY_S,
        fresh_interval: float = FRESH_INTERVAL_S,
        quiet: float = QUIET_S,
    ) -> None:
        self.min_interval = min_interval
        self.fresh_interval = fresh_interval
        self.share = share
        self.max_delay = max_delay
        self.quiet = quiet
        self._last: dict[str, float] = {}  # index -> when its last refresh was sent
        self._due: dict[str, float] = {}  # index written since its last refresh -> when to send one
        self._earliest: dict[str, float] = {}  # the same indices -> when their spacing allows one
        self._last_write = -math.inf  # when the last bulk was acknowledged

    def written(self, ages: Mapping[str, float], now: float) -> None:
        """A bulk was acknowledged: ``ages`` holds each index it wrote and the age in
        seconds of the youngest story it wrote there."""
        if ages:
            self._last_write = max(self._last_write, now)
        for index, age in ages.items():
            last = self._last.get(index, -math.inf)
            spacing = self.fresh_interval if age < FRESH_AGE_S else self.min_interval
            if index not in self._due and now - last >= spacing:
                due = now  # written after a quiet spell: at once
            else:
                allowance = min(self.max_delay, self.share * max(0.0, age))
                due = max(last + spacing, now + allowance)
            self._due[index] = min(self._due.get(index, math.inf), due)
            self._earliest[index] = min(self._earliest.get(index, math.inf), last + spacing)

    def _when(self, index: str) -> float:
        """When a waiting index is due: its own time, or sooner once the writes stop."""
        quiet_at = max(self._last_write + self.quiet, self._earliest[index])
        return min(self._due[index], quiet_at)

    def due(self, now: float, everything: bool = False) -> list[str]:
        """The indices to refresh now (sorted; every waiting one with ``everything``, as
        when the indexer stops); they count as refreshed at ``now``."""
        ready = sorted(index for index in self._due if everything or self._when(index) <= now)
        for index in ready:
            del self._due[index]
            del self._earliest[index]
            self._last[index] = now
        return ready

    def failed(self, indices: list[str], now: float) -> None:
        """A refresh of ``indices`` sent at some time failed: try again a second from ``now``."""
        for index in indices:
            self._due[index] = min(self._due.get(index, math.inf), now + self.min_interval)
            self._earliest[index] = now + self.min_interval  # not sooner when the writes stop

    def next_due(self) -> float | None:
        """When the next refresh is due (monotonic seconds), or None when nothing waits."""
        return min((self._when(index) for index in self._due), default=None)
