"""The story newswire is built around, through the whole chain (extract, clean, tag)."""

from __future__ import annotations

from pathlib import Path

from pipeline.chain import process
from pipeline.tagging import default_taggers
from wire.models import RawItem, SourceRef


def test_seed_article_end_to_end(shared_dir: Path) -> None:
    html = (shared_dir / "samples" / "seed-article.html").read_text(encoding="utf-8")
    raw = RawItem(
        key="https://news.example/afghanistan-iran",
        url="https://news.example/afghanistan-iran",
        source=SourceRef(id="seed", name="Seed", connector="rss", country="PK"),
        html=html,
    )
    article = process(raw, default_taggers())

    assert article.body.startswith("Afghanistan’s Taliban government has sought")
    assert "pic.twitter.com" not in article.body
    assert "Read more" not in article.body
    assert article.title and article.title not in article.body
    assert [e.handle for e in article.embeds] == ["taahir_khan"]
    assert article.embeds[0].posted_at is not None
    assert article.embeds[0].posted_at.date().isoformat() == "2025-12-17"
    assert any(r.title.startswith("Taliban’s Push for India Ties") for r in article.related)

    assert sorted(article.focus_countries[:2]) == ["AF", "IR"]
    assert {"PK", "CN", "RU", "IN"} <= set(article.countries)
    assert article.countries[:2] == article.focus_countries[:2]
    assert "AF-BDS" in article.subdivisions
    assert {"Southern Asia", "Central Asia"} <= set(article.world_regions)
    assert "diplomacy" in article.topics
    assert {"security", "terrorism", "conflict-war-peace"} & set(article.topics)
    assert not {"sport", "arts-culture-entertainment", "weather"} & set(article.topics)
    assert article.source.country == "PK"  # the publisher's, kept apart from the story's
