"""What every social connector shares (``connectors.sdk.social``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.sdk.errors import FatalSourceError, RetryAfter, SkipItem
from connectors.sdk.http import HttpClient
from connectors.sdk.social import (
    RETRY_AT,
    SocialConfig,
    check_rate_limit,
    follow_links,
    html_to_text,
    is_followable,
    links_from_html,
    note_rate_limit,
    parse_count,
    parse_time,
    request,
    social_item,
)
from tests.support.httpserver import Reply, http_server
from wire.models import RawItem, SocialPost, SourceRef

SOURCE = SourceRef(id="social", name="Social", connector="demo")
HTML = {"Content-Type": "text/html; charset=utf-8"}


class _Demo:
    """The slice of a connector the helpers use."""

    def __init__(self, **config: Any) -> None:
        self.source = SOURCE
        self.config = SocialConfig.model_validate(config)
        self.http = HttpClient(user_agent="newswire-test", timeout=5, allow_private=True)

    def raw_item(self, **fields: Any) -> RawItem:
        fields.setdefault("source", self.source)
        return RawItem(**fields)


def _post(post_id: str = "1", text: str = "hello", links: list[str] | None = None) -> SocialPost:
    return SocialPost(
        platform="demo",
        post_id=post_id,
        url=f"https://social.example/@a/{post_id}",
        handle="a@social.example",
        text=text,
        posted_at=datetime(2024, 3, 5, tzinfo=UTC),
        links=links or [],
    )


def test_html_to_text_keeps_breaks_and_folds_source_whitespace() -> None:
    html = "<p>First   line<br>second\n   line</p><p>Next <b>para</b>graph</p>"
    assert html_to_text(html) == "First line\nsecond line\n\nNext paragraph"
    assert html_to_text("") == "" and html_to_text("plain  text") == "plain text"


def test_links_from_html_drops_tags_mentions_and_the_platform() -> None:
    html = (
        '<a href="https://news.example/story?id=1">story</a>'
        '<a href="/tags/x" class="mention hashtag" rel="tag">#x</a>'
        '<span class="h-card">'
        '<a href="https://other.example/@b" class="u-url mention">@b</a></span>'
        '<a href="?q=%23y">#y</a>'
        '<a href="https://social.example/@a/2">another post</a>'
        '<a href="https://cdn.social.example/x.jpg">cdn</a>'
        '<a href="mailto:a@b.example">mail</a>'
        '<a href="https://news.example/story?id=1">again</a>'
        '<a href="https://paper.example/a">paper</a>'
    )
    links = links_from_html(html, "https://social.example/@a/1", own_hosts=["cdn.social.example"])
    assert links == ["https://news.example/story?id=1", "https://paper.example/a"]


def test_followable_links() -> None:
    skip = SocialConfig().skip_domains
    assert is_followable("https://www.dawn.com/news/1", skip)
    assert not is_followable("https://mobile.twitter.com/a/status/1", skip)  # subdomain
    assert not is_followable("https://youtu.be/abc", skip)
    assert not is_followable("https://news.example/photo.JPG", skip)
    assert not is_followable("ftp://news.example/a", skip)
    assert is_followable("https://x.com/a", ["dawn.com"])  # the list is the user's


@pytest.mark.parametrize(
    ("text", "count"),
    [("1.2K", 1200), ("37.2K", 37200), ("3M", 3_000_000), ("987", 987), ("1,024", 1024)],
)
def test_parse_count(text: str, count: int) -> None:
    assert parse_count(text) == count


def test_parse_count_and_time_refuse_garbage() -> None:
    assert parse_count("many") is None and parse_count(None) is None
    assert parse_time("2024-03-05T10:15:30.000Z") == datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)
    assert parse_time(1709633400) == datetime(2024, 3, 5, 10, 10, tzinfo=UTC)
    assert parse_time("yesterday") is None and parse_time(None) is None


def test_social_item_shape() -> None:
    item = social_item(_Demo(), _post(), html="<p>hello</p>", extra={"k": 1})
    assert item.key == "demo:1" and item.kind == "social_post"
    assert item.url == "https://social.example/@a/1" and item.source.domain == "social.example"
    assert item.content == "hello" and item.html == "<p>hello</p>"
    assert item.authors == ["a@social.example"]  # no display name: the handle
    assert item.published_at == datetime(2024, 3, 5, tzinfo=UTC) and item.extra == {"k": 1}
    assert RawItem.from_json_bytes(item.to_json_bytes()).social == item.social


def test_a_post_without_text_is_skipped_unless_titled() -> None:
    with pytest.raises(SkipItem):
        social_item(_Demo(), _post(text="  "), html="<p> </p>")
    titled = social_item(_Demo(), _post(text=""), title="A headline")
    assert titled.content == "A headline" and titled.title == "A headline"


def test_follow_links_fetches_each_page_once_and_survives_bad_links() -> None:
    page = "<html><body><p>The story.</p></body></html>"
    with http_server() as srv:
        srv.routes["/story"] = Reply(200, page, HTML)
        srv.routes["/story?utm_source=x"] = Reply(200, page, HTML)
        srv.routes["/moved"] = Reply(301, "", {"Location": "/story?utm_source=x"})
        srv.routes["/gone"] = Reply(404, "gone")
        srv.routes["/data.json"] = Reply(200, "{}", {"Content-Type": "application/json"})
        srv.routes["/empty"] = Reply(200, "", HTML)
        posts = [
            _post("1", links=[srv.url("/story"), srv.url("/gone"), srv.url("/data.json")]),
            _post("2", links=[srv.url("/story"), srv.url("/moved"), srv.url("/empty")]),
        ]
        stats: dict[str, int] = {}
        items = follow_links(_Demo(max_links_per_post=3), posts, stats=stats)
        assert srv.count("/story") == 1  # two posts link it: fetched once
    [article] = items  # the redirect lands on the same story (tracking aside): one item
    assert article.kind == "article" and article.key == f"{srv.base}/story"
    assert article.html == page and article.extra == {"linked_from": posts[0].url}
    assert stats == {"links_followed": 2, "links_failed": 3}


def test_follow_links_respects_the_per_post_limit_and_skip_list() -> None:
    with http_server() as srv:
        for path in ("/a", "/b"):
            srv.routes[path] = Reply(200, f"<p>{path}</p>", HTML)
        post = _post(links=["https://youtube.com/watch?v=1", srv.url("/a"), srv.url("/b")])
        items = follow_links(_Demo(max_links_per_post=1), [post])
        assert srv.count("/b") == 0
    assert [i.url for i in items] == [srv.url("/a")]


def test_rate_limit_window_is_kept_in_the_cursor() -> None:
    cursor: dict[str, Any] = {}
    assert note_rate_limit(cursor, "12", 60) is None and RETRY_AT not in cursor
    assert note_rate_limit(cursor, "0", 90) == 90
    with pytest.raises(RetryAfter) as err:
        check_rate_limit(cursor)
    assert 80 < err.value.seconds <= 90
    assert note_rate_limit(cursor, "50", None) is None and RETRY_AT not in cursor
    cursor[RETRY_AT] = time.time() - 1
    check_rate_limit(cursor)  # a window in the past is no reason to wait


def test_request_sends_headers_and_form_posts() -> None:
    with http_server() as srv:
        srv.routes["/api"] = Reply(200, '{"ok": true}', {"Content-Type": "application/json"})
        srv.routes["/token"] = Reply(200, '{"access_token": "t"}')
        srv.routes["/denied"] = Reply(401, "no")
        http = HttpClient(user_agent="newswire-test", timeout=5, allow_private=True)
        got = request(http, "GET", srv.url("/api"), headers={"Authorization": "Bearer s"})
        posted = request(http, "POST", srv.url("/token"), data={"a": "b"}, auth=("id", "pw"))
        with pytest.raises(FatalSourceError):
            request(http, "GET", srv.url("/denied"), headers={"Authorization": "Bearer s"})
        sent = dict(srv.requests)
    assert got.content == b'{"ok": true}' and sent["/api"]["Authorization"] == "Bearer s"
    assert posted.content == b'{"access_token": "t"}'
    assert sent["/token"]["Authorization"] == "Basic aWQ6cHc="


@pytest.mark.parametrize(
    ("body", "ctype", "html"),
    [
        # what the API connectors meet: challenge and error pages, often with no type
        (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", None, True),
        (b"<html><body>whoa there, pardner!</body></html>", "text/html", True),
        (b"<!-- cdn --><html>", "text/html; charset=utf-8", True),
        (b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>", None, True),
        (b"<div>partial</div>", "application/xhtml+xml", True),
        # JSON or XML the caller asked for: the parser judges it, even if it is broken
        (b'{"statuses": []}', None, False),
        (b"<html>", "application/json", False),
        (b'[{"id": "1", "content": "<p>cut', "text/html", False),
        (b"\x00\xff\xfe\x1f\x8b junk", "text/html", False),
    ],
)
def test_looks_like_html_one_rule_for_api_answers(
    body: bytes, ctype: str | None, html: bool
) -> None:
    from connectors.sdk.apis import looks_like_html

    assert looks_like_html(body, ctype) is html
