"""The indexer role: ``news.articles`` → Elasticsearch, at least once, never regressing.

A dedicated kafka-python consumer rather than a faust agent: the one rule that matters
here is "commit offsets only after Elasticsearch acknowledged", and an explicit
poll → bulk → commit loop states it plainly. Failures are classified per item: version
conflicts are done, 429/5xx and an unreachable cluster are retried with backoff while
the partitions are paused (nothing new is consumed, nothing is lost), mapping and
parsing errors go to the dead-letter topic with Elasticsearch's reason.

Kafka outages: the offset commit after each batch retries with backoff (partitions
paused) for up to ``index_commit_retry_seconds`` and the loop resumes by itself when
the broker is back; only past that bound does ``run`` raise, so the role exits
non-zero instead of hanging. A commit refused because the group rebalanced meanwhile
is given up: the partition's new owner starts from the last commit, and indexing the
same versions again changes nothing.

Refreshes: the indexer, not Elasticsearch's 1 s interval, decides when the indices it
wrote are refreshed (``pipeline.index.refresh``): at once after a quiet second, at most
once a second per index, and in a backlog a little later in proportion to the stories' age.
The refresh requests run on a thread of their own, beside the bulks; a stopping indexer
refreshes everything it wrote before it exits.

Pipelined: one bulk request is in flight on a worker thread while the consumer thread
polls, parses and serializes the next batch, so Elasticsearch and Python work at the
same time. Each batch commits its own offsets (explicitly, in order) once it is
settled; the batch still in flight is never covered by a commit. A bulk is sent at most
every ``index_linger_seconds``: under load the stories that come meanwhile wait for the
next one (a story after a quiet spell goes at once), so a burst is written in bulks of
several stories instead of one each (Elasticsearch's CPU per story falls, and so do the
offset commits and same-event multi-search requests: issue 16). Polled stories not yet in
a bulk are never committed either.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from elastic_transport import ConnectionError as EsConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from pipeline.index.alerts import AlertHook
from pipeline.index.events import EventGrouper
from pipeline.index.refresh import RefreshPlan
from pipeline.index.writer import BulkOutcome, Writer
from wire.clients import kafka_client_config
from wire.metrics import (
    BULK_DURATION,
    BULK_REJECTED,
    DEAD_LETTERS,
    FRESHNESS,
    INDEXED,
    REFRESHES,
    STAGE_DURATION,
    STAGE_IN,
    STAGE_OUT,
    error_class,
)
from wire.models import Article, DeadLetter, read_record
from wire.settings import Settings

log = logging.getLogger(__name__)


class Indexer:
    def __init__(
        self, settings: Settings, writer: Writer | None = None, alerts: AlertHook | None = None
    ) -> None:
        self.settings = settings
        self.writer = writer or Writer(settings)
        self.alerts = alerts  # percolates each acknowledged bulk (pipeline.index.alerts)
        self.events: EventGrouper | None = None  # same-event story_id before each bulk
        self._stop = threading.Event()
        self.indexed = 0
        self.dead_letters = 0
        self.assigned = 0  # partitions the group gave us, for the readiness check
        self.refreshes = RefreshPlan()  # when to refresh what it wrote (pipeline.index.refresh)
        self._refresh_failed: list[list[str]] = []  # from the refresh thread, under the lock
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._stop.set()

    def _create_current_index(self) -> None:
        try:
            if created := self.writer.create_current_index():
                log.info("created %s ahead of its first story", created)
        except Exception as exc:  # a head start only: the first bulk creates it otherwise
            log.warning("could not create this year's index ahead of its first story: %s", exc)

    def run(self) -> None:
        s = self.settings
        # this year's index, while the first stories are still being fetched and extracted
        threading.Thread(
            target=self._create_current_index, name="indexer-index", daemon=True
        ).start()
        consumer = KafkaConsumer(
            s.topic_articles,
            **kafka_client_config(s),
            group_id=s.indexer_group,
            client_id="newswire-indexer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=s.index_batch_size,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=s.max_raw_bytes + 1024 * 1024,
        )
        dlq = KafkaProducer(
            **kafka_client_config(s),
            client_id="newswire-indexer-dlq",
            acks="all",
            compression_type="gzip",
            max_request_size=s.max_raw_bytes + 2 * 1024 * 1024,
        )
        sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexer-bulk")
        # beside the bulks, not behind them: the next bulk need not wait for a refresh
        refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexer-refresh")
        inflight: _Batch | None = None  # sent to Elasticsearch, not yet settled
        waiting: list[ConsumerRecord] = []  # polled, in no bulk yet
        next_bulk = 0.0  # monotonic time before which a bulk waits for more stories
        try:
            while not self._stop.is_set():
                if waiting:  # gather more until the linger ends
                    timeout = max(0.0, next_bulk - time.monotonic())
                    timeout_ms = min(int(timeout * 1000), self._poll_timeout_ms())
                else:
                    timeout_ms = 0 if inflight else self._poll_timeout_ms()
                polled = consumer.poll(
                    timeout_ms=timeout_ms, max_records=max(1, s.index_batch_size - len(waiting))
                )
                self.assigned = len(consumer.assignment())
                waiting.extend(rec for batch in polled.values() for rec in batch)
                now = time.monotonic()
                if waiting and (now >= next_bulk or len(waiting) >= s.index_batch_size):
                    for chunk in by_bytes(waiting, s.index_batch_bytes):
                        batch = self._prepare(chunk, dlq)  # while the previous bulk is in flight
                        if inflight is not None:
                            self._finish(inflight, consumer, dlq)
                        batch.future = sender.submit(self._send, batch.operations)
                        inflight = batch
                    waiting = []
                    next_bulk = now + s.index_linger_seconds
                elif inflight is not None and (not waiting or inflight.done()):
                    self._finish(inflight, consumer, dlq)  # settled: commit it, plan refreshes
                    inflight = None
                self._refresh_due(refresher)
            if inflight is not None:  # stopping: settle and commit what was sent
                self._finish(inflight, consumer, dlq)
            self._refresh_due(refresher, everything=True)
        except _Stopped:
            pass  # not committed: the batch is consumed again after restart
        finally:
            sender.shutdown(wait=True)
            refresher.shutdown(wait=True)  # each refresh is one try of at most 10 s
            if self.alerts is not None:
                self.alerts.close()
            consumer.close(autocommit=False)
            dlq.close()

    def _send(self, operations: list[dict[str, Any] | bytes]) -> BulkOutcome:
        with BULK_DURATION.time():
            return self.writer.send(operations)

    def _poll_timeout_ms(self) -> int:
        """The batch wait, or less when a refresh falls due before it ends."""
        wait = self.settings.index_batch_seconds
        if (due := self.refreshes.next_due()) is not None:
            wait = min(wait, max(0.0, due - time.monotonic()))
        return int(wait * 1000)

    def _written(self, batch: _Batch) -> None:
        """Tell the refresh plan which indices the settled batch wrote, and how old the
        youngest story written to each is (from ``fetched_at``)."""
        now = time.time()
        ages: dict[str, float] = {}
        for (_, article), action in zip(batch.pending, batch.operations[::2], strict=True):
            assert isinstance(action, dict)  # action lines are mappings, sources bytes or docs
            (meta,) = action.values()
            born = article.fetched_at or article.processed_at
            ages[meta["_index"]] = min(ages.get(meta["_index"], math.inf), now - born.timestamp())
        self.refreshes.written(ages, time.monotonic())

    def _refresh_due(self, refresher: ThreadPoolExecutor, everything: bool = False) -> None:
        """Send the refreshes that are due (all waiting ones when stopping)."""
        now = time.monotonic()
        with self._lock:
            failed, self._refresh_failed = self._refresh_failed, []
        for indices in failed:
            self.refreshes.failed(indices, now)
        indices = self.refreshes.due(now, everything)
        if indices:
            refresher.submit(self._refresh, indices)

    def _refresh(self, indices: list[str]) -> None:
        try:
            self.writer.refresh(indices)
        except (TransportError, ApiError) as exc:
            # searchable later (the next try, else the template's backstop interval)
            REFRESHES.labels("failed").inc()
            log.warning("indexer: refresh of %s failed, tried again: %s", ",".join(indices), exc)
            with self._lock:
                self._refresh_failed.append(indices)
        else:
            REFRESHES.labels("ok").inc()

    def _prepare(self, records: list[ConsumerRecord], dlq: KafkaProducer) -> _Batch:
        STAGE_IN.labels("index").inc(len(records))
        pending: list[tuple[ConsumerRecord, Article]] = []
        for rec in records:
            try:
                pending.append((rec, read_record(Article, rec.value)))  # schema checked
            except (ValidationError, ValueError, TypeError) as exc:
                self._dead_letter(dlq, rec, exc)
        if self.events is not None:  # story_id from the indexed stories (pipeline.index.events)
            self.events.assign([a for _, a in pending])
        operations = self.writer.prepare([a for _, a in pending])
        return _Batch(pending, operations, _next_offsets(records), started=time.monotonic())

    def _finish(self, batch: _Batch, consumer: KafkaConsumer, dlq: KafkaProducer) -> None:
        self._settle(batch, consumer, dlq)
        self._written(batch)
        if batch.pending:  # the batch's time per document, from parsing to settled
            per_doc = (time.monotonic() - batch.started) / len(batch.pending)
            for _ in batch.pending:
                STAGE_DURATION.labels("index").observe(per_doc)
        dlq.flush()
        # Only now, and only this batch's offsets: everything up to them is in
        # Elasticsearch or the dead-letter topic.
        self._commit(consumer, batch.offsets)

    def _commit(
        self, consumer: KafkaConsumer, offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> None:
        """Commit, retrying through a Kafka outage for up to ``index_commit_retry_seconds``."""
        deadline = time.monotonic() + self.settings.index_commit_retry_seconds
        attempt = 0
        while True:
            try:
                consumer.commit(offsets)
                if attempt:
                    log.warning("indexer: offsets committed again after %d retries", attempt)
                return
            except CommitFailedError as exc:  # rebalanced: these partitions moved on
                # The new owner re-indexes from the last commit, which changes nothing.
                log.warning("indexer: commit refused after a rebalance: %s", exc)
                return
            except KafkaError as exc:
                if time.monotonic() >= deadline:
                    raise
                attempt += 1
                self._wait(consumer, attempt, f"offset commit failed ({type(exc).__name__}: {exc})")

    def _settle(self, batch: _Batch, consumer: KafkaConsumer, dlq: KafkaProducer) -> None:
        """Wait for the batch's bulk request; retry or dead-letter item by item."""
        pending, future = batch.pending, batch.future
        attempt = 0
        while pending:
            try:
                outcome = future.result() if future else self.writer.bulk([a for _, a in pending])
            except (EsConnectionError, ConnectionTimeout, ApiError) as exc:
                status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
                if isinstance(exc, ApiError) and status not in (429, 500, 502, 503, 504):
                    for rec, _ in pending:
                        self._dead_letter(dlq, rec, exc)
                    return
                future = None
                attempt += 1
                self._wait(consumer, attempt, f"Elasticsearch unavailable ({exc})")
                continue
            future = None
            self._count(pending, outcome)
            for i, reason in outcome.rejected:
                self._dead_letter(dlq, pending[i][0], MappingRejected(reason))
            pending = [pending[i] for i in outcome.retry]
            if pending:
                attempt += 1
                self._wait(consumer, attempt, f"{len(pending)} items asked to retry")

    def _count(self, pending: list[tuple[ConsumerRecord, Article]], outcome: BulkOutcome) -> None:
        self.indexed += len(outcome.done)
        INDEXED.inc(len(outcome.done))
        STAGE_OUT.labels("index").inc(len(outcome.done))
        now = time.time()
        for i in outcome.done:
            fetched = pending[i][1].fetched_at
            if fetched is not None:
                FRESHNESS.observe(max(0.0, now - fetched.timestamp()))
        if self.alerts is not None:  # Elasticsearch acknowledged these: alerts may fire
            self.alerts.indexed([a for i in outcome.done if not (a := pending[i][1]).merged_into])
        for _, reason in outcome.rejected:
            BULK_REJECTED.labels(reason.split(":", 1)[0]).inc()
        if outcome.retry:
            BULK_REJECTED.labels("retry").inc(len(outcome.retry))

    def _wait(self, consumer: KafkaConsumer, attempt: int, why: str) -> None:
        """Back off with the partitions paused: the group membership stays alive."""
        delay = min(30.0, 0.5 * 2 ** min(attempt, 6)) * random.uniform(0.8, 1.2)
        log.warning("indexer: %s; retry %d in %.1fs", why, attempt, delay)
        assigned = list(consumer.assignment())
        consumer.pause(*assigned)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not self._stop.is_set():
            consumer.poll(timeout_ms=200)  # returns nothing while paused; keeps us in the group
        consumer.resume(*assigned)
        if self._stop.is_set():
            raise _Stopped

    def _dead_letter(self, dlq: KafkaProducer, rec: ConsumerRecord, exc: BaseException) -> None:
        self.dead_letters += 1
        DEAD_LETTERS.labels("index", error_class(exc)).inc()
        key = rec.key.decode("utf-8", "replace") if rec.key else None
        log.warning(
            "indexer dead letter for %s: %s", key, exc, extra={"story": key, "stage": "index"}
        )
        letter = DeadLetter.for_error(
            "indexer",
            exc,
            rec.value,
            topic=rec.topic,
            key=key,
            partition=rec.partition,
            offset=rec.offset,
        )
        dlq.send(self.settings.topic_dlq, key=rec.key, value=letter.to_json_bytes())


def by_bytes(records: list[ConsumerRecord], cap: int) -> list[list[ConsumerRecord]]:
    """Split a poll into bulk requests of at most ``cap`` bytes (one record at least)."""
    chunks: list[list[ConsumerRecord]] = [[]]
    size = 0
    for rec in records:
        length = len(rec.value or b"")
        if chunks[-1] and size + length > cap:
            chunks.append([])
            size = 0
        chunks[-1].append(rec)
        size += length
    return [c for c in chunks if c]


@dataclass
class _Batch:
    pending: list[tuple[ConsumerRecord, Article]]
    operations: list[dict[str, Any] | bytes]
    offsets: dict[TopicPartition, OffsetAndMetadata]  # next offset of each partition
    future: Future[BulkOutcome] | None = None
    started: float = 0.0  # time.monotonic() when it was prepared

    def done(self) -> bool:
        """Its bulk request has answered (or it has none to wait for)."""
        return self.future is None or self.future.done()


def _next_offsets(records: list[ConsumerRecord]) -> dict[TopicPartition, OffsetAndMetadata]:
    offsets: dict[TopicPartition, OffsetAndMetadata] = {}
    for rec in records:  # in offset order within a partition: the last one wins
        tp = TopicPartition(rec.topic, rec.partition)
        # the stub wants an int, kafka-python takes None (its own admin client passes it)
        offsets[tp] = OffsetAndMetadata(rec.offset + 1, "", rec.leader_epoch)  # type: ignore[arg-type]
    return offsets


class _Stopped(Exception):
    pass


class MappingRejected(ValueError):
    """Elasticsearch refused the document (mapping or parsing error)."""
