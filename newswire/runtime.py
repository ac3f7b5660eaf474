"""Running the roles: connectors, processor (faust) and indexer, alone or all in one process.

``run_all`` is the main job: the connector runner and the indexer run in threads, the
faust worker owns the main thread's event loop, and an idle monitor ends it all once
every source was polled, the connectors have nothing new and both consumer groups have
caught up for ``exit_when_idle`` seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from newswire.kafka import LagProbe, ensure_topics
from wire.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SOURCES = Path(__file__).resolve().parent / "data" / "sources.yaml"


def prepare(settings: Settings) -> None:
    """Topics and the index template: idempotent, done by every role at start."""
    from pipeline.index.writer import Writer

    created = ensure_topics(settings)
    if created:
        log.info("created topics: %s", ", ".join(created))
    Writer(settings).setup()


def run_processor(
    settings: Settings, loglevel: str = "warn", monitor: Callable[[], None] | None = None
) -> None:
    """Run the faust worker in this thread until SIGINT/SIGTERM."""
    import faust

    from pipeline.stream.processor import make_app
    from pipeline.tagging import default_taggers

    # The extraction processes (spawned) load the taggers' data themselves when they
    # start: loading it here too would only cost this process seconds and ~60 MB.
    app = make_app(settings, taggers=default_taggers(preload=False))
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    if monitor:
        threading.Thread(target=monitor, name="idle-monitor", daemon=True).start()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise ProcessorFailed(f"the processor stopped with exit code {exc.code}") from exc


class ProcessorFailed(RuntimeError):
    """The faust worker ended on an error (its traceback is in the log above)."""


def run_all(
    settings: Settings, sources_file: Path, exit_when_idle: float | None, loglevel: str = "warn"
) -> dict[str, int]:
    from connectors.sdk.runner import Runner
    from connectors.sdk.sources import load_sources
    from pipeline.index.indexer import Indexer

    sources = load_sources(sources_file)
    prepare(settings)
    runner = Runner(settings, sources)
    indexer = Indexer(settings)
    threads = [
        threading.Thread(target=runner.run, name="connectors", daemon=True),
        threading.Thread(target=indexer.run, name="indexer", daemon=True),
    ]
    for t in threads:
        t.start()

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
                    os.kill(os.getpid(), signal.SIGTERM)  # the faust worker stops on it
                    return
        finally:
            probe.close()

    try:
        run_processor(settings, loglevel=loglevel, monitor=monitor)
    finally:
        runner.stop()
        indexer.stop()
        for t in threads:
            t.join(timeout=60)
    return {"indexed": indexer.indexed, "dead_letters": indexer.dead_letters}
