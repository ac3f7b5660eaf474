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
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

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
    ours, theirs = parse_html(html), load_html(html)
    assert ours is not None and theirs is not None
    assert etree.tostring(ours) == etree.tostring(theirs)
    assert all(isinstance(el, HtmlElement) for el in ours.iter() if isinstance(el.tag, str))


def test_text_that_is_not_a_page_is_rejected_as_trafilatura_does() -> None:
    assert parse_html("<p>only a fragment</p>") is None
    assert load_html("<p>only a fragment</p>") is None


def test_inert_markup_goes_and_text_around_it_stays() -> None:
    html = (
        "<html><head><style>p{}</style><script>var a = 1;</script>"
        '<script type="application/ld+json">{"articleBody": "Body"}</script>'
        '<meta property="og:title" content="T"><link rel="canonical" href="/x"></head>'
        "<body><p>Before <svg><path d='M0'/></svg>after<script>x()</script> end.</p>"
        '<template><p>hidden</p></template><p>Last <meta itemprop="name" content="n">words.</p>'
        "</body></html>"
    )
    tree = drop_inert(parse_html(html))  # type: ignore[arg-type]
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

    monkeypatch.setattr(body.trafilatura, "bare_extraction", spy)
    return calls


def test_a_long_article_is_extracted_once_in_fast_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _calls(monkeypatch)
    paragraphs = "".join(f"<p>{i}. {STORY[:400]}</p>" for i in range(8))
    html = f"<html><body><article><h1>Bridge</h1>{paragraphs}</article></body></html>"
    doc = run_trafilatura(parse_html(html), "https://site.example/a")  # type: ignore[arg-type]
    assert calls == [True]
    assert "council approved" in doc.text


@pytest.mark.parametrize(
    "html",
    [
        # short: readability or jusText might find more
        f"<html><body><article><p>{STORY[:300]}</p></article></body></html>",
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
    run_trafilatura(parse_html(html), "https://site.example/a")  # type: ignore[arg-type]
    assert calls == [True, False]


def test_one_flattened_line_is_doubtful() -> None:
    class Doc:
        text = "x" * (body.FULL_CASCADE_MAX_LINE + 1)

    assert body._doubtful(Doc())
    Doc.text = "\n".join(["y" * 300] * 10)
    assert not body._doubtful(Doc())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_fallback_metadata_is_what_trafilatura_reads(page: Path) -> None:
    url = "https://site.example/story"
    tree = parse_html(page.read_text(encoding="utf-8"))
    assert tree is not None
    ours = read_fallback_metadata(tree, url)
    theirs = extract_metadata(tree, url, dict(DATE_OPTIONS), False)
    for field in ("title", "author", "date", "sitename", "image", "url"):
        assert getattr(ours, field) == getattr(theirs, field), field
