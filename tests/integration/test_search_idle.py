"""Search-idle indices stay correct on the real stack (issue 16).

The template leaves ``refresh_interval`` unset, so a shard nothing searched for
``index.search.idle.after`` skips its periodic refresh; the first tick after a write marks
a refresh pending, and the next search waits for it. So a story written into an idle
shard is searchable within the interval, as on an active one, with no explicit refresh:
by the same-event candidate search (the indexer's) and a search of the alias (the API's).
The idle delay is shortened to 1 s on the test's index (30 s by default).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch

from pipeline.index.events import EventGrouper
from pipeline.index.writer import Writer, index_for
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


def _shard(es: Elasticsearch, index: str) -> dict[str, object]:
    stats = es.indices.stats(index=index, metric="refresh", level="shards")
    shard: dict[str, object] = stats["indices"][index]["shards"]["0"][0]
    return shard


def _wait_idle(es: Elasticsearch, index: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _shard(es, index).get("search_idle"):
            return
        time.sleep(0.3)
    pytest.fail(f"{index} never went search-idle (is refresh_interval set in the template?)")


def test_a_story_written_to_a_search_idle_index_is_found_without_a_refresh(
    namespace: dict[str, str],
) -> None:
    s = Settings.model_validate(
        {k.removeprefix("NEWSWIRE_").lower(): v for k, v in namespace.items()}
    )
    writer = Writer(s)
    writer.setup()
    es = writer.client
    index = index_for(FILLER, s.index_prefix)
    assert writer.bulk([FILLER]).done == [0]  # creates the index
    es.indices.put_settings(index=index, settings={"index.search.idle.after": "1s"})

    _wait_idle(es, index)
    refreshes = _shard(es, index)["refresh"]["total"]  # type: ignore[index]
    assert writer.bulk([QUAKE_A]).done == [0]
    time.sleep(1.5)  # longer than the default 1 s interval: an idle shard does not refresh
    assert _shard(es, index)["refresh"]["total"] == refreshes  # type: ignore[index]
    events = EventGrouper.from_settings(s)
    events.assign([QUAKE_B])  # the indexer's candidate search, no refresh asked for
    assert QUAKE_B.story_id == QUAKE_A.id

    # Written into an idle shard and searched at once: the write is seen within one
    # interval, as on an active shard (the next tick marks the refresh pending, and a
    # search then waits for it), with no refresh asked for.
    _wait_idle(es, index)
    assert writer.bulk([FLOOD]).done == [0]
    deadline, found = time.monotonic() + 10, False
    while not found and time.monotonic() < deadline:
        query = {"ids": {"values": [FLOOD.id]}}
        found = bool(es.search(index=s.index_alias, query=query)["hits"]["hits"])
        time.sleep(0.1)
    assert found, "a story written to a search-idle index never became searchable"
    events.client.close()
