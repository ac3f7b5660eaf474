"""The indexer against the real Elasticsearch: rejects go to news.dlq, the batch goes on."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from newswire.kafka import ensure_topics
from pipeline.index.indexer import Indexer
from pipeline.index.writer import Writer
from tests.support.settings import settings_from_env
from wire.models import Article, MergeTarget, Place, SourceRef
from wire.settings import Settings

pytestmark = pytest.mark.integration

SOURCE = SourceRef(id="steppe", name="Steppe Courier", connector="rss")


def _settings(namespace: dict[str, str]) -> Settings:
    return settings_from_env(namespace)


def _article(i: int, **extra: Any) -> Article:
    return Article(
        id=f"story-{i}", url=f"https://steppe.example/{i}", source=SOURCE,
        title=f"Story {i}", body=f"Body of story {i}.", **extra,
    )  # fmt: skip


def _run_indexer_until(
    settings: Settings, done: Callable[[Indexer], bool], timeout: float = 60
) -> Indexer:
    indexer = Indexer(settings)
    thread = threading.Thread(target=indexer.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(indexer):
        time.sleep(0.5)
    indexer.stop()
    thread.join(timeout=30)
    return indexer


class _CountingWriter(Writer):
    """The real writer, noting the stories of each bulk request it sends."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.bulks: list[list[str]] = []

    def send(self, operations: list[dict[str, Any] | bytes]) -> Any:
        ids = [
            meta["_id"] for op in operations[::2] if isinstance(op, dict) for meta in op.values()
        ]
        self.bulks.append(ids)
        return super().send(operations)


def test_stories_arriving_under_load_share_a_bulk(namespace: dict[str, str]) -> None:
    """A story after a quiet spell is sent alone at once; those that come within the linger
    after a bulk wait and go together, and every one is indexed and committed."""
    settings = _settings(namespace).model_copy(update={"index_linger_seconds": 3.0})
    ensure_topics(settings)
    Writer(settings).setup()
    writer = _CountingWriter(settings)
    indexer = Indexer(settings, writer=writer)
    thread = threading.Thread(target=indexer.run, daemon=True)
    thread.start()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)

    def publish(article: Article) -> None:
        producer.send(
            settings.topic_articles, key=article.id.encode(), value=article.to_json_bytes()
        )
        producer.flush()

    def wait_for(done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60
        while not done() and time.monotonic() < deadline:
            time.sleep(0.01)

    try:
        publish(_article(0))
        wait_for(lambda: len(writer.bulks) >= 1)
        for i in range(1, 9):  # 0.05 s apart: each would be a bulk of its own without the wait
            publish(_article(i))
            time.sleep(0.05)
        wait_for(lambda: indexer.indexed >= 9)
    finally:
        indexer.stop()
        thread.join(timeout=30)
    assert writer.bulks[0] == ["story-0"]
    assert sorted(i for bulk in writer.bulks[1:] for i in bulk) == [
        f"story-{i}" for i in range(1, 9)
    ]
    assert len(writer.bulks) <= 3, writer.bulks
    assert indexer.indexed == 9
    committed = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=settings.indexer_group
    )
    partitions = committed.partitions_for_topic(settings.topic_articles) or set()
    topic = settings.topic_articles
    assert sum(committed.committed(TopicPartition(topic, p)) or 0 for p in partitions) == 9
    committed.close()


def test_mapping_reject_goes_to_dlq_and_the_batch_is_indexed(namespace: dict[str, str]) -> None:
    settings = _settings(namespace)
    ensure_topics(settings)
    Writer(settings).setup()
    bad = _article(2, places=[Place(name="Nowhere", location={"lat": 123.0, "lon": 500.0})])
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for article in (_article(1), bad, _article(3)):
        producer.send(
            settings.topic_articles, key=article.id.encode(), value=article.to_json_bytes()
        )
    producer.send(settings.topic_articles, key=b"garbage", value=b"{not an article")
    producer.flush()

    indexer = _run_indexer_until(settings, lambda ix: ix.indexed + ix.dead_letters >= 4)
    assert (indexer.indexed, indexer.dead_letters) == (2, 2)

    es = Elasticsearch(settings.elasticsearch_url)
    es.indices.refresh(index=settings.index_alias)
    ids = sorted(h["_id"] for h in es.search(index=settings.index_alias)["hits"]["hits"])
    assert ids == ["story-1", "story-3"]

    letters = {
        m.key.decode(): json.loads(m.value)
        for m in KafkaConsumer(
            settings.topic_dlq, bootstrap_servers=settings.kafka_bootstrap,
            auto_offset_reset="earliest", consumer_timeout_ms=5000,
        )
    }  # fmt: skip
    assert letters["story-2"]["stage"] == "indexer"
    assert letters["story-2"]["error_class"] == "MappingRejected"
    assert "parsing_exception" in letters["story-2"]["message"]  # Elasticsearch's own reason
    assert letters["garbage"]["error_class"] == "ValidationError"

    # Offsets were committed after Elasticsearch acknowledged: a restart indexes nothing twice.
    again = _run_indexer_until(settings, lambda ix: False, timeout=5)
    assert (again.indexed, again.dead_letters) == (0, 0)


def test_a_sighting_of_a_rejected_story_is_a_dead_letter_too(namespace: dict[str, str]) -> None:
    """A merged sighting in the same bulk as its story, which Elasticsearch rejects: the
    sighting's URL update finds no document; it goes to the dead letters beside the story
    (replaying both restores the story with its URLs), never counted as done."""
    settings = _settings(namespace)
    ensure_topics(settings)
    Writer(settings).setup()
    bad = _article(2, places=[Place(name="Nowhere", location={"lat": 123.0, "lon": 500.0})])
    sighting = _article(
        9, urls=["https://steppe.example/2", "https://steppe.example/9"],
        merged_into=MergeTarget(id="story-2", story_time=datetime.now(UTC)),
    )  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for key, article in (("story-1", _article(1)), ("story-2", bad), ("story-2", sighting)):
        producer.send(settings.topic_articles, key=key.encode(), value=article.to_json_bytes())
    producer.flush()

    indexer = _run_indexer_until(settings, lambda ix: ix.indexed + ix.dead_letters >= 3)
    assert (indexer.indexed, indexer.dead_letters) == (1, 2)
    letters = [
        json.loads(m.value)
        for m in KafkaConsumer(
            settings.topic_dlq, bootstrap_servers=settings.kafka_bootstrap,
            auto_offset_reset="earliest", consumer_timeout_ms=5000,
        )
    ]  # fmt: skip
    assert len(letters) == 2
    assert json.loads(letters[1]["payload"])["merged_into"]["id"] == "story-2"
    assert "its story story-2 was rejected" in letters[1]["message"]


def test_a_sighting_of_a_story_not_indexed_is_a_dead_letter_and_comes_back_on_replay(
    namespace: dict[str, str],
) -> None:
    """A merged sighting whose story is not in the index (its story's letter not yet
    replayed): a dead letter, not done, so replaying the letters after the story brings
    the sighting's URL to it. Counted as done, the URL was lost for good."""
    from newswire.dlq import replay

    settings = _settings(namespace)
    ensure_topics(settings)
    Writer(settings).setup()
    urls = ["https://steppe.example/5", "https://steppe.example/7"]
    sighting = _article(
        7, urls=urls, merged_into=MergeTarget(id="story-5", story_time=datetime.now(UTC))
    )
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    producer.send(settings.topic_articles, key=b"story-5", value=sighting.to_json_bytes())
    producer.flush()
    first = _run_indexer_until(settings, lambda ix: ix.indexed + ix.dead_letters >= 1)
    assert (first.indexed, first.dead_letters) == (0, 1)

    # the story arrives (its own letter replayed), then the sighting's letter is replayed
    producer.send(settings.topic_articles, key=b"story-5", value=_article(5).to_json_bytes())
    producer.flush()
    assert replay(settings, stage="indexer").replayed == 1
    second = _run_indexer_until(settings, lambda ix: ix.indexed >= 2)
    assert (second.indexed, second.dead_letters) == (2, 0)
    es = Elasticsearch(settings.elasticsearch_url)
    es.indices.refresh(index=f"{settings.index_prefix}-*")
    doc = es.search(index=settings.index_alias, query={"ids": {"values": ["story-5"]}})
    assert doc["hits"]["hits"][0]["_source"]["urls"] == urls


def _readyz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_for_readyz(port: int, status: int, timeout: float) -> float:
    """Seconds until /readyz answered ``status``; fails the test past ``timeout``."""
    start = time.monotonic()
    while _readyz(port) != status:
        assert time.monotonic() - start < timeout, f"/readyz never answered {status}"
        time.sleep(0.5)
    return time.monotonic() - start


def test_elasticsearch_down_for_30s_loses_and_duplicates_nothing(
    namespace: dict[str, str],
) -> None:
    """Also the indexer's readiness on the real outage: /readyz is 503 while
    Elasticsearch is stopped and 200 again once it is back (issue 15)."""
    from newswire.observability import serve
    from newswire.runtime import Worker, indexer_health
    from newswire.stack import Stack

    settings = _settings({**namespace, "NEWSWIRE_INDEX_BATCH_SIZE": "20"})
    ensure_topics(settings)
    Writer(settings).setup()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)

    def produce(numbers: range) -> None:
        for i in numbers:
            article = _article(i)
            producer.send(
                settings.topic_articles, key=article.id.encode(), value=article.to_json_bytes()
            )
        producer.flush()

    es_service = Stack(Settings()).elasticsearch
    indexer = Indexer(settings)
    worker = Worker("indexer", indexer.run, indexer.stop)
    door = serve(indexer_health(settings, indexer, worker), 0)
    assert door is not None
    worker.start()
    try:
        produce(range(50))
        deadline = time.monotonic() + 60
        while indexer.indexed < 50 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert indexer.indexed == 50
        _wait_for_readyz(door.port, 200, timeout=30)

        outage = time.monotonic()
        es_service.process.stop()
        produce(range(50, 100))  # arrives while Elasticsearch is down
        _wait_for_readyz(door.port, 503, timeout=25)
        time.sleep(max(0.0, 30 - (time.monotonic() - outage)))
        assert worker.alive()  # waiting, not dead
        assert indexer.indexed == 50
        assert _readyz(door.port) == 503
    finally:
        if es_service.process.pid() is None:
            es_service.start()
        es_service.wait()
    try:
        _wait_for_readyz(door.port, 200, timeout=60)
        deadline = time.monotonic() + 120
        while indexer.indexed < 100 and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        worker.stop()
        worker.thread.join(timeout=30)
        door.close()
    assert (indexer.indexed, indexer.dead_letters) == (100, 0)

    es = Elasticsearch(settings.elasticsearch_url)
    es.indices.refresh(index=settings.index_alias)
    hits = es.search(index=settings.index_alias, size=200, version=True)["hits"]["hits"]
    assert sorted(int(h["_id"].split("-")[1]) for h in hits) == list(range(100))


def test_this_years_index_is_made_before_its_first_story(namespace: dict[str, str]) -> None:
    """The indexer creates this year's index at start (on a node just started, creating it in
    the first bulk took a second or more of the first story's way); through the template,
    so it carries the alias; once, and not where a monthly index of the old layout covers
    the month."""
    settings = _settings(namespace)
    Writer(settings).setup()
    es = Elasticsearch(settings.elasticsearch_url)
    name = f"{settings.index_prefix}-{datetime.now(UTC):%Y}"
    indexer = _run_indexer_until(settings, lambda _: bool(es.indices.exists(index=name)), 30)
    assert indexer.indexed == 0
    assert es.indices.exists(index=name)
    assert settings.index_alias in es.indices.get_alias(index=name).body[name]["aliases"]
    assert Writer(settings).create_current_index() is None  # there already
    june = datetime(2031, 6, 15, tzinfo=UTC)
    assert Writer(settings).create_current_index(june) == f"{settings.index_prefix}-2031"
    es.indices.create(index=f"{settings.index_prefix}-2032.06")  # the layout before
    assert Writer(settings).create_current_index(june.replace(year=2032)) is None
    assert not es.indices.exists(index=f"{settings.index_prefix}-2032")
