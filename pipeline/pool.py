"""Extraction processes: the chain on raw items in a pool of worker processes, time-bounded.

Both the stream processor (``pipeline.stream.processor``) and the offline
``newswire process`` run the chain here, so neither the pool nor the offline command
imports faust or Kafka (an import-linter contract in pyproject.toml holds that).

Processes, not threads: extraction is pure Python and lxml under the GIL, so threads
never ran two pages at once, and an event loop's Kafka work waited on them too
(measured with ``bench/bench_processor.py``). A page over the time bound is ended by
killing the process running it: one pathological page cannot stall a partition, and
pebble starts a fresh, warmed process in its place.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING, Any

from pebble import ProcessExpired, ProcessPool

from wire.metrics import CHAIN_CLOCK
from wire.models import RawItem, SourceRef, read_record

if TYPE_CHECKING:
    from pipeline.chain import Tagger

log = logging.getLogger(__name__)


class ExtractionTimeout(TimeoutError):
    """A page took longer than the time bound; its process was replaced."""


class ExtractionDied(RuntimeError):
    """The process running a page exited (a crash in lxml, the OOM killer)."""


# The taggers each extraction process applies, set once by _start_worker. They travel
# to the process by reference, so they must be importable module-level callables.
_worker_taggers: tuple[Tagger, ...] = ()
# The default taggers, loaded and warmed in the fork server (``preload_default``) before
# it forks any extraction process; None until then, and in a process that did not.
_preloaded: tuple[Tagger, ...] | None = None
_WARM_UP_TEXT = " ".join(["A warm-up story about a river, a treaty and a minister."] * 8)
PRELOAD_MODULE = "pipeline.preload"
"""What the fork server imports before its first fork (it calls ``preload_default``)."""


def _start_worker(taggers: tuple[Tagger, ...] | None) -> None:
    """Ready an extraction process: the taggers it applies, loaded and warmed.

    ``None`` stands for the default taggers (``pipeline.tagging``). They are normally
    loaded once, in the fork server this process was forked from (``preload_default``),
    and this is then instant; a process whose fork server did not preload them (the server
    was started for other taggers, or the preload failed) loads them itself. Either way
    the process that starts the pool (the faust worker) never imports the chain,
    trafilatura or the taggers, and starts sooner.
    """
    global _worker_taggers
    if taggers is None and _preloaded is not None:
        _worker_taggers = _preloaded
        return
    _worker_taggers = _warm(taggers)


def _warm(taggers: tuple[Tagger, ...] | None) -> tuple[Tagger, ...]:
    """Load what the first page would wait for: extractor, language model, taggers' data.

    Then ``gc.freeze()``: the gazetteer and lexicons are millions of immortal objects the
    cyclic collector would otherwise walk again on every full collection (and, frozen in
    the fork server, their pages stay shared with the forks instead of being written to by
    every collection in each of them).
    """
    from pipeline.chain import process

    if taggers is None:
        from pipeline.tagging import default_taggers

        taggers = default_taggers(preload=False)
    page = f"<html><head><title>Warm up</title></head><body><p>{_WARM_UP_TEXT}</p></body></html>"
    source = SourceRef(id="warm-up", name="warm-up", connector="file")
    raw = RawItem(key="warm-up", url="https://warm-up.invalid/", source=source, html=page)
    try:
        process(raw, taggers)
    except Exception as exc:  # best effort: a failing warm-up must not break the pool
        log.warning("extraction warm-up failed: %s", exc)
    gc.freeze()
    return taggers


def preload_default() -> None:
    """Load and warm the default taggers in the fork server, once, before its first fork.

    Never raises: the fork server would die with the error, and no extraction process
    could start; a failed preload leaves each process to load the taggers itself.
    """
    global _preloaded
    try:
        _preloaded = _warm(None)
    except Exception as exc:  # the process start then reports it, where it is logged
        print(f"extraction preload failed, each process loads its own: {exc}", file=sys.stderr)


def extract_raw(value: bytes | str) -> tuple[str, bytes]:
    """One raw item (JSON) to its article's (id, JSON): only bytes cross the process line."""
    from pipeline.chain import process

    article = process(read_record(RawItem, value), _worker_taggers)  # schema checked
    return article.id, article.to_json_bytes()


def extract_raw_timed(value: bytes | str) -> tuple[str, bytes, dict[str, float]]:
    """``extract_raw`` and the seconds its cleanup and tagging took: these processes are
    never scraped, so the times travel back with the article (``wire.metrics``)."""
    CHAIN_CLOCK.take()
    article_id, data = extract_raw(value)
    return article_id, data, CHAIN_CLOCK.take()


def extraction_processes() -> int:
    """One extraction process per CPU this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def start_extraction_processes(workers: int, taggers: tuple[Tagger, ...] | None) -> ProcessPool:
    """A pebble pool of ``workers`` extraction processes, started and warmed by
    ``_start_worker`` (``taggers=None``: the default taggers); returns once they run.

    The processes are forks of multiprocessing's fork server: a fresh, single-threaded
    process started for this one, which imports ``PRELOAD_MODULE`` once (the chain,
    trafilatura, the language model and the default taggers' data, warmed and frozen)
    before its first fork. So the data is loaded once, not once per process (1.4-1.7 s
    of CPU each, bench_e2e), a process replacing one that timed out or died is ready in
    milliseconds, and the processes share those pages copy-on-write. Never forked from
    this process itself: the faust worker already runs threads (aiokafka's), and a fork
    would copy their locks in whatever state they are; the fork server runs none.
    """
    pool = _new_pool(workers, taggers)
    _start(pool, workers)
    return pool


def start_fork_server() -> None:
    """Start the fork server of the default taggers' pools now, ahead of the first pool.

    Its preload (the chain and the taggers, about 2 s of CPU) then runs in its own process
    while the caller still imports, prepares topics and joins its consumer group, instead
    of after the faust app is made: the first page waited for it (issue 16, first story).
    Starting the server does not wait for the preload; the first fork does. A later
    ``ExtractionPool(..., taggers=None)`` uses this server; a pool of other taggers in the
    same process does too, and loads its taggers in each process (as it would anyway
    after the first pool started the server)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD_MODULE])
    from multiprocessing import forkserver

    forkserver.ensure_running()


def _new_pool(workers: int, taggers: tuple[Tagger, ...] | None) -> ProcessPool:
    """The pool, not started yet (pebble starts it on the first ``schedule``)."""
    context = multiprocessing.get_context("forkserver")
    # Read when the fork server starts (the first pool of this process), ignored after.
    context.set_forkserver_preload([PRELOAD_MODULE] if taggers is None else [])
    return ProcessPool(
        max_workers=workers, initializer=_start_worker, initargs=(taggers,), context=context
    )


def _start(pool: ProcessPool, workers: int) -> None:
    """Start and warm every process now, not on a page. pebble starts them in the calling
    thread, and each start waits for the fork server's fork, so the first one waits for
    its preload (about 2 s)."""
    for _ in range(workers):
        pool.schedule(int)


def extraction_error(exc: BaseException, timeout: float) -> BaseException:
    """What a dead letter records for a page pebble gave up on; other errors unchanged."""
    if isinstance(exc, TimeoutError):
        return ExtractionTimeout(f"processing took more than {timeout:g}s")
    if isinstance(exc, ProcessExpired):
        return ExtractionDied(f"the extraction process died (exit code {exc.exitcode})")
    return exc


class ExtractionPool:
    """Runs ``func`` (default: the chain on one raw item) in worker processes, bounded.

    Built on pebble's process pool, which ends a call that takes longer than ``timeout``
    seconds by killing the process running it: a page that never finishes cannot keep a
    process busy after its dead letter is written. The call raises
    :class:`ExtractionTimeout`; a process that dies raises :class:`ExtractionDied` for its
    own page only. Either way pebble starts a fresh, warmed process in its place, so the
    next page works again and the other pages in flight are untouched.
    """

    def __init__(
        self,
        workers: int,
        taggers: tuple[Tagger, ...] | None,
        timeout: float,
        func: Callable[[bytes | str], Any] = extract_raw,
    ) -> None:
        self.workers = workers
        self.timeout = timeout
        self.func = func
        self._pool = _new_pool(workers, taggers)
        # Started in a thread of its own: the start waits about 2 s for the fork server's
        # preload, which the caller (the faust worker, still joining its group) should not
        # (it made the first story 1-1.5 s later, bench_e2e --pages 4); pages wait for it.
        self._ready: Future[None] = Future()
        threading.Thread(target=self._start, name="extraction-start", daemon=True).start()

    def _start(self) -> None:
        try:
            _start(self._pool, self.workers)
        except BaseException as exc:  # the pages' run() raises it
            self._ready.set_exception(exc)
        else:
            self._ready.set_result(None)

    async def run(self, value: bytes | str) -> Any:
        if not self._ready.done():
            await asyncio.wrap_future(self._ready)
        self._ready.result()  # a start that failed fails every page (each a dead letter)
        future = self._pool.schedule(self.func, args=(value,), timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)  # cancelling it cancels the page too
        except (TimeoutError, ProcessExpired) as exc:
            raise extraction_error(exc, self.timeout) from exc

    def close(self) -> None:
        wait([self._ready], timeout=60)  # a start under way ends before the pool stops
        self._pool.stop()
        self._pool.join(timeout=10)
