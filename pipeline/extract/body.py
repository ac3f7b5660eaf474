"""Body extractors and the bounds around them.

The chain, each step only when the previous one gave nothing plausible:

1. ``trafilatura`` with its default (balanced) focus, tables kept, no deduplication,
   comments off. Chosen by measurement (``python -m pipeline.extract.measure``) on the
   labelled pages of shared/corpus/html: balanced had the best body token F1 on the 181
   fundus news pages (0.956, vs 0.951 precision-focused, 0.948 recall-focused, 0.940
   ``fast``) and kept the most must-keep snippets of trafilatura's own set (94.0 % vs
   91.6 % precision-focused). Precision focus removes more boilerplate (92.3 % vs 90.3 %
   of must-drop snippets gone), but our cleanup does that without losing text. Dropping
   tables lost kept text (93.2 %) and gained nothing; ``deduplicate`` lowered F1 (0.951),
   emptied one page, and in its default form shares a process-wide cache, so a replayed
   story would come out different (or empty) the second time.
   It runs ``fast`` first (no readability/jusText comparison, a third of the cost) and
   the full cascade only when that result is doubtful (:func:`_doubtful`: under 1,500
   characters on a page holding four times as much text or more, mostly short lines, or
   one flattened line): the comparison extractors only ever win there. On the fundus
   pages the whole stage went from F1 0.963 (full cascade always) to 0.965,
   trafilatura's snippet sets and the goose3/newspaper4k pages unchanged; about one
   page in nine of the fundus pages (more for CJK, whose stories are shorter in
   characters) and 104 of the 570 pages of the whole corpus (136 before that rule) take
   the second run.
2. ``trafilatura-baseline``: trafilatura's own simpler extractor (JSON-LD articleBody,
   ``<article>``, then all ``<p>``), for pages the main cascade rejected.
3. ``feed``: the feed's own content or summary, supplied by the caller.

Work is bounded: HTML beyond :data:`MAX_HTML_CHARS` is cut before parsing and the tree
beyond :data:`MAX_ELEMENTS` after it (the tail of a huge page is scripts, footers and
teaser grids, never the lede); the caller adds a timeout.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from typing import Any, cast

import trafilatura
from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)

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
    # metadata is read by pipeline.extract.metadata, trafilatura's reader only when ours
    # misses a field: with_metadata costs a third of trafilatura's time
    "with_metadata": False,
}
# A fast result is redone by the full cascade (see _doubtful) when it has fewer than
# FULL_CASCADE_BELOW characters, less than FULL_CASCADE_PROSE of them in lines of at least
# FULL_CASCADE_LINE characters, or a line longer than FULL_CASCADE_MAX_LINE
FULL_CASCADE_BELOW = 1500
FULL_CASCADE_PROSE = 0.7
FULL_CASCADE_LINE = 60
FULL_CASCADE_MAX_LINE = 1500
# ...but a short result is not doubtful when the page holds less than FULL_CASCADE_PAGE
# times its text in all (whitespace aside): the comparison extractors find another text
# only where the page has much more than the fast run kept (see _doubtful)
FULL_CASCADE_PAGE = 4

# trafilatura's parser settings, with lxml's C-level class lookup: lxml.html's default one
# calls back into Python for every element proxy, which every tree walk pays (trafilatura's
# included); all elements are plain HtmlElement, as nothing here uses form-field classes
_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement,
        comment=HtmlComment,
        pi=HtmlProcessingInstruction,
        entity=HtmlEntity,
    )
)
# XML-invalid control characters (tab, LF and CR are valid), as UTF-8 bytes
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))
# the same and the two non-characters libxml2 refuses, removed before parsing
_INVALID_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# libxml2 stops at a doctype with a stray slash (https://bugs.launchpad.net/lxml/+bug/1955915)
# and reads a self-closing <html/> as an empty page
_DOCTYPE_TAG = re.compile("^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
_FAULTY_HTML = re.compile(r"(<html.*?)\s*/>", re.IGNORECASE)
_JSON_LD = "application/ld+json"
_INERT = ("script", "style", "template", "svg", "meta", "link")

# zero-width non-joiner and joiner -> printable characters no news text uses
_JOINERS = {"\u200c": "\u2e4e", "\u200d": "\u2e4f"}
_SHIELD = str.maketrans(_JOINERS)
_UNSHIELD = str.maketrans({v: k for k, v in _JOINERS.items()})
_UNJOINERS = tuple(_JOINERS.values())

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
    node: HtmlElement | None = last
    while node is not None:
        sibling = node.getnext()
        while sibling is not None:
            following = sibling.getnext()
            cast(HtmlElement, node.getparent()).remove(sibling)  # None only for the root
            sibling = following
        node = node.getparent()
    return tree


def _fromstring(html: str | bytes) -> HtmlElement | None:
    try:
        return fromstring(html, parser=_PARSER)
    except (ValueError, TypeError, etree.LxmlError):  # encoding declared in a str; no content
        return None


def _repair(html: str, beginning: str) -> str:
    """The page with what libxml2 cannot parse repaired, as trafilatura's loader does.

    Its removal of XML-invalid characters is a regular expression over the whole page
    (a third of the parse time); a scan of the UTF-8 bytes tells when it is needed.
    """
    data = html.encode("utf-8", "surrogatepass")
    dirty = len(data.translate(None, _CONTROL_BYTES)) != len(data)
    if dirty or "\ufffe" in html or "\uffff" in html:
        html = _INVALID_XML_CHARS.sub("", html)
    if "doctype" in beginning:  # the first line is copied only on a match
        end = html.find("\n")
        firstline = html if end < 0 else html[:end]
        if _DOCTYPE_TAG.match(firstline):
            html = _DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + html[len(firstline) + 1 :]
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html = _FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    return html


def _load_html(html: str) -> HtmlElement | None:
    """The page parsed as ``trafilatura.load_html`` parses a string, with the parser above.

    Owned rather than imported: trafilatura's loader has no option for the parser, and its
    repair helpers are not public API (tests/unit/test_extract_body.py pins the equality).
    """
    beginning = html[:50].lower()
    html = _repair(html, beginning)
    tree = _fromstring(html)
    if tree is None or len(tree) < 1:
        tree = _fromstring(html.encode("utf-8", "surrogatepass"))
    # trafilatura's rejection test: no html tag or declaration and a single block
    if tree is not None and "html" not in beginning and len(tree) < 2:
        return None
    return tree


def parse_html(html: str | None) -> HtmlElement | None:
    """The parsed page, bounded in size, or None when there is no HTML or it is not HTML."""
    if not html or not html.strip():
        return None
    tree = _load_html(bound_html(html))
    return bound_tree(tree) if tree is not None else None


def drop_inert(tree: HtmlElement) -> HtmlElement:
    """``tree`` without elements that hold no article text, in place.

    Scripts (JSON-LD kept, for the baseline extractor's ``articleBody``), styles,
    templates, SVG icons and microdata ``<meta>``/``<link>``: trafilatura deletes them
    unread, but only after copying the tree several times with them, and an inline
    icon or microdata tag inside a paragraph made it cut the paragraph there (measured
    on shared/corpus/html: no page lost text, one gained its list items whole). Run it
    after every reader of the raw page: dates hide in scripts and meta tags.
    """
    for el in list(tree.iter(*_INERT)):
        if el.tag == "script" and (el.get("type") or "").strip().lower() == _JSON_LD:
            continue
        el.drop_tree()  # the tail is page text
    return tree


def shield_joiners(tree: HtmlElement) -> HtmlElement:
    """A copy of ``tree`` with zero-width (non-)joiners swapped for printable stand-ins.

    trafilatura drops every non-printable character, and U+200C / U+200D are "format"
    characters: without this, Persian "می‌شود" comes out as "میشود" (a different
    spelling) and Indic conjuncts change. :func:`unshield_joiners` puts them back.
    """
    # the page's text in one string from C: a quarter of the cost of an XPath search
    text = etree.tostring(tree, method="text", encoding="unicode")
    if not any(ch in text for ch in _JOINERS):
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
    if not text or not any(ch in text for ch in _UNJOINERS):
        return text  # str.translate looks every character up in a dict: skip it
    return text.translate(_UNSHIELD)


def _doubtful(doc: Any | None, tree: HtmlElement) -> bool:
    """Whether a ``fast`` trafilatura result may be one its full cascade would replace.

    The full cascade's comparison extractors (readability, jusText) only ever win on a
    short text or on a list of short lines (a menu kept where the article was missed);
    one very long line is the baseline's flattened dump (JSON-LD ``articleBody``). A short
    text is not doubtful when it is most of what the page holds: a brief, a caption page.
    Measured on the 598 pages of shared/corpus/html: of the 109 with a short (not empty)
    fast text, the full cascade changed the text of 15, each on a page holding 6.1 times
    the fast text or more; 32 of the 94 it left as they were hold less than 4 times, and
    now keep the fast result (the full cascade costs ~27 ms of CPU a page: 1.4 ms a page
    on average over the corpus, every body the same).
    """
    lines = text_lines(getattr(doc, "text", None))
    total = sum(len(line) for line in lines)
    prose = sum(len(line) for line in lines if len(line) >= FULL_CASCADE_LINE)
    if total < FULL_CASCADE_BELOW:
        return total == 0 or _page_chars(tree) >= FULL_CASCADE_PAGE * total
    return (
        prose < FULL_CASCADE_PROSE * total
        or max(map(len, lines), default=0) > FULL_CASCADE_MAX_LINE
    )


def _page_chars(tree: HtmlElement) -> int:
    """The page's text in characters, runs of whitespace counted as one."""
    text = etree.tostring(tree, method="text", encoding="unicode")
    return len(" ".join(text.split()))


def run_trafilatura(tree: HtmlElement, url: str) -> Any | None:
    """trafilatura's Document (text, no metadata) for a parsed page; it copies the tree.

    ``fast`` first, the full cascade when that result is doubtful (see the module doc).
    """
    shielded = shield_joiners(tree)
    doc: Any
    try:
        doc = trafilatura.bare_extraction(shielded, url=url, fast=True, **TRAFILATURA_OPTIONS)
        if _doubtful(doc, tree):
            doc = trafilatura.bare_extraction(shielded, url=url, **TRAFILATURA_OPTIONS)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
    if doc is not None:
        doc.text = unshield_joiners(doc.text)
    return doc


def run_baseline(tree: HtmlElement) -> list[str]:
    """Paragraphs from trafilatura's baseline extractor; it works on its own copy."""
    try:
        body, _, _ = trafilatura.baseline(shield_joiners(tree))
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
