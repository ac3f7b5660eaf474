"""URL normalisation: the story id and dedup key, so every variant must fold to one string."""

from __future__ import annotations

import pytest

from pipeline.extract.urls import normalize_url, resolve_canonical, same_story_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://news.example.com/world/story?utm_source=rss&utm_medium=feed",
            "https://news.example.com/world/story",
        ),
        ("https://example.com/a?fbclid=IwAR0&gclid=xyz&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?b=2&a=1#comments", "https://example.com/a?a=1&b=2"),
        ("HTTPS://WWW.Example.COM:443/Path/Case", "https://www.example.com/Path/Case"),
        ("https://m.example.com/story", "https://example.com/story"),
        ("https://mobile.example.co.uk/story", "https://example.co.uk/story"),
        ("https://amp.example.com/story", "https://example.com/story"),
        ("https://example.com/amp/2022/04/08/49027/", "https://example.com/2022/04/08/49027/"),
        ("https://example.com/news/story/amp/", "https://example.com/news/story/"),
        ("https://example.com/news/story.amp", "https://example.com/news/story"),
        ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
        ("https://example.com/amphtml/news/x-1.html", "https://example.com/news/x-1.html"),
        ("https://example.com/story?amp=1", "https://example.com/story"),
        ("https://example.com/story?outputType=amp", "https://example.com/story"),
        ("https://example.com/story?amp", "https://example.com/story"),
        ("https://example.com/a;jsessionid=ABC123?x=1", "https://example.com/a?x=1"),
        ("https://example.com/a?PHPSESSID=abc&sid=9&p=5", "https://example.com/a?p=5"),
        ("//example.com/x", "https://example.com/x"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_story_identity_parameters_survive() -> None:
    # courlan's strict mode would drop these and merge different stories into one id
    assert normalize_url("https://x.example/story.php?storyid=99") == (
        "https://x.example/story.php?storyid=99"
    )
    assert normalize_url("https://x.example/?p=123") == "https://x.example/?p=123"
    assert normalize_url("https://x.example/view?gallery=2") == "https://x.example/view?gallery=2"
    assert normalize_url("https://www.example.com/a") != normalize_url("https://example.com/a")


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/world/story?utm_source=rss",
        "HTTPS://M.Example.com:443/a/b/amp/?utm_medium=x&id=5&fbclid=abc#frag",
        "https://example.com/a b/ü?q=ä ö",
        "https://example.com/xn--caf-dma/?z=1&a=2",
        "https://xn--mnchen-3ya.example/a",
        "mailto:desk@example.com",
        "not a url",
    ],
)
def test_normalize_url_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


def test_non_http_input_comes_back_unchanged() -> None:
    assert normalize_url("  mailto:desk@example.com ") == "mailto:desk@example.com"
    assert normalize_url("") == ""


def test_canonical_resolution() -> None:
    page = "https://paper.example/news/2025/story-1?utm_source=x"
    assert (
        resolve_canonical(["/news/2025/story-1"], page) == "https://paper.example/news/2025/story-1"
    )
    # a front-page canonical on a story page is a template bug: skipped
    assert resolve_canonical(["https://paper.example/", None], page) == (
        "https://paper.example/news/2025/story-1"
    )
    assert resolve_canonical([None, "https://m.paper.example/news/2025/story-1/amp"], page) == (
        "https://paper.example/news/2025/story-1"
    )
    assert (
        resolve_canonical(["javascript:void(0)"], page) == "https://paper.example/news/2025/story-1"
    )
    assert same_story_url(page, "https://paper.example/news/2025/story-1#top")
