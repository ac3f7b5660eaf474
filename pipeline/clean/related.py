""" "Read more / Also read / Related" links: taken out of the body, kept as ``RelatedLink``.

Why keep them: they are the publisher's own judgement of what a story relates to, useful
for clustering and for readers, but as body text they pollute search, dedup and tagging.
They are caught in the markup (where the link URL is known) and again in the text (for
feed content and pages whose markup the extractor flattened), in every language listed in
``data/patterns.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from urllib.parse import urljoin

from lxml.html import HtmlElement

from pipeline.clean.patterns import load_patterns
from pipeline.clean.text import INVISIBLE_CHARS, comparison_key, squash, text_of
from wire.models import RelatedLink

MAX_RELATED = 30
# a block whose text is mostly link text is a list of links, not prose
_LINK_DENSE = 0.6
_LABELLED_TAGS = ("p", "li", "div", "span", "strong", "b", "em", "h2", "h3", "h4", "h5", "h6")
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b", "header")
_CONTAINER_TAGS = ("div", "section", "aside", "ul", "ol", "nav", "figure")
# a read-more block is small: its text, squashed, is at most this long
_SMALL_BLOCK = 400
_QUOTES = "\"'“”‘’«»„"
_TRAILING_READ_MORE = re.compile(
    r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|…)?\s*[\[(]?(?:read more|continue reading|read the full story|"
    r"lire la suite|weiterlesen|leer más|leia mais|اقرأ المزيد|ادامه مطلب|مزید پڑھیں)"
    r"\s*[\])]?\s*[»›→….>]*\s*$",
    re.IGNORECASE,
)


def _title_like(text: str) -> bool:
    """A story title, not a tag or a button: several words, or a long unspaced string."""
    return len(text.split()) >= 3 or (len(text) >= 10 and " " not in text)


def _clean_title(text: str) -> str:
    return squash(text).strip(_QUOTES + " ").rstrip("»›→ ").strip()


@cache
def _marker_pattern(fragments: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``fragments`` in a lowered class/id: one scan, not one per fragment."""
    return re.compile("|".join(re.escape(f) for f in fragments) or "(?!)")


def _link_dense(el: HtmlElement) -> bool:
    total = len(squash(el.text_content()))
    linked = sum(len(squash(text_of(a))) for a in el.iter("a"))
    return total > 0 and linked / total >= _LINK_DENSE


class RelatedCollector:
    """Accumulates related links for one page, without duplicates and within a bound."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.links: list[RelatedLink] = []
        self._seen: set[str] = set()

    def add(self, title: str, url: str | None = None) -> None:
        title = _clean_title(title)
        if not title or len(self.links) >= MAX_RELATED:
            return
        if url:
            url = urljoin(self.base_url, url.strip())
            if url.startswith(("javascript:", "mailto:")) or url.endswith("#"):
                url = None
        key = url or comparison_key(title)
        if key in self._seen:
            return
        self._seen.add(key)
        self.links.append(RelatedLink(title=title, url=url))

    def add_links_of(self, el: HtmlElement, *, labelled: bool) -> None:
        for a in el.iter("a"):
            title = _clean_title(a.text_content()) or _clean_title(a.get("title", ""))
            if (labelled and len(title) >= 8) or _title_like(title):
                self.add(title, a.get("href"))


def _visibly_longer(text: str, limit: int) -> bool:
    """Whether ``squash(text)`` is surely longer than ``limit``, without building it.

    Squashing keeps every character that is not a space or invisible, and NFC text keeps
    its length: a cheap and exact bound for the big blocks a walk from a link meets.
    """
    visible = "".join(text.split())
    for ch in INVISIBLE_CHARS:
        visible = visible.replace(ch, "")
    return len(visible) > limit and unicodedata.is_normalized("NFC", visible)


def _drop(el: HtmlElement) -> None:
    if el.getparent() is not None:
        el.drop_tree()


def _labelled_blocks(root: HtmlElement, found: RelatedCollector) -> None:
    """``<p>Read more: <a>Title</a></p>``: the label plus links, in one small block.

    Walks up from each link (at most three levels) to the innermost small block whose
    text, links taken out, is a read-more label: cheap on big pages, where scanning every
    block's text would be quadratic.
    """
    label = load_patterns().read_more_label
    blocks: list[HtmlElement] = []
    seen: set[HtmlElement] = set()
    link_texts: dict[HtmlElement, str] = {}  # a link is looked at from up to three blocks

    def link_text(link: HtmlElement) -> str:
        text = link_texts.get(link)
        if text is None:
            text = link_texts[link] = squash(text_of(link))
        return text

    node: HtmlElement | None
    for a in root.iter("a"):
        node = a
        for _ in range(3):
            node = node.getparent()
            if node is None or node.tag not in _LABELLED_TAGS or node in seen:
                break
            seen.add(node)
            raw = node.text_content()
            if len(raw) > _SMALL_BLOCK and _visibly_longer(raw, _SMALL_BLOCK):
                break
            text = squash(raw)
            if len(text) > _SMALL_BLOCK:
                break
            rest = text
            for link in node.iter("a"):
                rest = rest.replace(link_text(link), " ", 1)
            # a label is never blank: most blocks around a link hold only the link
            if not rest.isspace() and label.match(squash(rest)):
                blocks.append(node)
                break
    for block in blocks:
        found.add_links_of(block, labelled=True)
        _drop(block)


def _headed_lists(root: HtmlElement, found: RelatedCollector) -> None:
    """``<h3>Related</h3><ul>...links...</ul>``: a bare heading over link-dense siblings."""
    heading = load_patterns().read_more_heading
    # a heading is a small element: bounding its children keeps the scan linear
    candidates = [el for el in root.iter(*_HEADING_TAGS) if len(el) <= 2]
    for el in candidates:
        raw = text_of(el)
        if len(raw) > 120 or el.getparent() is None or not heading.match(squash(raw)):
            continue
        following: list[HtmlElement] = []
        sibling = el.getnext()
        while sibling is not None and len(following) < 3 and _link_dense(sibling):
            following.append(sibling)
            sibling = sibling.getnext()
        if following:
            for block in following:
                found.add_links_of(block, labelled=True)
                _drop(block)
            _drop(el)
            continue
        parent = el.getparent()
        if parent is not None and parent.tag not in ("body", "article", "main"):
            rest = squash(parent.text_content())
            if len(rest) < 3000 and next(parent.iter("a"), None) is not None:
                _drop(el)
                if _link_dense(parent):
                    found.add_links_of(parent, labelled=True)
                    _drop(parent)


def _marked_containers(root: HtmlElement, found: RelatedCollector) -> None:
    """Containers whose class or id says "related", when they hold mostly links."""
    marked = _marker_pattern(load_patterns().related_containers)
    for el in list(root.iter(*_CONTAINER_TAGS)):
        if el.getparent() is None:
            continue
        marker = f"{el.get('class', '')} {el.get('id', '')}".lower()
        if not marked.search(marker):
            continue
        if len(squash(el.text_content())) <= 5000 and _link_dense(el):
            found.add_links_of(el, labelled=False)
            _drop(el)


def remove_related(root: HtmlElement, base_url: str) -> list[RelatedLink]:
    """Cut related-link blocks out of ``root`` (in place) and return their links."""
    found = RelatedCollector(base_url)
    _labelled_blocks(root, found)
    _headed_lists(root, found)
    _marked_containers(root, found)
    return found.links


class LinkIndex(Mapping[str, str]):
    """Anchor text (as :func:`comparison_key`) -> absolute URL of the page's links.

    URLs are resolved on lookup: a page has hundreds of links and the cleanup asks for
    a few, and resolving a URL costs more than finding the link.
    """

    def __init__(self, base_url: str, hrefs: dict[str, str]) -> None:
        self.base_url = base_url
        self._hrefs = hrefs

    def __getitem__(self, key: str) -> str:
        return urljoin(self.base_url, self._hrefs[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._hrefs)

    def __len__(self) -> int:
        return len(self._hrefs)


def link_index(root: HtmlElement, base_url: str) -> LinkIndex:
    """Anchor text -> URL for the page's links, to give text-level finds their URL."""
    hrefs: dict[str, str] = {}
    for a in root.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("#", "javascript:")):
            continue
        raw = text_of(a)
        if len(raw) < 12:  # squashing only shortens a text
            continue
        text = squash(raw)
        if len(text) >= 12:
            hrefs.setdefault(comparison_key(_clean_title(text)), href.strip())
    return LinkIndex(base_url, hrefs)


def take_related(
    paragraphs: Iterable[str],
    links: Mapping[str, str] | None = None,
    base_url: str = "",
) -> tuple[list[str], list[RelatedLink]]:
    """Split paragraphs into body and related links: labelled lines and headed lists.

    ``links`` (anchor text -> URL, from :func:`link_index`) gives a found title its URL.
    """
    patterns = load_patterns()
    links = links or {}
    found = RelatedCollector(base_url)
    body: list[str] = []
    in_list = False
    for paragraph in paragraphs:
        if in_list and len(paragraph) <= 300:
            key = comparison_key(_clean_title(paragraph))
            if key in links:
                found.add(paragraph, links[key])
                continue
        in_list = False
        match = patterns.read_more_line.match(paragraph) if len(paragraph) <= 300 else None
        if match:
            title = _clean_title(match["title"])
            found.add(title, links.get(comparison_key(title)))
            continue
        if patterns.read_more_heading.match(paragraph):
            in_list = True
            continue
        body.append(paragraph)
    if body:
        body[-1] = _TRAILING_READ_MORE.sub("", body[-1]).rstrip()
        if not body[-1]:
            body.pop()
    return body, found.links
