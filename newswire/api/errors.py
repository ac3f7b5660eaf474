"""Exception handlers: a plain one-line ``{"detail": ...}`` for every failure.

Elasticsearch's errors carry its internals (index names, shard failures, Java exception
types, node addresses): they are logged here, server-side, and the client gets a short
sentence: 400 when Elasticsearch refused the request as invalid, 503 when it could not
answer. Anything unexpected is a 500 with no trace (the trace goes to the log).
"""

from __future__ import annotations

import logging

from elastic_transport import TransportError
from elasticsearch import ApiError, BadRequestError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from newswire.api.guard import BodyTooLarge

log = logging.getLogger("newswire.api")

UNAVAILABLE = "search is unavailable (Elasticsearch did not answer); try again later"
INVALID = (
    "Elasticsearch refused the search as invalid; check the query, the filters and "
    "that page*size stays within the result window"
)


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


async def elasticsearch_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        detail = f"status {exc.status_code}: {str(exc.body)[:2000]}"
    else:
        detail = f"{getattr(exc, 'message', '')} {getattr(exc, 'errors', ())!r}"[:2000]
    log.warning(
        "%s %s: Elasticsearch %s, %s", request.method, request.url.path, type(exc).__name__, detail
    )
    if isinstance(exc, BadRequestError):
        return _problem(400, INVALID)
    return _problem(503, UNAVAILABLE)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad parameter, without echoing its value back."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return _problem(422, "; ".join(parts) or "invalid request")


async def body_too_large(request: Request, exc: Exception) -> JSONResponse:
    return _problem(413, str(exc))


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _problem(500, "internal error; the details are in the server's log")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, elasticsearch_error)
    app.add_exception_handler(TransportError, elasticsearch_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(BodyTooLarge, body_too_large)
    app.add_exception_handler(Exception, unexpected)
