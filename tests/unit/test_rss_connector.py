"""The RSS connector against a local site: new items once, article pages fetched."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.rss import RssConfig, RssConnector
from connectors.sdk.errors import BadPayload, FatalSourceError
from connectors.sdk.http import HttpClient
from tests.support.httpserver import Reply, http_server
from tests.support.site import Site, make_stories
from wire.models import SourceRef

SOURCE = SourceRef(id="steppe", name="Steppe Courier", connector="rss", country="KZ")


def _connector(url: str) -> RssConnector:
    http = HttpClient(user_agent="t", timeout=5, allow_private=True)
    return RssConnector(SOURCE, RssConfig(url=url), http)  # type: ignore[arg-type]


def test_poll_emits_each_entry_once_with_its_page() -> None:
    site = Site(stories=make_stories(3))
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/feed.xml"] = lambda _h: Reply(
            200, site.feed(), {"Content-Type": "application/rss+xml"}
        )
        for s in site.stories + make_stories(1, start=3):
            srv.routes[f"/news/{s.slug}"] = Reply(
                200, s.html(srv.base), {"Content-Type": "text/html"}
            )
        conn = _connector(srv.url("/feed.xml"))

        page = conn.poll({})
        assert [i.title for i in page.items] == [s.title for s in site.stories]
        item = page.items[0]
        assert item.html and site.stories[0].paragraphs[0] in item.html
        assert item.summary == site.stories[0].paragraphs[0]
        assert item.published_at == site.stories[0].published
        assert item.key == f"{srv.base}/news/report-0"
        assert item.source.country == "KZ" and item.source.domain == "127.0.0.1"

        assert conn.poll(page.cursor).items == []  # nothing new, nothing repeated
        site.stories = make_stories(1, start=3) + site.stories
        newer = conn.poll(page.cursor)
        assert [i.title for i in newer.items] == [site.stories[0].title]


def test_unchanged_feed_is_not_parsed_again() -> None:
    site = Site(stories=make_stories(1))
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/feed.xml"] = Reply(200, site.feed())
        srv.routes["/news/report-0"] = Reply(200, site.stories[0].html(srv.base))
        conn = _connector(srv.url("/feed.xml"))
        first = conn.poll({})
        second = conn.poll(first.cursor)
        assert second.stats == {"not_modified": 1} and second.cursor == first.cursor


def test_entry_whose_page_fails_falls_back_to_feed_text() -> None:
    site = Site(stories=make_stories(1))
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/feed.xml"] = Reply(200, site.feed())  # the page itself is a 404
        page = _connector(srv.url("/feed.xml")).poll({})
        assert page.items[0].html is None
        assert page.items[0].summary == site.stories[0].paragraphs[0]


def test_html_page_instead_of_feed_is_a_source_error() -> None:
    with (
        http_server({"/feed.xml": Reply(200, "<html><body>Maintenance<")}) as srv,
        pytest.raises(FatalSourceError, match="not a feed"),
    ):
        _connector(srv.url("/feed.xml")).poll({})


def test_a_feed_that_worked_and_now_serves_a_page_is_a_bad_payload() -> None:
    site = Site(stories=make_stories(1))
    maintenance = "<html><body><h1>Maintenance</h1><p>Back at noon.</p></body></html>"
    broken = '{"error": "temporarily unavailable"}'  # a proxy's answer, no feed at all
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/feed.xml"] = Reply(200, site.feed())
        conn = _connector(srv.url("/feed.xml"))
        cursor = conn.poll({}).cursor
        srv.routes["/feed.xml"] = Reply(200, maintenance, {"Content-Type": "text/html"})
        with pytest.raises(BadPayload, match="advertises none") as page_error:
            conn.poll(cursor)
        srv.routes["/feed.xml"] = Reply(200, broken, {"Content-Type": "application/json"})
        with pytest.raises(BadPayload, match="not a feed") as cut_error:
            conn.poll(cursor)
    # retried, and the body kept for the dead letter, not a configuration error
    assert page_error.value.payload == maintenance.encode()
    assert cut_error.value.payload == broken.encode()


def test_an_empty_answer_where_a_feed_was_is_a_bad_payload_not_no_items() -> None:
    site = Site(stories=make_stories(1))
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/feed.xml"] = Reply(200, site.feed())
        conn = _connector(srv.url("/feed.xml"))
        cursor = conn.poll({}).cursor
        for body in ("", "<html></html>"):  # feedparser reads both without complaint
            srv.routes["/feed.xml"] = Reply(200, body, {"Content-Type": "application/rss+xml"})
            with pytest.raises(BadPayload, match="not a feed"):
                conn.poll(cursor)
        # a recognised feed with no entries is just that: no items
        empty = '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
        srv.routes["/feed.xml"] = Reply(200, empty, {"Content-Type": "application/rss+xml"})
        assert conn.poll(cursor).items == []


def _big_feed(first: int, last: int) -> str:
    """An RSS feed listing entries ``last`` down to ``first`` (newest first)."""
    items = "".join(
        f"<item><title>t{n}</title><link>https://news.example/a/{n}</link>"
        f"<description>story {n}</description></item>"
        for n in range(last, first - 1, -1)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )


def _big_connector(url: str, max_entries: int) -> RssConnector:
    http = HttpClient(user_agent="t", timeout=30, allow_private=True)
    config = RssConfig(url=url, fetch_articles=False, max_entries=max_entries)  # type: ignore[arg-type]
    return RssConnector(SOURCE, config, http)


def test_a_feed_as_long_as_max_entries_emits_only_the_one_new_entry() -> None:
    # Issue 13 (10): with 2,000 keys remembered, one new entry sent 48,001 out again.
    with http_server({"/feed.xml": Reply(200, _big_feed(1, 50_000))}) as srv:
        conn = _big_connector(srv.url("/feed.xml"), 50_000)
        first = conn.poll({})
        assert len(first.items) == 50_000 and not first.stats
        srv.routes["/feed.xml"] = Reply(200, _big_feed(1, 50_001))  # one new on top
        second = conn.poll(first.cursor)
        assert [i.title for i in second.items] == ["t50001"]
        assert "dropped" not in second.stats  # the oldest entry left the window, not new
        assert len(second.cursor["seen"]) == 50_001  # every key the feed lists is kept


def test_new_entries_past_max_entries_are_counted_as_dropped_once() -> None:
    with http_server({"/feed.xml": Reply(200, _big_feed(1, 10))}) as srv:
        conn = _big_connector(srv.url("/feed.xml"), 4)
        first = conn.poll({})
        assert [i.title for i in first.items] == ["t10", "t9", "t8", "t7"]
        assert first.stats == {"dropped": 6}
        srv.routes["/feed.xml"] = Reply(200, _big_feed(1, 12))
        second = conn.poll(first.cursor)
        assert [i.title for i in second.items] == ["t12", "t11"]
        assert second.stats == {}  # the six were counted when they were dropped


def test_items_handed_over_as_their_pages_arrive_when_the_runner_takes_them() -> None:
    site = Site(stories=make_stories(3))
    fetched: list[str] = []
    handed: list[tuple[str, list[str]]] = []  # each item, and the pages fetched by then
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/feed.xml"] = Reply(200, site.feed(), {"Content-Type": "application/rss+xml"})

        def serve(slug: str, html: str) -> Callable[[object], Reply]:
            def reply(_handler: object) -> Reply:
                fetched.append(slug)
                return Reply(200, html, {"Content-Type": "text/html"})

            return reply

        for story in site.stories:
            srv.routes[f"/news/{story.slug}"] = serve(story.slug, story.html(srv.base))
        conn = _connector(srv.url("/feed.xml"))
        conn.handoff = lambda item: handed.append((item.url.rsplit("/", 1)[-1], list(fetched)))
        polled = conn.poll({})
    # each item went to the runner right after its own page, before the next download;
    # the page itself carries none of them, only the cursor
    slugs = [story.slug for story in site.stories]
    assert handed == [(slug, slugs[: i + 1]) for i, slug in enumerate(slugs)]
    assert polled.items == [] and polled.cursor["seen"]
