"""The connector SDK: what a connector author imports."""

from connectors.sdk.base import (
    Capabilities,
    Connector,
    ConnectorConfig,
    Cursor,
    Page,
    PollingConnector,
)
from connectors.sdk.errors import (
    ConnectorError,
    FatalSourceError,
    RetriableError,
    RetryAfter,
    SkipItem,
)
from connectors.sdk.http import HttpClient, Response

__all__ = [
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
]
