"""Same-event stories on the real stack: two outlets' reports of one event share a story_id
(the second found through Elasticsearch, indexed in a later batch), a different event in
the same place does not, and ``newswire search --by-event`` shows the event from 2 outlets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kafka import KafkaProducer

from newswire.kafka import ensure_topics
from pipeline.index.events import EventGrouper
from pipeline.index.indexer import Indexer
from pipeline.index.writer import Writer, make_client
from wire.models import Article, Place, SourceRef
from wire.settings import Settings

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def settings(namespace: dict[str, str]) -> Settings:
    s = Settings.model_validate(
        {k.removeprefix("NEWSWIRE_").lower(): v for k, v in namespace.items()}
    )
    ensure_topics(s)
    Writer(s).setup()
    return s


def _article(key: str, outlet: str, title: str, summary: str, hours: int) -> Article:
    return Article(
        id=key, url=f"https://{outlet}.example/{key}", title=title, summary=summary,
        body=summary, lang="en", focus_countries=["AF"], countries=["AF"],
        places=[Place(name="Herat", country="AF")],
        source=SourceRef(id=outlet, name=outlet.title(), connector="rss"),
        published_at=NOW - timedelta(hours=hours), processed_at=NOW,
    )  # fmt: skip


QUAKE_A = _article(
    "e1", "kabulpost", "Earthquake of magnitude 6.1 strikes Herat province, dozens killed",
    "A strong earthquake struck western Afghanistan near Herat on Monday, killing at least 40 "
    "people, the disaster ministry said.", 6,
)  # fmt: skip
QUAKE_B = _article(
    "e2", "heratdaily", "Dozens dead as strong earthquake hits Afghanistan's Herat",
    "At least 40 people were killed when an earthquake of magnitude 6.1 hit Herat province in "
    "western Afghanistan, officials from the disaster ministry said.", 3,
)  # fmt: skip
FLOOD = _article(
    "e3", "heratdaily", "Flash floods cut roads to Herat villages after heavy rain",
    "Heavy rain in western Afghanistan sent flash floods through villages near Herat, washing "
    "away roads and bridges, provincial officials said.", 2,
)  # fmt: skip


def _send(s: Settings, *articles: Article) -> None:
    producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap)
    for a in articles:
        producer.send(s.topic_articles, key=a.id.encode(), value=a.to_json_bytes())
    producer.flush()
    producer.close()


def _wait(check: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def test_two_outlets_one_event_share_a_story_and_search_by_event_counts_them(
    namespace: dict[str, str], settings: Settings
) -> None:
    indexer = Indexer(settings)
    indexer.events = EventGrouper(indexer.writer.client, settings.index_prefix)
    thread = threading.Thread(target=indexer.run, daemon=True)
    thread.start()
    es = make_client(settings)
    try:
        _send(settings, QUAKE_A)
        assert _wait(lambda: indexer.indexed >= 1), "the first report was not indexed"
        es.indices.refresh(index=settings.index_alias)
        _send(settings, QUAKE_B, FLOOD)  # a later batch: QUAKE_A is found in Elasticsearch
        assert _wait(lambda: indexer.indexed >= 3), "the later stories were not indexed"
        es.indices.refresh(index=settings.index_alias)
    finally:
        indexer.stop()
        thread.join(30)
    docs = es.search(index=settings.index_alias, size=10)["hits"]["hits"]
    stories = {h["_id"]: h["_source"].get("story_id") for h in docs}
    es.close()
    assert stories == {"e1": "e1", "e2": "e1", "e3": "e3"}

    shown = subprocess.run(
        [sys.executable, "-m", "newswire", "search", "--by-event", "--json"],
        env={**os.environ, **namespace}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    assert result["stories"] == 2
    outlets = {h["story_id"]: h["outlets"] for h in result["hits"]}
    assert outlets == {"e1": 2, "e3": 1}
