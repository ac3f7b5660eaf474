"""The conformance kit on the Reddit connector: keyless Atom feeds and the OAuth API."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.reddit import RedditConnector
from connectors.reddit import connector as reddit_module
from connectors.sdk.recording import Recording
from connectors.sdk.testing import ConnectorContract, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "reddit"
ATOM = {"Content-Type": "application/atom+xml; charset=UTF-8"}
JSON = {"Content-Type": "application/json; charset=UTF-8"}
SITE = "https://www.kabulnews.example"


def _body(name: str) -> str:
    return (FIXTURES / name).read_text().replace("{{SITE}}", SITE)


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kit polls fresh connectors back to back; Reddit's shared pacer would make them
    wait their turn (tests/unit/test_reddit.py checks the pacing itself)."""
    pacers = {"keyless": reddit_module._Pacer(0.0), "oauth": reddit_module._Pacer(0.0)}
    monkeypatch.setattr(RedditConnector, "pacers", pacers)


class TestRedditContract(ConnectorContract):
    connector = RedditConnector
    config: ClassVar[Mapping[str, Any]] = {"subreddit": "afghanistan", "base_url": "{base}"}
    invalid_configs = (
        {},
        {"subreddit": "not a name"},
        {"subreddit": "afghanistan", "client_id": "only-half"},
        {"subreddit": "afghanistan", "sort": "relevance"},
    )
    first_poll: ClassVar[Recording] = {
        "/r/afghanistan/new/.rss?limit=100": Reply(200, _body("afghanistan_new.atom"), ATOM)
    }
    something_new: ClassVar[Recording | None] = {
        "/r/afghanistan/new/.rss?limit=100": Reply(200, _body("afghanistan_newer.atom"), ATOM)
    }

    def test_secrets_stay_hidden(self) -> None:
        pytest.skip("keyless config: the secret is checked by TestRedditOAuthContract")


API = "/r/afghanistan/new?limit=100&raw_json=1"
TOKEN = Reply(200, '{"access_token": "tok", "expires_in": 86400}', JSON)
LISTING = _body("afghanistan_new.json")


class TestRedditOAuthContract(ConnectorContract):
    connector = RedditConnector
    config: ClassVar[Mapping[str, Any]] = {
        "subreddit": "afghanistan",
        "client_id": "app",
        "client_secret": "secret",
        "oauth_url": "{base}",
        "token_url": "{base}/api/v1/access_token",
    }
    first_poll: ClassVar[Recording] = {
        "/api/v1/access_token": TOKEN,
        API: Reply(200, LISTING, JSON),
    }
    something_new: ClassVar[Recording | None] = {
        "/api/v1/access_token": TOKEN,
        API: Reply(200, LISTING.replace('"1b7abce"', '"1b7abcf"'), JSON),
    }
