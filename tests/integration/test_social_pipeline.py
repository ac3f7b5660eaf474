"""One source of each social platform through the whole pipeline into Elasticsearch.

A local 127.0.0.1 server replays recorded answers (a Mastodon hashtag timeline, a
Telegram channel preview, a Reddit subreddit feed, an X account through a Nitter-style
bridge, the Bluesky AppView's handle resolution) and a fake Jetstream replays Bluesky
events over a real WebSocket. The real main job (``newswire run``) reads them, Kafka
carries them, the faust processor turns them into ``social_post`` documents and the
indexer writes them to Elasticsearch. The Telegram source follows links: its first
message points to a news page on the same server, which must be indexed as an article.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer

from connectors.sdk.recording import Reply, Server
from tests.support.httpserver import http_server
from tests.support.jetstream import FakeJetstream, fake_jetstream
from tests.support.site import make_stories
from wire.settings import Settings

pytestmark = pytest.mark.integration

NEWSWIRE = [sys.executable, "-m", "newswire"]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social"
SITE = "https://www.kabulnews.example"  # the fixtures' {{SITE}}: never fetched here
HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=UTF-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
STORY = make_stories(1)[0]
STORY_PATH = f"/news/{STORY.slug}"
REDDIT_FEED = "/r/afghanistan/new/.rss?limit=100"
MISSING_PATH = "/wheat-prices-gone"  # a linked page that 404s: the link is lost, not the post
BLUESKY_HANDLES = {
    "alice.newsdesk.example": "did:plc:alicenewsdesk0000000000a",
    "bob.reporter.example": "did:plc:bobreporter00000000000b",
    "carol.witness.example": "did:plc:carolwitness0000000000c",
}


def _fixture(path: str) -> str:
    return (FIXTURES / path).read_text(encoding="utf-8").replace("{{SITE}}", SITE)


def _telegram_page() -> str:
    """The channel preview, its links pointing at the local server (``{base}``)."""
    page = _fixture("telegram/channel_newest.html")
    page = page.replace(f"{SITE}/2024/03/salang-floods", "{base}" + STORY_PATH)
    return page.replace("https://herattimes.example/wheat-prices", "{base}" + MISSING_PATH)


def _routes() -> dict[str, Reply]:
    resolve = "/xrpc/com.atproto.identity.resolveHandle?handle="
    return {
        "/api/v1/timelines/tag/afghanistan?limit=40": Reply(
            200, _fixture("mastodon/tag_timeline.json"), JSON
        ),
        "/s/kabulwire": Reply(200, _telegram_page(), HTML),
        REDDIT_FEED: Reply(200, _fixture("reddit/afghanistan_new.atom"), ATOM),
        "/nitter/kabulwire/rss": Reply(200, _fixture("x/nitter_user.rss"), RSS),
        STORY_PATH: Reply(200, STORY.html("{base}"), HTML),
        **{
            resolve + handle: Reply(200, json.dumps({"did": did}), JSON)
            for handle, did in BLUESKY_HANDLES.items()
        },
    }


@pytest.fixture
def servers() -> Iterator[tuple[Server, FakeJetstream]]:
    events = (FIXTURES / "bluesky/events.jsonl").read_text(encoding="utf-8").splitlines()
    with http_server(_routes()) as http, fake_jetstream(events) as jetstream:
        yield http, jetstream


def _sources(tmp_path: Path, base: str, jetstream: str) -> Path:
    def source(sid: str, connector: str, config: dict[str, Any]) -> dict[str, Any]:
        return {"id": sid, "connector": connector, "config": config, "interval": 600}

    sources = [
        source("mastodon-afghanistan", "mastodon", {"instance": base, "hashtag": "afghanistan"}),
        source(
            "telegram-kabulwire",
            "telegram",
            {"channel": "kabulwire", "base_url": base, "follow_links": True},
        ),
        source("reddit-afghanistan", "reddit", {"subreddit": "afghanistan", "base_url": base}),
        source("x-kabulwire", "x", {"bridge": f"{base}/nitter/{{user}}/rss", "user": "kabulwire"}),
        source(
            "bluesky-desks",
            "bluesky",
            {"accounts": list(BLUESKY_HANDLES), "jetstream": jetstream, "appview": base},
        ),
    ]
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))
    return path


def _newswire(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWIRE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _documents(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every indexed document by URL (which must be unique: one post, one document)."""
    es = Elasticsearch(Settings().elasticsearch_url)
    alias = env["NEWSWIRE_INDEX_ALIAS"]
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=200, query={"match_all": {}})["hits"]["hits"]
    docs = {h["_source"]["url"]: h["_source"] for h in hits}
    assert len(docs) == len(hits), sorted(h["_source"]["url"] for h in hits)
    return docs


# One recorded post per platform: (URL, author, handle, posted at, a sentence of its text).
EXPECTED = {
    "mastodon": (
        "https://news.example/@reporter/112000000000000103",
        "Rina Reporter",
        "reporter@news.example",
        "2024-03-05T10:15:30",
        "Floods close the Salang pass again.",
    ),
    "telegram": (
        "https://t.me/kabulwire/101",
        "Rina Reporter",
        "kabulwire",
        "2024-03-05T10:01:00",
        "Salang pass closed by floods, traffic diverted.",
    ),
    "reddit": (
        "https://www.reddit.com/r/afghanistan/comments/1b7abcd/salang_pass_closed_by_floods/",
        None,
        "u/kabul_reader",
        "2024-03-05T10:20:00",
        "Salang pass closed by floods",
    ),
    "x": (
        "https://x.com/kabulwire/status/1765100000000000001",
        "Kabul Wire",
        "kabulwire",
        "2024-03-05T10:15:30",
        "Salang pass closed by floods. Our report:",
    ),
    "bluesky": (
        "https://bsky.app/profile/did:plc:alicenewsdesk0000000000a/post/3mpa1",
        None,
        "alice.newsdesk.example",
        "2025-10-09T08:46:40",
        "Floods close the Salang pass, officials say.",
    ),
}


def test_one_source_per_platform_reaches_elasticsearch(
    tmp_path: Path, namespace: dict[str, str], servers: tuple[Server, FakeJetstream]
) -> None:
    http, jetstream = servers
    sources = _sources(tmp_path, http.base, jetstream.url)
    # The job ends although the Bluesky stream stays open: a quiet stream counts as idle.
    run = _newswire(["run", "--sources", str(sources), "--exit-when-idle", "3"], namespace)
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(jetstream.connections) == 1  # connected once, never dropped
    assert http.count(REDDIT_FEED) == 1  # one request per poll: Reddit's pacer never waits

    docs = _documents(namespace)
    posts = [d for d in docs.values() if d["kind"] == "social_post"]
    assert {d["social"]["platform"] for d in posts} == set(EXPECTED)
    for platform, (url, author, handle, posted, sentence) in EXPECTED.items():
        doc = docs.get(url)
        assert doc is not None, f"{platform}: {url} not indexed; have {sorted(docs)}"
        assert doc["kind"] == "social_post"
        social = doc["social"]
        assert (social["platform"], social["url"]) == (platform, url)
        assert (social.get("author"), social["handle"]) == (author, handle)
        assert doc["published_at"].startswith(posted)
        assert sentence in doc["body"] and sentence in social["text"]
        assert doc["authors"] == [author or handle]
        assert doc["title"].startswith(f"{author or handle}: ")
        assert doc["extraction"] == {"method": "social", "version": platform}
        assert doc["source"]["connector"] == platform
        # ISO 639-1 or nothing: a guess on a short text full of links once gave "bc"
        assert doc.get("lang") in (None, "en")
    counts = {p: sum(d["social"]["platform"] == p for d in posts) for p in EXPECTED}
    # every recorded post that has text, once, and nothing the connectors must drop:
    # Mastodon's 100 and Telegram's 103 are media only, Bluesky's 3mpa2 has no text,
    # Reddit's t1 entry is a comment, one X item has no status id
    assert counts == {"mastodon": 3, "telegram": 4, "reddit": 2, "x": 3, "bluesky": 5}

    # The Telegram post's link was followed: the story it points to is an article now,
    # cleaned like any other page (the site's furniture stays out of the body).
    story_url = http.base + STORY_PATH
    assert story_url in docs[EXPECTED["telegram"][0]]["social"]["links"]
    article = docs.get(story_url)
    assert article is not None, f"the linked story was not indexed; have {sorted(docs)}"
    assert article["kind"] == "article"
    assert article["title"] == STORY.title
    assert all(p in article["body"] for p in STORY.paragraphs)
    assert "newsletter" not in article["body"]
    assert article["published_at"].startswith(STORY.published.strftime("%Y-%m-%dT%H:%M"))
    assert article["source"]["id"] == "telegram-kabulwire"
    assert article.get("social") is None
    assert article["linked_from"] == EXPECTED["telegram"][0]  # the post that linked to it
    # only the Telegram source follows links: what the others link to stays unfetched
    assert [d["url"] for d in docs.values() if d["kind"] == "article"] == [story_url]
    assert http.count(STORY_PATH) == 1 and http.count(MISSING_PATH) == 1
    _assert_healthy(namespace)


def _assert_healthy(env: dict[str, str]) -> None:
    status = _newswire(["status", "--json"], env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["lag"] == {"processor": 0, "indexer": 0}
    for sid, stats in report["sources"].items():
        assert stats["errors"] == 0, f"{sid}: {stats.get('last_error')}"
        assert stats["polls"] >= 1


# -- malformed payloads ---------------------------------------------------------------------
MAINTENANCE = "<html><head><title>Down</title></head><body><h1>Back soon</h1></body></html>"
BROKEN = {  # source id -> (route, what it answers with status 200, a phrase of the reason)
    "mastodon-truncated": (
        "/api/v1/timelines/tag/truncated?limit=40",
        Reply(200, '[{"id": "1120000000000009", "content": "<p>Floods', JSON),
        "invalid JSON",
    ),
    "reddit-maintenance": (
        "/r/maintenance/new/.rss?limit=100",
        Reply(200, MAINTENANCE, HTML),
        "an HTML page where the feed was expected",
    ),
    "telegram-gateway": (
        "/s/gateway",
        Reply(200, "<html><head><title>502 Bad Gateway</title></head></html>", HTML),
        "no channel preview",
    ),
    "x-bridge-error": ("/nitter/ghost/rss", Reply(200, MAINTENANCE, HTML), "an HTML page"),
    "mastodon-schema": (
        "/api/v1/timelines/tag/schema?limit=40",
        Reply(200, json.dumps({"statuses": []}), JSON),
        "expected a list of statuses",
    ),
}


TAG, X = "afghanistan", "ghost"


def test_malformed_payloads_become_dead_letters_and_the_stream_goes_on(
    tmp_path: Path, namespace: dict[str, str]
) -> None:
    routes = _routes() | {route: reply for route, reply, _ in BROKEN.values()}
    malformed = (FIXTURES / "bluesky/malformed.jsonl").read_text(encoding="utf-8").splitlines()
    events = (FIXTURES / "bluesky/events.jsonl").read_text(encoding="utf-8").splitlines()
    with http_server(routes) as http, fake_jetstream(malformed + events) as jetstream:
        base = http.base

        def source(sid: str, connector: str, config: dict[str, Any]) -> dict[str, Any]:
            return {"id": sid, "connector": connector, "config": config, "interval": 600}

        sources = [
            source(
                "mastodon-afghanistan", "mastodon", {"instance": base, "hashtag": "afghanistan"}
            ),
            source("mastodon-truncated", "mastodon", {"instance": base, "hashtag": "truncated"}),
            source("mastodon-schema", "mastodon", {"instance": base, "hashtag": "schema"}),
            source("reddit-maintenance", "reddit", {"subreddit": "maintenance", "base_url": base}),
            source("telegram-gateway", "telegram", {"channel": "gateway", "base_url": base}),
            source(
                "x-bridge-error", "x", {"bridge": f"{base}/nitter/{{user}}/rss", "user": "ghost"}
            ),
            source(
                "bluesky-desks",
                "bluesky",
                {"accounts": list(BLUESKY_HANDLES), "jetstream": jetstream.url, "appview": base},
            ),
        ]
        path = tmp_path / "sources.yaml"
        path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))
        run = _newswire(["run", "--sources", str(path), "--exit-when-idle", "3"], namespace)
    assert run.returncode == 0, run.stderr[-3000:]

    letters = _dead_letters(namespace)
    for sid, (_, reply, reason) in BROKEN.items():
        mine = [x for x in letters if x["key"] == sid]
        assert mine, f"{sid}: no dead letter; have {[x['key'] for x in letters]}"
        assert mine[0]["stage"] == "connector" and mine[0]["error_class"] == "BadPayload"
        assert reason in mine[0]["message"], mine[0]["message"]
        assert mine[0]["payload"] == reply.body  # the body as the source sent it
    bluesky = [x for x in letters if x["key"] == "bluesky-desks"]
    assert any("not JSON" in x["message"] for x in bluesky)
    assert any("unexpected Jetstream event" in x["message"] for x in bluesky)

    # the good sources went on: their posts are indexed, and the broken ones are reported
    docs = _documents(namespace)
    platforms = {d["social"]["platform"] for d in docs.values() if d["kind"] == "social_post"}
    assert platforms == {"mastodon", "bluesky"}
    report = json.loads(_newswire(["status", "--json"], namespace).stdout)["sources"]
    for sid, (_, _, reason) in BROKEN.items():
        assert reason in report[sid]["last_error"] and report[sid]["errors"] >= 1
    assert report["mastodon-afghanistan"]["errors"] == 0


def _dead_letters(env: dict[str, str]) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        env["NEWSWIRE_TOPIC_DLQ"],
        bootstrap_servers=Settings().kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        consumer_timeout_ms=5000,
    )
    try:
        return [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()
