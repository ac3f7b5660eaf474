"""Mastodon: a hashtag or an account timeline from any instance.

Per poll, the public REST API (``/api/v1/timelines/tag/NAME`` or, once the account id is
resolved through ``/api/v1/accounts/lookup``, ``/api/v1/accounts/ID/statuses``), paging
forward from the cursor's ``since_id`` with ``min_id`` (``since_id`` itself would return
the newest posts and skip the ones in between when more than ``limit`` arrived). When an
instance closes its timelines to anonymous clients (401/403/404/422) and ``use_rss`` is
left automatic, the instance's RSS feed (``/tags/NAME.rss``, ``/@user.rss``) is used and
the API is tried again a day later. An access token opens restricted timelines.

The instance's rate limit (``X-RateLimit-Remaining``/``-Reset``, 300 requests per five
minutes by default) is honoured: an exhausted window is kept in the cursor and the next
poll raises ``RetryAfter`` until it resets.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from pydantic import Field, HttpUrl, SecretStr, field_validator, model_validator

from connectors.mastodon.mapping import rss_post, status_post
from connectors.sdk import Capabilities, Cursor, Page, PollingConnector
from connectors.sdk.apis import fetch_feed
from connectors.sdk.errors import BadPayload, FatalSourceError, RetriableError, SkipItem
from connectors.sdk.http import Response
from connectors.sdk.seen import Seen
from connectors.sdk.social import (
    RETRY_AT,
    SocialConfig,
    bad_payload,
    check_rate_limit,
    follow_links,
    looks_like_html,
    note_rate_limit,
    parse_time,
    request,
    social_item,
)
from wire.models import SocialPost

CLOSED = {401, 403, 404, 422}  # how instances answer an anonymous client they refuse
API_REPROBE_S = 24 * 3600.0
SEEN_LIMIT = 500  # RSS guids remembered; a Mastodon feed carries 20
_ACCOUNT = re.compile(r"^@?(?P<user>[A-Za-z0-9_]+)(?:@(?P<host>[A-Za-z0-9.-]+(?::\d+)?))?$")
_TAG = re.compile(r"^\w+$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class MastodonConfig(SocialConfig):
    instance: HttpUrl = Field(description="the instance to ask, e.g. https://mastodon.social")
    hashtag: str | None = Field(default=None, description="a hashtag, with or without #")
    account: str | None = Field(default=None, description="@user (on the instance) or user@host")
    access_token: SecretStr | None = Field(
        default=None, description="opens timelines the instance keeps for logged-in users"
    )
    use_rss: bool | None = Field(
        default=None, description="None: API first, RSS when the API is closed; True/False"
    )
    limit: int = Field(default=40, ge=1, le=40, description="posts per request (API max 40)")

    @field_validator("hashtag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("#")
        if not _TAG.match(value):
            raise ValueError("a hashtag is letters, digits and underscores")
        return value

    @field_validator("account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _ACCOUNT.match(value.strip()):
            raise ValueError("account must look like @user or user@host")
        return value.strip().removeprefix("@")

    @model_validator(mode="after")
    def _one_timeline(self) -> MastodonConfig:
        if (self.hashtag is None) == (self.account is None):
            raise ValueError("set exactly one of hashtag or account")
        if self.instance.scheme not in ("http", "https"):
            raise ValueError("instance must be an http(s) URL")
        plain = self.instance.scheme != "https" and self.instance.host not in _LOOPBACK
        if self.access_token and plain:
            raise ValueError("an access token is only sent over https")
        return self


class MastodonConnector(PollingConnector[MastodonConfig]):
    """Hashtag or account timeline of one instance -> ``social_post`` raw items."""

    name = "mastodon"
    config_model = MastodonConfig
    capabilities = Capabilities(
        needs_key="optional",
        rate_limit=(
            "300 API requests per 5 min per IP or token (instance default); "
            "X-RateLimit-Remaining/Reset honoured"
        ),
        keyless_limits=(
            "instances may close timelines to anonymous clients: then the RSS feed "
            "(20 latest posts, no language, counts or per-item author name)"
        ),
        notes="an access token (read scope) opens restricted timelines",
    )

    @property
    def _base(self) -> str:
        return str(self.config.instance).rstrip("/")

    @property
    def _host(self) -> str:
        return (urlsplit(self._base).hostname or "").lower()

    def poll(self, cursor: Cursor) -> Page:
        cursor = dict(cursor)
        check_rate_limit(cursor)
        if self._rss_mode(cursor):
            return self._poll_rss(cursor)
        try:
            page = self._poll_api(cursor)
        except (FatalSourceError, RetriableError) as exc:
            if self.config.use_rss is not None or exc.status not in CLOSED:
                raise
            cursor.update(mode="rss", api_retry_at=time.time() + API_REPROBE_S)
            page = self._poll_rss(cursor)
            page.stats["api_closed"] = 1
            return page
        page.cursor.pop("api_retry_at", None)
        page.cursor["mode"] = "api"
        return page

    def _rss_mode(self, cursor: Cursor) -> bool:
        if self.config.use_rss is not None:
            return self.config.use_rss
        if cursor.get("mode") != "rss":
            return False
        if time.time() < float(cursor.get("api_retry_at", 0)):
            return True
        cursor.pop("since_id", None)  # back on the API: start from its newest posts
        return False

    # -- the REST API ----------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.config.access_token:
            headers["Authorization"] = f"Bearer {self.config.access_token.get_secret_value()}"
        return headers

    def _get_json(self, url: str, cursor: Cursor) -> Any:
        resp = request(self.http, "GET", url, headers=self._headers())
        reset = parse_time(resp.headers.get("x-ratelimit-reset"))
        note_rate_limit(
            cursor,
            resp.headers.get("x-ratelimit-remaining"),
            reset.timestamp() - time.time() if reset else None,
        )
        return _json(resp)

    def _timeline_url(self, cursor: Cursor) -> str:
        if self.config.hashtag:
            path = f"/api/v1/timelines/tag/{quote(self.config.hashtag)}"
        else:
            account_id = cursor.get("account_id") or self._lookup(cursor)
            path = f"/api/v1/accounts/{quote(str(account_id))}/statuses"
        query: dict[str, Any] = {"limit": self.config.limit}
        if cursor.get("since_id"):
            query["min_id"] = cursor["since_id"]
        return f"{self._base}{path}?{urlencode(query)}"

    def _lookup(self, cursor: Cursor) -> str:
        acct = quote(self.config.account or "", safe="@")
        data = self._get_json(f"{self._base}/api/v1/accounts/lookup?acct={acct}", cursor)
        if not isinstance(data, dict) or not data.get("id"):
            raise FatalSourceError(f"{self._base}: no account {self.config.account!r}")
        account_id = cursor["account_id"] = str(data["id"])
        check_rate_limit(cursor)  # the lookup may have spent the window's last request
        return account_id

    def _poll_api(self, cursor: Cursor) -> Page:
        catching_up = bool(cursor.get("since_id"))
        statuses = self._get_json(self._timeline_url(cursor), cursor)
        if not isinstance(statuses, list):
            raise BadPayload(f"{self._base}: expected a list of statuses", json.dumps(statuses))
        page = Page(cursor=cursor)
        posts: list[tuple[SocialPost, str | None, str]] = []
        ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and s.get("id")]
        for status in statuses:
            payload = json.dumps(status, ensure_ascii=False)
            try:
                post = status_post(status, self._host)
                original = status.get("reblog") or status
                posts.append((post, original.get("content") or None, payload))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                page.skipped.append((f"mastodon status: {type(exc).__name__}: {exc}", payload))
        self._emit(page, posts)
        if ids:
            cursor["since_id"] = max([*ids, str(cursor.get("since_id") or "0")], key=_id_order)
        # a full page after a cursor means more posts are waiting right behind it
        page.more = catching_up and len(statuses) >= self.config.limit
        page.more = page.more and RETRY_AT not in cursor  # no hurry into a closed window
        return page

    # -- the RSS fallback -------------------------------------------------------------

    def _rss_url(self) -> str:
        if self.config.hashtag:
            return f"{self._base}/tags/{quote(self.config.hashtag)}.rss"
        match = _ACCOUNT.match(self.config.account or "")
        assert match is not None  # validated in the config
        user, host = match.group("user"), match.group("host")
        if host and host.lower() != urlsplit(self._base).netloc.lower():
            return f"https://{host}/@{user}.rss"  # instances serve RSS for their own users
        return f"{self._base}/@{user}.rss"

    def _poll_rss(self, cursor: Cursor) -> Page:
        url = self._rss_url()
        fetched = fetch_feed(self.http, url, cursor, "the RSS feed")
        if fetched is None:
            return Page(cursor=cursor, stats={"not_modified": 1})
        parsed, validators = fetched
        title = parsed.feed.get("title") if self.config.account else None
        seen = Seen.from_cursor(
            cursor.get("seen"), limit=Seen.bound(SEEN_LIMIT, len(parsed.entries))
        )
        page = Page(cursor=cursor)
        posts: list[tuple[SocialPost, str | None, str]] = []
        for entry in parsed.entries:
            guid = entry.get("id") or entry.get("link")
            if not guid or not seen.add(guid):
                continue
            payload = repr(dict(entry))
            try:
                post = rss_post(entry, title, self._host)
                posts.append((post, entry.get("summary") or None, payload))
            except (ValueError, TypeError, KeyError) as exc:
                page.skipped.append((f"mastodon rss item: {type(exc).__name__}: {exc}", payload))
        self._emit(page, posts)
        cursor.update(
            seen=seen.to_cursor(),
            **validators,
        )
        return page

    # -- shared ----------------------------------------------------------------------

    def _emit(self, page: Page, posts: list[tuple[SocialPost, str | None, str]]) -> None:
        """Posts (with their HTML and raw payload) -> the page's items and dead letters."""
        keys: set[str] = set()
        kept: list[SocialPost] = []
        for post, html, payload in posts:
            try:
                item = social_item(self, post, html=html)
            except SkipItem:
                page.stats["no_text"] = page.stats.get("no_text", 0) + 1
                continue
            except ValueError as exc:
                page.skipped.append((f"mastodon post: {exc}", payload))
                continue
            if item.key in keys:  # a post and its reblog in the same page
                continue
            keys.add(item.key)
            page.items.append(item)
            kept.append(post)
        if self.config.follow_links:
            page.items.extend(follow_links(self, kept, stats=page.stats))


def _json(resp: Response) -> Any:
    if looks_like_html(resp.content, resp.headers.get("content-type")):
        raise bad_payload(resp, f"an HTML page (status {resp.status}) where JSON was expected")
    try:
        data = json.loads(resp.content)
    except ValueError as exc:
        raise bad_payload(resp, f"invalid JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        raise FatalSourceError(f"{resp.url}: {data['error']}", status=resp.status)
    return data


def _id_order(value: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings of growing length: compare by length, then text.
    return (len(value), value)
