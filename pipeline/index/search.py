"""Search over the ``news`` alias, collapsed by near-duplicate cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` (ago) or an ISO date/time."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(value.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    parsed = datetime.fromisoformat(value)
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


def build_query(text: str | None, f: Filters) -> dict[str, Any]:
    must: list[dict[str, Any]] = []
    if text:
        must.append(
            {
                "multi_match": {
                    "query": text,
                    "fields": ["title^3", "summary^2", "body"],
                    "type": "best_fields",
                }
            }
        )
    filters: list[dict[str, Any]] = []
    if f.region:
        code = f.region.strip()
        if len(code) == 2:
            filters.append({"term": {"countries": code.upper()}})
        elif "-" in code and len(code) <= 6:
            filters.append({"term": {"subdivisions": code.upper()}})
        else:
            filters.append({"term": {"world_regions": code}})
    if f.topic:
        filters.append({"term": {"topics": f.topic}})
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


def search(
    client: Elasticsearch,
    index: str,
    text: str | None,
    filters: Filters,
    size: int = 10,
    offset: int = 0,
    facets: bool = False,
) -> dict[str, Any]:
    """Hits collapsed by ``cluster_id``; each hit carries how many outlets ran the story.

    With ``facets``, counts of documents per value of each facet field come back too.
    """
    aggs: dict[str, Any] = {"clusters": {"cardinality": {"field": "cluster_id"}}}
    if facets:
        aggs.update({name: {"terms": {"field": f, "size": 20}} for name, f in FACETS.items()})
    resp = client.search(
        index=index,
        query=build_query(text, filters),
        size=size,
        from_=offset,
        collapse={"field": "cluster_id"},
        sort=["_score", {"published_at": {"order": "desc", "unmapped_type": "date"}}]
        if text
        else [{"published_at": {"order": "desc", "unmapped_type": "date"}}],
        aggs=aggs,
        highlight={
            "fields": {"body": {"fragment_size": 160, "number_of_fragments": 1}, "title": {}}
        },
        source_excludes=["body"],
        track_total_hits=True,
    )
    hits = resp["hits"]["hits"]
    clusters = [h["_source"].get("cluster_id") for h in hits if h["_source"].get("cluster_id")]
    counts: dict[str, int] = {}
    if clusters:
        agg = client.search(
            index=index,
            size=0,
            query={"terms": {"cluster_id": clusters}},
            aggs={"c": {"terms": {"field": "cluster_id", "size": len(clusters)}}},
        )
        counts = {b["key"]: b["doc_count"] for b in agg["aggregations"]["c"]["buckets"]}
    results = []
    for h in hits:
        src = h["_source"]
        results.append(
            {
                **src,
                "score": h.get("_score"),
                "highlight": h.get("highlight", {}),
                "outlets": counts.get(src.get("cluster_id", ""), 1),
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
    return out
