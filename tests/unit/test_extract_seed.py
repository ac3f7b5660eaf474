"""Acceptance: the project's seed article, from the shared samples (skipped without them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.extract import extract

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED = SHARED / "samples" / "seed-article.html"
URL = "https://news.example.com/world/taliban-iran-tehran-meeting?utm_source=rss"


@pytest.fixture(scope="module")
def seed_html() -> str:
    if not SEED.exists():
        pytest.skip(f"shared samples not available: {SEED} is absent")
    return SEED.read_text(encoding="utf-8")


def test_seed_body_is_the_clean_article(seed_html: str) -> None:
    result = extract(seed_html, URL)
    assert result.body.startswith("Afghanistan’s Taliban government has sought")
    assert "pic.twitter.com" not in result.body
    assert "(@taahir_khan)" not in result.body
    assert "Days after the #Afghan" not in result.body  # the tweet's own text
    assert "Read more" not in result.body
    assert result.title is not None and result.title not in result.body
    assert "Share on" not in result.body and "Most read" not in result.body
    assert not re.search(r"\n{3,}", result.body)
    assert "\n\n" in result.body  # paragraphs apart


def test_seed_tweet_becomes_an_embed(seed_html: str) -> None:
    result = extract(seed_html, URL)
    tweets = [e for e in result.embeds if e.handle == "taahir_khan"]
    assert len(tweets) == 1
    tweet = tweets[0]
    assert tweet.platform == "x"
    assert tweet.author == "Tahir Khan"
    assert tweet.posted_at is not None and tweet.posted_at.tzinfo is not None
    assert tweet.posted_at.date() == datetime(2025, 12, 17, tzinfo=UTC).date()
    assert tweet.text and "Iranian diplomat" in tweet.text


def test_seed_read_more_becomes_a_related_link(seed_html: str) -> None:
    result = extract(seed_html, URL)
    titles = [r.title for r in result.related]
    assert any(t.startswith("Taliban’s Push for India Ties") for t in titles)
    link = next(r for r in result.related if r.title.startswith("Taliban’s Push"))
    assert link.url == "https://news.example.com/taliban-india-ties"


def test_seed_metadata(seed_html: str) -> None:
    result = extract(seed_html, URL, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert result.canonical_url == "https://news.example.com/world/taliban-iran-tehran-meeting"
    assert result.title == "Taliban seek Iranian reassurance after skipping Tehran regional meeting"
    assert result.published_at == datetime(2025, 12, 18, 4, 30, tzinfo=UTC)
    assert result.lang == "en"
    assert result.method == "trafilatura" and result.version


def test_seed_as_feed_text_is_cleaned_the_same_way() -> None:
    """The text-only form of the seed (what a feed carries) goes through the text rules."""
    text_file = SHARED / "samples" / "seed-article.txt"
    if not text_file.exists():
        pytest.skip(f"shared samples not available: {text_file} is absent")
    result = extract(None, URL, fallback_text=text_file.read_text(encoding="utf-8"))
    assert result.method == "feed"
    assert result.body.startswith("Afghanistan’s Taliban government has sought")
    assert "pic.twitter.com" not in result.body and "Read more" not in result.body
    assert [e.handle for e in result.embeds] == ["taahir_khan"]
    assert result.embeds[0].posted_at == datetime(2025, 12, 17, tzinfo=UTC)
    assert [r.title[:27] for r in result.related] == ["Taliban’s Push for India Ti"]
