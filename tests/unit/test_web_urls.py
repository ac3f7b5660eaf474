"""Issue 13, finding 8: only http(s) URLs become stories, images or links
(``wire.urls.is_web_url``, used by connectors, the chain and page metadata)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.rss import RssConfig, RssConnector
from connectors.sdk.http import HttpClient
from pipeline.chain import NotAWebUrl, process
from tests.support.httpserver import Reply, http_server
from tests.support.site import make_stories
from tests.unit.test_process_cli import run_process
from wire.models import RawItem, SourceRef
from wire.urls import is_web_url

SOURCE = SourceRef(id="s", name="S", connector="rss")
HOSTILE = [
    "javascript:alert(document.cookie)",
    " JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
    "ftp://files.example/story.html",
    "mailto:desk@paper.example",
    "https:///no-host",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_non_web_urls_are_refused(url: str) -> None:
    assert not is_web_url(url)


def test_web_urls_are_accepted() -> None:
    assert is_web_url("https://paper.example/a?b=1") and is_web_url("HTTP://paper.example")


@pytest.mark.parametrize("url", HOSTILE[:5])
def test_chain_refuses_a_non_web_item_url(url: str) -> None:
    raw = RawItem(key=url, url=url, source=SOURCE, content="A story of fifty words. " * 10)
    with pytest.raises(NotAWebUrl, match="not an http"):
        process(raw)


def _page(image_meta: str) -> str:
    (story,) = make_stories(1)
    return story.html("https://paper.example").replace("<head>", f"<head>{image_meta}", 1)


def test_a_javascript_og_image_is_dropped() -> None:
    html = _page('<meta property="og:image" content="javascript:alert(1)">')
    raw = RawItem(key="k", url="https://paper.example/news/report-0", source=SOURCE, html=html)
    assert process(raw).image is None


def test_a_web_image_after_a_javascript_one_is_kept() -> None:
    html = _page(
        '<meta property="og:image" content="javascript:alert(1)">'
        '<meta name="twitter:image" content="https://cdn.paper.example/a.jpg">'
    )
    raw = RawItem(key="k", url="https://paper.example/news/report-0", source=SOURCE, html=html)
    assert process(raw).image == "https://cdn.paper.example/a.jpg"


def test_process_writes_a_dead_letter_for_a_non_web_url(tmp_path: Path) -> None:
    (story,) = make_stories(1)
    lines = [
        json.dumps({"url": url, "html": story.html("https://p.example")}) for url in HOSTILE[:5]
    ]
    run = run_process(tmp_path, lines, "--jobs", "1")
    assert run.articles == []
    assert [d["error_class"] for d in run.dead_letters] == ["NotAWebUrl"] * 5
    assert all("not an http(s) URL" in d["message"] for d in run.dead_letters)


def test_feed_links_that_are_not_web_urls_become_dead_letters() -> None:
    entries = "".join(
        f"<item><title>t{i}</title><link>{url}</link><description>d</description></item>"
        for i, url in enumerate(["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd"])
    )
    channel = f"<channel><title>f</title>{entries}</channel>"
    feed = f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'
    with http_server() as srv:
        srv.routes["/feed.xml"] = Reply(200, feed, {"Content-Type": "application/rss+xml"})
        http = HttpClient(user_agent="t", timeout=5, allow_private=True)
        conn = RssConnector(SOURCE, RssConfig(url=srv.url("/feed.xml")), http)  # type: ignore[arg-type]
        page = conn.poll({})
    assert page.items == []
    assert len(page.skipped) == 3 and all("not an http(s) URL" in r for r, _ in page.skipped)
