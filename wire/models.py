"""Data that crosses a process boundary: raw items, articles, dead letters.

These models are the wire contract of the Kafka topics (see docs/architecture.md).
Every value carries ``schema_version`` so a consumer can refuse or upgrade what it
does not understand. Datetimes are always timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

# The MAJOR version of each record's schema. It changes only when a field is renamed,
# retyped, removed or changes meaning; adding an optional field keeps it (a "minor"
# change: older consumers read the record and ignore what they do not know).
RAW_SCHEMA_VERSION = 1
ARTICLE_SCHEMA_VERSION = 1
DEAD_LETTER_SCHEMA_VERSION = 1

log = logging.getLogger(__name__)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def utcnow() -> datetime:
    return datetime.now(UTC)


def article_id(canonical_url: str) -> str:
    """Deterministic story id: a replay of the same story rewrites the same document."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode("utf-8")

    @classmethod
    def from_json_bytes(cls, data: bytes | str) -> Any:
        return cls.model_validate_json(data)


_M = TypeVar("_M", bound=_Model)
_VERSION = re.compile(r"\s*(\d+)(?:\.\d+)*\s*")
_unknown_seen: set[tuple[str, str]] = set()
_JSON_OBJECT = TypeAdapter(dict[str, Any])


class SchemaVersionError(ValueError):
    """A record whose ``schema_version`` this consumer cannot read (not a number, or
    older than any major it knows). The record becomes a dead letter, never half-read."""


class SchemaTooNew(SchemaVersionError):
    """A record from a newer major version of its schema: upgrade the consumer, then
    replay the dead letter (``newswire dlq replay``)."""


def check_schema(model: type[_Model], fields: dict[str, Any]) -> int:
    """Refuse a record of a major version ``model`` does not read; note unknown fields;
    return the record's major version (``"1.3"`` is major 1: a producer may say more).

    Consumers read every record of their own major version: unknown top-level fields
    (a newer minor version's additions) are ignored, and logged once per field and
    process so it is not silent. A newer major raises :class:`SchemaTooNew` before any
    field is read. A record without ``schema_version`` is of the first major version.
    """
    ours = int(model.model_fields["schema_version"].default)
    given = fields.get("schema_version", ours)
    match = None if isinstance(given, bool) else _VERSION.fullmatch(str(given))
    if match is None:
        raise SchemaVersionError(f"{model.__name__} schema_version {given!r} is not a version")
    major = int(match.group(1))
    if major > ours:
        raise SchemaTooNew(
            f"{model.__name__} schema {given} is newer than this consumer's {ours}.x:"
            " upgrade the consumer, then replay this dead letter"
        )
    if major < ours:
        raise SchemaVersionError(
            f"{model.__name__} schema {given} is older than this consumer's {ours}.x"
            " and no upgrade for it exists"
        )
    known = set(model.model_fields)
    for name in fields.keys() - known:
        if (model.__name__, name) not in _unknown_seen:
            _unknown_seen.add((model.__name__, name))
            log.warning(
                "%s records carry a field this consumer does not know (ignored): %s",
                model.__name__, name,
            )  # fmt: skip
    return major


def read_record(model: type[_M], data: bytes | str) -> _M:
    """One Kafka value as ``model``, after :func:`check_schema`: how every consumer
    decodes what it reads (the processor's two stages and the indexer)."""
    try:
        fields = _JSON_OBJECT.validate_json(data)  # pydantic's parser: json.loads is 4x slower
    except ValidationError:  # not a JSON object: the model says so in its usual words
        return model.model_validate_json(data)
    fields["schema_version"] = check_schema(model, fields)
    return model.model_validate(fields)


def letter_id(
    stage: str, topic: str | None, key: str | None, error_class: str, payload: str
) -> str:
    """A dead letter's stable id: the same failure of the same item is the same letter.

    The item's key (raw item key, article id), stage, topic and error class; the payload
    counts only where the key does not name one item (no key, or a connector's letter
    keyed by source id). A crash and re-poll that letters an item twice gives two
    letters with one id, which a replay re-drives once.
    """
    parts = [stage, topic or "", error_class, "" if key is None else f"key:{key}"]
    if key is None or stage == "connector":
        parts.append(hashlib.sha256(payload.encode("utf-8", "replace")).hexdigest())
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:32]


class SourceRef(_Model):
    """Where an item came from: the configured source, not the story's subject."""

    id: str
    name: str
    connector: str
    domain: str | None = None
    country: str | None = Field(default=None, description="publisher's ISO 3166-1 alpha-2")


Kind = Literal["article", "social_post"]


class SocialPost(_Model):
    """What a social connector knows about a post (``RawItem.kind == "social_post"``).

    ``text`` is the post's plain text (markup stripped); ``links`` are the outbound URLs
    it contains (resolved where the platform gives them, e.g. t.co expansions), which a
    source can ask the runner to follow so the post brings in the story it points to.
    """

    platform: str = Field(description="mastodon, bluesky, telegram, reddit, x")
    post_id: str
    url: str
    author: str | None = None
    handle: str | None = None
    text: str = ""
    posted_at: UtcDatetime | None = None
    lang: str | None = None
    engagement: dict[str, int] = Field(
        default_factory=dict,
        description="counts the platform gives: likes, reposts, replies, quotes, views, score",
    )
    links: list[str] = Field(default_factory=list)
    reply_to: str | None = Field(default=None, description="URL or id of the parent post")


class RawItem(_Model):
    """What a connector emits to ``news.raw``: as fetched, never cleaned.

    At least one of ``html``, ``content`` or ``summary`` is required: raw HTML is
    preferred, because it makes the story replayable through a better cleaner later.
    """

    schema_version: int = RAW_SCHEMA_VERSION
    key: str = Field(description="stable item key: normalized URL or platform id")
    url: str
    kind: Kind = "article"
    source: SourceRef
    title: str | None = None
    html: str | None = None
    content: str | None = None
    summary: str | None = None
    authors: list[str] = Field(default_factory=list)
    published_at: UtcDatetime | None = None
    fetched_at: UtcDatetime = Field(default_factory=utcnow)
    lang: str | None = None
    backfill: bool = False
    social: SocialPost | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_text(self) -> RawItem:
        if not (self.html or self.content or self.summary):
            raise ValueError("a raw item needs at least one of html, content or summary")
        if self.kind == "social_post" and self.social is None:
            raise ValueError("a social_post raw item needs its `social` object")
        return self


class Embed(_Model):
    platform: str
    url: str | None = None
    author: str | None = None
    handle: str | None = None
    text: str | None = None
    posted_at: UtcDatetime | None = None


class RelatedLink(_Model):
    title: str
    url: str | None = None


class Place(_Model):
    name: str
    country: str | None = None
    code: str | None = None
    location: dict[str, float] | None = None  # {"lat": .., "lon": ..}: a geo_point
    count: int = 1


class RegionEvidence(_Model):
    """Why a region tag is there: one form the story used, how it was read, how often.

    ``code`` is the tag it supports (ISO 3166-1 for a country, ISO 3166-2 for a subdivision, whose
    rows also explain its country); ``kind`` is ``name``, ``demonym``, ``dateline``,
    ``subdivision``, ``city``, ``capital``, ``org`` or ``metonym``."""

    code: str
    kind: str
    text: str
    count: int = 1


class Dateline(_Model):
    """The wire dateline cut from the lede ("KABUL, Dec 5 (Reuters) -") and the place it names."""

    text: str
    place: str | None = None
    country: str | None = None
    code: str | None = None


class TopicScore(_Model):
    topic: str
    score: float


class Extraction(_Model):
    method: str
    version: str | None = None


class DedupDecision(_Model):
    method: str
    matched_id: str | None = None
    similarity: float | None = None


class MergeTarget(_Model):
    """The indexed story an exact duplicate was merged into."""

    id: str
    story_time: UtcDatetime = Field(description="its published (else fetched) time")


class Article(_Model):
    """A clean story: the value of ``news.articles`` and the Elasticsearch ``_source``.

    Field names are a contract read by Kibana, the CLI, the REST API and outside checks.
    """

    schema_version: int = ARTICLE_SCHEMA_VERSION
    id: str
    url: str
    urls: list[str] = Field(default_factory=list)
    kind: Kind = "article"
    source: SourceRef
    title: str | None = None
    body: str = ""
    summary: str | None = None
    lang: str | None = None
    authors: list[str] = Field(default_factory=list)
    site_name: str | None = None
    image: str | None = None
    published_at: UtcDatetime | None = None
    fetched_at: UtcDatetime | None = None
    processed_at: UtcDatetime = Field(default_factory=utcnow)
    updated_at: UtcDatetime | None = Field(
        default=None, description="when a changed text at the story's URL was last processed"
    )
    revisions: int = Field(default=1, description="how many texts were seen at its URL")
    embeds: list[Embed] = Field(default_factory=list)
    related: list[RelatedLink] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    focus_countries: list[str] = Field(default_factory=list)
    subdivisions: list[str] = Field(default_factory=list)
    world_regions: list[str] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    region_evidence: list[RegionEvidence] = Field(default_factory=list)
    dateline: Dateline | None = None
    topics: list[str] = Field(default_factory=list)
    topic_scores: list[TopicScore] = Field(default_factory=list)
    cluster_id: str | None = None
    story_id: str | None = Field(
        default=None,
        description="same-event story: different outlets' reports of one event (pipeline.events)",
    )
    duplicate_of: str | None = None
    dedup: DedupDecision | None = None
    extraction: Extraction | None = None
    backfill: bool = False
    social: SocialPost | None = None
    linked_from: str | None = Field(
        default=None, description="the social post whose link brought this article in"
    )
    merged_into: MergeTarget | None = Field(
        default=None,
        description=(
            "set only on a merged sighting (an exact duplicate): consumers do not index it,"
            " they add its `urls` (every URL the story is known under) to that story"
        ),
    )


Stage = Literal[
    "connector", "processor", "indexer", "alerts"
]  # alerts: a webhook that kept failing


class DeadLetter(_Model):
    """An item a stage could not handle, kept with the reason so it can be replayed."""

    schema_version: int = DEAD_LETTER_SCHEMA_VERSION
    id: str = Field(default="", description="stable letter id (letter_id); set when empty")
    stage: Stage
    error_class: str
    message: str
    time: UtcDatetime = Field(default_factory=utcnow)
    topic: str | None = None
    key: str | None = None
    partition: int | None = None
    offset: int | None = None
    payload: str = Field(description="the original value, decoded as UTF-8 with replacement")

    @model_validator(mode="after")
    def _stable_id(self) -> DeadLetter:
        """Letters written before ids existed get the same id a new one would carry."""
        if not self.id:
            self.id = letter_id(self.stage, self.topic, self.key, self.error_class, self.payload)
        return self

    @classmethod
    def for_error(
        cls,
        stage: Stage,
        error: BaseException,
        payload: bytes | str | None,
        **where: Any,
    ) -> DeadLetter:
        if isinstance(payload, bytes):
            text = payload.decode("utf-8", errors="replace")
        else:
            text = payload or ""
        return cls(
            stage=stage,
            error_class=type(error).__name__,
            message=str(error)[:2000] or type(error).__name__,
            payload=text,
            **where,
        )
