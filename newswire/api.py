"""The REST API (``newswire api``): search with the CLI's filters, facets and pagination.

FastAPI serves the OpenAPI description at ``/openapi.json`` and interactive docs at ``/docs``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse

from newswire import __version__
from pipeline.index.search import Filters, parse_when, search
from pipeline.index.writer import make_client
from wire.settings import Settings, get_settings


def create_app(settings: Settings | None = None, client: Elasticsearch | None = None) -> FastAPI:
    settings = settings or get_settings()
    es = client or make_client(settings)
    app = FastAPI(
        title="newswire",
        version=__version__,
        description="Search deduplicated, region- and topic-tagged news stories.",
    )

    def _when(value: str | None, name: str) -> datetime | None:
        if not value:
            return None
        try:
            return parse_when(value)
        except ValueError as exc:
            raise HTTPException(422, f"{name}: expected 7d, 12h or an ISO date") from exc

    @app.get("/search", summary="Search stories, syndicated copies collapsed")
    def search_stories(
        q: Annotated[str | None, Query(description="Words in title, summary and body")] = None,
        region: Annotated[
            str | None, Query(description="Country (AF), subdivision (AF-BDS) or world region")
        ] = None,
        topic: Annotated[str | None, Query(description="Topic slug, e.g. diplomacy")] = None,
        source: Annotated[str | None, Query(description="Source id or domain")] = None,
        lang: Annotated[str | None, Query(description="ISO 639-1 language")] = None,
        kind: Annotated[Literal["article", "social_post"] | None, Query()] = None,
        since: Annotated[str | None, Query(description="7d, 12h or an ISO date")] = None,
        until: Annotated[str | None, Query(description="7d, 12h or an ISO date")] = None,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 10,
        facets: Annotated[bool, Query(description="Include facet counts")] = True,
    ) -> dict[str, Any]:
        filters = Filters(
            region=region,
            topic=topic,
            source=source,
            lang=lang,
            kind=kind,
            since=_when(since, "since"),
            until=_when(until, "until"),
        )
        try:
            result = search(
                es, settings.index_alias, q, filters,
                size=size, offset=(page - 1) * size, facets=facets,
            )  # fmt: skip
        except NotFoundError:
            result = {"total": 0, "stories": 0, "hits": [], "facets": {}}
        except (ApiError, TransportError) as exc:
            raise HTTPException(503, f"search is unavailable: {exc}") from exc
        return {**result, "page": page, "size": size}

    @app.get("/stories/{story_id}", summary="One story by id")
    def get_story(story_id: str) -> dict[str, Any]:
        try:
            resp = es.search(
                index=settings.index_alias, query={"ids": {"values": [story_id]}}, size=1
            )
        except (ApiError, TransportError) as exc:
            raise HTTPException(503, f"search is unavailable: {exc}") from exc
        hits = resp["hits"]["hits"]
        if not hits:
            raise HTTPException(404, f"no story {story_id}")
        return dict(hits[0]["_source"])

    @app.get("/health", summary="Is Elasticsearch reachable?")
    def health() -> dict[str, Any]:
        try:
            status = es.cluster.health()["status"]
        except (ApiError, TransportError) as exc:
            raise HTTPException(503, f"Elasticsearch: {exc}") from exc
        return {"status": "ok", "elasticsearch": status, "version": __version__}

    # Probes (no API key: an orchestrator has none): the same contract as the roles'
    # side door (newswire.observability), on the API's own port.
    @app.get("/healthz", summary="Liveness: the process answers", tags=["probes"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "role": "api"}

    @app.get("/readyz", summary="Readiness: Elasticsearch answers", tags=["probes"])
    def readyz() -> JSONResponse:
        try:
            up = es.options(request_timeout=3, max_retries=0).ping()
        except Exception:  # ping() reports most failures as False; the rest here
            up = False
        if up:
            return JSONResponse({"status": "ok", "role": "api"})
        reason = f"elasticsearch: no answer from {settings.elasticsearch_url}"
        return JSONResponse({"status": "fail", "role": "api", "reason": reason}, 503)

    return app
