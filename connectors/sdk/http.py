"""The one HTTP client every connector uses: politeness and safety live here, once.

- timeouts per socket operation, and one deadline per request (connect, headers and
  body together; ``connectors.sdk.deadline``) against servers that drip bytes; a
  streamed body with a size cap (``connectors.sdk.response``); a bounded number of
  redirects, followed hop by hop;
- conditional GET (ETag / Last-Modified) confirmed by a body hash, because servers lie;
- per origin, shared by every source on it (``connectors.sdk.hosts``): an interval
  between requests (raised to the site's Crawl-delay), a bound on requests in flight,
  and a pause after a 429/503 with Retry-After;
- robots.txt, fetched once per origin and cached (``connectors.sdk.robots``);
- status codes mapped onto the connector error tree (429/503 honour Retry-After);
- the SSRF guard on every hop and on the address actually connected to
  (``connectors.sdk.guard``).

Thread-safe: the runner's workers share one client.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx

from connectors.sdk.deadline import DeadlineTransport, deadline
from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter, status_error
from connectors.sdk.guard import check_peer, check_url
from connectors.sdk.hosts import Origin, Origins
from connectors.sdk.response import BodyStream, Response, drain, read_capped
from connectors.sdk.robots import (
    MAX_ROBOTS_BYTES,
    RobotsPolicy,
    after_fetch,
    allow_all,
    product_token,
    robots_url,
    unreachable,
)

if TYPE_CHECKING:
    from wire.settings import Settings

__all__ = ["BodyStream", "HttpClient", "RedirectLoop", "Response"]  # Response lives in .response


class RedirectLoop(FatalSourceError):
    """More redirects than allowed (often a loop)."""


class HttpClient:
    """GET with politeness. Errors are the connector error tree (``RetryAfter``,
    ``RetriableError``, ``FatalSourceError`` and its ``RobotsDisallowed``)."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        per_host_interval: float = 0.0,
        per_host_concurrency: int = 2,
        allow_private: bool = False,
        respect_robots: bool = True,
        robots_ttl: float = 86400.0,
        robots_retry: float = 300.0,
        max_crawl_delay: float = 30.0,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.respect_robots = respect_robots
        self.robots_ttl = robots_ttl  # RFC 9309: a cached copy SHOULD NOT outlive 24 h
        self.robots_retry = robots_retry
        self.agent = product_token(user_agent)
        self.deadline = timeout * 3
        # Behind a proxy the peer is the proxy, whose address says nothing about the target.
        self._check_peer = not allow_private and not urllib.request.getproxies()
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,  # followed by hand: every hop is guarded and polite
            limits=limits,
            transport=DeadlineTransport(limits=limits),  # one deadline per request
        )
        self._origins = Origins(per_host_interval, per_host_concurrency, max_crawl_delay)

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpClient:
        return cls(
            user_agent=settings.user_agent,
            timeout=settings.http_timeout_s,
            max_bytes=settings.max_raw_bytes,
            allow_private=settings.http_allow_private,
            per_host_interval=settings.http_per_host_interval,
            per_host_concurrency=settings.http_per_host_concurrency,
            respect_robots=settings.http_respect_robots,
        )

    def close(self) -> None:
        self._client.close()

    def host_interval(self, url: str) -> float:
        """Seconds kept between two requests to ``url``'s origin: the configured interval,
        or the site's Crawl-delay once its robots.txt was read, whichever is longer."""
        return self._origin(url).interval

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        previous_hash: str | None = None,
        subscribed: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """GET ``url``; ``not_modified`` is set on a 304 or when the body hash is unchanged.

        ``subscribed=True`` is for the URL a user configured as a source (a feed): it is
        fetched even where robots.txt disallows crawling, as feed readers do (the user
        asked for it; robots.txt governs what crawlers discover). Pages found through a
        source (article links) are always checked against robots.txt, which is how the
        origin's Crawl-delay becomes known; it and every other limit apply to both.
        ``headers`` are sent on every hop of the same origin; credentials
        (Authorization, Cookie) never follow a redirect elsewhere.
        """
        headers = dict(headers or {})
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        out = self._fetch(url, headers, check_robots=not subscribed)
        if out.status != 304:
            out.not_modified = previous_hash is not None and out.body_hash == previous_hash
        return out

    def post(
        self,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """POST to an API endpoint the user configured (an OAuth token, a search call).

        The same guard, limits, status mapping and size cap as ``get``; robots.txt does not
        apply (not crawling) and redirects are not followed (a POST must not change into
        something else on its way): a redirect is a ``FatalSourceError``.
        """
        body = httpx.Request("POST", url, data=data, json=json)  # encodes form or JSON
        sent = dict(headers or {})
        if "content-type" in body.headers:
            sent.setdefault("Content-Type", body.headers["content-type"])
        return self._fetch(url, sent, check_robots=False, method="POST", content=body.read())

    @property
    def user_agent(self) -> str:
        return str(self._client.headers["User-Agent"])

    def guard(self, url: str) -> None:
        """Raise ``FatalSourceError`` unless ``url`` may be fetched (scheme, SSRF guard):
        for connections that do not go through this client (a WebSocket)."""
        self._guard(url)

    @contextmanager
    def stream(self, url: str, *, offset: int = 0) -> Iterator[BodyStream]:
        """GET a body too large for memory (a WARC file) as a file-like stream from byte
        ``offset`` on (a Range request; a server that ignores it is read up to there).

        No size cap and no overall deadline (the per-read timeout holds); redirects, the
        SSRF guard, per-host limits and status mapping are those of ``get``. Like a
        subscribed feed, the URL is the user's own choice: robots.txt is not consulted.
        Transport errors while the caller reads become ``RetriableError``.
        """
        headers = {
            "Accept-Encoding": "identity",
            **({"Range": f"bytes={offset}-"} if offset else {}),
        }
        current = url
        for _ in range(self.max_redirects + 1):
            self._guard(current)
            origin = self._origin(current)
            self._wait_turn(origin, current)
            with origin.slots:
                try:
                    with self._client.stream("GET", current, headers=headers) as resp:
                        if resp.has_redirect_location:
                            current = str(resp.url.join(resp.headers["location"]))
                            continue
                        self._guard_peer(resp)
                        if resp.status_code == 416:  # the offset is the end of the file
                            yield BodyStream(iter(()), offset)
                            return
                        self._raise_for_status(resp, origin)
                        ranged = resp.status_code == 206
                        yield BodyStream(resp.iter_bytes(), offset, skip=0 if ranged else offset)
                        return
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    raise RetriableError(f"{type(exc).__name__} fetching {current}: {exc}") from exc
        raise RedirectLoop(f"more than {self.max_redirects} redirects from {url}")

    # -- one request, hop by hop -----------------------------------------------------------

    def _fetch(
        self,
        url: str,
        headers: dict[str, str],
        *,
        check_robots: bool,
        raise_status: bool = True,
        max_bytes: int | None = None,
        method: str = "GET",
        content: bytes | None = None,
    ) -> Response:
        current = url
        for _ in range(self.max_redirects + 1):
            self._guard(current)
            origin = self._origin(current)
            if check_robots and self.respect_robots:
                self._robots(current, origin).check(current, self.agent)
            self._wait_turn(origin, current)
            with origin.slots, deadline(self.deadline):
                try:
                    with self._client.stream(
                        method, current, headers=headers, content=content
                    ) as resp:
                        if resp.has_redirect_location:
                            if method != "GET":
                                raise FatalSourceError(
                                    f"{method} {current} redirected to {resp.headers['location']}"
                                )
                            nxt = str(resp.url.join(resp.headers["location"]))
                            if self._origin(nxt) is not origin:
                                headers = _without_credentials(headers)
                            current = nxt
                            drain(resp)
                            continue
                        self._guard_peer(resp)
                        if resp.status_code == 304:
                            drain(resp)
                            return Response(str(resp.url), 304, b"", resp.headers, True)
                        if raise_status:
                            self._raise_for_status(resp, origin)
                        cap = self.max_bytes if max_bytes is None else max_bytes
                        body = read_capped(resp, cap, truncate=max_bytes is not None)
                        return Response(str(resp.url), resp.status_code, body, resp.headers)
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    raise RetriableError(f"{type(exc).__name__} fetching {current}: {exc}") from exc
        raise RedirectLoop(f"more than {self.max_redirects} redirects from {url}")

    def _raise_for_status(self, resp: httpx.Response, origin: Origin) -> None:
        if resp.status_code < 400:
            return
        header = resp.headers.get("retry-after")
        exc = status_error(resp.status_code, f"HTTP {resp.status_code} from {resp.url}", header)
        if isinstance(exc, RetryAfter) and header:
            # the server's word holds for its other URLs (our other sources) too
            self._origins.pause(origin, exc.seconds)
        raise exc

    # -- robots.txt ----------------------------------------------------------------------

    def _robots(self, url: str, origin: Origin) -> RobotsPolicy:
        """The origin's robots policy, fetched at most once at a time per origin."""
        policy = origin.robots
        if policy is None or time.monotonic() >= policy.expires:
            with origin.robots_lock:
                policy = origin.robots
                if policy is None or time.monotonic() >= policy.expires:
                    policy = self._fetch_robots(robots_url(url), policy)
                    origin.robots = policy
                    self._origins.ask_delay(origin, policy.delay_seconds(self.agent))
        if policy.unreachable is not None and policy.parser is None:
            wait = max(1.0, policy.expires - time.monotonic())
            raise RetryAfter(wait, f"{policy.robots_url} unreachable ({policy.unreachable})")
        return policy

    def _fetch_robots(self, url: str, previous: RobotsPolicy | None) -> RobotsPolicy:
        now = time.monotonic()
        try:
            resp = self._fetch(
                url, {}, check_robots=False, raise_status=False, max_bytes=MAX_ROBOTS_BYTES
            )
        except RedirectLoop:  # RFC 9309: past five redirects, robots.txt is unavailable
            return allow_all(url, now + self.robots_ttl)
        except (RetriableError, RetryAfter) as exc:
            return unreachable(url, str(exc), previous, now + self.robots_retry)
        return after_fetch(
            url, resp.status, resp.content, previous, now, self.robots_ttl, self.robots_retry
        )

    # -- shared with the other request paths ------------------------------------------------

    def _origin(self, url: str) -> Origin:
        return self._origins.get(url)

    def _wait_turn(self, origin: Origin, url: str) -> None:
        self._origins.wait_turn(origin)

    def _guard(self, url: str) -> None:
        check_url(url, allow_private=self.allow_private)

    def _guard_peer(self, resp: httpx.Response) -> None:
        if self._check_peer:
            check_peer(resp)


def _without_credentials(headers: dict[str, str]) -> dict[str, str]:
    private = {"authorization", "cookie", "proxy-authorization"}
    return {k: v for k, v in headers.items() if k.lower() not in private}
