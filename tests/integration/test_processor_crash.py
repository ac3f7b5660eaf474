"""Issue 13, finding 7: a processor stopped or killed mid-stream never commits an item
without its result. Raw items (slow pages, so some are always inside an extraction
process) go through a processor that is stopped with SIGTERM mid-stream, a second one
killed with -9 mid-stream, and a third that finishes: every raw item must end as an
article or a dead letter (repeats are allowed: delivery is at least once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from tests.integration.test_roles import _start
from tests.support.settings import settings_from_env
from tests.support.site import make_stories
from wire.models import RawItem, SourceRef
from wire.settings import Settings
from wire.urls import normalize_url

pytestmark = pytest.mark.integration

BASE = "https://steppe.example"
ITEMS = 100
FILLER = "".join(
    f"<p>Paragraph {i} of the council's long report on the river basin, the treaty, the "
    f"dam at Kamal Khan and the quotas for the dry season, as read out on day {i}.</p>"
    for i in range(4000)
)


def _values(settings: Settings, topic: str) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
        group_id=None, consumer_timeout_ms=500,
    )  # fmt: skip
    values = [json.loads(m.value) for m in consumer]
    consumer.close()
    return values


def _keys(settings: Settings, topic: str, field: str) -> list[str]:
    return [v[field] for v in _values(settings, topic) if v.get(field)]


def _accounted(settings: Settings) -> set[str]:
    return set(_keys(settings, settings.topic_articles, "url")) | set(
        _keys(settings, settings.topic_dlq, "key")
    )


def _wait_for(settings: Settings, count: int, proc: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the processor died"
        if len(_accounted(settings)) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"fewer than {count} results after {limit}s")


def _produce(settings: Settings, env: dict[str, str]) -> set[str]:
    """Set up the namespace and put ITEMS slow raw items on news.raw; their story URLs."""
    subprocess.run([sys.executable, "-m", "newswire", "setup"], env={**os.environ, **env},
                   check=True, capture_output=True)  # fmt: skip
    wanted: set[str] = set()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    source = SourceRef(id="steppe", name="Steppe Courier", connector="rss")
    for story in make_stories(ITEMS):
        url = f"{BASE}/news/{story.slug}"
        html = story.html(BASE).replace("</body>", FILLER + "</body>")
        raw = RawItem(key=url, url=url, source=source, html=html)
        producer.send(settings.topic_raw, key=url.encode(), value=raw.to_json_bytes())
        wanted.add(normalize_url(url))
    producer.flush()
    producer.close()
    return wanted


def test_no_item_committed_without_its_result(tmp_path: Path, namespace: dict[str, str]) -> None:
    env = {**namespace, "NEWSWIRE_PROCESSOR_INSTANCE_ID": "crash-0"}
    settings = settings_from_env(env)
    wanted = _produce(settings, env)

    first = _start("processor", env, tmp_path / "p1.log")
    _wait_for(settings, 5, first, 180)
    first.send_signal(signal.SIGTERM)  # graceful: actors cancelled with pages in flight
    assert first.wait(timeout=60) == 0, (tmp_path / "p1.log").read_text()[-3000:]

    second = _start("processor", env, tmp_path / "p2.log")
    done = len(_accounted(settings))
    assert done < ITEMS - 10, f"the first processor got through {done} items: make pages slower"
    _wait_for(settings, min(done + 5, ITEMS - 5), second, 180)
    second.kill()  # kill -9 mid-stream
    second.wait(timeout=30)

    third = _start("processor", env, tmp_path / "p3.log")
    restarted = time.monotonic()
    try:
        deadline = restarted + 240
        while time.monotonic() < deadline and not wanted <= _accounted(settings):
            assert third.poll() is None, (tmp_path / "p3.log").read_text()[-3000:]
            time.sleep(1)
    finally:
        third.send_signal(signal.SIGTERM)
        third.wait(timeout=60)
    missing = wanted - _accounted(settings)
    assert not missing, f"{len(missing)} raw items committed with no article or dead letter"
    print(f"after kill -9: all {ITEMS} items accounted {time.monotonic() - restarted:.0f}s "
          "after the replacement started")  # fmt: skip


@pytest.mark.parametrize("local", [False, True], ids=["through-topic", "in-process"])
def test_a_result_kafka_refuses_is_a_dead_letter_not_a_commit(
    tmp_path: Path, namespace: dict[str, str], local: bool
) -> None:
    """A topic refuses every result (its max.message.bytes is 1,000 bytes). faust used to
    ack the event with its send still pending: the send failed, the offset was committed,
    and the item had neither article nor dead letter. Now the event is acked only after
    Kafka acknowledged its result, and a refused result becomes a dead letter. Through the
    topic the internal dedup topic refuses the articles (an extraction dead letter, keyed
    by the raw item); in-process the articles topic refuses the stories (a dedup dead
    letter holding the article)."""
    settings = settings_from_env(namespace)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    tiny = {"max.message.bytes": "1000"}
    refusing = settings.topic_articles if local else settings.topic_dedup
    admin.create_topics([NewTopic(refusing, 1, 1, topic_configs=tiny)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    source = SourceRef(id="steppe", name="Steppe Courier", connector="rss")
    wanted: set[str] = set()
    for story in make_stories(6):
        url = f"{BASE}/news/{story.slug}"
        raw = RawItem(key=url, url=url, source=source, html=story.html(BASE))
        producer.send(settings.topic_raw, key=url.encode(), value=raw.to_json_bytes())
        wanted.add(normalize_url(url))
    producer.flush()
    producer.close()
    sources = tmp_path / "none.yaml"
    sources.write_text("sources: []\n")
    env = {**os.environ, **namespace, "NEWSWIRE_PROCESSOR_LOCAL_DEDUP": str(local).lower()}
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "run", "-s", str(sources), "--exit-when-idle", "5"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    if local:
        letters = {
            json.loads(letter["payload"])["url"]
            for letter in _values(settings, settings.topic_dlq)
            if letter["topic"] == settings.topic_dedup  # the dedup stage's letters
        }
    else:
        letters = set(_keys(settings, settings.topic_dlq, "key"))
    assert wanted <= letters, f"committed with no result: {sorted(wanted - letters)}"
