"""Search over the ``news`` alias, collapsed by near-duplicate cluster.

The query language is parsed in ``query.py`` and filter values are resolved in
``filters.py``: both raise ``QueryError`` (a sentence for the user) rather than sending
Elasticsearch something it would refuse or silently match nothing with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from pipeline.index.filters import region_filter, topic_filter
from pipeline.index.query import QueryError, text_query

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` (ago) or an ISO date/time.

    Raises :class:`QueryError` (a ``ValueError``) naming the accepted forms.
    """
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(value.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(
            f"{value!r} is not a time: use 30m, 12h, 7d, 2w (ago) or an ISO date like 2025-03-01"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Filters:
    region: str | None = None
    topic: str | None = None
    source: str | None = None
    lang: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    mentions: bool = False  # region matches any mention, not only the story's focus


def build_query(text: str | None, f: Filters) -> dict[str, Any]:
    """The whole query; raises :class:`QueryError` for bad syntax or unknown filter values."""
    must: list[dict[str, Any]] = []
    parsed = text_query(text or "")
    if parsed:
        must.append(parsed)
    filters: list[dict[str, Any]] = []
    if f.region:
        filters.append(region_filter(f.region, mentions=f.mentions))
    if f.topic:
        filters.append(topic_filter(f.topic))
    if f.source:
        filters.append(
            {"bool": {"should": [{"term": {"source.id": f.source}},
                                 {"term": {"source.domain": f.source}}]}}
        )  # fmt: skip
    if f.lang:
        filters.append({"term": {"lang": f.lang}})
    if f.kind:
        filters.append({"term": {"kind": f.kind}})
    if f.since or f.until:
        rng: dict[str, str] = {}
        if f.since:
            rng["gte"] = f.since.isoformat()
        if f.until:
            rng["lte"] = f.until.isoformat()
        filters.append({"range": {"published_at": rng}})
    return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}


FACETS = {
    "focus_countries": "focus_countries",
    "countries": "countries",
    "world_regions": "world_regions",
    "topics": "topics",
    "sources": "source.name",
    "lang": "lang",
    "kind": "kind",
}
DAY_FACET = "days"  # documents per day of published_at (UTC), newest 31 days with stories


def search(
    client: Elasticsearch,
    index: str,
    text: str | None,
    filters: Filters,
    size: int = 10,
    offset: int = 0,
    facets: bool = False,
    by_event: bool = False,
) -> dict[str, Any]:
    """Hits collapsed by ``cluster_id``; each hit carries how many outlets ran the story.

    With ``by_event``, collapsed by same-event ``story_id`` instead (pipeline.events) and
    ``outlets`` counts the distinct sources that reported the event. With ``facets``,
    counts of documents per value of each facet field come back too.
    """
    group = "story_id" if by_event else "cluster_id"
    aggs: dict[str, Any] = {"clusters": {"cardinality": {"field": group}}}
    if facets:
        aggs.update({name: {"terms": {"field": f, "size": 20}} for name, f in FACETS.items()})
        aggs[DAY_FACET] = {
            "date_histogram": {
                "field": "published_at",
                "calendar_interval": "day",
                "format": "yyyy-MM-dd",
                "min_doc_count": 1,
                "order": {"_key": "desc"},
            }
        }
    query = build_query(text, filters)
    resp = client.search(
        index=index,
        query=query,
        size=size,
        from_=offset,
        collapse={"field": group},
        sort=["_score", {"published_at": {"order": "desc", "unmapped_type": "date"}}]
        if query["bool"]["must"][0] != {"match_all": {}}
        else [{"published_at": {"order": "desc", "unmapped_type": "date"}}],
        aggs=aggs,
        highlight={
            "fields": {"body": {"fragment_size": 160, "number_of_fragments": 1}, "title": {}}
        },
        source_excludes=["body"],
        track_total_hits=True,
    )
    hits = resp["hits"]["hits"]
    clusters = [h["_source"].get(group) for h in hits if h["_source"].get(group)]
    counts: dict[str, int] = {}
    if clusters:
        terms: dict[str, Any] = {"terms": {"field": group, "size": len(clusters)}}
        if by_event:  # outlets: distinct sources, not documents
            terms["aggs"] = {"sources": {"cardinality": {"field": "source.id"}}}
        agg = client.search(
            index=index, size=0, query={"terms": {group: clusters}}, aggs={"c": terms}
        )
        counts = {
            b["key"]: b["sources"]["value"] if by_event else b["doc_count"]
            for b in agg["aggregations"]["c"]["buckets"]
        }
    results = []
    for h in hits:
        src = h["_source"]
        results.append(
            {
                **src,
                "score": h.get("_score"),
                "highlight": h.get("highlight", {}),
                "outlets": counts.get(src.get(group, ""), 1),
            }
        )
    out: dict[str, Any] = {
        "total": resp["hits"]["total"]["value"],
        "stories": int(resp["aggregations"]["clusters"]["value"]),
        "hits": results,
    }
    if facets:
        out["facets"] = {
            name: {b["key"]: b["doc_count"] for b in resp["aggregations"][name]["buckets"]}
            for name in FACETS
        }
        days = resp["aggregations"].get(DAY_FACET, {}).get("buckets", [])[:31]
        out["facets"][DAY_FACET] = {b["key_as_string"]: b["doc_count"] for b in days}
    return out


SHORT_ID = 8  # hex digits of the story id the CLI shows; `newswire show` takes any prefix


def find_story(client: Elasticsearch, index: str, story: str) -> list[dict[str, Any]]:
    """Stories whose id is ``story`` or starts with it (at least 6 hex digits), or whose URL
    is ``story``; more than one means the prefix is ambiguous."""
    story = story.strip()
    if story.startswith(("http://", "https://")):
        query: dict[str, Any] = {"bool": {"should": [
            {"term": {"url": story}}, {"term": {"urls": story}}
        ]}}  # fmt: skip
    elif re.fullmatch(r"[0-9a-f]{6,64}", story.lower()):
        query = {"prefix": {"id": story.lower()}}
    else:
        raise QueryError(f"{story!r} is not a story id (hex, 6 digits at least) or a URL")
    resp = client.search(index=index, query=query, size=5)
    return [h["_source"] for h in resp["hits"]["hits"]]
