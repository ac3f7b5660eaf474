"""The door every request passes: body size, API key, loopback-only mode, rate limit.

A pure ASGI middleware rather than per-route dependencies, so a route added later is
protected by default; only the paths in ``public`` answer without a key (the probes,
and the docs when ``api_docs_public``). The key itself is never logged or echoed: logs
and error bodies name the key's *name* at most.
"""

from __future__ import annotations

import ipaddress
import logging

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newswire.api.auth import KeyRing, bearer_token
from newswire.api.ratelimit import RateLimiter, retry_after

log = logging.getLogger("newswire.api")


class BodyTooLarge(Exception):
    pass


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        keys: KeyRing,
        limiter: RateLimiter,
        max_body: int,
        public: frozenset[str],
        public_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.keys = keys
        self.limiter = limiter
        self.max_body = max_body
        self.public = public
        self.public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, self._capped(receive), send)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > self.max_body:
            return _problem(413, f"request body over the limit of {self.max_body} bytes")
        path: str = scope["path"]
        if path in self.public or path.startswith(self.public_prefixes):
            return None
        if not self.keys:
            return self._loopback_only(scope)
        token = bearer_token(headers.get("authorization"))
        if token is None:
            return _unauthorized("missing API key: send the header Authorization: Bearer <key>")
        name = self.keys.identify(token)
        if name is None:
            log.info(
                "refused %s %s: invalid API key (from %s)", scope["method"], path, _peer(scope)
            )
            return _unauthorized("invalid API key", error="invalid_token")
        wait = self.limiter.acquire(name)
        if wait > 0:
            log.info("rate limited key %r on %s %s", name, scope["method"], path)
            return _problem(
                429,
                f"rate limit exceeded for key {name!r}: {self.limiter.rate:g} requests/s, "
                f"bursts of {self.limiter.burst}; retry after {retry_after(wait)} s",
                {"Retry-After": retry_after(wait)},
            )
        scope.setdefault("state", {})["api_key"] = name
        log.debug("key %r: %s %s", name, scope["method"], path)
        return None

    def _loopback_only(self, scope: Scope) -> JSONResponse | None:
        """Without keys, serve only this machine (the CLI also refuses other binds)."""
        for end in ("client", "server"):
            host = (scope.get(end) or ("",))[0]
            if _is_remote_ip(str(host)):
                return _problem(
                    403, "no API keys are configured: this API serves loopback clients only"
                )
        return None

    def _capped(self, receive: Receive) -> Receive:
        """Refuse a chunked body (no Content-Length) once it passes the limit."""
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(f"request body over the limit of {self.max_body} bytes")
            return message

        return capped


def _is_remote_ip(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a unix socket, or a test client's name: not an address
        return False


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status, headers=headers)


def _unauthorized(detail: str, error: str | None = None) -> JSONResponse:
    challenge = 'Bearer realm="newswire"' + (f', error="{error}"' if error else "")
    return _problem(401, detail, {"WWW-Authenticate": challenge})
