"""Every recorded page of the shared corpus goes through ``extract`` (skipped without it).

Not a quality score (``python -m pipeline.extract.measure`` does that): this guards the
invariants on real-world markup: no unhandled exception, no embed remnant left in a body,
paragraphs kept apart, times timezone-aware.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.extract.measure import CorpusPage, iter_corpus_pages

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "html"
# "— Name (@handle)" at the start of a line: what an X/Bluesky embed leaves behind
ATTRIBUTION_LINE = re.compile(r"^[—–―-]{1,2}\s*[^()\n]{0,80}\(\s*@[\w.@-]+\s*\)", re.MULTILINE)
TWEET_BLOCKQUOTE = re.compile(r"<blockquote[^>]*class=\"twitter-tweet")
NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def pages() -> list[CorpusPage]:
    if not CORPUS.exists():
        pytest.skip(f"shared corpus not available: {CORPUS} is absent")
    found = list(iter_corpus_pages(CORPUS))
    assert len(found) > 500, "the corpus README promises ~600 pages"
    return found


def test_every_corpus_page_extracts_without_embed_remnants(pages: list[CorpusPage]) -> None:
    failures: list[str] = []
    remnants: list[str] = []
    for page in pages:
        try:
            result = extract(page.read(), page.url, now=NOW)
        except Exception as error:  # the assertion below names every page that raised
            failures.append(f"{page.path.name}: {type(error).__name__}: {error}")
            continue
        body = result.body
        if "pic.twitter.com" in body or ATTRIBUTION_LINE.search(body):
            remnants.append(page.path.name)
        assert "\n\n\n" not in body, page.path.name
        assert result.published_at is None or result.published_at.tzinfo is not None
        for embed in result.embeds:
            assert embed.posted_at is None or embed.posted_at.tzinfo is not None
    assert not failures, failures
    assert not remnants, f"embed remnants left in the body of {remnants}"


def test_corpus_tweet_pages_yield_embeds(pages: list[CorpusPage]) -> None:
    """Pages that carry a twitter-tweet blockquote give at least one X embed with a handle."""
    with_tweets = [p for p in pages if TWEET_BLOCKQUOTE.search(p.read())][:15]
    assert with_tweets, "the corpus has pages with tweet embeds"
    for page in with_tweets:
        result = extract(page.read(), page.url, now=NOW)
        tweets = [e for e in result.embeds if e.platform == "x"]
        assert tweets, page.path.name
        assert any(e.handle or e.url for e in tweets), page.path.name
