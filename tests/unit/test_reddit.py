"""The Reddit connector: keyless Atom feeds and the OAuth JSON API, on a local server."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.reddit import RedditConfig, RedditConnector
from connectors.reddit import connector as reddit_module
from connectors.reddit.mapping import thing_post
from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter
from connectors.sdk.http import HttpClient
from tests.support.httpserver import Reply, Server, http_server
from wire.models import SourceRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "reddit"
SOURCE = SourceRef(id="r-afghanistan", name="r/afghanistan", connector="reddit")
ATOM = {"Content-Type": "application/atom+xml; charset=UTF-8"}
JSON = {"Content-Type": "application/json; charset=UTF-8"}
FEED = "/r/afghanistan/new/.rss?limit=100"
API = "/r/afghanistan/new?limit=100&raw_json=1"


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests poll back to back: give them pacers without a gap (one test puts it back)."""
    pacers = {"keyless": reddit_module._Pacer(0.0), "oauth": reddit_module._Pacer(0.0)}
    monkeypatch.setattr(RedditConnector, "pacers", pacers)


def _fixture(name: str, site: str = "https://www.kabulnews.example") -> str:
    return (FIXTURES / name).read_text().replace("{{SITE}}", site)


def _connector(srv: Server, **config: Any) -> RedditConnector:
    config.setdefault("subreddit", "r/afghanistan")
    cfg = RedditConfig.model_validate(
        {
            "base_url": srv.base,
            "oauth_url": srv.base,
            "token_url": f"{srv.base}/api/v1/access_token",
            **config,
        }
    )
    http = HttpClient(user_agent="newswire-test", timeout=5, allow_private=True)
    return RedditConnector(SOURCE, cfg, http)


def test_keyless_feed_maps_posts_oldest_first() -> None:
    with http_server({FEED: Reply(200, _fixture("afghanistan_new.atom"), ATOM)}) as srv:
        page = _connector(srv).poll({})
    wheat, salang = page.items
    assert wheat.key == "reddit:1b7abce" and salang.key == "reddit:1b7abcd"
    assert (
        salang.url
        == "https://www.reddit.com/r/afghanistan/comments/1b7abcd/salang_pass_closed_by_floods/"
    )
    assert salang.title == "Salang pass closed by floods"
    post = salang.social
    assert post is not None and post.handle == "u/kabul_reader"
    assert post.links == ["https://www.kabulnews.example/2024/03/salang-floods"]  # [link]
    assert post.text == "Salang pass closed by floods" and post.engagement == {}
    assert post.posted_at == datetime(2024, 3, 5, 10, 20, tzinfo=UTC)
    assert wheat.social and wheat.social.text == (
        "Wheat prices in Herat\n\nPrices rose 20% this week, see Herat Times and r/economics."
    )
    # a self post's own permalink and links to Reddit are no outbound links
    assert wheat.social.links == ["https://herattimes.example/wheat-prices"]
    [(reason, _payload)] = page.skipped  # the comment entry (t1_) in the feed
    assert "t1_kzzzzzz" in reason


def test_seen_posts_are_not_repeated() -> None:
    with http_server({FEED: Reply(200, _fixture("afghanistan_new.atom"), ATOM)}) as srv:
        conn = _connector(srv)
        first = conn.poll({})
        srv.routes[FEED] = Reply(200, _fixture("afghanistan_newer.atom"), ATOM)
        second = conn.poll(json.loads(json.dumps(first.cursor)))
        third = conn.poll(second.cursor)
    assert [i.key for i in second.items] == ["reddit:1b7abcf"]
    assert third.items == [] and third.stats.get("not_modified") == 1


def test_search_feed_url() -> None:
    route = "/r/afghanistan/search.rss?q=salang+floods&sort=new&limit=100&restrict_sr=on"
    with http_server({route: Reply(200, _fixture("afghanistan_new.atom"), ATOM)}) as srv:
        page = _connector(srv, search="salang floods").poll({})
        assert srv.count(route) == 1
    assert len(page.items) == 2


def test_oauth_listing_brings_scores_and_comment_counts() -> None:
    routes = {
        "/api/v1/access_token": Reply(200, _fixture("token.json"), JSON),
        API: Reply(200, _fixture("afghanistan_new.json"), {**JSON, "x-ratelimit-remaining": "95"}),
    }
    with http_server(routes) as srv:
        conn = _connector(srv, client_id="app-id", client_secret="app-secret")
        page = conn.poll({})
        conn.poll(page.cursor)
        assert srv.count("/api/v1/access_token") == 1  # the token is kept between polls
        token_call = next(h for p, h in srv.requests if p == "/api/v1/access_token")
        api_calls = [h for p, h in srv.requests if p == API]
    basic = base64.b64encode(b"app-id:app-secret").decode()
    assert token_call["Authorization"] == f"Basic {basic}"
    assert all(h["Authorization"] == "bearer tok-123" for h in api_calls)
    assert "tok-123" not in json.dumps(page.cursor) and "app-secret" not in json.dumps(page.cursor)
    wheat, salang = page.items
    assert salang.social and salang.social.engagement == {"score": 321, "replies": 45}
    assert salang.social.links == ["https://www.kabulnews.example/2024/03/salang-floods"]
    assert salang.social.posted_at == datetime(2024, 3, 5, 10, 20, tzinfo=UTC)
    assert (
        wheat.social and wheat.social.text == "Wheat prices in Herat\n\nPrices rose 20% this week."
    )
    assert wheat.social.links == ["https://herattimes.example/wheat-prices"]
    [(reason, payload)] = page.skipped
    assert "without an id" in reason and isinstance(payload, str) and "without its id" in payload


def test_bad_credentials_are_fatal() -> None:
    routes = {"/api/v1/access_token": Reply(401, '{"message": "Unauthorized", "error": 401}', JSON)}
    with http_server(routes) as srv, pytest.raises(FatalSourceError):
        _connector(srv, client_id="app-id", client_secret="wrong").poll({})


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(200, '{"kind": "Listing", "data": {"chil', JSON), "invalid JSON"),
        (Reply(200, '{"kind": "t5", "data": {}}', JSON), "not a Listing"),
        (Reply(200, "<html><body>whoa there, pardner!</body></html>", {}), "HTML page"),
    ],
)
def test_unusable_api_answers_are_retriable(reply: Reply, words: str) -> None:
    routes = {"/api/v1/access_token": Reply(200, _fixture("token.json"), JSON), API: reply}
    with http_server(routes) as srv, pytest.raises(RetriableError, match=words):
        _connector(srv, client_id="app-id", client_secret="s").poll({})


def test_an_html_page_instead_of_the_feed_is_retriable() -> None:
    blocked = Reply(200, "<!DOCTYPE html><html><body>blocked</body></html>", {})
    with http_server({FEED: blocked}) as srv, pytest.raises(RetriableError, match="HTML"):
        _connector(srv).poll({})


def test_requests_are_paced_across_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    pacers = {"keyless": reddit_module._Pacer(600.0), "oauth": reddit_module._Pacer(0.0)}
    monkeypatch.setattr(RedditConnector, "pacers", pacers)
    with http_server({FEED: Reply(200, _fixture("afghanistan_new.atom"), ATOM)}) as srv:
        one, other = _connector(srv), _connector(srv)
        assert len(one.poll({}).items) == 2
        paced = other.poll({})  # a second source on the same client must wait its turn
        assert srv.count(FEED) == 1
    assert paced.items == [] and paced.stats == {"paced": 1}
    assert paced.interval_hint is not None and 590 < paced.interval_hint <= 600


def test_an_exhausted_window_waits_for_its_reset() -> None:
    headers = {**ATOM, "x-ratelimit-remaining": "0", "x-ratelimit-reset": "240"}
    with http_server({FEED: Reply(200, _fixture("afghanistan_new.atom"), headers)}) as srv:
        conn = _connector(srv)
        page = conn.poll({})
        with pytest.raises(RetryAfter) as err:
            conn.poll(page.cursor)
    assert len(page.items) == 2 and page.interval_hint == 240
    assert 200 < err.value.seconds <= 240


def test_config_is_validated() -> None:
    assert RedditConfig(subreddit="/r/worldnews/").subreddit == "worldnews"
    assert RedditConfig(subreddit="news+worldnews").subreddit == "news+worldnews"
    for bad in (
        {},
        {"subreddit": "a b"},
        {"subreddit": "news", "client_id": "x"},
        {"subreddit": "news", "sort": "relevance"},
        {"search": "floods", "sort": "rising"},
        {"subreddit": "news", "limit": 1000},
    ):
        with pytest.raises(ValidationError):
            RedditConfig.model_validate(bad)
    secret = {"subreddit": "news", "client_id": "i", "client_secret": "hunter2"}
    assert "hunter2" not in repr(RedditConfig.model_validate(secret))


def test_recorded_listings_and_feeds(shared_dir: Path) -> None:
    listing = json.loads(
        (
            shared_dir / "corpus/social/reddit/listings/TestSubredditListings.test_new__1.json"
        ).read_text()
    )
    posts = [thing_post(child)[0] for child in listing["data"]["children"]]
    assert len(posts) >= 25 and all(
        p.posted_at and p.url.startswith("https://www.reddit.com/r/") for p in posts
    )
    assert all("score" in p.engagement and "replies" in p.engagement for p in posts)
    atom = (shared_dir / "corpus/feeds/feed-rs/atom/atom_mediarss_reddit_1.xml").read_bytes()
    with http_server({"/r/homelab/new/.rss?limit=100": Reply(200, atom, ATOM)}) as srv:
        page = _connector(srv, subreddit="homelab").poll({})
    assert page.skipped == [] and len(page.items) >= 5
    first = page.items[-1].social
    assert first and first.post_id == "157kyrd" and first.handle == "u/Remarkable_Housing61"
    assert first.url.startswith("https://www.reddit.com/r/homelab/comments/157kyrd/")
