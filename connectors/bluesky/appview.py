"""The public Bluesky AppView (``https://public.api.bsky.app``), keyless, through the
shared HTTP client: handle -> DID resolution and accounts' author feeds.

The public AppView allows about 3000 requests per 5 minutes per IP and says what is left
in ``ratelimit-remaining`` / ``ratelimit-reset``; an exhausted window is recorded in the
cursor and waited out with ``RetryAfter`` rather than spent on refused requests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from connectors.bluesky.records import DID, BadRecord, post_from_record
from connectors.sdk.base import Cursor
from connectors.sdk.errors import BadPayload, FatalSourceError
from connectors.sdk.http import HttpClient, Response
from connectors.sdk.seen import Seen
from connectors.sdk.social import bad_payload, looks_like_html, note_rate_limit
from wire.models import SocialPost

FEED_PAGE = 50
SEEN_PER_ACCOUNT = 300
RATE_RESERVE = 10  # requests left unspent in a window, for the other sources on this IP


def xrpc_url(appview: str, method: str, **params: str | int) -> str:
    return f"{appview.rstrip('/')}/xrpc/{method}?{urlencode(params)}"


def get_json(http: HttpClient, url: str, cursor: Cursor | None = None) -> dict[str, Any]:
    """GET an XRPC query; an HTML page or broken JSON raises ``BadPayload``."""
    resp = http.get(url, subscribed=True)  # the API the source is configured on, no crawl
    if cursor is not None:
        _note_limit(cursor, resp)
    if looks_like_html(resp.content, resp.headers.get("content-type")):
        raise bad_payload(resp, "an HTML page instead of JSON")
    try:
        data = json.loads(resp.content)
    except ValueError as exc:
        raise bad_payload(resp, f"broken JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise bad_payload(resp, f"JSON {type(data).__name__}, not an object")
    return data


def resolve_handle(http: HttpClient, appview: str, handle: str) -> str:
    """The DID of ``handle``. An unknown handle is a configuration error (fatal); a
    garbled answer may pass (retriable)."""
    url = xrpc_url(appview, "com.atproto.identity.resolveHandle", handle=handle)
    try:
        data = get_json(http, url)
    except FatalSourceError as exc:
        raise FatalSourceError(
            f"cannot resolve Bluesky handle {handle!r}: {exc}", status=exc.status
        ) from exc
    except BadPayload as exc:
        raise BadPayload(f"resolving Bluesky handle {handle!r}: {exc}", exc.payload) from exc
    did = data.get("did")
    if not isinstance(did, str) or not DID.match(did):
        raise BadPayload(
            f"resolving Bluesky handle {handle!r}: no DID in {data!r:.200}", json.dumps(data)
        )
    return did


@dataclass
class FeedResult:
    posts: list[SocialPost] = field(default_factory=list)
    """New posts, oldest first."""
    skipped: list[tuple[str, str | bytes | None]] = field(default_factory=list)
    requests: int = 0


def poll_author_feed(
    http: HttpClient,
    appview: str,
    did: str,
    state: dict[str, Any],
    cursor: Cursor,
    *,
    max_pages: int,
    keep: Callable[[SocialPost], bool],
) -> FeedResult:
    """New posts of one account since ``state`` (updated in place: ``seen`` AT-URIs).

    The feed is newest first: pages are walked back (with the API's ``cursor``) until a
    page holds a post already seen, so a long pause loses nothing within ``max_pages``.
    The first poll of an account takes one page. Reposts and pins (``reason``) are not
    the account's own new posts and are left out.
    """
    # at least what one poll can list, so a post still listed is never forgotten
    limit = Seen.bound(SEEN_PER_ACCOUNT, max_pages * FEED_PAGE)
    seen = Seen.from_cursor(state.get("seen"), limit=limit)
    known = len(seen) > 0
    taken: set[str] = set()
    result = FeedResult()
    fresh: list[SocialPost] = []
    api_cursor: str | None = None
    for _ in range(max_pages if known else 1):
        params: dict[str, str | int] = {"actor": did, "limit": FEED_PAGE}
        if api_cursor:
            params["cursor"] = api_cursor
        url = xrpc_url(appview, "app.bsky.feed.getAuthorFeed", **params)
        result.requests += 1
        data = get_json(http, url, cursor)  # a challenge or error page: BadPayload, retried
        feed = data.get("feed")
        if not isinstance(feed, list):
            raise BadPayload(f"{url}: an answer without a feed list", json.dumps(data))
        reached_known = False
        for entry in feed:
            try:
                post = feed_post(entry)
            except BadRecord as exc:
                result.skipped.append((str(exc), json.dumps(entry, default=str)))
                continue
            if post is None:
                continue
            if post.post_id in seen or post.post_id in taken:
                reached_known = True
                continue
            taken.add(post.post_id)
            fresh.append(post)
        api_cursor = data.get("cursor") if isinstance(data.get("cursor"), str) else None
        if reached_known or not api_cursor:
            break
    fresh.reverse()
    for post in fresh:
        seen.add(post.post_id)
    state["seen"] = seen.to_cursor()
    result.posts = [p for p in fresh if keep(p)]
    return result


def feed_post(entry: Any) -> SocialPost | None:
    """Map a ``feedViewPost``; None for a repost or a pin. Raises ``BadRecord``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("post"), dict):
        raise BadRecord("feed entry without a post object")
    if entry.get("reason"):
        return None
    view = entry["post"]
    uri, author = view.get("uri"), view.get("author")
    if not isinstance(uri, str) or not uri.startswith("at://") or not isinstance(author, dict):
        raise BadRecord(f"post view without uri or author: {str(uri)[:200]}")
    did, _, rkey = uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    if not rkey or not DID.match(did):
        raise BadRecord(f"not a post URI: {uri[:200]}")
    engagement = {
        name: value
        for name, key in (
            ("replies", "replyCount"),
            ("reposts", "repostCount"),
            ("likes", "likeCount"),
            ("quotes", "quoteCount"),
        )
        if isinstance(value := view.get(key), int) and not isinstance(value, bool)
    }
    handle = author.get("handle")
    name = author.get("displayName")
    return post_from_record(
        did,
        rkey,
        view.get("record"),
        handle=handle if isinstance(handle, str) else None,
        author=name.strip() or None if isinstance(name, str) else None,
        engagement=engagement,
    )


def _note_limit(cursor: Cursor, resp: Response) -> None:
    reset = resp.headers.get("ratelimit-reset")
    reset_in = float(reset) - time.time() if reset and reset.isdigit() else None
    note_rate_limit(cursor, resp.headers.get("ratelimit-remaining"), reset_in, reserve=RATE_RESERVE)
