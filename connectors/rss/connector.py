"""The RSS/Atom connector.

Per poll: a conditional GET of the feed, then, for each entry not seen before, a GET of
the entry's page so the raw item carries the article's HTML (the feed's own content or
summary stays as the fallback text). The cursor remembers the feed's validators, its
body hash and the keys of recent entries, so a repeated item is never emitted twice.

When the configured URL is a web page rather than a feed, the feed it advertises
(``<link rel="alternate">``, see ``connectors.rss.discover``) is polled instead and
remembered in the cursor (``site_url``, ``feed_url``); a discovered feed that later
answers 404/410 is looked up again on the site.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import feedparser
from pydantic import Field, HttpUrl

from connectors.rss.discover import best, discover
from connectors.sdk import Capabilities, ConnectorConfig, Cursor, Page, PollingConnector
from connectors.sdk.apis import bad_payload, looks_like_html
from connectors.sdk.errors import ConnectorError, FatalSourceError
from connectors.sdk.http import Response
from connectors.sdk.schedule import feed_interval_hint
from connectors.sdk.seen import Seen
from connectors.sdk.social import entry_time
from wire.models import RawItem
from wire.urls import normalize_url

log = logging.getLogger(__name__)

SEEN_LIMIT = 2000  # keys remembered per feed at least; raised to max_entries and the feed's length


class RssConfig(ConnectorConfig):
    url: HttpUrl
    fetch_articles: bool = Field(default=True, description="fetch each entry's page")
    max_entries: int = Field(default=200, ge=1, description="entries taken per poll")


class RssConnector(PollingConnector[RssConfig]):
    name = "rss"
    config_model = RssConfig
    capabilities = Capabilities(
        rate_limit=(
            "the shared client's per-host pacing (0.5 s, 2 at a time);"
            " the feed's <ttl> and sy:updatePeriod honoured"
        ),
        notes="RSS 0.9x/1.0/2.0, Atom, JSON Feed; site URLs autodiscovered; entry pages fetched.",
    )

    def poll(self, cursor: Cursor) -> Page:
        site = str(self.config.url)
        # A feed discovered on an earlier poll, unless the configured URL changed since.
        same_site = cursor.get("site_url", site) == site
        feed_url: str | None = cursor.get("feed_url") if same_site else None
        # A source that served a feed before and now serves something else (a maintenance
        # page, a cut body) is passing trouble: dead-lettered and retried. One that never
        # served a feed is configured wrong: fatal until the configuration changes.
        worked = same_site and bool(cursor.get("body_hash") or cursor.get("seen"))
        try:
            resp = self._get(feed_url or site, cursor if same_site else {})
        except FatalSourceError as exc:
            if feed_url is None or exc.status not in (404, 410):
                raise
            feed_url, resp = None, self._get(site, {})  # the feed moved: ask the site again
        if feed_url is None and looks_like_html(resp.content, resp.headers.get("content-type")):
            feed_url = self._discover(site, resp, worked=worked)
            resp = self.http.get(feed_url, subscribed=True)
        url = feed_url or site
        if resp.not_modified:
            return Page(cursor=cursor, stats={"not_modified": 1})
        parsed = feedparser.parse(resp.content, response_headers=dict(resp.headers))
        # feedparser reads an empty body, or a document it cannot place as RSS or Atom,
        # without complaint (no ``bozo``): only a recognised feed may have no entries.
        if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
            why = parsed.get("bozo_exception") or (
                "an empty body" if not resp.content.strip() else "no RSS or Atom document"
            )
            reason = f"not a feed ({why})"
            if worked:
                raise bad_payload(resp, reason)
            raise FatalSourceError(f"{url}: {reason}")
        entries = parsed.entries
        # The memory holds at least every key the feed lists: a key forgotten while still
        # listed would go out again.
        limit = Seen.bound(SEEN_LIMIT, self.config.max_entries, len(entries))
        seen = Seen.from_cursor(cursor.get("seen"), limit=limit)
        items: list[RawItem] = []
        skipped: list[tuple[str, str | bytes | None]] = []
        for entry in entries[: self.config.max_entries]:
            key = _entry_key(entry)
            if not key:  # nothing to tell it from the next poll's copy: not an item
                skipped.append(("feed entry has neither a link nor an id", repr(dict(entry))))
                continue
            if not seen.add(key):
                continue
            try:
                item = self._item(entry, key)
            except (ConnectorError, ValueError) as exc:
                skipped.append((f"{type(exc).__name__}: {exc}", repr(dict(entry))))
                continue
            if not self.hand_over(item):  # produced now, not after the feed's last page
                items.append(item)
        # Entries past max_entries that are new are not taken: counted (once, as they are
        # remembered) and reported in the source's health, never dropped unseen.
        dropped = sum(
            1 for e in entries[self.config.max_entries :] if (k := _entry_key(e)) and seen.add(k)
        )
        if dropped:
            log.warning(
                "source %s: %d new entries past max_entries=%d not taken",
                self.source.id,
                dropped,
                self.config.max_entries,
            )
        new_cursor = {
            "etag": resp.headers.get("etag"),
            "last_modified": resp.headers.get("last-modified"),
            "body_hash": resp.body_hash,
            "seen": seen.to_cursor(),
        }
        if feed_url:
            new_cursor.update(site_url=site, feed_url=feed_url)
        return Page(
            items=items,
            cursor=new_cursor,
            skipped=skipped,
            stats={"dropped": dropped} if dropped else {},
            interval_hint=feed_interval_hint(parsed),
        )

    def _get(self, url: str, cursor: Cursor) -> Response:
        return self.http.get(
            url,
            etag=cursor.get("etag"),
            last_modified=cursor.get("last_modified"),
            previous_hash=cursor.get("body_hash"),
            subscribed=True,  # the user's own feed (or site): robots.txt governs crawling
        )

    def _discover(self, site: str, page: Response, *, worked: bool) -> str:
        """The feed a web page advertises; a source error when it advertises none."""
        feed = best(discover(page.content, page.url))
        if feed is None:
            reason = (
                "not a feed, and the page advertises none "
                '(no <link rel="alternate"> to an RSS, Atom or JSON feed)'
            )
            if worked:
                raise bad_payload(page, reason)
            raise FatalSourceError(f"{site}: {reason}")
        log.info("source %s: %s advertises the feed %s", self.source.id, site, feed.url)
        return feed.url

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
            published_at=entry_time(entry),
            lang=(entry.get("language") or None),
            source=self.source.model_copy(update={"domain": urlsplit(link).hostname}),
        )


def _entry_key(entry: Any) -> str | None:
    link = entry.get("link")
    if link:
        return normalize_url(link)
    guid = entry.get("id")
    return str(guid) if guid else None
