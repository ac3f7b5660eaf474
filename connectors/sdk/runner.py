"""The connector runner: schedules sources, polls them in worker threads, produces to Kafka.

Delivery: the items of a page are produced to ``news.raw`` and the source's cursor is
saved to ``news.connector-state`` only after Kafka acknowledged every one of them. A
crash in between re-polls that page after restart (at-least-once); stable keys and
downstream dedup make the repeat harmless. A poll that changes nothing but counters
(the common case: 304 Not Modified) saves its stats in a batch a moment later.

Scheduling: a heap of due times, served by ``workers`` threads; when each source runs
next is decided by ``connectors.sdk.schedule`` (configured interval, the feed's hint,
the observed rate of new items; backoff after failures). The runner never stops on a
source's failure: a source that keeps failing is marked ``failing`` in its stats and
logged, and keeps being retried.

What is written besides the schedule (items, dead letters with their one payload trim,
batched source states) is in ``connectors.sdk.runner_output``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer

from connectors.sdk.base import Connector, Cursor, Page
from connectors.sdk.errors import BadPayload, FatalSourceError, RetriableError, RetryAfter
from connectors.sdk.http import HttpClient
from connectors.sdk.registry import load
from connectors.sdk.runner_output import DELIVERY_TIMEOUT, Output, StateBatch
from connectors.sdk.schedule import (
    DEFAULT_POLICY,
    FailureKind,
    SchedulePolicy,
    failure_delay,
    is_failing,
    next_interval,
    observe,
    spread,
)
from connectors.sdk.sources import Source
from connectors.sdk.state import KafkaStateStore, SourceHealth, StateStore
from connectors.sdk.stream import StreamingConnector
from wire.clients import KAFKA_COMPRESSION, kafka_client_config
from wire.metrics import SOURCE_DROPPED, SOURCE_ERRORS, SOURCE_ITEMS, SOURCE_POLLS, error_class
from wire.settings import Settings

log = logging.getLogger(__name__)

STATE_FLUSH_SECONDS = 1.0  # counters-only state changes are saved this often, batched


@dataclass
class _Scheduled:
    source: Source
    connector: Connector[Any] | None
    cursor: Cursor = field(default_factory=dict)
    health: SourceHealth = field(default_factory=SourceHealth)
    due: float = 0.0  # time.monotonic()
    running: bool = False
    polled_once: bool = False
    catching_up: bool = False  # walking a backlog (Page.more): its pace is not a rate
    quiet: bool = False  # its last page brought nothing (a stream with nothing new)
    bad_payload: str | None = None  # hash of the last body refused, lettered once


def make_producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        **kafka_client_config(settings),
        client_id="newswire-connectors",
        acks="all",
        enable_idempotence=True,
        compression_type=KAFKA_COMPRESSION,
        linger_ms=20,
        max_request_size=settings.max_raw_bytes + 1024 * 1024,
        retries=2**31 - 1,
    )


class Runner:
    """Polls every enabled source until ``stop()``; ``run()`` blocks, so run it in a
    thread. Each source is fetched by at most one worker at a time."""

    def __init__(
        self,
        settings: Settings,
        sources: list[Source],
        *,
        workers: int | None = None,
        producer: KafkaProducer | None = None,
        state: StateStore | None = None,
        http: HttpClient | None = None,
        policy: SchedulePolicy = DEFAULT_POLICY,
        registry: Callable[[str], type[Connector[Any]]] = load,
    ) -> None:
        self.settings = settings
        self.policy = policy
        self.producer = producer or make_producer(settings)
        self.state = state or KafkaStateStore(
            self.producer, kafka_client_config(settings), settings.topic_state
        )
        self.http = http or HttpClient.from_settings(settings)
        self.workers = workers or settings.connector_workers
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, str]] = []
        self._order = itertools.count()
        self._stop = threading.Event()
        self._output = Output(self.producer, settings)
        self._states = StateBatch(self.state)
        self._sources: dict[str, _Scheduled] = {}
        saved = self.state.load_all()
        for source in sources:
            if source.enabled:
                self._add(source, saved.get(source.id), registry)

    def _add(
        self,
        source: Source,
        saved: dict[str, Any] | None,
        registry: Callable[[str], type[Connector[Any]]],
    ) -> None:
        sched = _Scheduled(source, None)
        self._sources[source.id] = sched
        now = time.monotonic()
        if saved:
            sched.cursor = saved.get("cursor") or {}
            stats = saved.get("stats") or {}
            sched.health = SourceHealth.restore(stats)
            wait = (stats.get("next_due") or 0.0) - time.time()
            if stats.get("consecutive_failures") and not stats.get("fatal") and wait > 0:
                # In backoff when we stopped (maybe told to wait by the server): keep it.
                # Healthy sources are polled at once: a restart is usually meant to.
                sched.due, sched.polled_once = now + wait, True
        try:
            cls = registry(source.connector)
            config = cls.config_model.model_validate(source.config)
            sched.connector = cls(source.ref(), config, self.http)
        except Exception as exc:  # reported as the source's error, never a crash
            sched.polled_once = True
            self._failed(sched, exc, "fatal")
            return
        heapq.heappush(self._heap, (sched.due or now, next(self._order), source.id))

    # -- lifecycle ---------------------------------------------------------------------

    def run(self) -> None:
        """Poll until ``stop()``; never stops on a source's failure.

        The workers take due sources from the heap themselves: no dispatcher thread that
        would have to win the GIL once per poll. This thread saves batched states."""
        workers = [
            threading.Thread(target=self._work, name=f"connector-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for worker in workers:
            worker.start()
        try:
            while not self._stop.wait(STATE_FLUSH_SECONDS):
                self._states.flush()
        finally:
            self.stop()
            for worker in workers:
                worker.join()
            self._close_connectors()
            self._states.flush()
            self.producer.flush(timeout=30)
            self.http.close()

    def _close_connectors(self) -> None:
        """Let connectors that hold a connection (streams) end it."""
        for sched in self._sources.values():
            if sched.connector is None:
                continue
            try:
                sched.connector.close()
            except Exception as exc:
                log.warning("source %s: close failed: %s", sched.source.id, exc)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()

    def idle(self) -> bool:
        """Every source was polled at least once and nothing is running or due now.

        A stream is always "due" (it keeps its socket open): it counts as idle once its
        last page brought nothing, so ``--exit-when-idle`` works with streams too."""
        now = time.monotonic()
        with self._lock:
            return all(
                s.polled_once
                and (
                    (not s.running and (s.due > now or s.connector is None))
                    or (s.quiet and isinstance(s.connector, StreamingConnector))
                )
                for s in self._sources.values()
            )

    def health(self) -> dict[str, dict[str, Any]]:
        return {sid: s.health.as_dict() for sid, s in self._sources.items()}

    def totals(self) -> dict[str, int]:
        """Counters summed over every source (cheap enough to watch progress)."""
        names = ("polls", "items", "not_modified", "errors")
        out = dict.fromkeys(names, 0)
        for sched in self._sources.values():
            for name in names:
                out[name] += getattr(sched.health, name)
        out["failing"] = sum(1 for s in self._sources.values() if s.health.failing)
        return out

    def _next_due(self, timeout: float) -> _Scheduled | None:
        with self._lock:
            now = time.monotonic()
            if not self._heap or self._heap[0][0] > now:
                wait = timeout if not self._heap else min(timeout, self._heap[0][0] - now)
                self._lock.wait(wait)
                now = time.monotonic()
            if not self._heap or self._heap[0][0] > now or self._stop.is_set():
                return None
            sched = self._sources[heapq.heappop(self._heap)[2]]
            sched.running = True
            return sched

    def _reschedule(self, sched: _Scheduled, delay: float) -> None:
        with self._lock:
            sched.due = time.monotonic() + delay
            sched.running = False
            sched.polled_once = True
            heapq.heappush(self._heap, (sched.due, next(self._order), sched.source.id))
            self._lock.notify()

    def _work(self) -> None:
        while not self._stop.is_set():
            sched = self._next_due(timeout=1.0)
            if sched is None:
                continue
            try:
                self._poll(sched)  # handles every Exception and always reschedules
            except BaseException:
                log.exception("connector worker: source %s", sched.source.id)

    # -- one poll ----------------------------------------------------------------------

    def _poll(self, sched: _Scheduled) -> None:
        assert sched.connector is not None
        delay = self.policy.max_backoff  # replaced below unless something is very wrong
        early: list[tuple[Any, bool]] = []  # items the connector handed over mid-poll
        sched.connector.handoff = lambda item: early.append(self._output.send_item(item))
        try:
            sched.health.last_poll = time.time()
            try:
                page = sched.connector.fetch(dict(sched.cursor))
            finally:
                sched.connector.handoff = None
            # A failed poll saves no cursor: items handed over before the failure are
            # made and sent again by the next poll (a repeat, harmless downstream).
            delay = self._deliver(sched, page, early)
        except RetryAfter as exc:
            delay = self._failed(sched, exc, "retry_after", exc.seconds)
        except BadPayload as exc:
            sched.bad_payload = self._output.refused_body(sched.source.id, exc, sched.bad_payload)
            delay = self._failed(sched, exc, "retriable")
        except RetriableError as exc:
            delay = self._failed(sched, exc, "retriable")
        except FatalSourceError as exc:
            delay = self._failed(sched, exc, "fatal")
        except Exception as exc:  # a connector bug or Kafka trouble must not stop the runner
            log.exception("source %s: unexpected error", sched.source.id)
            delay = self._failed(sched, exc, "retriable")
        finally:
            self._reschedule(sched, delay)

    def _deliver(self, sched: _Scheduled, page: Page, early: list[tuple[Any, bool]]) -> float:
        """Produce the page, wait for Kafka (for the items handed over ``early`` too),
        then count, schedule and save the cursor."""
        sent = [*early, *(self._output.send_item(item) for item in page.items)]
        futures = [fut for fut, _ in sent]
        for reason, payload in page.skipped:  # dead letters are acknowledged too
            futures.append(self._output.dead_letter(sched.source.id, ValueError(reason), payload))
        for fut in futures:  # this page's own acks: no flush() holding up other workers
            fut.get(timeout=DELIVERY_TIMEOUT)
        health, now, new = sched.health, time.time(), sum(raw for _, raw in sent)
        if health.failing:
            log.warning("source %s recovered", sched.source.id)
        health.polls += 1
        health.items += new
        counters = dict(health.counters)  # replaced, not mutated: health() may be reading
        for name, count in page.stats.items():
            if name == "not_modified":
                health.not_modified += count
            else:
                counters[name] = counters.get(name, 0) + count
        health.counters = counters
        sid = sched.source.id  # metrics (wire.metrics): the same counts, for Prometheus
        SOURCE_POLLS.labels(sid, "not_modified" if page.stats.get("not_modified") else "ok").inc()
        SOURCE_ITEMS.labels(sid).inc(new)
        SOURCE_DROPPED.labels(sid).inc(page.stats.get("dropped", 0))
        health.consecutive_failures, health.fatal, health.failing = 0, False, False
        if not (page.more or sched.catching_up) and health.last_success is not None:
            health.rate = observe(health.rate, new, now - health.last_success, self.policy)
        sched.catching_up = page.more
        sched.quiet = not (page.items or page.skipped)
        health.last_success = now
        if page.more:
            delay = 0.0
        else:
            delay = spread(
                next_interval(
                    sched.source.interval,
                    hint=page.interval_hint,
                    rate=health.rate,
                    policy=self.policy,
                ),
                self.policy.poll_jitter,
            )
            health.interval = delay
        health.next_due = now + delay
        moved = page.cursor != sched.cursor
        sched.cursor = page.cursor
        self._save(sched, now=bool(futures) or moved)
        if new:
            log.info("source %s: %d new items", sched.source.id, new)
        return delay

    def _failed(
        self,
        sched: _Scheduled,
        exc: BaseException,
        kind: FailureKind,
        retry_after: float | None = None,
    ) -> float:
        health = sched.health
        health.errors += 1
        SOURCE_POLLS.labels(sched.source.id, kind).inc()
        SOURCE_ERRORS.labels(sched.source.id, error_class(exc)).inc()
        health.consecutive_failures += 1
        health.last_error = f"{type(exc).__name__}: {exc}"
        health.last_error_at = time.time()
        health.fatal = kind == "fatal"
        delay = failure_delay(
            kind, health.consecutive_failures, retry_after=retry_after, policy=self.policy
        )
        health.next_due = health.last_error_at + delay
        was_failing = health.failing
        health.failing = is_failing(health.consecutive_failures, health.fatal, self.policy)
        if health.failing and not was_failing:
            log.warning(
                "source %s is failing (%d in a row, next try in %.0fs): %s",
                sched.source.id,
                health.consecutive_failures,
                delay,
                health.last_error,
            )
        else:
            log.info("source %s: %s (next try in %.0fs)", sched.source.id, health.last_error, delay)
        self._save(sched, now=False)  # the failure is reported; the cursor stays as it was
        return delay

    # -- state -----------------------------------------------------------------------

    def _save(self, sched: _Scheduled, *, now: bool) -> None:
        """Queue the source's state; ``now`` sends it at once (its items are acked)."""
        snapshot = {"cursor": sched.cursor, "stats": sched.health.as_dict()}
        self._states.save(sched.source.id, snapshot, now=now)
