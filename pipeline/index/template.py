"""The ``news-*`` index template, built for what the cluster offers.

The local minimal node has only the ``standard`` analyzer; a full Elasticsearch has the
language analyzers. We detect, never assume: text fields always use ``standard`` and
gain an ``.en`` subfield with the ``english`` analyzer when the cluster has it.
"""

from __future__ import annotations

from typing import Any

from pipeline.index.refresh import BACKSTOP

KEYWORD = {"type": "keyword", "ignore_above": 1024}
DATE = {"type": "date"}


def _text(english: bool, keyword: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "text", "analyzer": "standard"}
    sub: dict[str, Any] = {}
    if english:
        sub["en"] = {"type": "text", "analyzer": "english"}
    if keyword:
        sub["raw"] = {"type": "keyword", "ignore_above": 512}
    if sub:
        field["fields"] = sub
    return field


def article_mappings(english: bool = False) -> dict[str, Any]:
    """Explicit mappings (``dynamic: false``) for every field of the article contract."""
    return {
        "dynamic": False,
        "properties": {
            "id": KEYWORD,
            "url": KEYWORD,
            "urls": KEYWORD,
            "kind": KEYWORD,
            "source": {
                "properties": {
                    "id": KEYWORD,
                    "name": {**KEYWORD, "fields": {"text": {"type": "text"}}},
                    "connector": KEYWORD,
                    "domain": KEYWORD,
                    "country": KEYWORD,
                }
            },
            "title": _text(english, keyword=True),
            # Long bodies stay searchable: text only, never a keyword (32,766-byte limit).
            "body": _text(english),
            "summary": _text(english),
            "lang": KEYWORD,
            "authors": KEYWORD,
            "site_name": KEYWORD,
            "image": {"type": "keyword", "index": False},
            "published_at": DATE,
            "fetched_at": DATE,
            "processed_at": DATE,
            "indexed_at": DATE,
            "updated_at": DATE,  # a revision: changed text at the story's URL (issue 13, 2)
            "revisions": {"type": "integer"},
            "embeds": {
                "type": "object",
                "properties": {
                    "platform": KEYWORD,
                    "url": KEYWORD,
                    "author": KEYWORD,
                    "handle": KEYWORD,
                    "text": {"type": "text"},
                    "posted_at": DATE,
                },
            },
            "related": {"properties": {"title": {"type": "text"}, "url": KEYWORD}},
            "countries": KEYWORD,
            "focus_countries": KEYWORD,
            "subdivisions": KEYWORD,
            "world_regions": KEYWORD,
            "places": {
                "properties": {
                    "name": KEYWORD,
                    "country": KEYWORD,
                    "code": KEYWORD,
                    "location": {"type": "geo_point"},
                    "count": {"type": "integer"},
                }
            },
            "region_evidence": {
                "properties": {
                    "code": KEYWORD,
                    "kind": KEYWORD,
                    "text": KEYWORD,
                    "count": {"type": "integer"},
                }
            },
            "dateline": {
                "properties": {
                    "text": KEYWORD,
                    "place": KEYWORD,
                    "country": KEYWORD,
                    "code": KEYWORD,
                }
            },
            "topics": KEYWORD,
            "topic_scores": {
                "properties": {"topic": KEYWORD, "score": {"type": "float"}},
            },
            "cluster_id": KEYWORD,
            "story_id": KEYWORD,
            "duplicate_of": KEYWORD,
            "dedup": {
                "properties": {
                    "method": KEYWORD,
                    "matched_id": KEYWORD,
                    "similarity": {"type": "float"},
                }
            },
            "extraction": {"properties": {"method": KEYWORD, "version": KEYWORD}},
            "backfill": {"type": "boolean"},
            "social": {
                "properties": {
                    "platform": KEYWORD,
                    "post_id": KEYWORD,
                    "url": KEYWORD,
                    "author": KEYWORD,
                    "handle": KEYWORD,
                    "text": {"type": "text"},
                    "posted_at": DATE,
                    "lang": KEYWORD,
                    # the counts platforms commonly give; others stay in _source only
                    "engagement": {
                        "properties": {
                            name: {"type": "long"}
                            for name in ("likes", "reposts", "replies", "quotes", "views", "score")
                        }
                    },
                    "links": KEYWORD,
                    "reply_to": KEYWORD,
                }
            },
            "linked_from": KEYWORD,
            "merged_into": {"properties": {"id": KEYWORD, "story_time": DATE}},
            "schema_version": {"type": "integer"},
        },
    }


def lifecycle_policy(retention_days: int) -> dict[str, Any]:
    """Delete an index (a year's stories; monthly before) ``retention_days`` after its creation."""
    return {
        "phases": {
            "hot": {"min_age": "0ms", "actions": {}},
            "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
        }
    }


def field_types(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted field path -> mapping type, for object properties and multi-fields alike."""
    out: dict[str, str] = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            out.update(field_types(spec["properties"], path + "."))
            continue
        out[path] = spec["type"]
        for sub, sub_spec in spec.get("fields", {}).items():
            out[f"{path}.{sub}"] = sub_spec["type"]
    return out


def index_template(
    prefix: str,
    alias: str,
    english: bool = False,
    lifecycle: str | None = None,
    *,
    shards: int = 1,
    replicas: int = 0,
) -> dict[str, Any]:
    """``shards``/``replicas`` come from NEWSWIRE_INDEX_SHARDS/REPLICAS: 0 replicas suits
    one node only (a replica cannot sit beside its primary), a cluster wants 1 or more.

    ``refresh_interval`` is a backstop (``pipeline.index.refresh.BACKSTOP``, 30 s): the
    indexer refreshes the indices it writes itself, at once for a fresh story and less often
    in a backlog (``pipeline.index.refresh``); the backstop makes searchable what an indexer
    acknowledged and then died before refreshing. Left to Elasticsearch (1 s), every index
    written refreshed each second whatever the stories' age: with the ~20 yearly indices a
    backfill writes to, about half of Elasticsearch's CPU per story (issue 16)."""
    settings: dict[str, Any] = {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "refresh_interval": BACKSTOP,
    }
    if lifecycle:
        settings["index.lifecycle.name"] = lifecycle
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 200,
        "template": {
            "settings": settings,
            "mappings": article_mappings(english),
            "aliases": {alias: {}},
        },
        "_meta": {"managed_by": "newswire", "english": english, "lifecycle": lifecycle},
    }
