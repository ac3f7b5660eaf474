"""Telegram: a public channel through its web preview, ``https://t.me/s/<channel>``.

No key and no API: the preview is the page Telegram serves to browsers for public
channels. A poll reads the newest page and, when messages are missing between it and
the cursor's ``last_id``, walks back with ``?before=<oldest id>``, at most ``max_pages``
pages per call; a longer gap is finished by the next calls (``Page.more``), with the
walk's position in the cursor, so a restart neither loses nor repeats messages. The
first poll takes the newest page only (``backfill_pages`` walks further back).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from pydantic import Field, field_validator

from connectors.sdk import Capabilities, Cursor, Page, PollingConnector
from connectors.sdk.errors import FatalSourceError, SkipItem
from connectors.sdk.seen import Seen
from connectors.sdk.social import (
    SocialConfig,
    bad_payload,
    follow_links,
    looks_like_html,
    social_item,
)
from connectors.telegram.parse import Message, NotAPreview, parse_page
from wire.models import SocialPost

BAD_LIMIT = 50  # digests of unparsable blocks remembered, so each is dead-lettered once
_CHANNEL = re.compile(
    r"^(?:(?:https?://)?(?:t\.me|telegram\.me)/(?:s/)?|@)?(?P<name>[A-Za-z][A-Za-z0-9_]{3,31})/?$"
)


class TelegramConfig(SocialConfig):
    channel: str = Field(description="a public channel: name, @name or https://t.me/name")
    base_url: str = Field(default="https://t.me", description="where previews are served")
    max_pages: int = Field(default=5, ge=1, le=50, description="preview pages per poll")
    backfill_pages: int = Field(default=0, ge=0, description="older pages on the first poll")

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        match = _CHANNEL.match(value.strip())
        if not match:
            raise ValueError("channel must be a public channel name or its t.me URL")
        return match.group("name")

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        return value.rstrip("/")


class TelegramConnector(PollingConnector[TelegramConfig]):
    """Public channel preview pages -> ``social_post`` raw items, oldest first."""

    name = "telegram"
    config_model = TelegramConfig
    capabilities = Capabilities(
        needs_key="no",
        rate_limit=(
            "undocumented; t.me answers 429 when pressed: one page per poll, "
            "at most max_pages when catching up"
        ),
        keyless_limits=(
            "public channels with the web preview enabled only; no groups, reactions "
            "or comments; media are not downloaded"
        ),
        notes="the MTProto API (a phone-number login) is deliberately not used",
    )

    def _url(self, before: int | None = None) -> str:
        url = f"{self.config.base_url}/s/{quote(self.config.channel)}"
        return f"{url}?before={before}" if before else url

    def poll(self, cursor: Cursor) -> Page:
        last_id = _int(cursor.get("last_id"))
        walk = cursor.get("walk") if isinstance(cursor.get("walk"), dict) else None
        before = _int(walk.get("before")) if walk else None
        top = _int(walk.get("top")) if walk else None
        if walk:
            extra_pages = _int(walk.get("backfill")) or 0
        else:
            extra_pages = self.config.backfill_pages if last_id is None else 0
        pages_left = self.config.max_pages
        bad_seen = Seen.from_cursor(cursor.get("bad"), limit=BAD_LIMIT)
        bad_listed = 0
        page = Page()
        fresh: dict[int, Message] = {}
        reached = False
        while pages_left > 0:
            pages_left -= 1
            messages = self._fetch(before, page)
            ids = [m.id for m in messages if m.id]
            if not ids:
                reached = True  # an empty channel, or walked past its first message
                break
            top = max(top or 0, *ids)
            fresh.update({m.id: m for m in messages if m.id and m.id > (last_id or 0)})
            for m in messages:
                bad_listed += not m.id
                digest = hashlib.sha1(m.payload.encode()).hexdigest()[:16]
                if not m.id and bad_seen.add(digest):  # dead-lettered once, not per poll
                    page.skipped.append((m.error or "unparsable message", m.payload))
            oldest = min(ids)
            if last_id is not None and oldest <= last_id + 1:
                reached = True
                break
            if last_id is None:
                if extra_pages <= 0:
                    reached = True
                    break
                extra_pages -= 1
            before = oldest
        self._emit(page, [fresh[i] for i in sorted(fresh)])
        if reached or before is None:
            page.cursor = {"last_id": max(top or 0, last_id or 0) or None}
        else:  # not there yet: continue the walk on the next call
            walk = {"before": before, "top": top, "backfill": extra_pages}
            page.cursor = {"last_id": last_id, "walk": walk}
            page.more = True
        if bad_seen:
            bad_seen.limit = Seen.bound(BAD_LIMIT, bad_listed)  # all still listed are kept
            page.cursor["bad"] = bad_seen.to_cursor()
        return page

    def _fetch(self, before: int | None, page: Page) -> list[Message]:
        url = self._url(before)
        resp = self.http.get(url, subscribed=True)
        if not looks_like_html(resp.content, resp.headers.get("content-type")):
            raise bad_payload(resp, f"not an HTML page ({resp.headers.get('content-type')})")
        try:
            messages = parse_page(resp.content)
        except NotAPreview as exc:
            if not exc.telegram_page:  # maintenance, a challenge, a cut page: try later
                raise bad_payload(resp, str(exc)) from exc
            raise FatalSourceError(
                f"{url}: {exc}; is @{self.config.channel} a public channel with its preview on?"
            ) from exc
        page.stats["pages"] = page.stats.get("pages", 0) + 1
        return messages

    def _emit(self, page: Page, messages: list[Message]) -> None:
        posts: list[SocialPost] = []
        for msg in messages:
            if msg.post is None:
                page.skipped.append((msg.error or "unparsable message", msg.payload))
                continue
            try:
                page.items.append(social_item(self, msg.post, html=msg.html, extra=msg.extra))
                posts.append(msg.post)
            except SkipItem:
                page.stats["no_text"] = page.stats.get("no_text", 0) + 1
            except ValueError as exc:
                page.skipped.append((f"telegram message {msg.id}: {exc}", msg.payload))
        if self.config.follow_links:
            page.items.extend(follow_links(self, posts, stats=page.stats))


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
