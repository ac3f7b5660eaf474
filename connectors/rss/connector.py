"""The RSS/Atom connector.

Per poll: a conditional GET of the feed, then, for each entry not seen before, a GET of
the entry's page so the raw item carries the article's HTML (the feed's own content or
summary stays as the fallback text). The cursor remembers the feed's validators, its
body hash and the keys of recent entries, so a repeated item is never emitted twice.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
from pydantic import Field, HttpUrl

from connectors.sdk import ConnectorConfig, Cursor, Page, PollingConnector
from connectors.sdk.errors import ConnectorError, FatalSourceError
from newswire.models import RawItem
from newswire.urls import normalize_url

SEEN_LIMIT = 2000  # keys remembered per feed; larger than any sane feed's item count


class RssConfig(ConnectorConfig):
    url: HttpUrl
    fetch_articles: bool = Field(default=True, description="fetch each entry's page")
    max_entries: int = Field(default=200, ge=1, description="entries taken per poll")


class RssConnector(PollingConnector[RssConfig]):
    name = "rss"
    config_model = RssConfig

    def poll(self, cursor: Cursor) -> Page:
        url = str(self.config.url)
        resp = self.http.get(
            url,
            etag=cursor.get("etag"),
            last_modified=cursor.get("last_modified"),
            previous_hash=cursor.get("body_hash"),
        )
        if resp.not_modified:
            return Page(cursor=cursor, stats={"not_modified": 1})
        parsed = feedparser.parse(resp.content, response_headers=dict(resp.headers))
        if not parsed.entries and parsed.get("bozo"):
            raise FatalSourceError(f"{url}: not a feed ({parsed.get('bozo_exception')})")
        seen: list[str] = list(cursor.get("seen", []))
        seen_set = set(seen)
        items: list[RawItem] = []
        skipped: list[tuple[str, str | bytes | None]] = []
        for entry in parsed.entries[: self.config.max_entries]:
            key = _entry_key(entry)
            if not key or key in seen_set:
                continue
            try:
                items.append(self._item(entry, key))
            except (ConnectorError, ValueError) as exc:
                skipped.append((f"{type(exc).__name__}: {exc}", repr(dict(entry))[:100_000]))
            seen.append(key)
            seen_set.add(key)
        new_cursor = {
            "etag": resp.headers.get("etag"),
            "last_modified": resp.headers.get("last-modified"),
            "body_hash": resp.body_hash,
            "seen": seen[-SEEN_LIMIT:],
        }
        return Page(items=items, cursor=new_cursor, skipped=skipped, interval_hint=_ttl(parsed))

    def _item(self, entry: Any, key: str) -> RawItem:
        link = entry.get("link") or key
        content = "\n\n".join(c.get("value", "") for c in entry.get("content", []) or []) or None
        summary = entry.get("summary") or None
        html = None
        if self.config.fetch_articles and link.startswith("http"):
            try:
                page = self.http.get(link)
                html = page.text
                link = page.url  # after redirects
            except ConnectorError:
                if not (content or summary):
                    raise
        authors = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
        return self.raw_item(
            key=key,
            url=link,
            title=entry.get("title"),
            html=html,
            content=content,
            summary=summary,
            authors=authors,
            published_at=_entry_time(entry),
            lang=(entry.get("language") or None),
            source=self.source.model_copy(update={"domain": urlsplit(link).hostname}),
        )


def _entry_key(entry: Any) -> str | None:
    link = entry.get("link")
    if link:
        return normalize_url(link)
    guid = entry.get("id")
    return str(guid) if guid else None


def _entry_time(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(name)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _ttl(parsed: Any) -> float | None:
    ttl = parsed.feed.get("ttl")
    if ttl and str(ttl).isdigit():
        return float(ttl) * 60
    return None
