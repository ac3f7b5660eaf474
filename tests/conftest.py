"""Shared fixtures: the shared/ corpus, and isolation on the real local stack.

Integration tests (``tests/integration``) run against the real Kafka and Elasticsearch
that ``newswire stack up`` starts. Locally they skip with a reason when the stack is
down; under CI (``CI=true``) a missing service is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.settings import stream_namespace

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: this test needs the shared corpus")
    return SHARED


def _stack_ready() -> str | None:
    from newswire.stack import Stack
    from wire.settings import Settings

    stack = Stack(Settings())
    for service in stack.services:
        if not service.ready():
            return f"{service.name} is not answering"
    return None


@pytest.fixture(scope="session")
def stack() -> None:
    problem = _stack_ready()
    if problem is None:
        return
    message = f"the local stack is needed ({problem}); start it with `newswire stack up`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def namespace(stack: None) -> Iterator[dict[str, str]]:
    """Environment giving this test its own topics, consumer groups and indices."""
    ns = "t" + uuid.uuid4().hex[:10]
    env = {
        **stream_namespace(ns, f"/tmp/newswire-test/{ns}"),
        "NEWSWIRE_INDEX_PREFIX": f"{ns}-news",
        "NEWSWIRE_INDEX_ALIAS": f"{ns}-news",
    }
    yield env
    _cleanup(env)


def _cleanup(env: dict[str, str]) -> None:
    from elasticsearch import Elasticsearch
    from kafka import KafkaAdminClient

    from wire.clients import elasticsearch_client_options, kafka_client_config
    from wire.settings import Settings

    s = Settings()
    try:
        with Elasticsearch(**elasticsearch_client_options(s)) as es:
            prefix = env["NEWSWIRE_INDEX_PREFIX"]
            es.options(ignore_status=404).indices.delete(index=f"{prefix}-*")
            es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-articles")
        admin = KafkaAdminClient(**kafka_client_config(s))
        ns = env["NEWSWIRE_TOPIC_RAW"].split(".")[0]
        mine = [t for t in admin.list_topics() if t.startswith(ns)]
        if mine:
            admin.delete_topics(mine)
        admin.close()
    except Exception as exc:  # cleanup is best effort; the names are unique anyway
        print(f"cleanup of {env['NEWSWIRE_INDEX_PREFIX']} failed: {exc}")


@pytest.fixture(autouse=True)
def _close_http_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Closes every ``HttpClient`` a test made, as the connector runner closes its own.

    Tests build connectors around throwaway clients; left to the garbage collector, their
    pooled keep-alive sockets raise ResourceWarning, which the suite turns into errors.
    """
    from connectors.sdk.http import HttpClient

    made: list[HttpClient] = []
    init = HttpClient.__init__

    def tracked(self: HttpClient, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(HttpClient, "__init__", tracked)
    yield
    for client in made:
        client.close()
