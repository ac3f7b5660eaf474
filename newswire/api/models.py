"""The API's response bodies, so the OpenAPI document says what each answer holds.

Hits and stories are the indexed documents (``wire.models.Article``); the fields a client
relies on are typed here and the rest pass through (``extra="allow"``), so a field added
to the index later reaches clients without an API change.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """Every error: one plain sentence, never a stack trace or Elasticsearch internals."""

    detail: str = Field(description="what went wrong, and the limit where one applies")


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    connector: str | None = None
    domain: str | None = None
    country: str | None = None


class _Document(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    url: str
    kind: str = "article"
    source: Source | None = None
    title: str | None = None
    summary: str | None = None
    lang: str | None = None
    published_at: str | None = Field(default=None, description="ISO 8601, UTC")
    countries: list[str] = Field(default_factory=list)
    focus_countries: list[str] = Field(default_factory=list)
    world_regions: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    cluster_id: str | None = Field(default=None, description="near-duplicate cluster")
    story_id: str | None = Field(default=None, description="same-event story (by_event)")


class StoryHit(_Document):
    """One search result: a story with its syndicated copies collapsed (no body)."""

    score: float | None = Field(default=None, description="relevance; null without a query")
    highlight: dict[str, list[str]] = Field(default_factory=dict)
    outlets: int = Field(description="how many indexed documents ran this story")


class SearchResults(BaseModel):
    total: int = Field(description="documents matching, syndicated copies included")
    stories: int = Field(description="distinct stories (near-duplicate clusters) matching")
    hits: list[StoryHit]
    facets: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="documents per value of each facet field"
    )
    page: int
    size: int


class Story(_Document):
    """One indexed document, body included."""

    body: str = ""


class Health(BaseModel):
    status: str
    elasticsearch: str = Field(description="the cluster's health: green, yellow or red")
    version: str


class Probe(BaseModel):
    status: str
    role: str
    reason: str | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status code answered with a :class:`Problem`."""
    text = {
        400: "Bad request: the message names the problem and the limit",
        401: "No API key, or not a valid one",
        404: "Not found",
        413: "Request body over the limit",
        422: "A parameter failed validation",
        429: "Rate limit exceeded; Retry-After says when to come back",
        503: "Elasticsearch is unavailable",
    }
    return {code: {"model": Problem, "description": text[code]} for code in codes}
