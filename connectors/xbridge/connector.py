"""X (Twitter) through an RSS bridge: a Nitter instance or an RSSHub route you configure.

x.com itself is never fetched: it has no keyless feed, and scraping it is against its
terms. The bridge is a URL template with ``{user}`` or ``{query}``, e.g.
``https://nitter.example/{user}/rss``, ``https://nitter.example/search/rss?f=tweets&q={query}``
or ``https://rsshub.example/twitter/user/{user}``. Each item becomes a post with its
canonical ``https://x.com/<user>/status/<id>`` URL (taken from the bridge's link), so
two bridges give the same keys; links are the ones the bridge shows (Nitter expands
t.co links; anything still on x.com, twitter.com or t.co is dropped, never resolved).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import Field, field_validator, model_validator

from connectors.sdk import Capabilities, Cursor, Page, PollingConnector
from connectors.sdk.apis import fetch_feed
from connectors.sdk.errors import SkipItem
from connectors.sdk.seen import Seen
from connectors.sdk.social import (
    SocialConfig,
    entry_time,
    follow_links,
    html_to_text,
    links_from_html,
    social_item,
)
from wire.models import SocialPost

PLATFORM = "x"
X_HOSTS = ("x.com", "twitter.com", "t.co", "mobile.twitter.com", "mobile.x.com", "pic.twitter.com")
SEEN_LIMIT = 500
_STATUS = re.compile(r"/(?P<user>[A-Za-z0-9_]{1,15})/status(?:es)?/(?P<id>\d{1,25})")
_USER = re.compile(r"^@?[A-Za-z0-9_]{1,15}$")
_RETWEET = re.compile(r"^RT by @?[A-Za-z0-9_]+:\s*")


class XBridgeConfig(SocialConfig):
    bridge: str = Field(description="feed URL template with {user} or {query}")
    user: str | None = Field(default=None, description="an account, with or without @")
    query: str | None = Field(default=None, description="a search, for bridges that have one")

    @field_validator("user")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _USER.match(value.strip()):
            raise ValueError("user must be an X handle (letters, digits, _; up to 15)")
        return value.strip().removeprefix("@")

    @model_validator(mode="after")
    def _check(self) -> XBridgeConfig:
        if (self.user is None) == (self.query is None):
            raise ValueError("set exactly one of user or query")
        needed = "{user}" if self.user is not None else "{query}"
        if needed not in self.bridge:
            raise ValueError(f"the bridge template needs {needed}")
        parts = urlsplit(self.bridge.replace("{user}", "u").replace("{query}", "q"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("bridge must be an http(s) URL template")
        if _is_x(parts.hostname):
            raise ValueError("the bridge must not be X itself: x.com is never fetched")
        return self


class XBridgeConnector(PollingConnector[XBridgeConfig]):
    """Bridge RSS of an X account or search -> ``social_post`` raw items (platform x)."""

    name = "x"
    config_model = XBridgeConfig
    capabilities = Capabilities(
        needs_key="no",
        rate_limit="the bridge's own: public Nitter instances throttle hard; self-host one",
        keyless_limits=(
            "what the bridge shows: no engagement counts or language; t.co links only "
            "as the bridge expands them; x.com itself is never fetched"
        ),
        notes="RSSHub's twitter routes need X credentials configured on the RSSHub side",
    )

    def _url(self) -> str:
        cfg = self.config
        if cfg.user is not None:
            return cfg.bridge.replace("{user}", quote(cfg.user))
        return cfg.bridge.replace("{query}", quote(cfg.query or "", safe=""))

    def poll(self, cursor: Cursor) -> Page:
        url = self._url()
        fetched = fetch_feed(self.http, url, cursor, "the bridge's RSS")
        if fetched is None:
            return Page(cursor=cursor, stats={"not_modified": 1})
        parsed, validators = fetched
        names = _feed_names(parsed.feed.get("title"))
        seen = Seen.from_cursor(
            cursor.get("seen"), limit=Seen.bound(SEEN_LIMIT, len(parsed.entries))
        )
        page = Page()
        posts: list[SocialPost] = []
        bridge_host = urlsplit(url).hostname or ""
        for entry in reversed(parsed.entries):  # oldest first
            payload = repr(dict(entry))
            try:
                post, html = _post(entry, names, bridge_host)
            except ValueError as exc:
                page.skipped.append((f"x bridge item: {exc}", payload))
                continue
            if not seen.add(post.post_id):
                continue
            try:
                page.items.append(social_item(self, post, html=html))
                posts.append(post)
            except SkipItem:
                page.stats["no_text"] = page.stats.get("no_text", 0) + 1
            except ValueError as exc:
                page.skipped.append((f"x post {post.post_id}: {exc}", payload))
        if self.config.follow_links:
            page.items.extend(follow_links(self, posts, stats=page.stats))
        page.cursor = {
            "seen": seen.to_cursor(),
            **validators,
        }
        return page


def _post(entry: Any, names: dict[str, str], bridge_host: str) -> tuple[SocialPost, str | None]:
    """(post, its HTML) of one bridge item; ValueError when the item names no status."""
    for candidate in (entry.get("link"), entry.get("id")):
        match = _STATUS.search(urlsplit(str(candidate or "")).path)
        if match:
            break
    else:
        raise ValueError("no /<user>/status/<id> in the item's link or guid")
    handle, status_id = match.group("user"), match.group("id")
    html = entry.get("summary") or entry.get("description") or None
    text = html_to_text(html) if html else ""
    if not text:  # some bridges put the text in the title only
        text = _RETWEET.sub("", " ".join(str(entry.get("title") or "").split()))
    own = (bridge_host, *X_HOSTS)
    links = links_from_html(html or "", f"https://{bridge_host}/", own_hosts=own)
    links = [u for u in links if not _is_x(urlsplit(u).hostname or "")]
    creator = str(entry.get("author") or "").strip()
    author = names.get(handle.lower())
    if not author and creator and not creator.startswith("@"):
        author = creator  # RSSHub gives the display name as <author>
    return (
        SocialPost(
            platform=PLATFORM,
            post_id=status_id,
            url=f"https://x.com/{handle}/status/{status_id}",
            author=author,
            handle=handle,
            text=text,
            posted_at=entry_time(entry),
            links=links,
        ),
        html,
    )


def _feed_names(title: Any) -> dict[str, str]:
    """Handle -> display name from a Nitter channel title ("Name / @handle")."""
    match = re.match(r"^(?P<name>.+?)\s*/\s*@(?P<handle>[A-Za-z0-9_]{1,15})\s*$", str(title or ""))
    return {match.group("handle").lower(): match.group("name")} if match else {}


def _is_x(host: str) -> bool:
    host = host.lower()
    return any(host == h or host.endswith("." + h) for h in X_HOSTS)
