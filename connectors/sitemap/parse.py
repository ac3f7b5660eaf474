"""Reading sitemaps (sitemaps.org 0.9) and Google News sitemaps: pure functions, no HTTP.

A document is either a ``<urlset>`` (pages, each with ``<loc>``, maybe ``<lastmod>`` and a
``<news:news>`` block: publication name and language, publication date, title, keywords)
or a ``<sitemapindex>`` (child sitemaps, each with ``<loc>`` and maybe ``<lastmod>``).
Elements are matched by local name, so files with a missing or wrong namespace still
read; the parser recovers from broken markup and never expands entities or touches the
network (XXE and billion-laughs files are inert). Gzipped sitemaps (``.xml.gz``) are
inflated with the protocol's 50 MB cap, which also stops decompression bombs.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree

MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemap protocol's own limit
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


class SitemapError(ValueError):
    """The document cannot be read as a sitemap (the message says why)."""


@dataclass(frozen=True)
class SitemapUrl:
    """One page listed by a ``<urlset>``."""

    loc: str
    lastmod: datetime | None = None
    published: datetime | None = None
    title: str | None = None
    publication: str | None = None
    language: str | None = None
    keywords: tuple[str, ...] = ()

    @property
    def date(self) -> datetime | None:
        """When the story appeared: the news publication date, else the last change."""
        return self.published or self.lastmod


@dataclass(frozen=True)
class ChildSitemap:
    """One sitemap listed by a ``<sitemapindex>``."""

    loc: str
    lastmod: datetime | None = None


@dataclass
class Sitemap:
    is_index: bool
    urls: list[SitemapUrl] = field(default_factory=list)
    children: list[ChildSitemap] = field(default_factory=list)


def inflate(data: bytes) -> bytes:
    """``data`` itself, or its gzip content (capped) when it is gzip-compressed."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_UNCOMPRESSED + 1)
    except zlib.error as exc:
        raise SitemapError(f"broken gzip data: {exc}") from exc
    if len(out) > MAX_UNCOMPRESSED:
        raise SitemapError(f"inflates beyond the {MAX_UNCOMPRESSED // 2**20} MB sitemap limit")
    return out


def parse_sitemap(data: bytes) -> Sitemap:
    """Parse a (possibly gzipped) sitemap or sitemap index."""
    data = inflate(data)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser) if data.strip() else None
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from exc
    if root is None:
        raise SitemapError("empty or not XML")
    kind = _local(root)
    if kind == "urlset":
        return Sitemap(is_index=False, urls=[u for el in root if (u := _url(el)) is not None])
    if kind == "sitemapindex":
        children = []
        for el in root:
            if _local(el) == "sitemap" and (loc := _text(el, "loc")):
                children.append(ChildSitemap(loc, parse_w3c_datetime(_text(el, "lastmod"))))
        return Sitemap(is_index=True, children=children)
    if kind in ("rss", "feed", "rdf"):
        raise SitemapError(f"a feed (<{kind}>), not a sitemap: use the rss connector")
    raise SitemapError(f"not a sitemap (root element <{kind or str(root.tag)}>)")


def _url(el: Any) -> SitemapUrl | None:
    if _local(el) != "url":
        return None
    loc = _text(el, "loc")
    if not loc:
        return None
    news = _child(el, "news")
    if news is None:
        return SitemapUrl(loc, lastmod=parse_w3c_datetime(_text(el, "lastmod")))
    publication = _child(news, "publication")
    keywords = _text(news, "keywords") or ""
    return SitemapUrl(
        loc,
        lastmod=parse_w3c_datetime(_text(el, "lastmod")),
        published=parse_w3c_datetime(_text(news, "publication_date")),
        title=_text(news, "title"),
        publication=_text(publication, "name") if publication is not None else None,
        language=_text(publication, "language") if publication is not None else None,
        keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()),
    )


def _local(el: Any) -> str:
    return etree.QName(el.tag).localname.lower() if isinstance(el.tag, str) else ""


def _child(el: Any, name: str) -> Any:
    return next((c for c in el if _local(c) == name), None)


def _text(el: Any, name: str) -> str | None:
    child = _child(el, name)
    if child is None:
        return None
    text = " ".join("".join(child.itertext()).split())
    return text or None


def parse_w3c_datetime(text: str | None) -> datetime | None:
    """A W3C datetime (``2024-05-01``, ``2024-05-01T08:30:00+05:00``...) as aware UTC.

    Dates without a zone are taken as UTC; RFC 822 dates, seen in the wild, are read
    too; anything else is None rather than an error.
    """
    if not text:
        return None
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            match = _YEAR_MONTH.match(text)
            if match:
                value = datetime(int(match[1]), int(match[2] or 1), 1, tzinfo=UTC)
            else:
                value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
