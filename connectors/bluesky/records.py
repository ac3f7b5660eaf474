"""Bluesky records -> ``SocialPost``: the same mapping for Jetstream and the AppView.

A post is identified by its AT-URI (``at://<did>/app.bsky.feed.post/<rkey>``), which is
its ``post_id``: the same post gets the same raw-item key whether it came through the
Jetstream firehose or an author feed. Its web URL names the author by DID, because a
handle can change and the URL should not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.sdk.social import parse_time
from wire.models import SocialPost

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
_LINK_FEATURE = "app.bsky.richtext.facet#link"
_AT_URI = re.compile(r"^at://(?P<did>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/?#]+)$")
DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]+$")
HANDLE = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)


class BadRecord(ValueError):
    """A record that does not have the shape of an ``app.bsky.feed.post``."""


def at_uri(did: str, rkey: str, collection: str = POST_COLLECTION) -> str:
    return f"at://{did}/{collection}/{rkey}"


def post_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def web_url(uri: str) -> str | None:
    """``https://bsky.app/...`` of a post's AT-URI; None for anything else."""
    match = _AT_URI.match(uri)
    if not match or match["collection"] != POST_COLLECTION:
        return None
    return post_url(match["did"], match["rkey"])


def post_from_record(
    did: str,
    rkey: str,
    record: Any,
    *,
    handle: str | None = None,
    author: str | None = None,
    engagement: Mapping[str, int] | None = None,
) -> SocialPost:
    """Map an ``app.bsky.feed.post`` record. Raises ``BadRecord`` on an unexpected
    schema; optional parts that are malformed (one bad facet) are left out instead."""
    if not isinstance(record, dict):
        raise BadRecord(f"post record must be an object, got {type(record).__name__}")
    text = record.get("text", "")
    if not isinstance(text, str):
        raise BadRecord(f"post {did}/{rkey}: text is {type(text).__name__}, not a string")
    created = record.get("createdAt")
    if created is not None and not isinstance(created, str):
        raise BadRecord(f"post {did}/{rkey}: createdAt is not a string")
    return SocialPost(
        platform=PLATFORM,
        post_id=at_uri(did, rkey),
        url=post_url(did, rkey),
        author=author,
        handle=handle,
        text=text,
        posted_at=parse_time(created),
        lang=_lang(record.get("langs")),
        engagement=dict(engagement or {}),
        links=post_links(record),
        reply_to=_reply_parent(record.get("reply")),
    )


def post_links(record: Mapping[str, Any]) -> list[str]:
    """Outbound links: link facets in text order, then the link card (``embed.external``,
    also inside a quote-with-media embed). Mentions, tags and quoted posts are no links."""
    links: list[str] = []
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if isinstance(feature, dict) and feature.get("$type") == _LINK_FEATURE:
                _add_link(links, feature.get("uri"))
    embed = record.get("embed")
    if isinstance(embed, dict):
        for part in (embed, embed.get("media")):
            external = part.get("external") if isinstance(part, dict) else None
            if isinstance(external, dict):
                _add_link(links, external.get("uri"))
    return links


def card_text(record: Mapping[str, Any]) -> str:
    """Title and description of the post's link card: the headline of a shared story
    often lives there, not in the post's text."""
    embed = record.get("embed")
    parts: list[str] = []
    if isinstance(embed, dict):
        for part in (embed, embed.get("media")):
            external = part.get("external") if isinstance(part, dict) else None
            if isinstance(external, dict):
                parts += [
                    v for k in ("title", "description") if isinstance(v := external.get(k), str)
                ]
    return "\n".join(parts)


class KeywordFilter:
    """Case-insensitive, word-bounded keyword match: ``"ai"`` matches "AI rules" but not
    "said". Keywords may hold spaces or symbols (``"climate change"``, ``"#cop30"``)."""

    def __init__(self, keywords: Iterable[str]) -> None:
        words = sorted({k.strip() for k in keywords if k.strip()}, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)
            if words
            else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def matches(self, *texts: str) -> bool:
        if self._pattern is None:
            return True
        return any(self._pattern.search(t) for t in texts if t)


def _add_link(links: list[str], uri: Any) -> None:
    if isinstance(uri, str) and uri.startswith(("http://", "https://")) and uri not in links:
        links.append(uri)


def _lang(langs: Any) -> str | None:
    """The first declared language as ISO 639-1 (``"pt-BR"`` -> ``"pt"``)."""
    if isinstance(langs, list) and langs and isinstance(langs[0], str) and langs[0].strip():
        return langs[0].strip().split("-")[0].lower()
    return None


def _reply_parent(reply: Any) -> str | None:
    parent = reply.get("parent") if isinstance(reply, dict) else None
    uri = parent.get("uri") if isinstance(parent, dict) else None
    if not isinstance(uri, str):
        return None
    return web_url(uri) or uri
