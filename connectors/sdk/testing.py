"""The connector conformance kit: ``ConnectorContract``, shipped as a pytest plugin.

A connector's test module subclasses ``ConnectorContract``, declares the connector, a
valid config and recorded answers, and inherits every check as a test::

    from connectors.sdk.testing import ConnectorContract, json_reply

    class TestEchoContract(ConnectorContract):
        connector = EchoConnector
        config = {"url": "{base}/stories.json"}        # {base}: the recorded server
        invalid_configs = [{}, {"url": "not a url"}]
        first_poll = {"/stories.json": json_reply({"stories": [STORY_1]})}
        something_new = {"/stories.json": json_reply({"stories": [STORY_2, STORY_1]})}

Recordings map a request path (query included) to a ``Reply``, served from 127.0.0.1;
``{base}`` in configs, bodies and headers becomes the server's URL. Each scene (first
poll, nothing new, something new) is played to a fresh connector instance, so every bit
of resume state must live in the cursor, as it must when the runner restarts.

Checks: registration under the entry-point name; config validation (the valid config
passes, invalid ones and unknown options raise ``ValidationError``); secrets typed
``SecretStr`` and absent from reprs, dumps, items, cursors and errors; every item a
valid ``RawItem`` stamped with the connector, surviving a JSON round trip; the cursor
is JSON and behaves the same after ``json.dumps``/``loads``; stable keys; nothing
repeated after a cursor, something new yielded once; HTTP 429 with Retry-After ->
``RetryAfter`` with its seconds, 500/502/503 and refused connections -> retriable,
401/404 -> ``FatalSourceError``; garbage bodies -> a page or a ``ConnectorError``.

A connector that reads no HTTP (local files) sets ``uses_http = False`` and overrides
``config_for(scene, base)`` to point each scene at its own fixtures. Connectors with an
unusual constructor override ``make_connector``.

This module is imported by pytest in every run: keep its imports light (the SDK,
pydantic and httpx load inside the checks).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Before the import: plain asserts in the checks then explain themselves on failure.
pytest.register_assert_rewrite("connectors.sdk.contract", "connectors.sdk.contract_base")

from connectors.sdk.contract import ConnectorContract  # noqa: E402
from connectors.sdk.recording import Reply, Server, json_reply, recording_from_dir, serve  # noqa: E402

__all__ = [
    "ConnectorContract",
    "Reply",
    "Server",
    "json_reply",
    "recorded_server",
    "recording_from_dir",
]

MARKER = "connector_contract"


# -- the pytest plugin --------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a check of the connector conformance kit")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the kit's checks, so ``pytest -m connector_contract`` runs only them."""
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is not None and issubclass(cls, ConnectorContract):
            item.add_marker(MARKER)


@pytest.fixture
def recorded_server() -> Iterator[Server]:
    """A recorded HTTP server on 127.0.0.1 for a connector's own tests: set ``routes``
    (path -> ``Reply``) and point the connector at ``server.base``."""
    with serve() as server:
        yield server
