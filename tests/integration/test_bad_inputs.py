"""The bad-input catalogue on the real stack (docs/bad-inputs.md): poison and off-schema
records on every topic the pipeline consumes, and unreadable connector states.

One story is run through first (so the processor's own dedup topic exists), then three
poison records go on ``news.raw``, on the dedup topic and on ``news.articles``, and
unreadable states for the source on ``news.connector-state``; a second run must
dead-letter each poison record with its reason, index the next story, and (having lost
the source's cursor) not index the first story twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from tests.chaos.faults import POISON
from tests.support.site import Site, make_stories, serve
from wire.settings import Settings

pytestmark = pytest.mark.integration

NEWSWIRE_RUN = [sys.executable, "-m", "newswire", "run", "--metrics-port", "-1"]


def _run(env: dict[str, str], sources: Path, log: Path) -> tuple[int | None, str]:
    """Exit code (None on timeout) and the tail of the run's log."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*NEWSWIRE_RUN, "--sources", str(sources), "--exit-when-idle", "3"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            code: int | None = proc.wait(300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
    return code, log.read_text(errors="replace")[-4000:]


def _letters(settings: Settings) -> list[dict[str, object]]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    tps = [
        TopicPartition(settings.topic_dlq, p)
        for p in consumer.partitions_for_topic(settings.topic_dlq) or ()
    ]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = consumer.end_offsets(tps)
    out: list[dict[str, object]] = []
    while any((consumer.position(tp) or 0) < end[tp] for tp in tps):
        for recs in consumer.poll(timeout_ms=1000).values():
            out.extend(json.loads(r.value) for r in recs)
    consumer.close()
    return out


def test_poison_on_every_topic_is_dead_lettered_and_the_stream_goes_on(
    tmp_path: Path, namespace: dict[str, str]
) -> None:
    names = {k.removeprefix("NEWSWIRE_").lower(): v for k, v in namespace.items()}
    settings = Settings.model_validate(names)
    site = Site(stories=make_stories(1))
    server, base = serve(site)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - id: poisoned\n    connector: rss\n    config: {{url: '{base}/feed.xml'}}\n"
    )
    try:
        code, tail = _run(namespace, sources, tmp_path / "run1.log")
        assert code == 0, tail
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        keys = []
        topics = {"raw": settings.topic_raw, "dedup": settings.topic_dedup}
        topics["articles"] = settings.topic_articles
        for short, topic in topics.items():
            for kind, value in POISON:
                keys.append(f"poison-{short}-{kind}")
                producer.send(topic, key=keys[-1].encode(), value=value)
        for value in (b"\x00 not a state", b'["not", "a", "mapping"]', b'{"cursor": "x"}'):
            producer.send(settings.topic_state, key=b"poisoned", value=value)
        producer.flush()
        producer.close()
        site.stories = make_stories(1, start=1) + site.stories
        code, tail = _run(namespace, sources, tmp_path / "run2.log")
        assert code == 0, tail
    finally:
        server.shutdown()
        server.server_close()

    letters = {str(x["key"]): x for x in _letters(settings)}
    for key in keys:
        assert key in letters, (key, sorted(letters))
        assert letters[key]["error_class"] and letters[key]["message"]
    assert {letters[k]["stage"] for k in keys if "-articles-" in k} == {"indexer"}
    es = Elasticsearch(settings.elasticsearch_url)
    es.indices.refresh(index=settings.index_alias)
    hits = es.search(index=settings.index_alias, size=50)["hits"]["hits"]
    es.close()
    urls = sorted(h["_source"]["url"] for h in hits)
    assert urls == sorted(f"{base}/news/{s.slug}" for s in site.stories)  # each once
