"""The processor: faust agents from ``news.raw`` to ``news.articles``, in two stages.

1. ``process-raw`` (scales with ``news.raw``'s partitions, N workers): the pure chain
   ``pipeline.chain.process`` in a pool of extraction processes (one per CPU, see
   :mod:`pipeline.pool`), with a time bound: a page over it is a dead letter and the
   process running it is replaced, so one pathological page cannot stall a partition.
   The agent runs one actor per extraction process, so that many pages are in flight;
   raw items are independent, and order only matters from stage 2 on. Its articles go
   to the internal ``<group>-dedup`` topic.
2. ``dedup`` (one partition, so exactly one worker at a time): every decision reads and
   writes one faust Table, so exact and near-duplicate detection is global however many
   workers run stage 1. "First" is the first copy to reach this stage: copies processed
   at the same moment reach it in the order their extraction finished. The Table's
   changelog lets another worker take over on failure. The stage is cheap next to
   extraction (a few milliseconds a story, fingerprint included, against tens for the
   chain), so one partition carries far more than any news firehose. Every state
   operation touches one key, so the stage could be sharded by key if that ever stops
   being true (not built: see the dedup package).

   The worker that holds the dedup partition (with its table recovered and no rebalance
   under way) decides on its own articles in-process instead of sending them through the
   topic: one produce, one broker append and one consume less per story. Decisions stay
   global: they all run in that one worker's event loop, one at a time, against the same
   table; articles of other workers still come through the topic.

Anything that fails becomes a dead letter with its reason, and the stream goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import faust
import faust.streams as faust_streams
import faust.utils.venusian as faust_venusian
from faust.events import Event
from faust.types import TP, Message

from pipeline.dedup import Deduplicator
from pipeline.dedup.minhash import preload_in_background
from pipeline.pool import ExtractionPool, extract_raw_timed, extraction_processes
from pipeline.sightings import story_of
from pipeline.stream.credentials import broker_credentials
from pipeline.stream.offsets import SafeCommitConsumer, StallCheckSkipped, use_safe_commits
from pipeline.stream.tables import PromptTableManager
from wire.clients import KAFKA_COMPRESSION
from wire.metrics import DEAD_LETTERS, STAGE_DURATION, STAGE_IN, STAGE_OUT, error_class
from wire.models import Article, DeadLetter, read_record
from wire.settings import Settings

if TYPE_CHECKING:
    from pipeline.chain import Tagger

log = logging.getLogger(__name__)

STALL_CHECK_SECONDS = 5.0
"""How often an idle processor looks for a stalled partition (pipeline.stream.offsets)."""

DEDUP_IN_FLIGHT = 256
"""Dedup outputs awaiting Kafka's acknowledgement at most (back-pressure on the stage)."""


def make_app(settings: Settings, taggers: tuple[Tagger, ...] | None = ()) -> faust.App:
    """The processor's faust app; its extraction processes apply ``taggers`` (``None``:
    the default taggers, which those processes import themselves)."""
    with _without_scan_marks():
        return _make_app(settings, taggers)


@contextmanager
def _without_scan_marks() -> Iterator[None]:
    """Declare agents and timers without faust's marks for ``app.discover``.

    ``app.agent`` and ``app.timer`` mark what they declare for venusian's scan, which only
    ``app.discover()`` (autodiscovery, not used here: everything is declared in
    ``make_app``) reads. The first mark reads its caller's source through ``inspect``,
    whose module lookup walks every loaded module: 1.0 s of CPU on the processor's
    start-up path, a fifth of the first story (issue 16; ``make_app`` 1.17 s, 0.12 s
    without). The marks are restored for any other app built afterwards.
    """
    saved = faust_venusian.attach
    faust_venusian.attach = _no_mark
    try:
        yield
    finally:
        faust_venusian.attach = saved


def _no_mark(fun: Any, category: str, **kwargs: Any) -> None:
    return None


def _make_app(settings: Settings, taggers: tuple[Tagger, ...] | None) -> faust.App:
    datadir = settings.processor_data_dir or settings.home / "processor"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.processor_group,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=broker_credentials(settings),
        store=_store(settings.processor_store),
        datadir=str(datadir),
        web_enabled=False,
        key_serializer="json",  # the dedup Table's; every topic sets its own (raw bytes)
        value_serializer="json",
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        # A replaced processor takes over in seconds (issue 13, 12): a short session
        # timeout, and static membership where each replica has a stable id.
        broker_session_timeout=settings.processor_session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.processor_session_timeout_s / 3),
        consumer_group_instance_id=settings.processor_instance_id,
        broker_commit_every=200,
        broker_commit_interval=1.0,
        producer_max_request_size=settings.max_raw_bytes + 1024 * 1024,
        consumer_max_fetch_size=settings.max_raw_bytes + 1024 * 1024,
        producer_compression_type=KAFKA_COMPRESSION,
        TableManager=PromptTableManager,  # no second's sleep at start (pipeline.stream.tables)
    )
    use_safe_commits(app)  # before any topic: see pipeline.stream.offsets
    raw_topic = app.topic(settings.topic_raw, value_serializer="raw", key_serializer="raw")
    articles = app.topic(settings.topic_articles, value_serializer="raw", key_serializer="raw")
    dlq = app.topic(settings.topic_dlq, value_serializer="raw", key_serializer="raw")
    to_dedup = app.topic(
        settings.topic_dedup,
        partitions=1,
        internal=True,
        value_serializer="raw",
        key_serializer="raw",
        # as large as the public topics' records (newswire.kafka): the broker default
        # (1 MB) refused the articles of large pages
        config={"max.message.bytes": str(settings.max_raw_bytes + 1024 * 1024)},
    )
    outputs = InOrder(articles)  # decisions' records, in the order of the decisions
    state = app.Table("dedup-state", default=None, partitions=1)
    _check_store_opens(state, settings.processor_store)
    deduplicator = Deduplicator(state)
    preload_in_background()  # datasketch, while the worker joins its group
    # Started here, after this process's imports: started first, the extraction
    # processes' start (1.4 s of CPU each) competed with this one's, which is the longer
    # path to the first story on 2 cores (bench_e2e, first story, alternating runs).
    pool = ExtractionPool(
        extraction_processes(), taggers, settings.extraction_timeout_s, func=extract_raw_timed
    )

    async def handle(key: bytes | None, value: Any, where: dict[str, Any]) -> None:
        """One raw item to its article or dead letter; returns once Kafka acknowledged it."""
        try:
            if not isinstance(value, bytes | str):
                raise TypeError(f"unexpected value type {type(value).__name__}")
            STAGE_IN.labels("extraction").inc()
            with STAGE_DURATION.labels("extraction").time():
                article_id, article, spent = await pool.run(value)
            for stage, seconds in spent.items():  # cleanup and tagging, inside extraction
                STAGE_DURATION.labels(stage).observe(seconds)
            local = dedup_here()
            if not local:
                # Kafka may refuse the article (a topic's max.message.bytes): then a dead
                # letter, never an acked event with no output.
                await acknowledged(await to_dedup.send(key=article_id.encode(), value=article))
        except Exception as exc:  # every failure is a dead letter, never a crash
            DEAD_LETTERS.labels("extraction", error_class(exc)).inc()
            log.warning("dead letter (%s) for %s: %s", type(exc).__name__, key, exc)
            letter = DeadLetter.for_error(
                "processor",
                exc,
                value if isinstance(value, bytes | str) else repr(value),
                topic=settings.topic_raw,
                key=key.decode("utf-8", "replace") if key else None,
                **where,
            )
            await acknowledged(await dlq.send(key=key, value=letter.to_json_bytes()))
            return
        STAGE_OUT.labels("extraction").inc()
        if local:
            # This worker holds the dedup partition: decide here (nothing awaited between
            # the check and the decision's state writes), and the raw item is acked only
            # once the output is acknowledged; a replay decides again, idempotently
            # (Deduplicator.route).
            delivery = await decide(article_id.encode(), article, local=True)
            if delivery is not None:
                await deliver(article_id.encode(), article, delivery)

    dedup_tp = TP(to_dedup.get_topic_name(), 0)

    def dedup_here() -> bool:
        """Whether this worker may decide now: it holds the dedup partition, its table is
        recovered, and no rebalance is under way (which could hand the partition on)."""
        return (
            settings.processor_local_dedup
            and not app.rebalancing
            and app.tables.actives_ready
            and dedup_tp in app.assignor.assigned_actives()
        )

    # Offsets (issue 13, 7): faust acks an event when the loop body around it ends, *even
    # when it ends by an exception or a cancellation* (the stream iterator's ``finally``),
    # and commits acked offsets at rebalances and shutdown. An actor cancelled while its
    # page was in an extraction process therefore had its offset committed with no output.
    # So the streams do not ack by themselves (``noack``): an event is acked only after
    # Kafka acknowledged its result (article or dead letter), never on any other path.
    # Two actors per extraction process: one page waits in the pool while another runs,
    # so no process idles during a Kafka round trip; acks stay safe out of order
    # (pipeline.stream.offsets commits below the lowest item in flight).
    @app.agent(raw_topic, name="process-raw", concurrency=2 * pool.workers)
    async def process_raw(stream: faust.StreamT[Any]) -> None:
        async for event in _unacked(stream).events():
            msg = event.message
            where = {"partition": msg.partition, "offset": msg.offset}
            await handle(event.key, event.value, where)
            await stream.ack(event)

    # Decisions run one at a time, in the topic's order; waiting for Kafka to acknowledge
    # each output overlaps the next decisions (so the producer batches them), and events
    # are acked in order, each only after its output was acknowledged (see above).
    @app.agent(to_dedup, name="dedup")
    async def dedup(stream: faust.StreamT[Any]) -> None:
        outputs: asyncio.Queue[tuple[Any, Awaitable[Any] | None]] = asyncio.Queue(DEDUP_IN_FLIGHT)
        acker = asyncio.ensure_future(ack_in_order(stream, outputs))
        try:
            async for event in _unacked(stream).events():
                if acker.done():
                    acker.result()  # its failure (Kafka refused a dead letter) stops the stage
                await outputs.put((event, await decide(event.key, event.value)))
        finally:
            acker.cancel()  # events not acked yet are read again: replays re-index

    async def ack_in_order(
        stream: Any, outputs: asyncio.Queue[tuple[Any, Awaitable[Any] | None]]
    ) -> None:
        while True:
            event, delivery = await outputs.get()
            if delivery is not None:
                await deliver(event.key, event.value, delivery)
            await stream.ack(event)

    async def deliver(key: bytes | None, value: Any, delivery: Awaitable[Any]) -> None:
        """Wait for a decision's output to be acknowledged; refused: a dead letter."""
        try:
            await acknowledged(delivery)
        except Exception as exc:  # refused by Kafka: a dead letter, not a lost story
            await dedup_letter(key, value, exc)
        else:
            STAGE_OUT.labels("dedup").inc()

    async def dedup_letter(key: bytes | None, value: Any, exc: Exception) -> None:
        """The dedup stage's dead letter for an article, acknowledged by Kafka; it names
        the dedup topic, so a replay goes through the decision again."""
        DEAD_LETTERS.labels("dedup", error_class(exc)).inc()
        log.warning("dedup dead letter for %s: %s", key, exc)
        letter = DeadLetter.for_error(
            "processor", exc, value, topic=to_dedup.get_topic_name(),
            key=key.decode("utf-8", "replace") if key else None,
        )  # fmt: skip
        await acknowledged(await dlq.send(key=key, value=letter.to_json_bytes()))

    async def decide(
        key: bytes | None, value: Any, *, local: bool = False
    ) -> Awaitable[Any] | None:
        """One article through dedup; returns the delivery of what it sent, if anything.
        Nothing is awaited before the decision: callers check who decides just before.
        ``local``: called from the extraction stage, not for an event of the dedup topic."""
        STAGE_IN.labels("dedup").inc()
        try:
            with STAGE_DURATION.labels("dedup").time(), _as_event_of(app, dedup_tp, local):
                article = read_record(Article, value)  # schema checked
                outcome, indexed = deduplicator.route(article)
        except Exception as exc:  # a dead letter, never a stopped stage
            await dedup_letter(key, value, exc)
            return None
        if not outcome.indexed:
            log.info("merged %s into %s (%s)", article.url, outcome.merge_into,
                     outcome.decision.method)  # fmt: skip
        if indexed is None:
            return None  # a copy already known under this URL: nothing changes
        try:
            sent = await outputs.send(key=story_of(indexed).encode(), value=indexed.to_json_bytes())
        except Exception as exc:  # refused before it was queued: a dead letter
            await dedup_letter(key, value, exc)
            return None
        return sent

    @app.on_before_shutdown.connect
    def stop_extraction(app: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        pool.close()

    # Until the app's stop cancels it, faust runs this timer during the whole shutdown;
    # its lookups are bounded and it makes none once the stop has begun (StallCheckSkipped).
    @app.timer(STALL_CHECK_SECONDS)  # type: ignore[untyped-decorator]
    async def heal_stalled_partitions() -> None:
        if app.should_stop:
            return
        consumer = cast(SafeCommitConsumer, app.consumer)
        try:
            await consumer.learn_log_starts()
            healed = await consumer.heal_stalls()
        except StallCheckSkipped as exc:  # a slow lookup: nothing judged, again next time
            if not app.should_stop:
                log.warning("stall check skipped: %s", exc)
            return
        except Exception as exc:  # Kafka unreachable, a rebalance: look again next time
            log.info("stall check skipped: %s: %s", type(exc).__name__, exc)
            return
        if healed:
            log.warning("sought back stalled partitions to their committed offsets: %s",
                        ", ".join(f"{tp.topic}[{tp.partition}]" for tp in healed))  # fmt: skip

    @app.timer(settings.dedup_sweep_seconds)  # type: ignore[untyped-decorator]
    async def sweep_dedup_state() -> None:
        removed = deduplicator.sweep()
        if removed:
            log.info("dedup state: %d expired keys removed", removed)

    return app


class InOrder:
    """Queues records on a topic in the order ``send`` is called, however calls interleave.

    aiokafka's ``send`` may suspend before it appends the record to its batch: the first
    send to a topic whose metadata the producer lacks waits for it (and sleeps its 100 ms
    back-off when an update already in flight did not ask for that topic), and a full
    batch waits to drain. Meanwhile a later call that needs no wait appends first. Dedup
    decisions run one at a time, but their sends overlap (the dedup agent and the
    extraction actors deciding in-process), so without this a sighting decided after its
    story could reach ``news.articles`` ahead of it, same key and partition: its URL
    update then found no story and became a ``sighting_story_missing`` dead letter (seen
    with the first story of a fresh processor and its print copy). One lock, which asyncio
    grants in the order it was asked for, makes the appends follow the calls; Kafka keeps
    one producer's order on a partition. The wait for Kafka's acknowledgement, the
    returned awaitable, stays outside the lock.
    """

    def __init__(self, topic: Any) -> None:
        self.topic = topic
        self._lock = asyncio.Lock()

    async def send(self, *, key: bytes, value: bytes) -> Awaitable[Any]:
        # Callers decide and call this with nothing awaited between: a call that finds
        # the lock taken is queued behind the earlier decisions in this same step.
        async with self._lock:
            sent: Awaitable[Any] = await self.topic.send(key=key, value=value)
        return sent


@contextmanager
def _as_event_of(app: faust.App, tp: TP, local: bool) -> Iterator[None]:
    """Run a block as faust runs an event of ``tp`` (when ``local``).

    A faust Table takes the partition of each read and write from the current event: the
    changelog partition it sends to and the RocksDB it opens. A decision made in the
    extraction stage runs inside an event of ``news.raw`` (another topic, other partitions),
    so for that block the current event is one of the dedup topic's partition, as if the
    article had come through it. faust has no public setter for the current event (its
    streams set the context variable ``faust.streams._current_event`` per event); the
    integration tests (one worker deciding in-process, two sharing the work) check it.
    """
    if not local:
        yield
        return
    message = Message(tp.topic, tp.partition, -1, time.time(), 0, None, None, None, None)
    event = Event(app, None, None, None, message)
    token = faust_streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust_streams._current_event.reset(token)


def _unacked(stream: Any) -> Any:
    """The stream without faust's own acks (``Stream.noack``, missing from ``StreamT``)."""
    return stream.noack()


async def acknowledged(sent: Awaitable[Any]) -> None:
    """Wait until Kafka acknowledged a record ``Topic.send`` queued (its delivery future);
    a failed delivery raises, so the event is never acked and its offset never committed."""
    await sent


class StoreUnavailable(RuntimeError):
    """The configured dedup state store cannot be used: a start-up error, never a fallback."""


def _store(wanted: str) -> str:
    """The store URL as configured: RocksDB needs rocksdict (the `rocksdb` extra).

    No silent fallback to memory (issue 13, 3): a processor whose dedup state lives in
    memory rebuilds it from the changelog at every start, minutes to hours at volume.
    Memory tables only when asked for (``NEWSWIRE_PROCESSOR_STORE=memory://``).
    """
    if wanted.startswith("rocksdb"):
        try:
            import rocksdict  # noqa: F401
        except ImportError:
            raise StoreUnavailable(
                f"NEWSWIRE_PROCESSOR_STORE is {wanted} but rocksdict is not installed: install "
                "the `rocksdb` extra, or set NEWSWIRE_PROCESSOR_STORE=memory:// to keep the "
                "dedup state in memory (rebuilt from its changelog at every start)"
            ) from None
    return wanted


def _check_store_opens(table: Any, wanted: str) -> None:
    """Open and close the table's RocksDB once before joining the group.

    Otherwise a store that cannot open (the lock of another processor sharing the data
    directory, a read-only volume) crashes the worker only once partitions are assigned,
    mid-rebalance. One line, before any partition is taken.
    """
    if not wanted.startswith("rocksdb"):
        return
    store = table.data
    path = store.partition_path(0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        store.rocksdb_options.open(path).close()
    except Exception as exc:  # rocksdict raises plain Exception for a held lock
        reason = " ".join(str(exc).split())[:300]
        raise StoreUnavailable(
            f"cannot open the dedup state store at {path}: {reason} (is another processor "
            "using this NEWSWIRE_PROCESSOR_DATA_DIR? each needs its own)"
        ) from None
