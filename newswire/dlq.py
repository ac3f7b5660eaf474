"""Reading and replaying the dead-letter topic.

Each letter goes back to the stage it came from (``newswire.dlq_plan.STAGES``): the processor's
extract stage (letters read from ``news.raw``) to ``news.raw``, its dedup stage (letters
read from ``<processor_group>-dedup``) to that topic, the indexer's to ``news.articles``;
a connector's letter only when its payload is a whole raw item within ``max_raw_bytes``
(refused bodies and skipped entries are not items: the source is retried by itself).

Progress is not a consumer group: the dead-letter topic is read from its beginning up
to where it ended when the run began, by assigned partitions, and nothing is committed
on it. What was replayed is remembered per letter id in ``<topic_dlq>.replayed``
(compacted; key: letter id; value: the highest offset per partition the replay covered),
written only after Kafka acknowledged the replayed records. So:

- letters a filter leaves out are never marked and stay for a later replay;
- a letter id already marked is not replayed again; letters with that id written after
  the mark (the item failed again) are new letters;
- within a run, letters sharing an id (one failure lettered twice after a crash or a
  re-poll) are re-driven once, with the latest payload;
- delivery is at least once: a crash between a chunk's acknowledgement and its marks
  re-sends that chunk next time (at most :data:`CHUNK_LETTERS` letters); the processor's
  dedup and the indexer's external versions make a re-sent item harmless.

Run one replay at a time: two concurrent runs may both re-drive the same letters.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from pydantic import ValidationError

from newswire.dlq_plan import (
    UNREADABLE,
    Seen,
    check_error,
    check_stage,
    plan,
    stage_of,
    target_of,
    why_not,
)
from wire.clients import kafka_client_config
from wire.models import DeadLetter, read_record, utcnow
from wire.settings import Settings

REPLAYED_SUFFIX = ".replayed"
CHUNK_LETTERS = 100  # letters acknowledged, then marked, together
CHUNK_BYTES = 32 * 1024 * 1024
ACK_TIMEOUT = 120.0  # seconds to wait for Kafka to acknowledge a chunk
STALL_TIMEOUT = 60.0  # seconds without a record before a read gives up


def replayed_topic(settings: Settings) -> str:
    """Where replay marks what it re-drove (derived, like the processor's topics)."""
    return settings.topic_dlq + REPLAYED_SUFFIX


# -- reading -------------------------------------------------------------------------


def _consumer(settings: Settings) -> KafkaConsumer:
    return KafkaConsumer(
        **kafka_client_config(settings),
        group_id=None,  # no group, no commits: progress is the marks topic
        enable_auto_commit=False,
        client_id="newswire-dlq",
        allow_auto_create_topics=False,  # the marks topic is made compacted, on first use
        max_partition_fetch_bytes=settings.max_raw_bytes + 2 * 1024 * 1024,
    )


def _records(
    consumer: KafkaConsumer,
    topic: str,
    span: dict[int, tuple[int, int]] | None = None,
) -> Iterator[ConsumerRecord]:
    """Records of ``topic`` from the beginning to its end when the read began (records
    written meanwhile wait for the next run); or, with ``span``, only the partitions
    named, from the first offset through the last one given."""
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        return
    tps = [TopicPartition(topic, p) for p in sorted(partitions) if span is None or p in span]
    if not tps:
        return
    consumer.assign(tps)
    consumer.resume(*tps)  # a partition paused by an earlier read of this consumer
    end = consumer.end_offsets(tps)
    consumer.seek_to_beginning(*tps)
    limit = dict(end)
    for tp in tps:
        if span is not None:
            first, last = span[tp.partition]
            consumer.seek(tp, first)
            limit[tp] = min(end[tp], last + 1)
    # position() is None when the consumer has no offset: a TypeError, as before
    left = {tp for tp in tps if consumer.position(tp) < limit[tp]}  # type: ignore[operator]
    heard = time.monotonic()
    while left:
        consumer.pause(*(set(tps) - left))
        polled = consumer.poll(timeout_ms=500)
        for tp, records in polled.items():
            for rec in records:
                if rec.offset < limit[tp]:
                    yield rec
        for tp in list(left):
            # position() is None when the consumer has no offset: a TypeError, as before
            if consumer.position(tp) >= limit[tp]:  # type: ignore[operator]
                left.discard(tp)
        if polled:
            heard = time.monotonic()
        elif time.monotonic() - heard > STALL_TIMEOUT:
            raise TimeoutError(f"reading {topic}: nothing arrived for {STALL_TIMEOUT:g}s")


def _letter(rec: ConsumerRecord, settings: Settings) -> DeadLetter:
    try:
        return read_record(DeadLetter, rec.value)
    except (ValidationError, ValueError) as exc:  # schema errors included
        return DeadLetter(
            stage="connector",
            error_class=UNREADABLE,
            message=f"this dead letter itself could not be read: {exc}"[:2000],
            payload=(rec.value or b"").decode("utf-8", "replace"),
            topic=settings.topic_dlq,
            partition=rec.partition,
            offset=rec.offset,
        )


def read_letters(settings: Settings) -> Iterator[DeadLetter]:
    """Every dead letter on the topic, oldest first within a partition."""
    consumer = _consumer(settings)
    try:
        for rec in _records(consumer, settings.topic_dlq):
            yield _letter(rec, settings)
    finally:
        consumer.close()


def read_marks(settings: Settings, consumer: KafkaConsumer) -> dict[str, dict[int, int]]:
    """Letter id → the highest DLQ offset per partition a replay already covered."""
    marks: dict[str, dict[int, int]] = {}
    for rec in _records(consumer, replayed_topic(settings)):
        if rec.key is None or rec.value is None:
            continue
        offsets = json.loads(rec.value).get("offsets", {})
        mine = marks.setdefault(rec.key.decode(), {})
        for p, o in offsets.items():
            mine[int(p)] = max(int(o), mine.get(int(p), -1))
    return marks


# -- replay ------------------------------------------------------------------------------


@dataclass
class ReplayResult:
    replayed: int = 0
    already: int = 0
    duplicates: int = 0
    not_replayable: int = 0
    filtered: int = 0
    by_stage_error: Counter[tuple[str, str]] = field(default_factory=Counter)
    keys: list[str] = field(default_factory=list)  # the first keys, for --dry-run


def scan(settings: Settings, consumer: KafkaConsumer) -> tuple[list[Seen], dict[str, Any]]:
    """First pass: every letter's id, stage, error and place; and the marks."""
    marks = read_marks(settings, consumer)
    seen = []
    for rec in _records(consumer, settings.topic_dlq):
        letter = _letter(rec, settings)
        stage = stage_of(letter, settings)
        seen.append(
            Seen(letter.id, stage, letter.error_class, letter.key, rec.partition, rec.offset,
                 why_not(letter, stage, settings))
        )  # fmt: skip
    return seen, marks


def replay(
    settings: Settings,
    *,
    stage: str | None = None,
    error_class: str | None = None,
    dry_run: bool = False,
    show: int = 10,
) -> ReplayResult:
    """Re-drive the letters not replayed yet (see the module's docstring)."""
    check_stage(stage)
    consumer = _consumer(settings)
    try:
        seen, marks = scan(settings, consumer)
        p = plan(seen, marks, stage, error_class)
        check_error(p, stage, error_class, settings.topic_dlq)
        result = ReplayResult(
            already=p.already,
            duplicates=p.duplicates,
            not_replayable=p.not_replayable,
            filtered=p.filtered,
        )
        chosen = sorted(p.replay.values(), key=lambda s: (s.partition, s.offset))
        for s in chosen:
            result.by_stage_error[(s.stage, s.error_class)] += 1
        result.keys = [s.key or s.id for s in chosen[:show]]
        if dry_run or not chosen:
            return result
        _ensure_marks_topic(settings)
        result.replayed = _send(settings, consumer, chosen, p.covers, marks)
        return result
    finally:
        consumer.close()


def _send(
    settings: Settings,
    consumer: KafkaConsumer,
    chosen: list[Seen],
    covers: dict[str, dict[int, int]],
    marks: dict[str, dict[int, int]],
) -> int:
    """Second pass: re-read the chosen letters, send them, then mark them, a chunk at a
    time; a letter is marked only once Kafka acknowledged its replayed record."""
    wanted = {(s.partition, s.offset): s for s in chosen}
    span: dict[int, tuple[int, int]] = {}
    for s in chosen:
        first, last = span.get(s.partition, (s.offset, s.offset))
        span[s.partition] = (min(first, s.offset), max(last, s.offset))
    producer = KafkaProducer(
        **kafka_client_config(settings),
        client_id="newswire-dlq-replay",
        allow_auto_create_topics=False,  # a missing target is an error, not a new topic
        acks="all",
        compression_type="gzip",
        max_request_size=settings.max_raw_bytes + 2 * 1024 * 1024,
    )
    sent = 0
    chunk: list[tuple[Seen, Any]] = []
    size = 0
    try:
        for rec in _records(consumer, settings.topic_dlq, span):
            pick = wanted.get((rec.partition, rec.offset))
            if pick is None:
                continue
            letter = _letter(rec, settings)
            value = letter.payload.encode("utf-8")
            key = letter.key.encode("utf-8") if letter.key is not None else None
            target = target_of(pick.stage, settings)
            chunk.append((pick, producer.send(target, key=key, value=value)))
            size += len(value)
            if len(chunk) >= CHUNK_LETTERS or size >= CHUNK_BYTES:
                sent += _settle(settings, producer, chunk, covers, marks)
                chunk, size = [], 0
        if chunk:
            sent += _settle(settings, producer, chunk, covers, marks)
    finally:
        producer.close()
    return sent


def _settle(
    settings: Settings,
    producer: KafkaProducer,
    chunk: list[tuple[Seen, Any]],
    covers: dict[str, dict[int, int]],
    marks: dict[str, dict[int, int]],
) -> int:
    producer.flush(timeout=ACK_TIMEOUT)
    for _, future in chunk:
        future.get(timeout=ACK_TIMEOUT)  # raises when Kafka refused: nothing is marked
    now = utcnow().isoformat()
    acks = []
    for s, _ in chunk:
        merged = dict(marks.get(s.id, {}))
        for p, o in covers[s.id].items():
            merged[p] = max(o, merged.get(p, -1))
        marks[s.id] = merged
        value = {
            "stage": s.stage,
            "error_class": s.error_class,
            "key": s.key,
            "offsets": {str(p): o for p, o in merged.items()},
            "replayed_at": now,
        }
        acks.append(
            producer.send(
                replayed_topic(settings), key=s.id.encode(), value=json.dumps(value).encode()
            )
        )
    producer.flush(timeout=ACK_TIMEOUT)
    for future in acks:
        future.get(timeout=ACK_TIMEOUT)
    return len(chunk)


def _ensure_marks_topic(settings: Settings) -> None:
    """The marks topic: compacted, one partition (the latest mark per letter id)."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    from newswire.kafka import admin_client

    name = replayed_topic(settings)
    admin = admin_client(settings)
    try:
        if name in admin.list_topics():
            return
        spec = NewTopic(
            name, 1, settings.topic_replication, topic_configs={"cleanup.policy": "compact"}
        )
        # Made meanwhile by another replay: fine. The producer waits for its metadata.
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([spec], timeout_ms=30000)
    finally:
        admin.close()
