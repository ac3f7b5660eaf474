"""Metadata values: titles without site suffixes, author lists, dates, language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import lxml.html
import pytest

from pipeline.extract import language
from pipeline.extract.fields import (
    clean_authors,
    clean_site_name,
    sane_time,
    split_site_suffix,
    strip_site_suffix,
)
from pipeline.extract.language import detect_language
from pipeline.extract.metadata import parse_datetime, read_page_meta

URL = "https://www.dawnpost.example/news/1234"


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Floods hit Sindh | Dawn Post", "Dawn Post", "Floods hit Sindh"),
        ("Floods hit Sindh - Dawn Post", None, "Floods hit Sindh"),  # from the host name
        ("Dawn Post | Floods hit Sindh", "Dawn Post", "Floods hit Sindh"),
        ("Floods hit Sindh – Dawn Post – 30.01.2024", None, "Floods hit Sindh"),
        ("Floods hit Sindh | World", None, "Floods hit Sindh"),  # short label behind a pipe
        ("宮崎県で震度5弱：朝日新聞デジタル", "朝日新聞デジタル", "宮崎県で震度5弱"),
        ("Biden - Putin summit ends without deal", None, "Biden - Putin summit ends without deal"),
        ("Trade war: what comes next", "Dawn Post", "Trade war: what comes next"),
    ],
)
def test_site_suffix_is_stripped(title: str, site: str | None, expected: str) -> None:
    assert strip_site_suffix(title, site, URL) == expected


def test_known_title_names_the_site() -> None:
    assert split_site_suffix(
        "Bread prices rise | Sample Agency", None, URL, "Bread prices rise"
    ) == (
        "Bread prices rise",
        "Sample Agency",
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Staff Reporter · December"], ["Staff Reporter"]),
        (["By Jane Doe and John Roe"], ["Jane Doe", "John Roe"]),
        (["Anna Martel und Lea Wagner"], ["Anna Martel", "Lea Wagner"]),
        (["Jane Doe; Jane Doe; Ali Khan"], ["Jane Doe", "Ali Khan"]),
        (["Brazil, Rachel"], ["Rachel Brazil"]),
        (["Elena Oberholzer (obe)"], ["Elena Oberholzer"]),
        (["Autor Monika Bolliger"], ["Monika Bolliger"]),
        (["https://example.com/author/jane", "desk@example.com", "Lrt.lt", ""], []),
        (["سارة العلي", "محمد الحسن"], ["سارة العلي", "محمد الحسن"]),
    ],
)
def test_clean_authors(values: list[str], expected: list[str]) -> None:
    assert clean_authors(values) == expected


def test_site_name_is_not_a_hostname() -> None:
    assert clean_site_name("news.example.com") is None
    assert clean_site_name(" Valley  Ledger ") == "Valley Ledger"


def test_sane_time_bounds() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert sane_time(datetime(1989, 12, 31, tzinfo=UTC), now) is None
    assert sane_time(now + timedelta(days=2), now) is None
    assert sane_time(now + timedelta(hours=20), now) == now + timedelta(hours=20)
    assert sane_time(datetime(2025, 1, 1), now) is None  # naive: never guessed  # noqa: DTZ001


@pytest.mark.parametrize(
    ("value", "expected", "day_only"),
    [
        ("2025-12-18T09:30:00+05:00", datetime(2025, 12, 18, 4, 30, tzinfo=UTC), False),
        ("2025-12-18T09:30:00Z", datetime(2025, 12, 18, 9, 30, tzinfo=UTC), False),
        ("2025-12-18", datetime(2025, 12, 18, tzinfo=UTC), True),
        ("Thu, 18 Dec 2025 09:30:00 GMT", datetime(2025, 12, 18, 9, 30, tzinfo=UTC), False),
        (1766050200, datetime(2025, 12, 18, 9, 30, tzinfo=UTC), False),
    ],
)
def test_parse_datetime(value: object, expected: datetime, day_only: bool) -> None:
    assert parse_datetime(value) == (expected, day_only)


@pytest.mark.parametrize("value", [None, "", "soon", {"a": 1}])
def test_parse_datetime_rejects(value: object) -> None:
    assert parse_datetime(value) is None


def test_page_meta_from_json_ld_graph_and_meta_tags() -> None:
    tree = lxml.html.fromstring(
        '<html lang="ps-AF"><head><title>T | S</title>'
        '<link rel="canonical" href="/a"><meta property="og:url" content="https://x.example/b">'
        '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, {"@type": '
        '["NewsArticle"], "headline": "H", "datePublished": "2025-01-02T03:04:05Z", "author": '
        '[{"name": "A One"}, "A Two"], "publisher": {"name": "Pub"}, "image": {"url": "/i.jpg"}}]}'
        "</script></head><body><h1>H</h1></body></html>"
    )
    meta = read_page_meta(tree)
    assert meta.canonical == ["/a", "https://x.example/b"]
    assert meta.title == "H" and meta.html_title == "T | S" and meta.headings == ["H"]
    assert meta.authors == ["A One", "A Two"]
    assert meta.site_name == "Pub" and meta.image == "/i.jpg"
    assert meta.published == [(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), False)]
    assert meta.lang == "ps"


def test_language_from_text_with_page_claim_as_fallback() -> None:
    pytest.importorskip("py3langid", reason="py3langid not installed: the page's claim is used")
    english = "The council approved the new budget after a long debate on Monday evening."
    assert detect_language(english, declared="ur") == "en"
    assert detect_language("Kabul", declared="fa") == "fa"  # too short to tell
    urdu = "حکام کے مطابق بارش کا پانی کئی گرڈ اسٹیشنوں میں داخل ہو گیا اور بجلی معطل رہی"
    assert detect_language(urdu) == "ur"


@pytest.mark.parametrize(
    ("answer", "declared", "expected"),
    [
        ("de", "en", "de"),
        ("arz", "en", "ar"),  # Egyptian Arabic: its macrolanguage's code
        ("bcl", "en", "en"),  # Bikol has no ISO 639-1 code: it was cut to a non-code "bc"
        ("bcl", None, None),
        ("zxx", "en", "en"),  # "no linguistic content"
    ],
)
def test_language_codes_are_iso_639_1(
    monkeypatch: pytest.MonkeyPatch, answer: str, declared: str | None, expected: str | None
) -> None:
    identifier = SimpleNamespace(classify=lambda _text: (answer, 0.95))
    monkeypatch.setattr(language, "_identifier", lambda: identifier)
    text = "The council approved the new budget after a long debate on Monday evening."
    assert detect_language(text, declared=declared) == expected


@pytest.mark.parametrize(("probability", "expected"), [(0.38, None), (0.5, "uz"), (0.97, "uz")])
def test_an_unsure_guess_is_used_only_when_nothing_is_declared_and_it_is_plausible(
    monkeypatch: pytest.MonkeyPatch, probability: float, expected: str | None
) -> None:
    identifier = SimpleNamespace(classify=lambda _text: ("uz", probability))
    monkeypatch.setattr(language, "_identifier", lambda: identifier)
    names = "Kabul Tehran Islamabad Beijing Moscow Delhi Dushanbe Tashkent Ashgabat"
    assert detect_language(names) == expected
    assert detect_language(names, declared="en") == ("uz" if probability >= 0.9 else "en")


def test_without_an_identifier_the_page_claim_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "_identifier", lambda: None)
    text = "The council approved the new budget after a long debate on Monday evening."
    assert detect_language(text, declared="ur") == "ur"
    assert detect_language(text) is None
