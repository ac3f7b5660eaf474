"""Running the roles: connectors, processor (faust) and indexer, alone or all in one process.

``run_all`` is the main job: the connector runner and the indexer run in threads, the
faust worker owns the main thread's event loop, and an idle monitor ends it all once
every source was polled, the connectors have nothing new and both consumer groups have
caught up for ``exit_when_idle`` seconds.

A role never outlives its worker: a worker thread that raises (or returns without being
asked to stop) stops the process with :class:`RoleFailed`, which the CLI turns into a
non-zero exit, so a supervisor (systemd, Kubernetes, compose) restarts it. In ``run``,
the death of any role stops the others. Every role also serves ``/metrics``,
``/healthz`` and ``/readyz`` (``newswire.observability``) on ``settings.metrics_port``.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswire.kafka import LagProbe, ensure_topics
from newswire.observability import Health, KafkaWatch, assigned_check, elasticsearch_check, serve
from wire.settings import Settings

if TYPE_CHECKING:
    from pipeline.index.indexer import Indexer

log = logging.getLogger(__name__)

DEFAULT_SOURCES = Path(__file__).resolve().parent / "data" / "sources.yaml"
CONNECTORS_WAIT_S = 30.0
"""``run`` starts its connectors when the processor holds partitions, or after this long."""


class ProcessorFailed(RuntimeError):
    """The faust worker ended on an error (its traceback is in the log above)."""


class RoleFailed(RuntimeError):
    """A role's worker died, or stopped when nobody asked it to."""


def import_in_background(*modules: str) -> threading.Thread:
    """Import ``modules`` in a daemon thread. ``run`` imports the processor's modules
    (faust, aiokafka, the dedup stage and its datasketch with scipy: about two seconds of
    CPU) while its own thread waits on Kafka and Elasticsearch in ``prepare``, instead of
    after it: the faust worker starts, joins its group and takes the first item sooner,
    and the first article no longer waits for datasketch in the dedup stage (issue 16:
    chain start to the article's record 1.7-2.2 s before, 0.57 s after, in 560-page
    runs). Whoever needs a module first waits for it (Python's per-module import lock);
    nothing is imported twice. An import that fails here is only logged: the role's own
    import of the module, later, raises the error where it is reported."""

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception as exc:  # the caller's own import reports it
                log.debug("background import of %s failed: %s", name, exc)
                return

    thread = threading.Thread(target=load, name="import-processor", daemon=True)
    thread.start()
    return thread


def prepare(settings: Settings) -> None:
    """Topics and the index template: idempotent, done by every role at start."""
    from newswire.preflight import AccessError, check_access
    from pipeline.index.writer import Writer, WritesRefused

    check_access(settings)  # a refused login or an untrusted CA: one line, at once
    created = ensure_topics(settings)
    if created:
        log.info("created topics: %s", ", ".join(created))
    try:
        Writer(settings).setup()
    except WritesRefused as exc:  # a 403 or a write block: one line, exit 2 (issue 13, 12)
        raise AccessError(str(exc)) from None


class Worker:
    """A role's worker thread that remembers how it ended."""

    def __init__(
        self,
        name: str,
        target: Callable[[], Any],
        stop: Callable[[], Any],
        on_exit: Callable[[Worker], None] | None = None,
    ) -> None:
        self.name = name
        self.target = target
        self._stop = stop
        self.on_exit = on_exit
        self.error: BaseException | None = None
        self.stopping = False
        self.started = False
        self._starting = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self.target()
        except BaseException as exc:
            self.error = exc
            log.critical("%s died: %s", self.name, exc, exc_info=exc)
        finally:
            if self.on_exit is not None:
                self.on_exit(self)

    def start(self) -> None:
        """Start the thread, once; never after ``stop()`` (a deferred start may race it)."""
        with self._starting:
            if self.started or self.stopping:
                return
            self.started = True
            self.thread.start()

    def stop(self) -> None:
        with self._starting:
            self.stopping = True
        self._stop()

    def alive(self) -> bool:
        """Running, or not started yet (a worker whose start waits is not a dead one)."""
        return self.thread.is_alive() or not self.started

    def join(self, timeout: float) -> None:
        if self.started:
            self.thread.join(timeout=timeout)

    def failure(self) -> str | None:
        """Why the role must exit non-zero, if it must (call after it ended)."""
        if self.error is not None:
            return f"{self.name} died: {type(self.error).__name__}: {self.error}"
        if self.started and not self.thread.is_alive() and not self.stopping:
            return f"{self.name} stopped by itself"
        return None


def supervise(workers: list[Worker], *, poll: float = 0.5) -> None:
    """Run standalone workers until SIGINT/SIGTERM or until one ends, then stop them all.

    Raises :class:`RoleFailed` when a worker died (or ended unasked), so the exit is
    non-zero.
    """

    def stop_all(*_: Any) -> None:
        for worker in workers:
            worker.stop()

    previous = {sig: signal.signal(sig, stop_all) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for worker in workers:
            worker.start()
        while all(w.alive() for w in workers):
            workers[0].thread.join(poll)
        _stop_and_join(workers)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_and_join(workers: list[Worker], timeout: float = 60) -> None:
    failures = [f for w in workers if (f := w.failure())]  # before stop() marks them asked
    for worker in workers:
        worker.stop()
    for worker in workers:
        worker.join(timeout=timeout)
    if failures:
        raise RoleFailed("; ".join(failures))


def side_door(settings: Settings, role: str, groups: list[tuple[str, str]]) -> Health:
    """The role's health, with its Kafka watch (reachability, consumer lag) started."""
    health = Health(role)
    if settings.metrics_port >= 0:  # nobody would see it otherwise
        watch = KafkaWatch(settings, groups)
        watch.start()
        health.require("kafka", watch.check)
        health.on_stop(watch.stop)
    return health


def processor_groups(settings: Settings) -> list[tuple[str, str]]:
    return [
        (settings.processor_group, settings.topic_raw),
        (settings.processor_group, settings.topic_dedup),
    ]


def run_connectors(settings: Settings, sources_file: Path) -> None:
    """The connector runner alone (scale-out role) until a signal; RoleFailed if it dies."""
    from connectors.sdk.runner import Runner
    from connectors.sdk.sources import load_sources

    runner = Runner(settings, load_sources(sources_file))
    worker = Worker("connectors", runner.run, runner.stop)
    health = side_door(settings, "connectors", [])
    health.watch("connectors", worker.alive)
    door = serve(health, settings.metrics_port)
    try:
        supervise([worker])
    finally:
        if door:
            door.close()


def run_indexer(settings: Settings) -> None:
    """The indexer alone until a signal; RoleFailed if it dies."""
    from newswire.alerts import alert_hook
    from pipeline.index.events import EventGrouper
    from pipeline.index.indexer import Indexer

    indexer = Indexer(settings)
    indexer.alerts = alert_hook(settings)  # percolate each bulk, POST webhooks
    indexer.events = EventGrouper.from_settings(settings)  # same-event story_id per batch
    worker = Worker("indexer", indexer.run, indexer.stop)
    door = serve(indexer_health(settings, indexer, worker), settings.metrics_port)
    try:
        supervise([worker])
    finally:
        if door:
            door.close()


def indexer_health(settings: Settings, indexer: Indexer, worker: Worker) -> Health:
    """The standalone indexer's checks: Kafka, Elasticsearch, partitions, its thread."""
    health = side_door(settings, "indexer", [(settings.indexer_group, settings.topic_articles)])
    health.watch("indexer", worker.alive)
    health.require("elasticsearch", elasticsearch_check(settings))
    health.require("indexer", assigned_check(lambda: indexer.assigned))
    return health


def run_processor(
    settings: Settings,
    loglevel: str = "warn",
    monitor: Callable[[], None] | None = None,
    *,
    health: Health | None = None,
    on_assigned: Callable[[], None] | None = None,
) -> None:
    """Run the faust worker in this thread until SIGINT/SIGTERM.

    Standalone (no ``health`` given) it serves its own side door; inside ``run`` the
    caller's door gets a readiness check for the processor's partitions.
    ``on_assigned`` is called at each assignment that gives the worker partitions.
    """
    from pipeline.pool import start_fork_server

    start_fork_server()  # the extraction preload runs during the imports below
    import faust

    from pipeline.stream.processor import StoreUnavailable, make_app

    # taggers=None: the extraction processes (spawned) import the default taggers and
    # load their data themselves; this process never imports them, nor the chain and
    # trafilatura (a second less of CPU before the first story, issue 16).
    try:
        app = make_app(settings, taggers=None)
    except StoreUnavailable as exc:  # one line and a non-zero exit (issue 13, 3)
        raise ProcessorFailed(str(exc)) from None
    assigned: set[Any] = set()

    @app.on_partitions_assigned.connect
    async def _assigned(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        assigned.clear()
        assigned.update(args[0])  # the whole new assignment
        if assigned and on_assigned is not None:
            on_assigned()

    door = None
    if health is None:
        health = side_door(settings, "processor", processor_groups(settings))
        door = serve(health, settings.metrics_port)
    health.require("processor", assigned_check(lambda: len(assigned)))
    # override_logging=False: our handlers (text or JSON lines) stay; faust's would replace them.
    worker = faust.Worker(
        app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False
    )
    if monitor:
        threading.Thread(target=monitor, name="idle-monitor", daemon=True).start()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            # faust exits 1 without a word when a service crashed (mode's ``exiting``
            # prints nothing): name the crash, or the operator sees only an exit code
            why = worker.crash_reason or app.crash_reason
            reason = f": {type(why).__name__}: {why}" if why else ""
            raise ProcessorFailed(
                f"the processor stopped with exit code {exc.code}{reason}"
            ) from exc
    finally:
        if door:
            door.close()


def stop_processor() -> None:
    """Ask the faust worker in the main thread to stop (it shuts down on SIGTERM)."""
    os.kill(os.getpid(), signal.SIGTERM)


def run_all(
    settings: Settings, sources_file: Path, exit_when_idle: float | None, loglevel: str = "warn"
) -> dict[str, int]:
    from pipeline.pool import start_fork_server

    start_fork_server()  # the extraction preload runs while this process starts
    from connectors.sdk.runner import Runner
    from connectors.sdk.sources import load_sources
    from newswire.alerts import alert_hook
    from pipeline.index.events import EventGrouper
    from pipeline.index.indexer import Indexer

    sources = load_sources(sources_file)
    # while prepare() waits; datasketch is the dedup stage's (pipeline.dedup.minhash)
    import_in_background("faust", "pipeline.stream.processor", "datasketch")
    prepare(settings)
    runner = Runner(settings, sources)
    indexer = Indexer(settings)
    indexer.alerts = alert_hook(settings)  # percolate each bulk, POST webhooks
    indexer.events = EventGrouper.from_settings(settings)  # same-event story_id per batch

    def died(worker: Worker) -> None:
        if not worker.stopping:  # a role ended on its own: the whole job stops
            log.critical("%s stopped: stopping the other roles", worker.name)
            stop_processor()

    connectors = Worker("connectors", runner.run, runner.stop, on_exit=died)
    indexing = Worker("indexer", indexer.run, indexer.stop, on_exit=died)
    workers = [connectors, indexing]
    groups = [*processor_groups(settings), (settings.indexer_group, settings.topic_articles)]
    health = side_door(settings, "run", groups)
    for worker in workers:
        health.watch(worker.name, worker.alive)
    health.require("elasticsearch", elasticsearch_check(settings))
    health.require("indexer", assigned_check(lambda: indexer.assigned))
    door = serve(health, settings.metrics_port)
    # The connectors start once the processor holds its partitions (or after
    # CONNECTORS_WAIT_S at most): started with the others, their downloads and produces
    # took the GIL from the processor's imports and group join, and the first story came
    # later (bench_e2e, 560 pages: the processor consumed its first item 6 s after start,
    # the connectors had fetched every feed by then). Items cannot be processed sooner
    # than the processor is there; until then Kafka would only hold them.
    indexing.start()
    deadline = threading.Timer(CONNECTORS_WAIT_S, connectors.start)
    deadline.daemon = True
    deadline.start()

    def monitor() -> None:
        if exit_when_idle is None:
            return
        idle_since: float | None = None
        probe = LagProbe(settings)
        stages = (  # every hop, including the processor's internal one
            (settings.processor_group, settings.topic_raw),
            (settings.processor_group, settings.topic_dedup),
            (settings.indexer_group, settings.topic_articles),
        )
        try:
            while True:
                time.sleep(1.0)
                busy = not runner.idle()
                if not busy:
                    try:
                        busy = any(probe.lag(group, topic) for group, topic in stages)
                    except Exception as exc:  # the broker may be busy; look again
                        log.debug("lag check failed: %s", exc)
                        busy = True
                if busy:
                    idle_since = None
                    continue
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= exit_when_idle:
                    log.info("idle for %.0fs: stopping", exit_when_idle)
                    stop_processor()
                    return
        finally:
            probe.close()

    try:
        run_processor(
            settings, loglevel=loglevel, monitor=monitor, health=health,
            on_assigned=connectors.start,
        )  # fmt: skip
    finally:
        deadline.cancel()
        try:
            _stop_and_join(workers)
        finally:
            if door:
                door.close()
    return {"indexed": indexer.indexed, "dead_letters": indexer.dead_letters}
