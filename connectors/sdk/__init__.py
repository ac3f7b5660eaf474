"""The connector SDK: what a connector author imports.

The names below load on first use (PEP 562): pytest imports ``connectors.sdk.testing``
as a plugin in every run, which must not pull in httpx and pydantic by itself.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.sdk.base import (
        Capabilities,
        Connector,
        ConnectorConfig,
        Cursor,
        Page,
        PollingConnector,
    )
    from connectors.sdk.errors import (
        BadPayload,
        ConnectorError,
        FatalSourceError,
        RetriableError,
        RetryAfter,
        SkipItem,
    )
    from connectors.sdk.http import HttpClient
    from connectors.sdk.response import Response
    from connectors.sdk.stream import StreamingConnector

_HOME = {
    "Capabilities": "base",
    "Connector": "base",
    "ConnectorConfig": "base",
    "Cursor": "base",
    "Page": "base",
    "PollingConnector": "base",
    "BadPayload": "errors",
    "ConnectorError": "errors",
    "FatalSourceError": "errors",
    "RetriableError": "errors",
    "RetryAfter": "errors",
    "SkipItem": "errors",
    "HttpClient": "http",
    "Response": "response",
    "StreamingConnector": "stream",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value  # once loaded, a plain module attribute
    return value


__all__ = [
    "BadPayload",
    "Capabilities",
    "Connector",
    "ConnectorConfig",
    "ConnectorError",
    "Cursor",
    "FatalSourceError",
    "HttpClient",
    "Page",
    "PollingConnector",
    "Response",
    "RetriableError",
    "RetryAfter",
    "SkipItem",
    "StreamingConnector",
]
