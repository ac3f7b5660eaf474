"""The runner's logic with scripted connectors and an in-memory broker log.

Real Kafka is exercised by tests/integration/test_misbehaving_feeds.py; here the
producer and the state store are small fakes behind the runner's interfaces, so the
scheduling, reporting and delivery order can be checked without services.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from connectors.sdk.base import ConnectorConfig, Cursor, Page, PollingConnector
from connectors.sdk.errors import BadPayload, FatalSourceError, RetriableError, RetryAfter
from connectors.sdk.http import HttpClient
from connectors.sdk.registry import UnknownConnector
from connectors.sdk.runner import Runner
from connectors.sdk.runner_output import MAX_LETTER_BYTES
from connectors.sdk.schedule import SchedulePolicy
from connectors.sdk.sources import Source
from wire.models import RawItem, SourceRef
from wire.settings import Settings

POLICY = SchedulePolicy(
    backoff_base=0.05, failing_after=3, jitter=0.0, fatal_delay=3600, poll_jitter=0.0
)
Step = Page | BaseException | Callable[[Cursor], Page]
SCRIPTS: dict[str, list[Step]] = {}
SEEN_CURSORS: dict[str, list[Cursor]] = {}


class _Done:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        if self.error:
            raise self.error

    def add_errback(self, fn: Callable[[BaseException], Any]) -> _Done:
        if self.error:
            fn(self.error)
        return self


class MemoryBroker:
    """Producer and state store in one, so the order of everything sent is one log."""

    def __init__(self, saved: dict[str, dict[str, Any]] | None = None) -> None:
        self.log: list[tuple[str, str, Any]] = []
        self.saved = dict(saved or {})
        self.refuse_items = False
        self.lock = threading.Lock()

    # producer
    def send(self, topic: str, key: bytes, value: bytes) -> _Done:
        with self.lock:
            if self.refuse_items and topic == "raw":
                return _Done(RuntimeError("broker refused"))
            self.log.append((topic, key.decode(), value))
            return _Done()

    def flush(self, timeout: float | None = None) -> None:
        pass

    # state store
    def load_all(self) -> dict[str, dict[str, Any]]:
        return dict(self.saved)

    def save(self, source_id: str, state: dict[str, Any]) -> _Done:
        with self.lock:
            self.log.append(("state", source_id, state))
            self.saved[source_id] = state
            return _Done()

    def states(self, source_id: str) -> list[dict[str, Any]]:
        return [v for t, k, v in self.log if t == "state" and k == source_id]


class _StateView:
    def __init__(self, broker: MemoryBroker) -> None:
        self.broker = broker

    def load_all(self) -> dict[str, dict[str, Any]]:
        return self.broker.load_all()

    def send(self, source_id: str, state: dict[str, Any]) -> _Done:
        return self.broker.save(source_id, state)


class ScriptedConnector(PollingConnector[ConnectorConfig]):
    """Plays its source's script; once it runs out, every poll finds nothing new."""

    name = "scripted"
    config_model = ConnectorConfig

    def poll(self, cursor: Cursor) -> Page:
        SEEN_CURSORS.setdefault(self.source.id, []).append(dict(cursor))
        script = SCRIPTS.get(self.source.id, [])
        step: Step = script.pop(0) if script else Page(cursor=cursor, stats={"not_modified": 1})
        if isinstance(step, BaseException):
            raise step
        return step(cursor) if callable(step) else step


class HandingConnector(PollingConnector[ConnectorConfig]):
    """Hands ``k1`` over mid-poll, then waits for ``RELEASE`` before its page (``k2``);
    raises instead while ``FAIL_AFTER_HANDOVER`` holds an error."""

    name = "handing"
    config_model = ConnectorConfig

    def poll(self, cursor: Cursor) -> Page:
        assert self.hand_over(_item("k1"))
        HANDED.set()
        assert RELEASE.wait(10)
        if FAIL_AFTER_HANDOVER:
            raise FAIL_AFTER_HANDOVER.pop()
        return Page(items=[_item("k2")], cursor={"n": cursor.get("n", 0) + 1})


HANDED, RELEASE = threading.Event(), threading.Event()
FAIL_AFTER_HANDOVER: list[BaseException] = []


def _registry(name: str) -> type[PollingConnector[ConnectorConfig]]:
    if name == "handing":
        return HandingConnector
    if name != "scripted":
        raise UnknownConnector(f"no connector named {name!r}")
    return ScriptedConnector


def _item(key: str, **fields: Any) -> RawItem:
    return RawItem(
        key=key,
        url=f"https://x.example/{key}",
        source=SourceRef(id="s", name="s", connector="scripted"),
        **({"content": "text"} | fields),
    )


@contextmanager
def running(
    sources: list[Source],
    broker: MemoryBroker,
    policy: SchedulePolicy = POLICY,
    max_raw_bytes: int = 10 * 1024 * 1024,
) -> Iterator[Runner]:
    settings = Settings(
        topic_raw="raw", topic_dlq="dlq", topic_state="state", max_raw_bytes=max_raw_bytes
    )
    runner = Runner(
        settings,
        sources,
        workers=4,
        producer=broker,  # type: ignore[arg-type]
        state=_StateView(broker),
        http=HttpClient(user_agent="t"),
        policy=policy,
        registry=_registry,
    )
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        yield runner
        assert thread.is_alive(), "the runner stopped by itself"
    finally:
        runner.stop()
        thread.join(timeout=10)


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def _source(sid: str, interval: float = 1.0, connector: str = "scripted") -> Source:
    return Source(id=sid, connector=connector, interval=interval)


@pytest.fixture(autouse=True)
def _clean_scripts() -> Iterator[None]:
    SCRIPTS.clear()
    SEEN_CURSORS.clear()
    HANDED.clear()
    RELEASE.clear()
    FAIL_AFTER_HANDOVER.clear()
    yield
    SCRIPTS.clear()
    RELEASE.set()  # a handing poll still waiting ends


def _raw_keys(broker: MemoryBroker) -> list[str]:
    return [k for t, k, _ in broker.log if t == "raw"]


def test_an_item_handed_over_mid_poll_is_produced_before_the_page_ends() -> None:
    broker = MemoryBroker()
    with running([_source("h", interval=60, connector="handing")], broker) as runner:
        assert HANDED.wait(10)
        # the poll is still fetching (its page not returned): k1 is in Kafka already,
        # and no cursor is saved before the whole page is acknowledged
        wait_for(lambda: _raw_keys(broker) == ["k1"])
        assert broker.states("h") == []
        RELEASE.set()
        wait_for(lambda: bool(broker.states("h")))
        assert _raw_keys(broker) == ["k1", "k2"]
        saved = broker.states("h")[-1]
        assert saved["cursor"] == {"n": 1} and saved["stats"]["items"] == 2
        assert runner.health()["h"]["items"] == 2


def test_a_poll_failing_after_a_hand_over_saves_no_cursor_and_sends_it_again() -> None:
    broker = MemoryBroker()
    FAIL_AFTER_HANDOVER.append(RetriableError("the feed's next page timed out"))
    RELEASE.set()
    with running([_source("h", interval=60, connector="handing")], broker):
        wait_for(lambda: bool(broker.states("h")))
    # the failed poll's k1 went out, no cursor with it; the retry sent k1 again with
    # its page, and only then was a cursor saved (a repeat, never a loss)
    first_state = next(i for i, (t, _, _) in enumerate(broker.log) if t == "state")
    raws = [k for t, k, _ in broker.log[:first_state] if t == "raw"]
    assert raws == ["k1", "k1", "k2"]
    assert all(st["cursor"] == {"n": 1} for st in broker.states("h") if st.get("cursor"))


def test_items_are_acknowledged_before_the_cursor_is_saved() -> None:
    broker = MemoryBroker()
    SCRIPTS["a"] = [Page(items=[_item("k1"), _item("k2")], cursor={"n": 2})]
    with running([_source("a")], broker) as runner:
        wait_for(lambda: runner.health()["a"]["items"] == 2 and bool(broker.states("a")))
    first_state = next(i for i, (t, _, _) in enumerate(broker.log) if t == "state")
    assert [k for t, k, _ in broker.log[:first_state] if t == "raw"] == ["k1", "k2"]
    saved = broker.states("a")[-1]
    assert saved["cursor"] == {"n": 2} and saved["stats"]["items"] == 2


def test_dead_letters_are_acknowledged_before_the_cursor_too() -> None:
    broker = MemoryBroker()
    huge = _item("huge", content=None, html="<p>x</p>" * 1000)  # nothing to fall back on
    trimmed = _item("trimmed", html="<p>x</p>" * 1000)  # keeps its feed text, drops html
    page = Page(
        items=[_item("ok"), huge, trimmed],
        skipped=[("no link", b"<item/>")],
        cursor={"n": 1},
    )
    SCRIPTS["a"] = [page]
    with running([_source("a")], broker, max_raw_bytes=4000) as runner:
        wait_for(lambda: bool(broker.states("a")))
        assert runner.health()["a"]["items"] == 2
    first_state = next(i for i, (t, _, _) in enumerate(broker.log) if t == "state")
    before = [(t, k) for t, k, _ in broker.log[:first_state]]
    assert sorted(before) == [("dlq", "a"), ("dlq", "huge"), ("raw", "ok"), ("raw", "trimmed")]
    kept = next(v for t, k, v in broker.log if k == "trimmed")
    assert b'"html"' not in kept and b'"content":"text"' in kept


def test_a_failing_source_is_reported_then_recovers_its_normal_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = MemoryBroker()
    failures: list[Step] = [RetriableError("HTTP 500", status=500)] * 3
    SCRIPTS["a"] = [*failures, Page(cursor={"ok": 1})]
    SCRIPTS["down"] = [RetriableError("connection refused")] * 100
    SCRIPTS["calm"] = []
    sources = [_source("a"), _source("down"), _source("calm")]
    with caplog.at_level(logging.INFO), running(sources, broker) as runner:
        wait_for(lambda: runner.health()["a"]["polls"] == 1)
        health = runner.health()["a"]
        # Saved states are batched: a source that stays down is reported there too.
        wait_for(lambda: any(s["stats"]["failing"] for s in broker.states("down")))
    assert health["errors"] == 3 and health["consecutive_failures"] == 0
    assert not health["failing"] and not health["fatal"]
    assert health["interval"] == 1.0  # back to the configured interval
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("source a is failing (3 in a row" in w for w in warnings)
    assert any("source a recovered" in w for w in warnings)
    assert runner.health()["calm"]["errors"] == 0  # the others went on meanwhile
    assert runner.health()["down"]["failing"]


def test_a_refused_body_is_a_dead_letter_once_and_the_source_is_retried() -> None:
    broker = MemoryBroker()
    maintenance = b"<html><body><h1>Maintenance</h1>"
    truncated = b'{"statuses": [{"id": "1", "ur'
    SCRIPTS["a"] = [
        BadPayload("https://x.example/api: an HTML page where JSON was expected", maintenance),
        BadPayload("https://x.example/api: an HTML page where JSON was expected", maintenance),
        BadPayload("https://x.example/api: invalid JSON (Unterminated string)", truncated),
        Page(items=[_item("k1")], cursor={"n": 1}),
    ]
    with running([_source("a")], broker) as runner:
        wait_for(lambda: runner.health()["a"]["items"] == 1)
        health = runner.health()["a"]
    letters = [json.loads(v) for t, _, v in broker.log if t == "dlq"]
    # the same maintenance page twice in a row is lettered once; each new body once more
    assert [(x["error_class"], x["payload"]) for x in letters] == [
        ("BadPayload", maintenance.decode()),
        ("BadPayload", truncated.decode()),
    ]
    assert "where JSON was expected" in letters[0]["message"] and letters[0]["key"] == "a"
    assert letters[0]["stage"] == "connector"
    assert health["errors"] == 3 and health["polls"] == 1 and not health["failing"]


def test_retry_after_and_fatal_errors_set_the_next_try() -> None:
    broker = MemoryBroker()
    SCRIPTS["busy"] = [RetryAfter(120, status=429)]
    SCRIPTS["broken"] = [FatalSourceError("HTTP 404", status=404)]
    with running([_source("busy"), _source("broken")], broker) as runner:
        wait_for(lambda: all(h["errors"] == 1 for h in runner.health().values()))
        wait_for(runner.idle)
        busy, broken = runner.health()["busy"], runner.health()["broken"]
    assert busy["next_due"] - busy["last_error_at"] >= 120
    assert not busy["failing"]
    assert broken["fatal"] and broken["failing"]
    assert broken["next_due"] - broken["last_error_at"] >= 3600
    assert "HTTP 404" in broken["last_error"]


def test_a_connector_bug_or_bad_config_never_stops_the_runner() -> None:
    broker = MemoryBroker()
    SCRIPTS["buggy"] = [ZeroDivisionError("oops")]
    sources = [_source("buggy"), _source("ghost", connector="nope"), _source("fine")]
    with running(sources, broker) as runner:
        wait_for(lambda: runner.health()["fine"]["polls"] >= 2)
        health = runner.health()
    assert health["buggy"]["errors"] >= 1 and "ZeroDivisionError" in health["buggy"]["last_error"]
    assert (
        health["ghost"]["failing"] and "no connector named 'nope'" in health["ghost"]["last_error"]
    )
    assert broker.states("ghost")  # reported in the saved state, not silently dropped


def test_more_pages_are_fetched_at_once() -> None:
    broker = MemoryBroker()
    SCRIPTS["archive"] = [
        Page(items=[_item(f"p{i}")], cursor={"page": i + 1}, more=i < 4) for i in range(5)
    ]
    with running([_source("archive", interval=3600)], broker) as runner:
        wait_for(lambda: runner.health()["archive"]["items"] == 5)
    assert SEEN_CURSORS["archive"][:5] == [{}, *({"page": i} for i in range(1, 5))]


def test_refused_items_leave_the_cursor_where_it_was() -> None:
    broker = MemoryBroker()
    broker.refuse_items = True
    SCRIPTS["a"] = [Page(items=[_item("k1")], cursor={"n": 1})]
    with running([_source("a")], broker) as runner:
        wait_for(lambda: runner.health()["a"]["errors"] == 1 and bool(broker.states("a")))
    assert all(s["cursor"] == {} for s in broker.states("a"))
    assert runner.health()["a"]["items"] == 0


def test_restart_resumes_cursor_counters_and_backoff() -> None:
    later = time.time() + 3600
    broker = MemoryBroker(
        saved={
            "healthy": {"cursor": {"etag": "v7"}, "stats": {"polls": 9, "items": 40}},
            "waiting": {
                "cursor": {"etag": "w"},
                "stats": {"errors": 2, "consecutive_failures": 2, "next_due": later},
            },
            "was-fatal": {
                "cursor": {},
                "stats": {"consecutive_failures": 1, "fatal": True, "next_due": later},
            },
        }
    )
    sources = [_source("healthy"), _source("waiting"), _source("was-fatal")]
    with running(sources, broker) as runner:
        wait_for(lambda: runner.health()["was-fatal"]["polls"] == 1)
        wait_for(lambda: runner.health()["healthy"]["polls"] == 10)
        wait_for(runner.idle)  # the source in backoff counts as done for now
    assert SEEN_CURSORS["healthy"][0] == {"etag": "v7"}
    assert runner.health()["healthy"]["items"] == 40
    assert "waiting" not in SEEN_CURSORS  # its Retry-After/backoff outlived the restart


def test_the_observed_rate_moves_the_interval_and_is_saved() -> None:
    broker = MemoryBroker()
    counter = iter(range(1000))

    def busy(_cursor: Cursor) -> Page:
        return Page(items=[_item(f"b{next(counter)}") for _ in range(5)], cursor={})

    SCRIPTS["busy"] = [busy] * 3
    SCRIPTS["quiet"] = [Page(items=[_item("q0")], cursor={})]  # then nothing new
    exact = SchedulePolicy(poll_jitter=0.0)
    with running([_source("busy"), _source("quiet")], broker, exact) as runner:
        # The first poll brings the backlog and says nothing of a rate; the second does.
        wait_for(lambda: all(h["polls"] >= 2 for h in runner.health().values()))
        busy_h, quiet_h = runner.health()["busy"], runner.health()["quiet"]
    assert busy_h["rate"] > 1 and busy_h["interval"] == 0.25  # a quarter of configured
    assert quiet_h["rate"] == 0 and quiet_h["interval"] == 4.0  # four times configured
    saved = broker.states("busy")[-1]["stats"]
    assert saved["rate"] > 1 and saved["interval"] == 0.25


def test_sources_polled_together_are_spread_apart() -> None:
    # Same interval, same rate, started together: without the jitter they poll in step.
    broker = MemoryBroker()
    for name in ("a", "b", "c"):
        SCRIPTS[name] = [Page(items=[_item(f"{name}0")], cursor={})]
    sources = [_source(name) for name in ("a", "b", "c")]
    with running(sources, broker, SchedulePolicy(poll_jitter=0.5)) as runner:
        wait_for(lambda: all(h["polls"] >= 1 for h in runner.health().values()))
        intervals = [h["interval"] for h in runner.health().values()]
    assert all(0.5 <= i <= 1.5 for i in intervals)  # configured 1 s, +-50 %
    assert len(set(intervals)) == 3


def test_the_runner_trims_every_dead_letter_payload_once_for_all_connectors() -> None:
    # Connectors hand over whole payloads; the runner is the one place that cuts them.
    broker = MemoryBroker()
    big_text = "é" * 80_000  # 160,000 bytes in UTF-8: a cut by characters would keep them all
    SCRIPTS["a"] = [
        Page(skipped=[("bad entry", big_text), ("bad bytes", b"x" * 300_000)], cursor={"n": 1}),
        BadPayload("https://x.example/api: not JSON", b"y" * 300_000),
    ]
    with running([_source("a")], broker) as runner:
        wait_for(lambda: runner.health()["a"]["errors"] == 1)
    letters = [json.loads(v) for t, _, v in broker.log if t == "dlq"]
    assert [x["message"] for x in letters] == ["bad entry", "bad bytes", letters[2]["message"]]
    assert all(len(x["payload"].encode()) <= MAX_LETTER_BYTES for x in letters)
    assert letters[0]["payload"].startswith("éé") and len(letters[1]["payload"]) == MAX_LETTER_BYTES
