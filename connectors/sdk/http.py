"""The one HTTP client every connector uses: politeness and safety live here, once.

- timeouts, a streamed body with a size cap, a bounded number of redirects;
- conditional GET (ETag / Last-Modified) confirmed by a body hash, because servers lie;
- a per-host minimum interval between requests;
- status codes mapped onto the connector error tree (429/503 honour Retry-After);
- an SSRF guard: hosts resolving to loopback, private, link-local or metadata addresses
  are refused unless ``allow_private`` (tests serve from 127.0.0.1 and set it).
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter

_FATAL = {400, 401, 403, 404, 405, 410, 451}


@dataclass
class Response:
    url: str
    status: int
    content: bytes
    headers: httpx.Headers
    not_modified: bool = False

    @property
    def text(self) -> str:
        # httpx's charset detection needs a full response; decode simply and tolerantly.
        charset = self.headers.get_list("content-type")
        enc = "utf-8"
        for value in charset:
            if "charset=" in value:
                enc = value.split("charset=", 1)[1].split(";")[0].strip().strip('"') or enc
        try:
            return self.content.decode(enc, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    @property
    def body_hash(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class HttpClient:
    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        per_host_interval: float = 0.0,
        allow_private: bool = False,
    ) -> None:
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.per_host_interval = per_host_interval
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
            max_redirects=max_redirects,
        )
        self._host_lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        previous_hash: str | None = None,
    ) -> Response:
        """GET ``url``; ``not_modified`` is set on a 304 or when the body hash is unchanged."""
        self._guard(url)
        self._wait_turn(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self._client.stream("GET", url, headers=headers) as resp:
                self._guard(str(resp.url))  # a redirect may point inside the network
                if resp.status_code == 304:
                    return Response(str(resp.url), 304, b"", resp.headers, not_modified=True)
                self._raise_for_status(resp)
                body = self._read_capped(resp)
        except httpx.TooManyRedirects as exc:
            raise FatalSourceError(f"too many redirects from {url}") from exc
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetriableError(f"{type(exc).__name__} fetching {url}: {exc}") from exc
        out = Response(str(resp.url), resp.status_code, body, resp.headers)
        out.not_modified = previous_hash is not None and out.body_hash == previous_hash
        return out

    def _read_capped(self, resp: httpx.Response) -> bytes:
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FatalSourceError(f"{resp.url}: body of {declared} bytes exceeds the cap")
        chunks, size = [], 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FatalSourceError(f"{resp.url}: body exceeds {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _raise_for_status(resp: httpx.Response) -> None:
        status = resp.status_code
        if status < 400:
            return
        if status in (429, 503):
            raise RetryAfter(_retry_after(resp.headers.get("retry-after")), status=status)
        if status in _FATAL:
            raise FatalSourceError(f"HTTP {status} from {resp.url}", status=status)
        raise RetriableError(f"HTTP {status} from {resp.url}", status=status)

    def _wait_turn(self, url: str) -> None:
        if self.per_host_interval <= 0:
            return
        host = urlsplit(url).netloc
        with self._host_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + self.per_host_interval
        if slot > now:
            time.sleep(slot - now)

    def _guard(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FatalSourceError(f"unsupported URL scheme: {url}")
        if self.allow_private:
            return
        host = parts.hostname or ""
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            raise RetriableError(f"cannot resolve {host}: {exc}") from exc
        for info in infos:
            addr = ipaddress.ip_address(info[4][0])
            if not addr.is_global:
                raise FatalSourceError(
                    f"{host} resolves to a non-public address ({addr}); "
                    "set NEWSWIRE_HTTP_ALLOW_PRIVATE=true to allow it"
                )


def _retry_after(value: str | None, default: float = 60.0) -> float:
    if not value:
        return default
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default
