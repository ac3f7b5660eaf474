"""Feed autodiscovery: the feeds a web page advertises with ``<link rel="alternate">``.

A user often configures a site's home page rather than its feed. The page names its
feeds in its ``<head>`` (the RSS autodiscovery convention, also used for Atom and JSON
Feed)::

    <link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss">

``discover`` lists them in document order with their hrefs resolved against the page's
URL (or its ``<base href>``); ``best`` picks the one to poll. Pure functions: the
caller fetches the page through the shared HTTP client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

# Feed types in order of preference: feedparser reads RSS, Atom and RDF; JSON Feed is
# listed (the CLI shows it) but ranked last, because feedparser cannot parse it.
FEED_TYPES: dict[str, int] = {
    "application/rss+xml": 0,
    "application/atom+xml": 0,
    "application/rdf+xml": 1,
    "application/feed+json": 3,
    "application/json": 4,  # some JSON Feed publishers use the generic type
}
# Secondary feeds a site advertises next to its main one: never the best pick.
_SECONDARY = re.compile(r"\bcomments?\b|\bkommentare\b|\bcommentaires\b|\bcomentarios\b", re.I)


@dataclass(frozen=True)
class FeedLink:
    """One feed a page advertises."""

    url: str
    type: str
    title: str | None = None

    @property
    def secondary(self) -> bool:
        """A comments feed or similar: kept in the list, never preferred."""
        return bool(self.title and _SECONDARY.search(self.title)) or "/comments/" in self.url


def discover(html: str | bytes, page_url: str) -> list[FeedLink]:
    """Every feed advertised by ``html``, in document order, without duplicates."""
    if not html.strip():
        return []
    doc: lxml.html.HtmlElement | None
    try:
        doc = lxml.html.fromstring(html)
    except ValueError:  # a str with an XML encoding declaration: let lxml decode bytes
        doc = _parse(html.encode("utf-8") if isinstance(html, str) else b"")
    except etree.ParserError:
        return []
    if doc is None:
        return []
    base = page_url
    for href in doc.xpath("//base[@href]/@href")[:1]:
        base = urljoin(page_url, str(href).strip())
    links: list[FeedLink] = []
    seen: set[str] = set()
    for el in doc.iter("link", "a"):
        rel = {token.lower() for token in (el.get("rel") or "").split()}
        kind = (el.get("type") or "").split(";")[0].strip().lower()
        href = (el.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        title = " ".join((el.get("title") or "").split()) or None
        links.append(FeedLink(url=url, type=kind, title=title))
    return links


def _parse(data: bytes) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(data)
    except (etree.ParserError, ValueError):
        return None


def best(links: list[FeedLink]) -> FeedLink | None:
    """The feed to poll: a main (not comments) RSS/Atom feed, the first one the page
    lists; publishers put their main feed first."""
    if not links:
        return None
    order = {id(link): i for i, link in enumerate(links)}
    return min(links, key=lambda f: (f.secondary, FEED_TYPES[f.type], order[id(f)]))
