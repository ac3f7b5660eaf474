"""Issue 13, finding 2, through the real stream (``newswire run`` on raw items): two
stories from one source under one title stay two documents; a corrected story at the
same URL is one document with ``revisions: 2``, and a re-poll of it changes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from tests.support.settings import settings_from_env
from tests.support.site import make_stories
from wire.models import RawItem, SourceRef
from wire.settings import Settings

pytestmark = pytest.mark.integration

BASE = "https://steppe.example"
SOURCE = SourceRef(id="steppe", name="Steppe Courier", connector="rss")


def _send(settings: Settings, items: list[RawItem]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for item in items:
        producer.send(settings.topic_raw, key=item.key.encode(), value=item.to_json_bytes())
    producer.flush()
    producer.close()


def _run(env: dict[str, str], sources: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "newswire", "run", "-s", str(sources), "--exit-when-idle", "3"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    # the cause is usually early in the log, the shutdown's noise at its end (asyncio's
    # "Task was destroyed" lines can follow the one-line error): show both, and every
    # line that says what failed
    said = [ln for ln in run.stderr.splitlines() if re.search(_WHY, ln)]
    assert run.returncode == 0, (
        f"{run.stderr[:4000]}\n...\n{run.stderr[-2000:]}\nlines naming a failure:\n"
        + "\n".join(said[:40])
    )


_WHY = re.compile(r"error:|crash|Traceback|CRITICAL|died|exception", re.IGNORECASE)


def _documents(alias: str) -> dict[str, dict[str, object]]:
    with Elasticsearch(Settings().elasticsearch_url) as es:
        es.indices.refresh(index=alias)
        hits = es.search(index=alias, size=50)["hits"]["hits"]
    return {h["_source"]["url"]: h["_source"] for h in hits}


def _raw(url: str, html: str) -> RawItem:
    return RawItem(key=url, url=url, source=SOURCE, html=html)


def test_reused_title_and_corrected_story_in_the_stream(
    tmp_path: Path, namespace: dict[str, str]
) -> None:
    settings = settings_from_env(namespace)
    sources = tmp_path / "none.yaml"
    sources.write_text("sources: []\n")
    first, second, story = make_stories(3)
    second = replace(second, title=first.title, published=first.published)  # a reused title
    a, b, c = (f"{BASE}/news/{s.slug}" for s in (first, second, story))
    _send(
        settings, [_raw(a, first.html(BASE)), _raw(b, second.html(BASE)), _raw(c, story.html(BASE))]
    )
    _run(namespace, sources)

    corrected = replace(
        story, paragraphs=[*story.paragraphs[:-1], "Correction: the ministry, not the mayor."]
    )
    _send(settings, [_raw(c, corrected.html(BASE))])
    _run(namespace, sources)
    _send(settings, [_raw(c, corrected.html(BASE))])  # a re-poll of the corrected page
    _run(namespace, sources)

    docs = _documents(namespace["NEWSWIRE_INDEX_ALIAS"])
    assert sorted(docs) == sorted([a, b, c])
    assert docs[a]["title"] == docs[b]["title"] and docs[a]["body"] != docs[b]["body"]
    assert docs[c]["revisions"] == 2 and docs[c]["updated_at"]
    assert "Correction: the ministry" in str(docs[c]["body"])
