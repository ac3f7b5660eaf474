"""The X connector through Nitter- and RSSHub-shaped bridge feeds on a local server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.sdk.errors import RetriableError
from connectors.sdk.http import HttpClient
from connectors.xbridge import XBridgeConfig, XBridgeConnector
from tests.support.httpserver import Reply, Server, http_server
from wire.models import SourceRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "x"
SOURCE = SourceRef(id="x-kabulwire", name="@kabulwire", connector="x")
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _fixture(name: str, site: str = "https://www.kabulnews.example") -> str:
    return (FIXTURES / name).read_text().replace("{{SITE}}", site)


def _connector(srv: Server, bridge: str = "/{user}/rss", **config: Any) -> XBridgeConnector:
    config.setdefault("user", "@kabulwire")
    # the bridge answers on "localhost", linked sites on "127.0.0.1": different hosts
    base = srv.base.replace("127.0.0.1", "localhost")
    cfg = XBridgeConfig.model_validate({"bridge": base + bridge, **config})
    http = HttpClient(user_agent="newswire-test", timeout=5, allow_private=True)
    return XBridgeConnector(SOURCE, cfg, http)


def test_nitter_feed_maps_to_x_posts() -> None:
    with http_server({"/kabulwire/rss": Reply(200, _fixture("nitter_user.rss"), RSS)}) as srv:
        page = _connector(srv).poll({})
        assert all(path.startswith(("/kabulwire/rss", "/robots.txt")) for path, _ in srv.requests)
    salang, wheat, bulletin = page.items  # oldest first
    post = salang.social
    assert post is not None and salang.kind == "social_post"
    assert salang.key == "x:1765100000000000001"
    assert post.url == salang.url == "https://x.com/kabulwire/status/1765100000000000001"
    assert post.platform == "x" and post.handle == "kabulwire" and post.author == "Kabul Wire"
    assert post.text.startswith("Salang pass closed by floods. Our report: kabulnews.example")
    # hashtags, mentions, t.co and x.com links are not followed; the story link is
    assert post.links == ["https://www.kabulnews.example/2024/03/salang-floods"]
    assert post.posted_at == datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)
    # a retweet is the original author's post under its own URL
    assert wheat.social and wheat.social.handle == "heratdesk" and wheat.social.author is None
    assert wheat.url == "https://x.com/heratdesk/status/1765100000000000002"
    assert wheat.social.links == ["https://herattimes.example/wheat-prices"]
    assert bulletin.social and bulletin.social.text == "Evening bulletin: all roads open."
    [(reason, payload)] = page.skipped  # the item without a status id
    assert "status" in reason and isinstance(payload, str) and "broken" in payload


def test_rsshub_feed_gives_the_same_keys_as_nitter() -> None:
    routes = {
        "/twitter/user/kabulwire": Reply(200, _fixture("rsshub_user.rss"), RSS),
        "/kabulwire/rss": Reply(200, _fixture("nitter_user.rss"), RSS),
    }
    with http_server(routes) as srv:
        rsshub = _connector(srv, bridge="/twitter/user/{user}").poll({})
        nitter = _connector(srv).poll({})
    [item] = rsshub.items
    assert item.social and item.social.author == "Kabul Wire"  # RSSHub's <author>
    assert item.key in {i.key for i in nitter.items}
    assert item.social.links == ["https://www.kabulnews.example/2024/03/salang-floods"]


def test_seen_posts_are_not_repeated_and_unchanged_feeds_not_parsed() -> None:
    with http_server({"/kabulwire/rss": Reply(200, _fixture("nitter_user.rss"), RSS)}) as srv:
        conn = _connector(srv)
        first = conn.poll({})
        same = conn.poll(json.loads(json.dumps(first.cursor)))
        srv.routes["/kabulwire/rss"] = Reply(
            200, _fixture("nitter_user.rss").replace("all roads open", "all roads open!"), RSS
        )
        changed = conn.poll(first.cursor)
    assert same.stats == {"not_modified": 1} and same.items == []
    assert changed.items == []  # the body changed, but every post was seen already
    assert len(changed.cursor["seen"]) == 3


def test_search_template() -> None:
    route = "/search/rss?f=tweets&q=salang%20floods"
    with http_server({route: Reply(200, _fixture("nitter_user.rss"), RSS)}) as srv:
        page = _connector(
            srv, bridge="/search/rss?f=tweets&q={query}", user=None, query="salang floods"
        ).poll({})
        assert srv.count(route) == 1
    assert len(page.items) == 3


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(200, "<html><body>Instance has been rate limited.</body></html>", HTML), "HTML"),
        (Reply(200, '{"error": "not found"}', {"Content-Type": "application/json"}), "not a feed"),
    ],
)
def test_unusable_bridge_answers_are_retriable(reply: Reply, words: str) -> None:
    with http_server({"/kabulwire/rss": reply}) as srv, pytest.raises(RetriableError, match=words):
        _connector(srv).poll({})


def test_a_truncated_feed_dead_letters_the_cut_item() -> None:
    feed = _fixture("nitter_user.rss")
    cut = Reply(200, feed[: feed.index("Our report: <a")], RSS)  # inside the third item
    with http_server({"/kabulwire/rss": cut}) as srv:
        page = _connector(srv).poll({})
    assert [i.key for i in page.items] == ["x:1765100000000000002", "x:1765100000000000003"]
    assert len(page.skipped) == 1 and "status" in page.skipped[0][0]


def test_follow_links_never_touches_x() -> None:
    story = "<html><body><p>Salang floods.</p></body></html>"
    with http_server() as srv:
        srv.routes["/kabulwire/rss"] = Reply(200, _fixture("nitter_user.rss", site=srv.base), RSS)
        srv.routes["/2024/03/salang-floods"] = Reply(200, story, HTML)
        page = _connector(srv, follow_links=True, skip_domains=["herattimes.example"]).poll({})
    [article] = [i for i in page.items if i.kind == "article"]
    assert article.url == f"{srv.base}/2024/03/salang-floods"
    assert article.extra["linked_from"] == "https://x.com/kabulwire/status/1765100000000000001"


def test_config_is_validated() -> None:
    ok = XBridgeConfig(bridge="https://nitter.example/{user}/rss", user="@kabulwire")
    assert ok.user == "kabulwire"
    for bad in (
        {"bridge": "https://nitter.example/{user}/rss"},
        {"bridge": "https://nitter.example/rss", "user": "kabulwire"},
        {"bridge": "https://nitter.example/{user}/rss", "query": "floods"},
        {"bridge": "https://x.com/{user}", "user": "kabulwire"},
        {"bridge": "https://twitter.com/{user}/rss", "user": "kabulwire"},
        {"bridge": "https://nitter.example/{user}/rss", "user": "not a handle"},
        {"bridge": "ftp://nitter.example/{user}", "user": "kabulwire"},
    ):
        with pytest.raises(ValidationError):
            XBridgeConfig.model_validate(bad)
