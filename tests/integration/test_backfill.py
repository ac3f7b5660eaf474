"""``newswire backfill warc`` through the real runner into Kafka, and resuming after a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from warcio.archiveiterator import ArchiveIterator

from connectors.sdk.state import KafkaStateStore
from newswire.kafka import ensure_topics
from tests.support.warcs import news, write_warc
from wire.settings import Settings

pytestmark = pytest.mark.integration


def _backfill(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "newswire", "backfill", "warc", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _raw(env: dict[str, str]) -> list[dict[str, Any]]:
    """Every message of the namespace's raw topic, read from the start."""
    topic = env["NEWSWIRE_TOPIC_RAW"]
    consumer = KafkaConsumer(bootstrap_servers=Settings().kafka_bootstrap, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        out: list[dict[str, Any]] = []
        # position() is None when the consumer has no offset: a TypeError, as before
        while any(consumer.position(tp) < end[tp] for tp in partitions):  # type: ignore[operator]
            for records in consumer.poll(timeout_ms=1000).values():
                out += [json.loads(r.value) | {"_key": r.key.decode()} for r in records]
        return out
    finally:
        consumer.close()


def test_backfill_produces_once_and_resumes(tmp_path: Path, namespace: dict[str, str]) -> None:
    first = write_warc(tmp_path / "CC-NEWS-1.warc.gz", news(3))
    second = write_warc(tmp_path / "CC-NEWS-2.warc", news(2, start=3), gzip=False)

    done = _backfill(namespace, str(first), "--source-id", "cc", "--batch", "2")
    assert "3 stories" in done.stderr
    raw = _raw(namespace)
    assert sorted(m["_key"] for m in raw) == [f"https://steppe.example/news/{i}" for i in range(3)]
    assert all(m["backfill"] is True and m["source"]["id"] == "cc" for m in raw)
    assert all(m["fetched_at"].startswith("2024-05-0") and "Herat story" in m["html"] for m in raw)

    # A restart reads the saved cursor: nothing is produced twice...
    assert "0 stories" in _backfill(namespace, str(first), "--source-id", "cc").stderr
    assert len(_raw(namespace)) == 3
    # ...and a file added to the list is read from its start.
    _backfill(namespace, str(first), str(second), "--source-id", "cc")
    keys = [m["_key"] for m in _raw(namespace)]
    assert sorted(keys) == [f"https://steppe.example/news/{i}" for i in range(5)]


def test_a_restart_in_the_middle_of_a_file_goes_on_at_the_next_record(
    tmp_path: Path, namespace: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    warc = write_warc(tmp_path / "mid.warc.gz", news(4, start=10))
    with warc.open("rb") as fh:
        archive = ArchiveIterator(fh)
        offsets = [archive.get_record_offset() for _ in archive]
    # The state a run stopped after the second story (records 0-5) would have left.
    for name, value in namespace.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    ensure_topics(settings)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        store = KafkaStateStore(producer, settings.kafka_bootstrap, settings.topic_state)
        cursor = {"file": 0, "name": str(warc), "offset": offsets[6]}
        store.save("mid", {"cursor": cursor, "stats": {}})
    finally:
        producer.close()

    _backfill(namespace, str(warc), "--source-id", "mid")
    keys = sorted(m["_key"] for m in _raw(namespace))
    assert keys == ["https://steppe.example/news/12", "https://steppe.example/news/13"]
