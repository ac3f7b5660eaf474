"""One wall-clock deadline per HTTP request: connect, TLS, headers and body together.

httpx's timeouts bound each socket operation: a server that sends its headers (or its
body) one byte a second never trips a 20 s read timeout and holds a connector worker
for as long as it likes. Here every socket operation of a request gets at most the time
left before the request's deadline, and none once it has passed, so the request fails
with a ``ReadTimeout`` (a ``RetriableError`` for the connector) within the deadline.

How: a network backend for httpcore whose streams clamp each operation's timeout to
the deadline of the request running in the current thread (``with deadline(s):``,
a context variable, so pooled keep-alive connections obey the request they serve).
httpx offers no way to hand its pool a network backend, so ``DeadlineTransport`` builds
the httpcore pool itself with the same limits (no proxy support: ``HttpClient`` keeps
httpx's own transports for proxies taken from the environment).
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("http_deadline", default=None)
"""(time.monotonic() at which the request must be over, its length in seconds)."""
_SLACK = 0.05  # a socket timeout this close to the deadline is the deadline's doing


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Requests made in this block (in this thread) must be over within ``seconds``."""
    token = _DEADLINE.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _expired(seconds: float) -> str:
    return f"response not received within {seconds:g}s (the request's deadline)"


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` clamped to the time left; ``error`` once no time is left."""
    current = _DEADLINE.get()
    if current is None:
        return timeout
    end, seconds = current
    left = end - time.monotonic()
    if left <= 0:
        raise error(_expired(seconds))
    return left if timeout is None else min(timeout, left)


def _reraise_if_expired(exc: Exception, error: type[Exception]) -> None:
    current = _DEADLINE.get()
    if current is not None and time.monotonic() >= current[0] - _SLACK:
        raise error(_expired(current[1])) from exc


class _Stream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))
        except httpcore.ReadTimeout as exc:
            _reraise_if_expired(exc, httpcore.ReadTimeout)
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, wait, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        wait = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, wait, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context (certificates verified against certifi's bundle, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``), built once per process and shared: building one
    loads the whole CA bundle (50-90 ms of CPU), and each client built two (httpx's
    transport and the pool below) on the role's start-up path (issue 16). A context is
    not changed after it is built, so connections and threads can share it."""
    return httpx.create_ssl_context()


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a pool whose connections keep the request deadline."""

    def __init__(self, *, limits: httpx.Limits) -> None:
        context = shared_ssl_context()
        super().__init__(verify=context, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(),
        )
