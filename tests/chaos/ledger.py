"""What the suite served, what reached Elasticsearch and the dead-letter topic, and the
verdict per URL: searchable exactly once, dead-lettered with a reason, duplicated, or lost.

Pure functions over plain records (``Doc``, ``Letter``), so the verdicts are unit-tested
without a stack (``tests/unit/test_chaos_ledger.py``).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from wire.urls import normalize_url


@dataclass(frozen=True)
class Served:
    url: str  # as served (the feed's link)
    phase: str  # the fault it was served under
    copy_of: str | None = None  # a syndicated copy: the URL of the page it copies


@dataclass(frozen=True)
class Doc:
    id: str
    url: str
    urls: tuple[str, ...]
    body_hash: str


@dataclass(frozen=True)
class Letter:
    key: str | None
    stage: str
    error_class: str
    payload: str


@dataclass
class Row:
    """One line of the table: the URLs served under one fault."""

    fault: str
    served: int = 0
    indexed: int = 0  # searchable exactly once (own story or in a story's urls)
    copies: int = 0
    copies_merged: int = 0  # copies found inside their original's story
    dead_letters: int = 0  # not searchable, in the dead-letter topic
    duplicates: int = 0  # in more than one story, or a story with another's exact body
    lost: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    lost_urls: list[str] = field(default_factory=list)
    duplicate_urls: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0


def body_hash(body: str | None) -> str:
    text = " ".join((body or "").split())
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else ""


def where(docs: Iterable[Doc]) -> dict[str, list[Doc]]:
    """Normalized URL → the stories it is searchable in (by ``url`` or in ``urls``)."""
    found: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        for url in {doc.url, *doc.urls}:
            found[normalize_url(url)].append(doc)
    return found


def lettered(letters: Iterable[Letter]) -> tuple[dict[str, Letter], list[Letter]]:
    """Letters by item key, and those keyed otherwise (a source id): matched by payload."""
    by_key: dict[str, Letter] = {}
    others = []
    for letter in letters:
        if letter.key and "://" in letter.key:
            by_key.setdefault(normalize_url(letter.key), letter)
        else:
            others.append(letter)
    return by_key, others


def account(served: list[Served], docs: list[Doc], letters: list[Letter]) -> list[Row]:
    """One row per fault, in the order faults first served something, then a total."""
    found = where(docs)
    by_key, others = lettered(letters)
    bodies = Counter(d.body_hash for d in docs if d.body_hash)
    rows: dict[str, Row] = {}
    for item in served:
        row = rows.setdefault(item.phase, Row(item.phase))
        row.served += 1
        url = normalize_url(item.url)
        stories = {d.id: d for d in found.get(url, [])}
        if item.copy_of is not None:
            row.copies += 1
        if len(stories) == 1:
            (doc,) = stories.values()
            if bodies[doc.body_hash] > 1:  # an exact copy that was indexed, not merged
                row.duplicates += 1
                row.duplicate_urls.append(item.url)
                continue
            row.indexed += 1
            if item.copy_of is not None and normalize_url(item.copy_of) in {
                normalize_url(u) for u in (doc.url, *doc.urls)
            }:
                row.copies_merged += 1
        elif len(stories) > 1:
            row.duplicates += 1
            row.duplicate_urls.append(item.url)
        elif (letter := by_key.get(url) or _in_payload(item.url, others)) is not None:
            row.dead_letters += 1
            row.reasons[f"{letter.stage}:{letter.error_class}"] += 1
        else:
            row.lost += 1
            row.lost_urls.append(item.url)
    out = list(rows.values())
    total = Row("all")
    for row in out:
        for name in ("served", "indexed", "copies", "copies_merged", "dead_letters"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.duplicates += row.duplicates
        total.lost += row.lost
        total.reasons.update(row.reasons)
    return [*out, total]


def _in_payload(url: str, letters: list[Letter]) -> Letter | None:
    return next((letter for letter in letters if url in letter.payload), None)


def table(rows: list[Row]) -> str:
    head = ("fault", "in", "indexed", "copies merged", "dead letters", "duplicates", "lost")
    lines = [
        (
            r.fault,
            str(r.served),
            str(r.indexed),
            f"{r.copies_merged}/{r.copies}",
            str(r.dead_letters),
            str(r.duplicates),
            str(r.lost),
        )
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *lines, strict=True)]
    fmt = (
        "| " + " | ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths)) + " |"
    )
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt.format(*head), sep, *(fmt.format(*line) for line in lines)])
