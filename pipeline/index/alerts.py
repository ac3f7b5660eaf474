"""Alerts on saved searches: Elasticsearch's percolator, on the indexer's path.

An alert is a saved search (the query language and filters of ``newswire search``) and a
webhook. Definitions live in Elasticsearch, in ``<prefix>-alerts``, whose ``query`` field is
a percolator over the stories' own mappings, so every indexer replica sees every alert and
none keeps state of its own. After a bulk request is acknowledged the indexer hands the
new stories to :class:`AlertHook`, which percolates them in one request (``documents``:
the batch), claims each (alert, story) pair by creating ``<alert>:<story>`` in
``<prefix>-alert-deliveries`` (``op_type=create``: a re-index, a replay or a second
replica finds it there and does not fire again), and queues the claimed pairs for the
webhook sender (``pipeline.index.webhooks``).

Where the cluster has no percolator module (the minimal local node of ``newswire stack``),
the alerts index stores the compiled queries as data and the hook runs them as one
multi-search over the batch's ids instead: the same result, a search per alert per batch.

Both indices are hidden and get their own template (priority above the stories'), so they
never join the ``news`` alias nor match Kibana's ``news*`` data view.

Delivery is at most once per story per alert: the claim comes before the POST, so a crash
between the two loses that notification; a webhook that keeps failing gets a dead letter
(stage ``alerts``) instead. Stories indexed before an alert was added do not fire it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError

from pipeline.index.search import Filters, build_query
from pipeline.index.template import article_mappings
from wire.models import Article

log = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0  # how long "there are no alerts" is believed before asking again
MAX_ALERTS = 10_000


def alerts_index(prefix: str) -> str:
    return f"{prefix}-alerts"


def deliveries_index(prefix: str) -> str:
    return f"{prefix}-alert-deliveries"


@dataclass(frozen=True)
class Alert:
    name: str
    query: str
    webhook: str
    region: str | None = None
    mentions: bool = False
    topic: str | None = None
    source: str | None = None
    lang: str | None = None

    def filters(self) -> Filters:
        return Filters(
            region=self.region,
            topic=self.topic,
            source=self.source,
            lang=self.lang,
            mentions=self.mentions,
        )

    def to_doc(self) -> dict[str, Any]:
        """The percolator document: the compiled query beside the definition it came from.

        ``build_query`` raises ``QueryError`` on bad syntax or an unknown filter value,
        so a bad alert is refused when it is added, not when stories arrive."""
        return {
            "query": build_query(self.query or None, self.filters()),
            "alert": {
                "name": self.name,
                "query": self.query,
                "webhook": self.webhook,
                "region": self.region,
                "mentions": self.mentions,
                "topic": self.topic,
                "source": self.source,
                "lang": self.lang,
                "created_at": datetime.now(UTC).isoformat(),
            },
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Alert:
        a = doc["alert"]
        return cls(**{k: a.get(k) for k in cls.__dataclass_fields__ if k in a})


def alerts_template(prefix: str) -> dict[str, Any]:
    """Hidden indices, one shard, no alias; the alerts' mapping carries the stories' fields
    (a percolator query can only name mapped fields)."""
    return {
        "index_patterns": [alerts_index(prefix), deliveries_index(prefix)],
        "priority": 500,  # above the stories' template, whose pattern <prefix>-* matches too
        "template": {
            "settings": {"number_of_shards": 1, "index.hidden": True, "refresh_interval": "1s"}
        },
        "_meta": {"managed_by": "newswire"},
    }


def _alerts_mappings(percolator: bool = True) -> dict[str, Any]:
    stories = article_mappings(english=False)
    query = {"type": "percolator"} if percolator else {"type": "object", "enabled": False}
    return {
        "dynamic": False,
        "properties": {
            **stories["properties"],
            "query": query,
            "alert": {"type": "object", "enabled": False},
        },
    }


_DELIVERIES_MAPPINGS = {
    "dynamic": False,
    "properties": {
        "alert": {"type": "keyword"},
        "story": {"type": "keyword"},
        "time": {"type": "date"},
    },
}


class AlertStore:
    """Add, list, remove alerts; create the indices on first use (idempotent)."""

    def __init__(self, client: Elasticsearch, prefix: str, stories: str | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self.stories = stories or prefix  # the alias the stories are read through
        self.index = alerts_index(prefix)
        self.deliveries = deliveries_index(prefix)
        self._percolates: bool | None = None

    def setup(self) -> None:
        self.client.indices.put_index_template(
            name=f"{self.prefix}-alerts", **alerts_template(self.prefix)
        )
        wanted = ((self.index, _alerts_mappings()), (self.deliveries, _DELIVERIES_MAPPINGS))
        for index, mappings in wanted:
            if not self.client.indices.exists(index=index):
                try:
                    self.client.indices.create(index=index, mappings=mappings)
                except ApiError as exc:
                    if "resource_already_exists" in str(exc):  # another process was first
                        continue
                    if index != self.index or "[percolator]" not in str(exc):
                        raise
                    # A node without the percolator module (the minimal local one): the
                    # queries are stored as data and run against each batch instead.
                    self.client.indices.create(index=index, mappings=_alerts_mappings(False))

    def percolates(self) -> bool:
        """Does the alerts index hold percolator queries (else: stored queries, searched)?"""
        if self._percolates is None:
            mapping = self.client.indices.get_mapping(index=self.index)
            props = next(iter(mapping.values()))["mappings"].get("properties", {})
            self._percolates = props.get("query", {}).get("type") == "percolator"
        return self._percolates

    def add(self, alert: Alert) -> None:
        self.setup()
        self.client.index(index=self.index, id=alert.name, document=alert.to_doc(), refresh=True)

    def remove(self, name: str) -> bool:
        try:
            self.client.delete(index=self.index, id=name, refresh=True)
        except NotFoundError:
            return False
        return True

    def get(self, name: str) -> Alert | None:
        try:
            return Alert.from_doc(self.client.get(index=self.index, id=name)["_source"])
        except NotFoundError:
            return None

    def all(self) -> list[Alert]:
        try:
            resp = self.client.search(
                index=self.index, size=MAX_ALERTS, source_includes=["alert"], sort=["_doc"]
            )
        except NotFoundError:
            return []
        return sorted(
            (Alert.from_doc(h["_source"]) for h in resp["hits"]["hits"]), key=lambda a: a.name
        )

    def count(self) -> int:
        try:
            return int(self.client.count(index=self.index)["count"])
        except NotFoundError:
            return 0

    def match(self, docs: list[dict[str, Any]]) -> list[tuple[Alert, int]]:
        """(alert, index into ``docs``) for every alert each document matches: one request."""
        if not docs:
            return []
        if not self.percolates():
            return self._search_match(docs)
        resp = self.client.search(
            index=self.index,
            query={"percolate": {"field": "query", "documents": docs}},
            size=MAX_ALERTS,
            source_includes=["alert"],
        )
        out: list[tuple[Alert, int]] = []
        for hit in resp["hits"]["hits"]:
            alert = Alert.from_doc(hit["_source"])
            slots = hit.get("fields", {}).get("_percolator_document_slot", [0])
            out.extend((alert, int(slot)) for slot in slots)
        return out

    def _search_match(self, docs: list[dict[str, Any]]) -> list[tuple[Alert, int]]:
        """Without the percolator: every alert's query over the batch's own ids, in one
        multi-search against the stories (refreshed first: the bulk did not wait for it).
        Costs a search per alert per batch, where percolation costs one per batch."""
        stored = self.client.search(
            index=self.index, size=MAX_ALERTS, source_includes=["alert", "query"]
        )["hits"]["hits"]
        if not stored:
            return []
        slot = {d["id"]: i for i, d in enumerate(docs)}
        ids = {"ids": {"values": list(slot)}}
        self.client.indices.refresh(index=self.stories)
        searches: list[dict[str, Any]] = []
        for hit in stored:
            query = {"bool": {"filter": [ids], "must": [hit["_source"]["query"]]}}
            searches += [
                {"index": self.stories},
                {"query": query, "size": len(slot), "_source": False},
            ]
        resp = self.client.msearch(searches=searches)
        out: list[tuple[Alert, int]] = []
        for hit, answer in zip(stored, resp["responses"], strict=True):
            alert = Alert.from_doc(hit["_source"])
            for found in answer.get("hits", {}).get("hits", []):
                if found["_id"] in slot:
                    out.append((alert, slot[found["_id"]]))
        return out

    def claim(self, pairs: list[tuple[str, str]]) -> list[bool]:
        """Create a delivery record per (alert, story); True where this call created it."""
        if not pairs:
            return []
        now = datetime.now(UTC).isoformat()
        ops: list[dict[str, Any]] = []
        for alert, story in pairs:
            ops.append({"create": {"_index": self.deliveries, "_id": f"{alert}:{story}"}})
            ops.append({"alert": alert, "story": story, "time": now})
        resp = self.client.bulk(operations=ops, refresh=False)
        return [int(next(iter(i.values())).get("status", 500)) < 300 for i in resp["items"]]


class AlertHook:
    """Called by the indexer with the stories a bulk request just indexed."""

    def __init__(self, store: AlertStore, send: Any, close: Any = None) -> None:
        self.store = store
        self.send = send  # callable(alert, story document) -> None; queues a webhook POST
        self._close = close
        self._none_until = 0.0

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def indexed(self, articles: list[Article]) -> int:
        """Percolate, claim and queue; returns how many notifications were queued.

        Never raises: an alert failure must not stop indexing (it is logged)."""
        if not articles or time.monotonic() < self._none_until:
            return 0
        try:
            if self.store.count() == 0:
                self._none_until = time.monotonic() + RECHECK_SECONDS
                return 0
            docs = [a.model_dump(mode="json", exclude_none=True) for a in articles]
            matches = self.store.match(docs)
            pairs = [(alert.name, docs[slot]["id"]) for alert, slot in matches]
            created = self.store.claim(pairs)
        except Exception:
            log.exception("alerts: percolating %d stories failed", len(articles))
            return 0
        queued = 0
        for (alert, slot), fresh in zip(matches, created, strict=True):
            if fresh:
                self.send(alert, docs[slot])
                queued += 1
        return queued
