"""Reading the outcome: stories in Elasticsearch, letters on the dead-letter topic, lag."""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, TopicPartition

from newswire.kafka import LagProbe
from tests.chaos.ledger import Doc, Letter, body_hash
from wire.clients import elasticsearch_client_options, kafka_client_config
from wire.settings import Settings

log = logging.getLogger(__name__)

MAX_DOCS = 10_000  # one search: the suite serves a few thousand URLs at most


class Probe:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.es = Elasticsearch(**elasticsearch_client_options(settings), request_timeout=20)
        self._lag: LagProbe | None = None

    def docs(self, bodies: bool = False) -> list[Doc] | None:
        """Every story of the namespace (None while Elasticsearch does not answer)."""
        fields = ["url", "urls", *(["body"] if bodies else [])]
        alias = self.settings.index_alias
        try:
            self.es.options(ignore_status=404).indices.refresh(index=alias)
            resp = self.es.options(ignore_status=404).search(
                index=alias, size=MAX_DOCS, source_includes=fields, query={"match_all": {}}
            )
            return [
                Doc(
                    hit["_id"],
                    hit["_source"].get("url", ""),
                    tuple(hit["_source"].get("urls") or ()),
                    body_hash(hit["_source"].get("body")) if bodies else "",
                )
                for hit in resp.get("hits", {}).get("hits", [])
            ]
        except Exception as exc:  # down during a fault: look again later
            log.debug("docs: %s", exc)
            return None

    def letters(self) -> list[Letter] | None:
        """Every letter on the namespace's dead-letter topic (None while Kafka is down)."""
        return read_topic(self.settings, self.settings.topic_dlq, _letter)

    def lag(self) -> int | None:
        s = self.settings
        try:
            if self._lag is None:
                self._lag = LagProbe(s)
            return sum(
                self._lag.lag(group, topic)
                for group, topic in (
                    (s.processor_group, s.topic_raw),
                    (s.processor_group, s.topic_dedup),
                    (s.indexer_group, s.topic_articles),
                )
            )
        except Exception as exc:
            log.debug("lag: %s", exc)
            self.close_lag()
            return None

    def close_lag(self) -> None:
        if self._lag is not None:
            with contextlib.suppress(Exception):
                self._lag.close()
            self._lag = None

    def close(self) -> None:
        self.close_lag()
        self.es.close()


def _letter(key: bytes | None, value: bytes | None) -> Letter:
    try:
        data = json.loads(value or b"{}")
    except ValueError:
        data = {}
    return Letter(
        key=key.decode("utf-8", "replace") if key else None,
        stage=str(data.get("stage", "?")),
        error_class=str(data.get("error_class", "?")),
        payload=str(data.get("payload", "")),
    )


def read_topic(settings: Settings, topic: str, decode: Any) -> list[Any] | None:
    """Every record of ``topic`` from the beginning to its end now, decoded."""
    try:
        consumer = KafkaConsumer(
            **kafka_client_config(settings),
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=15000,
            max_partition_fetch_bytes=settings.max_raw_bytes + 1024 * 1024,
        )
    except Exception as exc:
        log.debug("read_topic: %s", exc)
        return None
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        out: list[Any] = []
        while any((consumer.position(tp) or 0) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=1000).values():
                out.extend(decode(r.key, r.value) for r in records)
        return out
    except Exception as exc:
        log.debug("read_topic: %s", exc)
        return None
    finally:
        consumer.close()
