"""Lines that are not the story: headline repeats, bylines, share and newsletter prompts,
"follow us" lines, photo credits, and the slug or dateline glued to the first paragraph.

Why by line and with length limits: every rule here could match a real sentence if it
were allowed to (a paragraph that starts with "Photo" or "By"), so each is anchored,
bounded in length, and for bylines restricted to the edges of the body where bylines
live. What a rule removed is reported back, so tests and debugging can see why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipeline.clean.patterns import load_patterns
from pipeline.clean.text import comparison_key

# bylines and datelines sit in the first or last few paragraphs
EDGE = 5
# the headline reappears at the top of the extracted text, if at all
HEADLINE_ZONE = 3


def drop_reason(line: str, index: int, count: int) -> str | None:
    """Why ``line`` (paragraph ``index`` of ``count``) is boilerplate, or None to keep it."""
    at_edge = index < EDGE or index >= count - EDGE
    for rule in load_patterns().drop_rules:
        if rule.edges_only and not at_edge:
            continue
        if rule.matches(line):
            return rule.reason
    return None


def drop_boilerplate(
    paragraphs: Sequence[str], headlines: Iterable[str] = ()
) -> tuple[list[str], list[tuple[str, str]]]:
    """Paragraphs without headline repeats and boilerplate lines, and what went (reason, line)."""
    keys = {comparison_key(h) for h in headlines if h and comparison_key(h)}
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    for index, line in enumerate(paragraphs):
        if index < HEADLINE_ZONE and comparison_key(line) in keys:
            dropped.append(("headline", line))
            continue
        reason = drop_reason(line, index, len(paragraphs))
        if reason:
            dropped.append((reason, line))
            continue
        kept.append(line)
    return kept, dropped


def strip_prefixes(first: str) -> tuple[str, list[tuple[str, str]]]:
    """The lede without a CMS slug ("Afghanistan/Iran_ ") or a dateline ("KABUL (Reuters) -")."""
    patterns = load_patterns()
    removed: list[tuple[str, str]] = []
    for reason, rules in (("slug", patterns.slug_prefix), ("dateline", patterns.dateline_prefix)):
        for rule in rules:
            match = rule.match(first)
            if not match or len(match.group(0)) >= len(first):
                continue
            city = match.group(0).split(",")[0].split("(")[0].strip(" :—–-").upper()
            if reason == "dateline" and city in patterns.dateline_not_cities:
                continue
            removed.append((reason, match.group(0).strip()))
            first = first[match.end() :].lstrip()
            break
    return first, removed


def dateline_of(dropped: Iterable[tuple[str, str]]) -> str | None:
    """The dateline that :func:`strip_prefixes` cut from the lede, if any: kept so the region
    tagger can read where the story was filed after the body no longer says it."""
    return next((text for reason, text in dropped if reason == "dateline"), None)
