"""From mentions to readings: which place each name means, and how much each country weighs.

A story supports its own reading of an ambiguous name: "Georgia" beside Atlanta is the US state,
beside Tbilisi the country; "Jordan" beside NBA is a player. Resolution therefore runs in passes:
unambiguous mentions first (they are the story's evidence), then the ambiguous ones against that
evidence and the cues in ``context.yaml``, then the weak ones (small towns, second-level
subdivisions, names that are also words), which count only where their country is already there.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

from pipeline.tag.geo.gazetteer import (
    STRONG_CITY_POPULATION,
    WELL_KNOWN_POPULATION,
    Ambiguity,
    Entry,
    Gazetteer,
    Kind,
)
from pipeline.tag.geo.matcher import COORDINATORS, TOWN_KINDS, Mention
from pipeline.tag.geo.sources import context, read_tsv
from pipeline.tag.geo.text import Tokens, is_cyrillic, key

KIND_WEIGHT: dict[Kind, float] = {
    Kind.COUNTRY: 1.0,
    Kind.METONYM: 1.0,
    Kind.CAPITAL: 0.9,
    Kind.ORG: 0.8,
    Kind.SUBDIVISION: 0.8,
    Kind.DEMONYM: 0.7,
    Kind.CITY: 0.6,
}
"""How strongly one mention says "this story is about that country": a name or its government
more than a nationality ("Chinese nationals") or a town."""
ZONE_WEIGHT = (3.0, 2.0, 1.0)
"""Title, lead paragraph, rest of the body: editors put what the story is about first."""
DATELINE_WEIGHT = 2.0
"""Where the story was filed ("KABUL, Dec 5 (Reuters) -"): as much as naming the country in the
lead. Not more: a Washington dateline often heads a story about somewhere else."""
WEAK_FACTOR = 0.5
EVIDENCE_CAP = 3.0
LOCAL_KINDS = TOWN_KINDS | {Kind.SUBDIVISION}
NAMESAKE_RATIO = 5  # a town this many times smaller than its namesake needs local evidence


@cache
def ru_word_forms() -> dict[str, bool]:
    """Russian case forms of place names that are mostly personal names (True: "Константина")
    or common words (False: "Того же", "Самое", "Думаю"); scripts/regions_ru_words.py."""
    return {row[0]: row[1] == "name" for row in read_tsv("ru_common_words.tsv")}


@cache
def named_after_words() -> tuple[frozenset[str], frozenset[str]]:
    """Words that make a town part of a name ("Paris climate accord", "Dayton Peace Accords",
    "Vilnius Group"), and the modifiers allowed between (context.yaml ``named_after``)."""
    ctx = context().get("named_after", {})
    return (
        frozenset(key(w) for w in ctx.get("words", [])),
        frozenset(key(w) for w in ctx.get("modifiers", [])),
    )


def _names_something(tokens: Tokens, m: Mention, entries: list[Entry]) -> bool:
    """A town naming an agreement, group or process is not where the story is: the Paris
    climate accord, the Dayton Peace Accords, the Minsk agreements. Countries are kept ("the
    Iran nuclear agreement" is about Iran)."""
    if not all(e.kind in TOWN_KINDS for e in entries):
        return False
    words, modifiers = named_after_words()
    i, n, joins = m.end, len(tokens), tokens.joins
    for _ in range(3):
        if i >= n or not joins[i - 1]:
            return False
        k = tokens.keys[i]
        if k in words:
            return True
        if k not in modifiers:
            return False
        i += 1
    return False


_CURRENCY_WORDS = frozenset({"dollar", "dollars", "cent", "cents"})


def _names_currency(tokens: Tokens, m: Mention) -> bool:
    """The currency, not the country: "US$50 million", "US $1.3 billion", "in US dollars",
    which news from everywhere prices in. Only the bare code: "the United States' dollar
    policy" and "Washington" still name the US."""
    if m.end - m.start != 1 or tokens.keys[m.start] != "us" or tokens.words[m.start] != "US":
        return False
    gap = tokens.gaps[m.start] if m.start < len(tokens.gaps) else ""
    if gap.lstrip().startswith("$"):
        return True
    return m.end < len(tokens) and tokens.joins[m.start] and tokens.keys[m.end] in _CURRENCY_WORDS


def _word_like(tokens: Tokens, m: Mention) -> bool:
    """A Russian form of a place that is mostly a personal name, or a common word opening a
    sentence (where it has a capital anyway): weak here."""
    k = tokens.keys[m.start]
    if m.end - m.start != 1 or not k or not is_cyrillic(k):
        return False
    name = ru_word_forms().get(k)
    if name is None:
        return False
    return name or m.start == 0 or not tokens.joins[m.start - 1]


@dataclass(frozen=True, slots=True)
class Reading:
    """A mention resolved to one entry."""

    entry: Entry
    zone: int
    position: int
    venue: bool = False
    text: str = ""  # the words as the story wrote them: the evidence an analyst sees
    dateline: bool = False

    @property
    def weight(self) -> float:
        if self.dateline:
            return DATELINE_WEIGHT
        kind = Kind.CITY if self.venue and self.entry.kind is Kind.CAPITAL else self.entry.kind
        w = KIND_WEIGHT.get(kind, 0.0) * ZONE_WEIGHT[self.zone]
        return w * WEAK_FACTOR if self.entry.weak else w


def doc_cue_keys(tokens: Tokens, keys: list[str]) -> frozenset[str]:
    """Every word key of the story and every joined pair, for cue look-ups."""
    joins = tokens.joins
    pairs = [f"{keys[i]} {keys[i + 1]}" for i in range(len(keys) - 1) if joins[i]]
    return frozenset(keys).union(pairs)


def resolve(
    gaz: Gazetteer,
    mentions: list[Mention],
    tokens: Tokens,
    cue_keys: Callable[[], frozenset[str]],
) -> tuple[list[Reading], list[tuple[str, int]]]:
    """Readings of place mentions, and the regions named directly (with their positions).

    ``cue_keys`` gives the story's cue keys (``doc_cue_keys``) when an ambiguous name
    needs them: most stories have none, and building them costs more than the rest.
    """
    regions: list[tuple[str, int]] = []
    person_keys = {
        m.keys
        for m in mentions
        if m.person and (rule := gaz.ambiguities.get(m.keys)) is not None and rule.person
    }
    # A town read as a surname once ("Hazratullah Safi") is that person wherever the story
    # names it alone ("Safi took three wickets"), unless it is where things happen ("in Safi").
    spread_keys = {m.keys for m in mentions if m.spread}
    live: list[Mention] = []
    for m in mentions:
        entries = [gaz.entries[e] for e in m.entries]
        if not entries or any(e.kind is Kind.NONE for e in entries):
            continue
        if any(e.kind is Kind.REGION for e in entries):
            regions.extend((e.code, m.start) for e in entries if e.kind is Kind.REGION)
            continue
        if m.keys in person_keys or (m.keys in spread_keys and not m.venue):
            continue
        if _names_something(tokens, m, entries) or _names_currency(tokens, m):
            continue
        live.append(m)
    word_like = {i for i, m in enumerate(live) if not m.keys[0].isascii() and _word_like(tokens, m)}

    def entries_of(idx: int) -> list[Entry]:
        found = [gaz.entries[e] for e in live[idx].entries]
        if live[idx].qualified:  # "Alexandria, Virginia": the pair backs each other
            return [replace(e, weak=False) if e.weak else e for e in found]
        return [replace(e, weak=True) for e in found] if idx in word_like else found

    evidence: dict[str, float] = defaultdict(float)
    local: dict[str, float] = defaultdict(float)  # of towns and subdivisions only
    readings: dict[int, Reading] = {}

    def read(idx: int, entry: Entry, counts: bool) -> None:
        m = live[idx]
        text = " ".join(tokens.words[m.start : m.end])
        if text[-2:] in ("'s", "’s"):
            text = text[:-2]  # "Iran's" is a use of "Iran"
        readings[idx] = Reading(entry, m.zone, m.start, m.venue, text)
        if counts and entry.country:
            evidence[entry.country] += readings[idx].weight
            if entry.kind in LOCAL_KINDS:
                local[entry.country] += readings[idx].weight

    # Pass 1: names that can only mean places in one country.
    for idx, m in enumerate(live):
        entries = entries_of(idx)
        strong = [e for e in entries if not e.weak]
        if m.keys not in gaz.ambiguities and strong and len({e.country for e in entries}) == 1:
            read(idx, max(strong, key=_prior), counts=True)
    # Pass 2: names shared by places in several countries, against that evidence.
    for idx, m in enumerate(live):
        if idx in readings:
            continue
        entries = entries_of(idx)
        rule = gaz.ambiguities.get(m.keys)
        chosen: Entry | None
        if rule is not None:
            coordinated = _coordinated(live, idx, tokens, gaz)
            chosen = _by_rule(gaz, rule, entries, evidence, cue_keys(), coordinated)
            if chosen is not None and chosen.weak:
                chosen = replace(chosen, weak=False)  # the story chose it: no longer weak
        else:
            chosen = _by_namesakes(entries, evidence, local)
        if chosen is not None:
            read(idx, chosen, counts=not chosen.weak)
    # Pass 3: weak names, only where their country already has evidence.
    for idx in range(len(live)):
        if idx in readings:
            continue
        weak = [e for e in entries_of(idx) if evidence.get(e.country or "", 0)]
        chosen = _by_evidence(weak, evidence)
        if chosen is not None:
            read(idx, chosen, counts=False)
    return [readings[i] for i in sorted(readings)], regions


def _prior(entry: Entry) -> float:
    """Which reading a bare name prefers when the story gives no other clue."""
    base = {
        Kind.COUNTRY: 3.0,
        Kind.CAPITAL: 2.5,
        Kind.METONYM: 2.5,
        Kind.ORG: 2.0,
        Kind.DEMONYM: 2.0,
        Kind.SUBDIVISION: 1.5,
        Kind.CITY: 1.0,
    }.get(entry.kind, 0.0)
    if entry.population:
        base += math.log10(entry.population) / 10
    return base - (1.0 if entry.weak else 0.0)


def _by_evidence(entries: list[Entry], evidence: dict[str, float]) -> Entry | None:
    if not entries:
        return None
    return max(
        entries,
        key=lambda e: 2.0 * min(evidence.get(e.country or "", 0.0), EVIDENCE_CAP) + _prior(e),
    )


def _by_namesakes(
    entries: list[Entry], evidence: dict[str, float], local: dict[str, float]
) -> Entry | None:
    """Same name, several countries. The story's evidence decides between strong readings and
    weak ones of a real size (Valencia, Spain is "weak" only because "valencia" is a word); a
    small weak namesake (Santa Fe, New Mexico over Santa Fe province) wins only against a strong
    reading the story does not back, and never against a capital or a big city. A town a
    fifth or less the size of its namesake is backed only by towns and subdivisions of its
    country (``local``), not by the country named as an actor: "US and Russian diplomats met in
    Geneva" is Switzerland's Geneva, "Birmingham, Alabama" the US one."""
    strong = [e for e in entries if not e.weak]
    if not strong:
        return None
    evidence = _namesake_evidence(entries, evidence, local)

    def backed(e: Entry) -> bool:
        return evidence.get(e.country or "", 0) > 0

    sized = [e for e in entries if e.weak and backed(e) and e.population >= STRONG_CITY_POPULATION]
    pool = strong + sized
    if any(backed(e) for e in pool):
        return _by_evidence(pool, evidence)
    small = [e for e in entries if e.weak and backed(e)]
    prominent = any(
        e.kind in (Kind.CAPITAL, Kind.COUNTRY) or e.population >= WELL_KNOWN_POPULATION
        for e in strong
    )
    if small and not prominent:
        return _by_evidence(small, evidence)
    return _by_evidence(strong, evidence)


def _namesake_evidence(
    entries: list[Entry], evidence: dict[str, float], local: dict[str, float]
) -> dict[str, float]:
    """The evidence each candidate's country has for choosing among namesakes: all of it, or
    only the local part for a country whose candidates are all towns much smaller than the
    largest (a subdivision has no population here: it is never the small one)."""
    largest = max(e.population for e in entries)

    def much_smaller(e: Entry) -> bool:
        return e.population > 0 and e.population * NAMESAKE_RATIO <= largest

    small = {e.country for e in entries if much_smaller(e)}
    small -= {e.country for e in entries if not much_smaller(e)}
    if not small:
        return evidence
    return {c: local.get(c, 0.0) if c in small else v for c, v in evidence.items()}


def _coordinated(live: list[Mention], idx: int, tokens: Tokens, gaz: Gazetteer) -> bool:
    """Is the mention listed with a country ("Jordan and Egypt", "Syria, Jordan")?"""
    m = live[idx]
    for other in live[max(idx - 1, 0) : idx + 2]:
        if other is m or not any(gaz.entries[e].kind is Kind.COUNTRY for e in other.entries):
            continue
        lo, hi = (other, m) if other.start < m.start else (m, other)
        between = tokens[lo.end : hi.start]
        if len(between) == 0 or (len(between) == 1 and between[0].key in COORDINATORS):
            return True
    return False


def _by_rule(
    gaz: Gazetteer,
    rule: Ambiguity,
    entries: list[Entry],
    evidence: dict[str, float],
    cue_keys: frozenset[str],
    coordinated: bool,
) -> Entry | None:
    """Score each reading of an ambiguous name; "none" means it is not a place here."""
    by_reading: dict[str, Entry] = {}
    for e in entries:
        reading = e.code if e.kind is Kind.SUBDIVISION else e.country or ""
        if e.kind is Kind.SUBDIVISION and reading not in rule.cues:
            reading = e.country or ""
        by_reading.setdefault(reading, e)
    evidenced = {c for c, v in evidence.items() if v > 0}
    best, best_score = "none", 0.0
    for reading, cues in rule.cues.items():
        score = float(len(cues & cue_keys))
        if reading != "none":
            if reading not in by_reading:
                continue
            country = by_reading[reading].country or ""
            score += min(evidence.get(country, 0.0), EVIDENCE_CAP)
            near = gaz.neighbours.get(country, frozenset()) | _same_region(gaz, country, evidenced)
            if evidenced & near or coordinated:
                score += 1.0
            if reading == rule.default and (
                "none" not in rule.cues or not evidenced - {country} or evidenced & near
            ):
                score += 0.5
        if score > best_score:
            best, best_score = reading, score
    return None if best == "none" else by_reading.get(best)


def _same_region(gaz: Gazetteer, country: str, candidates: set[str]) -> frozenset[str]:
    region = gaz.country_regions.get(country)
    return frozenset(c for c in candidates if c != country and gaz.country_regions.get(c) == region)
