"""The Telegram connector against recorded channel preview pages on a local server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.sdk.errors import FatalSourceError, RetriableError
from connectors.sdk.http import HttpClient
from connectors.telegram import TelegramConfig, TelegramConnector
from connectors.telegram.parse import parse_page
from tests.support.httpserver import Reply, Server, http_server
from wire.models import SourceRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "telegram"
SOURCE = SourceRef(id="tg-kabulwire", name="Kabul Wire", connector="telegram")
HTML = {"Content-Type": "text/html; charset=utf-8"}
NEWEST, BEFORE_101, BEFORE_96 = "/s/kabulwire", "/s/kabulwire?before=101", "/s/kabulwire?before=96"


def _page(name: str) -> Reply:
    return Reply(200, (FIXTURES / name).read_bytes(), HTML)


def _connector(srv: Server, **config: Any) -> TelegramConnector:
    cfg = TelegramConfig.model_validate({"channel": "kabulwire", "base_url": srv.base, **config})
    http = HttpClient(user_agent="newswire-test", timeout=5, allow_private=True)
    return TelegramConnector(SOURCE, cfg, http)


def test_first_poll_maps_the_newest_page() -> None:
    with http_server({NEWEST: _page("channel_newest.html")}) as srv:
        page = _connector(srv).poll({})
        assert srv.count(BEFORE_101) == 0  # no walk back on the first poll by default
    assert page.stats["no_text"] == 1  # the photo-only message 103
    assert [i.key for i in page.items] == [
        "telegram:kabulwire/101",
        "telegram:kabulwire/102",
        "telegram:kabulwire/104",
        "telegram:kabulwire/105",
    ]
    first = page.items[0]
    post = first.social
    assert post is not None and first.kind == "social_post"
    assert post.url == first.url == "https://t.me/kabulwire/101"
    assert post.author == "Rina Reporter" and post.handle == "kabulwire"  # signed message
    assert post.text == (
        "Salang pass closed by floods, traffic diverted.\n"
        "Details: kabulnews.example/2024/03/salang-floods #afghanistan @heratdesk"
    )
    assert post.links == ["https://www.kabulnews.example/2024/03/salang-floods"]
    assert post.engagement == {"views": 1200}
    assert post.posted_at == datetime(2024, 3, 5, 10, 1, tzinfo=UTC)
    forwarded = page.items[1]
    assert forwarded.social and forwarded.social.author == "Kabul Wire"
    assert forwarded.social.engagement == {"views": 3_000_000}
    assert forwarded.social.links == ["https://herattimes.example/wheat-prices"]
    assert forwarded.extra["forwarded_from"] == {
        "name": "Herat Desk",
        "url": "https://t.me/heratdesk/7",
    }
    assert forwarded.extra["link_preview"]["title"] == "Wheat prices climb"
    reply = page.items[2].social
    assert reply and reply.text == "Correction: the pass reopens tomorrow."  # not the quote
    assert reply.reply_to == "https://t.me/kabulwire/101"
    assert page.cursor == {"last_id": 105} and page.more is False


def test_a_gap_is_walked_back_to_the_last_seen_id_within_the_page_budget() -> None:
    routes = {
        NEWEST: _page("channel_newest.html"),
        BEFORE_101: _page("channel_before_101.html"),
        BEFORE_96: _page("channel_before_96.html"),
    }
    with http_server(routes) as srv:
        conn = _connector(srv, max_pages=2)
        first = conn.poll({"last_id": 92})
        assert first.more is True
        assert first.cursor == {"last_id": 92, "walk": {"before": 96, "top": 105, "backfill": 0}}
        second = conn.poll(json.loads(json.dumps(first.cursor)))
        assert srv.count(NEWEST) == 1  # the walk goes on where it stopped
    ids = [int(i.key.rsplit("/", 1)[1]) for i in first.items + second.items]
    assert sorted(ids) == [93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 104, 105]
    assert len(ids) == len(set(ids))
    assert second.more is False and second.cursor == {"last_id": 105}


def test_nothing_new_means_no_items_and_one_request() -> None:
    with http_server({NEWEST: _page("channel_newest.html")}) as srv:
        page = _connector(srv).poll({"last_id": 105})
        assert srv.count(NEWEST) == 1 and srv.count(BEFORE_101) == 0
    assert page.items == [] and page.cursor == {"last_id": 105}


def test_backfill_pages_walk_back_on_the_first_poll() -> None:
    routes = {NEWEST: _page("channel_newest.html"), BEFORE_101: _page("channel_before_101.html")}
    with http_server(routes) as srv:
        page = _connector(srv, backfill_pages=1).poll({})
    assert len(page.items) == 9 and page.cursor == {"last_id": 105}
    assert page.items[0].key == "telegram:kabulwire/96"  # oldest first


def test_a_malformed_block_is_dead_lettered_once() -> None:
    with http_server({NEWEST: _page("channel_malformed.html")}) as srv:
        conn = _connector(srv)
        page = conn.poll({})
        again = conn.poll({**page.cursor, "last_id": 106})
    assert [i.key for i in page.items] == ["telegram:kabulwire/107"]
    [(reason, payload)] = page.skipped
    assert "data-post" in reason and isinstance(payload, str) and "Block without" in payload
    assert again.skipped == []


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (
            Reply(200, (FIXTURES / "not_a_preview.html").read_bytes(), HTML),
            FatalSourceError,
            "public",
        ),
        (Reply(200, '{"ok": false}', {"Content-Type": "application/json"}), RetriableError, "HTML"),
        (Reply(200, "<html><body><h1>Maintenance</h1>", HTML), RetriableError, "no channel"),
    ],
)
def test_unusable_pages_are_clear_errors(reply: Reply, error: type[Exception], words: str) -> None:
    with http_server({NEWEST: reply}) as srv, pytest.raises(error, match=words):
        _connector(srv).poll({})


def test_follow_links_fetches_the_story_a_message_points_to() -> None:
    story = "<html><body><article><p>Salang floods.</p></article></body></html>"
    with http_server() as srv:
        newest = (FIXTURES / "channel_newest.html").read_text()
        newest = newest.replace("https://www.kabulnews.example", srv.base)
        srv.routes[NEWEST] = Reply(200, newest, HTML)
        srv.routes["/2024/03/salang-floods"] = Reply(200, story, HTML)
        page = _connector(srv, follow_links=True, max_links_per_post=1).poll({})
    articles = [i for i in page.items if i.kind == "article"]
    assert [a.url for a in articles] == [f"{srv.base}/2024/03/salang-floods"]
    assert articles[0].extra == {"linked_from": "https://t.me/kabulwire/101"}
    # herattimes.example does not resolve: that link is lost, the post is not
    assert page.stats["links_failed"] == 1 and len(page.items) == 5


def test_channel_names_and_urls_are_accepted() -> None:
    for value in ("kabulwire", "@kabulwire", "https://t.me/kabulwire", "t.me/s/kabulwire/"):
        assert TelegramConfig(channel=value).channel == "kabulwire"
    for bad in ("", "ab", "https://example.com/kabulwire", "kabul wire"):
        with pytest.raises(ValidationError):
            TelegramConfig(channel=bad)


def test_recorded_real_preview_page(shared_dir: Path) -> None:
    folder = shared_dir / "corpus" / "social" / "telegram" / "any2feed"
    messages = parse_page((folder / "full.html").read_bytes())
    assert len(messages) == 12 and all(m.post is not None for m in messages)
    ids = [m.id for m in messages]
    assert ids == sorted(ids) and ids[0] == 70989
    first = messages[0].post
    assert first is not None and first.handle == "topwar_official"
    assert first.engagement == {"views": 37200}
    assert first.text.startswith("В Санкт-Петербурге в небо над городом")
    forwarded = [m for m in messages if "forwarded_from" in m.extra]
    assert len(forwarded) == 5
    for name in ("message_link_preview.html", "message_with_from_author.html"):
        wrapped = b"<html><body>" + (folder / name).read_bytes() + b"</body></html>"
        [msg] = parse_page(wrapped)
        assert msg.post is not None and msg.post.posted_at is not None
    [preview] = parse_page(b"<html><body>" + (folder / "message_link_preview.html").read_bytes())
    assert preview.post and preview.post.links == [
        "https://vnnews.ru/georgiy-zotov-okkupaciya-volosatym-kr/"
    ]
