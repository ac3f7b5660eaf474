"""The conformance kit on the Bluesky connector, its Jetstream replayed by a fake server.

The kit drives a connector until ``Page.more`` is false and serves HTTP scenes; a stream
says ``more=True`` while connected and speaks WebSocket. So each scene gets its own fake
Jetstream (``tests/support/jetstream.py``), and the kit drives the connector through
``UntilIdle``: one ``fetch`` reads the stream until a window passes without a message,
then closes the socket. Every kit scene is therefore a restart from the saved cursor,
the hardest case for resuming. Error scenes point the connector at the kit's HTTP server,
whose statuses answer the WebSocket handshake.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from connectors.bluesky import BlueskyConnector
from connectors.sdk.base import Connector, ConnectorConfig, Cursor, Page
from connectors.sdk.testing import ConnectorContract
from tests.support.jetstream import fake_jetstream

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "bluesky"


class UntilIdle(BlueskyConnector):
    """One fetch = connect, read until idle, disconnect; ``more`` is false."""

    window_seconds = 0.5

    def fetch(self, cursor: Cursor) -> Page:
        total = Page(cursor=cursor)
        try:
            for _ in range(200):
                page = super().fetch(total.cursor)
                total.items += page.items
                total.skipped += page.skipped
                total.cursor = page.cursor
                if self.connected and page.stats.get("messages", 0) == 0:
                    break
        finally:
            self.close()
        return total


class _JetstreamContract(ConnectorContract):
    connector = BlueskyConnector
    name = "bluesky"
    first_poll = MappingProxyType({})  # nothing is served over HTTP: accounts are DIDs
    something_new = MappingProxyType({})
    invalid_configs = (
        {},
        {"accounts": ["not a handle!"]},
        {"keywords": ["x"], "jetstream": "https://jetstream.example/subscribe"},
        {"keywords": ["x"], "author_feed": True},
        {"keywords": ["x"], "rewind_seconds": -1},
    )
    config = MappingProxyType({"keywords": ["news"]})  # scenes' configs: config_for
    first_count = 0
    """How many of the recorded events the first scenes serve; something_new serves all."""

    def recorded(self, request: pytest.FixtureRequest) -> list[str]:
        """The Jetstream messages to replay, in order."""
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _streams(self, request: pytest.FixtureRequest) -> Iterator[None]:
        events = self.recorded(request)
        self.accounts = _dids(events)
        with (
            fake_jetstream(events[: self.first_count]) as before,
            fake_jetstream(events) as after,
        ):
            self.urls = {"first": before.url, "grown": after.url}
            yield

    def config_for(self, scene: str, base: str) -> dict[str, Any]:
        if scene in ("error", "garbage", "unreachable"):
            url = base.replace("http://", "ws://") + "/subscribe"
        else:
            url = self.urls["grown" if scene == "something_new" else "first"]
        return {"accounts": self.accounts, "jetstream": url, "appview": base}

    def make_connector(self, config: ConnectorConfig) -> Connector[Any]:
        assert isinstance(config, self.connector.config_model)
        return UntilIdle(self.make_source(), config, self.make_http())


def _dids(events: list[str]) -> list[str]:
    found: list[str] = []
    for line in events:
        event = json.loads(line)
        commit = event.get("commit") or {}
        if commit.get("collection") == "app.bsky.feed.post" and event["did"] not in found:
            found.append(event["did"])
    return found


class TestBlueskyContract(_JetstreamContract):
    """Invented events: always run."""

    first_count = 4

    def recorded(self, request: pytest.FixtureRequest) -> list[str]:
        return (FIXTURES / "events.jsonl").read_text(encoding="utf-8").splitlines()


class TestBlueskyCorpusContract(_JetstreamContract):
    """The production capture of the shared corpus (152 events): skipped when absent."""

    first_count = 80

    def recorded(self, request: pytest.FixtureRequest) -> list[str]:
        shared: Path = request.getfixturevalue("shared_dir")
        capture = shared / "corpus/social/bluesky/jetstream/expected_v1.jsonl"
        return capture.read_text(encoding="utf-8").splitlines()
