"""Schema versions on the wire and the dead letters' stable ids (wire.models)."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest
from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from pydantic import ValidationError

from pipeline.index.indexer import Indexer
from wire.models import (
    Article,
    DeadLetter,
    RawItem,
    SchemaTooNew,
    SchemaVersionError,
    SourceRef,
    read_record,
)
from wire.settings import Settings

SOURCE = SourceRef(id="s", name="S", connector="rss")


def _raw(**changes: Any) -> bytes:
    fields = json.loads(RawItem(key="k", url="https://a.example/", source=SOURCE,
                                html="<p>x</p>").to_json_bytes())  # fmt: skip
    return json.dumps({**fields, **changes}).encode()


def test_a_newer_major_is_refused_before_any_field_is_read() -> None:
    # Version 2 retyped `source`: read as version 1 it would fail on a field, or worse,
    # half-succeed; the version says why first.
    with pytest.raises(SchemaTooNew, match=r"schema 2 is newer than this consumer's 1.x: upgrade"):
        read_record(RawItem, _raw(schema_version=2, source="s"))
    with pytest.raises(SchemaTooNew, match=r"schema 2.0 is newer"):
        read_record(Article, json.dumps({"schema_version": "2.0", "id": "x"}))


def test_same_major_unknown_fields_are_read_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="wire.models")
    value = _raw(schema_version=1, added_in_1_1="x")
    assert read_record(RawItem, value).key == "k"
    read_record(RawItem, value)
    assert sum("added_in_1_1" in r.getMessage() for r in caplog.records) == 1
    assert read_record(RawItem, _raw(schema_version="1.3")).key == "k"


def test_unreadable_versions_and_bodies() -> None:
    with pytest.raises(SchemaVersionError, match="not a version"):
        read_record(RawItem, _raw(schema_version="next"))
    with pytest.raises(SchemaVersionError, match="older"):
        read_record(RawItem, _raw(schema_version=0))
    with pytest.raises(ValidationError):  # not JSON: pydantic's usual error, as before
        read_record(RawItem, b"\xff\xfe this is not JSON")
    assert read_record(RawItem, _raw()).schema_version == 1  # missing means the first major


def test_dead_letter_ids_are_stable_per_item_stage_and_error() -> None:
    one = DeadLetter.for_error("processor", ValueError("a"), b"v1", key="k", topic="raw", offset=1)
    again = DeadLetter.for_error(
        "processor", ValueError("b"), b"v2", key="k", topic="raw", offset=7
    )
    other = DeadLetter.for_error("processor", TypeError("a"), b"v1", key="k", topic="raw")
    dedup = DeadLetter.for_error("processor", ValueError("a"), b"v1", key="k", topic="g-dedup")
    assert one.id == again.id and len(one.id) == 32
    assert len({one.id, other.id, dedup.id}) == 3
    assert DeadLetter.model_validate_json(one.to_json_bytes()).id == one.id
    old = json.loads(one.to_json_bytes())
    del old["id"]  # a letter written before ids existed
    assert DeadLetter.model_validate(old).id == one.id
    skipped = [DeadLetter.for_error("connector", ValueError("r"), p, key="src") for p in "ab"]
    assert skipped[0].id != skipped[1].id  # keyed by source id: the payload tells them apart


class _Writer:
    def prepare(self, articles: list[Article]) -> list[Any]:
        return list(articles)


class _Producer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> None:
        self.sent.append(json.loads(value))


def test_the_indexer_letters_a_newer_article_and_indexes_the_next() -> None:
    article = Article(id="a1", url="https://a.example/", source=SOURCE, body="B.")
    newer = {**json.loads(article.to_json_bytes()), "schema_version": 2, "id": "a2"}
    records = [
        SimpleNamespace(topic="articles", partition=0, offset=i, key=b"k", value=v, leader_epoch=0)
        for i, v in enumerate([json.dumps(newer).encode(), article.to_json_bytes()])
    ]
    indexer = Indexer(Settings(topic_dlq="dlq"), writer=_Writer())  # type: ignore[arg-type]
    dlq = _Producer()
    batch = indexer._prepare(cast(list[ConsumerRecord], records), cast(KafkaProducer, dlq))
    assert [a.id for _, a in batch.pending] == ["a1"]
    assert [(d["error_class"], d["offset"]) for d in dlq.sent] == [("SchemaTooNew", 0)]
    assert "newer than this consumer's 1.x" in dlq.sent[0]["message"]
