"""The app factory: routes, and the layers around them (CORS, the guard, error handlers).

Layers, outermost first: CORS (so a browser can read even a 401 or 429, and preflights
need no key), the guard (body size, API key, loopback-only mode, rate limit), the
routes, and the exception handlers that turn every failure into a plain sentence.
"""

# No `from __future__ import annotations`: the routes' parameter annotations name
# this factory's locals (the limits), which FastAPI can only see evaluated.

from datetime import datetime
from typing import Annotated, Any, Literal

from elasticsearch import Elasticsearch, NotFoundError
from fastapi import FastAPI, HTTPException, Path, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from newswire import __version__
from newswire.api import docs, errors, probes
from newswire.api.auth import KeyRing
from newswire.api.guard import Guard
from newswire.api.models import Health, SearchResults, Story, problem_responses
from newswire.api.ratelimit import RateLimiter
from pipeline.index.query import QueryError
from pipeline.index.search import Filters, parse_when, search
from pipeline.index.writer import make_client
from wire.settings import Settings, get_settings

SCHEME = "bearer"


def create_app(settings: Settings | None = None, client: Elasticsearch | None = None) -> FastAPI:
    settings = settings or get_settings()
    es = client or make_client(settings)
    keys = KeyRing(settings.api_keys)
    app = FastAPI(
        title="newswire",
        version=__version__,
        description="Search deduplicated, region- and topic-tagged news stories. "
        "Send `Authorization: Bearer <key>` (keys: `newswire api keys create NAME`).",
        docs_url=None,
        redoc_url=None,
        responses=problem_responses(401, 429, 503),
    )
    errors.install(app)
    docs.install(app)
    probes.install(app, es, settings)
    public = set(probes.PATHS)
    if settings.api_docs_public:
        public |= {docs.DOCS, str(app.openapi_url)}
    _describe_security(app, frozenset(public))
    _routes(app, es, settings)
    app.add_middleware(
        Guard,
        keys=keys,
        limiter=RateLimiter(settings.api_rate_limit, settings.api_rate_burst),
        max_body=settings.api_max_body_bytes,
        public=frozenset(public),
        public_prefixes=(docs.STATIC + "/",) if settings.api_docs_public else (),
    )
    app.add_middleware(  # added last: the outermost layer
        CORSMiddleware,
        allow_origins=settings.api_cors_origins,
        allow_methods=["GET"],
        allow_headers=["Authorization"],
        expose_headers=["Retry-After"],
        allow_credentials=False,  # bearer keys, not cookies
        max_age=600,
    )
    return app


def _routes(app: FastAPI, es: Elasticsearch, settings: Settings) -> None:
    window = settings.api_max_result_window
    max_size = settings.api_max_page_size

    def _when(value: str | None, name: str) -> datetime | None:
        if not value:
            return None
        try:
            return parse_when(value)
        except ValueError as exc:
            raise HTTPException(422, f"{name}: expected 7d, 12h or an ISO date") from exc

    @app.get(
        "/search",
        summary="Search stories, syndicated copies collapsed",
        response_model=SearchResults,
        responses=problem_responses(400, 422),
    )
    def search_stories(
        q: Annotated[
            str | None,
            Query(
                max_length=1000,
                description='Words (any, best first), "phrases", prefix*, AND / OR / NOT / '
                "-word, ( ), title: summary: body: source: (docs/search.md); bad syntax is a 400",
            ),
        ] = None,
        region: Annotated[
            str | None,
            Query(
                max_length=100,
                description="Country (AF, AFG, Afghanistan), subdivision (AF-BDS) or UN M49 "
                "region (Southern Asia): stories about it; an unknown value is a 400 with "
                "close matches",
            ),
        ] = None,
        mentions: Annotated[
            bool, Query(description="region matches any mention, not only the story's focus")
        ] = False,
        topic: Annotated[
            str | None,
            Query(max_length=100, description="Topic slug (diplomacy), IPTC label or code"),
        ] = None,
        source: Annotated[
            str | None, Query(max_length=200, description="Source id or domain")
        ] = None,
        lang: Annotated[str | None, Query(max_length=10, description="ISO 639-1 language")] = None,
        kind: Annotated[Literal["article", "social_post"] | None, Query()] = None,
        since: Annotated[
            str | None, Query(max_length=40, description="7d, 12h or an ISO date")
        ] = None,
        until: Annotated[
            str | None, Query(max_length=40, description="7d, 12h or an ISO date")
        ] = None,
        page: Annotated[int, Query(ge=1, description=f"page*size at most {window}")] = 1,
        size: Annotated[int, Query(ge=1, description=f"at most {max_size}")] = 10,
        facets: Annotated[bool, Query(description="Include facet counts")] = True,
        by_event: Annotated[
            bool, Query(description="one hit per same-event story_id; outlets = its sources")
        ] = False,
    ) -> dict[str, Any]:
        if size > max_size:
            raise HTTPException(400, f"size {size} is over the limit of {max_size} per page")
        if page * size > window:
            raise HTTPException(
                400,
                f"page {page} of size {size} reaches result {page * size}, but only the first "
                f"{window} results can be paged; narrow the search (q, filters, since/until)",
            )
        filters = Filters(
            region=region,
            topic=topic,
            source=source,
            lang=lang,
            kind=kind,
            since=_when(since, "since"),
            until=_when(until, "until"),
            mentions=mentions,
        )
        try:
            result = search(
                es, settings.index_alias, q, filters,
                size=size, offset=(page - 1) * size, facets=facets, by_event=by_event,
            )  # fmt: skip
        except QueryError as exc:  # bad syntax or an unknown filter value: the user's to fix
            raise HTTPException(400, str(exc)) from None
        except NotFoundError:  # nothing indexed yet: no alias
            result = {"total": 0, "stories": 0, "hits": [], "facets": {}}
        return {**result, "page": page, "size": size}

    @app.get(
        "/stories/{story_id}",
        summary="One story by id",
        response_model=Story,
        responses=problem_responses(404),
    )
    def get_story(story_id: Annotated[str, Path(max_length=200)]) -> dict[str, Any]:
        try:
            resp = es.search(
                index=settings.index_alias, query={"ids": {"values": [story_id]}}, size=1
            )
            hits = resp["hits"]["hits"]
        except NotFoundError:  # nothing indexed yet: no alias
            hits = []
        if not hits:
            raise HTTPException(404, f"no story {story_id}")
        return dict(hits[0]["_source"])

    @app.get("/health", summary="Is Elasticsearch reachable?", response_model=Health)
    def health() -> dict[str, Any]:
        status = es.cluster.health()["status"]
        return {"status": "ok", "elasticsearch": status, "version": __version__}


def _describe_security(app: FastAPI, public: frozenset[str]) -> None:
    """The OpenAPI document names the bearer scheme, required on every non-public path."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key from `newswire api keys create NAME`. Required "
                "when the server has keys configured (NEWSWIRE_API_KEYS).",
            }
        }
        schema["security"] = [{SCHEME: []}]
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if path in public:
                    operation["security"] = []
                    for code in ("401", "429", "503"):
                        if path != "/readyz" or code != "503":
                            operation.get("responses", {}).pop(code, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
