"""Text helpers the cleanup runs on every line and link: exact, and cheap shortcuts exact too."""

from __future__ import annotations

import re
import unicodedata

import lxml.html
import pytest

from pipeline.clean.related import _visibly_longer, link_index
from pipeline.clean.text import comparison_key, squash, text_of

TRICKY = [
    "",
    "   ",
    "plain ascii line",
    "  leading and trailing\t\n spaces  ",
    "non\u00a0breaking\u2009thin\u3000ideographic\u202fnarrow",
    "zero\u200bwidth\ufeffand\u200emarks\u2060gone",
    "Persian می\u200cشود keeps its non-joiner, and\u200djoiner",
    "decomposed e\u0301 and \u1100\u1161\u11a8 composed",
    "separators\x1c\x1d\x1e\x1fare whitespace",
    "e\u200b\u0301: an accent after an invisible character",
]


def old_squash(text: str) -> str:
    """The regular-expression definition ``squash`` replaced, kept as the reference."""
    text = re.sub(r"[\u200b\u200e\u200f\u2060\ufeff]", "", text)
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[\s\u00a0]+", " ", text).strip()


@pytest.mark.parametrize("text", TRICKY)
def test_squash_is_the_regular_expression_definition(text: str) -> None:
    assert squash(text) == old_squash(text)


@pytest.mark.parametrize("text", TRICKY)
def test_visibly_longer_never_claims_what_squash_denies(text: str) -> None:
    for limit in range(0, len(text) + 2):
        if _visibly_longer(text, limit):
            assert len(squash(text)) > limit


def test_visibly_longer_spots_a_big_block() -> None:
    block = "word " * 200
    assert _visibly_longer(block, 400)
    assert not _visibly_longer("word " * 50, 400)


def test_text_of_a_leaf_and_of_a_branch() -> None:
    root = lxml.html.fromstring("<div><a>leaf <!-- c --></a><p>one <b>two</b> three</p></div>")
    a, p = root.find("a"), root.find("p")
    assert a is not None and p is not None
    assert text_of(a) == a.text_content()
    assert text_of(p) == "one two three"
    assert text_of(lxml.html.fromstring("<p></p>")) == ""


def test_link_index_resolves_urls_when_asked() -> None:
    root = lxml.html.fromstring(
        '<div><a href="/a/rail-deal">Rail freight deal signed in Tashkent</a>'
        '<a href="#top">Back to the top of the page</a><a href="/short">Short</a></div>'
    )
    links = link_index(root, "https://paper.example/news/")
    assert dict(links) == {
        comparison_key("Rail freight deal signed in Tashkent"): "https://paper.example/a/rail-deal"
    }
