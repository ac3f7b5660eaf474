"""Bad input never stops the stream: it lands in news.dlq with the reason, the rest goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer

from tests.support.settings import settings_from_env
from tests.support.site import make_stories
from wire.models import RawItem, SourceRef
from wire.settings import Settings

pytestmark = pytest.mark.integration


def _dead_letters(settings: Settings, topic: str, expect: int) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        consumer_timeout_ms=5000,
    )
    letters = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert len(letters) == expect, letters
    return letters


def test_bad_raw_items_become_dead_letters(tmp_path: Path, namespace: dict[str, str]) -> None:
    settings = settings_from_env(namespace)
    subprocess.run(
        [sys.executable, "-m", "newswire", "setup"], env={**os.environ, **namespace}, check=True
    )
    story = make_stories(1)[0]
    good = RawItem(
        key="https://steppe.example/news/report-0",
        url="https://steppe.example/news/report-0",
        source=SourceRef(id="steppe", name="Steppe Courier", connector="rss"),
        html=story.html("https://steppe.example"),
    )
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    bad = {
        b"not-json": b"\xff\xfe this is not JSON",
        b"wrong-schema": json.dumps({"url": "https://x.example", "html": 3}).encode(),
        b"no-article": RawItem(
            key="k", url="https://x.example/empty", source=good.source, html="<html></html>"
        ).to_json_bytes(),
    }
    for key, value in bad.items():
        producer.send(settings.topic_raw, key=key, value=value)
    producer.send(settings.topic_raw, key=good.key.encode(), value=good.to_json_bytes())
    producer.flush()

    sources = tmp_path / "none.yaml"
    sources.write_text("sources: []\n")
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "run", "-s", str(sources), "--exit-when-idle", "3"],
        env={**os.environ, **namespace}, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]

    letters = {d["key"]: d for d in _dead_letters(settings, settings.topic_dlq, expect=3)}
    assert set(letters) == {"not-json", "wrong-schema", "no-article"}
    for letter in letters.values():
        assert letter["stage"] == "processor"
        assert letter["message"]
        assert letter["topic"] == settings.topic_raw
        assert letter["offset"] >= 0
    assert letters["not-json"]["error_class"] == "ValidationError"
    assert "this is not JSON" in letters["not-json"]["payload"]
    assert letters["no-article"]["error_class"] == "NotAnArticle"

    env = {**os.environ, **namespace}
    listed = subprocess.run(
        [sys.executable, "-m", "newswire", "dlq", "list", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "NotAnArticle" in listed.stdout
    assert "this is not JSON" in listed.stdout
    for expected in ("replayed 3", "replayed 0"):  # each letter is replayed at most once
        replayed = subprocess.run(
            [sys.executable, "-m", "newswire", "dlq", "replay", "--stage", "processor"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert expected in replayed.stderr

    es = Elasticsearch(settings.elasticsearch_url)
    es.indices.refresh(index=settings.index_alias)
    hits = es.search(index=settings.index_alias, query={"match_all": {}})["hits"]["hits"]
    assert [h["_source"]["title"] for h in hits] == [story.title]
