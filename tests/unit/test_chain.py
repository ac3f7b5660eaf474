from datetime import UTC, datetime, timedelta

import pytest

from pipeline.chain import NotAnArticle, html_to_text, process
from pipeline.extract.fields import sane_time
from tests.support.site import make_stories
from wire.models import RawItem, SourceRef

SOURCE = SourceRef(id="steppe", name="Steppe Courier", connector="rss", country="KZ")


def _raw(**fields: object) -> RawItem:
    fields.setdefault("key", "https://steppe.example/news/report-0")
    fields.setdefault("url", "https://steppe.example/news/report-0?utm_source=rss")
    return RawItem(source=SOURCE, **fields)  # type: ignore[arg-type]


def test_page_becomes_article_with_body_without_headline_or_furniture() -> None:
    story = make_stories(1)[0]
    article = process(_raw(html=story.html("https://steppe.example"), title="Feed title"))
    assert article.title == story.title
    assert article.body.startswith(story.paragraphs[0])
    assert story.title not in article.body
    assert "newsletter" not in article.body and "Home" not in article.body
    assert article.body.count("\n\n") == len(story.paragraphs) - 1  # paragraphs kept apart
    assert article.url == "https://steppe.example/news/report-0"  # canonical, no tracking
    assert article.id and article.cluster_id == article.id
    assert article.source.country == "KZ"
    assert article.extraction is not None and article.extraction.method.startswith("trafilatura")


def test_same_story_under_two_urls_gets_one_id() -> None:
    story = make_stories(1)[0]
    html = story.html("https://steppe.example")
    a = process(_raw(html=html, url="https://steppe.example/news/report-0?utm_medium=x"))
    b = process(_raw(html=html, url="https://steppe.example/news/report-0#comments"))
    assert a.id == b.id


def test_an_article_a_post_linked_to_names_the_post() -> None:
    story = make_stories(1)[0]
    post = "https://t.me/steppewire/88"
    linked = process(_raw(html=story.html("https://steppe.example"), extra={"linked_from": post}))
    assert linked.linked_from == post
    assert process(_raw(html=story.html("https://steppe.example"))).linked_from is None
    odd = process(_raw(html=story.html("https://steppe.example"), extra={"linked_from": 7}))
    assert odd.linked_from is None  # only a URL string is taken from the free-form extra


def test_feed_text_is_the_fallback_when_there_is_no_page() -> None:
    summary = "<p>First paragraph of the summary.</p><p>Second one, with <b>bold</b>.</p>"
    article = process(_raw(summary=summary, title="Only a summary"))
    assert article.body == "First paragraph of the summary.\n\nSecond one, with bold."
    assert article.extraction is not None and article.extraction.method != "trafilatura"


def test_item_without_text_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        process(_raw(html="<html><body><nav>Home</nav></body></html>"))


def test_html_to_text_handles_plain_text_and_line_breaks() -> None:
    assert html_to_text("just text ") == "just text"
    assert html_to_text("<div>one<br>two</div>") == "one\ntwo"


def test_publication_times_outside_sane_bounds_are_dropped() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert sane_time(datetime(1989, 12, 31, tzinfo=UTC), now) is None
    assert sane_time(now + timedelta(days=2), now) is None
    assert sane_time(now + timedelta(hours=20), now) == now + timedelta(hours=20)
    assert sane_time(None, now) is None


def _post(**fields: object) -> RawItem:
    from wire.models import SocialPost

    values: dict[str, object] = {
        "platform": "mastodon",
        "post_id": "1101",
        "url": "https://mastodon.example/@kabulwatch/1101",
        "author": "Kabul Watch",
        "handle": "@kabulwatch@mastodon.example",
        "text": "Border crossing at Torkham reopened this morning after talks.\n\nMore soon.",
        "posted_at": datetime(2026, 5, 4, 8, 30, tzinfo=UTC),
        "lang": "en",
        "engagement": {"likes": 12, "reposts": 3},
        "links": ["https://news.example/torkham"],
    }
    post = SocialPost.model_validate({**values, **fields})
    return RawItem(
        key="mastodon:1101", url=post.url, kind="social_post", content=post.text or "-",
        source=SOURCE, social=post,
    )  # fmt: skip


def test_social_post_is_its_own_text_with_author_in_the_title() -> None:
    article = process(_post())
    assert article.kind == "social_post"
    assert article.body.startswith("Border crossing at Torkham reopened")
    assert (
        article.title
        == "Kabul Watch: Border crossing at Torkham reopened this morning after talks."
    )
    assert article.url == "https://mastodon.example/@kabulwatch/1101"
    assert article.published_at == datetime(2026, 5, 4, 8, 30, tzinfo=UTC)
    assert article.authors == ["Kabul Watch"] and article.lang == "en"
    assert article.social is not None and article.social.engagement["likes"] == 12
    assert article.extraction is not None and article.extraction.method == "social"


def test_social_post_without_text_is_not_an_article() -> None:
    raw = _post(text="")
    raw = raw.model_copy(update={"content": "   "})
    with pytest.raises(NotAnArticle):
        process(raw)


def test_a_social_raw_item_needs_its_post() -> None:
    with pytest.raises(ValueError, match="social"):
        RawItem(key="x", url="https://x.example/1", kind="social_post", content="t", source=SOURCE)
