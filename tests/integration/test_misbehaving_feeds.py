"""The runner on the real stack against feeds that misbehave in every way we know.

A local server hosts feeds that change between polls, repeat their items, answer 304,
lie about their ETags (the same ETag on a new body; a new ETag on the same body),
answer 429 with Retry-After, 500, time out, redirect in a loop, and stream a 20 MB
body. The real ``Runner`` (RSS connector, kafka-python producer, state topic) polls
them for a while; then ``news.raw`` is read back: every new item is there exactly once,
the failures are reported per source in ``news.connector-state``, the runner is still
running, and a second runner on the same state resumes without re-emitting anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from connectors.sdk.runner import Runner
from connectors.sdk.schedule import SchedulePolicy
from connectors.sdk.sources import Source
from connectors.sdk.state import KafkaStateStore
from newswire.kafka import ensure_topics
from tests.support.httpserver import Reply, Route, Server, http_server
from wire.models import RawItem
from wire.settings import Settings

pytestmark = pytest.mark.integration

# Short backoff so failures repeat within the test; fatal sources wait for an hour.
POLICY = SchedulePolicy(backoff_base=0.3, max_backoff=2.0, failing_after=3, fatal_delay=3600)
MB = 1024 * 1024


def rss(entries: list[str], build: str = "") -> str:
    items = "".join(
        f"<item><title>Story {e}</title><link>https://news.example/{e}</link>"
        f"<description>Text of story {e}.</description></item>"
        for e in entries
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
        f"<link>https://news.example/</link><lastBuildDate>{build}</lastBuildDate>"
        f"{items}</channel></rss>"
    )


class Feed:
    """A feed whose entries the test changes, served honestly or with a given lie."""

    def __init__(self, entries: list[str], etags: str = "honest") -> None:
        self.entries = entries
        self.etags = etags  # honest | same | new-every-time | none
        self.served = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> Reply:
        self.served += 1
        build = str(self.served) if self.etags == "none" else ""  # repeats under a new date
        body = rss(self.entries, build)
        etag = {
            "honest": '"' + hashlib.sha1(body.encode()).hexdigest() + '"',
            "same": '"v1"',
            "new-every-time": f'"{self.served}"',
        }.get(self.etags)
        if self.etags == "honest" and handler.headers.get("If-None-Match") == etag:
            return Reply(304)
        return Reply(
            200, body, {"Content-Type": "application/rss+xml", **({"ETag": etag} if etag else {})}
        )


class RateLimited:
    """429 with Retry-After the first time, then a well-behaved feed."""

    def __init__(self, feed: Feed) -> None:
        self.feed, self.refused = feed, 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> Reply:
        if not self.refused:
            self.refused += 1
            return Reply(429, "slow down", {"Retry-After": "2"})
        return self.feed(handler)


def _sources(main: Server, limited: Server) -> list[Source]:
    paths = {
        "changing": main.url("/changing.xml"),
        "unchanged": main.url("/unchanged.xml"),
        "repeating": main.url("/repeating.xml"),
        "same-etag": main.url("/same-etag.xml"),
        "new-etag": main.url("/new-etag.xml"),
        "limited": limited.url("/limited.xml"),  # its own host: a 429 pauses a whole host
        "broken": main.url("/broken.xml"),
        "slow": main.url("/slow.xml"),
        "loop": main.url("/loop-a.xml"),
        "huge": main.url("/huge.xml"),
    }
    return [
        Source(
            id=sid,
            connector="rss",
            config={"url": url, "fetch_articles": False},
            interval=1,
        )
        for sid, url in paths.items()
    ]


@contextmanager
def running(settings: Settings, sources: list[Source]) -> Iterator[Runner]:
    runner = Runner(settings, sources, policy=POLICY)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        yield runner
        assert thread.is_alive(), "the runner stopped by itself"
    finally:
        runner.stop()
        thread.join(timeout=30)


def wait_for(runner: Runner, check: Callable[[dict[str, dict[str, Any]]], bool]) -> None:
    deadline = time.monotonic() + 45
    while not check(runner.health()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached; health: {json.dumps(runner.health(), indent=1)}")
        time.sleep(0.1)


def raw_keys(settings: Settings) -> Counter[str]:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False
    )
    try:
        partitions = consumer.partitions_for_topic(settings.topic_raw) or set()
        tps = [TopicPartition(settings.topic_raw, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        keys: Counter[str] = Counter()
        # position() is None when the consumer has no offset: a TypeError, as before
        while any(consumer.position(tp) < end[tp] for tp in tps):  # type: ignore[operator]
            for records in consumer.poll(timeout_ms=1000).values():
                for rec in records:
                    item = RawItem.from_json_bytes(rec.value)
                    assert rec.key.decode() == item.key
                    keys[f"{item.source.id}:{item.key.rsplit('/', 1)[1]}"] += 1
        return keys
    finally:
        consumer.close()


def sources_status(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "newswire", "sources", "status", *args],
        env={**os.environ, **env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_misbehaving_feeds_reach_kafka_once_and_are_reported(
    namespace: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in namespace.items():
        monkeypatch.setenv(name, value)
    settings = Settings(http_timeout_s=1.0, http_per_host_interval=0.0, http_per_host_concurrency=4)
    ensure_topics(settings)
    changing, repeating = Feed(["c1", "c2"]), Feed(["r1", "r2"], etags="none")
    same_etag = Feed(["s1"], etags="same")
    routes: dict[str, Route] = {
        "/changing.xml": changing,
        "/unchanged.xml": Feed(["u1"]),
        "/repeating.xml": repeating,
        "/same-etag.xml": same_etag,
        "/new-etag.xml": Feed(["n1"], etags="new-every-time"),
        "/broken.xml": Reply(500, "oops"),
        "/slow.xml": Reply(200, rss(["never"]), delay=3),
        "/loop-a.xml": Reply(302, headers={"Location": "/loop-b.xml"}),
        "/loop-b.xml": Reply(302, headers={"Location": "/loop-a.xml"}),
        "/huge.xml": Reply(200, chunks=[b"<rss>" + b" " * (MB - 5)] + [b" " * MB] * 19),
    }
    with http_server(routes) as main, http_server() as other:
        other.routes["/limited.xml"] = RateLimited(Feed(["l1", "l2"]))
        sources = _sources(main, other)

        with running(settings, sources) as runner:
            wait_for(
                runner,
                lambda h: all(h[s]["polls"] >= 1 for s in ("changing", "repeating", "same-etag")),
            )
            changing.entries = ["c3", "c1", "c2"]
            repeating.entries = ["r2", "r1", "r3"]
            same_etag.entries = ["s2", "s1"]
            wait_for(
                runner,
                lambda h: (
                    h["changing"]["items"] == 3
                    and h["repeating"]["items"] == 3
                    and h["same-etag"]["items"] == 2
                    and h["limited"]["items"] == 2
                    and h["broken"]["failing"]
                    and h["slow"]["failing"]
                    and h["loop"]["fatal"]
                    and h["huge"]["fatal"]
                    and h["unchanged"]["not_modified"] >= 2
                    and h["new-etag"]["not_modified"] >= 2
                    and h["repeating"]["polls"] >= 4
                ),
            )

        expected = {
            "changing:c1", "changing:c2", "changing:c3", "unchanged:u1", "repeating:r1",
            "repeating:r2", "repeating:r3", "same-etag:s1", "same-etag:s2", "new-etag:n1",
            "limited:l1", "limited:l2",
        }  # fmt: skip
        first = raw_keys(settings)
        assert set(first) == expected
        assert all(n == 1 for n in first.values()), first

        stats = {
            sid: st["stats"]
            for sid, st in KafkaStateStore(None, settings.kafka_bootstrap, settings.topic_state)
            .load_all()
            .items()
        }
        assert "HTTP 500" in stats["broken"]["last_error"] and stats["broken"]["failing"]
        assert "Timeout" in stats["slow"]["last_error"] and stats["slow"]["errors"] >= 3
        assert "redirects" in stats["loop"]["last_error"] and stats["loop"]["failing"]
        assert "exceeds" in stats["huge"]["last_error"] and stats["huge"]["failing"]
        limited = stats["limited"]
        assert "HTTP 429" in limited["last_error"] and limited["consecutive_failures"] == 0
        assert not limited["failing"] and limited["items"] == 2
        assert stats["unchanged"]["not_modified"] >= 2 and stats["unchanged"]["errors"] == 0
        for sid in ("changing", "unchanged", "repeating", "same-etag", "new-etag"):
            assert stats[sid]["errors"] == 0 and stats[sid]["last_success"]

        report = json.loads(sources_status(namespace, "--json"))
        failing = {sid for sid, st in report.items() if st["failing"]}
        assert failing == {"broken", "slow", "loop", "huge"}
        assert "10 sources, 4 failing" in sources_status(namespace)

        # A new runner on the same state: it resumes; only what is new since is emitted.
        changing.entries = ["c4", "c3", "c1", "c2"]
        seen_before = len(main.requests)
        with running(settings, sources) as again:
            wait_for(
                again,
                lambda h: (
                    h["changing"]["items"] == 4  # counters carried over the restart
                    and all(
                        h[s]["polls"] > stats[s]["polls"]
                        for s in ("unchanged", "repeating", "same-etag", "new-etag", "limited")
                    )
                ),
            )
        # Resumed from the saved cursor: the restarted poll was a conditional GET.
        again_unchanged = [h for p, h in main.requests[seen_before:] if p == "/unchanged.xml"]
        assert again_unchanged and all("If-None-Match" in h for h in again_unchanged)
        second = raw_keys(settings)
        assert set(second) == expected | {"changing:c4"}
        assert all(n == 1 for n in second.values()), second
