"""Push sources (WebSocket streams) behind the runner's pull contract, ``fetch(cursor)``.

The runner polls; a stream pushes. :class:`StreamingConnector` bridges the two: it keeps
one long-lived connection in the connector instance across ``fetch`` calls and returns,
per call, what arrived within a bounded window (``window_messages`` messages or
``window_seconds`` seconds, whichever ends first), with ``more=True`` so the runner calls
again at once. The author writes three methods::

    class TickerConnector(StreamingConnector[TickerConfig]):
        name = "ticker"
        config_model = TickerConfig

        def stream_url(self, cursor: Cursor) -> str:
            return f"{self.config.url}?after={cursor.get('seq', 0)}"

        def on_message(self, message: str | bytes, batch: Batch) -> None:
            event = json.loads(message)  # an exception here dead-letters the message
            batch.items.append(self.raw_item(key=event["id"], url=..., content=...))
            batch.cursor["seq"] = event["seq"]

Resume: ``on_message`` advances ``batch.cursor`` as it handles each message (or keeps a
working state from ``begin_window`` that ``end_window`` writes back); the page's cursor
is the resume point. When the runner hands back a cursor other than the one the
last page returned (Kafka refused that page, or this is a new process), the connection
is dropped and reopened from the runner's cursor: the stream restarts from what Kafka
holds, never from what the connector merely saw. Cursors that rewind on reconnect must
drop repeats themselves (keep the recent keys in the cursor).

Reconnect: a connection that drops is reopened on the next call, at once if it had
delivered anything, else after a jittered exponential backoff raised as ``RetryAfter``
(the runner does the waiting: a connector never sleeps). ``close()`` ends the connection.

Opening goes through :func:`open_websocket`, never a bare ``connect``: the shared HTTP
client's SSRF guard, its User-Agent, an open timeout, keepalive pings that detect a dead
peer, and a maximum message size. A WebSocket is not HTTP-client traffic, but it leaves
through the same policy.
"""

from __future__ import annotations

import copy
import logging
import random
import socket
import time
from abc import abstractmethod
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import (
    ConnectionClosed,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)
from websockets.frames import CloseCode
from websockets.sync.client import ClientConnection, connect

from connectors.sdk.base import C, Connector, Cursor, Page
from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter, status_error
from connectors.sdk.guard import check_socket
from connectors.sdk.http import HttpClient
from wire.models import RawItem, SourceRef

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """What one ``fetch`` window collected; ``on_message`` fills it in place."""

    cursor: Cursor
    items: list[RawItem] = field(default_factory=list)
    skipped: list[tuple[str, str | bytes | None]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + n

    def skip(self, reason: str, payload: str | bytes | None) -> None:
        """Send one message to the dead-letter topic with ``reason``; the stream goes on
        (the runner trims the payload)."""
        self.skipped.append((reason, payload))


class StreamingConnector(Connector[C]):
    """Base of push sources: one WebSocket kept open across ``fetch`` calls.

    Subclasses implement ``stream_url(cursor)`` and ``on_message(message, batch)``, and
    may override ``on_open`` (send a subscription message), ``begin_window`` and
    ``end_window`` (work on the whole window: parse the cursor once, write it back).
    ``fetch`` blocks for at most about ``window_seconds`` plus one ``open_timeout``.
    The tuning attributes below are class defaults that an instance may override.
    """

    window_messages: int = 500
    window_seconds: float = 2.0
    open_timeout: float = 10.0
    ping_interval: float = 20.0
    """Keepalive: a peer that answers no ping within ``ping_timeout`` is a dead link."""
    ping_timeout: float = 20.0
    max_message_bytes: int = 1024 * 1024
    """Larger messages close the connection (1009): ask the server to cap them too."""
    backoff_base: float = 1.0
    backoff_max: float = 300.0

    def __init__(self, source: SourceRef, config: C, http: HttpClient) -> None:
        super().__init__(source, config, http)
        self._ws: ClientConnection | None = None
        self._resume: Cursor | None = None  # the cursor of the last page returned
        self._failures = 0  # connections in a row that delivered nothing
        self._retry_at = 0.0
        self._delivered = False  # the open connection has delivered a message

    # -- what a subclass writes -----------------------------------------------------------

    @abstractmethod
    def stream_url(self, cursor: Cursor) -> str:
        """The ``ws://``/``wss://`` URL that resumes the stream after ``cursor``."""

    def on_open(self, ws: ClientConnection, cursor: Cursor) -> None:
        """Called once per connection before reading (e.g. send a subscription)."""

    @abstractmethod
    def on_message(self, message: str | bytes, batch: Batch) -> None:
        """Turn one message into items or dead letters and advance ``batch.cursor``.
        An exception dead-letters the message with its reason; the stream goes on."""

    def begin_window(self, batch: Batch) -> None:
        """Called once per window, before its first message (connected or not)."""

    def end_window(self, batch: Batch) -> None:
        """Called once per window, after its last message (connected or not)."""

    # -- the runner's side ----------------------------------------------------------------

    def fetch(self, cursor: Cursor) -> Page:
        if self._ws is not None and cursor != self._resume:
            log.info("%s: resuming from the runner's cursor, not the last page", self.name)
            self._disconnect()
        if self._ws is None:
            self._connect(cursor)
        batch = Batch(cursor=copy.deepcopy(cursor))
        try:
            self.begin_window(batch)
            self._read_window(batch)
            self.end_window(batch)
        except BaseException:
            self._disconnect()  # what this window read is lost: replay it from ``cursor``
            raise
        self._resume = batch.cursor
        return Page(
            items=batch.items,
            cursor=batch.cursor,
            skipped=batch.skipped,
            stats=batch.stats,
            more=True,  # connected: more is on its way; dropped: reconnect at once
        )

    def close(self) -> None:
        """End the connection; a later ``fetch`` opens a new one."""
        self._disconnect()

    @property
    def connected(self) -> bool:
        return self._ws is not None

    # -- internals ------------------------------------------------------------------------

    def _read_window(self, batch: Batch) -> None:
        ws = self._ws
        if ws is None:
            return
        deadline = time.monotonic() + self.window_seconds
        received = 0
        while received < self.window_messages:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = ws.recv(timeout=remaining)
            except TimeoutError:
                break
            except ConnectionClosed as exc:
                if exc.sent is not None and exc.sent.code == CloseCode.MESSAGE_TOO_BIG:
                    # the server would send it again after a reconnect: back off, say why
                    batch.skip(f"a message over {self.max_message_bytes} bytes: {exc}", None)
                    self._delivered = False
                self._lost(f"connection closed: {exc}", batch)
                break
            received += 1
            self._delivered = True
            self._failures = 0
            try:
                self.on_message(message, batch)
            except Exception as exc:  # bad input (or a bug) costs one message, never the stream
                log.warning("%s: message dead-lettered: %s", self.name, exc)
                batch.skip(f"{type(exc).__name__}: {exc}", message)
        batch.count("messages", received)

    def _connect(self, cursor: Cursor) -> None:
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            raise RetryAfter(wait, f"reconnecting in {wait:.1f}s ({self._failures} failed)")
        url = self.stream_url(cursor)
        try:
            ws = open_websocket(
                self.http,
                url,
                open_timeout=self.open_timeout,
                max_size=self.max_message_bytes,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
            )
        except RetriableError as exc:
            if not isinstance(exc, RetryAfter):
                self._schedule_retry()
                raise RetryAfter(self._retry_at - time.monotonic(), str(exc)) from exc
            raise
        try:
            self.on_open(ws, cursor)
        except (ConnectionClosed, OSError) as exc:
            ws.close()
            self._schedule_retry()
            raise RetryAfter(self._retry_at - time.monotonic(), f"{url}: {exc}") from exc
        except BaseException:
            ws.close()
            raise
        self._ws = ws
        self._delivered = False

    def _lost(self, why: str, batch: Batch) -> None:
        log.info("%s: %s", self.name, why)
        batch.count("disconnects")
        delivered = self._delivered
        self._disconnect()
        if delivered:
            self._retry_at = 0.0  # a stream that worked reconnects at once
        else:
            self._schedule_retry()

    def _schedule_retry(self) -> None:
        self._failures += 1
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (self._failures - 1))
        self._retry_at = time.monotonic() + ceiling * random.uniform(0.5, 1.0)

    def _disconnect(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close()
            except (OSError, WebSocketException) as exc:
                log.debug("%s: closing: %s", self.name, exc)


def open_websocket(
    http: HttpClient,
    url: str,
    *,
    open_timeout: float = 10.0,
    max_size: int = 1024 * 1024,
    ping_interval: float | None = 20.0,
    ping_timeout: float | None = 20.0,
) -> ClientConnection:
    """Open ``url`` (ws/wss) under the shared HTTP client's policy.

    The host must pass ``http``'s SSRF guard, and so must the address the socket actually
    reached (DNS may answer differently the second time). Redirects are refused: the
    socket is opened here and handed to the handshake, so the handshake cannot go
    elsewhere. Errors map onto the connector error tree: 429/503 -> ``RetryAfter``,
    401/403/404/... and bad URLs -> ``FatalSourceError``, the rest -> ``RetriableError``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise FatalSourceError(f"not a WebSocket URL: {url}")
    secure = parts.scheme == "wss"
    http.guard(urlunsplit(("https" if secure else "http", *parts[1:])))
    port = parts.port or (443 if secure else 80)
    try:
        sock = socket.create_connection((parts.hostname, port), timeout=open_timeout)
    except OSError as exc:
        raise RetriableError(f"cannot connect to {url}: {exc}") from exc
    try:
        if not http.allow_private:
            check_socket(sock, url)
        sock.settimeout(None)  # the connection's own threads read it; pings detect death
        return connect(
            url,
            sock=sock,
            open_timeout=open_timeout,
            max_size=min(max_size, http.max_bytes),
            user_agent_header=http.user_agent,
            proxy=None,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=2.0,
            legacy=True,  # the connection outlives this call: the connector closes it
        )
    except BaseException as exc:
        sock.close()
        raise _mapped(exc, url) from exc


def _mapped(exc: BaseException, url: str) -> BaseException:
    if isinstance(exc, FatalSourceError | RetriableError) or not isinstance(exc, Exception):
        return exc
    status_exc = exc if isinstance(exc, InvalidStatus) else exc.__cause__
    if isinstance(status_exc, InvalidStatus):
        status, headers = status_exc.response.status_code, status_exc.response.headers
        if 300 <= status < 400:
            where = headers.get("Location", "?")
            return FatalSourceError(f"{url} redirects to {where}: configure that URL instead")
        if status < 400:  # a 200 instead of 101: the server speaks no WebSocket here
            return RetriableError(f"HTTP {status} opening {url} (no WebSocket)", status=status)
        return status_error(status, f"HTTP {status} opening {url}", headers.get("Retry-After"))
    if isinstance(exc, InvalidURI):
        return FatalSourceError(f"invalid WebSocket URL {url}: {exc}")
    # a refused or reset connection, a timeout, a garbled handshake: all pass with time
    return RetriableError(f"{type(exc).__name__} opening {url}: {exc}")
