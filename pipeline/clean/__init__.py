"""Cleanup of extracted article text: pure, data-driven rules (see ``data/patterns.yaml``).

Two entry points, in the order the processing stage uses them:

* :func:`clean_tree` works on the parsed page before extraction: it cuts social embeds
  and related-link blocks out of the markup, where their URLs are still known;
* :func:`clean_paragraphs` works on the extracted (or feed) text: embed remnants,
  read-more lines, headline repeats, bylines, share/newsletter/follow prompts, photo
  credits, and the slug or dateline before the lede.

Nothing here imports Kafka, faust, HTTP or Elasticsearch; every function is a plain
transformation, so a replay with the same rules gives the same body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from pipeline.clean.boilerplate import dateline_of, drop_boilerplate, strip_prefixes
from pipeline.clean.patterns import Patterns, load_patterns
from pipeline.clean.related import link_index, remove_related, take_related
from pipeline.clean.social_html import remove_embeds
from pipeline.clean.social_text import take_embeds
from pipeline.clean.text import squash
from wire.models import Embed, RelatedLink

__all__ = [
    "Cleaned",
    "PageCleanup",
    "Patterns",
    "clean_paragraphs",
    "clean_text",
    "clean_tree",
    "dateline_of",
    "load_patterns",
    "rules_version",
    "split_paragraphs",
]


@dataclass
class PageCleanup:
    """What :func:`clean_tree` took out of a page, and the page's links by anchor text."""

    embeds: list[Embed] = field(default_factory=list)
    related: list[RelatedLink] = field(default_factory=list)
    links: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Cleaned:
    """A cleaned body as paragraphs, with what was taken out of it and why."""

    paragraphs: list[str]
    embeds: list[Embed] = field(default_factory=list)
    related: list[RelatedLink] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def body(self) -> str:
        """The article text: paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs)


def rules_version() -> int:
    """Version of the pattern file, recorded with each article's extraction."""
    return load_patterns().version


def clean_tree(root: HtmlElement, base_url: str) -> PageCleanup:
    """Cut embeds and related-link blocks out of a parsed page, in place.

    The link index is taken first, so a "Read more: Title" line that survives in the text
    can still be given its URL.
    """
    links = link_index(root, base_url)
    embeds = remove_embeds(root, base_url)
    related = remove_related(root, base_url)
    return PageCleanup(embeds=embeds, related=related, links=links)


def split_paragraphs(text: str) -> list[str]:
    """One paragraph per non-empty line, whitespace collapsed."""
    return [line for line in (squash(raw) for raw in text.splitlines()) if line]


def clean_paragraphs(
    paragraphs: Iterable[str],
    *,
    headlines: Iterable[str] = (),
    links: Mapping[str, str] | None = None,
    base_url: str = "",
) -> Cleaned:
    """Clean extracted paragraphs; ``headlines`` are titles that must not open the body."""
    lines = [line for line in (squash(p) for p in paragraphs) if line]
    lines, embeds = take_embeds(lines)
    lines, related = take_related(lines, links, base_url)
    lines, dropped = drop_boilerplate(lines, headlines)
    if lines:
        first, removed = strip_prefixes(lines[0])
        dropped += removed
        lines[0:1] = [first] if first else []
    deduplicated: list[str] = []
    for line in lines:
        if not deduplicated or deduplicated[-1] != line:
            deduplicated.append(line)
    return Cleaned(paragraphs=deduplicated, embeds=embeds, related=related, dropped=dropped)


def clean_text(
    text: str,
    *,
    headlines: Iterable[str] = (),
    links: Mapping[str, str] | None = None,
    base_url: str = "",
) -> Cleaned:
    """:func:`clean_paragraphs` over a text with one paragraph per line."""
    return clean_paragraphs(
        split_paragraphs(text), headlines=headlines, links=links, base_url=base_url
    )
