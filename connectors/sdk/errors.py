"""One error tree for connectors, split by what the runner should do next.

Connectors raise these; the runner acts on the class, never on the message:

- ``RetryAfter(seconds)``: the source asked us to wait (HTTP 429/503 with Retry-After).
- ``RetriableError``: a passing failure (timeout, 5xx, connection reset): back off and retry.
- ``BadPayload``: the source answered, but not with what it should (truncated JSON, an
  HTML error page with status 200, an unexpected schema): retried like a passing failure,
  and the body goes to the dead-letter topic with the reason, so nothing is lost unseen.
- ``FatalSourceError``: this source cannot work as configured (401, 404, bad config):
  report it and stop polling it until the configuration changes.
- ``SkipItem``: one item is bad; it goes to the dead-letter topic and the page goes on.

Which HTTP status becomes which error, and how ``Retry-After`` is read, is decided here
too (``status_error``, ``retry_after``), once for the HTTP client and the WebSocket
opener alike.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime


class ConnectorError(Exception):
    """Base of every error a connector may raise on purpose."""


class RetriableError(ConnectorError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BadPayload(RetriableError):
    """A response that is not what the source should send; ``payload`` is its body."""

    def __init__(
        self, message: str, payload: str | bytes | None, *, status: int | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.payload = payload


class RetryAfter(RetriableError):
    def __init__(self, seconds: float, message: str = "", *, status: int | None = None) -> None:
        super().__init__(message or f"retry after {seconds:.0f}s", status=status)
        self.seconds = seconds


class FatalSourceError(ConnectorError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SkipItem(ConnectorError):
    """One item cannot be turned into a raw item; ``payload`` is kept for the dead letter."""

    def __init__(self, message: str, payload: str | bytes | None = None) -> None:
        super().__init__(message)
        self.payload = payload


# -- HTTP status classes: one mapping for every request path (HTTP client, WebSocket) --

FATAL_STATUSES = frozenset({400, 401, 403, 404, 405, 410, 451})
"""Answers that will not change by asking again: the source is configured wrong."""
RETRY_AFTER_STATUSES = frozenset({429, 503})
"""Answers that say when to come back (``Retry-After``); without it, ``RETRY_AFTER_DEFAULT``."""
RETRY_AFTER_DEFAULT = 60.0


def retry_after(value: str | None, default: float = RETRY_AFTER_DEFAULT) -> float:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3);
    ``default`` when it is missing or unreadable."""
    if not value:
        return default
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return default


def status_error(
    status: int, message: str, retry_after_header: str | None = None
) -> ConnectorError:
    """The error an HTTP ``status`` of 400 or more raises: ``RetryAfter`` for 429/503 (with
    the header's delay), ``FatalSourceError`` for the statuses that will not pass, else
    ``RetriableError`` (5xx, 408, 425, ...)."""
    if status in RETRY_AFTER_STATUSES:
        return RetryAfter(retry_after(retry_after_header), message, status=status)
    if status in FATAL_STATUSES:
        return FatalSourceError(message, status=status)
    return RetriableError(message, status=status)
