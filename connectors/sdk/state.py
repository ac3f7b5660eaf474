"""Source state (cursor + stats) kept in the compacted ``news.connector-state`` topic."""

from __future__ import annotations

import json
import logging
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

log = logging.getLogger(__name__)


class KafkaStateStore:
    """Latest state per source id; the topic is compacted, so a replay reads one per key."""

    def __init__(self, producer: KafkaProducer, bootstrap: str, topic: str) -> None:
        self.producer = producer
        self.bootstrap = bootstrap
        self.topic = topic

    def load_all(self) -> dict[str, dict[str, Any]]:
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None
        )
        try:
            partitions = consumer.partitions_for_topic(self.topic) or set()
            tps = [TopicPartition(self.topic, p) for p in partitions]
            if not tps:
                return {}
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            end = consumer.end_offsets(tps)
            states: dict[str, dict[str, Any]] = {}
            while any(consumer.position(tp) < end[tp] for tp in tps):
                for records in consumer.poll(timeout_ms=1000).values():
                    for rec in records:
                        if rec.key is None:
                            continue
                        key = rec.key.decode()
                        if rec.value is None:
                            states.pop(key, None)
                            continue
                        try:
                            states[key] = json.loads(rec.value)
                        except ValueError:
                            log.warning("ignoring unreadable state for %s", key)
            return states
        finally:
            consumer.close()

    def save(self, source_id: str, state: dict[str, Any]) -> None:
        """Write and wait for the acknowledgement: the caller's items are already acked."""
        self.producer.send(
            self.topic, key=source_id.encode(), value=json.dumps(state).encode()
        ).get(timeout=30)
