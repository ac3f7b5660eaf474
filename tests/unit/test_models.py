from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from wire.models import Article, DeadLetter, RawItem, SourceRef, article_id

SOURCE = SourceRef(id="s", name="S", connector="rss")


def test_raw_item_needs_some_text() -> None:
    with pytest.raises(ValidationError, match="at least one of html, content or summary"):
        RawItem(key="k", url="https://a.example/x", source=SOURCE)
    assert RawItem(key="k", url="https://a.example/x", source=SOURCE, summary="s").summary == "s"


def test_naive_datetimes_are_refused_and_aware_ones_become_utc() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        RawItem(key="k", url="u", source=SOURCE, html="<p>x</p>", published_at=datetime(2026, 1, 1))  # noqa: DTZ001
    item = RawItem.model_validate_json(
        '{"key": "k", "url": "u", "source": {"id": "s", "name": "S", "connector": "rss"},'
        ' "html": "<p/>", "published_at": "2026-01-01T05:00:00+04:30"}'
    )
    assert item.published_at == datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    assert item.published_at.tzinfo == UTC


def test_article_id_is_deterministic_and_url_specific() -> None:
    assert article_id("https://a.example/x") == article_id("https://a.example/x")
    assert article_id("https://a.example/x") != article_id("https://a.example/y")
    assert len(article_id("https://a.example/x")) == 32


def test_article_round_trips_through_json() -> None:
    article = Article(id="1", url="https://a.example/x", source=SOURCE, body="Text.")
    again = Article.from_json_bytes(article.to_json_bytes())
    assert again == article


def test_dead_letter_keeps_payload_and_reason() -> None:
    letter = DeadLetter.for_error("processor", ValueError("bad page"), b"\xff{raw", key="k")
    assert letter.error_class == "ValueError"
    assert letter.message == "bad page"
    assert letter.payload.endswith("{raw")  # undecodable bytes replaced, the rest kept
    assert letter.stage == "processor"
