"""Same-event ``story_id`` at index time, from Elasticsearch itself (issue 18, item 6).

Before each bulk request the indexer hands its new stories (not merged sightings) here:
one multi-search finds, per story, the indexed stories within ``WINDOW`` of its time that
say much the same (``more_like_this`` over title and summary, or the same ``cluster_id``),
and the pure rule (``pipeline.events``) decides which story it joins, also against the
batch's own earlier stories. No faust state: the dedup state stays small.

Stories this indexer wrote in the last ``RECENT_S`` seconds are candidates too, from
memory: the batch still in flight and stories not yet refreshed are invisible to the search
(the indexer refreshes a busy index every few seconds in a backlog, ``pipeline.index.refresh``).
A remembered story the search also found counts once. Races between replicas still cost
recall, never precision: two indexer replicas indexing two reports of one event at once
can give them two story_ids; a wrong merge needs the rule to say yes. If the search fails,
every story keeps its own id (logged) and indexing goes on.

Each story's search names only the indices that can hold its candidates (issue 16): the
years (and the legacy months, where such an index exists) that ``WINDOW`` around its time
touches, as the writer names them (``index_at``): one or two shards answer instead of
every yearly index's (twenty after a twenty-year backfill). Nothing else changes: an index
outside those years holds no story within the window.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from pipeline.events import LEAD_CHARS, THRESHOLD, WINDOW, Report, assign, report, score
from pipeline.index.writer import Writer, make_client, monthly_index, story_time, yearly_index
from wire.models import Article
from wire.settings import Settings

log = logging.getLogger(__name__)

CANDIDATES = 10  # per new story
RECENT_S = 15.0
"""How long a written story is a candidate from memory: longer than a refresh can wait
(``pipeline.index.refresh``: 5 s, then 1 s) and a bulk can take."""
FIELDS = ["id", "title", "summary", "body", "published_at", "fetched_at", "countries",
          "focus_countries", "places", "cluster_id", "story_id"]  # fmt: skip


class EventGrouper:
    """``assign(articles)`` sets ``story_id`` on each new article before it is written."""

    def __init__(
        self,
        client: Elasticsearch,
        prefix: str,
        threshold: float = THRESHOLD,
        *,
        legacy: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.prefix = prefix  # the stories' indices are <prefix>-YYYY (pipeline.index.writer)
        self.legacy = legacy  # the monthly indices of the earlier layout that exist
        self.threshold = threshold
        self._recent: deque[tuple[float, Report]] = deque()  # (when assigned, with its story)

    @classmethod
    def from_settings(cls, settings: Settings) -> EventGrouper:
        client = make_client(settings)
        legacy = Writer(settings, client).legacy_indices()
        return cls(client, settings.index_prefix, legacy=legacy)

    def indices_for(self, article: Article) -> list[str]:
        """The indices that can hold the article's candidates (see :func:`candidate_indices`)."""
        return candidate_indices(self.prefix, story_time(article), self.legacy)

    def assign(self, articles: list[Article]) -> None:
        new = [a for a in articles if a.merged_into is None]
        if not new:
            return
        reports = [report(_fields(a)) for a in new]
        try:
            candidates = self._candidates(new)
        except (ApiError, TransportError) as exc:
            log.warning("story ids: candidate search failed, each story stands alone: %s", exc)
            candidates = {}
        now = time.monotonic()
        while self._recent and self._recent[0][0] < now - RECENT_S:
            self._recent.popleft()
        for r in reports:  # the stories written lately that the search cannot see yet
            found = {c.id for c in candidates.get(r.id, ())}
            recent = [c for _, c in self._recent if c.id not in found and score(r, c) > 0]
            if recent:
                candidates[r.id] = [*candidates.get(r.id, ()), *recent]
        stories = assign(reports, candidates, self.threshold)
        for a, r in zip(new, reports, strict=True):
            a.story_id = stories[a.id]
            self._recent.append((now, dataclasses.replace(r, story_id=a.story_id)))

    def _candidates(self, new: list[Article]) -> dict[str, list[Report]]:
        searches: list[dict[str, Any]] = []
        for a in new:
            # a year with no index yet is no error: it has no candidates
            searches.append({"index": self.indices_for(a), "ignore_unavailable": True,
                             "allow_no_indices": True})  # fmt: skip
            searches.append(candidate_query(a))
        resp = self.client.msearch(searches=searches)
        out: dict[str, list[Report]] = {}
        for a, r in zip(new, resp["responses"], strict=True):
            if "error" in r:
                log.warning("story ids: candidate search for %s failed: %s", a.id, r["error"])
                continue
            out[a.id] = [report(h["_source"]) for h in r["hits"]["hits"]]
        return out


def candidate_indices(
    prefix: str, when: datetime, legacy: frozenset[str] = frozenset()
) -> list[str]:
    """Every index a candidate of a story at ``when`` can be in.

    A candidate has a ``published_at`` within ``WINDOW`` of ``when`` (the query's filter),
    and a story is written to the index of that time (``pipeline.index.writer.index_at``):
    its year's, or its month's where a monthly index of the earlier layout exists. So the
    years the window touches, and those of its months that are in ``legacy``.
    """
    start, end = (when - WINDOW).astimezone(UTC), (when + WINDOW).astimezone(UTC)
    names = [yearly_index(prefix, start.replace(year=y, month=1, day=1))
             for y in range(start.year, end.year + 1)]  # fmt: skip
    month = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month <= end:
        if (name := monthly_index(prefix, month)) in legacy:
            names.append(name)
        month = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    return names


def candidate_query(a: Article) -> dict[str, Any]:
    """Indexed stories within the window that share words of title and lead, or its cluster."""
    when = story_time(a)
    like = " ".join(x for x in (a.title, a.summary or a.body[:LEAD_CHARS]) if x)
    should: list[dict[str, Any]] = [{"more_like_this": {
        "fields": ["title", "summary", "body"], "like": like, "min_term_freq": 1,
        "min_doc_freq": 1, "max_query_terms": 30, "minimum_should_match": "20%",
    }}]  # fmt: skip
    if a.cluster_id:
        should.append({"term": {"cluster_id": {"value": a.cluster_id, "boost": 10}}})
    return {
        "size": CANDIDATES,
        "_source": FIELDS,
        "query": {"bool": {
            "filter": [{"range": {"published_at": {"gte": (when - WINDOW).isoformat(),
                                                   "lte": (when + WINDOW).isoformat()}}}],
            "must_not": [{"ids": {"values": [a.id]}}],
            "should": should,
            "minimum_should_match": 1,
        }},
    }  # fmt: skip


def _fields(a: Article) -> dict[str, Any]:
    return {"id": a.id, "title": a.title, "summary": a.summary, "body": a.body[:LEAD_CHARS],
            "published_at": story_time(a), "countries": a.countries,
            "focus_countries": a.focus_countries, "places": [p.name for p in a.places],
            "cluster_id": a.cluster_id}  # fmt: skip
