"""The conformance kit on the news-sitemap connector, against a recorded news site."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.sdk.recording import Recording
from connectors.sdk.testing import ConnectorContract, Reply
from connectors.sitemap import SitemapConnector

XML = {"Content-Type": "application/xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
NOW = datetime.now(UTC).replace(microsecond=0)

# slug -> (title, hours ago): inside the connector's two-day window whenever the test runs
STORIES = {
    "salang-reopens": ("Salang tunnel reopens after avalanche", 20),
    "herat-water-talks": ("Herat water talks resume", 6),
    "quetta-market": ("Quetta fruit market reopens to traders", 1),
}


def _sitemap(*slugs: str) -> Reply:
    urls = "".join(
        f"<url><loc>{{base}}/news/{s}</loc><news:news><news:publication>"
        "<news:name>Steppe Courier</news:name><news:language>en</news:language>"
        "</news:publication><news:publication_date>"
        f"{(NOW - timedelta(hours=STORIES[s][1])).isoformat()}</news:publication_date>"
        f"<news:title>{STORIES[s][0]}</news:title></news:news></url>"
        for s in slugs
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )
    return Reply(200, body, {**XML, "ETag": f'"{len(slugs)}"'})


def _pages(*slugs: str) -> dict[str, Reply]:
    return {
        f"/news/{s}": Reply(
            200,
            f"<html><head><title>{STORIES[s][0]}</title></head><body><article>"
            f"<h1>{STORIES[s][0]}</h1><p>{STORIES[s][0]}, officials said.</p>"
            "</article></body></html>",
            HTML,
        )
        for s in slugs
    }


class TestSitemapContract(ConnectorContract):
    connector = SitemapConnector
    config: ClassVar[Mapping[str, Any]] = {"url": "{base}/news-sitemap.xml"}
    invalid_configs = (
        {},
        {"url": "not a url"},
        {"url": "{base}/news-sitemap.xml", "max_age_hours": 0},
        {"url": "{base}/news-sitemap.xml", "max_articles": 0},
    )
    first_poll: ClassVar[Recording] = {
        "/news-sitemap.xml": _sitemap("salang-reopens", "herat-water-talks"),
        **_pages(*STORIES),
    }
    something_new: ClassVar[Recording] = {
        "/news-sitemap.xml": _sitemap(*STORIES),
        **_pages(*STORIES),
    }
