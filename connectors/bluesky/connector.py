"""The Bluesky connector: new posts from the Jetstream firehose, or accounts' author feeds.

Jetstream mode (the default) keeps one WebSocket open (see ``connectors.sdk.stream``)
subscribed to ``app.bsky.feed.post`` creations, filtered on the server by the accounts'
DIDs (handles are resolved once, when the connector first connects) and on our side by
keywords. The cursor resumes the stream after a drop or a restart without losing or
repeating a post (see ``connectors.bluesky.jetstream``).

Author-feed mode (``author_feed: true``) polls ``app.bsky.feed.getAuthorFeed`` of each
account over the public AppView instead: no socket, display names and engagement counts
included, at the cost of one request per account per poll.

With both accounts and keywords, a post must match both.
"""

from __future__ import annotations

import copy

from pydantic import Field, field_validator, model_validator
from websockets.sync.client import ClientConnection

from connectors.bluesky.appview import poll_author_feed, resolve_handle
from connectors.bluesky.jetstream import (
    MAX_WANTED_DIDS,
    URL_DIDS,
    BadEvent,
    ResumeState,
    options_update,
    parse_event,
    subscribe_url,
)
from connectors.bluesky.records import (
    DID,
    HANDLE,
    POST_COLLECTION,
    BadRecord,
    KeywordFilter,
    card_text,
    post_from_record,
)
from connectors.sdk.base import Capabilities, Cursor, Page
from connectors.sdk.errors import RetryAfter, SkipItem
from connectors.sdk.http import HttpClient
from connectors.sdk.social import SocialConfig, check_rate_limit, follow_links, social_item
from connectors.sdk.stream import Batch, StreamingConnector
from wire.models import SocialPost, SourceRef

DEFAULT_JETSTREAM = "wss://jetstream2.us-east.bsky.network/subscribe"
DEFAULT_APPVIEW = "https://public.api.bsky.app"


class BlueskyConfig(SocialConfig):
    jetstream: str = Field(default=DEFAULT_JETSTREAM, description="Jetstream subscribe URL")
    appview: str = Field(
        default=DEFAULT_APPVIEW, description="AppView base URL (handle resolution, feeds)"
    )
    accounts: list[str] = Field(
        default_factory=list, description="DIDs or handles whose posts to take"
    )
    keywords: list[str] = Field(
        default_factory=list, description="take only posts that contain one (word-bounded)"
    )
    author_feed: bool = Field(
        default=False, description="poll the accounts' author feeds instead of Jetstream"
    )
    author_feed_pages: int = Field(default=3, ge=1, le=20, description="pages walked back")
    rewind_seconds: float = Field(
        default=5.0, ge=0, le=3600, description="how far a reconnect replays, to be gapless"
    )

    @field_validator("jetstream")
    @classmethod
    def _websocket(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("jetstream must be a ws:// or wss:// URL")
        return value

    @field_validator("appview")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("appview must be an http(s):// URL")
        return value.rstrip("/")

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, values: list[str]) -> list[str]:
        out: list[str] = []
        for raw in values:
            value = raw.strip().removeprefix("@")
            if not value.startswith("did:"):
                value = value.lower()  # handles are case-insensitive
            if not (DID.match(value) or HANDLE.match(value)):
                raise ValueError(f"{raw!r} is neither a DID (did:plc:...) nor a handle")
            if value not in out:
                out.append(value)
        if len(out) > MAX_WANTED_DIDS:
            raise ValueError(f"Jetstream follows at most {MAX_WANTED_DIDS} accounts")
        return out

    @model_validator(mode="after")
    def _filtered(self) -> BlueskyConfig:
        if not self.accounts and not [k for k in self.keywords if k.strip()]:
            raise ValueError("set accounts, keywords or both: the whole firehose is no source")
        if self.author_feed and not self.accounts:
            raise ValueError("author_feed needs accounts")
        return self


class BlueskyConnector(StreamingConnector[BlueskyConfig]):
    """Bluesky posts as ``social_post`` raw items, keyed ``bluesky:<AT-URI>``."""

    name = "bluesky"
    config_model = BlueskyConfig
    capabilities = Capabilities(
        needs_key="no",
        rate_limit=(
            "Jetstream: no per-client limit is documented; one WebSocket per source, "
            "filtered on the server (app.bsky.feed.post only, wantedDids up to 10,000 "
            "accounts; more than 100 are sent after connecting). Public AppView: about "
            "3000 requests per 5 minutes per IP; handles are resolved once per start, "
            "author feeds cost one request per account per poll (more after a pause), and "
            "an exhausted window (ratelimit-remaining) is waited out."
        ),
        keyless_limits=(
            "No search: keywords only filter posts as they stream (without accounts the "
            "whole post firehose, tens of posts a second, is read to match them). Jetstream "
            "gives neither display names nor engagement counts (author-feed mode does), "
            "and replays about one day: a longer outage loses posts. Deletions and edits "
            "are not followed."
        ),
        notes="Items are keyed by AT-URI, so Jetstream and author-feed sources never "
        "count a post twice.",
    )

    def __init__(self, source: SourceRef, config: BlueskyConfig, http: HttpClient) -> None:
        super().__init__(source, config, http)
        self._keywords = KeywordFilter(config.keywords)
        self._accounts: dict[str, str | None] | None = None  # DID -> handle, once resolved
        self._state: ResumeState | None = None
        self._posts: list[SocialPost] = []

    # -- accounts ------------------------------------------------------------------------

    def accounts(self) -> dict[str, str | None]:
        """Configured accounts by DID (with their handle when configured by handle);
        handles are resolved through the AppView on the first call only."""
        if self._accounts is None:
            resolved: dict[str, str | None] = {}
            for entry in self.config.accounts:
                if entry.startswith("did:"):
                    resolved.setdefault(entry, None)
                else:
                    resolved[resolve_handle(self.http, self.config.appview, entry)] = entry
            self._accounts = resolved
        return self._accounts

    # -- the runner's side ---------------------------------------------------------------

    def fetch(self, cursor: Cursor) -> Page:
        if self.config.author_feed:
            return self._poll_feeds(cursor)
        return super().fetch(cursor)

    # -- Jetstream -----------------------------------------------------------------------

    def stream_url(self, cursor: Cursor) -> str:
        return subscribe_url(
            self.config.jetstream,
            collections=[POST_COLLECTION],
            dids=list(self.accounts()),
            cursor_us=self._resume_state(cursor).resume_from(),
            max_message_bytes=self.max_message_bytes,
        )

    def on_open(self, ws: ClientConnection, cursor: Cursor) -> None:
        dids = list(self.accounts())
        if len(dids) > URL_DIDS:  # the URL asked for this hello (requireHello=true)
            ws.send(options_update([POST_COLLECTION], dids, self.max_message_bytes))

    def begin_window(self, batch: Batch) -> None:
        self._state = self._resume_state(batch.cursor)
        self._posts = []

    def on_message(self, message: str | bytes, batch: Batch) -> None:
        state = self._state or self._resume_state(batch.cursor)
        try:
            event = parse_event(message)
        except BadEvent as exc:
            batch.skip(str(exc), message)
            return
        commit = event.commit
        if (
            event.kind != "commit"
            or commit is None
            or commit.collection != POST_COLLECTION
            or commit.operation != "create"
        ):
            state.handled(event.time_us)
            batch.count("ignored")  # deletes, likes, identity and account events
            return
        if state.seen(event.key):
            state.handled(event.time_us)
            batch.count("repeats")  # replayed by the rewind of a reconnect
            return
        accounts = self.accounts()
        if accounts and event.did not in accounts:  # the server filters; a proxy may not
            state.handled(event.time_us)
            batch.count("ignored")
            return
        try:
            post = post_from_record(
                event.did, commit.rkey, commit.record, handle=accounts.get(event.did)
            )
        except BadRecord as exc:
            state.handled(event.time_us, event.key)  # a replay must not dead-letter it twice
            batch.skip(str(exc), message)
            return
        if not self._keywords.matches(post.text, card_text(commit.record or {})):
            state.handled(event.time_us)
            batch.count("filtered")
            return
        state.handled(event.time_us, event.key)
        self._posts.append(post)  # a post with only a link card still brings its link
        try:
            batch.items.append(social_item(self, post))
        except SkipItem:
            batch.count("no_text")

    def end_window(self, batch: Batch) -> None:
        if self._state is not None:
            batch.cursor = self._state.to_cursor()
        if self.config.follow_links and self._posts:
            batch.items += follow_links(self, self._posts, stats=batch.stats)
        self._posts = []

    def _resume_state(self, cursor: Cursor) -> ResumeState:
        return ResumeState(cursor, int(self.config.rewind_seconds * 1_000_000))

    # -- author feeds --------------------------------------------------------------------

    def _poll_feeds(self, cursor: Cursor) -> Page:
        check_rate_limit(cursor)
        page = Page(cursor=copy.deepcopy(cursor))
        feeds = page.cursor.setdefault("feeds", {})
        posts: list[SocialPost] = []
        for did in self.accounts():
            result = poll_author_feed(
                self.http,
                self.config.appview,
                did,
                feeds.setdefault(did, {}),
                page.cursor,
                max_pages=self.config.author_feed_pages,
                keep=lambda p: self._keywords.matches(p.text),
            )
            page.skipped += result.skipped
            page.stats["requests"] = page.stats.get("requests", 0) + result.requests
            posts += result.posts
            try:
                check_rate_limit(page.cursor)
            except RetryAfter:
                break  # the window is spent: the other accounts wait for the next poll
        for post in posts:
            try:
                page.items.append(social_item(self, post))
            except SkipItem:
                page.stats["no_text"] = page.stats.get("no_text", 0) + 1
        if self.config.follow_links and posts:
            page.items += follow_links(self, posts, stats=page.stats)
        return page
