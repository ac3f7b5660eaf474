"""The roles' HTTP side door: ``/metrics``, ``/healthz`` and ``/readyz`` on one port.

- ``/metrics``: prometheus_client's default registry (the catalogue in :mod:`wire.metrics`,
  plus the process and Python collectors), in whichever format the scraper asks for.
- ``/healthz``: 200 while every worker of the process is alive; 503 names the dead one.
  A probe that restarts the pod on it is the right reaction: the roles also exit
  non-zero when a worker dies, so this is the belt to that pair of braces.
- ``/readyz``: 200 once the process is connected to Kafka (and to Elasticsearch for the
  indexer and the API) and its consumers have partitions assigned; else 503 with a
  one-line JSON reason.

Readiness is evaluated by a background thread every ``interval`` seconds and served from
that cache, so a probe never waits on a broker that does not answer: a check that hangs
simply never refreshes its "last seen fine" time, and turns the process unready.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

import wire.metrics  # noqa: F401  (registers the catalogue, so /metrics lists it from the start)
from wire.settings import Settings

log = logging.getLogger(__name__)

Check = Callable[[], str | None]
"""A readiness check: ``None`` when fine, else a short reason (one line)."""


class Health:
    """The process's workers (liveness) and what it needs to be useful (readiness)."""

    def __init__(self, role: str, interval: float = 2.0) -> None:
        self.role = role
        self.interval = interval
        self._alive: dict[str, Callable[[], bool]] = {}
        self._checks: dict[str, Check] = {}
        self._ready: str | None = "starting"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_stop: list[Callable[[], None]] = []

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Something to stop with the side door (the Kafka watch)."""
        self._on_stop.append(callback)

    def watch(self, name: str, alive: Callable[[], bool]) -> None:
        """A worker the process cannot do without: ``/healthz`` fails once it is not alive."""
        self._alive[name] = alive

    def require(self, name: str, check: Check) -> None:
        self._checks[name] = check
        self._ready = f"{name}: not checked yet"  # never ready on checks that have not run

    def liveness(self) -> str | None:
        dead = [name for name, alive in self._alive.items() if not alive()]
        return f"worker stopped: {', '.join(dead)}" if dead else None

    def readiness(self) -> str | None:
        return self.liveness() or self._ready

    def refresh(self) -> str | None:
        """Run every check now (the refresher does this every ``interval`` seconds)."""
        reason: str | None = None
        for name, check in list(self._checks.items()):
            try:
                problem = check()
            except Exception as exc:  # a broken check is a reason, not a crash
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                reason = f"{name}: {problem}"
                break
        self._ready = reason
        return reason

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="readiness", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for callback in self._on_stop:
            callback()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self.interval)


def elasticsearch_check(settings: Settings, timeout: float = 3.0) -> Check:
    """Elasticsearch answers (bounded: no retries, a short timeout).

    Asks ``_cluster/health``, not the root endpoint: ``ping()`` (``HEAD /``) is refused
    by nodes that do not serve ``/`` (the local stack's answers 405) and by API keys
    without the monitor privilege, and would call a working cluster unreachable.
    """
    from pipeline.index.writer import make_client

    client = make_client(settings).options(request_timeout=timeout, max_retries=0)

    def check() -> str | None:
        try:
            client.cluster.health()
        except Exception as exc:
            return f"no answer from {settings.elasticsearch_url} ({type(exc).__name__})"
        return None

    return check


def assigned_check(partitions: Callable[[], int]) -> Check:
    """The consumer group gave this process partitions to work on."""

    def check() -> str | None:
        return None if partitions() > 0 else "no partitions assigned (yet)"

    return check


class KafkaWatch:
    """One thread that talks to Kafka for the side door: reachability and consumer lag.

    Every ``interval`` seconds it asks for the end offsets of a topic (a bounded
    request: reachability) and every ``lag_every`` rounds, for each (group, topic), the
    committed offsets: that gives ``newswire_consumer_lag_records`` per partition, and
    the timestamp of the first record not committed (one fetch per lagging partition,
    hence not every round) gives ``newswire_consumer_lag_seconds``.
    """

    def __init__(
        self,
        settings: Settings,
        groups: list[tuple[str, str]],
        interval: float = 5.0,
        stale_after: float = 20.0,
        lag_every: int = 3,
    ) -> None:
        self.settings = settings
        self.groups = groups
        self.interval = interval
        self.stale_after = stale_after
        self.lag_every = lag_every
        self.last_ok: float | None = None
        self.last_error = "not checked yet"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kafka-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> str | None:
        if self.last_ok is not None and time.monotonic() - self.last_ok < self.stale_after:
            return None
        return f"{self.settings.kafka_bootstrap}: {self.last_error}"

    def _loop(self) -> None:
        probe: Any = None
        rounds = 0
        while not self._stop.is_set():
            try:
                if probe is None:
                    from newswire.kafka import LagProbe

                    probe = LagProbe(self.settings)
                self.observe(probe, with_lag=rounds % self.lag_every == 0)
                self.last_ok = time.monotonic()
                rounds += 1
            except Exception as exc:  # the broker may be down: say so, try again
                self.last_error = f"{type(exc).__name__}: {exc}"[:200]
                log.debug("kafka watch: %s", self.last_error)
            self._stop.wait(self.interval)
        if probe is not None:
            probe.close()

    def observe(self, probe: Any, with_lag: bool = True) -> None:
        """One round: Kafka answers; ``with_lag``: each watched group's lag into the gauges."""
        from kafka import TopicPartition

        from wire.metrics import CONSUMER_LAG_RECORDS, CONSUMER_LAG_SECONDS

        consumer = probe.consumer
        topic_raw = TopicPartition(self.settings.topic_raw, 0)
        consumer.end_offsets([topic_raw], timeout_ms=3000)  # reachability, bounded
        for group, topic in self.groups if with_lag else ():
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if not tps:
                continue
            end = consumer.end_offsets(tps, timeout_ms=3000)
            committed = probe.admin.list_group_offsets({group: tps}).get(group, {})
            oldest: float | None = None
            for tp in tps:
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                lag = max(0, end[tp] - done)
                CONSUMER_LAG_RECORDS.labels(group, topic, str(tp.partition)).set(lag)
                if lag:
                    ts = _timestamp_at(consumer, tp, done)
                    if ts is not None:
                        oldest = ts if oldest is None else min(oldest, ts)
            age = max(0.0, time.time() - oldest) if oldest is not None else 0.0
            CONSUMER_LAG_SECONDS.labels(group, topic).set(age)


def _timestamp_at(consumer: Any, tp: Any, offset: int) -> float | None:
    """The timestamp (seconds) of the first record at or after ``offset`` in ``tp``."""
    consumer.assign([tp])
    consumer.seek(tp, offset)
    records = consumer.poll(timeout_ms=2000, max_records=1).get(tp) or []
    return records[0].timestamp / 1000 if records else None


class SideDoor:
    """The HTTP server: a thread serving the three paths until :meth:`close`."""

    def __init__(self, health: Health, port: int, host: str = "0.0.0.0") -> None:
        self.health = health
        handler = type("Handler", (_Handler,), {"health": health})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="side-door", daemon=True
        )

    def start(self) -> SideDoor:
        self.health.start()
        self._thread.start()
        return self

    def close(self) -> None:
        self.health.stop()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    health: Health

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept") or "")
            self._send(200, encoder(REGISTRY), content_type)
        elif path in ("/healthz", "/readyz"):
            reason = self.health.liveness() if path == "/healthz" else self.health.readiness()
            body = {"status": "ok" if reason is None else "fail", "role": self.health.role}
            if reason is not None:
                body["reason"] = reason
            self._send(200 if reason is None else 503, json.dumps(body).encode() + b"\n")
        else:
            self._send(404, b'{"status": "not found"}\n')

    def _send(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("side door: " + format, *args)


def serve(health: Health, port: int) -> SideDoor | None:
    """Start the side door on ``port`` (0: a free one, logged; negative: none)."""
    if port < 0:
        return None
    try:
        door = SideDoor(health, port).start()
    except OSError as exc:  # several roles on one machine: the role matters more than its door
        log.error(
            "metrics and health NOT served: port %d: %s (give each role its own "
            "--metrics-port, or 0 for a free one)", port, exc.strerror or exc,
        )  # fmt: skip
        health.stop()
        return None
    # A port picked here must be findable: at WARNING, which the default level shows.
    level = logging.WARNING if port == 0 else logging.INFO
    log.log(level, "metrics and health on port %d (/metrics, /healthz, /readyz)", door.port)
    return door
