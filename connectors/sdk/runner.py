"""The connector runner: schedules sources, calls them in a bounded pool, produces to Kafka.

Delivery: items of a page are produced to ``news.raw`` and the source's cursor is saved
to ``news.connector-state`` only after Kafka acknowledged every one of them. A crash in
between re-polls that page after restart (at-least-once); stable keys and downstream
dedup make the repeat harmless.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer

from connectors.sdk.base import Connector, Cursor, Page
from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter
from connectors.sdk.http import HttpClient
from connectors.sdk.registry import load
from connectors.sdk.sources import Source
from connectors.sdk.state import KafkaStateStore
from newswire.models import DeadLetter, RawItem
from newswire.settings import Settings

log = logging.getLogger(__name__)

MAX_BACKOFF = 3600.0


@dataclass
class SourceHealth:
    polls: int = 0
    items: int = 0
    errors: int = 0
    consecutive_failures: int = 0
    not_modified: int = 0
    last_success: float | None = None
    last_error: str | None = None
    fatal: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def restore(cls, saved: dict[str, Any]) -> SourceHealth:
        """Counters carry over a restart; a fatal source is tried again (its config may
        have been fixed since)."""
        known = {k: v for k, v in saved.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "fatal": False})


@dataclass
class _Scheduled:
    source: Source
    connector: Connector
    cursor: Cursor = field(default_factory=dict)
    health: SourceHealth = field(default_factory=SourceHealth)
    due: float = 0.0
    running: bool = False
    polled_once: bool = False


def make_producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id="newswire-connectors",
        acks="all",
        enable_idempotence=True,
        compression_type="gzip",
        linger_ms=20,
        max_request_size=settings.max_raw_bytes + 1024 * 1024,
        retries=2**31 - 1,
    )


class Runner:
    def __init__(
        self,
        settings: Settings,
        sources: list[Source],
        *,
        workers: int = 8,
        producer: KafkaProducer | None = None,
    ) -> None:
        self.settings = settings
        self.producer = producer or make_producer(settings)
        self.state = KafkaStateStore(self.producer, settings.kafka_bootstrap, settings.topic_state)
        self.http = HttpClient(
            user_agent=settings.user_agent,
            timeout=settings.http_timeout_s,
            max_bytes=settings.max_raw_bytes,
            allow_private=settings.http_allow_private,
            per_host_interval=0.5,  # politeness: at most two requests a second per host
        )
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="connector")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        saved = self.state.load_all()
        self._sources: dict[str, _Scheduled] = {}
        for source in sources:
            if not source.enabled:
                continue
            cls = load(source.connector)
            config = cls.config_model.model_validate(source.config)
            sched = _Scheduled(source, cls(source.ref(), config, self.http))
            if source.id in saved:
                sched.cursor = saved[source.id].get("cursor", {})
                sched.health = SourceHealth.restore(saved[source.id].get("stats", {}))
            self._sources[source.id] = sched

    # -- lifecycle ---------------------------------------------------------------------

    def run(self) -> None:
        """Poll until ``stop()``; never stops on a source's failure."""
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                for sched in self._sources.values():
                    with self._lock:
                        if sched.running or sched.due > now:
                            continue
                        sched.running = True
                    fut = self.pool.submit(self._poll, sched)
                    fut.add_done_callback(self._log_crash)
                self._stop.wait(0.2)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.producer.flush()
            self.http.close()

    def stop(self) -> None:
        self._stop.set()

    def idle(self) -> bool:
        """Every source was polled at least once and nothing is running or pending now."""
        now = time.monotonic()
        with self._lock:
            return all(
                s.polled_once and not s.running and (s.due > now or s.health.fatal)
                for s in self._sources.values()
            )

    def health(self) -> dict[str, dict[str, Any]]:
        return {sid: s.health.as_dict() for sid, s in self._sources.items()}

    # -- one poll ------------------------------------------------------------------------

    def _poll(self, sched: _Scheduled) -> None:
        source, health = sched.source, sched.health
        delay = source.interval
        try:
            page = sched.connector.fetch(dict(sched.cursor))
            health.polls += 1
            health.consecutive_failures = 0
            health.fatal = False
            health.last_success = time.time()
            health.not_modified += page.stats.get("not_modified", 0)
            self._deliver(sched, page)  # saves the cursor with these stats once Kafka acked
            if page.more:
                delay = 0.0
            elif page.interval_hint:
                delay = min(max(page.interval_hint, source.interval / 4), source.interval * 4)
        except RetryAfter as exc:
            delay = self._failed(sched, exc, max(exc.seconds, 1.0))
        except RetriableError as exc:
            delay = self._failed(sched, exc, self._backoff(health))
        except FatalSourceError as exc:
            health.fatal = True
            delay = self._failed(sched, exc, MAX_BACKOFF)
        except Exception as exc:  # a connector bug must not stop the runner
            log.exception("source %s: unexpected error", source.id)
            delay = self._failed(sched, exc, self._backoff(health))
        finally:
            with self._lock:
                sched.due = time.monotonic() + delay
                sched.running = False
                sched.polled_once = True

    def _deliver(self, sched: _Scheduled, page: Page) -> None:
        futures = [f for item in page.items if (f := self._send_item(item)) is not None]
        for reason, payload in page.skipped:
            self._dead_letter(sched.source.id, ValueError(reason), payload)
        self.producer.flush()
        for fut in futures:
            fut.get(timeout=60)  # raises if Kafka did not take it: the cursor is not saved
        sched.cursor = page.cursor
        sched.health.items += len(page.items)
        self.state.save(sched.source.id, {"cursor": page.cursor, "stats": sched.health.as_dict()})
        if page.items:
            log.info("source %s: %d new items", sched.source.id, len(page.items))

    def _send_item(self, item: RawItem) -> Any | None:
        """Produce one item; None when it went to the dead-letter topic instead."""
        value = item.to_json_bytes()
        if len(value) > self.settings.max_raw_bytes:
            if not (item.content or item.summary):
                too_big = ValueError(f"raw item of {len(value)} bytes exceeds the cap")
                self._dead_letter(item.key, too_big, value[:100_000])
                return None
            # Keep the story: drop the raw HTML, the processor falls back to the feed text.
            value = item.model_copy(update={"html": None}).to_json_bytes()
        return self.producer.send(self.settings.topic_raw, key=item.key.encode(), value=value)

    def _dead_letter(self, key: str, exc: BaseException, payload: str | bytes | None) -> None:
        letter = DeadLetter.for_error("connector", exc, payload, key=key)
        self.producer.send(self.settings.topic_dlq, key=key.encode(), value=letter.to_json_bytes())

    def _failed(self, sched: _Scheduled, exc: BaseException, delay: float) -> float:
        health = sched.health
        health.errors += 1
        health.consecutive_failures += 1
        health.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("source %s: %s (next try in %.0fs)", sched.source.id, health.last_error, delay)
        try:  # the failure is reported in the source's state; the cursor stays as it was
            self.state.save(sched.source.id, {"cursor": sched.cursor, "stats": health.as_dict()})
        except Exception as save_error:  # Kafka itself may be the failure
            log.warning("source %s: could not save its state: %s", sched.source.id, save_error)
        return delay

    def _backoff(self, health: SourceHealth) -> float:
        base = min(MAX_BACKOFF, 5.0 * 2 ** min(health.consecutive_failures, 10))
        return base * random.uniform(0.8, 1.2)

    @staticmethod
    def _log_crash(fut: Future[None]) -> None:
        if exc := fut.exception():
            log.error("connector worker crashed: %r", exc)
