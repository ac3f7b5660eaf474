"""A scriptable HTTP server on 127.0.0.1 for connector tests: routes map to responses.

The server lives in the SDK (``connectors.sdk.recording``) so the conformance kit works
for third-party connectors too; this module keeps the name the tests here import.
"""

from __future__ import annotations

from connectors.sdk.recording import Reply, Route, Server
from connectors.sdk.recording import serve as http_server

__all__ = ["Reply", "Route", "Server", "http_server"]
