"""The news-sitemap connector against a local site, and the sitemap parser on real files."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.sdk.base import Cursor
from connectors.sdk.errors import FatalSourceError
from connectors.sdk.http import HttpClient
from connectors.sitemap import SitemapConfig, SitemapConnector
from connectors.sitemap.connector import _hash
from connectors.sitemap.parse import SitemapError, parse_sitemap, parse_w3c_datetime
from tests.support.httpserver import Reply, http_server
from wire.models import SourceRef

SOURCE = SourceRef(id="steppe-news", name="Steppe Courier", connector="sitemap", country="KZ")
NOW = datetime.now(UTC).replace(microsecond=0)


def ago(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).isoformat()


def news_url(path: str, published: str | None, title: str = "", lastmod: str | None = None) -> str:
    news = ""
    if published:
        news = f"""<news:news><news:publication><news:name>Steppe Courier</news:name>
        <news:language>en</news:language></news:publication>
        <news:publication_date>{published}</news:publication_date>
        <news:title>{title or path}</news:title><news:keywords>Herat, water</news:keywords>
        </news:news>"""
    mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{{base}}{path}</loc>{mod}{news}</url>"


def urlset(*urls: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(urls) + "</urlset>"
    )


def index(*children: tuple[str, str | None]) -> str:
    items = "".join(
        f"<sitemap><loc>{{base}}{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</sitemap>"
        for loc, mod in children
    )
    return (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    )


def article(path: str) -> Reply:
    return Reply(200, f"<html><body><h1>{path}</h1><p>Text of {path}.</p></body></html>")


def connector(url: str, **config: object) -> SitemapConnector:
    http = HttpClient(user_agent="t", timeout=5, allow_private=True)
    return SitemapConnector(SOURCE, SitemapConfig(url=url, **config), http)  # type: ignore[arg-type]


def test_news_sitemap_emits_recent_pages_once_oldest_first() -> None:
    sitemap = urlset(
        news_url("/news/b", ago(2), "Water talks in Herat"),
        news_url("/news/a", ago(30), "A rail corridor"),
        news_url("/news/old", ago(72), "Three days ago"),
        "<url><loc>{base}/news/undated</loc></url>",
        news_url("/news/b", ago(2)),  # listed twice
    )
    routes = {"/news-sitemap.xml": Reply(200, sitemap, {"ETag": '"v1"'})}
    routes |= {f"/news/{p}": article(p) for p in ("a", "b", "c", "old", "undated")}
    with http_server(routes) as srv:
        conn = connector(srv.url("/news-sitemap.xml"))
        page = conn.poll({})
        assert [i.url for i in page.items] == [srv.url("/news/a"), srv.url("/news/b")]
        item = page.items[1]
        assert item.title == "Water talks in Herat" and item.lang == "en"
        assert item.published_at == NOW - timedelta(hours=2)
        assert item.html and "Text of b." in item.html
        assert item.extra == {
            "news_publication": "Steppe Courier",
            "news_keywords": ["Herat", "water"],
        }
        assert item.source.domain == "127.0.0.1" and item.key == srv.url("/news/b")
        assert page.stats["too_old"] == 1 and page.stats["undated"] == 1
        assert srv.count("/news/old") == 0 and srv.count("/news/undated") == 0

        again = conn.poll(page.cursor)  # the sitemap did not change
        assert again.items == [] and again.stats["not_modified"] == 1
        assert srv.requests[-1][1].get("If-None-Match") == '"v1"'

        srv.routes["/news-sitemap.xml"] = Reply(
            200,
            urlset(news_url("/news/c", ago(0.5)), news_url("/news/b", ago(2))),
            {"ETag": '"v2"'},
        )
        newer = conn.poll(again.cursor)
        assert [i.url for i in newer.items] == [srv.url("/news/c")]


def test_an_updated_story_is_not_emitted_again() -> None:
    routes = {"/s.xml": Reply(200, urlset(news_url("/news/a", None, lastmod=ago(5))))}
    routes["/news/a"] = article("a")
    with http_server(routes) as srv:
        conn = connector(srv.url("/s.xml"))
        first = conn.poll({})
        assert len(first.items) == 1
        srv.routes["/s.xml"] = Reply(200, urlset(news_url("/news/a", None, lastmod=ago(0.1))))
        second = conn.poll(first.cursor)
        assert second.items == []
        key = _hash(srv.url("/news/a"))
        assert second.cursor["seen"][key] > first.cursor["seen"][key]  # the later date is kept


def test_sitemap_index_reads_fresh_children_including_gzipped_ones() -> None:
    child_a = urlset(news_url("/news/a", ago(1)))
    child_b = urlset(news_url("/news/b", ago(3)), news_url("/news/c", ago(4)))
    routes = {
        "/sitemap_index.xml": Reply(
            200, index(("/s-today.xml.gz", ago(1)), ("/s-old.xml", ago(24 * 5)), ("/s-b.xml", None))
        ),
        "/s-today.xml.gz": Reply(
            200, gzip.compress(child_a.encode()), {"Content-Type": "application/x-gzip"}
        ),
        "/s-b.xml": Reply(200, child_b),
        "/s-old.xml": Reply(200, urlset(news_url("/news/old", ago(1)))),
    }
    routes |= {f"/news/{p}": article(p) for p in "abc"}
    with http_server(routes) as srv:
        # {base} inside the gzipped body is not rewritten by the server: do it here.
        body = gzip.compress(child_a.replace("{base}", srv.base).encode())
        srv.routes["/s-today.xml.gz"] = Reply(200, body, {"Content-Type": "application/x-gzip"})
        page = connector(srv.url("/sitemap_index.xml")).poll({})
        assert sorted(i.url.rsplit("/", 1)[1] for i in page.items) == ["a", "b", "c"]
        assert srv.count("/s-old.xml") == 0 and page.stats["old_sitemaps"] == 1


def test_an_unchanged_index_still_reads_its_children() -> None:
    routes = {
        "/idx.xml": Reply(200, index(("/s.xml", None)), {"ETag": '"i"'}),
        "/s.xml": Reply(200, urlset(news_url("/news/a", ago(1)))),
        "/news/a": article("a"),
        "/news/b": article("b"),
    }
    with http_server(routes) as srv:
        conn = connector(srv.url("/idx.xml"))
        first = conn.poll({})
        srv.routes["/s.xml"] = Reply(
            200, urlset(news_url("/news/a", ago(1)), news_url("/news/b", ago(0.2)))
        )
        second = conn.poll(first.cursor)
        assert [i.url for i in second.items] == [srv.url("/news/b")]


def test_a_long_list_is_taken_in_pages() -> None:
    urls = [news_url(f"/news/{i}", ago(10 - i)) for i in range(5)]
    routes = {"/s.xml": Reply(200, urlset(*urls), {"ETag": '"x"'})}
    routes |= {f"/news/{i}": article(str(i)) for i in range(5)}
    with http_server(routes) as srv:
        conn = connector(srv.url("/s.xml"), max_articles=2)
        cursor: Cursor = {}
        got = []
        for _ in range(3):
            page = conn.poll(cursor)
            got += [i.url.rsplit("/", 1)[1] for i in page.items]
            cursor = page.cursor
        assert got == ["0", "1", "2", "3", "4"] and page.more is False
        assert srv.count("/s.xml") == 3  # not a 304: the pages still waiting must be found


def test_failed_article_pages() -> None:
    urls = [
        news_url("/news/gone", ago(3)),
        news_url("/news/busy", ago(2)),
        news_url("/news/ok", ago(1)),
    ]
    routes = {"/s.xml": Reply(200, urlset(*urls)), "/news/gone": Reply(404, "no")}
    routes |= {"/news/busy": Reply(503, "later", {"Retry-After": "0"}), "/news/ok": article("ok")}
    with http_server(routes) as srv:
        conn = connector(srv.url("/s.xml"))
        first = conn.poll({})
        assert first.items == [] and len(first.skipped) == 1  # gone: a dead letter
        assert "404" in first.skipped[0][0] and first.skipped[0][1] == srv.url("/news/gone")
        assert first.stats["pending"] == 2  # busy and ok wait for the next poll
        srv.routes["/news/busy"] = article("busy")
        second = conn.poll(first.cursor)
        assert [i.url for i in second.items] == [srv.url("/news/busy"), srv.url("/news/ok")]
        assert second.skipped == [] and srv.count("/news/gone") == 1


def test_memory_of_emitted_pages_is_bounded_by_the_window() -> None:
    old, recent = _hash("https://x.example/old"), _hash("https://x.example/new")
    stale = int((NOW - timedelta(hours=100)).timestamp())
    fresh = int((NOW - timedelta(hours=1)).timestamp())
    with http_server({"/s.xml": Reply(200, urlset())}) as srv:
        page = connector(srv.url("/s.xml")).poll({"seen": {old: stale, recent: fresh}})
        assert page.cursor["seen"] == {recent: fresh}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<rss version="2.0"><channel></channel></rss>', "use the rss connector"),
        ("<html><body>Not found</body></html>", "not a sitemap"),
        ("", "empty or not XML"),
    ],
)
def test_what_is_not_a_sitemap_is_a_source_error(body: str, message: str) -> None:
    with (
        http_server({"/s.xml": Reply(200, body)}) as srv,
        pytest.raises(FatalSourceError, match=message),
    ):
        connector(srv.url("/s.xml")).poll({})


def test_a_broken_child_does_not_stop_the_others() -> None:
    routes = {
        "/idx.xml": Reply(200, index(("/bad.xml", None), ("/gone.xml", None), ("/s.xml", None))),
        "/bad.xml": Reply(200, "<feed/>"),
        "/s.xml": Reply(200, urlset(news_url("/news/a", ago(1)))),
        "/news/a": article("a"),
    }
    with http_server(routes) as srv:
        page = connector(srv.url("/idx.xml")).poll({})
        assert len(page.items) == 1 and page.stats["sitemap_errors"] == 2


def test_entities_are_inert(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    evil = f"""<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file://{secret}">]>
    <urlset><url><loc>https://a.example/&x;</loc></url></urlset>""".encode()
    assert "TOP-SECRET" not in parse_sitemap(evil).urls[0].loc


def test_gzip_bombs_are_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024))
    with pytest.raises(SitemapError, match="50 MB"):
        parse_sitemap(bomb)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T10:30:00+05:00", datetime(2024, 5, 1, 5, 30, tzinfo=UTC)),
        ("2024-05-01T10:30:00.25Z", datetime(2024, 5, 1, 10, 30, 0, 250000, tzinfo=UTC)),
        ("2024-05-01T10:30Z", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("2024-05", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:30:00 GMT", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("yesterday", None),
        ("2024-13", None),
        (None, None),
    ],
)
def test_w3c_datetimes(text: str | None, expected: datetime | None) -> None:
    assert parse_w3c_datetime(text) == expected


def test_real_sitemaps(shared_dir: Path) -> None:
    feeds = shared_dir / "corpus/feeds"
    news = parse_sitemap((feeds / "commoncrawl-news-crawl/sitemap-news.xml").read_bytes())
    assert not news.is_index and len(news.urls) == 1
    url = news.urls[0]
    assert url.loc == "http://www.example.com/business/article55.html"
    assert url.publication == "The Example Times" and url.language == "en"
    assert url.title == "Companies A, B in Merger Talks"
    assert url.published == datetime(2008, 12, 23, tzinfo=UTC)
    assert url.keywords == ("business", "merger", "acquisition", "A", "B")

    plain = parse_sitemap((feeds / "trafilatura/sitemap.xml").read_bytes())
    gzipped = parse_sitemap((feeds / "trafilatura/sitemap.xml.gz").read_bytes())
    assert plain.urls == gzipped.urls and len(plain.urls) > 10
    assert plain.urls[0].lastmod == datetime(2016, 11, 21, tzinfo=UTC)

    idx = parse_sitemap((feeds / "trafilatura/sitemap2.xml").read_bytes())
    assert idx.is_index and [c.loc for c in idx.children] == [
        "http://www.example.com/sitemap1.xml.gz",
        "http://www.example.com/sitemap2.xml.gz",  # from CDATA
    ]
    hreflang = parse_sitemap((feeds / "trafilatura/sitemap-hreflang.xml").read_bytes())
    assert hreflang.urls
    with pytest.raises(SitemapError, match="rss connector"):
        parse_sitemap(
            (feeds / "commoncrawl-news-crawl/feed-with-sitemap-namespace.xml").read_bytes()
        )
