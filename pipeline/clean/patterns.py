"""The cleanup rules, compiled once from ``data/patterns.yaml``.

Why a data file: adding a language or a publisher's phrasing is an edit to data with its
provenance beside it, not a code change. This module only turns that file into compiled
regular expressions and lookup sets; it never decides what to remove.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_FILE = Path(__file__).with_name("data") / "patterns.yaml"

# Separators that may follow a read-more label: "Read more: ...", "اقرأ أيضا - ...".
_SEPARATORS = r"[:：|\-–—»>▶►•]+"
_WEAK_SEPARATORS = r"[:：|»>▶►]+"


@dataclass(frozen=True)
class DropRule:
    """Lines of one kind (share bar, byline...) that are removed from the body."""

    reason: str
    max_len: int
    edges_only: bool
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, line: str) -> bool:
        return len(line) <= self.max_len and any(p.search(line) for p in self.patterns)


@dataclass(frozen=True)
class Patterns:
    """Every compiled rule; built once per process by :func:`load_patterns`."""

    version: int
    read_more_phrases: frozenset[str]
    # "<phrase><separator><title>": group ``title`` is the linked story's title
    read_more_line: re.Pattern[str]
    # the phrase alone on its line: a heading over a list of related links
    read_more_heading: re.Pattern[str]
    # what is left of a block once its link texts are taken out: "Read more:", "READ |"
    read_more_label: re.Pattern[str]
    related_containers: tuple[str, ...]
    social_hosts: dict[str, tuple[str, ...]]
    remnant_start: tuple[re.Pattern[str], ...]
    # (platform or "auto", pattern) for the line that closes an embed
    attribution: tuple[tuple[str, re.Pattern[str]], ...]
    strip_tokens: re.Pattern[str]
    drop_rules: tuple[DropRule, ...]
    slug_prefix: tuple[re.Pattern[str], ...]
    dateline_prefix: tuple[re.Pattern[str], ...]
    dateline_not_cities: frozenset[str]
    months: dict[str, int]


def _compile_all(items: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(item, re.IGNORECASE) for item in items)


def _phrase_alternation(phrases: list[str]) -> str:
    # longest first, so "read more" wins over "read"; spaces match any run of spaces
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


def _months(data: dict[str, list[str]]) -> dict[str, int]:
    months: dict[str, int] = {}
    for names in data.values():
        for number, name in enumerate(names, start=1):
            months.setdefault(name.lower(), number)
    return months


def build_patterns(data: dict[str, Any]) -> Patterns:
    """Compile a parsed pattern file; separate from loading so tests can feed their own."""
    phrases = [p.lower() for group in data["read_more"].values() for p in group]
    needs_separator = {p.lower() for p in data.get("read_more_needs_separator", [])}
    free_standing = [p for p in phrases if p not in needs_separator]
    # an optional opening bracket, the label, a separator, the title. Weak labels ("More",
    # "Read") need a colon-like separator: "More — and more — people ..." is prose.
    strong = _phrase_alternation(free_standing)
    weak = _phrase_alternation(list(needs_separator))
    opening = r"^\s*[\[(【«]?\s*"
    closing = r"\s*[\])】»]?\s*"
    labels = rf"(?:(?:{strong}){closing}{_SEPARATORS}|(?:{weak}){closing}{_WEAK_SEPARATORS})"
    line = rf"{opening}{labels}\s*(?P<title>\S.*?)\s*[\])]?$"
    heading = rf"{opening}(?:{strong}){closing}[:：.…»>]*\s*$"
    label = rf"{opening}{labels}\s*[\])]?\s*$|{heading}"
    social = data["social"]
    rules = tuple(
        DropRule(
            reason=reason,
            max_len=int(rule["max_len"]),
            edges_only=rule.get("where") == "edges",
            patterns=_compile_all(rule["patterns"]),
        )
        for reason, rule in data["drop_lines"].items()
    )
    return Patterns(
        version=int(data["version"]),
        read_more_phrases=frozenset(phrases),
        read_more_line=re.compile(line, re.IGNORECASE),
        read_more_heading=re.compile(heading, re.IGNORECASE),
        read_more_label=re.compile(label, re.IGNORECASE),
        related_containers=tuple(c.lower() for c in data["related_containers"]),
        social_hosts={k: tuple(v) for k, v in social["hosts"].items()},
        remnant_start=_compile_all(social["remnant_start"]),
        attribution=tuple(
            (rule["platform"], re.compile(rule["pattern"], re.IGNORECASE))
            for rule in social["attribution"]
        ),
        strip_tokens=re.compile("|".join(social["strip_tokens"]), re.IGNORECASE),
        drop_rules=rules,
        slug_prefix=_compile_all(data["prefixes"]["slug"]),
        dateline_prefix=tuple(re.compile(p) for p in data["prefixes"]["dateline"]),
        dateline_not_cities=frozenset(w.upper() for w in data["dateline_not_cities"]),
        months=_months(data["months"]),
    )


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_patterns(path: Path = DATA_FILE) -> Patterns:
    """The compiled rules of ``path``, parsed once per process and shared read-only."""
    with path.open(encoding="utf-8") as handle:
        # libyaml's parser where PyYAML has it (27 -> 2 ms at each extraction process start)
        return build_patterns(yaml.load(handle, Loader=_YAML_LOADER))
