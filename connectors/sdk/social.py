"""What every social connector shares: its config options, post -> raw item, link handling.

A social connector maps each platform post onto :class:`wire.models.SocialPost` and
turns it into a raw item with :func:`social_item` (kind ``social_post``, key
``"{platform}:{post_id}"``, the post's plain text in ``content``). When the source sets
``follow_links``, the connector also calls :func:`follow_links` on the new posts: every
outbound link is fetched through the shared HTTP client (``connector.http``, so per-host
politeness and the SSRF guard apply) and becomes an ``article`` raw item whose
``extra["linked_from"]`` names the post. A linked page that fails only loses that link,
never the post. The API helpers (credentialed requests, rate-limit windows, HTML error
pages) live in :mod:`connectors.sdk.apis` and are re-exported here. Typical ``poll``::

    posts = [self._post(status) for status in statuses]
    items = [social_item(self, post) for post in posts]
    if self.config.follow_links:
        items += follow_links(self, posts, stats=page.stats)
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from pydantic import Field

from connectors.sdk.apis import (
    RETRY_AT,
    bad_payload,
    check_rate_limit,
    looks_like_html,
    note_rate_limit,
    request,
)
from connectors.sdk.base import ConnectorConfig
from connectors.sdk.errors import ConnectorError, SkipItem
from connectors.sdk.http import HttpClient
from wire.models import RawItem, SocialPost, SourceRef
from wire.urls import normalize_url

__all__ = [
    "DEFAULT_SKIP_DOMAINS",
    "RETRY_AT",
    "SocialConfig",
    "SocialConnector",
    "bad_payload",
    "check_rate_limit",
    "entry_time",
    "follow_links",
    "html_to_text",
    "is_followable",
    "links_from_html",
    "looks_like_html",
    "note_rate_limit",
    "parse_count",
    "parse_time",
    "request",
    "social_item",
]

DEFAULT_SKIP_DOMAINS: tuple[str, ...] = (
    # the platforms themselves: a link to another post is not a story
    "x.com",
    "twitter.com",
    "t.co",  # X's shortener: its targets need x.com's redirect, which we never fetch
    "nitter.net",
    "bsky.app",
    "bsky.social",
    "t.me",
    "telegram.me",
    "telegram.org",
    "reddit.com",
    "redd.it",
    "reddituploads.com",
    "redditmedia.com",
    "mastodon.social",
    "mastodon.online",
    "threads.net",
    "facebook.com",
    "fb.me",
    "instagram.com",
    "tiktok.com",
    "youtube.com",
    "youtu.be",
    "linkedin.com",
    "lnkd.in",
    # media hosts and shorteners whose pages are no article
    "imgur.com",
    "giphy.com",
    "tenor.com",
    "flic.kr",
    "ow.ly",
    "buff.ly",
    "dlvr.it",
    "ift.tt",
)
"""Hosts (and their subdomains) whose links are never followed."""

_MEDIA_SUFFIX = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|mp4|m4v|mov|webm|mp3|m4a|ogg|wav|zip|apk|exe)$", re.I
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_LINE, _PARAGRAPH = "\ue000", "\ue001"  # break markers that survive whitespace folding


class SocialConfig(ConnectorConfig):
    """Options every social connector accepts, next to its own."""

    follow_links: bool = Field(
        default=False, description="also fetch the article pages that new posts link to"
    )
    max_links_per_post: int = Field(default=3, ge=0, le=20)
    skip_domains: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SKIP_DOMAINS),
        description="hosts never followed (subdomains included); replaces the default list",
    )


class SocialConnector(Protocol):
    """The part of a connector the helpers here use (any social ``PollingConnector``)."""

    http: HttpClient
    source: SourceRef

    @property
    def config(self) -> Any: ...

    def raw_item(self, **fields: Any) -> RawItem: ...


def social_item(
    connector: SocialConnector,
    post: SocialPost,
    html: str | None = None,
    *,
    title: str | None = None,
    extra: dict[str, Any] | None = None,
) -> RawItem:
    """The raw item of one post. Raises ``SkipItem`` when the post has no text and no
    title (a media-only post): callers count those instead of dead-lettering them.
    ``title`` is for platforms whose posts have one (Reddit); ``extra`` carries what
    ``SocialPost`` has no field for (e.g. Telegram's forwarded-from)."""
    if not post.text.strip() and not title:
        raise SkipItem(f"{post.platform} post {post.post_id} has no text", post.url)
    author = post.author or post.handle
    return connector.raw_item(
        key=f"{post.platform}:{post.post_id}",
        url=post.url,
        kind="social_post",
        title=title or None,
        html=html or None,
        content=post.text.strip() or title,
        published_at=post.posted_at,
        lang=post.lang,
        authors=[author] if author else [],
        social=post,
        extra=extra or {},
        source=connector.source.model_copy(update={"domain": urlsplit(post.url).hostname}),
    )


def html_to_text(html: str) -> str:
    """Plain text of a post's HTML: ``<br>`` become line breaks, paragraphs blank lines,
    and the source's own line breaks are whitespace, as a browser shows them."""
    if not html or not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(html.split())
    for br in root.iter("br"):
        br.tail = _LINE + (br.tail or "")
    for block in root.iter("p", "div", "li", "blockquote"):
        if block is not root:
            block.tail = _PARAGRAPH + (block.tail or "")
    text = " ".join(root.text_content().split())
    text = text.replace(_PARAGRAPH, "\n\n").replace(_LINE, "\n")
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def links_from_html(html: str, base_url: str, *, own_hosts: Iterable[str] = ()) -> list[str]:
    """Outbound http(s) links of a post, in order, without duplicates.

    Dropped: hashtag and mention anchors (``class="mention"``/``"hashtag"``, ``rel="tag"``,
    text starting with ``#`` or ``@``) and links to the platform itself (``base_url``'s
    host and ``own_hosts``).
    """
    if not html or not html.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    own = {_bare_host(base_url), *(_bare_host(f"//{h}") for h in own_hosts)} - {""}
    links: list[str] = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        classes = set((anchor.get("class") or "").split())
        rels = set((anchor.get("rel") or "").split())
        label = anchor.text_content().strip()
        if not href or classes & {"mention", "hashtag", "u-url"} or "tag" in rels:
            continue
        if label.startswith(("#", "@")):
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme not in ("http", "https") or _bare_host(url) in own:
            continue
        if url not in links:
            links.append(url)
    return links


def is_followable(url: str, skip_domains: Iterable[str]) -> bool:
    """True when ``url`` may be fetched as a linked article."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if _MEDIA_SUFFIX.search(parts.path):
        return False
    host = _bare_host(url)
    return not any(host == d or host.endswith("." + d) for d in _domains(skip_domains))


def follow_links(
    connector: SocialConnector,
    posts: Iterable[SocialPost],
    *,
    stats: MutableMapping[str, int] | None = None,
) -> list[RawItem]:
    """Fetch the pages the posts link to; one ``article`` raw item per page that worked.

    Honours ``connector.config`` (a :class:`SocialConfig`): ``max_links_per_post`` and
    ``skip_domains``. Each URL is fetched once per call even when several posts share it.
    Errors (HTTP, size cap, a non-HTML answer) skip that link only; ``stats`` counts
    ``links_followed`` and ``links_failed``.
    """
    config = connector.config
    limit = int(getattr(config, "max_links_per_post", 3))
    skip = list(getattr(config, "skip_domains", DEFAULT_SKIP_DOMAINS))
    tried: set[str] = set()
    items: dict[str, RawItem] = {}  # by key: two short links may land on one page
    for post in posts:
        for link in [u for u in post.links if is_followable(u, skip)][:limit]:
            if (key := normalize_url(link)) in tried:
                continue
            tried.add(key)
            item = _linked_article(connector, link, post)
            if item is not None:
                items.setdefault(item.key, item)
            _count(stats, "links_followed" if item is not None else "links_failed")
    return list(items.values())


def _linked_article(connector: SocialConnector, link: str, post: SocialPost) -> RawItem | None:
    try:
        resp = connector.http.get(link)
    except ConnectorError:
        return None  # a dead or slow link loses the link, never the post
    ctype = resp.headers.get("content-type", "text/html").split(";")[0].strip().lower()
    if ctype not in _HTML_TYPES or not resp.content.strip():
        return None
    if not is_followable(resp.url, getattr(connector.config, "skip_domains", ())):
        return None  # a redirect into a platform or a media file
    try:
        return connector.raw_item(
            key=normalize_url(resp.url),
            url=resp.url,
            kind="article",
            html=resp.text,
            extra={"linked_from": post.url},
            source=connector.source.model_copy(update={"domain": urlsplit(resp.url).hostname}),
        )
    except ValueError:
        return None


def parse_count(value: str | None) -> int | None:
    """Human counts as platforms print them: ``"1.2K"`` -> 1200, ``"3M"`` -> 3000000."""
    if not value:
        return None
    text = value.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KkMmBb]?)", text)
    if not match:
        return None
    scale = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}[match.group(2).lower()]
    return round(float(match.group(1)) * scale)


def _bare_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _domains(values: Iterable[str]) -> list[str]:
    return [v.lower().strip().lstrip(".").removeprefix("www.") for v in values if v.strip()]


def _count(stats: MutableMapping[str, int] | None, name: str) -> None:
    if stats is not None:
        stats[name] = stats.get(name, 0) + 1


# -- small parsing helpers shared by the connectors -------------------------------------


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text or epoch seconds; None when unusable."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str) and value.strip():
            parsed = datetime.fromisoformat(value.strip())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    """A feedparser entry's publication time (published, then updated, then created)."""
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        # `in` first: feedparser's get("updated_parsed") answers with published_parsed and a
        # DeprecationWarning when only that exists (its issue 310); that one was tried above.
        value = entry.get(name) if name in entry else None
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None
