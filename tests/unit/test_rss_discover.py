"""Feed autodiscovery: finding, ranking and following the feeds a page advertises."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.rss import RssConfig, RssConnector
from connectors.rss.discover import FeedLink, best, discover
from connectors.sdk.apis import looks_like_html
from connectors.sdk.errors import FatalSourceError
from connectors.sdk.http import HttpClient
from tests.support.httpserver import Reply, http_server
from tests.support.site import Site, make_stories
from wire.models import SourceRef

SOURCE = SourceRef(id="steppe", name="Steppe Courier", connector="rss", country="KZ")

HOME = """<!DOCTYPE html>
<html><head>
<title>Steppe Courier</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" hreflang="ru" href="/ru/">
<link rel="alternate" type="application/rss+xml" title="Steppe Courier » Comments Feed"
      href="/comments/feed/">
<link rel="alternate" type="application/feed+json" title="JSON" href="/feed.json">
<link rel="alternate" type="application/rss+xml" title="Steppe Courier" href="feed.xml">
<link rel="Alternate Feed" type="application/atom+xml; charset=utf-8" href="/atom.xml">
<link rel="alternate" type="application/rss+xml" href="feed.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:void(0)">
</head><body><a rel="alternate" type="application/atom+xml" href="/body.atom">A</a></body>
</html>"""


def test_discover_lists_feeds_in_order_resolved_and_deduplicated() -> None:
    links = discover(HOME, "https://steppe.example/news/")
    assert [(f.url, f.type) for f in links] == [
        ("https://steppe.example/comments/feed/", "application/rss+xml"),
        ("https://steppe.example/feed.json", "application/feed+json"),
        ("https://steppe.example/news/feed.xml", "application/rss+xml"),
        ("https://steppe.example/atom.xml", "application/atom+xml"),
        ("https://steppe.example/body.atom", "application/atom+xml"),
    ]
    assert links[0].secondary and not links[2].secondary
    assert links[2].title == "Steppe Courier"


def test_best_prefers_a_main_rss_or_atom_feed_over_comments_and_json() -> None:
    links = discover(HOME, "https://steppe.example/news/")
    choice = best(links)
    assert choice is not None and choice.url == "https://steppe.example/news/feed.xml"
    only_json = [FeedLink("https://a.example/feed.json", "application/feed+json")]
    assert best(only_json) == only_json[0]
    assert best([]) is None


def test_base_href_is_honoured() -> None:
    html = (
        '<html><head><base href="https://cdn.example/site/">'
        '<link rel="alternate" type="application/atom+xml" href="atom"></head></html>'
    )
    assert [f.url for f in discover(html, "https://steppe.example/")] == [
        "https://cdn.example/site/atom"
    ]


@pytest.mark.parametrize("html", ["", "   ", "<html><head></head></html>", "\x00\x01garbage"])
def test_pages_without_feeds_give_nothing(html: str) -> None:
    assert discover(html, "https://steppe.example/") == []


def test_looks_like_html() -> None:
    assert looks_like_html(b"<!DOCTYPE html><html>", "text/html; charset=utf-8")
    assert looks_like_html(b"\xef\xbb\xbf  <html lang='en'>", None)
    assert not looks_like_html(b"<?xml version='1.0'?><rss>", "text/html")  # a mislabelled feed
    assert not looks_like_html(b"<!DOCTYPE html>", "application/rss+xml")
    assert not looks_like_html(b'{"version": "https://jsonfeed.org/version/1"}', "text/plain")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DaringFireball.html", "https://daringfireball.net/feeds/main"),
        ("sixcolors.html", "http://feedpress.me/sixcolors"),
        ("coco.html", "https://www.theatlantic.com/feed/all/"),
        ("furbo.html", "http://furbo.org/feed/"),
        ("inessential.html", "http://inessential.com/xml/rss.xml"),
        (
            "YouTubeTheVolvoRocks.html",
            "https://www.youtube.com/feeds/videos.xml?channel_id=UCct7QF2jcWRY6dhXWMSq9LQ",
        ),
    ],
)
def test_real_pages_from_the_corpus(shared_dir: Path, name: str, expected: str) -> None:
    page = shared_dir / "corpus/feeds/netnewswire" / name
    bases = {
        "DaringFireball.html": "https://daringfireball.net/",
        "coco.html": "https://www.theatlantic.com/",
    }
    choice = best(discover(page.read_bytes(), bases.get(name, "https://unknown.example/")))
    assert choice is not None and choice.url == expected


def _connector(url: str) -> RssConnector:
    http = HttpClient(user_agent="t", timeout=5, allow_private=True)
    return RssConnector(SOURCE, RssConfig(url=url), http)  # type: ignore[arg-type]


def test_connector_follows_the_advertised_feed_and_remembers_it() -> None:
    site = Site(stories=make_stories(2))
    home = '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
    home += 'href="/feed.xml"></head><body>Home</body></html>'
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/"] = Reply(200, home, {"Content-Type": "text/html"})
        srv.routes["/feed.xml"] = lambda _h: Reply(200, site.feed())
        for s in site.stories:
            srv.routes[f"/news/{s.slug}"] = Reply(200, s.html(srv.base))
        conn = _connector(srv.url("/"))

        page = conn.poll({})
        assert [i.title for i in page.items] == [s.title for s in site.stories]
        assert page.cursor["feed_url"] == srv.url("/feed.xml")
        assert page.cursor["site_url"] == srv.url("/")

        again = conn.poll(page.cursor)  # straight to the feed: the home page is not asked again
        assert again.stats == {"not_modified": 1}
        assert srv.count("/") == 1 and srv.count("/feed.xml") == 2


def test_connector_looks_again_when_the_discovered_feed_is_gone() -> None:
    site = Site(stories=make_stories(1))
    home = '<html><head><link rel="alternate" type="application/atom+xml" href="/new.xml">'
    with http_server() as srv:
        site.base = srv.base
        srv.routes["/"] = Reply(200, home + "</head></html>", {"Content-Type": "text/html"})
        srv.routes["/new.xml"] = lambda _h: Reply(200, site.feed())
        srv.routes[f"/news/{site.stories[0].slug}"] = Reply(200, site.stories[0].html(srv.base))
        old = {"site_url": srv.url("/"), "feed_url": srv.url("/old.xml"), "seen": []}
        page = _connector(srv.url("/")).poll(old)
        assert page.cursor["feed_url"] == srv.url("/new.xml")
        assert [i.title for i in page.items] == [site.stories[0].title]


def test_a_page_advertising_no_feed_is_a_source_error() -> None:
    page = "<!DOCTYPE html><html><head><title>Nope</title></head><body></body></html>"
    with (
        http_server({"/": Reply(200, page, {"Content-Type": "text/html"})}) as srv,
        pytest.raises(FatalSourceError, match="advertises none"),
    ):
        _connector(srv.url("/")).poll({})


def test_cli_lists_what_a_site_advertises_best_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from newswire.cli.main import app
    from wire.settings import get_settings

    monkeypatch.setenv("NEWSWIRE_HTTP_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    try:
        routes = {
            "/news/": Reply(200, HOME, {"Content-Type": "text/html"}),
            "/nothing": Reply(200, "<html><head></head></html>", {"Content-Type": "text/html"}),
        }
        with http_server(routes) as srv:
            result = CliRunner().invoke(app, ["sources", "discover", srv.url("/news/")])
            empty = CliRunner().invoke(app, ["sources", "discover", srv.url("/nothing")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"* {srv.base}/news/feed.xml")
    assert sum(srv.base in line for line in lines) == 5
    assert empty.exit_code == 1 and "advertises no feed" in empty.output
