"""The indexer's own refreshes on the real stack (issue 16, ``pipeline.index.refresh``).

The template's ``refresh_interval`` is a 30 s backstop, so what makes a story searchable
within a second or two here is the indexer's refresh: a story at light load, and everything
a stopping indexer wrote. The same-event search cannot see a story not yet refreshed; the
grouper remembers the stories it wrote lately, so a second report of an event still joins.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from newswire.kafka import ensure_topics
from pipeline.index.events import EventGrouper
from pipeline.index.indexer import Indexer
from pipeline.index.writer import Writer, index_for
from tests.support.settings import settings_from_env
from wire.models import Article, Place, SourceRef
from wire.settings import Settings

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def _article(key: str, title: str, summary: str, hours: int) -> Article:
    return Article(
        id=key, url=f"https://{key}.example/{key}", title=title, summary=summary, body=summary,
        lang="en", focus_countries=["AF"], countries=["AF"],
        places=[Place(name="Herat", country="AF")],
        source=SourceRef(id=key, name=key.title(), connector="rss"),
        published_at=NOW - timedelta(hours=hours), processed_at=NOW,
    )  # fmt: skip


FILLER = _article("f0", "Wheat prices steady in Kandahar market", "Traders said prices held.", 30)
QUAKE_A = _article(
    "q1", "Earthquake of magnitude 6.1 strikes Herat province, dozens killed",
    "A strong earthquake struck western Afghanistan near Herat on Monday, killing at least 40 "
    "people, the disaster ministry said.", 6,
)  # fmt: skip
QUAKE_B = _article(
    "q2", "Dozens dead as strong earthquake hits Afghanistan's Herat",
    "At least 40 people were killed when an earthquake of magnitude 6.1 hit Herat province in "
    "western Afghanistan, officials from the disaster ministry said.", 3,
)  # fmt: skip
FLOOD = _article(
    "f1", "Flash floods cut roads to Herat villages after heavy rain",
    "Heavy rain in western Afghanistan sent flash floods through villages near Herat, washing "
    "away roads and bridges, provincial officials said.", 2,
)  # fmt: skip


def _found(es: Elasticsearch, alias: str, ids: list[str]) -> set[str]:
    """The ids searchable now: a plain search, no refresh asked for."""
    hits = es.search(index=alias, query={"ids": {"values": ids}}, size=len(ids))["hits"]["hits"]
    return {h["_id"] for h in hits}


def _send(settings: Settings, articles: list[Article]) -> None:
    """Into news.articles; fetched just now unless the article says when."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for a in articles:
        if a.fetched_at is None:
            a = a.model_copy(update={"fetched_at": datetime.now(UTC)})
        producer.send(settings.topic_articles, key=a.id.encode(), value=a.to_json_bytes())
    producer.flush()
    producer.close()


def test_the_indexer_refreshes_what_it_writes(namespace: dict[str, str]) -> None:
    s = settings_from_env(namespace)
    ensure_topics(s)
    writer = Writer(s)
    writer.setup()
    es = writer.client
    indexer = Indexer(s)
    thread = threading.Thread(target=indexer.run, daemon=True)
    thread.start()
    try:
        # Light load: a story written after a quiet second is searchable about when its bulk
        # is acknowledged, though the index's own interval is 30 s.
        _send(s, [FILLER])
        deadline = time.monotonic() + 30
        while indexer.indexed < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert indexer.indexed == 1
        index = index_for(FILLER, s.index_prefix)
        assert (
            es.indices.get_settings(index=index)[index]["settings"]["index"]["refresh_interval"]
            == "30s"
        )
        deadline = time.monotonic() + 3
        while not _found(es, s.index_alias, [FILLER.id]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _found(es, s.index_alias, [FILLER.id]) == {FILLER.id}

        # Stories that arrive while the index was refreshed under a second ago wait for the
        # next refresh, a second or so later, not for the 30 s interval.
        _send(s, [QUAKE_A, FLOOD])
        deadline = time.monotonic() + 5
        ids = [QUAKE_A.id, FLOOD.id]
        while _found(es, s.index_alias, ids) != set(ids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _found(es, s.index_alias, ids) == set(ids)
    finally:
        indexer.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_stopping_indexer_leaves_everything_it_wrote_searchable(
    namespace: dict[str, str],
) -> None:
    s = settings_from_env(namespace)
    ensure_topics(s)
    Writer(s).setup()
    es = Elasticsearch(s.elasticsearch_url)
    indexer = Indexer(s)
    # a first story refreshes at once; the next ones wait for their refresh, which the
    # indexer is stopped before (stories a day old may wait up to 5 s)
    old = datetime.now(UTC) - timedelta(days=1)
    stories = [_article(f"s{i}", f"Story {i} from Herat", "Text.", 1).model_copy(
        update={"fetched_at": old}) for i in range(6)]  # fmt: skip
    thread = threading.Thread(target=indexer.run, daemon=True)
    _send(s, stories[:1])
    thread.start()
    deadline = time.monotonic() + 30
    while indexer.indexed < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    _send(s, stories[1:])
    while indexer.indexed < len(stories) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert indexer.indexed == len(stories)
    indexer.stop()
    thread.join(timeout=30)
    assert _found(es, s.index_alias, [a.id for a in stories]) == {a.id for a in stories}


def test_a_story_not_yet_refreshed_is_still_a_same_event_candidate(
    namespace: dict[str, str],
) -> None:
    s = settings_from_env(namespace)
    writer = Writer(s)
    writer.setup()
    es = writer.client
    assert writer.bulk([FILLER]).done == [0]  # creates the index
    es.indices.refresh(index=s.index_alias)
    events = EventGrouper.from_settings(s)
    events.assign([QUAKE_A])
    assert writer.bulk([QUAKE_A]).done == [0]  # written, not refreshed: the search cannot see it
    assert not _found(es, s.index_alias, [QUAKE_A.id])
    events.assign([QUAKE_B, FLOOD])
    assert QUAKE_B.story_id == QUAKE_A.id  # from the grouper's memory of what it wrote
    assert FLOOD.story_id == FLOOD.id  # another event stays apart
    # a new grouper (another process) has no memory: only the search, which cannot see it
    other = EventGrouper.from_settings(s)
    late = QUAKE_B.model_copy(update={"id": "q3", "story_id": None})
    other.assign([late])
    assert late.story_id == "q3"
    events.client.close()
    other.client.close()
