"""The conformance kit on the Mastodon connector, against recorded tag timelines."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from connectors.mastodon import MastodonConnector
from connectors.sdk.recording import Recording
from connectors.sdk.testing import ConnectorContract, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "mastodon"
JSON = {"Content-Type": "application/json; charset=utf-8"}
TAG = "/api/v1/timelines/tag/afghanistan?limit=40"
AFTER_FIRST = f"{TAG}&min_id=112000000000000103"
AFTER_NEW = f"{TAG}&min_id=112000000000000104"


def _json(name: str) -> Reply:
    body = (FIXTURES / name).read_text().replace("{{SITE}}", "https://www.kabulnews.example")
    return Reply(200, body, JSON)


class TestMastodonContract(ConnectorContract):
    connector = MastodonConnector
    config: ClassVar[Mapping[str, Any]] = {"instance": "{base}", "hashtag": "afghanistan"}
    invalid_configs = (
        {"instance": "{base}"},
        {"instance": "{base}", "hashtag": "a", "account": "b"},
        {"instance": "not a url", "hashtag": "a"},
        {"instance": "http://mastodon.example", "hashtag": "a", "access_token": "t"},
    )
    first_poll: ClassVar[Recording] = {TAG: _json("tag_timeline.json")}
    nothing_new: ClassVar[Recording | None] = {AFTER_FIRST: Reply(200, "[]", JSON)}
    something_new: ClassVar[Recording | None] = {
        AFTER_FIRST: _json("tag_timeline_newer.json"),
        AFTER_NEW: Reply(200, "[]", JSON),
    }
