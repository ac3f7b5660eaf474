"""One error tree for connectors, split by what the runner should do next.

Connectors raise these; the runner acts on the class, never on the message:

- ``RetryAfter(seconds)``: the source asked us to wait (HTTP 429/503 with Retry-After).
- ``RetriableError``: a passing failure (timeout, 5xx, connection reset): back off and retry.
- ``FatalSourceError``: this source cannot work as configured (401, 404, bad config):
  report it and stop polling it until the configuration changes.
- ``SkipItem``: one item is bad; it goes to the dead-letter topic and the page goes on.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector may raise on purpose."""


class RetriableError(ConnectorError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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
