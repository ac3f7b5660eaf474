"""``extract`` on pages written in the style of real sites (tests/fixtures/clean)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.extract import Extracted, extract
from pipeline.extract.body import MAX_HTML_CHARS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clean"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def run(
    name: str, url: str = "https://site.example/story?utm_source=rss", **kw: object
) -> Extracted:
    html = (FIXTURES / name).read_text(encoding="utf-8")
    return extract(html, url, now=NOW, **kw)  # type: ignore[arg-type]


def test_wordpress_page() -> None:
    result = run("wordpress_en.html")
    assert result.body.startswith(
        "Farmers across Herat province"
    )  # slug "Economy/Agriculture_" cut
    for junk in (
        "Saffron picking season",
        "pic.twitter.com",
        "Also read",
        "canal repairs",
        "View this post",
        "Photo:",
        "Follow us",
        "Share this",
        "Pistachio",
        "Recent Posts",
    ):
        assert junk not in result.body, junk
    assert result.body.endswith("sell fresh flowers at a discount.")
    assert result.body.count("\n\n") == 5
    assert result.title == "Herat farmers switch to saffron as wheat prices fall"
    assert result.authors == ["Laila Ahmadi"]
    assert result.site_name == "Valley Ledger"
    assert result.published_at == datetime(2025, 11, 3, 2, 45, tzinfo=UTC)
    assert result.canonical_url == "https://valleyledger.example/2025/11/03/herat-saffron-farmers/"
    assert result.image == "https://site.example/wp-content/uploads/2025/11/saffron-field.jpg"
    assert result.lang == "en"
    assert [e.platform for e in result.embeds] == ["x", "instagram", "youtube"]
    assert result.embeds[0].handle == "valley_fieldnotes"
    assert result.embeds[0].posted_at == datetime(2025, 11, 2, tzinfo=UTC)
    assert {r.url for r in result.related} == {
        "https://valleyledger.example/2025/10/28/herat-water-canal/",
        "https://valleyledger.example/2025/09/14/pistachio-exports-rise/",
        "https://valleyledger.example/2025/08/30/herat-cold-storage/",
    }
    assert result.method == "trafilatura"
    assert result.version and result.version.startswith("2.") and "rules." in result.version


def test_arabic_news_cms_page() -> None:
    result = run("newscms_ar.html")
    assert result.body.startswith(
        "حذرت وكالات تابعة للأمم المتحدة"
    )  # dateline "جنيف (رويترز) -" cut
    for junk in ("اقرأ", "تابعونا", "pic.twitter.com", "المياه الجوفية في حوض النهر", "شارك"):
        assert junk not in result.body, junk
    assert result.lang == "ar"
    assert result.authors == ["سارة العلي", "محمد الحسن"]
    assert result.site_name == "شبكة الخليج الإخبارية"
    assert result.published_at == datetime(2025, 12, 5, 7, 20, tzinfo=UTC)
    assert (
        result.canonical_url == "https://khaleej-news.example/ar/world/2025/12/05/un-water-warning/"
    )
    assert [(e.platform, e.handle) for e in result.embeds] == [("x", "water_watch_ar")]
    assert sorted(r.title for r in result.related) == sorted(
        [
            "مشروع سد جديد يثير خلافات بين دول المصب",
            "موجة حر غير مسبوقة تضرب المنطقة في نهاية الخريف",
        ]
    )


def test_urdu_news_cms_page() -> None:
    result = run("newscms_ur.html", url="https://sahil.example/urdu/karachi/x")
    assert result.body.startswith("شہر میں موسلادھار بارش")  # "کراچی (ویب ڈیسک)" cut
    for junk in ("یہ بھی پڑھیں", "مزید پڑھیں", "فالو", "شاہراہ فیصل"):
        assert junk not in result.body, junk
    assert result.lang == "ur"
    assert result.canonical_url == "https://sahil.example/urdu/karachi/2025/08/14/power-outage"
    (post,) = result.embeds
    assert post.platform == "facebook" and post.url and "sahilnewsurdu" in post.url
    assert post.author == "Sahil News Urdu"
    assert post.posted_at == datetime(2025, 8, 14, tzinfo=UTC)
    assert len(result.related) == 2


def test_persian_news_cms_page_keeps_zero_width_non_joiners() -> None:
    result = run("newscms_fa.html")
    assert "نانوایی\u200cهای مشهد" in result.body  # trafilatura alone drops U+200C
    for junk in ("بیشتر بخوانید", "دنبال کنید", "یارانه آرد"):
        assert junk not in result.body, junk
    assert result.lang == "fa"
    assert result.authors == ["رضا کریمی"]
    assert [(e.platform, e.url) for e in result.embeds] == [
        ("telegram", "https://t.me/sample_news_fa/4821")
    ]
    assert len(result.related) == 3
    assert result.site_name == "خبرگزاری نمونه"  # from "<og:title> | <site>" in <title>


def test_plain_paragraphs_with_flattened_embeds() -> None:
    result = run("plain_remnants.html")
    assert result.body.startswith("A convoy of more than forty grain trucks")
    for junk in (
        "pic.twitter.com",
        "(@",
        "Forty-two trucks",
        "Queues at the bridge",
        "READ:",
        "Share this",
        "Reporting by",
        "Wheat convoy reaches Termez",
    ):
        assert junk not in result.body, junk
    assert [e.handle for e in result.embeds] == ["borderdesk_news", "termeztraders"]
    assert [r.title for r in result.related] == [
        "Uzbekistan and Afghanistan sign rail freight agreement"
    ]


def test_socials_on_a_news_cms_page() -> None:
    result = run("newscms_socials.html")
    assert [e.platform for e in result.embeds] == ["bluesky", "mastodon", "tiktok"]
    bluesky, mastodon, tiktok = result.embeds
    assert (
        bluesky.handle == "runscentralasia.bsky.social" and bluesky.author == "Runs in Central Asia"
    )
    assert mastodon.handle == "tajik_sports@mastodon.example.social"
    assert tiktok.text == "Finish line energy at the marathon"
    assert "Start line on Rudaki" not in result.body and "newsletter" not in result.body
    assert result.authors == ["Daler Nazarov"]
    assert result.image == "https://img.pamirpost.example/marathon.jpg"
    assert len(result.related) == 2


def test_feed_text_when_there_is_no_page() -> None:
    result = extract(
        None,
        "https://site.example/x",
        fallback_text="Ministers met in Almaty on Friday to discuss the water-sharing deal.\n"
        "Read more: Earlier talks collapsed",
        fallback_title="Water talks",
        feed_published_at=datetime(2025, 5, 2, 9, 0, tzinfo=UTC),
        now=NOW,
    )
    assert result.method == "feed"
    assert result.body == "Ministers met in Almaty on Friday to discuss the water-sharing deal."
    assert result.title == "Water talks"
    assert result.published_at == datetime(2025, 5, 2, 9, 0, tzinfo=UTC)
    assert [r.title for r in result.related] == ["Earlier talks collapsed"]


def test_menu_only_page_falls_through_to_the_feed() -> None:
    html = "<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav></body></html>"
    assert extract(html, "https://site.example/x", now=NOW).body == ""
    result = extract(
        html, "https://site.example/x", fallback_text="A one-line summary of the story."
    )
    assert (result.method, result.body) == ("feed", "A one-line summary of the story.")


def test_short_paywalled_page_yields_to_a_longer_feed_text() -> None:
    teaser = "The cabinet met on Monday to discuss the budget and the new tax on fuel imports."
    html = f"<html><body><article><h1>Budget</h1><p>{teaser}</p></article></body></html>"
    full = "\n".join(
        [teaser, *(f"Paragraph {i} of the full story from the feed." for i in range(8))]
    )
    result = extract(html, "https://site.example/x", fallback_text=full, now=NOW)
    assert result.method == "feed"
    assert result.body.count("\n\n") == 8


def test_publication_time_sanity_and_fallbacks() -> None:
    def page(published: str) -> str:
        body = "".join(
            f"<p>Paragraph {i} of a story long enough to be an article body.</p>" for i in range(6)
        )
        return (
            f'<html><head><meta property="article:published_time" content="{published}"></head>'
            f"<body><article>{body}</article></body></html>"
        )

    feed = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    url = "https://site.example/x"
    assert (
        extract(page("1970-01-01T00:00:00Z"), url, feed_published_at=feed, now=NOW).published_at
        == feed
    )
    ahead = (NOW + timedelta(days=3)).isoformat()
    assert extract(page(ahead), url, feed_published_at=feed, now=NOW).published_at == feed
    assert extract(page("1970-01-01T00:00:00Z"), url, now=NOW).published_at is None
    # a naive page time is read as UTC; an offset is honoured
    assert extract(page("2025-06-01T08:00:00"), url, now=NOW).published_at == datetime(
        2025, 6, 1, 8, 0, tzinfo=UTC
    )
    # a page that names only the day yields to the feed's instant on that day
    assert extract(page("2025-06-01"), url, feed_published_at=feed, now=NOW).published_at == feed
    old_feed = datetime(1980, 1, 1, tzinfo=UTC)
    assert (
        extract(None, url, fallback_text="x" * 50, feed_published_at=old_feed, now=NOW).published_at
        is None
    )


def test_huge_page_is_bounded_and_still_extracted() -> None:
    story = "".join(
        f"<p>Paragraph {i} of the story that matters to readers today.</p>" for i in range(20)
    )
    filler = "<div>" + ("<span>filler</span>" * 300_000) + "</div>"
    html = f"<html><body><article><h1>Big page</h1>{story}</article>{filler}</body></html>"
    assert len(html) > MAX_HTML_CHARS
    result = extract(html, "https://site.example/big", now=NOW)
    assert result.body.startswith("Paragraph 0 of the story")
    assert "filler" not in result.body


@pytest.mark.parametrize("html", ["", "   ", "not html at all", "<html></html>", "\x00\x01"])
def test_degenerate_input_never_raises(html: str) -> None:
    result = extract(html, "https://site.example/x", now=NOW)
    assert isinstance(result.body, str)
