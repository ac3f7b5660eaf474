""" "Read more / Also read / Related" blocks and lines, in several languages and site styles."""

from __future__ import annotations

import lxml.html
import pytest
from lxml.html import HtmlElement

from pipeline.clean.related import link_index, remove_related, take_related
from pipeline.clean.text import comparison_key

BASE = "https://paper.example/section/story"


def page(fragment: str) -> HtmlElement:
    return lxml.html.fromstring(f"<html><body><article>{fragment}</article></body></html>")


@pytest.mark.parametrize(
    "label",
    [
        "Read more:",
        "ALSO READ:",
        "READ |",
        "Related:",
        "اقرأ أيضا:",
        "اقرأ المزيد:",
        "بیشتر بخوانید:",
        "بخوانید:",
        "مزید پڑھیں:",
        "یہ بھی پڑھیں:",
        "Lesen Sie auch:",
        "Lire aussi :",
    ],
)
def test_labelled_line_in_markup_goes_to_related_with_url(label: str) -> None:
    root = page(
        "<p>The story text that stays in the body of the article.</p>"
        f'<p><strong>{label}</strong> <a href="/other/story-42">A different story about the same'
        " province</a></p>"
    )
    related = remove_related(root, BASE)
    assert [(r.title, r.url) for r in related] == [
        ("A different story about the same province", "https://paper.example/other/story-42")
    ]
    assert "different story" not in root.text_content()
    assert "The story text that stays" in root.text_content()


def test_heading_over_a_list_is_a_related_block() -> None:
    root = page(
        "<p>Body paragraph.</p><h3>Related</h3><ul>"
        '<li><a href="/a">First related story with a long title</a></li>'
        '<li><a href="/b">Second related story with a long title</a></li></ul>'
        "<p>Closing paragraph of the story.</p>"
    )
    related = remove_related(root, BASE)
    assert [r.url for r in related] == ["https://paper.example/a", "https://paper.example/b"]
    text = root.text_content()
    assert "Related" not in text and "Closing paragraph" in text


def test_container_marked_related_is_taken_but_prose_container_is_not() -> None:
    root = page(
        '<div class="content has-related-sidebar"><p>A long paragraph of real reporting that is'
        ' not a list of links at all, with a <a href="/x">link</a> inside.</p></div>'
        '<div class="related-posts"><a href="/p1">Police reopen the northern highway</a>'
        '<a href="/p2">Tag</a></div>'
    )
    related = remove_related(root, BASE)
    assert [r.title for r in related] == ["Police reopen the northern highway"]  # "Tag" is no title
    assert "real reporting" in root.text_content()


def test_read_more_button_without_a_title_is_dropped_not_kept() -> None:
    root = page('<p>Text of the story.</p><p>Read more <a href="/full">here</a></p>')
    assert remove_related(root, BASE) == []
    assert root.text_content().strip() == "Text of the story."


def test_text_lines_get_their_url_from_the_link_index() -> None:
    root = page('<p>Also: <a href="/x/rail-deal">Rail freight deal signed in Tashkent</a></p>')
    links = link_index(root, BASE)
    assert links[comparison_key("Rail freight deal signed in Tashkent")].endswith("/x/rail-deal")
    body, related = take_related(
        ["Story text.", "READ: Rail freight deal signed in Tashkent", "More text."], links, BASE
    )
    assert body == ["Story text.", "More text."]
    assert [(r.title, r.url) for r in related] == [
        ("Rail freight deal signed in Tashkent", "https://paper.example/x/rail-deal")
    ]


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("Read more: Taliban's Push for India Ties", "Taliban's Push for India Ties"),
        ("Also read - Prices climb again", "Prices climb again"),
        ("[Read more: Storm hits the coast]", "Storm hits the coast"),
        ("اقرأ أيضا: ارتفاع أسعار الذهب", "ارتفاع أسعار الذهب"),
        ("اقرأ المزيد: الحكومة تعلن خطة جديدة", "الحكومة تعلن خطة جديدة"),
        ("بیشتر بخوانید: قیمت طلا افزایش یافت", "قیمت طلا افزایش یافت"),
        ("بخوانید: قیمت طلا افزایش یافت", "قیمت طلا افزایش یافت"),
        ("مزید پڑھیں: سونے کی قیمت میں اضافہ", "سونے کی قیمت میں اضافہ"),
        ("یہ بھی پڑھیں: سونے کی قیمت میں اضافہ", "سونے کی قیمت میں اضافہ"),
        ("PUEDES VER: ¿Qué es la Sunedu?", "¿Qué es la Sunedu?"),
    ],
)
def test_read_more_lines_in_many_languages(line: str, title: str) -> None:
    body, related = take_related(["Story.", line])
    assert body == ["Story."]
    assert [r.title for r in related] == [title]


def test_bare_heading_then_known_link_titles() -> None:
    links = {comparison_key("Grain prices fall again"): "https://paper.example/g"}
    body, related = take_related(
        ["Story.", "Recommended", "Grain prices fall again", "Story goes on after the box."], links
    )
    assert body == ["Story.", "Story goes on after the box."]
    assert [r.url for r in related] == ["https://paper.example/g"]


@pytest.mark.parametrize(
    "prose",
    [
        "More — and more — people are leaving the valley each winter.",
        "Read the room, the minister told reporters on Monday.",
        "Related to the dispute, the court heard three witnesses.",
        "More than 200 families were moved to the school building.",
        "Ready: the new terminal opens next week, officials said.",
    ],
)
def test_prose_starting_with_a_label_word_is_kept(prose: str) -> None:
    body, related = take_related([prose])
    assert body == [prose] and related == []


def test_trailing_read_more_of_a_feed_summary_is_cut() -> None:
    body, _ = take_related(["The council approved the budget on Monday … Read more »"])
    assert body == ["The council approved the budget on Monday"]
