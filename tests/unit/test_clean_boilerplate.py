"""Headline repeats, bylines, prompts, credits, slugs and datelines; and what must stay."""

from __future__ import annotations

import pytest

from pipeline.clean import clean_paragraphs, clean_text
from pipeline.clean.boilerplate import drop_boilerplate, drop_reason, strip_prefixes

STORY = [
    "First paragraph of a real story, long enough to read like one.",
    "Second paragraph with more of the reporting.",
    "Third paragraph.",
    "Fourth paragraph.",
    "Fifth paragraph.",
    "Sixth paragraph.",
    "Seventh paragraph.",
    "Eighth paragraph.",
    "Ninth paragraph.",
    "Tenth paragraph.",
    "Eleventh paragraph.",
]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Share this article", "share"),
        ("Share on Facebook", "share"),
        ("Facebook Twitter WhatsApp Email", "share"),
        ("Click to share on Telegram (Opens in new window)", "share"),
        ("Sign up for our morning newsletter", "newsletter"),
        ("Subscribe to get the daily briefing in your inbox", "newsletter"),
        ("Follow us on Twitter and Facebook for the latest news.", "follow"),
        ("Join our WhatsApp channel for breaking news", "follow"),
        ("تابعونا على فيسبوك وتويتر", "follow"),
        ("ما را در تلگرام دنبال کنید", "follow"),
        ("تازہ ترین خبروں کے لیے ہمیں فیس بک پر فالو کریں", "follow"),
        ("Photo: Reuters/Ali Khan", "credit"),
        ("(Photo by Jane Doe/AFP)", "credit"),
        ("Image source, Getty Images", "credit"),
        ("Image caption, Rescue teams worked through the night", "credit"),
        ("REUTERS/Jane Doe", "credit"),
        ("File photo", "credit"),
        ("فائل فوٹو", "credit"),
        ("عکس: ایرنا", "credit"),
        ("© 2025 Example Media", "credit"),
        ("Advertisement", "prompt"),
        ("Story continues below advertisement", "prompt"),
        ("Tags: economy, trade, wheat", "prompt"),
    ],
)
def test_boilerplate_lines_anywhere(line: str, reason: str) -> None:
    assert drop_reason(line, index=5, count=11) == reason


@pytest.mark.parametrize(
    "line",
    [
        "By Staff Reporter · December 18, 2025",
        "By Jane Doe and John Roe",
        "Published: 18 December 2025",
        "Updated on March 3, 2024 10:00 AM",
        "Reporting by Jane Doe in Kabul; Editing by John Roe",
        "بقلم: سارة العلي",
        "Von Nina Beispiel",
        "Stand: 22.04.2024, 06:00 Uhr",
    ],
)
def test_bylines_and_timestamps_only_at_the_edges(line: str) -> None:
    assert drop_reason(line, index=0, count=11) is not None
    assert drop_reason(line, index=10, count=11) is not None
    assert drop_reason(line, index=5, count=11) is None  # mid-story: could be prose


@pytest.mark.parametrize(
    "prose",
    [
        "By Tuesday, the council will vote on the plan.",
        "By the end of the year the road should be finished.",
        "Reuters reported on Monday that talks had stalled.",
        "Photographers gathered outside the court before dawn.",
        "Share prices fell sharply after the announcement on Monday.",
        "Follow-up talks are planned for next month in Doha.",
        "Sign language interpreters will be present at every session.",
        "The 2024 budget was 47 billion afghanis.",
        "Pakistan/Afghanistan border tensions rise again",
        "Published research shows the drought has lasted six years, officials said.",
    ],
)
def test_prose_is_never_boilerplate(prose: str) -> None:
    for index in (0, 5, 10):
        assert drop_reason(prose, index=index, count=11) is None, prose


def test_headline_repeat_is_dropped_only_at_the_top() -> None:
    headline = "Herat farmers switch to saffron"
    kept, dropped = drop_boilerplate(
        [f"{headline}.", *STORY[:4], headline], headlines=[f"{headline} | Valley Ledger", headline]
    )
    assert kept == [*STORY[:4], headline]
    assert dropped == [("headline", f"{headline}.")]


@pytest.mark.parametrize(
    ("first", "rest", "reason"),
    [
        (
            "Afghanistan/Iran_ Afghanistan's government said...",
            "Afghanistan's government said...",
            "slug",
        ),
        ("Economy_ Prices rose again.", "Prices rose again.", "slug"),
        ("KABUL, Dec 17 (Reuters) - Officials said...", "Officials said...", "dateline"),
        ("WASHINGTON (AP) — The Senate voted...", "The Senate voted...", "dateline"),
        (
            "ISLAMABAD: The federal cabinet approved...",
            "The federal cabinet approved...",
            "dateline",
        ),
        ("LONDON, England (CNN) -- Police said...", "Police said...", "dateline"),
        ("القاهرة (رويترز) - قالت الحكومة...", "قالت الحكومة...", "dateline"),
        ("اسلام آباد (ویب ڈیسک) وفاقی کابینہ نے...", "وفاقی کابینہ نے...", "dateline"),
        ("تهران (ایرنا) - دولت اعلام کرد...", "دولت اعلام کرد...", "dateline"),
    ],
)
def test_slug_and_dateline_prefixes(first: str, rest: str, reason: str) -> None:
    text, removed = strip_prefixes(first)
    assert text == rest
    assert [r for r, _ in removed] == [reason]


@pytest.mark.parametrize(
    "first",
    [
        "NATO — The alliance met in Brussels on Monday.",
        "US - China trade talks resumed on Monday.",
        "The UN (United Nations) said on Monday that aid was arriving.",
        "وزیراعظم (فائل فوٹو) نے کہا کہ حکومت اقدامات کرے گی۔",
        "COVID-19: cases fell for a third week.",
    ],
)
def test_openings_that_are_not_datelines(first: str) -> None:
    assert strip_prefixes(first) == (first, [])


def test_clean_text_end_to_end_on_a_feed_item() -> None:
    feed = "\n".join(
        [
            "Wheat convoy reaches Termez",
            "TERMEZ (Reuters) - A convoy of grain trucks crossed the bridge on Thursday.",
            "Drivers waited nearly a week for clearance.",
            "Read more: Rail freight deal signed",
            "Share this article",
        ]
    )
    cleaned = clean_text(feed, headlines=["Wheat convoy reaches Termez"])
    assert cleaned.body == (
        "A convoy of grain trucks crossed the bridge on Thursday.\n\n"
        "Drivers waited nearly a week for clearance."
    )
    assert [r.title for r in cleaned.related] == ["Rail freight deal signed"]
    assert {reason for reason, _ in cleaned.dropped} == {"headline", "share", "dateline"}


def test_repeated_consecutive_paragraph_is_kept_once() -> None:
    assert clean_paragraphs(["Same line here.", "Same line here.", "Next."]).paragraphs == [
        "Same line here.",
        "Next.",
    ]
