"""The Mastodon connector against recorded API and RSS payloads on a local server."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.mastodon import MastodonConfig, MastodonConnector
from connectors.mastodon.mapping import status_post
from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter
from connectors.sdk.http import HttpClient
from tests.support.httpserver import Reply, Server, http_server
from wire.models import SourceRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "mastodon"
SOURCE = SourceRef(id="masto-af", name="#afghanistan", connector="mastodon")
TAG = "/api/v1/timelines/tag/afghanistan?limit=40"
JSON = {"Content-Type": "application/json; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def _fixture(name: str, site: str = "https://www.kabulnews.example") -> str:
    return (FIXTURES / name).read_text().replace("{{SITE}}", site)


def _connector(srv: Server, **config: Any) -> MastodonConnector:
    # the instance answers on "localhost", linked sites on "127.0.0.1": different hosts
    instance = srv.base.replace("127.0.0.1", "localhost")
    config.setdefault("hashtag", "afghanistan")
    cfg = MastodonConfig.model_validate({"instance": instance, **config})
    http = HttpClient(user_agent="newswire-test", timeout=5, allow_private=True)
    return MastodonConnector(SOURCE, cfg, http)


def test_tag_timeline_maps_statuses_to_social_posts() -> None:
    with http_server({TAG: Reply(200, _fixture("tag_timeline.json"), JSON)}) as srv:
        page = _connector(srv).poll({})
    assert page.skipped == []
    assert page.stats["no_text"] == 1  # the media-only status is counted, not dead-lettered
    first, reblogged, warned = page.items
    post = first.social
    assert post is not None
    assert first.kind == "social_post"
    assert first.key == "mastodon:news.example/112000000000000103"
    assert first.url == post.url == "https://news.example/@reporter/112000000000000103"
    assert post.author == "Rina Reporter" and post.handle == "reporter@news.example"
    assert post.text.startswith("Floods close the Salang pass again. Our report: http://")
    assert first.content == post.text and first.html and "<a href" in first.html
    assert post.posted_at == datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)
    assert first.published_at == post.posted_at and first.lang == "en"
    assert post.engagement == {"replies": 3, "reposts": 12, "likes": 40}
    # the hashtag and the mention are not links; the card's URL is the same story once
    assert post.links == ["https://www.kabulnews.example/2024/03/salang-floods"]
    assert first.authors == ["Rina Reporter"]
    # a reblog becomes the post it shares, under the original's URL and author
    assert reblogged.key == "mastodon:news.example/112000000000000050"
    assert reblogged.social and reblogged.social.lang == "fa"
    assert reblogged.social.text == ("Line one\nline two\n\nSecond paragraph with a story link.")
    assert reblogged.social.links == ["https://other-news.example/story"]
    # a content warning reads as the headline; replies keep their parent id
    assert warned.social and warned.social.text == "Election results\n\nDetails in the thread."
    assert warned.social.reply_to == "112000000000000099"
    assert warned.social.handle == "deskeditor@localhost"  # a local account, qualified
    assert page.cursor["since_id"] == "112000000000000103"


def test_next_poll_pages_forward_from_the_cursor() -> None:
    newer = "/api/v1/timelines/tag/afghanistan?limit=1&min_id=112000000000000103"
    routes = {
        "/api/v1/timelines/tag/afghanistan?limit=1": Reply(
            200, _fixture("tag_timeline.json"), JSON
        ),
        newer: Reply(200, _fixture("tag_timeline_newer.json"), JSON),
    }
    with http_server(routes) as srv:
        conn = _connector(srv, limit=1)
        first = conn.poll({})
        assert first.more is False  # the first poll takes the newest posts only
        second = conn.poll(json.loads(json.dumps(first.cursor)))
        assert srv.count(newer) == 1
    assert [i.key for i in second.items] == ["mastodon:news.example/112000000000000104"]
    assert second.cursor["since_id"] == "112000000000000104"
    assert second.more is True  # a full page after a cursor: more may be waiting


def test_a_status_without_id_is_dead_lettered_and_the_rest_goes_on() -> None:
    with http_server({TAG: Reply(200, _fixture("tag_timeline_bad_status.json"), JSON)}) as srv:
        page = _connector(srv).poll({})
    assert [i.key for i in page.items] == ["mastodon:news.example/112000000000000105"]
    [(reason, payload)] = page.skipped
    assert "without an id" in reason
    assert isinstance(payload, str) and "Update: the pass reopened" in payload


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (Reply(200, '[{"id": "1", "content": "<p>cut', JSON), RetriableError, "invalid JSON"),
        (
            Reply(200, "<!DOCTYPE html><html><body>Just a moment...</body></html>", {}),
            RetriableError,
            "HTML page",
        ),
        (Reply(200, '{"statuses": []}', JSON), RetriableError, "expected a list"),
        (Reply(200, '{"error": "Record not found"}', JSON), FatalSourceError, "Record not found"),
    ],
)
def test_unusable_responses_are_clear_errors(
    reply: Reply, error: type[Exception], words: str
) -> None:
    with http_server({TAG: reply}) as srv, pytest.raises(error, match=words):
        _connector(srv).poll({})


def test_closed_api_falls_back_to_rss_with_the_same_keys() -> None:
    with http_server({TAG: Reply(200, _fixture("tag_timeline.json"), JSON)}) as srv:
        api_keys = {i.key for i in _connector(srv).poll({}).items}
    routes = {
        TAG: Reply(401, '{"error": "This method requires an authenticated user"}', JSON),
        "/tags/afghanistan.rss": Reply(200, _fixture("tag.rss"), RSS),
    }
    with http_server(routes) as srv:
        conn = _connector(srv)
        page = conn.poll({})
        again = conn.poll(page.cursor)
        assert srv.count(TAG) == 1  # the API is not asked again until the re-probe time
    assert page.stats["api_closed"] == 1 and page.cursor["mode"] == "rss"
    assert {i.key for i in page.items} <= api_keys
    first = page.items[0].social
    assert first is not None and first.handle == "reporter@news.example"
    assert first.links == ["https://www.kabulnews.example/2024/03/salang-floods"]
    assert first.posted_at == datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)
    assert again.items == [] and again.stats == {"not_modified": 1}


def test_api_only_source_reports_a_closed_api() -> None:
    with http_server({TAG: Reply(401, '{"error": "login"}', JSON)}) as srv:
        with pytest.raises(FatalSourceError) as err:
            _connector(srv, use_rss=False).poll({})
        assert srv.count("/tags/afghanistan.rss") == 0
    assert err.value.status == 401


def test_account_is_resolved_once_and_the_token_travels_in_a_header() -> None:
    lookup = "/api/v1/accounts/lookup?acct=reporter@news.example"
    statuses = "/api/v1/accounts/109000000000000001/statuses?limit=40"
    routes = {
        lookup: Reply(200, _fixture("account_lookup.json"), JSON),
        statuses: Reply(200, _fixture("tag_timeline_newer.json"), JSON),
        f"{statuses}&min_id=112000000000000104": Reply(200, "[]", JSON),
    }
    with http_server(routes) as srv:
        conn = _connector(srv, hashtag=None, account="@reporter@news.example", access_token="s3")
        first = conn.poll({})
        conn.poll(first.cursor)
        assert srv.count(lookup) == 1
        sent = [headers for path, headers in srv.requests if path.startswith("/api/")]
    assert all(h.get("Authorization") == "Bearer s3" for h in sent)
    assert not any("s3" in path for path, _ in srv.requests)
    assert [i.key for i in first.items] == ["mastodon:news.example/112000000000000104"]


def test_account_rss_carries_the_display_name() -> None:
    with http_server({"/@reporter.rss": Reply(200, _fixture("account.rss"), RSS)}) as srv:
        page = _connector(srv, hashtag=None, account="reporter", use_rss=True).poll({})
    assert [i.social.author for i in page.items if i.social] == ["Rina Reporter"] * 2


def test_an_exhausted_rate_limit_waits_for_the_reset() -> None:
    reset = datetime.fromtimestamp(time.time() + 120, tz=UTC).isoformat()
    headers = {**JSON, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    with http_server({TAG: Reply(200, _fixture("tag_timeline_newer.json"), headers)}) as srv:
        conn = _connector(srv)
        page = conn.poll({})
        assert len(page.items) == 1  # what the last allowed request brought is kept
        with pytest.raises(RetryAfter) as err:
            conn.poll(page.cursor)
        assert srv.count(TAG) == 1
    assert 60 < err.value.seconds <= 120


def test_follow_links_brings_in_the_linked_article() -> None:
    article = "<html><head><title>Salang</title></head><body><p>Floods.</p></body></html>"
    with http_server() as srv:
        srv.routes[TAG] = Reply(200, _fixture("tag_timeline.json", site=srv.base), JSON)
        srv.routes["/2024/03/salang-floods"] = Reply(200, article, {"Content-Type": "text/html"})
        page = _connector(srv, follow_links=True, skip_domains=["other-news.example"]).poll({})
    [linked] = [i for i in page.items if i.kind == "article"]
    assert linked.url == f"{srv.base}/2024/03/salang-floods" and linked.html == article
    assert linked.extra["linked_from"] == "https://news.example/@reporter/112000000000000103"
    assert page.stats["links_followed"] == 1


def test_config_is_validated() -> None:
    tagged = MastodonConfig.model_validate({"instance": "https://m.example", "hashtag": "#News"})
    assert tagged.hashtag == "News"
    for bad in (
        {"instance": "https://m.example"},
        {"instance": "https://m.example", "hashtag": "a", "account": "b"},
        {"instance": "https://m.example", "hashtag": "two words"},
        {"instance": "https://m.example", "account": "not an account"},
        {"instance": "http://m.example", "hashtag": "a", "access_token": "t"},
        {"instance": "https://m.example", "hashtag": "a", "limit": 500},
    ):
        with pytest.raises(ValidationError):
            MastodonConfig.model_validate(bad)
    secret = MastodonConfig.model_validate(
        {"instance": "https://m.example", "hashtag": "a", "access_token": "hunter2"}
    )
    assert "hunter2" not in repr(secret)


def test_recorded_timelines_from_real_instances(shared_dir: Path) -> None:
    folder = shared_dir / "corpus" / "social" / "mastodon" / "responses"
    tag = json.loads(
        (
            folder / "local-test-instance" / "api_v1_timelines_tag_hoot__test_hashtag_tl_2.json"
        ).read_text()
    )
    with http_server(
        {"/api/v1/timelines/tag/hoot?limit=40": Reply(200, json.dumps(tag), JSON)}
    ) as srv:
        page = _connector(srv, hashtag="hoot").poll({})
    assert [i.social.text for i in page.items if i.social] == ["#hoot (hashtag toot)"]
    assert page.items[0].social and page.items[0].social.links == []  # a hashtag is no link
    statuses = sorted((folder / "mastodon.social").glob("api_v1_statuses_*__test_entity_*.json"))
    statuses = [p for p in statuses if "_history_" not in p.name and "_context_" not in p.name]
    assert len(statuses) >= 8
    for path in statuses:
        post = status_post(json.loads(path.read_text()), "mastodon.social")
        host, _, number = post.post_id.partition("/")
        assert post.url.startswith(f"https://{host}/") and post.url.endswith(number)
        assert post.posted_at is not None and post.handle and "@" in post.handle
