"""The extraction stage's plumbing: parsing, pruning, trafilatura's two runs, fallback metadata.

Each of these replaced a slower equivalent; the tests pin the equivalence (same tree as
trafilatura's own loader, same metadata as its own reader) and the decisions made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from pipeline.extract import body
from pipeline.extract.body import drop_inert, parse_html, run_trafilatura
from pipeline.extract.metadata import DATE_OPTIONS, read_fallback_metadata

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clean"
PAGES = sorted(FIXTURES.glob("*.html"))
STORY = "The council approved the new bridge over the river after a long debate. " * 30


@pytest.mark.parametrize(
    "html",
    [
        "<!DOCTYPE html><html><head><title>T</title></head><body><p>Text</p></body></html>",
        "<html><body><p>Form\x0cfeed and \x01control characters</p><p>more</p></body></html>",
        "<html><body><p>Non-characters \ufffe here</p><p>and there</p></body></html>",
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x.dtd"/>\n'
        "<html><body><p>x</p></body></html>",
        '<html lang="fa"/>\n<body><p>Self-closing html</p><p>second</p></body>',
        *(page.read_text(encoding="utf-8") for page in PAGES),
    ],
)
def test_the_parse_is_trafilaturas_own(html: str) -> None:
    ours, theirs = parse_html(html), trafilatura.load_html(html)
    assert ours is not None and theirs is not None
    assert etree.tostring(ours) == etree.tostring(theirs)
    assert all(isinstance(el, HtmlElement) for el in ours.iter() if isinstance(el.tag, str))


def test_text_that_is_not_a_page_is_rejected_as_trafilatura_does() -> None:
    assert parse_html("<p>only a fragment</p>") is None
    assert trafilatura.load_html("<p>only a fragment</p>") is None


def test_inert_markup_goes_and_text_around_it_stays() -> None:
    html = (
        "<html><head><style>p{}</style><script>var a = 1;</script>"
        '<script type="application/ld+json">{"articleBody": "Body"}</script>'
        '<meta property="og:title" content="T"><link rel="canonical" href="/x"></head>'
        "<body><p>Before <svg><path d='M0'/></svg>after<script>x()</script> end.</p>"
        '<template><p>hidden</p></template><p>Last <meta itemprop="name" content="n">words.</p>'
        "</body></html>"
    )
    parsed = parse_html(html)
    assert parsed is not None
    tree = drop_inert(parsed)
    assert [el.tag for el in tree.iter("script")] == ["script"]
    assert next(tree.iter("script")).get("type") == "application/ld+json"
    assert not list(tree.iter("style", "svg", "path", "template", "meta", "link"))
    assert [p.text_content() for p in tree.iter("p")] == ["Before after end.", "Last words."]


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record the ``fast`` flag of every trafilatura call ``run_trafilatura`` makes."""
    calls: list[bool] = []
    original = trafilatura.bare_extraction

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(bool(kwargs.get("fast")))
        return original(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", spy)  # the module body.py calls
    return calls


def test_a_long_article_is_extracted_once_in_fast_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _calls(monkeypatch)
    paragraphs = "".join(f"<p>{i}. {STORY[:400]}</p>" for i in range(8))
    html = f"<html><body><article><h1>Bridge</h1>{paragraphs}</article></body></html>"
    tree = parse_html(html)
    assert tree is not None
    doc = run_trafilatura(tree, "https://site.example/a")
    assert calls == [True]
    assert doc is not None and "council approved" in doc.text


@pytest.mark.parametrize(
    "html",
    [
        # short, on a page with much more text: readability or jusText might find more
        f"<html><body><article><p>{STORY[:300]}</p></article>"
        + "".join(f"<div><p>Another text of the page, number {i}.</p></div>" for i in range(60))
        + "</body></html>",
        # a list of short lines: a menu where the story should be
        "<html><body><article>"
        + "".join(f"<p>Section {i} of the site</p>" for i in range(120))
        + "</article></body></html>",
    ],
)
def test_a_doubtful_fast_result_gets_the_full_cascade(
    monkeypatch: pytest.MonkeyPatch, html: str
) -> None:
    calls = _calls(monkeypatch)
    tree = parse_html(html)
    assert tree is not None
    run_trafilatura(tree, "https://site.example/a")
    assert calls == [True, False]


def test_a_short_text_that_is_most_of_its_page_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _calls(monkeypatch)
    html = f"<html><head><title>Brief</title></head><body><p>{STORY[:300]}</p></body></html>"
    tree = parse_html(html)
    assert tree is not None
    doc = run_trafilatura(tree, "https://site.example/brief")
    assert calls == [True]  # a brief: nothing else on the page for the full cascade to find
    assert doc is not None and doc.text.startswith(STORY[:40])


def test_one_flattened_line_is_doubtful() -> None:
    class Doc:
        text = "x" * (body.FULL_CASCADE_MAX_LINE + 1)

    page = parse_html("<html><body><p>text</p></body></html>")
    assert page is not None
    assert body._doubtful(Doc(), page)
    Doc.text = "\n".join(["y" * 300] * 10)
    assert not body._doubtful(Doc(), page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_fallback_metadata_is_what_trafilatura_reads(page: Path) -> None:
    url = "https://site.example/story"
    tree = parse_html(page.read_text(encoding="utf-8"))
    assert tree is not None
    ours = read_fallback_metadata(tree, url)
    theirs = trafilatura.extract_metadata(tree, url, dict(DATE_OPTIONS), False)
    for field in ("title", "author", "date", "sitename", "image", "url"):
        assert getattr(ours, field) == getattr(theirs, field), field


def test_fallback_metadata_keeps_zero_width_joiners() -> None:
    # trafilatura drops format characters: without the shield "می‌شود" would lose its ZWNJ
    title = "\u062e\u0628\u0631 \u0645\u06cc\u200c\u0634\u0648\u062f"
    html = f"<html><head><title>{title}</title></head><body><p>{STORY}</p></body></html>"
    tree = parse_html(html)
    assert tree is not None
    raw = trafilatura.extract_metadata(tree, "https://site.example/a", dict(DATE_OPTIONS), False)
    assert raw.title == title.replace("\u200c", "")
    ours = read_fallback_metadata(tree, "https://site.example/a")
    assert ours is not None and ours.title == title
