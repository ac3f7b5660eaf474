"""Mastodon payloads -> ``SocialPost``: API statuses and the instance's RSS items.

Post ids are ``"{origin host}/{origin id}"`` taken from the status's web URL (``url``,
else its ActivityPub ``uri``): the same post gets the same key whether it came through
the API or the RSS feed, and through whichever instance it federated to, so a mode
switch or two sources on different instances never count one post twice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from connectors.sdk.social import entry_time, html_to_text, links_from_html, parse_time
from wire.models import SocialPost

PLATFORM = "mastodon"


class BadStatus(ValueError):
    """A status that does not have the shape of a Mastodon Status entity."""


def post_id_from_url(url: str) -> str:
    parts = urlsplit(url)
    segment = next((s for s in reversed(parts.path.split("/")) if s), "")
    if not parts.hostname or not segment:
        raise BadStatus(f"cannot take a post id from {url!r}")
    return f"{parts.hostname.lower()}/{segment}"


def status_post(status: Any, instance_host: str) -> SocialPost:
    """Map a Status entity (https://docs.joinmastodon.org/entities/Status/); a reblog is
    unwrapped to the post it shares. Raises ``BadStatus`` on an unexpected schema."""
    if not isinstance(status, dict):
        raise BadStatus(f"a status must be an object, got {type(status).__name__}")
    original = status.get("reblog") or status
    if not isinstance(original, dict) or not original.get("id"):
        raise BadStatus("status without an id")
    url = original.get("url") or original.get("uri")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BadStatus(f"status {original['id']} has no web URL")
    account = original.get("account")
    if not isinstance(account, dict):
        raise BadStatus(f"status {original['id']} has no account")
    content = original.get("content") or ""
    if not isinstance(content, str):
        raise BadStatus(f"status {original['id']}: content is not text")
    text = html_to_text(content)
    if spoiler := (original.get("spoiler_text") or "").strip():
        text = f"{spoiler}\n\n{text}".strip()  # the content warning reads as a headline
    links = links_from_html(content, url, own_hosts=[instance_host])
    card = original.get("card")
    if isinstance(card, dict) and isinstance(card.get("url"), str) and card["url"] not in links:
        links.append(card["url"])
    engagement = {
        name: value
        for name, field in (
            ("replies", "replies_count"),
            ("reposts", "reblogs_count"),
            ("likes", "favourites_count"),
            ("quotes", "quotes_count"),
        )
        if isinstance(value := original.get(field), int) and not isinstance(value, bool)
    }
    reply_to = original.get("in_reply_to_id")
    return SocialPost(
        platform=PLATFORM,
        post_id=post_id_from_url(url),
        url=url,
        author=(account.get("display_name") or "").strip() or None,
        handle=_handle(account.get("acct"), instance_host),
        text=text,
        posted_at=parse_time(original.get("created_at")),
        lang=original.get("language") or None,
        engagement=engagement,
        links=links,
        reply_to=str(reply_to) if reply_to else None,
    )


def rss_post(entry: Any, feed_title: str | None, instance_host: str) -> SocialPost:
    """Map an item of ``/@user.rss`` or ``/tags/NAME.rss``. The feed gives no language,
    counts or display names per item: an account feed's title is its display name."""
    url = entry.get("link") or entry.get("id")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BadStatus("RSS item without a link")
    description = entry.get("summary") or entry.get("description") or ""
    return SocialPost(
        platform=PLATFORM,
        post_id=post_id_from_url(url),
        url=url,
        author=feed_title,
        handle=_handle_from_url(url),
        text=html_to_text(description),
        posted_at=entry_time(entry),
        links=links_from_html(description, url, own_hosts=[instance_host]),
    )


def _handle(acct: Any, instance_host: str) -> str | None:
    if not isinstance(acct, str) or not acct:
        return None
    return acct if "@" in acct else f"{acct}@{instance_host}"  # local accounts are bare


def _handle_from_url(url: str) -> str | None:
    parts = urlsplit(url)
    first = next((s for s in parts.path.split("/") if s), "")
    if first.startswith("@") and parts.hostname:
        return f"{first[1:]}@{parts.hostname}"
    return None
