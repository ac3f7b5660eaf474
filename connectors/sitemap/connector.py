"""The news-sitemap connector.

Per poll: a conditional GET of the sitemap (for a sitemap index, of the newest child
sitemaps too, bounded by ``max_sitemaps`` and two levels deep), then a GET of each listed
page that is recent enough and not emitted before, so the raw item carries the article's
HTML. A sitemap gives no text of its own, so a page that cannot be fetched is a dead
letter (or, on a passing failure, is tried again on the next poll).

The cursor holds each sitemap's validators and a bounded memory of emitted URLs: hashed
keys with the latest date seen for them. A URL can only be emitted while its date is
inside the ``max_age_hours`` window, so an entry is dropped once its date leaves the
window, and the memory never holds more than the window's worth of stories.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, HttpUrl

from connectors.sdk import ConnectorConfig, Cursor, Page, PollingConnector
from connectors.sdk.base import Capabilities
from connectors.sdk.errors import ConnectorError, FatalSourceError, RetriableError
from connectors.sdk.seen import StampedSeen
from connectors.sitemap.parse import SitemapError, SitemapUrl, parse_sitemap
from wire.models import RawItem
from wire.urls import normalize_url

log = logging.getLogger(__name__)

SEEN_LIMIT = 20_000  # hashed keys (~30 bytes each in the state message)
MAX_DEPTH = 2  # an index of indexes is off-protocol but common; deeper is refused


class SitemapConfig(ConnectorConfig):
    url: HttpUrl = Field(description="a (Google News) sitemap or a sitemap index")
    max_age_hours: float = Field(
        default=48, gt=0, description="only pages this recent (news sitemaps hold two days)"
    )
    max_sitemaps: int = Field(default=20, ge=1, description="child sitemaps read per poll")
    max_articles: int = Field(default=100, ge=1, description="article pages fetched per poll")
    include_undated: bool = Field(default=False, description="also take pages with no date")


@dataclass
class _Walk:
    """What one poll read from the sitemap tree."""

    validators: dict[str, dict[str, Any]] = field(default_factory=dict)
    urls: list[SitemapUrl] = field(default_factory=list)
    budget: int = 0
    stats: Counter[str] = field(default_factory=Counter)


class SitemapConnector(PollingConnector[SitemapConfig]):
    name = "sitemap"
    config_model = SitemapConfig
    capabilities = Capabilities(
        notes="Google News sitemaps and sitemap indexes (also gzipped); article pages fetched."
    )

    def poll(self, cursor: Cursor) -> Page:
        now = datetime.now(UTC)
        cutoff = now - timedelta(hours=self.config.max_age_hours)
        previous: dict[str, dict[str, Any]] = cursor.get("sitemaps", {})
        walk = _Walk(budget=self.config.max_sitemaps)
        self._read(str(self.config.url), 0, previous, walk, cutoff)
        seen = StampedSeen.from_cursor(cursor.get("seen"), limit=SEEN_LIMIT)
        candidates = self._candidates(walk, seen, cutoff, now)
        page = Page()
        taken = candidates[: self.config.max_articles]
        deferred = made = 0
        for i, url in enumerate(taken):
            try:
                item = self._item(url)
                made += 1
                if not self.hand_over(item):  # produced now, not after the last page
                    page.items.append(item)
            except RetriableError as exc:  # the site is struggling: the rest waits a poll
                deferred = len(taken) - i
                log.warning("source %s: %s; %d pages wait a poll", self.source.id, exc, deferred)
                break
            except (ConnectorError, ValueError) as exc:
                page.skipped.append((f"{type(exc).__name__}: {exc}", url.loc))
            seen.add(_hash(normalize_url(url.loc)), _epoch(url.date or now))
        capped = len(candidates) > len(taken)
        page.more = capped and not deferred  # more pages are listed: come back at once
        # Validators are kept only when every listed page was handled; otherwise the next
        # poll must read the sitemaps again to find the pages still waiting.
        validators = previous if capped or deferred else walk.validators
        page.cursor = {"sitemaps": validators, "seen": _window(seen, _epoch(cutoff))}
        walk.stats["pending"] = len(candidates) - made - len(page.skipped)
        if made or page.skipped:  # an unchanged index whose children had news
            walk.stats.pop("not_modified", None)
        page.stats = {k: v for k, v in walk.stats.items() if v}
        return page

    # -- the sitemap tree ------------------------------------------------------------------

    def _read(
        self,
        url: str,
        depth: int,
        previous: dict[str, dict[str, Any]],
        walk: _Walk,
        cutoff: datetime,
    ) -> None:
        known = previous.get(url, {})
        try:
            resp = self.http.get(
                url,
                etag=known.get("etag"),
                last_modified=known.get("last_modified"),
                previous_hash=known.get("body_hash"),
                subscribed=True,  # the sitemaps are the source itself, as a feed is
            )
        except ConnectorError as exc:
            if depth == 0:
                raise
            log.warning("source %s: child sitemap %s: %s", self.source.id, url, exc)
            walk.stats["sitemap_errors"] += 1
            return
        walk.stats["sitemaps"] += 1
        if resp.not_modified:
            walk.validators[url] = known
            if depth == 0:
                walk.stats["not_modified"] = 1
            for child in known.get("children", []):  # an unchanged index: its children may not be
                self._child(child, depth, previous, walk, cutoff)
            return
        try:
            sitemap = parse_sitemap(resp.content)
        except SitemapError as exc:
            if depth == 0:
                raise FatalSourceError(f"{url}: {exc}") from exc
            log.warning("source %s: child sitemap %s: %s", self.source.id, url, exc)
            walk.stats["sitemap_errors"] += 1
            return
        state: dict[str, Any] = {
            "etag": resp.headers.get("etag"),
            "last_modified": resp.headers.get("last-modified"),
            "body_hash": resp.body_hash,
        }
        walk.validators[url] = state
        if not sitemap.is_index:
            walk.urls.extend(sitemap.urls)
            return
        fresh = [c for c in sitemap.children if c.lastmod is None or c.lastmod >= cutoff]
        walk.stats["old_sitemaps"] += len(sitemap.children) - len(fresh)
        oldest = datetime.min.replace(tzinfo=UTC)
        fresh.sort(key=lambda c: c.lastmod or oldest, reverse=True)
        state["children"] = [c.loc for c in fresh[: self.config.max_sitemaps]]
        for loc in state["children"]:
            self._child(loc, depth, previous, walk, cutoff)

    def _child(
        self,
        loc: str,
        depth: int,
        previous: dict[str, dict[str, Any]],
        walk: _Walk,
        cutoff: datetime,
    ) -> None:
        if depth + 1 > MAX_DEPTH or walk.budget <= 0 or loc in walk.validators:
            walk.stats["sitemaps_not_read"] += 1
            return
        walk.budget -= 1
        self._read(loc, depth + 1, previous, walk, cutoff)

    # -- the pages ---------------------------------------------------------------------------

    def _candidates(
        self, walk: _Walk, seen: StampedSeen, cutoff: datetime, now: datetime
    ) -> list[SitemapUrl]:
        """New pages in the window, oldest first; refreshes the dates of known ones."""
        fresh: dict[str, SitemapUrl] = {}
        for url in walk.urls:
            if not url.loc.startswith(("http://", "https://")):
                walk.stats["bad_urls"] += 1
                continue
            if url.date is None and not self.config.include_undated:
                walk.stats["undated"] += 1
                continue
            date = url.date or now
            if date < cutoff:
                walk.stats["too_old"] += 1
                continue
            key = _hash(normalize_url(url.loc))
            if key in seen:
                seen.add(key, _epoch(date))  # an updated story stays known, at its later date
            elif key not in fresh:
                fresh[key] = url
        return sorted(fresh.values(), key=lambda u: u.date or now)

    def _item(self, url: SitemapUrl) -> RawItem:
        page = self.http.get(url.loc)
        extra: dict[str, Any] = {}
        if url.publication:
            extra["news_publication"] = url.publication
        if url.keywords:
            extra["news_keywords"] = list(url.keywords)
        return self.raw_item(
            key=normalize_url(url.loc),
            url=page.url,  # after redirects
            title=url.title,
            html=page.text,
            published_at=url.date,
            lang=url.language,
            extra=extra,
            source=self.source.model_copy(update={"domain": urlsplit(page.url).hostname}),
        )


def _hash(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _window(seen: StampedSeen, cutoff: int) -> dict[str, int]:
    """Keys whose latest date is still in the window, newest first, at most SEEN_LIMIT."""
    return {key: date for date, key in reversed(seen.pairs(cutoff))}
