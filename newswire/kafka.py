"""Kafka plumbing shared by every role: topic creation and producer/consumer settings."""

from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from wire.clients import kafka_client_config
from wire.settings import Settings

log = logging.getLogger(__name__)


def topic_specs(settings: Settings) -> list[NewTopic]:
    """The four topics of the contract; connector state is compacted (latest cursor per feed)."""
    n, rf = settings.topic_partitions, settings.topic_replication
    big = {"max.message.bytes": str(settings.max_raw_bytes + 1024 * 1024)}
    return [
        NewTopic(settings.topic_raw, n, rf, topic_configs={**big, "compression.type": "producer"}),
        NewTopic(settings.topic_articles, n, rf, topic_configs=big),
        NewTopic(settings.topic_dlq, n, rf, topic_configs={**big, "retention.ms": "-1"}),
        NewTopic(
            settings.topic_state,
            1,
            rf,
            topic_configs={"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"},
        ),
    ]


def admin_client(settings: Settings, timeout: float = 60.0) -> KafkaAdminClient:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return KafkaAdminClient(**kafka_client_config(settings), client_id="newswire-admin")
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def ensure_topics(settings: Settings) -> list[str]:
    """Create missing topics; existing ones are left as they are. Returns those created."""
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topic_specs(settings) if t.name not in existing]
        if not missing:
            return []
        try:
            admin.create_topics(missing, timeout_ms=30000)
        except TopicAlreadyExistsError:
            pass  # another worker won the race
        except KafkaError as exc:
            # create_topics raises on the first failing topic; re-check what exists.
            log.warning("topic creation reported %s", exc)
        _wait_for_topics(admin, [t.name for t in missing])
        return [t.name for t in missing]
    finally:
        admin.close()


def _wait_for_topics(admin: KafkaAdminClient, names: list[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(names) <= set(admin.list_topics()):
            return
        time.sleep(0.3)
    raise RuntimeError(f"topics not visible after {timeout}s: {names}")


class LagProbe:
    """How far consumer groups are behind, with clients kept open between checks."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaConsumer

        self.admin = admin_client(settings, timeout=10)
        self.consumer = KafkaConsumer(
            **kafka_client_config(settings), group_id=None, enable_auto_commit=False
        )

    def lag(self, group: str, topic: str) -> int:
        """Messages of ``topic`` not yet committed by ``group``."""
        from kafka import TopicPartition

        partitions = self.consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        end = self.consumer.end_offsets(tps)
        committed = self.admin.list_group_offsets({group: tps}).get(group, {})
        lag = 0
        for tp in tps:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag += max(0, end[tp] - done)
        return lag

    def close(self) -> None:
        self.consumer.close()
        self.admin.close()
