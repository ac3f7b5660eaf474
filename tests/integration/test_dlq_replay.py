"""Dead-letter replay on the real stack: typos refused, each letter re-driven once, to
the stage it came from; and a record of a newer schema becomes a dead letter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, NewTopic

from newswire.kafka import ensure_topics
from tests.support.site import Story, make_stories
from wire.models import Article, DeadLetter, RawItem, SourceRef
from wire.settings import Settings

pytestmark = pytest.mark.integration

SOURCE = SourceRef(id="steppe", name="Steppe Courier", connector="rss")


def _settings(namespace: dict[str, str]) -> Settings:
    return Settings.model_validate(
        {k.removeprefix("NEWSWIRE_").lower(): v for k, v in namespace.items()}
    )


def _records(settings: Settings, topic: str) -> list[tuple[str, bytes]]:
    """Every (key, value) on ``topic``, from the beginning."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        consumer_timeout_ms=4000,
    )
    found = [((m.key or b"").decode(), m.value) for m in consumer]
    consumer.close()
    return found


def _replay(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newswire", "dlq", "replay", *args],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_replay_refuses_typos_and_replays_each_letter_once_to_its_stage(
    namespace: dict[str, str],
) -> None:
    settings = _settings(namespace)
    env = {**os.environ, **namespace}
    ensure_topics(settings)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    admin.create_topics([NewTopic(settings.topic_dedup, 1, 1)])  # faust's, made as faust does
    admin.close()

    def raw(key: str, title: str) -> bytes:
        item = RawItem(key=key, url=key, source=SOURCE, title=title, html=f"<p>{title}</p>")
        return item.to_json_bytes()

    def article(i: str) -> bytes:
        return Article(id=i, url=f"https://steppe.example/{i}", source=SOURCE).to_json_bytes()

    r1, r2 = "https://steppe.example/r1", "https://steppe.example/r2"
    letters = [  # as the stages write them (DeadLetter.for_error)
        DeadLetter.for_error("processor", ValueError("x"), raw(r1, "first"), key=r1,
                             topic=settings.topic_raw, partition=0, offset=1),
        DeadLetter.for_error("processor", ValueError("x"), raw(r1, "again"), key=r1,
                             topic=settings.topic_raw, partition=0, offset=1),  # lettered twice
        DeadLetter.for_error("processor", TimeoutError("t"), raw(r2, "r2"), key=r2,
                             topic=settings.topic_raw, partition=1, offset=5),
        DeadLetter.for_error("processor", KeyError("k"), article("d1"), key="d1",
                             topic=settings.topic_dedup),
        DeadLetter.for_error("indexer", ValueError("mapping"), article("i1"), key="i1",
                             topic=settings.topic_articles, partition=0, offset=3),
        DeadLetter.for_error("indexer", ValueError("mapping"), article("i2"), key="i2",
                             topic=settings.topic_articles, partition=2, offset=4),
        DeadLetter.for_error("connector", ValueError("entry without a link"), b"<item/>",
                             key="steppe"),
    ]  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for letter in letters:
        producer.send(settings.topic_dlq, key=(letter.key or "").encode(),
                      value=letter.to_json_bytes())  # fmt: skip
    producer.flush()
    producer.close()

    typo = _replay(env, "--stage", "procesor")
    assert typo.returncode == 2, typo.stderr
    assert typo.stderr.strip().count("\n") == 0, typo.stderr  # one line
    assert "procesor" in typo.stderr and "connector, processor, dedup, indexer" in typo.stderr
    bad_error = _replay(env, "--stage", "indexer", "--error", "VaueError")
    assert bad_error.returncode == 2 and "ValueError" in bad_error.stderr, bad_error.stderr

    dry = _replay(env, "--stage", "processor", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would replay 2" in dry.stderr and "duplicates 1" in dry.stderr, dry.stderr
    assert sorted(dry.stdout.split()) == [r1, r2]
    for topic in (settings.topic_raw, settings.topic_dedup, settings.topic_articles):
        assert _records(settings, topic) == []  # refused and dry runs sent nothing

    for stage, expected in [("processor", 2), ("processor", 0), ("dedup", 1), ("indexer", 2),
                            ("indexer", 0), ("dedup", 0), (None, 0)]:  # fmt: skip
        done = _replay(env, *(["--stage", stage] if stage else []))
        assert done.returncode == 0, done.stderr
        assert f"replayed {expected} " in done.stderr, (stage, done.stderr)

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    marks = f"{settings.topic_dlq}.replayed"
    described = admin.describe_configs([ConfigResource("TOPIC", marks)])["topic"][marks]
    admin.close()
    assert described["cleanup.policy"]["value"] == "compact"  # the latest mark per letter

    raws = _records(settings, settings.topic_raw)
    assert sorted(k for k, _ in raws) == [r1, r2]  # r1 once, though lettered twice
    assert {RawItem.model_validate_json(v).title for _, v in raws} == {"again", "r2"}
    assert [k for k, _ in _records(settings, settings.topic_dedup)] == ["d1"]  # not news.raw
    assert sorted(k for k, _ in _records(settings, settings.topic_articles)) == ["i1", "i2"]


def test_a_raw_record_of_a_newer_major_schema_is_a_dead_letter_and_the_next_is_indexed(
    tmp_path: Path, namespace: dict[str, str]
) -> None:
    settings = _settings(namespace)
    env = {**os.environ, **namespace}
    ensure_topics(settings)
    story, later = make_stories(2)
    base = "https://steppe.example"

    def item(s: Story, version: int) -> bytes:
        url = f"{base}/news/{s.slug}"
        value = RawItem(key=url, url=url, source=SOURCE, html=s.html(base)).to_json_bytes()
        return json.dumps({**json.loads(value), "schema_version": version}).encode()

    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    producer.send(settings.topic_raw, key=b"newer", value=item(story, 2), partition=0)
    producer.send(settings.topic_raw, key=b"current", value=item(later, 1), partition=0)
    producer.flush()
    producer.close()

    sources = tmp_path / "none.yaml"
    sources.write_text("sources: []\n")
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "run", "-s", str(sources), "--exit-when-idle", "3"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]

    letters = [json.loads(v) for _, v in _records(settings, settings.topic_dlq)]
    assert [(d["key"], d["error_class"]) for d in letters] == [("newer", "SchemaTooNew")]
    assert "schema 2 is newer than this consumer's 1.x: upgrade" in letters[0]["message"]
    es = Elasticsearch(settings.elasticsearch_url)
    es.indices.refresh(index=settings.index_alias)
    hits = es.search(index=settings.index_alias, query={"match_all": {}})["hits"]["hits"]
    assert [h["_source"]["title"] for h in hits] == [later.title]
