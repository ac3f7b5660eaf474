"""Body extractors and the bounds around them.

The chain, each step only when the previous one gave nothing plausible:

1. ``trafilatura`` with its default (balanced) focus, tables kept, no deduplication,
   comments off. Chosen by measurement (``python -m pipeline.extract.measure``) on the
   labelled pages of shared/corpus/html: balanced had the best body token F1 on the 181
   fundus news pages (0.956, vs 0.951 precision-focused, 0.948 recall-focused, 0.940
   ``fast``) and kept the most must-keep snippets of trafilatura's own set (94.0 % vs
   91.6 % precision-focused). Precision focus removes more boilerplate (92.3 % vs 90.3 %
   of must-drop snippets gone), but our cleanup does that without losing text: the
   whole stage scores F1 0.963 and 94.3 % must-drop removed. Dropping tables lost kept
   text (93.2 %) and gained nothing; ``deduplicate`` lowered F1 (0.951), emptied one page,
   and in its default form shares a process-wide cache, so a replayed story would come
   out different (or empty) the second time.
2. ``trafilatura-baseline``: trafilatura's own simpler extractor (JSON-LD articleBody,
   ``<article>``, then all ``<p>``), for pages the main cascade rejected.
3. ``feed``: the feed's own content or summary, supplied by the caller.

Work is bounded: HTML beyond :data:`MAX_HTML_CHARS` is cut before parsing and the tree
beyond :data:`MAX_ELEMENTS` after it (the tail of a huge page is scripts, footers and
teaser grids, never the lede); the caller adds a timeout.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.baseline import baseline
from trafilatura.utils import load_html

from pipeline.clean.text import squash

TRAFILATURA_VERSION: str = trafilatura.__version__
MAX_HTML_CHARS = 3_000_000
# elements kept of a parsed page: the largest page of the development corpus has ~7,400,
# and trafilatura's cost grows with the tree (about 7 s for 150,000 elements)
MAX_ELEMENTS = 20_000
# a body shorter than this (after cleanup) is a teaser, an error page or a failed extraction
MIN_BODY_CHARS = 200
# a plausible body has at least one real paragraph, not only short lines (menus, lists)
MIN_LONGEST_PARAGRAPH = 60
# a short text still counts as a (brief) story when one line is at least a sentence long
MIN_SENTENCE_CHARS = 40

TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "favor_precision": False,
    "favor_recall": False,
    "deduplicate": False,
    "with_metadata": True,
    "date_extraction_params": {"extensive_search": False, "original_date": True},
}

# zero-width non-joiner and joiner -> printable characters no news text uses
_JOINERS = {"\u200c": "\u2e4e", "\u200d": "\u2e4f"}
_SHIELD = str.maketrans(_JOINERS)
_UNSHIELD = str.maketrans({v: k for k, v in _JOINERS.items()})

# trafilatura logs every discarded page at WARNING; a pipeline sees many, they are not news
logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)


def bound_html(html: str) -> str:
    """The HTML cut to :data:`MAX_HTML_CHARS` characters (lxml repairs the open tags)."""
    return html if len(html) <= MAX_HTML_CHARS else html[:MAX_HTML_CHARS]


def bound_tree(tree: HtmlElement, max_elements: int = MAX_ELEMENTS) -> HtmlElement:
    """``tree`` without everything after its ``max_elements``-th element (in place).

    Document order puts the article before the footer, comment threads and endless
    teaser grids that make pages huge, so the cut keeps what matters.
    """
    last = None
    for count, el in enumerate(tree.iter(), start=1):
        if count == max_elements:
            last = el
            break
    if last is None:
        return tree
    for child in list(last):
        last.remove(child)
    node = last
    while node is not None:
        sibling = node.getnext()
        while sibling is not None:
            following = sibling.getnext()
            node.getparent().remove(sibling)
            sibling = following
        node = node.getparent()
    return tree


def parse_html(html: str | None) -> HtmlElement | None:
    """The parsed page, bounded in size, or None when there is no HTML or it is not HTML."""
    if not html or not html.strip():
        return None
    try:
        tree = load_html(bound_html(html))
    except (ValueError, TypeError):
        return None
    return bound_tree(tree) if tree is not None else None


def shield_joiners(tree: HtmlElement) -> HtmlElement:
    """A copy of ``tree`` with zero-width (non-)joiners swapped for printable stand-ins.

    trafilatura drops every non-printable character, and U+200C / U+200D are "format"
    characters: without this, Persian "می‌شود" comes out as "میشود" (a different
    spelling) and Indic conjuncts change. :func:`unshield_joiners` puts them back.
    """
    if not any(
        ch in (el.text or "") or ch in (el.tail or "") for el in tree.iter() for ch in _JOINERS
    ):
        return tree
    clone = deepcopy(tree)
    for el in clone.iter():
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and any(ch in value for ch in _JOINERS):
                setattr(el, attr, value.translate(_SHIELD))
    return clone


def unshield_joiners(text: str | None) -> str | None:
    """The text with the joiners :func:`shield_joiners` replaced put back."""
    return text.translate(_UNSHIELD) if text else text


def run_trafilatura(tree: HtmlElement, url: str) -> Any | None:
    """trafilatura's Document (text and metadata) for a parsed page; it copies the tree."""
    try:
        doc = trafilatura.bare_extraction(shield_joiners(tree), url=url, **TRAFILATURA_OPTIONS)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
    if doc is not None:
        for attr in ("text", "title", "author", "sitename"):
            setattr(doc, attr, unshield_joiners(getattr(doc, attr, None)))
    return doc


def run_baseline(tree: HtmlElement) -> list[str]:
    """Paragraphs from trafilatura's baseline extractor; it works on its own copy."""
    try:
        body, _, _ = baseline(shield_joiners(tree))
    except (ValueError, TypeError, AttributeError, RecursionError):
        return []
    paragraphs: list[str] = []
    for element in body:
        text = unshield_joiners(element.text) or ""
        paragraphs.extend(line for line in text.splitlines() if line.strip())
    return paragraphs


def text_lines(text: str | None) -> list[str]:
    """One paragraph per line, as trafilatura's text output and feed text come."""
    if not text:
        return []
    return [line for line in (squash(raw) for raw in text.splitlines()) if line]


def plausible(paragraphs: list[str]) -> bool:
    """Whether cleaned paragraphs look like an article rather than a fragment or a menu.

    Enough text, and either one real paragraph or several sentence-long lines: a menu
    or a tag cloud has many lines, all short.
    """
    if sum(len(p) for p in paragraphs) < MIN_BODY_CHARS:
        return False
    sentences = sum(1 for p in paragraphs if len(p) >= MIN_SENTENCE_CHARS)
    return max(len(p) for p in paragraphs) >= MIN_LONGEST_PARAGRAPH or sentences >= 3


def has_sentence(paragraphs: list[str]) -> bool:
    """Whether any paragraph is long enough to be a sentence rather than a label."""
    return any(len(p) >= MIN_SENTENCE_CHARS for p in paragraphs)
