"""Extraction: raw HTML (or feed text) in, clean body and page metadata out. Pure functions.

One call, :func:`extract`, runs the stage in the order the data allows:

1. parse the page once (bounded, see :mod:`pipeline.extract.body`);
2. read what the markup states (:mod:`pipeline.extract.metadata`) before anything moves;
3. cut social embeds and related-link blocks out of the tree (:mod:`pipeline.clean`),
   while their URLs are still attached;
4. only for a field the markup left empty, trafilatura's metadata reader; then drop what
   holds no text (scripts, styles, icons), which every later copy of the tree would carry;
5. extract the body through the extractor chain, cleaning each candidate and taking the
   first plausible one (trafilatura, trafilatura's baseline, the feed's text);
6. settle title, authors, times, canonical URL, image and language from all sources.

No Kafka, faust, HTTP or Elasticsearch here: the stream agent and ``newswire process``
call the same function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from lxml.html import HtmlElement

from pipeline.clean import Cleaned, PageCleanup, clean_paragraphs, clean_tree, rules_version
from pipeline.clean.text import comparison_key, squash
from pipeline.extract.body import (
    TRAFILATURA_VERSION,
    drop_inert,
    has_sentence,
    parse_html,
    plausible,
    run_baseline,
    run_trafilatura,
    text_lines,
)
from pipeline.extract.fields import (
    clean_authors,
    clean_site_name,
    sane_time,
    split_site_suffix,
    strip_site_suffix,
)
from pipeline.extract.language import detect_language
from pipeline.extract.metadata import (
    PageMeta,
    parse_datetime,
    read_fallback_metadata,
    read_page_meta,
)
from pipeline.extract.urls import normalize_url, resolve_canonical
from wire.metrics import CHAIN_CLOCK
from wire.models import Embed, RelatedLink

__all__ = ["Extracted", "extract", "normalize_url"]

# a feed text this much longer than a short extracted body is the real article (paywalls)
FEED_PREFERRED_RATIO = 2.0
FEED_PREFERRED_BELOW = 1000


@dataclass
class Extracted:
    """The extraction stage's result; ``method``/``version`` say which extractor won."""

    body: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    lang: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    image: str | None = None
    embeds: list[Embed] = field(default_factory=list)
    related: list[RelatedLink] = field(default_factory=list)
    method: str = "trafilatura"
    version: str | None = None
    # what the cleanup removed, as (reason, text): for debugging and tests, not indexed
    dropped: list[tuple[str, str]] = field(default_factory=list)


def _first(*values: str | None) -> str | None:
    return next((squash(v) for v in values if v and squash(v)), None)


def _candidates(
    tree: HtmlElement | None, doc: Any, fallback_text: str | None
) -> Iterable[tuple[str, list[str]]]:
    """(method, paragraphs) of each extractor, computed only when asked for."""
    if tree is not None:
        yield "trafilatura", text_lines(getattr(doc, "text", None))
        yield "trafilatura-baseline", run_baseline(tree)
    if fallback_text:
        yield "feed", text_lines(fallback_text)


def _choose_body(
    tree: HtmlElement | None,
    doc: Any,
    fallback_text: str | None,
    clean: Callable[[list[str]], Cleaned],
) -> tuple[str, Cleaned]:
    """The first plausible cleaned candidate; else the longest; a long feed text wins ties.

    The baseline extractor may only replace a short trafilatura text it contains: a
    short story is better than the page's teasers and footer around it.
    """
    best: tuple[str, Cleaned] | None = None
    main_lede: str | None = None
    for method, paragraphs in _candidates(tree, doc, fallback_text):
        cleaned = clean(paragraphs)
        if method == "trafilatura" and has_sentence(cleaned.paragraphs):
            main_lede = cleaned.paragraphs[0]
        elif method == "trafilatura-baseline" and main_lede and main_lede not in cleaned.body:
            continue
        if plausible(cleaned.paragraphs):
            best = (method, cleaned)
            break
        # a short page text counts only if it holds a sentence ("Home" is a menu);
        # the feed's own text is the story's summary by definition
        if method != "feed" and not has_sentence(cleaned.paragraphs):
            continue
        if best is None or len(cleaned.body) > len(best[1].body):
            best = (method, cleaned)
    if best is None:
        return "none", Cleaned(paragraphs=[])
    if best[0] != "feed" and fallback_text and len(best[1].body) < FEED_PREFERRED_BELOW:
        feed = clean(text_lines(fallback_text))
        if len(feed.body) > FEED_PREFERRED_RATIO * len(best[1].body):
            return "feed", feed
    return best


def _incomplete(meta: PageMeta, now: datetime) -> bool:
    """Whether the page's own markup leaves a field to trafilatura's metadata reader."""
    return not (
        _first(meta.title)
        and meta.authors
        and clean_site_name(meta.site_name)
        and _first(meta.image)
        and any(sane_time(value, now) for value, _ in meta.published)
    )


def _published(
    meta: PageMeta, doc: Any, feed_published_at: datetime | None, now: datetime
) -> datetime | None:
    """Page time first; a day-only page date yields to a feed time on the same day."""
    feed = sane_time(feed_published_at, now)
    stated = list(meta.published)
    day = parse_datetime(getattr(doc, "date", None))
    if day:
        stated.append((day[0], True))
    for value, day_only in stated:
        value_ok = sane_time(value, now)
        if value_ok is None:
            continue
        if day_only and feed and abs(feed - value_ok) < timedelta(days=1):
            return feed
        return value_ok
    return feed


def _merge(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    """Embeds or related links from markup and text, the first occurrence kept."""
    out: list[Any] = []
    seen: set[str] = set()
    for item in [*first, *second]:
        label = getattr(item, "title", None) or getattr(item, "text", None) or ""
        key = item.url or comparison_key(label)
        if key and key in seen:
            continue
        seen.add(key)
        out.append(item)
    return out


def extract(
    html: str | None,
    url: str,
    *,
    fallback_text: str | None = None,
    fallback_title: str | None = None,
    feed_published_at: datetime | None = None,
    now: datetime | None = None,
) -> Extracted:
    """Body, embeds, related links and metadata of one story.

    ``fallback_*`` come from the feed and are used when the page says nothing better;
    ``now`` (default: the current time) bounds plausible publication times.
    """
    now = now or datetime.now(UTC)
    tree = parse_html(html)
    meta = read_page_meta(tree) if tree is not None else PageMeta()
    with CHAIN_CLOCK.time("cleanup"):
        page = clean_tree(tree, url) if tree is not None else PageCleanup()
    incomplete = tree is not None and _incomplete(meta, now)
    info = read_fallback_metadata(tree, url) if tree is not None and incomplete else None
    doc = run_trafilatura(drop_inert(tree), url) if tree is not None else None

    site_name = clean_site_name(meta.site_name) or clean_site_name(getattr(info, "sitename", None))
    raw_title = _first(meta.title, getattr(info, "title", None), meta.html_title, fallback_title)
    title = strip_site_suffix(raw_title, site_name, url) if raw_title else None
    headlines = [title, raw_title, meta.title, meta.html_title, *meta.headings, fallback_title]
    if meta.html_title:
        html_title, suffix = split_site_suffix(meta.html_title, site_name, url, meta.title)
        headlines.append(html_title)
        site_name = site_name or clean_site_name(suffix)

    def clean(paragraphs: list[str]) -> Cleaned:
        with CHAIN_CLOCK.time("cleanup"):
            return clean_paragraphs(
                paragraphs,
                headlines=[h for h in headlines if h],
                links=page.links,
                base_url=url,
            )

    method, cleaned = _choose_body(tree, doc, fallback_text, clean)
    body = cleaned.body
    rules = f"rules.{rules_version()}"
    version = f"{TRAFILATURA_VERSION}+{rules}" if method.startswith("trafilatura") else rules

    author_values = meta.authors or str(getattr(info, "author", None) or "").split(";")
    image = _first(meta.image, getattr(info, "image", None))
    return Extracted(
        body=body,
        title=title,
        authors=clean_authors(author_values, site_name),
        published_at=_published(meta, info, feed_published_at, now),
        lang=detect_language(body, meta.lang) if body else meta.lang,
        canonical_url=resolve_canonical(meta.canonical, url),
        site_name=site_name,
        image=urljoin(url, image) if image else None,
        embeds=_merge(page.embeds, cleaned.embeds),
        related=_merge(page.related, cleaned.related),
        method=method,
        version=version,
        dropped=cleaned.dropped,
    )
