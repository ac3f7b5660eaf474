"""Reddit: a subreddit's newest posts, or a search, keyless or through OAuth.

Keyless, the Atom feeds (``/r/NAME/new/.rss``, ``/search.rss?q=``): no scores or comment
counts. With a script app's ``client_id``/``client_secret``, the JSON API through the
client-credentials grant (``/api/v1/access_token``, then ``oauth.reddit.com``), which
adds scores and comment counts. The token lives in memory only, never in the cursor.

Reddit's limits are strict and per client, not per source: about 10 requests a minute
without OAuth and 100 with it. Every Reddit source of the process shares one pacer
(one request per 6 s keyless, per 0.6 s with OAuth); a source polled sooner gets an
empty page whose ``interval_hint`` says when to come back, so the floor holds however
short a source's ``interval`` is. ``x-ratelimit-remaining``/``-reset`` are honoured.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlencode

import feedparser
from pydantic import Field, SecretStr, field_validator, model_validator

from connectors.reddit.mapping import atom_post, thing_post
from connectors.sdk import Capabilities, Cursor, Page, PollingConnector
from connectors.sdk.errors import FatalSourceError, RetriableError, SkipItem
from connectors.sdk.seen import Seen
from connectors.sdk.social import (
    SocialConfig,
    bad_payload,
    check_rate_limit,
    follow_links,
    looks_like_html,
    note_rate_limit,
    request,
    social_item,
)
from wire.models import SocialPost

KEYLESS_GAP_S = 6.0  # ~10 requests a minute per client without OAuth
OAUTH_GAP_S = 0.6  # 100 requests a minute per OAuth client
SEEN_LIMIT = 1000
_SUBREDDIT = re.compile(r"^(?:/?r/)?(?P<name>[A-Za-z0-9_]{2,21}(?:\+[A-Za-z0-9_]{2,21})*)/?$")


class RedditConfig(SocialConfig):
    subreddit: str | None = Field(default=None, description="name, r/name or a+b")
    search: str | None = Field(default=None, description="a search query (within subreddit)")
    sort: Literal["new", "hot", "top", "rising", "relevance", "comments"] = "new"
    limit: int = Field(default=100, ge=1, le=100)
    client_id: str | None = None
    client_secret: SecretStr | None = None
    base_url: str = Field(default="https://www.reddit.com", description="keyless feeds")
    oauth_url: str = "https://oauth.reddit.com"
    token_url: str = "https://www.reddit.com/api/v1/access_token"

    @field_validator("subreddit")
    @classmethod
    def _subreddit(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _SUBREDDIT.match(value.strip())
        if not match:
            raise ValueError("subreddit must be a name such as worldnews (or a+b)")
        return match.group("name")

    @field_validator("base_url", "oauth_url", "token_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check(self) -> RedditConfig:
        if not self.subreddit and not (self.search and self.search.strip()):
            raise ValueError("set subreddit, search, or both")
        if (self.client_id is None) != (self.client_secret is None):
            raise ValueError("client_id and client_secret go together")
        listing = self.sort in ("new", "hot", "top", "rising")
        if not self.search and not listing:
            raise ValueError(f"sort {self.sort!r} is for searches")
        if self.search and self.sort in ("hot", "rising"):
            raise ValueError(f"sort {self.sort!r} is for subreddit listings")
        return self

    @property
    def oauth(self) -> bool:
        return self.client_id is not None


class _Pacer:
    """Minimum gap between requests, shared by every source of one kind of client."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._next = 0.0
        self._lock = threading.Lock()

    def take(self) -> float:
        """Reserve the next request slot now (0.0) or say how long until one is free."""
        with self._lock:
            now = time.monotonic()
            if now < self._next:
                return self._next - now
            self._next = now + self.gap
            return 0.0

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


class RedditConnector(PollingConnector[RedditConfig]):
    """Subreddit listing or search -> ``social_post`` raw items, newest first."""

    name = "reddit"
    config_model = RedditConfig
    capabilities = Capabilities(
        needs_key="optional",
        rate_limit=(
            "keyless ~10 requests/min per client, OAuth 100/min: one shared pacer "
            "(6 s / 0.6 s between requests), x-ratelimit-* honoured"
        ),
        keyless_limits=(
            "Atom feeds: no scores or comment counts, newest 100 posts at most; Reddit "
            "may refuse unidentified or datacenter clients (403/429)"
        ),
        notes="script-app client_id/client_secret (client-credentials grant) add counts",
    )
    pacers: ClassVar[dict[str, _Pacer]] = {
        "keyless": _Pacer(KEYLESS_GAP_S),
        "oauth": _Pacer(OAUTH_GAP_S),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._token_lock = threading.Lock()

    def poll(self, cursor: Cursor) -> Page:
        cursor = dict(cursor)
        check_rate_limit(cursor)
        pacer = self.pacers["oauth" if self.config.oauth else "keyless"]
        if (gap := pacer.take()) > 0:
            return Page(cursor=cursor, stats={"paced": 1}, interval_hint=gap)
        if self.config.oauth:
            rows, resp_headers = self._api_rows()
        else:
            rows, resp_headers = self._feed_rows(cursor)
        wait = note_rate_limit(
            cursor,
            resp_headers.get("x-ratelimit-remaining"),
            _float(resp_headers.get("x-ratelimit-reset")),
            reserve=1,
        )
        if wait:
            pacer.hold(wait)
        page = self._page(cursor, rows, wait)
        if rows is None:
            page.stats["not_modified"] = 1
        return page

    # -- keyless: Atom feeds -----------------------------------------------------------

    def _feed_url(self) -> str:
        cfg = self.config
        if cfg.search:
            query: dict[str, Any] = {"q": cfg.search, "sort": cfg.sort, "limit": cfg.limit}
            if cfg.subreddit:
                query["restrict_sr"] = "on"
                return f"{cfg.base_url}/r/{cfg.subreddit}/search.rss?{urlencode(query)}"
            return f"{cfg.base_url}/search.rss?{urlencode(query)}"
        return f"{cfg.base_url}/r/{cfg.subreddit}/{cfg.sort}/.rss?limit={cfg.limit}"

    def _feed_rows(self, cursor: Cursor) -> tuple[list[tuple[Any, str]] | None, dict[str, str]]:
        """(entries with their payloads, or None when unchanged; response headers)"""
        url = self._feed_url()
        resp = self.http.get(url, previous_hash=cursor.get("body_hash"), subscribed=True)
        headers = dict(resp.headers)
        if resp.not_modified:
            return None, headers
        if looks_like_html(resp.content, resp.headers.get("content-type")):
            raise bad_payload(resp, "an HTML page where the feed was expected")
        parsed = feedparser.parse(resp.content)
        if not parsed.entries and parsed.get("bozo"):
            raise bad_payload(resp, f"not a feed ({parsed.get('bozo_exception')})")
        cursor["body_hash"] = resp.body_hash
        return [(e, repr(dict(e))) for e in parsed.entries], headers

    # -- OAuth: the JSON API -----------------------------------------------------------

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token and time.monotonic() < self._token[1]:
                return self._token[0]
            secret = self.config.client_secret
            resp = request(
                self.http,
                "POST",
                self.config.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.config.client_id or "", secret.get_secret_value() if secret else ""),
            )
            try:
                data = json.loads(resp.content)
                token, expires = str(data["access_token"]), float(data.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError) as exc:
                raise FatalSourceError(f"Reddit gave no access token: {exc}") from exc
            self._token = (token, time.monotonic() + max(60.0, expires - 60.0))
            return token

    def _api_url(self) -> str:
        cfg = self.config
        base = f"{cfg.oauth_url}/r/{cfg.subreddit}" if cfg.subreddit else cfg.oauth_url
        query: dict[str, Any] = {"limit": cfg.limit, "raw_json": 1}
        if cfg.search:
            query.update(q=cfg.search, sort=cfg.sort, restrict_sr=1 if cfg.subreddit else 0)
            return f"{base}/search?{urlencode(query)}"
        return f"{base}/{quote(cfg.sort)}?{urlencode(query)}"

    def _api_rows(self) -> tuple[list[tuple[Any, str]] | None, dict[str, str]]:
        url = self._api_url()
        headers = {"Authorization": f"bearer {self._access_token()}"}
        try:
            resp = request(self.http, "GET", url, headers=headers)
        except FatalSourceError as exc:
            if exc.status == 401:
                self._token = None  # revoked or expired early: a new one next poll
                raise RetriableError(f"{url}: token refused, renewing", status=401) from exc
            raise
        if looks_like_html(resp.content, resp.headers.get("content-type")):
            raise bad_payload(resp, "an HTML page where JSON was expected")
        try:
            listing = json.loads(resp.content)
            children = listing["data"]["children"]
        except ValueError as exc:
            raise bad_payload(resp, f"invalid JSON ({exc})") from exc
        except (KeyError, TypeError) as exc:
            raise bad_payload(resp, "not a Listing (no data.children)") from exc
        if not isinstance(children, list):
            raise bad_payload(resp, "not a Listing (children is not a list)")
        rows = [(c, json.dumps(c, ensure_ascii=False)) for c in children]
        return rows, dict(resp.headers)

    # -- shared ------------------------------------------------------------------------

    def _page(self, cursor: Cursor, rows: list[tuple[Any, str]] | None, wait: float | None) -> Page:
        page = Page(cursor=cursor, interval_hint=wait)
        seen = Seen.from_cursor(cursor.get("seen"), limit=Seen.bound(SEEN_LIMIT, len(rows or [])))
        mapper = thing_post if self.config.oauth else atom_post
        posts: list[SocialPost] = []
        for row, payload in reversed(rows or []):  # oldest first, like the other connectors
            try:
                post, title, html = mapper(row)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                page.skipped.append((f"reddit post: {type(exc).__name__}: {exc}", payload))
                continue
            if not seen.add(post.post_id):
                continue
            try:
                page.items.append(social_item(self, post, html=html, title=title))
                posts.append(post)
            except SkipItem:
                page.stats["no_text"] = page.stats.get("no_text", 0) + 1
            except ValueError as exc:
                page.skipped.append((f"reddit post {post.post_id}: {exc}", payload))
        if self.config.follow_links:
            page.items.extend(follow_links(self, posts, stats=page.stats))
        cursor["seen"] = seen.to_cursor()
        return page


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
