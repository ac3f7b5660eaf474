"""The index template maps every field of the article contract, with a suitable type."""

from __future__ import annotations

from pipeline.index.search import Filters, build_query, parse_when
from pipeline.index.template import article_mappings, field_types, index_template
from tests.unit.test_index_layout import NO_INDICES
from wire.models import Article


def test_every_article_field_is_mapped_explicitly() -> None:
    mappings = article_mappings()
    assert mappings["dynamic"] is False
    mapped = mappings["properties"]
    missing = [f for f in Article.model_fields if f not in mapped]
    assert missing == []


def test_field_types_fit_their_use() -> None:
    leaves = field_types(article_mappings()["properties"])
    for keyword in (
        "id",
        "url",
        "countries",
        "focus_countries",
        "subdivisions",
        "world_regions",
        "topics",
        "cluster_id",
        "duplicate_of",
        "lang",
        "source.country",
        "source.id",
    ):
        assert leaves[keyword] == "keyword", keyword
    for date in ("published_at", "fetched_at", "processed_at", "embeds.posted_at"):
        assert leaves[date] == "date", date
    assert leaves["places.location"] == "geo_point"
    assert leaves["body"] == "text" and leaves["title"] == "text"


def test_language_subfields_only_when_the_cluster_has_the_analyzer() -> None:
    plain = article_mappings(english=False)["properties"]["body"]
    rich = article_mappings(english=True)["properties"]["body"]
    assert "fields" not in plain
    assert rich["fields"]["en"]["analyzer"] == "english"
    template = index_template("news", "news")
    assert template["index_patterns"] == ["news-*"]
    assert template["template"]["aliases"] == {"news": {}}


def test_filters_become_term_queries() -> None:
    # With --mentions a region matches any mention, as every region filter did before
    # issue 17 made focus the default (tests/unit/test_search_query.py covers focus).
    q = build_query("Tehran", Filters(region="af", topic="diplomacy", lang="en", mentions=True))
    filters = q["bool"]["filter"]
    assert {"term": {"countries": "AF"}} in filters
    assert {"term": {"topics": "diplomacy"}} in filters
    assert {"term": {"lang": "en"}} in filters
    assert q["bool"]["must"][0]["multi_match"]["query"] == "Tehran"
    sub = build_query(None, Filters(region="AF-BDS", mentions=True))["bool"]["filter"]
    assert sub == [{"term": {"subdivisions": "AF-BDS"}}]
    region = build_query(None, Filters(region="Central Asia", mentions=True))["bool"]["filter"]
    assert region == [{"term": {"world_regions": "Central Asia"}}]
    focus = build_query(None, Filters(region="af"))["bool"]["filter"]
    assert focus == [{"term": {"focus_countries": "AF"}}]


def test_relative_and_absolute_times() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert parse_when("7d", now) == now - timedelta(days=7)
    assert parse_when("12h", now) == now - timedelta(hours=12)
    assert parse_when("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)


def test_lifecycle_policy_only_when_the_cluster_has_ilm() -> None:
    from pipeline.index.template import lifecycle_policy

    plain = index_template("news", "news")["template"]["settings"]
    assert "index.lifecycle.name" not in plain
    managed = index_template("news", "news", lifecycle="news-retention")["template"]["settings"]
    assert managed["index.lifecycle.name"] == "news-retention"
    policy = lifecycle_policy(30)
    assert policy["phases"]["delete"] == {"min_age": "30d", "actions": {"delete": {}}}


def test_bulk_requests_are_bounded_in_bytes() -> None:
    from types import SimpleNamespace

    from pipeline.index.indexer import by_bytes

    records = [SimpleNamespace(value=b"x" * n) for n in (40, 40, 40, 200, 10)]
    chunks = by_bytes(records, 100)  # type: ignore[arg-type]
    assert [[len(r.value) for r in c] for c in chunks] == [[40, 40], [40], [200], [10]]
    assert by_bytes([], 100) == []


def test_bulk_body_is_the_article_plus_indexed_at() -> None:
    import json
    from datetime import UTC, datetime

    from pipeline.index.writer import Writer
    from wire.models import SourceRef
    from wire.settings import Settings

    article = Article(
        id="a1",
        url="https://x.example/a",
        source=SourceRef(id="x", name="X", connector="rss"),
        title="Tehran “talks”",
        body="Line one.\n\nLine two.",
        published_at=datetime(2026, 3, 2, tzinfo=UTC),
    )
    writer = Writer(Settings(index_prefix="news"), client=NO_INDICES)
    action, source = writer.prepare([article])
    assert isinstance(action, dict) and isinstance(source, bytes)
    # yearly indices (issue 13, 11; legacy monthly ones: tests/unit/test_index_layout.py)
    assert action["index"]["_index"] == "news-2026" and action["index"]["_id"] == "a1"
    doc = json.loads(source)
    assert doc.pop("indexed_at")
    assert doc == article.model_dump(mode="json", exclude_none=True)


def test_each_batch_commits_the_offset_after_its_last_record() -> None:
    from types import SimpleNamespace

    from kafka import TopicPartition

    from pipeline.index.indexer import _next_offsets

    recs = [
        SimpleNamespace(topic="t", partition=p, offset=o, leader_epoch=0)
        for p, o in ((0, 5), (1, 9), (0, 6), (0, 7))
    ]
    offsets = _next_offsets(recs)  # type: ignore[arg-type]
    assert {tp: m.offset for tp, m in offsets.items()} == {
        TopicPartition("t", 0): 8,
        TopicPartition("t", 1): 10,
    }


def test_a_merged_sighting_updates_its_story_urls_instead_of_indexing() -> None:
    from datetime import UTC, datetime

    from pipeline.index.writer import Writer
    from wire.models import MergeTarget, SourceRef
    from wire.settings import Settings

    sighting = Article(
        id="copy",
        url="https://x.example/print/a",
        urls=["https://x.example/a", "https://x.example/print/a"],
        source=SourceRef(id="x", name="X", connector="rss"),
        merged_into=MergeTarget(id="head", story_time=datetime(2026, 1, 31, 23, tzinfo=UTC)),
    )
    writer = Writer(Settings(index_prefix="news"), client=NO_INDICES)
    action, doc = writer.prepare([sighting])
    assert action == {"update": {"_index": "news-2026", "_id": "head", "retry_on_conflict": 3}}
    assert doc == {"doc": {"urls": sighting.urls}}
