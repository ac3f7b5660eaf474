"""Social embeds: cut from markup and from text remnants, kept as ``Embed``."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest
from lxml.html import HtmlElement

from pipeline.clean import clean_paragraphs, clean_tree
from pipeline.clean.social_html import classify, remove_embeds
from pipeline.clean.social_text import take_embeds
from pipeline.clean.text import parse_embed_date

BASE = "https://paper.example/news/story"


def page(fragment: str) -> HtmlElement:
    return lxml.html.fromstring(f"<html><body><article>{fragment}</article></body></html>")


TWEET = (
    '<p>Before the tweet.</p><blockquote class="twitter-tweet"><p lang="en">Polls close at'
    ' eight tonight across the province. <a href="https://t.co/x">pic.twitter.com/AbC123</a></p>'
    "&mdash; Election Desk (@election_desk) "
    '<a href="https://twitter.com/election_desk/status/1234567890123456789?ref_src=t">'
    "March 3, 2024</a></blockquote><p>After the tweet.</p>"
)


def test_tweet_blockquote_is_removed_and_described() -> None:
    root = page(TWEET)
    embeds = remove_embeds(root, BASE)
    text = root.text_content()
    assert "Polls close" not in text and "election_desk" not in text
    assert "Before the tweet." in text and "After the tweet." in text
    (tweet,) = embeds
    assert tweet.platform == "x"
    assert tweet.url == "https://twitter.com/election_desk/status/1234567890123456789"
    assert tweet.author == "Election Desk"
    assert tweet.handle == "election_desk"
    assert tweet.text is not None and tweet.text.startswith("Polls close at eight")
    assert tweet.posted_at == datetime(2024, 3, 3, tzinfo=UTC)


def test_tweet_attribution_in_its_own_paragraph_and_localized_date() -> None:
    root = page(
        '<blockquote class="twitter-tweet" data-lang="de"><p lang="de">Heute bleibt die Brücke'
        " gesperrt.</p><p>— Stadtwerke Nord (@stadtwerke_nord)"
        ' <a href="https://x.com/stadtwerke_nord/status/1800000000000000000">'
        "6. März 2024</a></p></blockquote>"
    )
    (tweet,) = remove_embeds(root, BASE)
    assert tweet.handle == "stadtwerke_nord"
    assert tweet.text == "Heute bleibt die Brücke gesperrt."
    assert tweet.posted_at == datetime(2024, 3, 6, tzinfo=UTC)


def test_empty_tweet_blockquote_still_gives_url_and_handle() -> None:
    root = page(
        '<blockquote class="twitter-tweet"><a href="https://twitter.com/some_reporter/status/'
        '1862218239293501552">&nbsp;</a></blockquote>'
    )
    (tweet,) = remove_embeds(root, BASE)
    assert tweet.handle == "some_reporter"
    assert tweet.url and tweet.url.endswith("/status/1862218239293501552")
    assert tweet.text is None


@pytest.mark.parametrize(
    ("fragment", "platform", "url"),
    [
        (
            '<blockquote class="instagram-media" data-instgrm-permalink='
            '"https://www.instagram.com/p/Cxyz123/?utm_source=ig_embed"><p>Caption here.</p>'
            "<p>A post shared by Valley Cafe (@valley.cafe)</p></blockquote>",
            "instagram",
            "https://www.instagram.com/p/Cxyz123/",
        ),
        (
            '<div class="fb-post" data-href="https://www.facebook.com/citypage/posts/123">'
            '<blockquote class="fb-xfbml-parse-ignore"><p>Road closed.</p>Posted by '
            "<a>City Page</a> on Monday, June 2, 2025</blockquote></div>",
            "facebook",
            "https://www.facebook.com/citypage/posts/123",
        ),
        (
            '<script async src="https://telegram.org/js/telegram-widget.js" '
            'data-telegram-post="channel_name/42"></script>',
            "telegram",
            "https://t.me/channel_name/42",
        ),
        (
            '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"></iframe>',
            "youtube",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        (
            '<iframe class="mastodon-embed" src="https://social.example/@reporter/1122334455/embed">'
            "</iframe>",
            "mastodon",
            "https://social.example/@reporter/1122334455",
        ),
        (
            '<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc/app.bsky.feed.'
            'post/3kxyz"><p>Text.</p>&mdash; Jo (<a>@jo.bsky.social</a>) <a>May 1, 2025 at 9:00 AM'
            "</a></blockquote>",
            "bluesky",
            "https://bsky.app/profile/did:plc:abc/post/3kxyz",
        ),
        (
            '<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@cook/video/7300000000">'
            '<section><a title="@cook">@cook</a> Bread in ten minutes <a>♬ original sound - cook'
            "</a></section></blockquote>",
            "tiktok",
            "https://www.tiktok.com/@cook/video/7300000000",
        ),
    ],
)
def test_each_platform_embed_is_recognised(fragment: str, platform: str, url: str) -> None:
    root = page(f"<p>Story text stays.</p>{fragment}")
    embeds = remove_embeds(root, BASE)
    assert [(e.platform, e.url) for e in embeds] == [(platform, url)]
    assert root.text_content().strip() == "Story text stays."


def test_share_buttons_and_page_plugins_are_not_embeds() -> None:
    root = page(
        '<iframe src="https://www.facebook.com/plugins/page.php?href=x"></iframe>'
        '<iframe src="https://platform.twitter.com/widgets/tweet_button.html"></iframe>'
        "<blockquote><p>An ordinary quotation from a speech.</p></blockquote>"
    )
    assert [classify(el) for el in root.iter("iframe", "blockquote")] == [None, None, None]
    assert remove_embeds(root, BASE) == []


def test_tweet_remnant_in_text_becomes_embed() -> None:
    body, embeds = take_embeds(
        [
            "The minister spoke on Tuesday.",
            "Flood water is rising near the old bridge. pic.twitter.com/Q1w2E3",
            "— River Watch (@riverwatch) April 2, 2024",
            "Officials urged residents to move to higher ground.",
        ]
    )
    assert body == [
        "The minister spoke on Tuesday.",
        "Officials urged residents to move to higher ground.",
    ]
    (tweet,) = embeds
    assert (tweet.platform, tweet.handle, tweet.author) == ("x", "riverwatch", "River Watch")
    assert tweet.text is not None and tweet.text.startswith("Flood water")
    assert tweet.posted_at == datetime(2024, 4, 2, tzinfo=UTC)


def test_inline_tweet_remnant_at_paragraph_end() -> None:
    body, embeds = take_embeds(
        [
            "Queues are short today https://t.co/abc — Port Office (@port_office) May 5, 2023",
            "Next.",
        ]
    )
    assert body == ["Next."]
    assert (
        embeds[0].handle == "port_office"
        and embeds[0].text == "Queues are short today https://t.co/abc"
    )


@pytest.mark.parametrize(
    ("line", "platform", "handle"),
    [
        ("— Ana (@ana.bsky.social) June 1, 2025 at 10:03 AM", "bluesky", "ana.bsky.social"),
        ("— Desk (@desk@social.example) June 1, 2025", "mastodon", "desk@social.example"),
        ("Post by @desk@social.example View on Mastodon", "mastodon", "desk@social.example"),
        ("@bakery.daily ♬ original sound - Bakery", "tiktok", "bakery.daily"),
    ],
)
def test_attribution_line_shapes(line: str, platform: str, handle: str) -> None:
    body, embeds = take_embeds(["A real first paragraph of the story that stays.", line])
    assert [(e.platform, e.handle) for e in embeds] == [(platform, handle)]
    if line.startswith("—"):  # the post text sits right above its attribution
        assert body == [] and embeds[0].text == "A real first paragraph of the story that stays."
    else:  # these snippets carry no text of their own: the paragraph above is the story's
        assert body == ["A real first paragraph of the story that stays."]


def test_instagram_banner_caption_and_credit() -> None:
    body, embeds = take_embeds(
        [
            "Story opens here.",
            "View this post on Instagram",
            "Sunset over the harbour tonight",
            "A post shared by Harbour Views (@harbour.views)",
            "Story continues here.",
        ]
    )
    assert body == ["Story opens here.", "Story continues here."]
    (post,) = embeds
    assert (post.platform, post.handle, post.text) == (
        "instagram",
        "harbour.views",
        "Sunset over the harbour tonight",
    )


def test_bare_post_url_and_pic_links() -> None:
    body, embeds = take_embeds(
        [
            "https://twitter.com/someone/status/123456789",
            "Rain is expected tomorrow. pic.twitter.com/zzz111",
            "https://www.example.org/not-a-post",
        ]
    )
    assert body == ["Rain is expected tomorrow.", "https://www.example.org/not-a-post"]
    assert [e.platform for e in embeds] == ["x"]


def test_prose_with_a_handle_is_not_an_embed() -> None:
    lines = [
        "The mayor, who posts as (@citymayor) online, said the plan would go ahead.",
        "- Follow the council (@citycouncil) for updates",
    ]
    body, embeds = take_embeds(lines)
    assert body == lines and embeds == []


def test_clean_tree_and_paragraphs_together_keep_one_embed_per_post() -> None:
    root = page(TWEET)
    found = clean_tree(root, BASE)
    cleaned = clean_paragraphs(["Before the tweet.", "After the tweet."], links=found.links)
    assert len(found.embeds) == 1 and cleaned.embeds == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("December 17, 2025", datetime(2025, 12, 17, tzinfo=UTC)),
        ("Dec 17, 2025 at 9:30am PST", datetime(2025, 12, 17, tzinfo=UTC)),
        ("17. Dezember 2025", datetime(2025, 12, 17, tzinfo=UTC)),
        ("17 décembre 2025", datetime(2025, 12, 17, tzinfo=UTC)),
        ("17 de diciembre de 2025", datetime(2025, 12, 17, tzinfo=UTC)),
        ("2025-12-17T08:00:00+00:00", datetime(2025, 12, 17, tzinfo=UTC)),
        ("Wednesday, December 17, 2025", datetime(2025, 12, 17, tzinfo=UTC)),
        ("sometime last week", None),
        ("February 30, 2025", None),
    ],
)
def test_embed_dates(text: str, expected: datetime | None) -> None:
    assert parse_embed_date(text) == expected
