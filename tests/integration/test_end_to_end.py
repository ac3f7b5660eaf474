"""One story end to end: a local RSS feed → Kafka → faust processor → Elasticsearch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, TopicPartition

from tests.support.site import Site, make_stories, serve
from wire.settings import Settings

pytestmark = pytest.mark.integration

NEWSWIRE = [sys.executable, "-m", "newswire"]


def _newswire(
    args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWIRE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _sources(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - id: steppe-courier\n"
        "    connector: rss\n"
        "    name: Steppe Courier\n"
        f"    config: {{url: '{base}/feed.xml'}}\n"
        "    interval: 600\n"
        "    country: KZ\n"
    )
    return path


def _documents(env: dict[str, str]) -> list[dict[str, Any]]:
    alias = env["NEWSWIRE_INDEX_ALIAS"]
    with Elasticsearch(Settings().elasticsearch_url) as es:  # closed: warnings are errors
        es.indices.refresh(index=alias)
        resp = es.search(index=alias, size=100, query={"match_all": {}}, version=True)
    return [{**h["_source"], "_version": h["_version"]} for h in resp["hits"]["hits"]]


def _records_in(topic: str) -> int:
    """How many records ``topic`` ever received (end offsets; 0 when it does not exist)."""
    consumer = KafkaConsumer(bootstrap_servers=Settings().kafka_bootstrap, group_id=None)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(tps).values()) if tps else 0
    finally:
        consumer.close()


def test_feed_to_search_and_replay_is_idempotent(tmp_path: Path, namespace: dict[str, str]) -> None:
    site = Site(stories=make_stories(6))
    server, base = serve(site)
    try:
        sources = _sources(tmp_path, base)
        first = _newswire(["run", "--sources", str(sources), "--exit-when-idle", "3"], namespace)
        assert first.returncode == 0, first.stderr[-3000:]

        docs = _documents(namespace)
        by_url = {d["url"]: d for d in docs}
        assert len(docs) == 6
        # One worker holds the dedup partition and decides on its own articles in-process:
        # nothing goes through the internal dedup topic (pipeline.stream.processor).
        names = {k.removeprefix("NEWSWIRE_").lower(): v for k, v in namespace.items()}
        assert _records_in(Settings.model_validate(names).topic_dedup) == 0
        for story in site.stories:
            doc = by_url[f"{base}/news/{story.slug}"]
            assert doc["title"] == story.title
            assert story.paragraphs[1] in doc["body"]
            assert story.title not in doc["body"]  # the headline is not part of the body
            assert "newsletter" not in doc["body"]
            assert doc["published_at"].startswith(story.published.strftime("%Y-%m-%dT%H:%M"))
            assert doc["source"]["name"] == "Steppe Courier"
            assert doc["source"]["country"] == "KZ"

        status = _newswire(["status", "--json"], namespace)
        assert status.returncode == 0, status.stderr
        report = json.loads(status.stdout)
        assert report["lag"] == {"processor": 0, "indexer": 0}
        assert report["sources"]["steppe-courier"]["items"] == 6
        assert report["sources"]["steppe-courier"]["errors"] == 0

        found = _newswire(["search", "Tashkent rail corridor", "--json"], namespace)
        assert found.returncode == 0, found.stderr
        result = json.loads(found.stdout)
        assert "rail corridor" in result["hits"][0]["title"]
        assert result["hits"][0]["focus_countries"][0] == "UZ"  # tags went through Kafka to ES

        # Region filters read the story's tags, not the publisher's country (KZ here).
        region = _newswire(["search", "--region", "UZ", "--json"], namespace)
        hits = json.loads(region.stdout)["hits"]
        assert hits
        assert all("UZ" in h["countries"] for h in hits)
        assert not json.loads(_newswire(["search", "--region", "KZ", "--json"], namespace).stdout)[
            "hits"
        ]

        # The indexer replays every article (a new consumer group): the deterministic ids
        # and external versions leave each document exactly as it was.
        reindex = {
            **namespace,
            "NEWSWIRE_INDEXER_GROUP": namespace["NEWSWIRE_INDEXER_GROUP"] + "-2",
        }
        second = _newswire(["run", "--sources", str(sources), "--exit-when-idle", "3"], reindex)
        assert second.returncode == 0, second.stderr[-3000:]
        again = _documents(namespace)
        assert {d["id"]: d["_version"] for d in again} == {d["id"]: d["_version"] for d in docs}

        # Everything from scratch (no saved cursor, new groups): the stories are fetched and
        # processed again, and land on the same documents: the count does not change.
        fresh = {
            **reindex,
            "NEWSWIRE_PROCESSOR_GROUP": namespace["NEWSWIRE_PROCESSOR_GROUP"] + "-3",
            "NEWSWIRE_INDEXER_GROUP": namespace["NEWSWIRE_INDEXER_GROUP"] + "-3",
            "NEWSWIRE_TOPIC_STATE": namespace["NEWSWIRE_TOPIC_STATE"] + "-3",
        }
        third = _newswire(["run", "--sources", str(sources), "--exit-when-idle", "3"], fresh)
        assert third.returncode == 0, third.stderr[-3000:]
        final = _documents(namespace)
        assert sorted(d["id"] for d in final) == sorted(d["id"] for d in docs)
        assert all(d["_version"] > 0 for d in final)
    finally:
        server.shutdown()
        server.server_close()


def test_restart_resumes_without_refetching(tmp_path: Path, namespace: dict[str, str]) -> None:
    site = Site(stories=make_stories(3))
    server, base = serve(site)
    try:
        sources = _sources(tmp_path, base)
        assert (
            _newswire(["run", "-s", str(sources), "--exit-when-idle", "2"], namespace).returncode
            == 0
        )
        page_hits = {p: n for p, n in site.hits.items() if p.startswith("/news/")}
        site.stories = make_stories(2, start=3) + site.stories  # two new stories on top
        assert (
            _newswire(["run", "-s", str(sources), "--exit-when-idle", "2"], namespace).returncode
            == 0
        )
        assert len(_documents(namespace)) == 5
        status = json.loads(_newswire(["status", "--json"], namespace).stdout)
        assert status["sources"]["steppe-courier"]["items"] == 5  # counters survive a restart
        assert status["sources"]["steppe-courier"]["polls"] == 2
        for path, count in page_hits.items():
            assert site.hits[path] == count, f"{path} was fetched again after restart"
    finally:
        server.shutdown()
        server.server_close()
