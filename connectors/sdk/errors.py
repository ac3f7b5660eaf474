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
"""

from __future__ import annotations


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
