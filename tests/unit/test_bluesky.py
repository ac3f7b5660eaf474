"""The Bluesky connector against a fake Jetstream and a fake AppView on 127.0.0.1.

Invented events (tests/fixtures/social/bluesky) cover the core; the production capture in
the shared corpus (152 contiguous Jetstream v1 events) checks the same paths on real data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from pydantic import ValidationError

from connectors.bluesky import BlueskyConfig, BlueskyConnector
from connectors.bluesky import connector as connector_module
from connectors.bluesky.jetstream import ResumeState, parse_event
from connectors.bluesky.records import KeywordFilter, post_from_record
from connectors.sdk.base import Cursor, Page
from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter
from connectors.sdk.http import HttpClient
from connectors.sdk.registry import load
from connectors.sdk.stream import open_websocket
from tests.support.httpserver import Reply, http_server
from tests.support.jetstream import fake_jetstream
from wire.models import SourceRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "bluesky"
ALICE = "did:plc:alicenewsdesk0000000000a"
BOB = "did:plc:bobreporter00000000000b"
CAROL = "did:plc:carolwitness0000000000c"
UA = "newswire-test/1.0"


def lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def key(did: str, rkey: str) -> str:
    return f"bluesky:at://{did}/app.bsky.feed.post/{rkey}"


@pytest.fixture
def http() -> Iterator[HttpClient]:
    client = HttpClient(user_agent=UA, allow_private=True)
    yield client
    client.close()


def make(http: HttpClient, url: str, **config: Any) -> BlueskyConnector:
    source = SourceRef(id="bsky", name="Bluesky", connector="bluesky")
    connector = BlueskyConnector(source, BlueskyConfig(jetstream=url, **config), http)
    connector.window_messages = 3  # several pages per test, not one
    connector.window_seconds = 1.0  # an idle window means the server has sent everything
    return connector


def drain(connector: BlueskyConnector, cursor: Cursor | None = None) -> tuple[list[Page], Cursor]:
    """Fetch until the stream is connected and idle (a window with no message)."""
    pages: list[Page] = []
    cursor = cursor or {}
    for _ in range(60):
        page = connector.fetch(cursor)
        pages.append(page)
        cursor = page.cursor
        if connector.connected and page.stats.get("messages", 0) == 0:
            return pages, cursor
    raise AssertionError("the stream never went idle")


def keys(pages: list[Page]) -> list[str]:
    return [item.key for page in pages for item in page.items]


# -- mapping -------------------------------------------------------------------------------


def test_post_maps_text_links_language_time_and_reply() -> None:
    events = [json.loads(line) for line in lines("events.jsonl")]
    first = events[0]["commit"]
    post = post_from_record(ALICE, first["rkey"], first["record"], handle="alice.example.com")
    assert post.post_id == f"at://{ALICE}/app.bsky.feed.post/3mpa1"
    assert post.url == f"https://bsky.app/profile/{ALICE}/post/3mpa1"
    assert post.text.startswith("Floods close the Salang pass")
    assert post.lang == "en"
    assert post.posted_at is not None and post.posted_at.isoformat().startswith(
        "2025-10-09T08:46:40"
    )
    assert post.links == ["https://example.org/news/salang-floods"]  # facet and card, once
    assert post.handle == "alice.example.com"
    reply = events[2]["commit"]
    assert post_from_record(BOB, reply["rkey"], reply["record"]).reply_to == (
        f"https://bsky.app/profile/{ALICE}/post/3mpa1"
    )


def test_corpus_posts_map(shared_dir: Path) -> None:
    jetstream = shared_dir / "corpus/social/bluesky/jetstream"
    posts = []
    for name in ("golden_v1.jsonl", "expected_v1.jsonl"):
        for line in (jetstream / name).read_text(encoding="utf-8").splitlines():
            event = parse_event(line)  # every production event shape parses
            commit = event.commit
            if commit and commit.collection == "app.bsky.feed.post" and commit.record:
                posts.append(post_from_record(event.did, commit.rkey, commit.record))
    by_text = {p.text[:20]: p for p in posts}
    youtube = by_text["www.youtube.com/watc"]  # the text truncates; the facet has it all
    assert youtube.links == ["https://www.youtube.com/watch?v=V5lDo-jw8mA"]
    reply = by_text["Try RSV for a good t"]
    parent = "https://bsky.app/profile/did:plc:j76trmiofvaxxpvx2vnb2vwf/post/3mmojbrjwbs26"
    assert reply.reply_to == parent
    assert {p.lang for p in posts} >= {"en", "ja", "ko", "de"}
    assert all(p.posted_at is not None for p in posts)


def test_keywords_are_case_insensitive_and_word_bounded() -> None:
    words = KeywordFilter(["AI", "climate change", "#COP30"])
    assert words.matches("New AI rules")
    assert words.matches("ai: the debate")
    assert not words.matches("Officials said nothing")
    assert words.matches("Climate Change talks stall")
    assert words.matches("live from #cop30 today")
    assert not words.matches("#cop300")
    assert not KeywordFilter([])  # no keywords: everything passes
    assert KeywordFilter([]).matches("anything")


def test_config_needs_a_filter_and_valid_accounts() -> None:
    with pytest.raises(ValidationError, match="accounts, keywords or both"):
        BlueskyConfig()
    with pytest.raises(ValidationError, match="neither a DID"):
        BlueskyConfig(accounts=["not a handle"])
    with pytest.raises(ValidationError, match="ws:// or wss://"):
        BlueskyConfig(keywords=["x"], jetstream="https://example.org/subscribe")
    with pytest.raises(ValidationError, match="author_feed needs accounts"):
        BlueskyConfig(keywords=["x"], author_feed=True)
    config = BlueskyConfig(accounts=["@Alice.Example.com", ALICE, ALICE])
    assert config.accounts == ["alice.example.com", ALICE]


def test_registered_under_its_entry_point() -> None:
    assert load("bluesky") is BlueskyConnector


# -- the stream ------------------------------------------------------------------------------


def test_stream_keeps_only_new_posts_of_the_accounts(http: HttpClient) -> None:
    with fake_jetstream(lines("events.jsonl")) as server:
        connector = make(http, server.url, accounts=[ALICE, BOB])
        try:
            pages, cursor = drain(connector)
        finally:
            connector.close()
    assert keys(pages) == [
        key(ALICE, "3mpa1"),
        key(BOB, "3mpb1"),
        key(BOB, "3mpb2"),
        key(ALICE, "3mpa3"),
    ]
    first = pages[0].items[0]
    assert first.kind == "social_post" and first.social is not None
    assert first.content == first.social.text
    assert sum(p.stats.get("no_text", 0) for p in pages) == 1  # the link-card-only post
    query = server.connections[0].query
    assert query["wantedCollections"] == ["app.bsky.feed.post"]
    assert sorted(query["wantedDids"]) == [ALICE, BOB]
    assert "cursor" not in query and query["maxMessageSizeBytes"] == [
        str(connector.max_message_bytes)
    ]
    assert server.connections[0].headers["user-agent"] == UA
    assert cursor["time_us"] == 1760000000009000


def test_accounts_are_filtered_even_when_the_server_does_not(http: HttpClient) -> None:
    with fake_jetstream(lines("events.jsonl"), filter_dids=False) as server:
        connector = make(http, server.url, accounts=[CAROL])
        try:
            pages, _ = drain(connector)
        finally:
            connector.close()
    assert keys(pages) == [key(CAROL, "3mpc1")]


def test_keywords_alone_filter_the_firehose(http: HttpClient) -> None:
    with fake_jetstream(lines("events.jsonl")) as server:
        connector = make(http, server.url, keywords=["kabul"])
        try:
            pages, _ = drain(connector)
        finally:
            connector.close()
    # the card of 3mpa1 names Kabul; "AI-generated" is no match for a word-bounded "ai"
    assert keys(pages) == [key(ALICE, "3mpa1"), key(CAROL, "3mpc1"), key(ALICE, "3mpa3")]
    assert "wantedDids" not in server.connections[0].query


def test_malformed_events_become_dead_letters_and_the_stream_goes_on(http: HttpClient) -> None:
    good = lines("events.jsonl")
    bad = lines("malformed.jsonl")
    mixed = [good[0], *bad[:4], good[2], *bad[4:], good[8]]
    with fake_jetstream(mixed) as server:
        connector = make(http, server.url, accounts=[ALICE, BOB])
        try:
            pages, _ = drain(connector)
        finally:
            connector.close()
    assert keys(pages) == [key(ALICE, "3mpa1"), key(BOB, "3mpb1"), key(ALICE, "3mpa3")]
    reasons = [reason for page in pages for reason, _ in page.skipped]
    assert len(reasons) == len(bad)
    assert sum(r.startswith("not JSON") for r in reasons) == 2  # truncated, HTML page
    assert any("text is int" in r for r in reasons)
    assert any("time_us" in r for r in reasons)
    assert any("without its commit object" in r for r in reasons)
    assert any("createdAt is not a string" in r for r in reasons)
    payloads = [payload for page in pages for _, payload in page.skipped]
    assert any(isinstance(p, str) and "502 Bad Gateway" in p for p in payloads)


def test_socket_dropped_mid_stream_resumes_without_loss_or_repeat(http: HttpClient) -> None:
    events = lines("events.jsonl")
    with fake_jetstream(events, drops=[2, 3]) as server:
        connector = make(http, server.url, accounts=[ALICE, BOB, CAROL])
        try:
            pages, _ = drain(connector)
        finally:
            connector.close()
    expected = [key(ALICE, "3mpa1"), key(BOB, "3mpb1"), key(CAROL, "3mpc1")]
    expected += [key(BOB, "3mpb2"), key(ALICE, "3mpa3")]
    assert keys(pages) == expected  # every post once, in stream order
    assert len(server.connections) == 3
    assert sum(p.stats.get("disconnects", 0) for p in pages) == 2
    assert sum(p.stats.get("repeats", 0) for p in pages) >= 2  # the rewind replayed some
    # reconnects resume 5 s before the highest time handled before the cut
    assert server.connections[1].cursor == 1760000000004000 - 5_000_000
    assert server.connections[2].cursor is not None


def test_corpus_stream_dropped_mid_stream_loses_and_repeats_nothing(
    http: HttpClient, shared_dir: Path
) -> None:
    capture = shared_dir / "corpus/social/bluesky/jetstream/expected_v1.jsonl"
    events = capture.read_text(encoding="utf-8").splitlines()
    posts = [
        e
        for e in map(json.loads, events)
        if e["kind"] == "commit"
        and e["commit"]["collection"] == "app.bsky.feed.post"
        and e["commit"]["operation"] == "create"
    ]
    expected = [key(e["did"], e["commit"]["rkey"]) for e in posts if e["commit"]["record"]["text"]]
    accounts = sorted({e["did"] for e in posts})
    with fake_jetstream(events, drops=[6]) as server:
        connector = make(http, server.url, accounts=accounts)
        try:
            pages, _ = drain(connector)
        finally:
            connector.close()
    assert len(expected) >= 10
    assert keys(pages) == expected
    assert len(server.connections) == 2 and server.connections[1].cursor is not None


def test_restart_from_a_saved_cursor_continues_without_repeats(http: HttpClient) -> None:
    events = lines("events.jsonl")
    accounts = [ALICE, BOB, CAROL]
    with fake_jetstream(events) as server:
        first = make(http, server.url, accounts=accounts)
        try:
            page = first.fetch({})
        finally:
            first.close()
        saved = json.loads(json.dumps(page.cursor))  # as the state topic keeps it
        second = make(http, server.url, accounts=accounts)
        try:
            pages, _ = drain(second, saved)
        finally:
            second.close()
    assert [i.key for i in page.items] == [
        key(ALICE, "3mpa1"),
        key(BOB, "3mpb1"),
        key(CAROL, "3mpc1"),
    ]
    assert keys(pages) == [key(BOB, "3mpb2"), key(ALICE, "3mpa3")]
    assert server.connections[1].cursor == 1760000000004000 - 5_000_000


def test_a_page_kafka_refused_is_delivered_again(http: HttpClient) -> None:
    with fake_jetstream(lines("events.jsonl")) as server:
        connector = make(http, server.url, accounts=[ALICE, BOB, CAROL])
        connector.window_messages = 2
        try:
            page1 = connector.fetch({})
            page2 = connector.fetch(page1.cursor)
            # Kafka refused page2: the runner kept page1's cursor and calls again with it
            pages, _ = drain(connector, page1.cursor)
        finally:
            connector.close()
    assert [i.key for i in page1.items] == [key(ALICE, "3mpa1"), key(BOB, "3mpb1")]
    assert [i.key for i in page2.items] == [key(CAROL, "3mpc1")]
    assert keys(pages) == [key(CAROL, "3mpc1"), key(BOB, "3mpb2"), key(ALICE, "3mpa3")]
    assert len(server.connections) == 2


def test_resume_state_prunes_keys_a_reconnect_cannot_replay() -> None:
    state = ResumeState({}, rewind_us=1_000)
    state.handled(10_000, "a/1")
    state.handled(10_500, "b/1")
    state.handled(11_200, "c/1")
    state.handled(11_000)  # an event stamped earlier that arrives later
    cursor = state.to_cursor()
    assert cursor == {"time_us": 11_200, "seen": [[10_500, "b/1"], [11_200, "c/1"]]}
    again = ResumeState(cursor, rewind_us=1_000)
    assert again.resume_from() == 10_200 and again.seen("b/1") and not again.seen("a/1")


# -- accounts by handle ------------------------------------------------------------------------


def resolve_path(handle: str) -> str:
    return "/xrpc/com.atproto.identity.resolveHandle?" + urlencode({"handle": handle})


def test_handles_are_resolved_once(http: HttpClient) -> None:
    routes = {resolve_path("alice.example.com"): Reply(200, json.dumps({"did": ALICE}))}
    with http_server(routes) as appview, fake_jetstream(lines("events.jsonl"), drops=[1]) as server:
        connector = make(http, server.url, accounts=["alice.example.com"], appview=appview.base)
        try:
            pages, _ = drain(connector)
        finally:
            connector.close()
    assert appview.count(resolve_path("alice.example.com")) == 1
    assert len(server.connections) == 2
    assert all(c.query["wantedDids"] == [ALICE] for c in server.connections)
    items = [i for p in pages for i in p.items]
    assert [i.key for i in items] == [key(ALICE, "3mpa1"), key(ALICE, "3mpa3")]
    assert all(i.social and i.social.handle == "alice.example.com" for i in items)


def test_unknown_handle_is_a_configuration_error(http: HttpClient) -> None:
    routes = {resolve_path("ghost.example.com"): Reply(400, '{"error":"InvalidRequest"}')}
    with http_server(routes) as appview:
        connector = make(
            http, "ws://127.0.0.1:9/", accounts=["ghost.example.com"], appview=appview.base
        )
        with pytest.raises(FatalSourceError, match=r"ghost\.example\.com"):
            connector.fetch({})


def test_an_html_page_from_the_resolver_is_retriable(http: HttpClient) -> None:
    routes = {resolve_path("alice.example.com"): Reply(200, "<html><body>Oops</body></html>")}
    with http_server(routes) as appview:
        connector = make(
            http, "ws://127.0.0.1:9/", accounts=["alice.example.com"], appview=appview.base
        )
        with pytest.raises(RetriableError, match="HTML page"):
            connector.fetch({})


def test_many_accounts_are_sent_in_a_hello(
    http: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connector_module, "URL_DIDS", 1)
    monkeypatch.setattr("connectors.bluesky.jetstream.URL_DIDS", 1)
    with fake_jetstream(lines("events.jsonl")) as server:
        connector = make(http, server.url, accounts=[ALICE, CAROL])
        try:
            pages, _ = drain(connector)
        finally:
            connector.close()
    conn = server.connections[0]
    assert conn.query["requireHello"] == ["true"] and "wantedDids" not in conn.query
    assert conn.hello is not None and conn.hello["type"] == "options_update"
    assert sorted(conn.hello["payload"]["wantedDids"]) == [ALICE, CAROL]
    assert keys(pages) == [key(ALICE, "3mpa1"), key(CAROL, "3mpc1"), key(ALICE, "3mpa3")]


# -- opening the socket ----------------------------------------------------------------------


def test_an_html_page_instead_of_a_websocket_is_retried_with_backoff(http: HttpClient) -> None:
    with http_server() as site:
        connector = make(
            http, site.base.replace("http://", "ws://") + "/subscribe", accounts=[ALICE]
        )
        parts = urlsplit(connector.stream_url({}))
        site.routes[f"{parts.path}?{parts.query}"] = Reply(200, "<html>maintenance</html>")
        connector.backoff_base = 60.0  # the second call falls well inside the backoff
        with pytest.raises(RetryAfter, match="HTTP 200"):
            connector.fetch({})
        with pytest.raises(RetryAfter, match="reconnecting in"):
            connector.fetch({})
    assert len(site.requests) == 1


def test_an_oversized_message_is_reported_and_backed_off(http: HttpClient) -> None:
    events = lines("events.jsonl")
    huge = json.loads(events[2])
    huge["commit"]["record"]["text"] = "flood " * 1000
    with fake_jetstream([events[0], json.dumps(huge), events[8]]) as server:
        connector = make(http, server.url, accounts=[ALICE, BOB])
        connector.max_message_bytes = 4000
        connector.backoff_base = 60.0
        try:
            page = connector.fetch({})
            with pytest.raises(RetryAfter, match="reconnecting in"):
                connector.fetch(page.cursor)  # not a hot loop on the same message
        finally:
            connector.close()
    assert [i.key for i in page.items] == [key(ALICE, "3mpa1")]
    assert len(page.skipped) == 1
    assert page.skipped[0][0].startswith("a message over 4000 bytes")
    assert page.stats["disconnects"] == 1


def test_private_addresses_are_refused_without_allow_private() -> None:
    strict = HttpClient(user_agent=UA)
    try:
        with fake_jetstream(lines("events.jsonl")) as server:
            connector = make(strict, server.url, accounts=[ALICE])
            with pytest.raises(FatalSourceError, match="non-public address"):
                connector.fetch({})
            assert server.connections == []
    finally:
        strict.close()


def test_the_address_actually_reached_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    strict = HttpClient(user_agent=UA)
    # DNS said "public" when the guard asked, then pointed the socket home (rebinding)
    monkeypatch.setattr(strict, "guard", lambda url: None)
    try:
        with fake_jetstream(lines("events.jsonl")) as server:
            with pytest.raises(FatalSourceError, match="connected to a non-public address"):
                open_websocket(strict, server.url)
            assert server.connections == []
    finally:
        strict.close()


# -- linked articles and author feeds ----------------------------------------------------------


def test_follow_links_fetches_the_linked_article(http: HttpClient) -> None:
    article = "<html><head><title>Salang</title></head><body><p>Floods.</p></body></html>"
    with http_server({"/news/salang": Reply(200, article, {"Content-Type": "text/html"})}) as site:
        event = json.loads(lines("events.jsonl")[0])
        record = event["commit"]["record"]
        record["facets"][0]["features"][0]["uri"] = site.url("/news/salang")
        record["embed"]["external"]["uri"] = site.url("/news/salang")
        with fake_jetstream([json.dumps(event)]) as server:
            connector = make(http, server.url, accounts=[ALICE], follow_links=True)
            try:
                pages, _ = drain(connector)
            finally:
                connector.close()
    items = [i for p in pages for i in p.items]
    assert [i.kind for i in items] == ["social_post", "article"]
    assert items[1].html == article and items[1].extra["linked_from"] == items[0].url
    assert site.count("/news/salang") == 1


def feed_path(did: str, **extra: str) -> str:
    return "/xrpc/app.bsky.feed.getAuthorFeed?" + urlencode({"actor": did, "limit": 50, **extra})


def test_author_feed_polls_new_posts_with_counts(http: HttpClient) -> None:
    feed = (FIXTURES / "author_feed.json").read_text(encoding="utf-8")
    routes = {feed_path(ALICE): Reply(200, feed, {"Content-Type": "application/json"})}
    with http_server(routes) as appview:
        connector = make(
            http, "wss://unused.example/", accounts=[ALICE], author_feed=True, appview=appview.base
        )
        first = connector.fetch({})
        second = connector.fetch(first.cursor)
    assert [i.key for i in first.items] == [
        key(ALICE, "3mpa8"),
        key(ALICE, "3mpa9"),
    ]  # oldest first
    newest = first.items[1].social
    assert newest is not None and newest.author == "Alice's News Desk"
    assert newest.engagement == {"replies": 3, "reposts": 12, "likes": 40, "quotes": 1}
    assert newest.links == ["https://example.org/news/salang-reopens"]
    assert [reason for reason, _ in first.skipped] == ["post view without uri or author: None"]
    assert second.items == [] and not first.more
    assert appview.count(feed_path(ALICE)) == 2  # one page each: the second met known posts


def test_author_feed_html_page_is_retried_not_a_crash(http: HttpClient) -> None:
    routes = {feed_path(ALICE): Reply(200, "<!DOCTYPE html><html>rate limited</html>")}
    with http_server(routes) as appview:
        connector = make(
            http, "wss://unused.example/", accounts=[ALICE], author_feed=True, appview=appview.base
        )
        with pytest.raises(RetriableError, match="HTML page"):
            connector.fetch({})
        routes[feed_path(ALICE)] = Reply(200, '{"feed": [{"post": tru')  # truncated JSON
        appview.routes.update(routes)
        with pytest.raises(RetriableError, match="broken JSON"):
            connector.fetch({})
