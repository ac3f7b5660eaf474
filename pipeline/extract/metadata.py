"""Page metadata read from the markup: meta tags, JSON-LD, ``<time>``, ``<html lang>``.

Why our own reader beside trafilatura's: trafilatura returns the publication *day*
(htmldate) and one author string; the page usually states the exact instant with its
offset (``article:published_time``, JSON-LD ``datePublished``) and a list of authors.
Trafilatura's values remain the fallback, merged in :mod:`pipeline.extract`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import trafilatura
from dateutil import parser as date_parser
from lxml.html import HtmlElement

from pipeline.clean.text import squash
from pipeline.extract.body import shield_joiners, unshield_joiners
from wire.urls import is_web_or_relative

_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "report",
        "scholarlyarticle",
        "techarticle",
        "webpage",
        "medicalwebpage",
    }
)
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "article:published",
    "published_time",
    "datepublished",
    "publish_date",
    "publishdate",
    "publish-date",
    "pubdate",
    "og:pubdate",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "dc.date.created",
    "date",
    "article.published",
    "originalpublicationdate",
    "article_date_original",
    "cxenseparse:recs:publishtime",
    "rnews:datepublished",
    "date.release",
)
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_TITLE_KEYS = ("og:title", "twitter:title")
_SITE_KEYS = ("og:site_name", "application-name", "publisher", "twitter:site")
_IMAGE_KEYS = (
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


@dataclass
class PageMeta:
    """What the markup itself states; every field may be missing."""

    canonical: list[str | None] = field(default_factory=list)
    title: str | None = None
    headings: list[str] = field(default_factory=list)
    html_title: str | None = None
    authors: list[str] = field(default_factory=list)
    site_name: str | None = None
    image: str | None = None
    # every publication time the page states, best source first: (instant, day only?)
    published: list[tuple[datetime, bool]] = field(default_factory=list)
    lang: str | None = None


def parse_datetime(value: Any) -> tuple[datetime, bool] | None:
    """A UTC datetime from a page's date string, and whether it named only a day.

    A time without an offset is read as UTC: it is what most CMSs mean and the error
    is bounded by the day-ahead sanity check downstream.
    """
    if not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        if isinstance(value, int | float) or text.isdigit():
            number = float(text)
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC), False
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            with warnings.catch_warnings():
                # "EET" and friends: unknown zone names come back naive, read as UTC below
                warnings.simplefilter("ignore")
                parsed = date_parser.parse(text, fuzzy=False)
    except (ValueError, OverflowError, OSError, date_parser.ParserError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC), bool(_DATE_ONLY.match(text))


def _meta(tree: HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        value = el.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), []).append(value.strip())
    return found


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _json_ld_items(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.extend(node["@graph"] if isinstance(node["@graph"], list) else [])
                yield node


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _image_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _image_url(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list) and value:
        return _image_url(value[0])
    return None


def _main_article(tree: HtmlElement) -> dict[str, Any]:
    """The JSON-LD item describing the story (an article type before a plain web page)."""
    best: dict[str, Any] = {}
    for item in _json_ld_items(tree):
        kinds = _types(item)
        if kinds & _ARTICLE_TYPES and ("datePublished" in item or "headline" in item):
            if "webpage" not in kinds or not best:
                best = item
            if "webpage" not in kinds:
                break
    return best


def _html_lang(tree: HtmlElement, meta: dict[str, list[str]]) -> str | None:
    root = tree.getroottree().getroot()
    candidates = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *meta.get("content-language", []),
        *meta.get("og:locale", []),
    ]
    for el in tree.iter("meta"):
        if (el.get("http-equiv") or "").lower() == "content-language":
            candidates.append(el.get("content"))
    for candidate in candidates:
        match = _LANG.match((candidate or "").strip())
        if match and len(match.group(1)) == 2:
            return match.group(1).lower()
    return None


def _published(tree: HtmlElement, meta: dict[str, list[str]], article: dict[str, Any]) -> list[Any]:
    values: list[Any] = [v for key in _PUBLISHED_KEYS[:3] for v in meta.get(key, [])]
    values.append(article.get("datePublished"))
    values += [v for key in _PUBLISHED_KEYS[3:] for v in meta.get(key, [])]
    for el in tree.iter("time"):
        marked = el.get("itemprop") == "datePublished" or el.get("pubdate") is not None
        if marked or "publish" in (el.get("class") or "").lower():
            values.append(el.get("datetime"))
    return values


def read_page_meta(tree: HtmlElement) -> PageMeta:
    """Everything the page's markup says about the story, before any extraction."""
    meta = _meta(tree)
    article = _main_article(tree)
    out = PageMeta()
    out.canonical = [
        el.get("href")
        for el in tree.iter("link")
        if "canonical" in (el.get("rel") or "").lower().split()
    ]
    out.canonical += meta.get("og:url", [])
    titles = [v for key in _TITLE_KEYS for v in meta.get(key, [])]
    headline = article.get("headline")
    out.title = (
        squash(titles[0]) if titles else squash(headline) if isinstance(headline, str) else None
    )
    title_el = next(tree.iter("title"), None)
    out.html_title = squash(title_el.text_content()) if title_el is not None else None
    out.headings = [squash(h.text_content()) for h in tree.iter("h1")][:3]
    authors = _names(article.get("author"))
    if not authors:
        authors = [v for key in _AUTHOR_KEYS for v in meta.get(key, []) if "://" not in v]
    out.authors = authors
    sites = [v for key in _SITE_KEYS for v in meta.get(key, []) if not v.startswith("@")]
    publisher = _names(article.get("publisher"))
    out.site_name = squash(sites[0]) if sites else squash(publisher[0]) if publisher else None
    # only web images: a `javascript:` or `data:` og:image is dropped (wire.urls, issue 13, 8)
    images = [v for key in _IMAGE_KEYS for v in meta.get(key, []) if is_web_or_relative(v)]
    ld_image = _image_url(article.get("image"))
    out.image = images[0] if images else ld_image if is_web_or_relative(ld_image) else None
    parsed = (parse_datetime(value) for value in _published(tree, meta, article))
    out.published = [p for p in parsed if p is not None]
    out.lang = _html_lang(tree, meta)
    return out


# trafilatura's date search settings for the fallback reader (no extensive search: a
# guessed date from anywhere in the page is worse than the feed's time)
DATE_OPTIONS: dict[str, Any] = {"extensive_search": False, "original_date": True}


class FallbackMeta(Protocol):
    """The fields of trafilatura's metadata result (its ``Document``) the chain reads."""

    title: str | None
    author: str | None
    url: str | None
    date: str | None
    sitename: str | None
    image: str | None


def read_fallback_metadata(tree: HtmlElement, url: str) -> FallbackMeta | None:
    """trafilatura's metadata reader, for a field the page's own markup left empty.

    ``trafilatura.extract_metadata``, its public entry point (no extensive date search),
    with the zero-width joiners shielded as for the body. The caller runs it only for
    pages our reader left incomplete (a quarter of the corpus pages), before scripts are
    dropped (dates hide there). None when it fails.
    """
    try:
        doc = trafilatura.extract_metadata(
            shield_joiners(tree), default_url=url, date_config=DATE_OPTIONS, extensive=False
        )
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
    for attr in ("title", "author", "sitename"):
        setattr(doc, attr, unshield_joiners(getattr(doc, attr, None)))
    return doc
