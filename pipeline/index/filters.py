"""Region and topic filters resolved the way the taggers wrote them, or refused with help.

A filter value that matches nothing used to return 0 stories silently (``--region AFG``,
``--region "southern asia"``, ``--topic nonexistent``). Here every value is resolved
against the same data the taggers use (ISO 3166 through pycountry, the project's country
names, UN M49 groups from country_converter and ``m49.tsv``, the topic taxonomy), and an
unknown one is a :class:`~pipeline.index.query.QueryError` listing close matches.

Region filters mean *focus* by default (what the story is about, ``focus_countries``);
``mentions=True`` matches any mention (``countries``, ``subdivisions``, ``world_regions``).
A subdivision is in focus when its country is; a world region when one of its countries is.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pycountry
import yaml

from pipeline.index.query import QueryError
from pipeline.tag.geo.sources import m49_of_countries, read_tsv


@dataclass(frozen=True)
class Region:
    """What a region filter value resolved to."""

    kind: str  # country, subdivision, world_region
    code: str  # ISO code, or the M49 name
    label: str
    countries: tuple[str, ...] = ()  # the countries it covers (world regions, subdivisions)
    regions: tuple[str, ...] = field(default=())  # the M49 names it covers (world regions)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@cache
def _m49() -> dict[str, tuple[str, str, str]]:
    """M49 name -> (code, parent, continent), as the region tagger reads it."""
    return {row[0]: (row[1], row[2], row[3]) for row in read_tsv("m49.tsv")}


def _region_members(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The M49 groups under ``name`` (itself included) and the countries in them."""
    table = _m49()
    groups = {name} | {r for r, (_c, parent, cont) in table.items() if name in (parent, cont)}
    groups |= {r for r, (_c, parent, _cont) in table.items() if parent in groups}
    countries = sorted(c for c, finest in m49_of_countries().items() if finest in groups)
    return tuple(sorted(groups)), tuple(countries)


@cache
def _names() -> dict[str, list[Region]]:
    """Every folded name a region can be given by -> what it means (several when ambiguous)."""
    names: dict[str, list[Region]] = {}

    def add(name: str, region: Region) -> None:
        found = names.setdefault(_fold(name), [])
        if region not in found:
            found.append(region)

    countries: dict[str, Region] = {}
    for c in pycountry.countries:
        label = getattr(c, "common_name", None) or c.name
        countries[c.alpha_2] = region = Region("country", c.alpha_2, label, (c.alpha_2,))
        for name in (c.alpha_2, c.alpha_3, c.name, label, getattr(c, "official_name", "")):
            if name:
                add(name, region)
    for row in read_tsv("country_names.tsv"):
        if len(row) >= 3 and row[1] == "en" and row[0] in countries:
            for name in row[2].split("|"):
                add(name, countries[row[0]])
    for name, (code, _parent, _cont) in _m49().items():
        groups, members = _region_members(name)
        region = Region("world_region", name, name, members, groups)
        add(name, region)
        add(code, region)
    for sub in pycountry.subdivisions:
        region = Region("subdivision", sub.code, sub.name, (sub.country_code,))
        add(sub.code, region)
    for row in read_tsv("subdivisions.tsv"):
        sub = pycountry.subdivisions.get(code=row[0])
        if sub is not None and len(row) >= 3 and row[1] == "en":
            for name in row[2].split("|"):
                add(name, Region("subdivision", sub.code, sub.name, (sub.country_code,)))
    return names


def resolve_region(value: str) -> Region:
    """An ISO alpha-2 or alpha-3 code, a country name, an ISO 3166-2 subdivision code or an
    English subdivision name the tagger knows, a UN M49 region name or code."""
    key = _fold(value)
    found = _names().get(key, [])
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        options = ", ".join(_show(r) for r in found)
        raise QueryError(f"region {value!r} is ambiguous: say which of {options}")
    raise QueryError(
        f"unknown region {value!r}{_close(key, _names())} (give a country code or name: AF, AFG, "
        "Afghanistan; a subdivision: AF-BDS; or a UN M49 region: 'Southern Asia')"
    )


def region_filter(value: str, mentions: bool = False) -> dict[str, Any]:
    """The Elasticsearch filter for a region value: focus by default, else any mention."""
    r = resolve_region(value)
    if r.kind == "country":
        return {"term": {("countries" if mentions else "focus_countries"): r.code}}
    if r.kind == "subdivision":
        named = {"term": {"subdivisions": r.code}}
        if mentions:
            return named
        return {"bool": {"filter": [named, _terms("focus_countries", r.countries)]}}
    if mentions:
        return _terms("world_regions", r.regions)
    return _terms("focus_countries", r.countries)


def _terms(name: str, values: tuple[str, ...]) -> dict[str, Any]:
    return {"term": {name: values[0]}} if len(values) == 1 else {"terms": {name: list(values)}}


# -- topics ---------------------------------------------------------------------------


@cache
def _topics() -> dict[str, dict[str, str]]:
    path = resources.files("pipeline.tag") / "data" / "topics" / "taxonomy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {slug: dict(t) for slug, t in data["topics"].items()}


def resolve_topic(value: str) -> str:
    """A topic slug, its IPTC label ("international trade") or IPTC code (medtop:...)."""
    key = _fold(value)
    names: dict[str, list[str]] = {}
    for slug, t in _topics().items():
        for name in (slug, slug.replace("-", " "), t.get("label", ""), t.get("iptc", "")):
            if name:
                found = names.setdefault(_fold(str(name)), [])
                if slug not in found:
                    found.append(slug)
    slugs = names.get(key, [])
    if len(slugs) == 1:
        return slugs[0]
    if len(slugs) > 1:
        raise QueryError(f"topic {value!r} is ambiguous: say which of {', '.join(slugs)}")
    close = _close(key, names)
    known = "" if close else " (topics: " + ", ".join(_topics()) + ")"
    raise QueryError(f"unknown topic {value!r}{close}{known}")


def topic_filter(value: str) -> dict[str, Any]:
    """Stories tagged with the topic or a finer topic under it (ancestors are tagged too)."""
    return {"term": {"topics": resolve_topic(value)}}


def _show(region: Region) -> str:
    return region.code if region.kind == "world_region" else f"{region.code} ({region.label})"


def _close(key: str, names: dict[str, Any]) -> str:
    matches = difflib.get_close_matches(key, list(names), n=5, cutoff=0.6)
    if not matches:
        return ""
    shown: list[str] = []
    for m in matches:
        for hit in names[m]:
            label = hit if isinstance(hit, str) else _show(hit)
            if label not in shown:
                shown.append(label)
    return "; did you mean " + ", ".join(shown[:5]) + "?"
