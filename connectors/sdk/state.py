"""Source state (cursor + stats) kept in the compacted ``news.connector-state`` topic.

One message per save, keyed by source id; compaction keeps the latest per key, so a
restart reads back one state per source. The value is JSON: ``{"cursor": {...},
"stats": {...}}`` (the stats are ``SourceHealth``'s fields).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.producer.future import FutureRecordMetadata

log = logging.getLogger(__name__)


@dataclass
class SourceHealth:
    """A source's stats, saved with its cursor and shown by ``newswire sources status``.

    Times are epoch seconds (UTC).
    """

    polls: int = 0
    """Successful polls."""
    items: int = 0
    """New items produced to news.raw."""
    not_modified: int = 0
    """Polls that found the source unchanged (304, or the same body hash)."""
    errors: int = 0
    consecutive_failures: int = 0
    last_poll: float | None = None
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    fatal: bool = False
    """The last error said the source cannot work as configured."""
    failing: bool = False
    """Fatal, or ``failing_after`` failures in a row: someone should look at it."""
    interval: float | None = None
    """Seconds between polls the scheduler settled on after the last success."""
    rate: float | None = None
    """EWMA of new items per second (None until two polls were seen)."""
    next_due: float | None = None
    counters: dict[str, int] = field(default_factory=dict)
    """Any other counter a connector reports in ``Page.stats``."""

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its deep copy was a tenth of a 304 poll's cost.
        return {**self.__dict__, "counters": dict(self.counters)}

    @classmethod
    def restore(cls, saved: dict[str, Any]) -> SourceHealth:
        """Counters carry over a restart; a fatal source is tried again (its config may
        have been fixed since)."""
        known = {k: v for k, v in saved.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "fatal": False})


class StateStore(Protocol):
    """Where the runner keeps each source's state between runs."""

    def load_all(self) -> dict[str, dict[str, Any]]:
        """The latest state of every source that has one."""

    def send(self, source_id: str, state: dict[str, Any]) -> Any:
        """Start saving; return a future whose ``get(timeout)`` waits for durability."""


class KafkaStateStore:
    """Latest state per source id; the topic is compacted, so a replay reads one per key.

    ``producer`` is only needed to save; ``newswire status`` reads without one.
    """

    def __init__(
        self, producer: KafkaProducer | None, bootstrap: str | Mapping[str, Any], topic: str
    ) -> None:
        self.producer = producer
        # A bootstrap string, or the client options of wire.clients.kafka_client_config.
        self.client_config = (
            {"bootstrap_servers": bootstrap} if isinstance(bootstrap, str) else dict(bootstrap)
        )
        self.topic = topic

    def load_all(self) -> dict[str, dict[str, Any]]:
        consumer = KafkaConsumer(**self.client_config, enable_auto_commit=False, group_id=None)
        try:
            partitions = consumer.partitions_for_topic(self.topic) or set()
            tps = [TopicPartition(self.topic, p) for p in partitions]
            if not tps:
                return {}
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            end = consumer.end_offsets(tps)
            states: dict[str, dict[str, Any]] = {}
            # position() is None when the consumer has no offset: a TypeError, as before
            while any(consumer.position(tp) < end[tp] for tp in tps):  # type: ignore[operator]
                for records in consumer.poll(timeout_ms=1000).values():
                    for rec in records:
                        if rec.key is None:
                            continue
                        key = rec.key.decode()
                        if rec.value is None:
                            states.pop(key, None)
                            continue
                        state = _readable(key, rec.value)
                        if state is not None:  # else the last readable one stays
                            states[key] = state
            return states
        finally:
            consumer.close()

    def send(self, source_id: str, state: dict[str, Any]) -> FutureRecordMetadata:
        if self.producer is None:
            raise RuntimeError("this state store was opened read-only (no producer)")
        return self.producer.send(
            self.topic, key=source_id.encode(), value=json.dumps(state).encode()
        )

    def save(self, source_id: str, state: dict[str, Any]) -> None:
        """Write and wait for the acknowledgement."""
        self.send(source_id, state).get(timeout=30)


def _readable(key: str, value: bytes) -> dict[str, Any] | None:
    """The state if it has the shape the runner reads (a mapping whose ``cursor`` and
    ``stats`` are mappings), else None with a warning: a poison record on the topic must
    not stop the runner (docs/bad-inputs.md)."""
    try:
        state = json.loads(value)
    except ValueError:
        state = None
    if not isinstance(state, dict) or not all(
        isinstance(state.get(part) or {}, dict) for part in ("cursor", "stats")
    ):
        log.warning("ignoring unreadable state for %s", key)
        return None
    return state
