"""The conformance kit on the RSS connector, against a small recorded feed and its pages."""

from __future__ import annotations

from connectors.rss import RssConnector
from connectors.sdk.testing import ConnectorContract, Reply

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
CONFIG = {"url": "{base}/feed.xml"}

STORIES = {
    "salang-reopens": ("Salang tunnel reopens after avalanche", "Mon, 02 Nov 2026 06:10:00 GMT"),
    "herat-water-talks": ("Herat water talks resume", "Tue, 03 Nov 2026 09:30:00 GMT"),
    "quetta-market": ("Quetta fruit market reopens to traders", "Wed, 04 Nov 2026 12:00:00 GMT"),
}


def _feed(*slugs: str) -> Reply:
    items = "".join(
        f"<item><title>{STORIES[s][0]}</title><link>{{base}}/news/{s}</link>"
        f"<guid>{{base}}/news/{s}</guid><pubDate>{STORIES[s][1]}</pubDate>"
        f"<description>{STORIES[s][0]}: the first paragraph.</description></item>"
        for s in slugs
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Steppe Courier</title><link>{{base}}/</link><ttl>15</ttl>{items}"
        "</channel></rss>"
    )
    return Reply(200, body, {**RSS, "ETag": f'"{len(slugs)}"'})


def _pages(*slugs: str) -> dict[str, Reply]:
    return {
        f"/news/{s}": Reply(
            200,
            f"<html><head><title>{STORIES[s][0]}</title></head><body><article>"
            f"<h1>{STORIES[s][0]}</h1><p>{STORIES[s][0]}: the first paragraph.</p>"
            "</article></body></html>",
            HTML,
        )
        for s in slugs
    }


FIRST_POLL = {"/feed.xml": _feed("herat-water-talks", "salang-reopens"), **_pages(*STORIES)}
SOMETHING_NEW = {"/feed.xml": _feed(*reversed(STORIES)), **_pages(*STORIES)}


class TestRssContract(ConnectorContract):
    connector = RssConnector
    config = CONFIG
    invalid_configs = (
        {},
        {"url": "not a url"},
        {"url": "ftp://example.org/feed.xml"},
        {"url": "{base}/feed.xml", "max_entries": 0},
    )
    first_poll = FIRST_POLL
    something_new = SOMETHING_NEW
