"""The processor: faust agents from ``news.raw`` to ``news.articles``, in two stages.

1. ``process-raw`` (scales with ``news.raw``'s partitions, N workers): the pure chain
   ``pipeline.chain.process`` in a pool of extraction processes (one per CPU), with a
   time bound: a page over it is a dead letter and the process running it is replaced,
   so one pathological page cannot stall a partition. Processes, not threads:
   extraction is pure Python and lxml under the GIL, so threads never ran two pages at
   once, and the event loop's Kafka work waited on them too (measured with
   ``bench/bench_processor.py``). The agent runs one actor per extraction process, so
   that many pages are in flight; raw items are independent, and order only matters
   from stage 2 on. Its articles go to the internal ``<group>-dedup`` topic.
2. ``dedup`` (one partition, so exactly one worker at a time): every decision reads and
   writes one faust Table, so exact and near-duplicate detection is global however many
   workers run stage 1. "First" is the first copy to reach this stage: copies processed
   at the same moment reach it in the order their extraction finished. The Table's
   changelog lets another worker take over on failure. The stage is cheap next to
   extraction (a few milliseconds a story, fingerprint included, against tens for the
   chain), so one partition carries far more than any news firehose; the dedup package
   documents how to shard it by key (every state operation touches one key) if that
   ever stops being true.

Anything that fails becomes a dead letter with its reason, and the stream goes on.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

import faust
from pebble import ProcessExpired, ProcessPool

from pipeline.chain import Tagger, process
from pipeline.dedup import Deduplicator
from wire.models import Article, DeadLetter, RawItem, SourceRef
from wire.settings import Settings

log = logging.getLogger(__name__)


class ExtractionTimeout(TimeoutError):
    pass


# --- extraction processes ---------------------------------------------------------
# The taggers each extraction process applies, set once by _start_worker. They travel
# to the process by reference, so they must be importable module-level callables.
_worker_taggers: tuple[Tagger, ...] = ()
_WARM_UP_TEXT = " ".join(["A warm-up story about a river, a treaty and a minister."] * 8)


def _start_worker(taggers: tuple[Tagger, ...]) -> None:
    """Load what the first page would wait for: extractor, language model, taggers' data.

    Then ``gc.freeze()``: the gazetteer and lexicons are millions of immortal objects the
    cyclic collector would otherwise walk again on every full collection.
    """
    global _worker_taggers
    _worker_taggers = taggers
    page = f"<html><head><title>Warm up</title></head><body><p>{_WARM_UP_TEXT}</p></body></html>"
    source = SourceRef(id="warm-up", name="warm-up", connector="file")
    raw = RawItem(key="warm-up", url="https://warm-up.invalid/", source=source, html=page)
    try:
        process(raw, taggers)
    except Exception as exc:  # best effort: a failing warm-up must not break the pool
        log.warning("extraction warm-up failed: %s", exc)
    gc.freeze()


def extract_raw(value: bytes | str) -> tuple[str, bytes]:
    """One raw item (JSON) to its article's (id, JSON): only bytes cross the process line."""
    article = process(RawItem.model_validate_json(value), _worker_taggers)
    return article.id, article.to_json_bytes()


def extraction_processes() -> int:
    """One extraction process per CPU this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def start_extraction_processes(workers: int, taggers: tuple[Tagger, ...]) -> ProcessPool:
    """A pebble pool of ``workers`` spawned processes, each warmed by ``_start_worker``.

    Spawned, not forked: the faust worker already runs threads (aiokafka's), and a fork
    would copy their locks in whatever state they are.
    """
    pool = ProcessPool(
        max_workers=workers,
        initializer=_start_worker,
        initargs=(taggers,),
        context=multiprocessing.get_context("spawn"),
    )
    for _ in range(workers):  # start and warm every process now, not on a page
        pool.schedule(int)
    return pool


class ExtractionDied(RuntimeError):
    """The process running a page exited (a crash in lxml, the OOM killer)."""


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
        taggers: tuple[Tagger, ...],
        timeout: float,
        func: Callable[[bytes | str], tuple[str, bytes]] = extract_raw,
    ) -> None:
        self.workers = workers
        self.timeout = timeout
        self.func = func
        self._pool = start_extraction_processes(workers, taggers)

    async def run(self, value: bytes | str) -> tuple[str, bytes]:
        future = self._pool.schedule(self.func, args=(value,), timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)  # cancelling it cancels the page too
        except (TimeoutError, ProcessExpired) as exc:
            raise extraction_error(exc, self.timeout) from exc

    def close(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=10)


def make_app(settings: Settings, taggers: tuple[Tagger, ...] = ()) -> faust.App:
    datadir = settings.processor_data_dir or settings.home / "processor"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.processor_group,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store=_store(settings.processor_store),
        datadir=str(datadir),
        web_enabled=False,
        key_serializer="json",  # the dedup Table's; every topic sets its own (raw bytes)
        value_serializer="json",
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        broker_commit_every=200,
        broker_commit_interval=1.0,
        producer_max_request_size=settings.max_raw_bytes + 1024 * 1024,
        consumer_max_fetch_size=settings.max_raw_bytes + 1024 * 1024,
        producer_compression_type="gzip",
    )
    raw_topic = app.topic(settings.topic_raw, value_serializer="raw", key_serializer="raw")
    articles = app.topic(settings.topic_articles, value_serializer="raw", key_serializer="raw")
    dlq = app.topic(settings.topic_dlq, value_serializer="raw", key_serializer="raw")
    to_dedup = app.topic(
        settings.topic_dedup,
        partitions=1,
        internal=True,
        value_serializer="raw",
        key_serializer="raw",
    )
    state = app.Table("dedup-state", default=None, partitions=1)
    deduplicator = Deduplicator(state)
    pool = ExtractionPool(extraction_processes(), taggers, settings.extraction_timeout_s)

    async def handle(key: bytes | None, value: Any, where: dict[str, Any]) -> None:
        try:
            if not isinstance(value, bytes | str):
                raise TypeError(f"unexpected value type {type(value).__name__}")
            article_id, article = await pool.run(value)
        except Exception as exc:  # every failure is a dead letter, never a crash
            log.warning("dead letter (%s) for %s: %s", type(exc).__name__, key, exc)
            letter = DeadLetter.for_error(
                "processor",
                exc,
                value if isinstance(value, bytes | str) else repr(value),
                topic=settings.topic_raw,
                key=key.decode("utf-8", "replace") if key else None,
                **where,
            )
            await dlq.send(key=key, value=letter.to_json_bytes())
            return
        await to_dedup.send(key=article_id.encode(), value=article)

    @app.agent(raw_topic, name="process-raw", concurrency=pool.workers)
    async def process_raw(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            msg = event.message
            where = {"partition": msg.partition, "offset": msg.offset}
            await handle(event.key, event.value, where)

    @app.agent(to_dedup, name="dedup")
    async def dedup(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            try:
                article = Article.model_validate_json(event.value)
                outcome, indexed = deduplicator.route(article)
            except Exception as exc:  # a dead letter, never a stopped stage
                log.warning("dedup dead letter for %s: %s", event.key, exc)
                letter = DeadLetter.for_error(
                    "processor", exc, event.value, topic=to_dedup.get_topic_name(),
                    key=event.key.decode("utf-8", "replace") if event.key else None,
                )  # fmt: skip
                await dlq.send(key=event.key, value=letter.to_json_bytes())
                continue
            if not outcome.indexed:
                log.info("merged %s into %s (%s)", article.url, outcome.merge_into,
                         outcome.decision.method)  # fmt: skip
            if indexed is None:
                continue  # a copy already known under this URL: nothing changes
            await articles.send(key=_key_of(indexed), value=indexed.to_json_bytes())

    @app.on_before_shutdown.connect
    def stop_extraction(app: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        pool.close()

    @app.timer(settings.dedup_sweep_seconds)
    async def sweep_dedup_state() -> None:
        removed = deduplicator.sweep()
        if removed:
            log.info("dedup state: %d expired keys removed", removed)

    return app


def _key_of(article: Article) -> bytes:
    """Keyed by the story a record changes, so its changes stay in order on one partition."""
    return (article.merged_into.id if article.merged_into else article.id).encode()


def _store(wanted: str) -> str:
    """RocksDB through rocksdict when it is installed (the `rocksdb` extra), else memory."""
    if wanted.startswith("rocksdb"):
        try:
            import rocksdict  # noqa: F401
        except ImportError:
            log.warning("rocksdict is not installed: dedup state is kept in memory only")
            return "memory://"
    return wanted
