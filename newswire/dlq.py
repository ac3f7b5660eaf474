"""Reading and replaying the dead-letter topic.

Replay sends each letter's original payload back to the topic its stage reads from
(processor → ``news.raw``, indexer → ``news.articles``). A consumer group remembers how
far replay got, so running it twice does not send the same letters twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from pydantic import ValidationError

from wire.clients import kafka_client_config
from wire.models import DeadLetter
from wire.settings import Settings

REPLAY_GROUP_SUFFIX = "-dlq-replay"


def read_letters(settings: Settings, consumer: KafkaConsumer | None = None) -> Iterator[DeadLetter]:
    """Every dead letter from the start of the topic (or the group's position)."""
    own = consumer is None
    consumer = consumer or KafkaConsumer(
        settings.topic_dlq,
        **kafka_client_config(settings),
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    try:
        for message in consumer:
            try:
                yield DeadLetter.model_validate_json(message.value)
            except (ValidationError, ValueError):
                yield DeadLetter(
                    stage="connector",
                    error_class="UnreadableDeadLetter",
                    message="this dead letter itself could not be parsed",
                    payload=message.value.decode("utf-8", "replace"),
                    topic=settings.topic_dlq,
                    offset=message.offset,
                )
    finally:
        if own:
            consumer.close()


@dataclass
class ReplayResult:
    replayed: int = 0
    skipped: int = 0


def replay(
    settings: Settings, *, stage: str | None = None, error_class: str | None = None
) -> ReplayResult:
    targets = {"processor": settings.topic_raw, "indexer": settings.topic_articles}
    consumer = KafkaConsumer(
        settings.topic_dlq,
        **kafka_client_config(settings),
        auto_offset_reset="earliest",
        group_id=settings.processor_group + REPLAY_GROUP_SUFFIX,
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    producer = KafkaProducer(
        **kafka_client_config(settings),
        acks="all",
        max_request_size=settings.max_raw_bytes + 2 * 1024 * 1024,
    )
    result = ReplayResult()
    try:
        for letter in read_letters(settings, consumer):
            target = targets.get(letter.stage)
            wanted = (stage is None or letter.stage == stage) and (
                error_class is None or letter.error_class == error_class
            )
            if not wanted or target is None:
                result.skipped += 1
                continue
            key = letter.key.encode() if letter.key else None
            producer.send(target, key=key, value=letter.payload.encode("utf-8"))
            result.replayed += 1
        producer.flush()
        consumer.commit()
    finally:
        producer.close()
        consumer.close()
    return result
