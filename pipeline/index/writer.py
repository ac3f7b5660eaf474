"""Bulk writes of articles with deterministic ids and external versions.

The id is the article id (from its canonical URL) and the index is chosen from the
year of ``published_at``, so a replay of the same story always lands on the same document.

Index layout (issue 13, 11): one index per *year* of the story time, ``<prefix>-YYYY``,
behind the alias. One index per month made a one-shard index for every month a backfill
touched (86 indices from 190 stories) and met Elasticsearch's 1,000-shard limit; a year
bounds it: a ten-year backfill is 10 indices, ``10 x index_shards x (1 + replicas)``
shards. Monthly indices written before (``<prefix>-YYYY.MM``) stay under the alias and
keep their stories: the writer lists them once (``legacy_indices``) and a story whose
month has one is written there, so a re-indexed old story overwrites its document
instead of becoming a second one in the yearly index; no monthly index is created again. The
external version is the article's ``processed_at`` in milliseconds: a replay or a late
copy carries the same or an older version and is refused by Elasticsearch (a version
conflict, which counts as done), so a document never regresses.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from pipeline.index.template import index_template, lifecycle_policy
from pipeline.sightings import story_of, urls_patch
from wire.clients import elasticsearch_client_options
from wire.models import Article
from wire.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}


def make_client(settings: Settings) -> Elasticsearch:
    return Elasticsearch(
        **elasticsearch_client_options(settings),
        request_timeout=30,
        retry_on_timeout=True,
        max_retries=3,
    )


REFRESH_TIMEOUT_S = 10.0


def story_time(article: Article) -> datetime:
    return article.published_at or article.fetched_at or article.processed_at


def index_for(article: Article, prefix: str, legacy: frozenset[str] = frozenset()) -> str:
    """The index a story is written to: its year's, or its month's where one exists."""
    return index_at(prefix, story_time(article), legacy)


def index_at(prefix: str, when: datetime, legacy: frozenset[str] = frozenset()) -> str:
    month = monthly_index(prefix, when)
    return month if month in legacy else yearly_index(prefix, when)


def yearly_index(prefix: str, when: datetime) -> str:
    return f"{prefix}-{when.astimezone(UTC):%Y}"


def monthly_index(prefix: str, when: datetime) -> str:
    """The layout before yearly indices: still read and written where such an index exists."""
    return f"{prefix}-{when.astimezone(UTC):%Y.%m}"


def is_monthly_index(name: str, prefix: str) -> bool:
    return re.fullmatch(re.escape(prefix) + r"-\d{4}\.\d{2}", name) is not None


class WritesRefused(RuntimeError):
    """Elasticsearch refuses what the roles need (the template, writes to our indices)."""


def _reason(exc: ApiError) -> str:
    """``403 security_exception: action [...] is unauthorized ...`` in one line."""
    error = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
    kind = error.get("type") if isinstance(error, dict) else None
    reason = error.get("reason") if isinstance(error, dict) else None
    text = f"{exc.status_code} {kind}: {reason}" if kind else f"{exc.status_code} {exc.message}"
    return " ".join(text.split())[:400]


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)  # indexed, or already there
    retry: list[int] = field(default_factory=list)  # 429/5xx: try again later
    rejected: list[tuple[int, str]] = field(default_factory=list)  # mapping/parse errors


# A rejected item's reason opens with a kind and a colon, as Elasticsearch's own do
# ("document_parsing_exception: ..."): the kind is the rejections metric's label, so it
# must not carry a story id.
SIGHTING_STORY_REJECTED = "sighting_story_rejected"
SIGHTING_STORY_MISSING = "sighting_story_missing"


def classify(items: list[dict[str, Any]]) -> BulkOutcome:
    """Each item of a bulk response as done, to retry, or rejected (index of the item).

    A merged sighting's URL update finds no story (404) when the story's own index
    operation in the same request did not succeed: it is retried with a story asked to
    retry (a 429 for the story, then a 404 for its update, would otherwise drop the URL
    for good) and rejected with a story that was rejected, so that replaying the dead
    letters brings back both. A 404 for a story of an earlier request means it is not
    indexed (its dead letter is waiting for a replay, or its index was deleted): the
    sighting is a dead letter too, so its URLs come back when the story's letter is
    replayed before it (the dead-letter topic keeps their order).
    """
    outcome = BulkOutcome()
    results = [next(iter(item.items())) for item in items]
    retried: set[str] = set()
    rejected: dict[str, str] = {}
    missing: list[tuple[int, str]] = []
    for i, (op, result) in enumerate(results):
        status = int(result.get("status", 500))
        if status < 300 or (status == 409 and op == "index"):
            outcome.done.append(i)  # 409: the same or a newer version is already there
        elif status == 404 and op == "update":
            missing.append((i, str(result.get("_id"))))
        elif status in RETRY_STATUSES or status == 409:
            outcome.retry.append(i)
            if op == "index":
                retried.add(str(result.get("_id")))
        else:
            reason = _item_reason(result.get("error", {}))
            outcome.rejected.append((i, reason))
            if op == "index":
                rejected[str(result.get("_id"))] = reason
    for i, story in missing:
        if story in retried:
            outcome.retry.append(i)
        elif story in rejected:
            reason = f"its story {story} was rejected: {rejected[story]}"
            outcome.rejected.append((i, f"{SIGHTING_STORY_REJECTED}: {reason}"))
        else:
            reason = (
                f"its story {story} is not indexed (a dead letter not yet replayed, or a"
                " deleted index): replay its letter first"
            )
            outcome.rejected.append((i, f"{SIGHTING_STORY_MISSING}: {reason}"))
    outcome.retry.sort()
    outcome.rejected.sort()
    return outcome


def _item_reason(error: dict[str, Any]) -> str:
    reason = f"{error.get('type')}: {error.get('reason')}"
    if cause := error.get("caused_by"):
        reason += f" (caused by {cause.get('type')}: {cause.get('reason')})"
    return reason


class Writer:
    def __init__(self, settings: Settings, client: Elasticsearch | None = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self._legacy: frozenset[str] | None = None

    def legacy_indices(self) -> frozenset[str]:
        """The monthly indices of the layout before yearly ones (read once, then cached).

        Read from the cluster state's metadata (the writer role's ``monitor`` privilege).
        If they cannot be listed, the writer says so and writes yearly indices only.
        """
        if self._legacy is None:
            prefix = self.settings.index_prefix
            try:
                state = self.client.cluster.state(
                    metric="metadata", index=f"{prefix}-*", filter_path="metadata.indices.*.state"
                )
                names = state.body.get("metadata", {}).get("indices", {})
            except (ApiError, TransportError) as exc:
                log.warning("cannot list monthly indices of %s-*: %s", prefix, exc)
                names = {}
            self._legacy = frozenset(n for n in names if is_monthly_index(n, prefix))
        return self._legacy

    def has_english_analyzer(self) -> bool:
        try:
            self.client.indices.analyze(analyzer="english", text="testing")
        except ApiError as exc:
            if exc.status_code != 403:
                return False
            # A least-privilege writer may not _analyze without an index (that needs the
            # cluster "manage" privilege); "monitor" reads the nodes' modules instead.
            return self._has_module("analysis-common")
        return True

    def _has_module(self, name: str) -> bool:
        try:
            info = self.client.nodes.info(
                node_id="_local", metric="plugins", filter_path="nodes.*.modules.name"
            )
        except ApiError:
            return False
        nodes = info.body.get("nodes", {})
        return any(m.get("name") == name for n in nodes.values() for m in n.get("modules", []))

    def has_ilm(self) -> bool:
        """Full clusters have index lifecycle management; the minimal local node does not."""
        try:
            self.client.ilm.get_status()
        except (ApiError, TransportError):
            return False
        return True

    def setup(self) -> None:
        """Create or upgrade the lifecycle policy and the index template (idempotent).

        Raises :class:`WritesRefused` (one line) when Elasticsearch refuses them (a 403, a
        cluster block) or when our indices are blocked for writes (the flood-stage
        ``read_only_allow_delete``, a ``read_only`` or ``write`` block): a role must not
        start and then fail every bulk.
        """
        try:
            self._setup()
        except ApiError as exc:
            raise WritesRefused(f"Elasticsearch refused the index setup: {_reason(exc)}") from None
        if blocked := self.write_blocks():
            raise WritesRefused(
                "Elasticsearch refuses writes: " + "; ".join(blocked)
                + " (lift the block, e.g. free disk space and reset index.blocks.*)"
            )  # fmt: skip

    def write_blocks(self) -> list[str]:
        """Blocks that refuse writes, on the cluster or on our indices (cluster state)."""
        prefix = self.settings.index_prefix
        try:
            state = self.client.cluster.state(metric="blocks", filter_path="blocks")
        except (ApiError, TransportError) as exc:
            log.warning("cannot read the cluster's blocks: %s", exc)
            return []
        blocks = state.body.get("blocks", {})
        found = [
            f"cluster: {b.get('description', code)}"
            for code, b in blocks.get("global", {}).items()
            if "write" in b.get("levels", [])
        ]
        for index, by_code in blocks.get("indices", {}).items():
            if not index.startswith(prefix + "-"):
                continue
            for code, b in by_code.items():
                if "write" in b.get("levels", []):
                    found.append(f"index {index}: {b.get('description', code)}")
        return found[:5]

    def _setup(self) -> None:
        s = self.settings
        lifecycle = None
        if s.retention_days and self.has_ilm():
            lifecycle = f"{s.index_prefix}-retention"
            self.client.ilm.put_lifecycle(name=lifecycle, policy=lifecycle_policy(s.retention_days))
        body = index_template(
            s.index_prefix,
            s.index_alias,
            self.has_english_analyzer(),
            lifecycle,
            shards=s.index_shards,
            replicas=s.index_replicas,
        )
        self.client.indices.put_index_template(name=f"{s.index_prefix}-articles", **body)

    def create_current_index(self, now: datetime | None = None) -> str | None:
        """Create this year's index ahead of its first story, through the template (idempotent;
        returns its name when this call created it).

        A bulk into a missing index creates it first, which on a node just started takes a
        second or more (the master creates indices one at a time), all of it on the first
        story's way to being searchable. The indexer calls this in the background at start.
        Nothing when a monthly index of the layout before covers this month (it gets the
        writes) or when Elasticsearch refuses (the first bulk then creates it, as before).
        """
        when = now or datetime.now(UTC)
        name = index_at(self.settings.index_prefix, when, self.legacy_indices())
        if name != yearly_index(self.settings.index_prefix, when):
            return None
        try:
            self.client.indices.create(index=name)
        except ApiError as exc:  # "resource_already_exists": another start, or the first bulk
            if "resource_already_exists" not in str(exc):
                log.warning("could not create %s ahead of its first story: %s", name, _reason(exc))
            return None
        except TransportError as exc:
            log.warning("could not create %s ahead of its first story: %s", name, exc)
            return None
        return name

    def bulk(self, articles: list[Article]) -> BulkOutcome:
        return self.send(self.prepare(articles))

    def prepare(self, articles: list[Article]) -> list[dict[str, Any] | bytes]:
        """The bulk body: an action line per article, then its ``_source`` as JSON bytes.

        ``model_dump_json`` serializes in pydantic-core, several times faster than a
        dict through the client's ``json.dumps``; the client sends bytes as they are.
        """
        operations: list[dict[str, Any] | bytes] = []
        indexed_at = f',"indexed_at":"{datetime.now(UTC).isoformat()}"}}'.encode()
        prefix, legacy = self.settings.index_prefix, self.legacy_indices()
        for article in articles:
            if target := article.merged_into:
                # An exact duplicate: its story gets the URLs, nothing new is indexed.
                where = index_at(prefix, target.story_time, legacy)
                operations.append(
                    {"update": {"_index": where, "_id": story_of(article), "retry_on_conflict": 3}}
                )
                operations.append({"doc": urls_patch(article)})
                continue
            operations.append(
                {
                    "index": {
                        "_index": index_for(article, prefix, legacy),
                        "_id": article.id,
                        "version": int(article.processed_at.timestamp() * 1000),
                        "version_type": "external",
                    }
                }
            )
            # An article always dumps to a non-empty object: indexed_at goes before its "}".
            operations.append(article.model_dump_json(exclude_none=True).encode()[:-1] + indexed_at)
        return operations

    def send(self, operations: list[dict[str, Any] | bytes]) -> BulkOutcome:
        """One bulk request; each item classified as done, to retry, or rejected.

        No refresh: the indexer refreshes what it wrote on its own schedule
        (``pipeline.index.refresh``, ``refresh``)."""
        if not operations:
            return BulkOutcome()
        # The NDJSON serializer sends bytes lines as they are; the stubs only know mappings.
        resp = self.client.bulk(operations=operations)  # type: ignore[arg-type]
        return classify(resp["items"])

    def refresh(self, indices: list[str]) -> None:
        """Make what was written to ``indices`` searchable (one request; a missing index is
        no error: it may have been deleted meanwhile). One try of at most ``REFRESH_TIMEOUT_S``:
        the indexer tries a failed refresh again itself, and a stopping indexer must not
        wait out the client's retries on an unreachable cluster."""
        self.client.options(request_timeout=REFRESH_TIMEOUT_S, max_retries=0).indices.refresh(
            index=",".join(indices), ignore_unavailable=True, allow_no_indices=True
        )
